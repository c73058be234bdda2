/** Tag immutability, with ECR's wildcard exclusion filters. Pure. */
import type { RepositoryRecord } from "../../state/ecr/records.js";

/** `*` matches any run of characters; everything else is literal. */
export function wildcardMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map(escapeRegExp).join(".*")}$`);
  return re.test(text);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether `tag`, once set in `repo`, may be moved to another image. */
export function isTagMutable(
  repo: Pick<RepositoryRecord, "imageTagMutability" | "imageTagMutabilityExclusionFilters">,
  tag: string,
): boolean {
  const excluded = (repo.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcardMatch(f.filter, tag));
  switch (repo.imageTagMutability) {
    case "MUTABLE":
      return true;
    case "IMMUTABLE":
      return false;
    case "MUTABLE_WITH_EXCLUSION":
      return !excluded;
    case "IMMUTABLE_WITH_EXCLUSION":
      return excluded;
  }
}

const FILTER = /^[a-zA-Z0-9._*-]{1,128}$/;

/** Validate mutability settings; returns a message for the first problem, or undefined. */
export function mutabilityProblem(
  mutability: string,
  filters: readonly { filterType?: string; filter?: string }[] | undefined,
): string | undefined {
  const withExclusion = mutability.endsWith("_WITH_EXCLUSION");
  if (withExclusion && (!filters || filters.length === 0)) {
    return `imageTagMutabilityExclusionFilters must be given when imageTagMutability is ${mutability}.`;
  }
  if (!withExclusion && filters && filters.length > 0) {
    return `imageTagMutabilityExclusionFilters can only be given when imageTagMutability is MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION.`;
  }
  if (filters && filters.length > 5) return "At most 5 imageTagMutabilityExclusionFilters are allowed.";
  for (const f of filters ?? []) {
    if (f.filterType !== "WILDCARD") return `Invalid filterType '${f.filterType}'; valid: WILDCARD.`;
    if (!f.filter || !FILTER.test(f.filter)) {
      return `Invalid parameter at 'filter' failed to satisfy constraint: 'must satisfy regular expression '^[a-zA-Z0-9._*-]{1,128}$''`;
    }
  }
  return undefined;
}
