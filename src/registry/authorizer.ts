/**
 * Who may do what to a repository through the registry (/v2/). A request amounts to an ECR
 * operation (a pull is BatchGetImage, GetDownloadUrlForLayer or BatchCheckLayerAvailability; a push
 * InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload and PutImage), and is authorized as the
 * ECR API authorizes that operation: by the shared IAM evaluator (src/authz/authorizer.ts `check`)
 * with the caller's identity and session policies and the repository policy. Same-account access is
 * allowed when either allows it and refused on an explicit Deny in either; the account root may do
 * anything its repository policies do not explicitly deny it.
 *
 * ECR Public repositories (`ecr-public:` actions) are pulled from by anyone, with or without
 * credentials: only an explicit Deny in the repository policy refuses a pull. Anonymous callers may
 * do nothing else.
 */
import type { ActionCheck, Authorizer } from "../authz/authorizer.js";
import { PUBLIC_REGISTRY } from "../domain/ecr/names.js";
import { compileRepositoryPolicy } from "../domain/ecr/policy.js";
import { type CompiledPolicy, compileSpec, type PrincipalInfo } from "../domain/iam/compile.js";
import { normaliseIp } from "../domain/iam/conditions.js";
import { contextOf } from "../domain/iam/context.js";
import { accessDeniedMessage, evaluate } from "../domain/iam/evaluate.js";
import type { Principal } from "../identity/principal.js";
import type { RepositoryRecord } from "../state/ecr/records.js";

export interface RepositoryAccess {
  /** undefined for an anonymous caller. */
  principal: Principal | undefined;
  /** The ECR operation the request amounts to: `BatchGetImage`, `PutImage`, ... */
  operation: string;
  repository: RepositoryRecord;
  sourceIp: string;
  /** Epoch ms the request arrived. */
  now: number;
}

export interface RepositoryAuthorizer {
  /** undefined when the caller may; otherwise why not, in AWS's AccessDenied wording. */
  check(access: RepositoryAccess): Promise<string | undefined>;
}

/** Operations anyone may make on an ECR Public repository. */
export const PUBLIC_PULL_OPERATIONS: ReadonlySet<string> = new Set([
  "BatchGetImage",
  "GetDownloadUrlForLayer",
  "BatchCheckLayerAvailability",
  "ListImages",
]);

/** The IAM action of an operation on a repository: `ecr:PutImage`, `ecr-public:PutImage`. */
export const repositoryAction = (repo: RepositoryRecord, operation: string): string =>
  `${repo.registry === PUBLIC_REGISTRY ? "ecr-public" : "ecr"}:${operation}`;

/** What authorization needs of a repository: its tags and its compiled policy. */
export interface RepositoryFacts {
  readonly tags: Readonly<Record<string, string>>;
  readonly policy?: CompiledPolicy;
}

/** A repository's facts from its record (`compile` caches policies by text). */
export function repositoryFacts(
  rec: RepositoryRecord,
  compile: (text: string) => CompiledPolicy,
): RepositoryFacts {
  return {
    tags: Object.fromEntries(rec.tags.map((t) => [t.Key ?? "", t.Value ?? ""])),
    ...(rec.policy !== undefined ? { policy: compileRepositoryPolicy(rec.policy, compile) } : {}),
  };
}

/** Identity permissions of a public pull: everything (only the repository policy can refuse it). */
const ALLOWED_BY_DEFAULT = compileSpec({
  version: "2012-10-17",
  statements: [{ effect: "Allow", action: ["*"], resource: ["*"], conditions: [] }],
});

export function iamRepositoryAuthorizer(opts: {
  authorizer: Pick<Authorizer, "check">;
  /** Compile a repository policy (a resource-based policy), cached by text. */
  compilePolicy: (text: string) => CompiledPolicy;
}): RepositoryAuthorizer {
  /** A pull from a public repository: refused only by an explicit Deny in its policy. */
  function publicPullRefusal(
    a: RepositoryAccess,
    action: string,
    policy: CompiledPolicy,
  ): string | undefined {
    const who: PrincipalInfo = a.principal
      ? {
          accountId: a.principal.accountId,
          arn: a.principal.arn,
          ...(a.principal.role ? { roleArn: a.principal.role.arn } : {}),
        }
      : { accountId: "" };
    const decision = evaluate({
      action,
      resource: a.repository.arn,
      context: contextOf({
        "aws:SourceIp": normaliseIp(a.sourceIp),
        "aws:CurrentTime": new Date(a.now).toISOString().replace(/\.\d{3}Z$/, "Z"),
        "aws:EpochTime": String(Math.floor(a.now / 1000)),
        "aws:PrincipalArn": a.principal?.arn,
      }),
      identity: [ALLOWED_BY_DEFAULT],
      resourcePolicy: { policy, principal: who, required: false },
    });
    if (decision.allowed) return undefined;
    return accessDeniedMessage(a.principal?.arn ?? "anonymous", action, a.repository.arn, decision);
  }

  return {
    async check(a) {
      const repo = a.repository;
      const action = repositoryAction(repo, a.operation);
      const facts = repositoryFacts(repo, opts.compilePolicy);
      const isPublic = repo.registry === PUBLIC_REGISTRY;
      if (isPublic && PUBLIC_PULL_OPERATIONS.has(a.operation)) {
        return facts.policy ? publicPullRefusal(a, action, facts.policy) : undefined;
      }
      if (!a.principal) return "authentication required";
      const check: ActionCheck = {
        action,
        resource: repo.arn,
        tags: async () => facts.tags,
        ...(facts.policy ? { resourcePolicy: async () => facts.policy } : {}),
      };
      const refused = await opts.authorizer.check(a.principal, [check], {
        // ECR Public is served from us-east-1.
        region: isPublic ? "us-east-1" : repo.registry,
        sourceIp: a.sourceIp,
        now: a.now,
        resourceTagKeys: isPublic ? [] : ["ecr:ResourceTag/"],
      });
      return refused?.message;
    },
  };
}
