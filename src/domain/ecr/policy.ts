/**
 * Repository policies: validation (ECR's own rules, then the IAM policy grammar of a resource-based
 * policy) and compilation for the shared IAM evaluator, which evaluates them with the caller's
 * identity policies (src/authz/authorizer.ts). Pure.
 */
import { type CompiledPolicy, compileSpec } from "../iam/compile.js";
import { parsePolicyDocument } from "../iam/policy-document.js";

export type Effect = "Allow" | "Deny";

export interface Statement {
  sid?: string;
  effect: Effect;
  /** undefined: no Principal element (NotPrincipal); "*" anyone. */
  principals: string[] | "*";
  notPrincipals?: string[];
  actions?: string[];
  notActions?: string[];
}

export class PolicyInvalid extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const strings = (v: unknown, what: string): string[] => {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((x) => typeof x === "string" && x.length > 0)) {
    throw new PolicyInvalid(`${what} must be a string or a list of strings`);
  }
  return list as string[];
};

function principalList(v: unknown, what: string): string[] | "*" {
  if (v === "*") return "*";
  if (!isObject(v)) throw new PolicyInvalid(`${what} must be "*" or an object such as {"AWS": [...]}`);
  const out: string[] = [];
  for (const [k, val] of Object.entries(v)) {
    if (k === "AWS") {
      const list = strings(val, `${what}.AWS`);
      if (list.includes("*")) return "*";
      for (const p of list) {
        if (!/^\d{12}$/.test(p) && !/^arn:aws:(iam|sts)::\d{12}:.+/.test(p)) {
          throw new PolicyInvalid(`Invalid principal in policy: "AWS" : "${p}"`);
        }
        out.push(p);
      }
    } else if (k === "Service" || k === "Federated" || k === "CanonicalUser") {
      // Service principals are valid in a policy but never make requests here.
      strings(val, `${what}.${k}`);
    } else {
      throw new PolicyInvalid(`Invalid principal type ${k}`);
    }
  }
  return out;
}

/** Parse policy text; throws PolicyInvalid with a reason. */
export function parsePolicy(text: string): Statement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new PolicyInvalid("the policy is not valid JSON");
  }
  if (!isObject(doc)) throw new PolicyInvalid("the policy must be a JSON object");
  if (doc.Version !== undefined && doc.Version !== "2012-10-17" && doc.Version !== "2008-10-17") {
    throw new PolicyInvalid(`unsupported policy Version ${String(doc.Version)}`);
  }
  const raw = Array.isArray(doc.Statement)
    ? doc.Statement
    : doc.Statement === undefined
      ? []
      : [doc.Statement];
  if (raw.length === 0) throw new PolicyInvalid("the policy has no Statement");
  return raw.map((s, i): Statement => {
    if (!isObject(s)) throw new PolicyInvalid(`Statement[${i}] must be an object`);
    if (s.Effect !== "Allow" && s.Effect !== "Deny")
      throw new PolicyInvalid(`Statement[${i}].Effect must be Allow or Deny`);
    if ((s.Principal === undefined) === (s.NotPrincipal === undefined))
      throw new PolicyInvalid(`Statement[${i}] must have exactly one of Principal and NotPrincipal`);
    if ((s.Action === undefined) === (s.NotAction === undefined))
      throw new PolicyInvalid(`Statement[${i}] must have exactly one of Action and NotAction`);
    if (s.Condition !== undefined && !isObject(s.Condition))
      throw new PolicyInvalid(`Statement[${i}].Condition must be an object`);
    const st: Statement = {
      effect: s.Effect,
      principals: s.Principal !== undefined ? principalList(s.Principal, `Statement[${i}].Principal`) : [],
    };
    if (typeof s.Sid === "string") st.sid = s.Sid;
    if (s.NotPrincipal !== undefined) {
      const np = principalList(s.NotPrincipal, `Statement[${i}].NotPrincipal`);
      st.notPrincipals = np === "*" ? ["*"] : np;
    }
    if (s.Action !== undefined) st.actions = strings(s.Action, `Statement[${i}].Action`).map(checkAction);
    if (s.NotAction !== undefined)
      st.notActions = strings(s.NotAction, `Statement[${i}].NotAction`).map(checkAction);
    return st;
  });
}

function checkAction(a: string): string {
  if (a !== "*" && !/^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/.test(a)) throw new PolicyInvalid(`Invalid action ${a}`);
  return a;
}

/**
 * Validate a repository policy as SetRepositoryPolicy does: ECR's statement rules, then the IAM
 * grammar of a resource-based policy (so evaluation never meets a policy it cannot compile).
 * Throws PolicyInvalid with the reason.
 */
export function validateRepositoryPolicy(text: string): void {
  parsePolicy(text);
  try {
    compileSpec(parsePolicyDocument(text, "resource"));
  } catch (err) {
    throw new PolicyInvalid(err instanceof Error ? err.message : String(err));
  }
}

/** What a policy Berth cannot read (stored by an older version) still allows: repairing it. */
const POLICY_MANAGEMENT = ["GetRepositoryPolicy", "SetRepositoryPolicy", "DeleteRepositoryPolicy"].flatMap(
  (op) => [`ecr:${op}`, `ecr-public:${op}`],
);
const UNREADABLE: CompiledPolicy = compileSpec({
  version: "2012-10-17",
  statements: [
    {
      effect: "Deny",
      principal: { any: true, aws: [], service: [], federated: [] },
      notAction: POLICY_MANAGEMENT,
      conditions: [],
    },
  ],
});

/**
 * A stored repository policy, compiled with `compile` (which caches by text). A policy that no
 * longer compiles fails closed: it denies everyone everything but managing the policy itself.
 */
export function compileRepositoryPolicy(
  text: string,
  compile: (text: string) => CompiledPolicy,
): CompiledPolicy {
  try {
    return compile(text);
  } catch {
    return UNREADABLE;
  }
}
