/**
 * KMS ciphertext blobs for symmetric keys. A blob carries the id of the key that made it (Decrypt
 * needs no KeyId, as on AWS), a random nonce, and AES-256-GCM output whose additional data binds the
 * key id and the encryption context. Layout (binary):
 *
 *   "BKC1" | key id (36 ASCII bytes) | nonce (12) | ciphertext | tag (16)
 *
 * The format is Berth's own: blobs from AWS KMS do not decrypt here, nor Berth's on AWS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const MAGIC = Buffer.from("BKC1", "ascii");
const ID_BYTES = 36;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Canonical encryption context: entries sorted by key, as JSON. Order in the request does not matter. */
export function canonicalContext(ctx: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(ctx ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

const aad = (keyId: string, ctx: Readonly<Record<string, string>> | undefined) =>
  Buffer.from(`${keyId}\0${canonicalContext(ctx)}`, "utf8");

export function seal(
  keyId: string,
  material: Buffer,
  plaintext: Buffer,
  ctx: Readonly<Record<string, string>> | undefined,
): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", material, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(keyId, ctx));
  return Buffer.concat([
    MAGIC,
    Buffer.from(keyId, "ascii"),
    nonce,
    cipher.update(plaintext),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
}

/** The key id a blob names, or undefined when the blob is not one of Berth's. */
export function blobKeyId(blob: Buffer): string | undefined {
  if (blob.length < MAGIC.length + ID_BYTES + NONCE_BYTES + TAG_BYTES) return undefined;
  if (!blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  return blob.subarray(MAGIC.length, MAGIC.length + ID_BYTES).toString("ascii");
}

/** The plaintext, or undefined when the blob was altered or the context differs. */
export function open(
  keyId: string,
  material: Buffer,
  blob: Buffer,
  ctx: Readonly<Record<string, string>> | undefined,
): Buffer | undefined {
  const start = MAGIC.length + ID_BYTES;
  const nonce = blob.subarray(start, start + NONCE_BYTES);
  const body = blob.subarray(start + NONCE_BYTES, blob.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", material, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, ctx));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    return undefined;
  }
}
