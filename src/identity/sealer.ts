/**
 * Sealing secrets at rest: IAM secret access keys in the store, and the secret inside STS session
 * tokens. Everything that must not be stored or handed out in plaintext goes through a Sealer, so
 * the key behind it can move (to the encryption keyring, a KMS-style master key) without touching
 * callers.
 *
 * The implementation here is AES-256-GCM with a 32-byte key read from a file in the data dir
 * (created once, mode 0600). Sealed values name their format (`s1.`), so a later keyring can tell
 * them apart and re-seal them.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface Sealer {
  /** Encrypt and authenticate `plaintext`, bound to `purpose` (a different purpose cannot open it). */
  seal(plaintext: Buffer, purpose: string): string;
  /** The plaintext, or undefined when the value was not sealed by this key for this purpose. */
  open(sealed: string, purpose: string): Buffer | undefined;
}

const PREFIX = "s1.";

export function aesGcmSealer(key: () => Buffer): Sealer {
  return {
    seal(plaintext, purpose) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key(), iv);
      cipher.setAAD(Buffer.from(purpose));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
    },
    open(sealed, purpose) {
      if (!sealed.startsWith(PREFIX)) return undefined;
      const raw = Buffer.from(sealed.slice(PREFIX.length), "base64url");
      if (raw.length < 12 + 16) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key(), raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(purpose));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * A 32-byte key kept in `path`: read on first use, or generated and written there (mode 0600) if
 * the file does not exist yet.
 */
export function fileKey(path: string): () => Buffer {
  let key: Buffer | undefined;
  return () => {
    if (key) return key;
    try {
      key = readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const fresh = randomBytes(32);
      // wx: if another process created it meanwhile, fail and read theirs on the next call.
      writeFileSync(path, fresh, { mode: 0o600, flag: "wx" });
      key = fresh;
    }
    if (key.length !== 32) throw new Error(`${path} must hold exactly 32 bytes`);
    return key;
  };
}
