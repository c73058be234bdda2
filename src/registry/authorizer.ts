/**
 * Who may do what to a repository. Kept behind a small interface so the shared IAM evaluator can
 * take over identity policies later: `identityAllows` is that hook, and today only the account's
 * root principal has identity permissions.
 *
 * Order, as AWS evaluates a same-account request: an explicit Deny in the repository policy wins;
 * then an Allow from either the identity's policies or the repository policy. Anonymous callers
 * may only pull, and only from ECR Public repositories.
 */
import { evaluatePolicy, parsePolicy, type Statement } from "../domain/ecr/policy.js";
import type { Principal } from "../identity/principal.js";

export interface RepositoryAccess {
  /** undefined for an anonymous caller. */
  principal: Principal | undefined;
  /** `ecr:BatchGetImage`, `ecr:PutImage`, ... */
  action: string;
  repositoryArn: string;
  /** The repository's account. */
  accountId: string;
  policy: string | undefined;
  isPublic: boolean;
}

export interface RepositoryAuthorizer {
  allows(access: RepositoryAccess): boolean;
}

/** Actions an anonymous caller may take on a public repository. */
export const ANONYMOUS_PULL_ACTIONS: ReadonlySet<string> = new Set([
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchCheckLayerAvailability",
  "ecr:ListImages",
]);

export function policyAuthorizer(
  opts: {
    /** Identity-policy decision for a principal (the shared IAM evaluator plugs in here). */
    identityAllows?: (principal: Principal, action: string, resourceArn: string) => boolean;
  } = {},
): RepositoryAuthorizer {
  const identityAllows =
    opts.identityAllows ??
    ((p: Principal, _a: string, arn: string) => p.kind === "root" && arn.split(":")[4] === p.accountId);
  const cache = new Map<string, Statement[]>();
  const statements = (text: string) => {
    let s = cache.get(text);
    if (!s) {
      s = parsePolicy(text);
      if (cache.size > 1000) cache.clear();
      cache.set(text, s);
    }
    return s;
  };
  return {
    allows(a) {
      if (!a.principal) return a.isPublic && ANONYMOUS_PULL_ACTIONS.has(a.action);
      const caller = { arn: a.principal.arn, accountId: a.principal.accountId };
      const decision = a.policy ? evaluatePolicy(statements(a.policy), caller, a.action) : undefined;
      if (decision === "Deny") return false;
      if (a.isPublic && ANONYMOUS_PULL_ACTIONS.has(a.action)) return true;
      if (identityAllows(a.principal, a.action, a.repositoryArn)) return true;
      return decision === "Allow";
    },
  };
}
