/**
 * Policies compiled for evaluation: every action, resource and condition of every statement is
 * turned into a predicate once, so evaluating a request is a walk over closures with no parsing.
 * Compiled policies are immutable and shared; callers cache them by policy version.
 */
import { type Condition, compileCondition } from "./conditions.js";
import { type ContextKeys, parseTemplate } from "./context.js";
import {
  type PolicyKind,
  type PolicySpec,
  type PrincipalSpec,
  parsePolicyDocument,
  type StatementSpec,
} from "./policy-document.js";
import { type Matcher, templateWildcard, wildcard } from "./wildcard.js";

/**
 * A set of patterns (actions or resources). Exact values are a Set lookup; wildcard patterns are
 * matchers; patterns with policy variables are substituted per request.
 */
export interface PatternSet {
  test(value: string, ctx: ContextKeys): boolean;
}

function patternSet(
  patterns: readonly string[],
  opts: { ignoreCase: boolean; variables: boolean },
): PatternSet {
  const exact = new Set<string>();
  const matchers: Matcher[] = [];
  const dynamic: ((value: string, ctx: ContextKeys) => boolean)[] = [];
  let any = false;
  for (const raw of patterns) {
    const p = opts.ignoreCase ? raw.toLowerCase() : raw;
    const t = opts.variables ? parseTemplate(p) : undefined;
    if (t) dynamic.push(templateWildcard(t, opts.ignoreCase));
    else if (p === "*") any = true;
    else if (p.includes("*") || p.includes("?")) matchers.push(wildcard(p));
    else exact.add(p);
  }
  if (any) return { test: () => true };
  return {
    test(value, ctx) {
      if (exact.has(value)) return true;
      for (const m of matchers) if (m(value)) return true;
      for (const d of dynamic) if (d(value, ctx)) return true;
      return false;
    },
  };
}

/** Who is asking, for the Principal element of trust and resource-based policies. */
export interface PrincipalInfo {
  readonly accountId: string;
  /** The caller's own ARN: a user ARN or an assumed-role session ARN. Absent for services. */
  readonly arn?: string;
  /** For a role session: the role's ARN (trust policies may name the role rather than the session). */
  readonly roleArn?: string;
  /** For an AWS service principal (ecs-tasks.amazonaws.com). */
  readonly service?: string;
}

/**
 * How specifically a Principal element names the caller: `exact` (its own ARN, `*`, or its service),
 * `role` (the role of its session), `account` (its account: the account's administrators must also
 * grant the action in an identity-based policy), or `none`.
 */
export type PrincipalMatch = "exact" | "role" | "account" | "none";

function principalMatcher(spec: PrincipalSpec): (p: PrincipalInfo) => PrincipalMatch {
  return (p) => {
    if (spec.any) return "exact";
    if (p.service !== undefined)
      return spec.service.includes(p.service) || spec.service.includes("*") ? "exact" : "none";
    let best: PrincipalMatch = "none";
    for (const a of spec.aws) {
      if (a === "*" || a === p.arn) return "exact";
      if (a === p.roleArn) best = "role";
      else if (best === "none" && (a === p.accountId || a === `arn:aws:iam::${p.accountId}:root`))
        best = "account";
    }
    return best;
  };
}

export interface CompiledStatement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  /** Whether the statement covers this (lower-cased) action. */
  coversAction(action: string, ctx: ContextKeys): boolean;
  coversResource(resource: string, ctx: ContextKeys): boolean;
  /** How the Principal/NotPrincipal element names the caller (identity policies: always `exact`). */
  principal(p: PrincipalInfo): PrincipalMatch;
  readonly conditions: readonly Condition[];
  /**
   * A condition reads aws:ResourceTag/… or a service's own `<prefix>:ResourceTag/…` (so the
   * resource's tags must be fetched).
   */
  readonly readsResourceTags: boolean;
}

export interface CompiledPolicy {
  readonly statements: readonly CompiledStatement[];
  /**
   * The statements whose Action/NotAction covers a lower-cased action, memoised per action (actions
   * take no policy variables, so this depends on the action alone).
   */
  statementsFor(action: string): readonly CompiledStatement[];
  /** Condition keys the policy reads, lower-cased (so callers fetch resource tags only when needed). */
  readonly conditionKeys: ReadonlySet<string>;
}

const everything = { test: () => true } satisfies PatternSet;

/** aws:ResourceTag/<key>, ssm:resourceTag/<key>, secretsmanager:ResourceTag/<key>, … */
const RESOURCE_TAG_KEY = /^[a-z0-9-]+:resourcetag\//i;

function compileStatement(s: StatementSpec, variables: boolean): CompiledStatement {
  const actions = s.action ? patternSet(s.action, { ignoreCase: true, variables: false }) : undefined;
  const notActions = s.notAction
    ? patternSet(s.notAction, { ignoreCase: true, variables: false })
    : undefined;
  const resources = s.resource
    ? patternSet(s.resource, { ignoreCase: false, variables })
    : s.notResource
      ? undefined
      : everything;
  const notResources = s.notResource
    ? patternSet(s.notResource, { ignoreCase: false, variables })
    : undefined;
  const principal = s.principal ? principalMatcher(s.principal) : undefined;
  const notPrincipal = s.notPrincipal ? principalMatcher(s.notPrincipal) : undefined;
  return {
    ...(s.sid !== undefined ? { sid: s.sid } : {}),
    effect: s.effect,
    coversAction: actions
      ? (a, ctx) => actions.test(a, ctx)
      : (a, ctx) => !(notActions as PatternSet).test(a, ctx),
    coversResource: resources
      ? (r, ctx) => resources.test(r, ctx)
      : (r, ctx) => !(notResources as PatternSet).test(r, ctx),
    principal:
      principal ?? (notPrincipal ? (p) => (notPrincipal(p) === "none" ? "exact" : "none") : () => "exact"),
    conditions: s.conditions.map((c) => compileCondition(c, variables)),
    readsResourceTags: s.conditions.some((c) => RESOURCE_TAG_KEY.test(c.key)),
  };
}

const NO_CONTEXT: ContextKeys = { get: () => undefined };

export function compileSpec(spec: PolicySpec): CompiledPolicy {
  const variables = spec.version === "2012-10-17";
  const keys = new Set<string>();
  for (const s of spec.statements) for (const c of s.conditions) keys.add(c.key.toLowerCase());
  const statements = spec.statements.map((s) => compileStatement(s, variables));
  const byAction = new Map<string, readonly CompiledStatement[]>();
  return {
    statements,
    conditionKeys: keys,
    statementsFor(action) {
      let hit = byAction.get(action);
      if (!hit) {
        if (byAction.size >= 2048) byAction.clear();
        hit = statements.filter((s) => s.coversAction(action, NO_CONTEXT));
        byAction.set(action, hit);
      }
      return hit;
    },
  };
}

/** Parse, validate and compile a policy document. */
export function compilePolicy(text: string, kind: PolicyKind): CompiledPolicy {
  return compileSpec(parsePolicyDocument(text, kind));
}
