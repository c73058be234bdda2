/**
 * Repositories: create, describe, delete, settings (tag mutability, scanning), resource tags,
 * repository policies, and the registry-level DescribeRegistry / GetRegistryPolicy.
 */
import type * as ecr from "@aws-sdk/client-ecr";
import { parseArn } from "../../domain/arn.js";
import { mutabilityProblem } from "../../domain/ecr/mutability.js";
import { repositoryArn } from "../../domain/ecr/names.js";
import { PolicyInvalid, validateRepositoryPolicy } from "../../domain/ecr/policy.js";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { deleteRepositoryContents } from "../../registry/images.js";
import { K, repoKey } from "../../state/ecr/kinds.js";
import type { RepositoryRecord } from "../../state/ecr/records.js";
import type { Handler, RequestContext } from "../service.js";
import {
  checkRegistryId,
  checkRepositoryName,
  type EcrDeps,
  findRepository,
  mergeResourceTags,
  pageLimit,
  renderRepository,
  repositoryNotFound,
  validateResourceTags,
} from "./common.js";

type Mutability = RepositoryRecord["imageTagMutability"];

export function checkMutability(
  mutability: string | undefined,
  filters: ecr.ImageTagMutabilityExclusionFilter[] | undefined,
): {
  imageTagMutability: Mutability;
  imageTagMutabilityExclusionFilters?: RepositoryRecord["imageTagMutabilityExclusionFilters"];
} {
  const m = (mutability ?? "MUTABLE") as Mutability;
  if (!["MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION"].includes(m)) {
    throw new AwsError(
      Errors.InvalidParameter,
      `Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION]'`,
    );
  }
  const problem = mutabilityProblem(m, filters);
  if (problem) throw new AwsError(Errors.InvalidParameter, problem);
  return {
    imageTagMutability: m,
    ...(filters && filters.length > 0
      ? {
          imageTagMutabilityExclusionFilters: filters.map((f) => ({
            filterType: "WILDCARD" as const,
            filter: f.filter!,
          })),
        }
      : {}),
  };
}

function checkPolicyText(text: string): void {
  if (text.length > 10240) {
    throw new AwsError(
      Errors.InvalidParameter,
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Member must have length less than or equal to 10240'",
    );
  }
  try {
    validateRepositoryPolicy(text);
  } catch (err) {
    if (err instanceof PolicyInvalid) {
      throw new AwsError(
        Errors.InvalidParameter,
        `Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided: ${err.message}'`,
      );
    }
    throw err;
  }
}

/** Handlers shared with ECR Public take the registry (a region, or `public`) from the request. */
export type RegistryOf = (ctx: RequestContext) => string;
export const privateRegistry: RegistryOf = (ctx) => ctx.region;

export function repositoryHandlers(deps: EcrDeps, registryOf: RegistryOf = privateRegistry) {
  const { store } = deps;

  const createRepository: Handler<ecr.CreateRepositoryRequest, ecr.CreateRepositoryResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    const name = input.repositoryName!;
    checkRepositoryName(name);
    const mutability = checkMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
    const enc = input.encryptionConfiguration;
    if (enc) {
      if (!["AES256", "KMS", "KMS_DSSE"].includes(enc.encryptionType ?? "")) {
        throw new AwsError(
          Errors.InvalidParameter,
          "Invalid parameter at 'encryptionType': must be AES256, KMS or KMS_DSSE",
        );
      }
      if (enc.encryptionType === "AES256" && enc.kmsKey !== undefined) {
        throw new AwsError(
          Errors.InvalidParameter,
          "Invalid parameter: kmsKey can only be specified when encryptionType is KMS or KMS_DSSE.",
        );
      }
    }
    const tags = validateResourceTags(input.tags ?? []);
    if (tags.length > 50) throw new AwsError(Errors.TooManyTags, "A repository can have at most 50 tags.");
    const registry = registryOf(ctx);
    const rec: RepositoryRecord = {
      registry,
      name,
      arn: repositoryArn(registry, ctx.accountId, name),
      registryId: ctx.accountId,
      createdAt: ctx.now,
      ...mutability,
      scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
      encryption:
        enc?.encryptionType === "KMS" || enc?.encryptionType === "KMS_DSSE"
          ? {
              encryptionType: enc.encryptionType,
              kmsKey: enc.kmsKey ?? `arn:aws:kms:${ctx.region}:${ctx.accountId}:alias/aws/ecr`,
            }
          : { encryptionType: "AES256" },
      tags,
    };
    return store.write(async (tx) => {
      if (await tx.get(K.repository, repoKey(registry, name))) {
        throw new AwsError(
          Errors.RepositoryAlreadyExists,
          `The repository with name '${name}' already exists in the registry with id '${ctx.accountId}'`,
        );
      }
      await tx.put(K.repository, repoKey(registry, name), rec, { expectVersion: 0 });
      return { repository: renderRepository(rec, deps.registryHost()) };
    });
  };

  const describeRepositories: Handler<ecr.DescribeRepositoriesRequest, ecr.DescribeRepositoriesResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    const registry = registryOf(ctx);
    return store.read(async (tx) => {
      if (input.repositoryNames) {
        if (input.nextToken !== undefined || input.maxResults !== undefined) {
          throw new AwsError(
            Errors.InvalidParameter,
            "maxResults and nextToken cannot be used together with repositoryNames.",
          );
        }
        if (input.repositoryNames.length < 1 || input.repositoryNames.length > 100) {
          throw new AwsError(Errors.InvalidParameter, "repositoryNames must list 1 to 100 names.");
        }
        const out = [];
        for (const name of input.repositoryNames) {
          const rec = await findRepository(tx, registry, name, ctx.accountId);
          out.push(renderRepository(rec.value, deps.registryHost()));
        }
        return { repositories: out };
      }
      const limit = pageLimit(input.maxResults);
      let after: string | undefined;
      if (input.nextToken !== undefined) {
        after = decodeToken(`ecr-repos/${registry}`, input.nextToken);
        if (after === undefined)
          throw new AwsError(
            Errors.InvalidParameter,
            "Invalid parameter at 'nextToken': the token is not valid.",
          );
      }
      const recs = await tx.scan<RepositoryRecord>(K.repository, {
        prefix: `${registry}/`,
        ...(after ? { after } : {}),
        limit: limit + 1,
      });
      const page = recs.slice(0, limit);
      const res: ecr.DescribeRepositoriesResponse = {
        repositories: page.map((r) => renderRepository(r.value, deps.registryHost())),
      };
      if (recs.length > limit)
        res.nextToken = encodeToken(`ecr-repos/${registry}`, page[page.length - 1]!.key);
      return res;
    });
  };

  const deleteRepository: Handler<ecr.DeleteRepositoryRequest, ecr.DeleteRepositoryResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    const registry = registryOf(ctx);
    return store.write(async (tx) => {
      const rec = await findRepository(tx, registry, input.repositoryName!, ctx.accountId);
      const images = await tx.count(K.image, `${registry}/${rec.value.name}@`);
      if (images > 0 && !input.force) {
        throw new AwsError(
          Errors.RepositoryNotEmpty,
          `The repository with name '${rec.value.name}' in registry with id '${ctx.accountId}' cannot be deleted because it still contains images`,
        );
      }
      await deleteRepositoryContents(tx, rec.value);
      await tx.delete(K.lifecyclePreview, rec.key);
      await tx.delete(K.repository, rec.key);
      return { repository: renderRepository(rec.value, deps.registryHost()) };
    });
  };

  /** Read-modify-write of one repository. */
  const update = <T>(
    ctx: RequestContext,
    name: string,
    fn: (r: RepositoryRecord) => { next?: RepositoryRecord; out: T },
  ) =>
    store.write(async (tx) => {
      const rec = await findRepository(tx, registryOf(ctx), name, ctx.accountId);
      const { next, out } = fn(rec.value);
      if (next) await tx.put(K.repository, rec.key, next, { expectVersion: rec.version });
      return out;
    });

  const putImageTagMutability: Handler<
    ecr.PutImageTagMutabilityRequest,
    ecr.PutImageTagMutabilityResponse
  > = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    const m = checkMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
    return update(ctx, input.repositoryName!, (r) => {
      const { imageTagMutabilityExclusionFilters: _old, ...rest } = r;
      const next: RepositoryRecord = { ...rest, ...m };
      return {
        next,
        out: {
          registryId: r.registryId,
          repositoryName: r.name,
          imageTagMutability: next.imageTagMutability,
          ...(next.imageTagMutabilityExclusionFilters
            ? {
                imageTagMutabilityExclusionFilters: next.imageTagMutabilityExclusionFilters.map((f) => ({
                  ...f,
                })),
              }
            : {}),
        },
      };
    });
  };

  const putImageScanningConfiguration: Handler<
    ecr.PutImageScanningConfigurationRequest,
    ecr.PutImageScanningConfigurationResponse
  > = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    return update(ctx, input.repositoryName!, (r) => ({
      next: { ...r, scanOnPush: input.imageScanningConfiguration!.scanOnPush ?? false },
      out: {
        registryId: r.registryId,
        repositoryName: r.name,
        imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration!.scanOnPush ?? false },
      },
    }));
  };

  const setRepositoryPolicy: Handler<ecr.SetRepositoryPolicyRequest, ecr.SetRepositoryPolicyResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    checkPolicyText(input.policyText!);
    return update(ctx, input.repositoryName!, (r) => ({
      next: { ...r, policy: input.policyText! },
      out: { registryId: r.registryId, repositoryName: r.name, policyText: input.policyText! },
    }));
  };

  const policyNotFound = (r: RepositoryRecord) =>
    new AwsError(
      Errors.RepositoryPolicyNotFound,
      `Repository policy does not exist for the repository with name '${r.name}' in the registry with id '${r.registryId}'`,
    );

  const getRepositoryPolicy: Handler<ecr.GetRepositoryPolicyRequest, ecr.GetRepositoryPolicyResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    return store.read(async (tx) => {
      const rec = await findRepository(tx, registryOf(ctx), input.repositoryName!, ctx.accountId);
      if (rec.value.policy === undefined) throw policyNotFound(rec.value);
      return {
        registryId: rec.value.registryId,
        repositoryName: rec.value.name,
        policyText: rec.value.policy,
      };
    });
  };

  const deleteRepositoryPolicy: Handler<
    ecr.DeleteRepositoryPolicyRequest,
    ecr.DeleteRepositoryPolicyResponse
  > = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    return update(ctx, input.repositoryName!, (r) => {
      if (r.policy === undefined) throw policyNotFound(r);
      const { policy, ...rest } = r;
      return { next: rest, out: { registryId: r.registryId, repositoryName: r.name, policyText: policy } };
    });
  };

  /** The repository an ECR ARN names, in this region and account. */
  const repoOfArn = (ctx: RequestContext, arn: string) => {
    const a = parseArn(arn);
    const prefix = "repository/";
    if (!a || (a.service !== "ecr" && a.service !== "ecr-public") || !a.resource.startsWith(prefix)) {
      throw new AwsError(
        Errors.InvalidParameter,
        `Invalid parameter at 'resourceArn': '${arn}' is not a repository ARN.`,
      );
    }
    const name = a.resource.slice(prefix.length);
    const registry = registryOf(ctx);
    if (a.accountId !== ctx.accountId || arn !== repositoryArn(registry, ctx.accountId, name)) {
      throw repositoryNotFound(name, a.accountId);
    }
    return name;
  };

  const tagResource: Handler<ecr.TagResourceRequest, ecr.TagResourceResponse> = (input, ctx) =>
    update(ctx, repoOfArn(ctx, input.resourceArn!), (r) => ({
      next: { ...r, tags: mergeResourceTags(r.tags, input.tags ?? []) },
      out: {},
    }));

  const untagResource: Handler<ecr.UntagResourceRequest, ecr.UntagResourceResponse> = (input, ctx) =>
    update(ctx, repoOfArn(ctx, input.resourceArn!), (r) => {
      const drop = new Set(input.tagKeys ?? []);
      return { next: { ...r, tags: r.tags.filter((t) => !drop.has(t.Key!)) }, out: {} };
    });

  const listTagsForResource: Handler<ecr.ListTagsForResourceRequest, ecr.ListTagsForResourceResponse> = (
    input,
    ctx,
  ) =>
    store.read(async (tx) => {
      const rec = await findRepository(
        tx,
        registryOf(ctx),
        repoOfArn(ctx, input.resourceArn!),
        ctx.accountId,
      );
      return { tags: rec.value.tags.map((t) => ({ ...t })) };
    });

  const describeRegistry: Handler<ecr.DescribeRegistryRequest, ecr.DescribeRegistryResponse> = (
    _input,
    ctx,
  ) => ({
    registryId: ctx.accountId,
    replicationConfiguration: { rules: [] },
  });

  const getRegistryPolicy: Handler<ecr.GetRegistryPolicyRequest, ecr.GetRegistryPolicyResponse> = (
    _input,
    ctx,
  ) => {
    throw new AwsError(
      Errors.RegistryPolicyNotFound,
      `Registry policy does not exist in the registry with id '${ctx.accountId}'`,
    );
  };

  return {
    CreateRepository: createRepository,
    DescribeRepositories: describeRepositories,
    DeleteRepository: deleteRepository,
    PutImageTagMutability: putImageTagMutability,
    PutImageScanningConfiguration: putImageScanningConfiguration,
    SetRepositoryPolicy: setRepositoryPolicy,
    GetRepositoryPolicy: getRepositoryPolicy,
    DeleteRepositoryPolicy: deleteRepositoryPolicy,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
    DescribeRegistry: describeRegistry,
    GetRegistryPolicy: getRegistryPolicy,
  };
}
