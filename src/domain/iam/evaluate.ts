/**
 * Policy evaluation for one request in one account (IAM User Guide, "Policy evaluation logic"):
 *
 * 1. An explicit Deny in any applicable policy — identity-based, session, or resource-based —
 *    refuses the request.
 * 2. A resource-based policy (here: a role's trust policy) that allows the caller by its own ARN
 *    grants the request on its own; one that allows the caller's role grants it unless session
 *    policies do not; one that allows only the caller's account needs an identity-based allow too.
 *    A trust policy is required: without its allow, sts:AssumeRole is refused whatever else allows.
 * 3. Otherwise an identity-based policy must allow the request, and, when the caller is a session
 *    with session policies, a session policy must allow it as well.
 * 4. Anything not allowed is implicitly denied.
 *
 * Pure: compiled policies and a request context in, a decision out.
 */
import type { CompiledPolicy, PrincipalInfo, PrincipalMatch } from "./compile.js";
import type { ContextKeys } from "./context.js";

export type PolicySource = "identity" | "session" | "resource";

export interface EvaluationRequest {
  /** `<service prefix>:<Action>`, as written (case is ignored when matching). */
  readonly action: string;
  /** The resource ARN, or `*` for actions without resource-level permissions. */
  readonly resource: string;
  readonly context: ContextKeys;
  readonly identity: readonly CompiledPolicy[];
  /** Session policies; undefined when the caller has none (then they do not restrict it). */
  readonly session?: readonly CompiledPolicy[] | undefined;
  readonly resourcePolicy?: {
    readonly policy: CompiledPolicy;
    readonly principal: PrincipalInfo;
    /** A role trust policy: it must allow the caller, and its denials name no reason. */
    readonly required: boolean;
  };
}

export type Decision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly explicit: boolean;
      readonly source: PolicySource;
      readonly required?: boolean;
    };

const ALLOW: Decision = { allowed: true };

/** Scan policies: "deny" on an applicable Deny, "allow" when some Allow applies, else "none". */
function scan(
  policies: readonly CompiledPolicy[],
  action: string,
  resource: string,
  ctx: ContextKeys,
): "deny" | "allow" | "none" {
  let allowed = false;
  for (const p of policies) {
    for (const s of p.statementsFor(action)) {
      if (allowed && s.effect === "Allow") continue;
      if (!s.coversResource(resource, ctx)) continue;
      let ok = true;
      for (const c of s.conditions) {
        if (!c(ctx)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (s.effect === "Deny") return "deny";
      allowed = true;
    }
  }
  return allowed ? "allow" : "none";
}

const RANK: Record<PrincipalMatch, number> = { none: 0, account: 1, role: 2, exact: 3 };

function scanResource(
  policy: CompiledPolicy,
  principal: PrincipalInfo,
  action: string,
  resource: string,
  ctx: ContextKeys,
): "deny" | PrincipalMatch {
  let best: PrincipalMatch = "none";
  for (const s of policy.statementsFor(action)) {
    const who = s.principal(principal);
    if (who === "none") continue;
    if (!s.coversResource(resource, ctx)) continue;
    if (!s.conditions.every((c) => c(ctx))) continue;
    if (s.effect === "Deny") return "deny";
    if (RANK[who] > RANK[best]) best = who;
  }
  return best;
}

export function evaluate(req: EvaluationRequest): Decision {
  const action = req.action.toLowerCase();
  const { resource, context } = req;
  const identity = scan(req.identity, action, resource, context);
  if (identity === "deny") return { allowed: false, explicit: true, source: "identity" };
  const session = req.session ? scan(req.session, action, resource, context) : "allow";
  if (session === "deny") return { allowed: false, explicit: true, source: "session" };
  let granted: PrincipalMatch = "none";
  const rp = req.resourcePolicy;
  if (rp) {
    const r = scanResource(rp.policy, rp.principal, action, resource, context);
    if (r === "deny") return { allowed: false, explicit: true, source: "resource", required: rp.required };
    granted = r;
    if (rp.required && r === "none")
      return { allowed: false, explicit: false, source: "resource", required: true };
  }
  if (granted === "exact") return ALLOW;
  if (granted === "role" && session === "allow") return ALLOW;
  if (identity === "allow" && session === "allow") return ALLOW;
  if (identity !== "allow") return { allowed: false, explicit: false, source: "identity" };
  return { allowed: false, explicit: false, source: "session" };
}

const SOURCE_NAME: Record<PolicySource, string> = {
  identity: "identity-based policy",
  session: "session policy",
  resource: "resource-based policy",
};

/**
 * AWS's AccessDenied wording: "User: <arn> is not authorized to perform: <action> on resource:
 * <resource> because no identity-based policy allows the <action> action" (or "with an explicit
 * deny in an identity-based policy"). Denials by a role's trust policy carry no reason, as STS's do.
 */
export function accessDeniedMessage(
  principalArn: string,
  action: string,
  resource: string,
  d: Exclude<Decision, { allowed: true }>,
): string {
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  if (d.required) return head;
  const name = SOURCE_NAME[d.source];
  return d.explicit
    ? `${head} with an explicit deny in ${d.source === "identity" ? "an" : "a"} ${name}`
    : `${head} because no ${name} allows the ${action} action`;
}
