/**
 * The IAM policy grammar: parse a policy document (JSON text) into a normalised form, refusing what
 * IAM refuses with IAM's MalformedPolicyDocument wording. Single values become one-element lists;
 * condition values become strings (JSON numbers and booleans are allowed there).
 *
 * Kinds: `identity` policies (managed, inline and STS session policies) must name actions and
 * resources and no principal; `trust` policies (a role's AssumeRolePolicyDocument) must name a
 * principal and actions and no resource; `resource` policies (resource-based policies such as an
 * ECR repository policy) must name a principal and actions, and may name resources (without a
 * Resource element a statement covers the resource the policy is attached to).
 */
import { AwsError, Errors } from "../../errors/catalog.js";

export type PolicyKind = "identity" | "trust" | "resource";

export interface PrincipalSpec {
  /** `"Principal": "*"` */
  readonly any: boolean;
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
}

export interface ConditionSpec {
  /** As written, e.g. `ForAnyValue:StringLikeIfExists`. */
  readonly operator: string;
  readonly key: string;
  readonly values: readonly string[];
}

export interface StatementSpec {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly principal?: PrincipalSpec;
  readonly notPrincipal?: PrincipalSpec;
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly conditions: readonly ConditionSpec[];
}

export interface PolicySpec {
  /** Policy variables (`${aws:username}`) are only substituted in 2012-10-17 policies. */
  readonly version: "2012-10-17" | "2008-10-17";
  readonly statements: readonly StatementSpec[];
}

const TOP = new Set(["Version", "Id", "Statement"]);
const STATEMENT = new Set([
  "Sid",
  "Effect",
  "Principal",
  "NotPrincipal",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);
/** Principal types, by the key a Principal element names them with (a Map: `constructor` is none). */
const PRINCIPAL_TYPES = new Map<string, keyof Omit<PrincipalSpec, "any">>([
  ["AWS", "aws"],
  ["Service", "service"],
  ["Federated", "federated"],
]);

/** Condition operators IAM knows, before ForAnyValue:/ForAllValues: and IfExists are applied. */
export const CONDITION_OPERATORS = new Set([
  "StringEquals",
  "StringNotEquals",
  "StringEqualsIgnoreCase",
  "StringNotEqualsIgnoreCase",
  "StringLike",
  "StringNotLike",
  "NumericEquals",
  "NumericNotEquals",
  "NumericLessThan",
  "NumericLessThanEquals",
  "NumericGreaterThan",
  "NumericGreaterThanEquals",
  "DateEquals",
  "DateNotEquals",
  "DateLessThan",
  "DateLessThanEquals",
  "DateGreaterThan",
  "DateGreaterThanEquals",
  "Bool",
  "BinaryEquals",
  "IpAddress",
  "NotIpAddress",
  "ArnEquals",
  "ArnLike",
  "ArnNotEquals",
  "ArnNotLike",
  "Null",
]);

/** Split `ForAllValues:StringLikeIfExists` into its parts; undefined when IAM does not know it. */
export function splitOperator(
  op: string,
): { base: string; set?: "ForAnyValue" | "ForAllValues"; ifExists: boolean } | undefined {
  let rest = op;
  let set: "ForAnyValue" | "ForAllValues" | undefined;
  for (const prefix of ["ForAnyValue", "ForAllValues"] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
      break;
    }
  }
  let ifExists = false;
  if (rest.endsWith("IfExists") && rest !== "Null") {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  if (!CONDITION_OPERATORS.has(rest)) return undefined;
  if (rest === "Null" && (ifExists || set)) return undefined;
  return { base: rest, ...(set ? { set } : {}), ifExists };
}

function malformed(message: string): never {
  throw new AwsError(Errors.MalformedPolicyDocument, message);
}
const SYNTAX = "Syntax errors in policy.";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function stringList(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return malformed(SYNTAX);
}

function conditionValues(v: unknown): string[] {
  const one = (x: unknown): string => {
    if (typeof x === "string") return x;
    if (typeof x === "number" || typeof x === "boolean") return String(x);
    return malformed(SYNTAX);
  };
  return Array.isArray(v) ? v.map(one) : [one(v)];
}

function checkAction(action: string): void {
  if (action === "*") return;
  const parts = action.split(":");
  if (parts.length === 1)
    malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
  if (parts.length > 2) malformed("Actions/Condition can contain only one colon.");
  if (!/^[A-Za-z0-9.*?-]+$/.test(parts[0]!)) malformed(`Vendor ${parts[0]} is not valid`);
}

function checkResource(resource: string): void {
  if (resource === "*") return;
  if (!resource.includes(":")) malformed(`Resource ${resource} must be in ARN format or "*".`);
  const [arn, partition, service] = resource.split(":");
  if (arn !== "arn") malformed(`Resource ${resource} must be in ARN format or "*".`);
  if (partition !== "aws" && partition !== "*") {
    malformed(`Partition "${partition}" is not valid for resource "${resource}".`);
  }
  if (service === undefined || service === "" || /[*?]/.test(service)) {
    malformed("Resource vendor must be fully qualified and cannot contain regexes.");
  }
}

function principalSpec(v: unknown): PrincipalSpec {
  if (v === "*") return { any: true, aws: [], service: [], federated: [] };
  if (!isObject(v)) return malformed(SYNTAX);
  const out = { any: false, aws: [] as string[], service: [] as string[], federated: [] as string[] };
  for (const [type, value] of Object.entries(v)) {
    const field = PRINCIPAL_TYPES.get(type);
    if (!field) return malformed(`Invalid principal in policy: "${type}"`);
    const list = stringList(value);
    for (const p of list) {
      if (field === "aws" && !validAwsPrincipal(p)) malformed(`Invalid principal in policy: "AWS":"${p}"`);
      if (field === "service" && !/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$|^\*$/.test(p)) {
        malformed(`Invalid principal in policy: "SERVICE":"${p}"`);
      }
    }
    out[field].push(...list);
  }
  return out;
}

/** `*`, a 12-digit account, or an IAM/STS ARN of a root, user, role or role session. */
export function validAwsPrincipal(p: string): boolean {
  return (
    p === "*" ||
    /^\d{12}$/.test(p) ||
    /^arn:aws:iam::\d{12}:(root|user\/.+|role\/.+|group\/.+)$/.test(p) ||
    /^arn:aws:sts::\d{12}:(assumed-role\/.+\/.+|federated-user\/.+)$/.test(p)
  );
}

function statementSpec(raw: unknown, kind: PolicyKind): StatementSpec {
  if (!isObject(raw)) return malformed(SYNTAX);
  for (const k of Object.keys(raw)) if (!STATEMENT.has(k)) malformed(SYNTAX);
  const effect = raw.Effect;
  if (effect === undefined) malformed("Missing required field Effect");
  if (typeof effect !== "string" || !["allow", "deny"].includes(effect.toLowerCase())) malformed(SYNTAX);
  if (effect !== "Allow" && effect !== "Deny") malformed("The policy failed legacy parsing");
  if (raw.Action !== undefined && raw.NotAction !== undefined) malformed(SYNTAX);
  if (raw.Resource !== undefined && raw.NotResource !== undefined) malformed(SYNTAX);
  if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) malformed(SYNTAX);
  if (raw.Sid !== undefined && typeof raw.Sid !== "string") malformed(SYNTAX);

  const action = raw.Action === undefined ? undefined : stringList(raw.Action);
  const notAction = raw.NotAction === undefined ? undefined : stringList(raw.NotAction);
  const resource = raw.Resource === undefined ? undefined : stringList(raw.Resource);
  const notResource = raw.NotResource === undefined ? undefined : stringList(raw.NotResource);

  if (kind === "identity") {
    if (raw.Principal !== undefined || raw.NotPrincipal !== undefined) {
      malformed("Policy document should not specify a principal.");
    }
  } else {
    if (kind === "trust" && (raw.Resource !== undefined || raw.NotResource !== undefined))
      malformed("Has prohibited field Resource");
    if (raw.Principal === undefined && raw.NotPrincipal === undefined)
      malformed("Missing required field Principal");
  }
  if ((action ?? notAction ?? []).length === 0) malformed("Policy statement must contain actions.");
  if (kind === "identity" && (resource ?? notResource ?? []).length === 0) {
    malformed("Policy statement must contain resources.");
  }
  for (const a of action ?? notAction ?? []) checkAction(a);
  for (const r of resource ?? notResource ?? []) checkResource(r);

  const conditions: ConditionSpec[] = [];
  if (raw.Condition !== undefined) {
    if (!isObject(raw.Condition)) malformed(SYNTAX);
    for (const [operator, block] of Object.entries(raw.Condition as Record<string, unknown>)) {
      if (!isObject(block)) malformed(SYNTAX);
      if (!splitOperator(operator)) malformed(SYNTAX);
      for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
        if (!key.includes(":")) {
          malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
        }
        conditions.push({ operator, key, values: conditionValues(values) });
      }
    }
  }
  return {
    ...(raw.Sid !== undefined ? { sid: raw.Sid as string } : {}),
    effect,
    ...(raw.Principal !== undefined ? { principal: principalSpec(raw.Principal) } : {}),
    ...(raw.NotPrincipal !== undefined ? { notPrincipal: principalSpec(raw.NotPrincipal) } : {}),
    ...(action ? { action } : {}),
    ...(notAction ? { notAction } : {}),
    ...(resource ? { resource } : {}),
    ...(notResource ? { notResource } : {}),
    conditions,
  };
}

/** Parse and validate a policy document; throws MalformedPolicyDocument with IAM's wording. */
export function parsePolicyDocument(text: string, kind: PolicyKind): PolicySpec {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return malformed("This policy contains invalid Json");
  }
  if (!isObject(doc)) return malformed("This policy contains invalid Json");
  for (const k of Object.keys(doc)) if (!TOP.has(k)) malformed(SYNTAX);
  const version = doc.Version ?? "2008-10-17";
  if (version !== "2012-10-17" && version !== "2008-10-17") malformed(SYNTAX);
  if (doc.Id !== undefined && typeof doc.Id !== "string") malformed(SYNTAX);
  if (doc.Statement === undefined) malformed("Missing required field Statement");
  const raw = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (raw.length === 0) malformed(SYNTAX);
  const statements = raw.map((s) => statementSpec(s, kind));
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.sid) {
      if (sids.has(s.sid)) malformed("Statement IDs (SID) in a single policy must be unique.");
      sids.add(s.sid);
    }
  }
  return { version: version as PolicySpec["version"], statements };
}

/** Every AWS principal ARN a policy names (for checks that they exist). */
export function namedAwsPrincipals(spec: PolicySpec): string[] {
  const out = new Set<string>();
  for (const s of spec.statements) {
    for (const p of [...(s.principal?.aws ?? []), ...(s.notPrincipal?.aws ?? [])]) out.add(p);
  }
  return [...out];
}
