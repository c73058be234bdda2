/**
 * `berth master-key status|rotate|rewrap`: inspect and rotate the master keyring that seals secrets.
 * Run it while Berth is stopped: the running process holds the keyring in memory.
 *
 * - status: the keys and how many sealed values each one sealed.
 * - rotate: (key file only) add a new primary key, reseal every value under it, then drop the old
 *   keys from the file (`--keep-old` keeps them). Interrupted, it leaves the old keys in the file,
 *   so every value still opens; run it again (or `rewrap`) to finish.
 * - rewrap: reseal every value under the current primary key. For keys given in
 *   BERTH_MASTER_KEY: put the new key first (`BERTH_MASTER_KEY=new,old`), run rewrap, then drop old.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Config, loadConfig } from "../config/config.js";
import { generateMasterKey, Keyring, parseKeyList } from "../crypto/keyring.js";
import { defaultKeyFile, loadKeyFile, masterKeySource, writeKeyFile } from "../crypto/master-key.js";
import { SqliteStore } from "../state/sqlite/sqlite-store.js";
import { rewrapVault, VAULT } from "../state/vault.js";

const USAGE = `usage: berth master-key <status|rotate|rewrap> [--data-dir DIR] [--port N] [--keep-old]`;

async function berthIsRunning(config: Config): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${config.port}/_berth/health`, {
      signal: AbortSignal.timeout(500),
    });
    return res.status === 200 || res.status === 503;
  } catch {
    return false;
  }
}

function openStore(config: Config): SqliteStore {
  const path = join(config.dataDir, "state.db");
  if (!existsSync(path)) throw new Error(`no Berth state at ${path}`);
  return new SqliteStore({ path, synchronous: config.durability });
}

async function countByKey(store: SqliteStore): Promise<Record<string, number>> {
  return store.read(async (tx) => {
    const out: Record<string, number> = {};
    let after: string | undefined;
    for (;;) {
      const page = await tx.scan<{ kid: string }>(VAULT, { limit: 1000, ...(after ? { after } : {}) });
      for (const r of page) out[r.value.kid] = (out[r.value.kid] ?? 0) + 1;
      if (page.length < 1000) return out;
      after = page[page.length - 1]!.key;
    }
  });
}

export async function masterKeyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "data-dir": { type: "string" },
      port: { type: "string" },
      "keep-old": { type: "boolean" },
    },
  });
  const [action] = positionals;
  if (action !== "status" && action !== "rotate" && action !== "rewrap") {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig(process.env, values);
  const out = (line: string) => process.stdout.write(`${line}\n`);

  if (action !== "status" && (await berthIsRunning(config))) {
    process.stderr.write(
      `berth: Berth is running on port ${config.port}; stop it before changing master keys (it holds them in memory)\n`,
    );
    return 1;
  }

  if (action === "status") {
    const source = masterKeySource({
      dataDir: config.dataDir,
      masterKey: config.masterKey,
      masterKeyFile: config.masterKeyFile,
    });
    const keyring = source.get();
    out(
      `keys from ${source.describe()}: ${keyring
        .ids()
        .map((id, i) => (i === 0 ? `${id} (primary)` : id))
        .join(", ")}`,
    );
    const store = openStore(config);
    try {
      const counts = await countByKey(store);
      for (const [kid, n] of Object.entries(counts)) {
        out(`  ${kid}: ${n} sealed value${n === 1 ? "" : "s"}${keyring.has(kid) ? "" : "  (key missing!)"}`);
      }
      if (Object.keys(counts).length === 0) out("  no sealed values");
    } finally {
      await store.close();
    }
    return 0;
  }

  if (action === "rewrap") {
    const keyring = masterKeySource({
      dataDir: config.dataDir,
      masterKey: config.masterKey,
      masterKeyFile: config.masterKeyFile,
    }).get();
    const store = openStore(config);
    try {
      const report = await rewrapVault(store, keyring);
      out(`resealed ${report.resealed} of ${report.total} values under ${keyring.primaryId}`);
    } finally {
      await store.close();
    }
    return 0;
  }

  // rotate
  if (config.masterKey) {
    process.stderr.write(
      "berth: the master keys come from BERTH_MASTER_KEY; put a new key first there (BERTH_MASTER_KEY=new,old), run `berth master-key rewrap`, then remove the old key\n",
    );
    return 1;
  }
  const file = config.masterKeyFile ?? defaultKeyFile(config.dataDir);
  const old = loadKeyFile(file, { create: false });
  const oldKeys = parseKeyList(readFileSync(file, "utf8"), file);
  const fresh = generateMasterKey();
  // The new key goes first while the old ones stay: a crash from here on loses nothing.
  writeKeyFile(file, [fresh, ...oldKeys]);
  const keyring = new Keyring([fresh, ...oldKeys]);
  const store = openStore(config);
  try {
    const report = await rewrapVault(store, keyring);
    out(`new primary key ${keyring.primaryId}; resealed ${report.resealed} of ${report.total} values`);
  } finally {
    await store.close();
  }
  if (!values["keep-old"]) {
    writeKeyFile(file, [fresh]);
    out(`removed ${old.ids().join(", ")} from ${file}`);
  }
  return 0;
}
