/** Input rules shared by ELBv2 operations: names, ports, paging, tags. Pure. */
import type { Tag } from "@aws-sdk/client-elastic-load-balancing-v2";
import { AwsError, type ErrorDef, Errors } from "../../errors/catalog.js";

export const invalid = (message: string, def: ErrorDef = Errors.Validation) => new AwsError(def, message);

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;

/** Load balancer and target group names: 1-32 letters, digits and hyphens, no hyphen at either end. */
export function checkName(kind: "Load balancer" | "Target group", name: string): void {
  if (name.length > 32) throw invalid(`${kind} name '${name}' cannot be longer than '32' characters`);
  if (!NAME.test(name)) {
    throw invalid(
      `${kind} name '${name}' can only contain characters that are alphanumeric characters or hyphens(-) and must not begin or end with a hyphen`,
    );
  }
  if (kind === "Load balancer" && name.toLowerCase().startsWith("internal-"))
    throw invalid(`Load balancer name '${name}' cannot begin with 'internal-'`);
}

export function checkPort(port: number | undefined, what = "port"): number {
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535)
    throw invalid(`The ${what} must be between 1 and 65535`);
  return port;
}

/** Marker/PageSize paging: PageSize 1-400; the marker is the last key of the previous page. */
export function pageSize(n: number | undefined): number {
  if (n === undefined) return 400;
  if (!Number.isInteger(n) || n < 1 || n > 400)
    throw invalid(
      `1 validation error detected: Value '${n}' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and 400`,
    );
  return n;
}

export const encodeMarker = (key: string) => Buffer.from(key, "utf8").toString("base64url");

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  const key = Buffer.from(marker, "base64url").toString("utf8");
  if (!key || encodeMarker(key) !== marker) throw invalid("The marker is not valid");
  return key;
}

/** One page of an in-memory list sorted by `keyOf`. */
export function pageOf<T>(
  items: readonly T[],
  keyOf: (t: T) => string,
  marker: string | undefined,
  size: number | undefined,
): { items: T[]; NextMarker?: string } {
  const after = decodeMarker(marker);
  const limit = pageSize(size);
  const rest = after === undefined ? items : items.filter((i) => keyOf(i) > after);
  const page = rest.slice(0, limit);
  return rest.length > limit
    ? { items: page, NextMarker: encodeMarker(keyOf(page[page.length - 1]!)) }
    : { items: page };
}

// --- Tags -------------------------------------------------------------------------------------

export const MAX_TAGS = 50;
const TAG_TEXT = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

export function checkTags(tags: readonly Tag[] | undefined): Tag[] {
  const seen = new Set<string>();
  const out: Tag[] = [];
  for (const t of tags ?? []) {
    const key = t.Key ?? "";
    if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key))
      throw invalid(`Tag key '${key}' is not valid: 1-128 letters, digits, spaces and _.:/=+-@`);
    if (key.toLowerCase().startsWith("aws:")) throw invalid(`Tag key '${key}' cannot start with 'aws:'`);
    const value = t.Value ?? "";
    if (value.length > 256 || !TAG_TEXT.test(value))
      throw invalid(`Tag value of '${key}' is not valid: at most 256 letters, digits, spaces and _.:/=+-@`);
    if (seen.has(key)) throw new AwsError(Errors.DuplicateTagKeys, `Tag key '${key}' is duplicated`);
    seen.add(key);
    out.push({ Key: key, Value: value });
  }
  if (out.length > MAX_TAGS)
    throw new AwsError(Errors.ElbTooManyTags, `You cannot have more than ${MAX_TAGS} tags per resource`);
  return out;
}

export function mergeTags(existing: readonly Tag[], added: readonly Tag[], arn: string): Tag[] {
  const merged = new Map(existing.map((t) => [t.Key!, t.Value ?? ""]));
  for (const t of added) merged.set(t.Key!, t.Value ?? "");
  if (merged.size > MAX_TAGS)
    throw new AwsError(Errors.ElbTooManyTags, `The resource '${arn}' cannot have more than ${MAX_TAGS} tags`);
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}
