/**
 * Content digests (`sha256:<64 hex>`, `sha512:<128 hex>`): parsing, hashing, and the path-safe form
 * the blob store uses. A digest that does not parse never reaches the filesystem.
 */
import { createHash, type Hash } from "node:crypto";

export type Algorithm = "sha256" | "sha512";

const HEX_LENGTH: Record<Algorithm, number> = { sha256: 64, sha512: 128 };

export interface Digest {
  readonly algorithm: Algorithm;
  readonly hex: string;
}

/** Parse `algo:hex`; undefined when it is not a digest Berth can verify. */
export function parseDigest(text: string): Digest | undefined {
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") return undefined;
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm, hex };
}

export const isDigest = (text: string): boolean => parseDigest(text) !== undefined;

export const formatDigest = (d: Digest): string => `${d.algorithm}:${d.hex}`;

export const newHash = (algorithm: Algorithm): Hash => createHash(algorithm);

/** The sha256 digest of some bytes, as `sha256:<hex>`. */
export const sha256Of = (data: Buffer | string): string =>
  `sha256:${createHash("sha256").update(data).digest("hex")}`;

export function digestOf(algorithm: Algorithm, data: Buffer | string): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;
}
