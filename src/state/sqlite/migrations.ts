import type Database from "better-sqlite3";

/**
 * Schema migrations, applied in order inside one transaction at open. Never edit a shipped
 * migration; add a new one.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; up: (db: Database.Database) => void }> = [
  {
    version: 1,
    up: (db) => {
      db.exec(`
        CREATE TABLE records (
          kind TEXT NOT NULL,
          key TEXT NOT NULL,
          version INTEGER NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        CREATE TABLE changes (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          kind TEXT NOT NULL,
          key TEXT NOT NULL,
          op TEXT NOT NULL,
          version INTEGER NOT NULL
        );
      `);
    },
  },
];

export function migrate(db: Database.Database): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
  const row = db.prepare("SELECT v FROM schema_meta WHERE k = 'version'").get() as { v: number } | undefined;
  let current = row?.v ?? 0;
  const latest = MIGRATIONS.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `state database schema version ${current} is newer than this Berth (${latest}); refusing to open`,
    );
  }
  const apply = db.transaction(() => {
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      m.up(db);
      current = m.version;
    }
    db.prepare(
      "INSERT INTO schema_meta (k, v) VALUES ('version', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v",
    ).run(current);
  });
  apply.immediate();
  return current;
}
