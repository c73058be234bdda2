/**
 * The master keyring: the keys that seal every secret Berth keeps at rest (SecureString parameters,
 * Secrets Manager versions, KMS key material). Keys live outside the state database.
 *
 * - Each key is 32 random bytes; its id is derived from the key itself (a fingerprint), so a sealed
 *   value names the key that sealed it and no id needs managing.
 * - The first key is the primary: it seals everything new. The others only open what they sealed
 *   before a rotation, until `berth master-key rotate` (or `rewrap`) has resealed it all.
 * - Sealing is AES-256-GCM with a fresh random 96-bit nonce per value; the caller's `aad` (the value's
 *   identity, e.g. its record key) is authenticated, so a sealed value moved to another record no
 *   longer opens.
 *
 * Errors never carry plaintext: a value that fails to open says which key id and which identity.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const ALG = "aes-256-gcm";
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A sealed value as stored: the key id, the nonce, and ciphertext with the GCM tag appended. */
export interface Sealed {
  /** Format marker; bumped if the layout ever changes. */
  readonly v: 1;
  /** Id of the master key that sealed it. */
  readonly kid: string;
  /** Base64 nonce. */
  readonly n: string;
  /** Base64 ciphertext followed by the 16-byte tag. */
  readonly c: string;
}

export class KeyringError extends Error {
  override readonly name = "KeyringError";
}

/** The id of a master key: 16 hex characters of a domain-separated SHA-256 of the key. */
export function masterKeyId(key: Buffer): string {
  return createHash("sha256").update("berth-master-key\0").update(key).digest("hex").slice(0, 16);
}

export class Keyring {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly primaryId: string;

  /** `keys[0]` is the primary key. */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new KeyringError("a keyring needs at least one key");
    const map = new Map<string, Buffer>();
    for (const k of keys) {
      if (k.length !== KEY_BYTES) {
        throw new KeyringError(`a master key must be ${KEY_BYTES} bytes, got ${k.length}`);
      }
      map.set(masterKeyId(k), Buffer.from(k));
    }
    this.keys = map;
    this.primaryId = masterKeyId(keys[0]!);
  }

  /** Ids of every key, primary first. */
  ids(): string[] {
    return [...this.keys.keys()];
  }

  has(kid: string): boolean {
    return this.keys.has(kid);
  }

  seal(plaintext: Buffer | string, aad: string): Sealed {
    const key = this.keys.get(this.primaryId)!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALG, key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([
      cipher.update(typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return { v: 1, kid: this.primaryId, n: nonce.toString("base64"), c: body.toString("base64") };
  }

  open(sealed: Sealed, aad: string): Buffer {
    const key = this.keys.get(sealed.kid);
    if (!key) {
      throw new KeyringError(
        `the value for ${aad} was sealed with master key ${sealed.kid}, which is not in the keyring`,
      );
    }
    const body = Buffer.from(sealed.c, "base64");
    if (body.length < TAG_BYTES) throw new KeyringError(`the sealed value for ${aad} is truncated`);
    try {
      const decipher = createDecipheriv(ALG, key, Buffer.from(sealed.n, "base64"), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new KeyringError(`the sealed value for ${aad} failed authentication`);
    }
  }

  openString(sealed: Sealed, aad: string): string {
    return this.open(sealed, aad).toString("utf8");
  }

  /** Whether a value is sealed with a key other than the primary (rotation left it behind). */
  isStale(sealed: Sealed): boolean {
    return sealed.kid !== this.primaryId;
  }
}

/** A new random master key. */
export const generateMasterKey = (): Buffer => randomBytes(KEY_BYTES);

/**
 * Parse a key list: base64 keys separated by newlines or commas; blank lines and `#` comments are
 * ignored. The first key is the primary.
 */
export function parseKeyList(text: string, source: string): Buffer[] {
  const keys: Buffer[] = [];
  const items = text
    .split(/[\n,]/)
    .map((l) => l.replace(/#.*/, "").trim())
    .filter((l) => l.length > 0);
  items.forEach((item, i) => {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(item)) {
      throw new KeyringError(`${source}: key ${i + 1} is not base64`);
    }
    const key = Buffer.from(item, "base64");
    if (key.length !== KEY_BYTES) {
      throw new KeyringError(
        `${source}: key ${i + 1} decodes to ${key.length} bytes; a master key is ${KEY_BYTES} random bytes in base64 (openssl rand -base64 32)`,
      );
    }
    keys.push(key);
  });
  if (keys.length === 0) throw new KeyringError(`${source}: no key found`);
  return keys;
}

/** The text of a key file: a comment, then one base64 key per line, primary first. */
export function formatKeyFile(keys: readonly Buffer[]): string {
  return [
    "# Berth master keys (base64). The first key seals new values; the others only open older ones.",
    "# Keep this file secret and backed up: without it no SecureString or secret can be read.",
    ...keys.map((k) => k.toString("base64")),
    "",
  ].join("\n");
}
