/**
 * ListSecrets / BatchGetSecretValue filters (pure), as the Secrets Manager API reference describes
 * them: values within a filter are alternatives, filters all apply; a value starting with `!`
 * negates. `name`, `tag-key`, `tag-value`, `primary-region` and `owning-service` are case-sensitive
 * prefix matches; `description` is a prefix match that ignores case; `all` splits the value into words
 * and matches each word as a case-insensitive prefix of some word of the name, description or tags.
 */
import { Constraints } from "../constraints.js";

export const FILTER_KEYS = [
  "description",
  "name",
  "tag-key",
  "tag-value",
  "primary-region",
  "owning-service",
  "all",
] as const;

export interface SecretFilter {
  Key?: string | undefined;
  Values?: string[] | undefined;
}

export interface FilterableSecret {
  name: string;
  description?: string | undefined;
  tags: readonly { Key: string; Value: string }[];
}

export function validateSecretFilters(filters: readonly SecretFilter[] | undefined): void {
  const c = new Constraints();
  c.length("filters", filters, 0, 10);
  (filters ?? []).forEach((f, i) => {
    const at = `filters.${i + 1}.member`;
    c.oneOf(`${at}.key`, f.Key, FILTER_KEYS);
    c.length(`${at}.values`, f.Values, 1, 10);
    for (const v of f.Values ?? []) {
      c.length(`${at}.values`, v, 0, 512);
      c.pattern(`${at}.values`, v, /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/, "^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$");
    }
  });
  c.throwIfAny();
}

/** Words of a string: split at separators and at lower-to-upper case changes. */
export function words(s: string): string[] {
  return s
    .split(/[\s/_+=.@\-!:]+/)
    .flatMap((part) => part.split(/(?<=[a-z0-9])(?=[A-Z])/))
    .filter((w) => w.length > 0);
}

function matchValue(key: string, value: string, s: FilterableSecret): boolean {
  const prefixAny = (subjects: readonly string[], ci = false) =>
    subjects.some((x) => (ci ? x.toLowerCase().startsWith(value.toLowerCase()) : x.startsWith(value)));
  switch (key) {
    case "name":
      return prefixAny([s.name]);
    case "description":
      return s.description !== undefined && prefixAny([s.description], true);
    case "tag-key":
      return prefixAny(s.tags.map((t) => t.Key));
    case "tag-value":
      return prefixAny(s.tags.map((t) => t.Value));
    case "primary-region":
    case "owning-service":
      // Only replicated secrets have a primary Region and only service-made ones an owner; Berth
      // has neither.
      return false;
    default: {
      const haystack = [s.name, s.description ?? "", ...s.tags.flatMap((t) => [t.Key, t.Value])]
        .flatMap(words)
        .map((w) => w.toLowerCase());
      const wanted = words(value).map((w) => w.toLowerCase());
      return wanted.length > 0 && wanted.every((w) => haystack.some((h) => h.startsWith(w)));
    }
  }
}

export function matchesFilters(filters: readonly SecretFilter[] | undefined, s: FilterableSecret): boolean {
  return (filters ?? []).every((f) =>
    (f.Values ?? []).some((raw) => {
      const negate = raw.startsWith("!");
      const value = negate ? raw.slice(1) : raw;
      const hit = matchValue(f.Key!, value, s);
      return negate ? !hit : hit;
    }),
  );
}
