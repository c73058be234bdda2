/** Tag immutability, with ECR's wildcard exclusion filters. Pure. */
import { wildcardMatch } from "../../lib/wildcard.js";
import type { RepositoryRecord } from "../../state/ecr/records.js";

/**
 * Does `tag` match an ECR tag pattern (an exclusion filter or a lifecycle tagPatternList entry)? `*`
 * matches any run of characters and is the only wildcard; everything else stands for itself.
 */
export const tagPatternMatch = (pattern: string, tag: string): boolean =>
  wildcardMatch(pattern, tag, { question: false });

/** Whether `tag`, once set in `repo`, may be moved to another image. */
export function isTagMutable(
  repo: Pick<RepositoryRecord, "imageTagMutability" | "imageTagMutabilityExclusionFilters">,
  tag: string,
): boolean {
  const excluded = (repo.imageTagMutabilityExclusionFilters ?? []).some((f) =>
    tagPatternMatch(f.filter, tag),
  );
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
