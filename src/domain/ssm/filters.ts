/**
 * ParameterStringFilter rules for DescribeParameters and GetParametersByPath (pure): which keys and
 * options each operation accepts, with SSM's error wording, and whether a parameter matches.
 */
import { AwsError, Errors } from "../../errors/catalog.js";
import { Constraints } from "../constraints.js";

export interface StringFilter {
  Key?: string | undefined;
  Option?: string | undefined;
  Values?: string[] | undefined;
}

/** What a filter looks at. */
export interface FilterSubject {
  name: string;
  type: string;
  keyId?: string | undefined;
  tier: string;
  dataType: string;
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[];
  /** Labels of the version the filter is applied to. */
  labels: readonly string[];
}

const TYPES = ["String", "StringList", "SecureString"];
const TIERS = ["Standard", "Advanced", "Intelligent-Tiering"];
const KEY_PATTERN = /^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$/s;

export const PATH_MESSAGE =
  'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.';

const defaultOption = (key: string) => (key === "Path" ? "OneLevel" : "Equals");

function optionsFor(key: string, mode: "describe" | "path"): string[] {
  if (key === "Path") return ["Recursive", "OneLevel"];
  if (key === "Label") return ["Equals"];
  if (key === "Name" && mode === "describe") return ["Contains", "BeginsWith", "Equals"];
  return ["BeginsWith", "Equals"];
}

/** Validate filters for an operation; throws SSM's error for the first problem. */
export function validateFilters(
  filters: readonly StringFilter[] | undefined,
  mode: "describe" | "path",
): void {
  const c = new Constraints();
  (filters ?? []).forEach((f, i) => {
    const at = `parameterFilters.${i + 1}.member`;
    c.pattern(`${at}.key`, f.Key, KEY_PATTERN, "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType");
    c.length(`${at}.key`, f.Key, 1, 132);
    c.length(`${at}.option`, f.Option, 1, 10);
    c.length(`${at}.values`, f.Values, 1, 50);
    for (const v of f.Values ?? []) c.length(`${at}.values`, v, 1, 1024);
  });
  c.throwIfAny();

  const seen = new Set<string>();
  for (const f of filters ?? []) {
    const key = f.Key!;
    const describeKeys = ["Path", "Name", "Type", "KeyId", "Tier", "DataType"];
    if (mode === "describe" && key === "Label") {
      throw new AwsError(
        Errors.InvalidFilterKey,
        `The following filter key is not valid: ${key}. Valid filter keys include: [${describeKeys.join(", ")}].`,
      );
    }
    if (mode === "path" && !["Type", "KeyId", "Label"].includes(key)) {
      throw new AwsError(
        Errors.InvalidFilterKey,
        `The following filter key is not valid: ${key}. Valid filter keys include: [Type, KeyId, Label].`,
      );
    }
    if (seen.has(key)) {
      throw new AwsError(
        Errors.InvalidFilterKey,
        `The following filter is duplicated in the request: ${key}. A request can contain only one occurrence of a specific filter.`,
      );
    }
    seen.add(key);
    if (!key.startsWith("tag:") && (f.Values ?? []).length === 0) {
      throw new AwsError(
        Errors.InvalidFilterValue,
        `The following filter values are missing : null for filter key ${key}.`,
      );
    }
    const option = f.Option ?? defaultOption(key);
    const allowed = optionsFor(key, mode);
    if (!allowed.includes(option)) {
      throw new AwsError(
        Errors.InvalidFilterOption,
        `The following filter option is not valid: ${option}. Valid options include: [${allowed.join(", ")}].`,
      );
    }
    const values = f.Values ?? [];
    if (key === "Type") checkValues(values, TYPES);
    if (key === "Tier") checkValues(values, TIERS);
    if (key === "Path") {
      for (const v of values) {
        const lower = v.toLowerCase();
        if (lower.startsWith("/aws") || lower.startsWith("/ssm")) {
          throw new AwsError(
            Errors.Validation,
            'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive). When using global parameters, please specify within a global namespace.',
          );
        }
        if (!v.startsWith("/") || v.includes("//") || !/^[a-zA-Z0-9_.\-/]*$/.test(v)) {
          throw new AwsError(Errors.Validation, PATH_MESSAGE);
        }
      }
    }
  }
}

function checkValues(values: readonly string[], allowed: readonly string[]) {
  for (const v of values) {
    if (!allowed.includes(v)) {
      throw new AwsError(
        Errors.InvalidFilterOption,
        `The following filter value is not valid: ${v}. Valid values include: [${allowed.join(", ")}].`,
      );
    }
  }
}

/** Path filter values and parameter names compared with one leading slash. */
const slashed = (s: string) => `/${s.replace(/^\/+/, "")}`;

function matchOne(f: StringFilter, s: FilterSubject): boolean {
  const key = f.Key!;
  const option = f.Option ?? defaultOption(key);
  const values = f.Values ?? [];
  const test = (what: string | undefined) => {
    if (what === undefined) return false;
    if (option === "BeginsWith") return values.some((v) => what.startsWith(v));
    if (option === "Contains") return values.some((v) => what.includes(v));
    return values.some((v) => what === v);
  };
  switch (key) {
    case "Name":
      if (option === "Contains") return test(s.name);
      return values.some((v) =>
        option === "BeginsWith" ? slashed(s.name).startsWith(slashed(v)) : slashed(s.name) === slashed(v),
      );
    case "Type":
      return test(s.type);
    case "KeyId":
      return test(s.keyId);
    case "Tier":
      return test(s.tier);
    case "DataType":
      return test(s.dataType);
    case "Label":
      return s.labels.some((l) => values.includes(l));
    case "Path": {
      const name = slashed(s.name);
      return values.some((v) => {
        const base = v === "/" ? "/" : `${v.replace(/\/+$/, "")}/`;
        if (!name.startsWith(base)) return false;
        return option === "Recursive" || !name.slice(base.length).includes("/");
      });
    }
    default: {
      // tag:<key>: with no values, the tag must exist; with values, its value must match.
      const tagKey = key.slice("tag:".length);
      const tag = s.tags.find((t) => t.Key === tagKey);
      if (!tag) return false;
      return values.length === 0 || test(tag.Value ?? "");
    }
  }
}

export function matchesAll(filters: readonly StringFilter[] | undefined, s: FilterSubject): boolean {
  return (filters ?? []).every((f) => matchOne(f, s));
}
