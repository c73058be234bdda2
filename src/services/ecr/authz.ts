/**
 * What ECR's and ECR Public's operations act on, for IAM authorization (Service Authorization
 * Reference, Amazon Elastic Container Registry and Amazon ECR Public):
 *
 * - A repository is `arn:aws:ecr:<region>:<account>:repository/<name>` (ECR Public:
 *   `arn:aws:ecr-public::<account>:repository/<name>`). Every operation that names a repository
 *   checks its ARN, with the repository's policy as a resource-based policy: same-account access
 *   is allowed when either the caller's identity policies or the repository policy allow it, and
 *   refused on an explicit Deny in either. A Deny in the repository policy binds the account root
 *   too (`resourcePolicyBindsRoot`).
 * - DescribeRepositories without names checks `repository/*`, as ECR reports it.
 * - CreateRepository checks the new repository's ARN with `aws:RequestTag/…` and `aws:TagKeys`,
 *   and, when it tags, `TagResource` on it as well (ECR has required both since 2023).
 * - The tagging operations check the `resourceArn` given.
 * - GetAuthorizationToken, DescribeRegistry, GetRegistryPolicy and DescribeRegistries act on `*`;
 *   ECR Public's GetAuthorizationToken also needs `sts:GetServiceBearerToken`.
 *
 * A repository's tags (for `aws:ResourceTag/…` and `ecr:ResourceTag/…`) and its compiled policy
 * come from a cache the store's change feed keeps current. Resolvers never throw on malformed
 * input: they name what the request names, and the handler reports the error after authorization.
 */

import { PUBLIC_REGISTRY, repositoryArn } from "../../domain/ecr/names.js";
import type { CompiledPolicy } from "../../domain/iam/compile.js";
import { type RepositoryFacts, repositoryFacts } from "../../registry/authorizer.js";
import { K, repoKey } from "../../state/ecr/kinds.js";
import type { RepositoryRecord } from "../../state/ecr/records.js";
import { recordCache } from "../../state/record-cache.js";
import type { Store } from "../../state/store.js";
import type { AuthzCheck, AuthzInfo, AuthzResolver, ServiceAuthorization } from "../service.js";

type Input = Record<string, unknown>;
type Context = Record<string, string | string[]>;

function requestTags(tags: unknown): Context {
  const list = (Array.isArray(tags) ? (tags as unknown[]) : []).filter(
    (t): t is { Key?: string; Value?: string } => typeof t === "object" && t !== null,
  );
  const out: Context = { "aws:TagKeys": list.map((t) => t.Key ?? "") };
  for (const t of list) out[`aws:RequestTag/${t.Key}`] = t.Value ?? "";
  return out;
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");

export function ecrAuthorization(opts: {
  store: Store;
  /** Compile a repository policy (a resource-based policy), cached by text. */
  compilePolicy: (text: string) => CompiledPolicy;
  /** `ecr`, or `ecr-public` for ECR Public (whose one registry is `public`). */
  prefix: "ecr" | "ecr-public";
}): ServiceAuthorization {
  const { store, prefix } = opts;
  const facts = recordCache<RepositoryFacts | undefined>(store, K.repository);
  const registryOf = (info: AuthzInfo) => (prefix === "ecr-public" ? PUBLIC_REGISTRY : info.region);

  /** The check of a repository by name: its ARN, tags and policy. */
  function repository(info: AuthzInfo, name: string, extra?: Omit<AuthzCheck, "resource">): AuthzCheck {
    const registry = registryOf(info);
    const load = () =>
      facts.get(repoKey(registry, name), async () => {
        const rec = await store.read((tx) => tx.get<RepositoryRecord>(K.repository, repoKey(registry, name)));
        return rec ? repositoryFacts(rec.value, opts.compilePolicy) : undefined;
      });
    return {
      resource: repositoryArn(registry, info.accountId, name),
      tags: async () => (await load())?.tags,
      resourcePolicy: async () => (await load())?.policy,
      ...extra,
    };
  }

  const named: AuthzResolver<Input> = (input, info) => [repository(info, text(input.repositoryName))];

  /** The tagging operations: the ARN given; a repository of this registry brings its tags and policy. */
  const taggable =
    (context: (input: Input) => Context | undefined): AuthzResolver<Input> =>
    (input, info) => {
      const arn = text(input.resourceArn);
      const extra = context(input);
      const marker = ":repository/";
      const at = arn.indexOf(marker);
      const name = at < 0 ? "" : arn.slice(at + marker.length);
      if (name !== "" && arn === repositoryArn(registryOf(info), info.accountId, name)) {
        return [repository(info, name, extra ? { context: extra } : undefined)];
      }
      return [{ resource: arn || "*", ...(extra ? { context: extra } : {}) }];
    };

  const operations: Record<string, AuthzResolver<Input>> = {
    CreateRepository: (input, info) => {
      const registry = registryOf(info);
      const resource = repositoryArn(registry, info.accountId, text(input.repositoryName));
      const context = requestTags(input.tags);
      const checks: AuthzCheck[] = [{ resource, context }];
      if (Array.isArray(input.tags) && input.tags.length > 0) {
        checks.push({ action: `${prefix}:TagResource`, resource, context });
      }
      return checks;
    },
    DescribeRepositories: (input, info) => {
      const names = Array.isArray(input.repositoryNames) ? (input.repositoryNames as unknown[]) : undefined;
      if (names) return [...new Set(names.map(text))].map((n) => repository(info, n));
      return [{ resource: repositoryArn(registryOf(info), info.accountId, "*") }];
    },
    DeleteRepository: named,
    DescribeImages: named,
    BatchDeleteImage: named,
  };
  if (prefix === "ecr") {
    for (const op of [
      "BatchCheckLayerAvailability",
      "BatchGetImage",
      "CompleteLayerUpload",
      "DeleteLifecyclePolicy",
      "DeleteRepositoryPolicy",
      "GetDownloadUrlForLayer",
      "GetLifecyclePolicy",
      "GetLifecyclePolicyPreview",
      "GetRepositoryPolicy",
      "InitiateLayerUpload",
      "ListImages",
      "PutImage",
      "PutImageScanningConfiguration",
      "PutImageTagMutability",
      "PutLifecyclePolicy",
      "SetRepositoryPolicy",
      "StartLifecyclePolicyPreview",
      "UploadLayerPart",
    ]) {
      operations[op] = named;
    }
    operations.TagResource = taggable((input) => requestTags(input.tags));
    operations.UntagResource = taggable((input) => ({
      "aws:TagKeys": Array.isArray(input.tagKeys) ? (input.tagKeys as string[]) : [],
    }));
    operations.ListTagsForResource = taggable(() => undefined);
  } else {
    operations.GetAuthorizationToken = () => [
      { resource: "*" },
      {
        action: "sts:GetServiceBearerToken",
        resource: "*",
        context: { "sts:AWSServiceName": "ecr-public.amazonaws.com" },
      },
    ];
  }
  return {
    operations: operations as ServiceAuthorization["operations"],
    ...(prefix === "ecr" ? { resourceTagKeys: ["ecr:ResourceTag/"] } : {}),
    resourcePolicyBindsRoot: true,
  };
}
