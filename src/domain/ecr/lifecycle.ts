/**
 * ECR lifecycle policies: parsing with ECR's validation rules, and evaluation. Pure: the preview
 * and the scheduled enforcement call the same `evaluateLifecycle`, so the preview shows exactly
 * what enforcement would do at the same moment.
 *
 * Evaluation, as ECR documents it:
 * - rules run in rulePriority order, lowest first; an image is expired by at most one rule;
 * - an image that matches the tag selection of a rule cannot be expired by a rule of lower
 *   priority (it is claimed), but lower rules still count it;
 * - imageCountMoreThan N keeps the N most recently pushed images the rule selects and expires the
 *   rest; sinceImagePushed N days expires selected images pushed more than N days ago;
 * - tagStatus tagged selects images having, for every prefix (or pattern) listed, a tag that
 *   matches it; untagged selects images with no tags; any selects every image, and a rule with
 *   tagStatus any must have the highest rulePriority.
 */
import { tagPatternMatch } from "./mutability.js";

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: {
    tagStatus: "tagged" | "untagged" | "any";
    tagPrefixList?: string[];
    tagPatternList?: string[];
    countType: "imageCountMoreThan" | "sinceImagePushed";
    countUnit?: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

export interface LifecycleImage {
  digest: string;
  tags: readonly string[];
  pushedAt: number;
}

export interface LifecycleDecision {
  digest: string;
  tags: string[];
  pushedAt: number;
  rulePriority: number;
}

export class LifecyclePolicyInvalid extends Error {}

const DAY_MS = 24 * 60 * 60 * 1000;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function fail(msg: string): never {
  throw new LifecyclePolicyInvalid(msg);
}

function checkKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) fail(`${where} has an unknown field '${k}'`);
  }
}

/** Parse and validate a lifecycle policy; rules come back in priority order. */
export function parseLifecyclePolicy(text: string): LifecycleRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail("the policy is not valid JSON");
  }
  if (!isObject(doc)) fail("the policy must be a JSON object");
  checkKeys(doc, ["rules"], "the policy");
  if (!Array.isArray(doc.rules) || doc.rules.length === 0) fail("'rules' must be a non-empty array");
  const rules = doc.rules.map((r, i): LifecycleRule => {
    const where = `rules[${i}]`;
    if (!isObject(r)) fail(`${where} must be an object`);
    checkKeys(r, ["rulePriority", "description", "selection", "action"], where);
    const p = r.rulePriority;
    if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 999)
      fail(`${where}.rulePriority must be an integer from 1 to 999`);
    if (r.description !== undefined && typeof r.description !== "string")
      fail(`${where}.description must be a string`);
    const s = r.selection;
    if (!isObject(s)) fail(`${where}.selection is required`);
    checkKeys(
      s,
      ["tagStatus", "tagPrefixList", "tagPatternList", "countType", "countUnit", "countNumber"],
      `${where}.selection`,
    );
    if (s.tagStatus !== "tagged" && s.tagStatus !== "untagged" && s.tagStatus !== "any")
      fail(`${where}.selection.tagStatus must be tagged, untagged or any`);
    const lists: Record<string, string[] | undefined> = {};
    for (const key of ["tagPrefixList", "tagPatternList"] as const) {
      const v = s[key];
      if (v === undefined) continue;
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string" && x.length > 0))
        fail(`${where}.selection.${key} must be a non-empty list of strings`);
      lists[key] = v as string[];
    }
    if (s.tagStatus === "tagged") {
      if (!lists.tagPrefixList === !lists.tagPatternList)
        fail(`${where}: tagStatus tagged needs exactly one of tagPrefixList and tagPatternList`);
    } else if (lists.tagPrefixList || lists.tagPatternList) {
      fail(`${where}: tagPrefixList and tagPatternList are only allowed with tagStatus tagged`);
    }
    for (const pat of lists.tagPatternList ?? []) {
      if ((pat.match(/\*/g) ?? []).length > 4)
        fail(`${where}: a tag pattern may contain at most 4 wildcards`);
    }
    if (s.countType !== "imageCountMoreThan" && s.countType !== "sinceImagePushed")
      fail(`${where}.selection.countType must be imageCountMoreThan or sinceImagePushed`);
    const n = s.countNumber;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1)
      fail(`${where}.selection.countNumber must be a positive integer`);
    if (s.countType === "sinceImagePushed" && s.countUnit !== "days")
      fail(`${where}: countUnit must be days when countType is sinceImagePushed`);
    if (s.countType === "imageCountMoreThan" && s.countUnit !== undefined)
      fail(`${where}: countUnit is not allowed when countType is imageCountMoreThan`);
    if (!isObject(r.action) || r.action.type !== "expire") fail(`${where}.action.type must be expire`);
    checkKeys(r.action, ["type"], `${where}.action`);
    const rule: LifecycleRule = {
      rulePriority: p,
      selection: {
        tagStatus: s.tagStatus,
        countType: s.countType,
        countNumber: n,
        ...(s.countUnit === "days" ? { countUnit: "days" as const } : {}),
        ...(lists.tagPrefixList ? { tagPrefixList: lists.tagPrefixList } : {}),
        ...(lists.tagPatternList ? { tagPatternList: lists.tagPatternList } : {}),
      },
      action: { type: "expire" },
    };
    if (typeof r.description === "string") rule.description = r.description;
    return rule;
  });
  rules.sort((a, b) => a.rulePriority - b.rulePriority);
  for (let i = 1; i < rules.length; i++) {
    if (rules[i]!.rulePriority === rules[i - 1]!.rulePriority)
      fail(`rulePriority ${rules[i]!.rulePriority} is used by more than one rule`);
  }
  const anyIndex = rules.findIndex((r) => r.selection.tagStatus === "any");
  if (anyIndex >= 0 && anyIndex !== rules.length - 1)
    fail("a rule with tagStatus any must have the highest rulePriority");
  return rules;
}

function selects(rule: LifecycleRule, image: LifecycleImage): boolean {
  const s = rule.selection;
  if (s.tagStatus === "any") return true;
  if (s.tagStatus === "untagged") return image.tags.length === 0;
  if (image.tags.length === 0) return false;
  if (s.tagPrefixList) return s.tagPrefixList.every((p) => image.tags.some((t) => t.startsWith(p)));
  return (s.tagPatternList ?? []).every((p) => image.tags.some((t) => tagPatternMatch(p, t)));
}

/** Which images the policy expires at `now`, each with the rule that expires it. */
export function evaluateLifecycle(
  rules: readonly LifecycleRule[],
  images: readonly LifecycleImage[],
  now: number,
): LifecycleDecision[] {
  const claimed = new Set<string>();
  const expired = new Map<string, LifecycleDecision>();
  // Newest first; ties broken by digest so the outcome never depends on input order.
  const ordered = [...images].sort((a, b) => b.pushedAt - a.pushedAt || a.digest.localeCompare(b.digest));
  for (const rule of rules) {
    const selected = ordered.filter((i) => selects(rule, i));
    const { countType, countNumber } = rule.selection;
    const expiring =
      countType === "imageCountMoreThan"
        ? selected.slice(countNumber)
        : selected.filter((i) => now - i.pushedAt > countNumber * DAY_MS);
    for (const img of expiring) {
      if (claimed.has(img.digest) || expired.has(img.digest)) continue;
      expired.set(img.digest, {
        digest: img.digest,
        tags: [...img.tags],
        pushedAt: img.pushedAt,
        rulePriority: rule.rulePriority,
      });
    }
    for (const img of selected) claimed.add(img.digest);
  }
  return [...expired.values()].sort((a, b) => a.pushedAt - b.pushedAt || a.digest.localeCompare(b.digest));
}
