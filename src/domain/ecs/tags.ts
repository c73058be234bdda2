/** ECS tag rules: at most 50 per resource; keys 1-128, values 0-256 characters; `aws:` is reserved. */
import type { Tag } from "@aws-sdk/client-ecs";
import { AwsError, Errors } from "../../errors/catalog.js";

export const MAX_TAGS = 50;
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function validateTags(tags: readonly Tag[] | undefined): Tag[] {
  const out = new Map<string, string>();
  for (const t of tags ?? []) {
    const key = t.key;
    const value = t.value ?? "";
    if (key === undefined || key.length < 1 || key.length > 128 || !ALLOWED.test(key)) {
      throw new AwsError(
        Errors.InvalidParameter,
        `Tag keys must be between 1 and 128 characters of letters, digits, spaces and _.:/=+-@; got '${key ?? ""}'.`,
      );
    }
    if (value.length > 256 || !ALLOWED.test(value)) {
      throw new AwsError(
        Errors.InvalidParameter,
        `Tag values must be at most 256 characters of letters, digits, spaces and _.:/=+-@ (tag '${key}').`,
      );
    }
    if (key.toLowerCase().startsWith("aws:")) {
      throw new AwsError(Errors.InvalidParameter, "Tag keys may not start with the reserved prefix 'aws:'.");
    }
    out.set(key, value);
  }
  if (out.size > MAX_TAGS) {
    throw new AwsError(Errors.InvalidParameter, `A resource can have at most ${MAX_TAGS} tags.`);
  }
  return [...out].map(([key, value]) => ({ key, value }));
}

/** Merge new tags over existing ones (same key: new value wins), enforcing the limit. */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const merged = new Map(existing.map((t) => [t.key!, t.value ?? ""]));
  for (const t of validateTags(added)) merged.set(t.key!, t.value ?? "");
  if (merged.size > MAX_TAGS) {
    throw new AwsError(Errors.LimitExceeded, `A resource can have at most ${MAX_TAGS} tags.`);
  }
  return [...merged].map(([key, value]) => ({ key, value }));
}

export function removeTags(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  const drop = new Set(keys);
  return existing.filter((t) => !drop.has(t.key!));
}
