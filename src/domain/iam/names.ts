/**
 * IAM names, paths, ids and ARNs, with IAM's constraint wording ("1 validation error detected:
 * Value 'x' at 'userName' failed to satisfy constraint: ...").
 */
import { randomBytes } from "node:crypto";
import { AwsError, Errors } from "../../errors/catalog.js";

/** User, role and policy names: letters, digits and `+=,.@_-`. */
const NAME = /^[\w+=,.@-]+$/;
/** `/` or `/segments/` of printable ASCII. */
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;

function constraint(member: string, value: string, what: string): never {
  throw new AwsError(
    Errors.Validation,
    `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${what}`,
  );
}

export function checkName(member: string, value: string, max: number): void {
  if (value.length < 1) constraint(member, value, "Member must have length greater than or equal to 1");
  if (value.length > max) constraint(member, value, `Member must have length less than or equal to ${max}`);
  if (!NAME.test(value))
    constraint(member, value, "Member must satisfy regular expression pattern: [\\w+=,.@-]+");
}

export function checkPath(member: string, value: string | undefined): string {
  if (value === undefined) return "/";
  if (value.length > 512) constraint(member, value, "Member must have length less than or equal to 512");
  if (!PATH.test(value)) {
    constraint(
      member,
      value,
      "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
    );
  }
  return value;
}

export function checkPathPrefix(member: string, value: string | undefined): string {
  if (value === undefined) return "/";
  if (value.length > 512) constraint(member, value, "Member must have length less than or equal to 512");
  if (!/^\u002F[\u0021-\u007F]*$/.test(value)) {
    constraint(member, value, "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*");
  }
  return value;
}

export function checkLength(member: string, value: string | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (value.length < min)
    constraint(member, value, `Member must have length greater than or equal to ${min}`);
  if (value.length > max) constraint(member, value, `Member must have length less than or equal to ${max}`);
}

export function checkRange(member: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (value < min)
    constraint(member, String(value), `Member must have value greater than or equal to ${min}`);
  if (value > max) constraint(member, String(value), `Member must have value less than or equal to ${max}`);
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** A unique id as IAM issues them: a four-letter type prefix and 17 characters (21 in all). */
export function iamId(prefix: "AIDA" | "AROA" | "ANPA"): string {
  const bytes = randomBytes(17);
  let out = prefix;
  for (const b of bytes) out += BASE32[b % 32];
  return out;
}

export const userArn = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:user${path}${name}`;
export const roleArn = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:role${path}${name}`;
export const policyArn = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:policy${path}${name}`;
export const assumedRoleArn = (accountId: string, roleName: string, session: string) =>
  `arn:aws:sts::${accountId}:assumed-role/${roleName}/${session}`;

/** `arn:aws:iam::<account>:policy/<path/>name` → its parts; undefined when it is not a policy ARN. */
export function parsePolicyArn(arn: string): { accountId: string; path: string; name: string } | undefined {
  const m = /^arn:aws:iam::(\d{12}|aws):policy(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]+)$/.exec(arn);
  if (!m) return undefined;
  return { accountId: m[1]!, path: m[2]!, name: m[3]! };
}

/** `arn:aws:iam::<account>:role/<path/>name` → its parts. */
export function parseRoleArn(arn: string): { accountId: string; path: string; name: string } | undefined {
  const m = /^arn:aws:iam::(\d{12}):role(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]+)$/.exec(arn);
  if (!m) return undefined;
  return { accountId: m[1]!, path: m[2]!, name: m[3]! };
}

/** IAM's URL encoding of policy documents in responses (RFC 3986; clients decode it). */
export const encodePolicy = (doc: string): string =>
  encodeURIComponent(doc).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The size IAM counts against policy quotas: characters other than whitespace. */
export const policySize = (doc: string): number => doc.replace(/\s/g, "").length;
