/**
 * Repository policies: parsing and evaluation of the resource-policy subset ECR repository policies
 * use (Effect, Principal/NotPrincipal, Action/NotAction with wildcards, Sid). Pure.
 *
 * Conditions are not evaluated: an Allow statement with a Condition never grants, and a Deny
 * statement with a Condition always applies (the conservative reading). IAM identity policies are
 * evaluated elsewhere; see authorizer.ts.
 */

export type Effect = "Allow" | "Deny";

export interface Statement {
  sid?: string;
  effect: Effect;
  /** undefined: no Principal element (NotPrincipal); "*" anyone. */
  principals: string[] | "*";
  notPrincipals?: string[];
  actions?: string[];
  notActions?: string[];
  conditional: boolean;
}

export interface PolicyCaller {
  /** undefined for an anonymous request. */
  arn?: string;
  accountId?: string;
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
      conditional: s.Condition !== undefined && Object.keys(s.Condition).length > 0,
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

function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    "i",
  );
  return re.test(action);
}

function principalMatches(list: string[] | "*", caller: PolicyCaller): boolean {
  if (list === "*") return true;
  if (!caller.arn || !caller.accountId) return false;
  return list.some((p) => {
    if (p === caller.arn) return true;
    // An account id or its root ARN names every principal of that account.
    return p === caller.accountId || p === `arn:aws:iam::${caller.accountId}:root`;
  });
}

/** What the statements say about `caller` doing `action`: an explicit Deny wins over Allow. */
export function evaluatePolicy(
  statements: Statement[],
  caller: PolicyCaller,
  action: string,
): Effect | undefined {
  let allowed = false;
  for (const s of statements) {
    const who = s.notPrincipals
      ? !principalMatches(s.notPrincipals.includes("*") ? "*" : s.notPrincipals, caller)
      : principalMatches(s.principals, caller);
    if (!who) continue;
    const what = s.actions
      ? s.actions.some((a) => actionMatches(a, action))
      : !(s.notActions ?? []).some((a) => actionMatches(a, action));
    if (!what) continue;
    if (s.effect === "Deny") return "Deny";
    if (!s.conditional) allowed = true;
  }
  return allowed ? "Allow" : undefined;
}
