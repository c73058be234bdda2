/**
 * Condition operators, compiled once per policy into predicates over a request context.
 *
 * Semantics (IAM User Guide, "Condition operators" and "Multivalued context keys"):
 * - A key absent from the request fails a positive operator and satisfies a negated one
 *   (StringNotEquals, NotIpAddress, ArnNotLike, ...); `...IfExists` makes absence a pass.
 * - Several values for one key in the policy: a positive operator needs one of them to match; a
 *   negated operator needs none to match.
 * - `ForAnyValue:` needs at least one request value to pass (absent key: fails); `ForAllValues:`
 *   needs every request value to pass (absent or empty key: passes).
 * - `Null: true` passes when the key is absent; `Null: false` when it is present.
 * - Policy variables are substituted in String and Arn operators of 2012-10-17 policies.
 */
import { BlockList, isIP } from "node:net";
import { type ContextKeys, parseTemplate, substitute, type Template } from "./context.js";
import type { ConditionSpec } from "./policy-document.js";
import { splitOperator } from "./policy-document.js";
import { arnWildcard, type Matcher, templateWildcard, wildcard } from "./wildcard.js";

export type Condition = (ctx: ContextKeys) => boolean;

/** Does one request value match any of the policy's values? */
type AnyMatch = (requestValue: string, ctx: ContextKeys) => boolean;

/** The positive operator each negated one inverts. */
const NEGATED: Record<string, string> = {
  StringNotEquals: "StringEquals",
  StringNotEqualsIgnoreCase: "StringEqualsIgnoreCase",
  StringNotLike: "StringLike",
  NumericNotEquals: "NumericEquals",
  DateNotEquals: "DateEquals",
  NotIpAddress: "IpAddress",
  ArnNotEquals: "ArnEquals",
  ArnNotLike: "ArnLike",
};

/** IAM dates: ISO 8601 (date or date-time) or epoch seconds. */
export function parseIamDate(s: string): number {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return Number.NaN;
  return Date.parse(s);
}

const parseNumber = (s: string): number => (s.trim() === "" ? Number.NaN : Number(s));

function compareWith(
  test: (a: number, b: number) => boolean,
  parse: (s: string) => number,
): (values: readonly string[]) => AnyMatch {
  return (values) => {
    const nums = values.map(parse).filter((n) => !Number.isNaN(n));
    return (r) => {
      const v = parse(r);
      if (Number.isNaN(v)) return false;
      for (const n of nums) if (test(v, n)) return true;
      return false;
    };
  };
}

/** Matchers for operators whose values may hold policy variables. */
function withVariables(
  values: readonly string[],
  variables: boolean,
  compileOne: (value: string) => Matcher,
  dynamicOne: (t: Template) => (r: string, ctx: ContextKeys) => boolean,
): AnyMatch {
  const fixed: Matcher[] = [];
  const dynamic: ((r: string, ctx: ContextKeys) => boolean)[] = [];
  for (const v of values) {
    const t = variables ? parseTemplate(v) : undefined;
    if (t) dynamic.push(dynamicOne(t));
    else fixed.push(compileOne(v));
  }
  return (r, ctx) => {
    for (const m of fixed) if (m(r)) return true;
    for (const d of dynamic) if (d(r, ctx)) return true;
    return false;
  };
}

function positive(base: string, values: readonly string[], variables: boolean): AnyMatch {
  switch (base) {
    case "StringEquals":
    case "BinaryEquals":
      return withVariables(
        values,
        variables && base === "StringEquals",
        (v) => (r) => r === v,
        (t) => (r, ctx) => substitute(t, ctx) === r,
      );
    case "StringEqualsIgnoreCase":
      return withVariables(
        values,
        variables,
        (v) => {
          const lower = v.toLowerCase();
          return (r) => r.toLowerCase() === lower;
        },
        (t) => (r, ctx) => substitute(t, ctx)?.toLowerCase() === r.toLowerCase(),
      );
    case "StringLike":
      return withVariables(
        values,
        variables,
        (v) => wildcard(v),
        (t) => templateWildcard(t),
      );
    case "ArnEquals":
    case "ArnLike":
      return withVariables(
        values,
        variables,
        (v) => arnWildcard(v),
        (t) => (r, ctx) => {
          const v = substitute(t, ctx);
          return v !== undefined && arnWildcard(v)(r);
        },
      );
    case "NumericEquals":
      return compareWith((a, b) => a === b, parseNumber)(values);
    case "NumericLessThan":
      return compareWith((a, b) => a < b, parseNumber)(values);
    case "NumericLessThanEquals":
      return compareWith((a, b) => a <= b, parseNumber)(values);
    case "NumericGreaterThan":
      return compareWith((a, b) => a > b, parseNumber)(values);
    case "NumericGreaterThanEquals":
      return compareWith((a, b) => a >= b, parseNumber)(values);
    case "DateEquals":
      return compareWith((a, b) => a === b, parseIamDate)(values);
    case "DateLessThan":
      return compareWith((a, b) => a < b, parseIamDate)(values);
    case "DateLessThanEquals":
      return compareWith((a, b) => a <= b, parseIamDate)(values);
    case "DateGreaterThan":
      return compareWith((a, b) => a > b, parseIamDate)(values);
    case "DateGreaterThanEquals":
      return compareWith((a, b) => a >= b, parseIamDate)(values);
    case "Bool": {
      const want = new Set(values.map((v) => v.toLowerCase()));
      return (r) => want.has(r.toLowerCase());
    }
    case "IpAddress": {
      const list = new BlockList();
      for (const v of values) addCidr(list, v);
      return (r) => {
        const ip = normaliseIp(r);
        const family = isIP(ip);
        return family !== 0 && list.check(ip, family === 6 ? "ipv6" : "ipv4");
      };
    }
    default:
      throw new Error(`no matcher for condition operator ${base}`);
  }
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is 10.0.0.1. */
export function normaliseIp(ip: string): string {
  return ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

function addCidr(list: BlockList, cidr: string): void {
  const [addr = "", bits] = cidr.split("/");
  const family = isIP(addr);
  if (family === 0) return; // an address IAM would not match anything with
  const type = family === 6 ? "ipv6" : "ipv4";
  const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) return;
  list.addSubnet(addr, prefix, type);
}

/** Compile one condition (operator, key, values) of a statement. */
export function compileCondition(spec: ConditionSpec, variables: boolean): Condition {
  const op = splitOperator(spec.operator);
  if (!op) throw new Error(`unknown condition operator ${spec.operator}`);
  const key = spec.key.toLowerCase();
  if (op.base === "Null") {
    const wantAbsent = spec.values[0]?.toLowerCase() === "true";
    return (ctx) => (ctx.get(key) === undefined) === wantAbsent;
  }
  const base = NEGATED[op.base] ?? op.base;
  const negated = base !== op.base;
  const anyMatch = positive(base, spec.values, variables);
  const { set, ifExists } = op;
  return (ctx) => {
    const values = ctx.get(key);
    if (values === undefined || values.length === 0) {
      if (set === "ForAllValues") return true;
      if (set === "ForAnyValue") return false;
      if (values === undefined) return ifExists || negated;
      return negated;
    }
    if (set === "ForAllValues") {
      for (const v of values) if (anyMatch(v, ctx) === negated) return false;
      return true;
    }
    if (set === "ForAnyValue") {
      for (const v of values) if (anyMatch(v, ctx) !== negated) return true;
      return false;
    }
    let hit = false;
    for (const v of values) {
      if (anyMatch(v, ctx)) {
        hit = true;
        break;
      }
    }
    return hit !== negated;
  };
}
