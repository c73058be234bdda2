/**
 * EC2 Describe* filters: `Name` + `Values`, where a resource matches a filter when any of its values
 * for that name matches any of the filter's values (`*` and `?` wildcards, case-sensitive, as
 * src/lib/wildcard.ts matches them), and matches the request when it matches every filter.
 * `tag:<key>`, `tag-key` and `tag-value` work for every resource with tags. Pure.
 */
import type { Filter } from "@aws-sdk/client-ec2";
import { AwsError, Errors } from "../../errors/catalog.js";
import { wildcardMatch } from "../../lib/wildcard.js";

export interface Tagged {
  tags: readonly { Key: string; Value: string }[];
}

/** The values a resource has for each filter name a Describe operation supports. */
export type FilterFields<T> = Record<string, (r: T) => readonly (string | undefined)[]>;

/** The filter names an operation knows: its own fields (never inherited keys such as `constructor`). */
const hasField = <T>(fields: FilterFields<T>, name: string): boolean => Object.hasOwn(fields, name);

/** Refuse filter names the operation does not know, before any resource is read. */
export function checkFilters<T>(
  filters: readonly Filter[] | undefined,
  fields: FilterFields<T>,
  tagged: boolean,
): void {
  for (const f of filters ?? []) {
    const name = f.Name ?? "";
    const known =
      hasField(fields, name) ||
      (tagged && (name.startsWith("tag:") || name === "tag-key" || name === "tag-value"));
    if (!known) throw new AwsError(Errors.InvalidParameterValue, `The filter '${name}' is invalid`);
  }
}

function valuesOf<T>(r: T, name: string, fields: FilterFields<T>): readonly (string | undefined)[] {
  const tags = (r as Partial<Tagged>).tags ?? [];
  if (name.startsWith("tag:")) {
    const key = name.slice(4);
    return tags.filter((t) => t.Key === key).map((t) => t.Value);
  }
  if (name === "tag-key") return tags.map((t) => t.Key);
  if (name === "tag-value") return tags.map((t) => t.Value);
  return hasField(fields, name) ? fields[name]!(r) : [];
}

export function matchesFilters<T>(
  r: T,
  filters: readonly Filter[] | undefined,
  fields: FilterFields<T>,
): boolean {
  for (const f of filters ?? []) {
    const have = valuesOf(r, f.Name ?? "", fields).filter((v): v is string => v !== undefined);
    const want = f.Values ?? [];
    if (!want.some((w) => have.some((h) => wildcardMatch(w, h)))) return false;
  }
  return true;
}
