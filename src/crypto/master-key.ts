/**
 * Where the master keyring comes from, in order:
 *
 * 1. `BERTH_MASTER_KEY`: base64 keys, comma-separated, primary first (for secret managers and
 *    containers that hand keys over in the environment).
 * 2. `BERTH_MASTER_KEY_FILE`: a key file (one base64 key per line, primary first). It must exist.
 * 3. `<data-dir>/master.key`: the same format, created with one new key (mode 0600) the first time
 *    a secret is sealed.
 *
 * The file is read on first use, not at start-up, so a Berth that never stores a secret never writes
 * one; keys given in the environment are checked at start-up so a typo fails fast.
 */
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatKeyFile, generateMasterKey, Keyring, KeyringError, parseKeyList } from "./keyring.js";

export interface MasterKeyOptions {
  dataDir: string;
  /** BERTH_MASTER_KEY */
  masterKey?: string | undefined;
  /** BERTH_MASTER_KEY_FILE */
  masterKeyFile?: string | undefined;
  /** Told about a key file that others can read. */
  warn?: (message: string, fields?: Record<string, unknown>) => void;
}

export const defaultKeyFile = (dataDir: string) => join(dataDir, "master.key");

/** Hands out the keyring, loading (or creating) it on first use. */
export interface KeyringSource {
  get(): Keyring;
  /** Where the keys come from, for messages: "environment" or a file path. */
  describe(): string;
  /** The key file keys are read from and rotated in, or undefined when they come from the environment. */
  file(): string | undefined;
}

export function masterKeySource(opts: MasterKeyOptions): KeyringSource {
  if (opts.masterKey) {
    const keyring = new Keyring(parseKeyList(opts.masterKey, "BERTH_MASTER_KEY"));
    return { get: () => keyring, describe: () => "BERTH_MASTER_KEY", file: () => undefined };
  }
  const explicit = opts.masterKeyFile !== undefined && opts.masterKeyFile !== "";
  const path = explicit ? opts.masterKeyFile! : defaultKeyFile(opts.dataDir);
  let keyring: Keyring | undefined;
  return {
    get() {
      keyring ??= loadKeyFile(path, { create: !explicit, ...(opts.warn ? { warn: opts.warn } : {}) });
      return keyring;
    },
    describe: () => path,
    file: () => path,
  };
}

/** Read a key file; create it with one fresh key when allowed and absent. */
export function loadKeyFile(
  path: string,
  opts: { create: boolean; warn?: MasterKeyOptions["warn"] },
): Keyring {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    if (!opts.create) throw new KeyringError(`master key file ${path} does not exist`);
    try {
      // Exclusive create: two processes starting at once cannot write different keys.
      writeFileSync(path, formatKeyFile([generateMasterKey()]), { mode: 0o600, flag: "wx", flush: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    text = readFileSync(path, "utf8");
  }
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    opts.warn?.("master key file is readable by other users; chmod 600 it", {
      file: path,
      mode: mode.toString(8),
    });
  }
  return new Keyring(parseKeyList(text, path));
}

/** Replace a key file's content, keeping it private. */
export function writeKeyFile(path: string, keys: readonly Buffer[]): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, formatKeyFile(keys), { mode: 0o600, flush: true });
  chmodSync(tmp, 0o600);
  // rename is atomic: a crash leaves the old or the new file, never half of one.
  renameSync(tmp, path);
}
