import { randomBytes, randomUUID } from "node:crypto";

/** A random UUID v4, as AWS uses for request ids and many resource ids. */
export const uuid = (): string => randomUUID();

/** `n` random bytes as lowercase hex (ECS task ids are 32 hex characters). */
export const hexId = (bytes = 16): string => randomBytes(bytes).toString("hex");

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** An AWS-style access key id: a four-letter prefix and 16 characters of base32. */
export function accessKeyId(prefix: "AKIA" | "ASIA" = "AKIA"): string {
  const bytes = randomBytes(16);
  let out = prefix;
  for (let i = 0; i < 16; i++) out += UPPER_ALNUM[(bytes[i] ?? 0) % 32];
  return out;
}

/** A 40-character secret access key. */
export const secretAccessKey = (): string =>
  randomBytes(30).toString("base64").replace(/\+/g, "A").replace(/\//g, "B");
