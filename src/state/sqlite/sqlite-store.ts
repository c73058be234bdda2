/**
 * The SQLite Store (better-sqlite3). One connection; transactions run one at a time behind a
 * mutex, which is what makes this store its own single writer. WAL journaling: a commit has reached
 * the operating system before `write` resolves, so it survives `kill -9` of Berth; with
 * `synchronous: "FULL"` (the default) it is also fsynced and survives power loss.
 */
import Database from "better-sqlite3";
import { Mutex } from "../../lib/mutex.js";
import type { Change, PutOptions, ReadTx, ScanOptions, Store, StoredRecord, WriteTx } from "../store.js";
import { VersionConflict } from "../store.js";
import { migrate } from "./migrations.js";

export interface SqliteStoreOptions {
  /** A file path, or ":memory:" for tests. */
  path: string;
  synchronous?: "FULL" | "NORMAL";
  /** How many changes to keep for followers that fall behind. */
  changeRetention?: number;
}

interface Row {
  kind: string;
  key: string;
  version: number;
  value: string;
}

/** Marks a wipe in the change feed: followers must reload everything. */
export const WIPE_KIND = "_wipe";
const PREFIX_END = "\uffff";

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly mutex = new Mutex();
  private readonly listeners = new Set<(changes: readonly Change[]) => void>();
  private readonly scanCache = new Map<string, Database.Statement>();
  private readonly retention: number;
  private commits = 0;
  private closed = false;
  private readonly stmt: Record<
    "get" | "insert" | "update" | "del" | "change" | "since" | "head" | "trim" | "count" | "countPrefix",
    Database.Statement
  >;

  constructor(opts: SqliteStoreOptions) {
    this.db = new Database(opts.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${opts.synchronous ?? "FULL"}`);
    this.db.pragma("busy_timeout = 5000");
    migrate(this.db);
    this.retention = opts.changeRetention ?? 100_000;
    this.stmt = {
      get: this.db.prepare("SELECT kind, key, version, value FROM records WHERE kind = ? AND key = ?"),
      insert: this.db.prepare("INSERT INTO records (kind, key, version, value) VALUES (?, ?, ?, ?)"),
      update: this.db.prepare("UPDATE records SET version = ?, value = ? WHERE kind = ? AND key = ?"),
      del: this.db.prepare("DELETE FROM records WHERE kind = ? AND key = ?"),
      change: this.db.prepare("INSERT INTO changes (kind, key, op, version) VALUES (?, ?, ?, ?)"),
      since: this.db.prepare(
        "SELECT seq, kind, key, op, version FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
      ),
      head: this.db.prepare("SELECT COALESCE(MAX(seq), 0) AS seq FROM changes"),
      trim: this.db.prepare("DELETE FROM changes WHERE seq <= ?"),
      count: this.db.prepare("SELECT COUNT(*) AS n FROM records WHERE kind = ?"),
      countPrefix: this.db.prepare(
        "SELECT COUNT(*) AS n FROM records WHERE kind = ? AND key >= ? AND key < ?",
      ),
    };
  }

  read<R>(fn: (tx: ReadTx) => Promise<R>): Promise<R> {
    return this.mutex.run(async () => {
      this.assertOpen();
      const tx = new SqliteTx(this, null);
      try {
        return await fn(tx);
      } finally {
        tx.done = true;
      }
    });
  }

  write<R>(fn: (tx: WriteTx) => Promise<R>): Promise<R> {
    return this.mutex.run(async () => {
      this.assertOpen();
      const changes: Change[] = [];
      const tx = new SqliteTx(this, changes);
      this.db.exec("BEGIN IMMEDIATE");
      let result: R;
      try {
        result = await fn(tx);
        tx.done = true;
        this.db.exec("COMMIT");
      } catch (err) {
        tx.done = true;
        this.db.exec("ROLLBACK");
        throw err;
      }
      if (changes.length > 0) {
        this.afterCommit(changes);
      }
      return result;
    });
  }

  private afterCommit(changes: Change[]): void {
    if (++this.commits % 1000 === 0) {
      const head = changes.at(-1)!.seq;
      this.stmt.trim.run(head - this.retention);
    }
    for (const listener of this.listeners) {
      try {
        listener(changes);
      } catch {
        // A listener's failure is its own; the commit has happened.
      }
    }
  }

  async changesSince(afterSeq: number, limit = 1000): Promise<Change[]> {
    return this.mutex.run(() => this.stmt.since.all(afterSeq, limit) as Change[]);
  }

  async headSeq(): Promise<number> {
    return this.mutex.run(() => (this.stmt.head.get() as { seq: number }).seq);
  }

  subscribe(listener: (changes: readonly Change[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  wipe(): Promise<void> {
    return this.write(async () => {
      this.db.exec("DELETE FROM records");
      this.db.exec("DELETE FROM changes");
    }).then(() =>
      this.write(async (tx) => {
        // Leave one marker so followers know to reload.
        (tx as SqliteTx).recordChange(WIPE_KIND, WIPE_KIND, "delete", 0);
      }),
    );
  }

  async close(): Promise<void> {
    await this.mutex.run(() => {
      if (this.closed) return;
      this.closed = true;
      this.db.close();
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error("store is closed");
  }

  /** @internal */
  getRow(kind: string, key: string): Row | undefined {
    return this.stmt.get.get(kind, key) as Row | undefined;
  }

  /** @internal */
  scanRows(kind: string, opts: ScanOptions): Row[] {
    const conds = ["kind = @kind"];
    const params: Record<string, unknown> = { kind };
    // Give SQLite one lower and one upper bound on the key: with two lower bounds (the prefix and
    // `after`) it seeks on one and filters the other row by row, so resuming deep inside a prefix
    // would read everything before the resume point.
    let lo: string | undefined = opts.prefix || undefined;
    let hi: string | undefined = opts.prefix ? opts.prefix + PREFIX_END : undefined;
    let loOp = ">=";
    if (opts.after !== undefined) {
      if (!opts.reverse && (lo === undefined || opts.after >= lo)) {
        lo = opts.after;
        loOp = ">";
      } else if (opts.reverse && (hi === undefined || opts.after <= hi)) {
        hi = opts.after;
      }
    }
    if (lo !== undefined) {
      conds.push(`key ${loOp} @lo`);
      params.lo = lo;
    }
    if (hi !== undefined) {
      conds.push("key < @hi");
      params.hi = hi;
    }
    let sql = `SELECT kind, key, version, value FROM records WHERE ${conds.join(" AND ")} ORDER BY key ${opts.reverse ? "DESC" : "ASC"}`;
    if (opts.limit !== undefined) {
      sql += " LIMIT @limit";
      params.limit = opts.limit;
    }
    let stmt = this.scanCache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.scanCache.set(sql, stmt);
    }
    return stmt.all(params) as Row[];
  }

  /** @internal */
  headRow(): number {
    return (this.stmt.head.get() as { seq: number }).seq;
  }

  /** @internal */
  countRows(kind: string, prefix?: string): number {
    const row = prefix
      ? this.stmt.countPrefix.get(kind, prefix, prefix + PREFIX_END)
      : this.stmt.count.get(kind);
    return (row as { n: number }).n;
  }

  /** @internal */
  insertRow(kind: string, key: string, version: number, value: string): void {
    this.stmt.insert.run(kind, key, version, value);
  }

  /** @internal */
  updateRow(kind: string, key: string, version: number, value: string): void {
    this.stmt.update.run(version, value, kind, key);
  }

  /** @internal */
  deleteRow(kind: string, key: string): void {
    this.stmt.del.run(kind, key);
  }

  /** @internal */
  insertChange(kind: string, key: string, op: "put" | "delete", version: number): number {
    return Number(this.stmt.change.run(kind, key, op, version).lastInsertRowid);
  }
}

const toRecord = <T>(row: Row): StoredRecord<T> => ({
  kind: row.kind,
  key: row.key,
  version: row.version,
  value: JSON.parse(row.value) as T,
});

class SqliteTx implements WriteTx {
  done = false;

  constructor(
    private readonly store: SqliteStore,
    /** null for read-only transactions. */
    private readonly changes: Change[] | null,
  ) {}

  private live(): void {
    if (this.done) throw new Error("transaction already finished");
  }

  private writable(): Change[] {
    this.live();
    if (!this.changes) throw new Error("write in a read transaction");
    return this.changes;
  }

  async get<T>(kind: string, key: string): Promise<StoredRecord<T> | undefined> {
    this.live();
    const row = this.store.getRow(kind, key);
    return row ? toRecord<T>(row) : undefined;
  }

  async scan<T>(kind: string, opts: ScanOptions = {}): Promise<StoredRecord<T>[]> {
    this.live();
    return this.store.scanRows(kind, opts).map((r) => toRecord<T>(r));
  }

  async count(kind: string, prefix?: string): Promise<number> {
    this.live();
    return this.store.countRows(kind, prefix);
  }

  async seq(): Promise<number> {
    this.live();
    return this.store.headRow();
  }

  async put<T>(kind: string, key: string, value: T, opts: PutOptions = {}): Promise<StoredRecord<T>> {
    this.writable();
    const existing = this.store.getRow(kind, key);
    const current = existing?.version ?? 0;
    if (opts.expectVersion !== undefined && opts.expectVersion !== current) {
      throw new VersionConflict(kind, key, opts.expectVersion, current);
    }
    const version = current + 1;
    const json = JSON.stringify(value);
    if (existing) this.store.updateRow(kind, key, version, json);
    else this.store.insertRow(kind, key, version, json);
    this.recordChange(kind, key, "put", version);
    return { kind, key, version, value };
  }

  async delete(kind: string, key: string, opts: PutOptions = {}): Promise<boolean> {
    this.writable();
    const existing = this.store.getRow(kind, key);
    const current = existing?.version ?? 0;
    if (opts.expectVersion !== undefined && opts.expectVersion !== current) {
      throw new VersionConflict(kind, key, opts.expectVersion, current);
    }
    if (!existing) return false;
    this.store.deleteRow(kind, key);
    this.recordChange(kind, key, "delete", current);
    return true;
  }

  recordChange(kind: string, key: string, op: "put" | "delete", version: number): void {
    const changes = this.writable();
    const seq = this.store.insertChange(kind, key, op, version);
    changes.push({ seq, kind, key, op, version });
  }
}
