/**
 * Comparing secret bytes without leaking, through timing, where they differ or how long they are:
 * both sides are hashed with SHA-256 and the fixed-length digests compared with timingSafeEqual.
 * Buffer.equals (memcmp) returns at the first differing byte, and timingSafeEqual alone needs equal
 * lengths, so a length check in front of it would tell the length.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();

/** Whether `a` and `b` hold the same bytes, in time that depends on neither their content nor where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
