/**
 * Lifecycle policies: Put/Get/DeleteLifecyclePolicy, Start/GetLifecyclePolicyPreview, and the
 * enforcement pass the scheduler runs. Preview and enforcement both call `lifecycleDecisions`.
 */
import type * as ecr from "@aws-sdk/client-ecr";
import {
  evaluateLifecycle,
  type LifecycleDecision,
  LifecyclePolicyInvalid,
  type LifecycleRule,
  parseLifecyclePolicy,
} from "../../domain/ecr/lifecycle.js";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { deleteImage, listImages } from "../../registry/images.js";
import { K, repoKey } from "../../state/ecr/kinds.js";
import type { RepositoryRecord } from "../../state/ecr/records.js";
import type { ReadTx, Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import { checkRegistryId, type EcrDeps, findRepository, pageLimit } from "./common.js";
import { resolveIdentifier } from "./images.js";

interface PreviewRecord {
  policyText: string;
  createdAt: number;
  results: LifecycleDecision[];
}

function rulesOf(text: string): LifecycleRule[] {
  if (text.length < 100 || text.length > 30720) {
    throw new AwsError(
      Errors.InvalidParameter,
      "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Member must have length between 100 and 30720'",
    );
  }
  try {
    return parseLifecyclePolicy(text);
  } catch (err) {
    if (err instanceof LifecyclePolicyInvalid) {
      throw new AwsError(
        Errors.InvalidParameter,
        `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${err.message}'`,
      );
    }
    throw err;
  }
}

/**
 * What the rules expire in `repo` at `now`. Images that an index in the repository lists are left
 * out: expiring them would break the index.
 */
export async function lifecycleDecisions(
  tx: ReadTx,
  repo: RepositoryRecord,
  rules: LifecycleRule[],
  now: number,
): Promise<LifecycleDecision[]> {
  const images = (await listImages(tx, repo)).map((r) => r.value);
  const children = new Set(images.flatMap((i) => i.manifests));
  const candidates = images
    .filter((i) => !children.has(i.digest))
    .map((i) => ({ digest: i.digest, tags: i.tags, pushedAt: i.pushedAt }));
  return evaluateLifecycle(rules, candidates, now);
}

/** Enforce every repository's lifecycle policy (the scheduled pass). Returns how many images expired. */
export async function enforceLifecyclePolicies(store: Store, now: number): Promise<number> {
  const repos = await store.read((tx) => tx.scan<RepositoryRecord>(K.repository));
  let expired = 0;
  for (const r of repos) {
    if (r.value.lifecyclePolicy === undefined) continue;
    expired += await store.write(async (tx) => {
      const cur = await tx.get<RepositoryRecord>(K.repository, r.key);
      if (!cur?.value.lifecyclePolicy) return 0;
      let rules: LifecycleRule[];
      try {
        rules = parseLifecyclePolicy(cur.value.lifecyclePolicy);
      } catch {
        return 0;
      }
      const decisions = await lifecycleDecisions(tx, cur.value, rules, now);
      for (const d of decisions) await deleteImage(tx, cur.value, d.digest);
      await tx.put(
        K.repository,
        cur.key,
        { ...cur.value, lifecycleEvaluatedAt: now },
        { expectVersion: cur.version },
      );
      return decisions.length;
    });
  }
  return expired;
}

export function lifecycleHandlers(deps: EcrDeps) {
  const { store } = deps;

  const notFound = (repo: RepositoryRecord) =>
    new AwsError(
      Errors.LifecyclePolicyNotFound,
      `Lifecycle policy does not exist for the repository with name '${repo.name}' in the registry with id '${repo.registryId}'`,
    );

  const putLifecyclePolicy: Handler<ecr.PutLifecyclePolicyRequest, ecr.PutLifecyclePolicyResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    const text = input.lifecyclePolicyText!;
    rulesOf(text);
    return store.write(async (tx) => {
      const rec = await findRepository(tx, ctx.region, input.repositoryName!, ctx.accountId);
      await tx.put(
        K.repository,
        rec.key,
        { ...rec.value, lifecyclePolicy: text, lifecyclePolicyUpdatedAt: ctx.now },
        { expectVersion: rec.version },
      );
      return { registryId: rec.value.registryId, repositoryName: rec.value.name, lifecyclePolicyText: text };
    });
  };

  const getLifecyclePolicy: Handler<ecr.GetLifecyclePolicyRequest, ecr.GetLifecyclePolicyResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    return store.read(async (tx) => {
      const rec = await findRepository(tx, ctx.region, input.repositoryName!, ctx.accountId);
      const r = rec.value;
      if (r.lifecyclePolicy === undefined) throw notFound(r);
      return {
        registryId: r.registryId,
        repositoryName: r.name,
        lifecyclePolicyText: r.lifecyclePolicy,
        ...(r.lifecycleEvaluatedAt !== undefined
          ? { lastEvaluatedAt: new Date(r.lifecycleEvaluatedAt) }
          : {}),
      };
    });
  };

  const deleteLifecyclePolicy: Handler<
    ecr.DeleteLifecyclePolicyRequest,
    ecr.DeleteLifecyclePolicyResponse
  > = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    return store.write(async (tx) => {
      const rec = await findRepository(tx, ctx.region, input.repositoryName!, ctx.accountId);
      const { lifecyclePolicy, lifecyclePolicyUpdatedAt: _u, lifecycleEvaluatedAt, ...rest } = rec.value;
      if (lifecyclePolicy === undefined) throw notFound(rec.value);
      await tx.put(K.repository, rec.key, rest, { expectVersion: rec.version });
      return {
        registryId: rest.registryId,
        repositoryName: rest.name,
        lifecyclePolicyText: lifecyclePolicy,
        ...(lifecycleEvaluatedAt !== undefined ? { lastEvaluatedAt: new Date(lifecycleEvaluatedAt) } : {}),
      };
    });
  };

  const startLifecyclePolicyPreview: Handler<
    ecr.StartLifecyclePolicyPreviewRequest,
    ecr.StartLifecyclePolicyPreviewResponse
  > = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    if (input.lifecyclePolicyText !== undefined) rulesOf(input.lifecyclePolicyText);
    return store.write(async (tx) => {
      const rec = await findRepository(tx, ctx.region, input.repositoryName!, ctx.accountId);
      const text = input.lifecyclePolicyText ?? rec.value.lifecyclePolicy;
      if (text === undefined) throw notFound(rec.value);
      // Computed at once: the preview is complete when this call returns.
      const results = await lifecycleDecisions(tx, rec.value, rulesOf(text), ctx.now);
      await tx.put<PreviewRecord>(K.lifecyclePreview, repoKey(rec.value.registry, rec.value.name), {
        policyText: text,
        createdAt: ctx.now,
        results,
      });
      return {
        registryId: rec.value.registryId,
        repositoryName: rec.value.name,
        lifecyclePolicyText: text,
        status: "COMPLETE",
      };
    });
  };

  const getLifecyclePolicyPreview: Handler<
    ecr.GetLifecyclePolicyPreviewRequest,
    ecr.GetLifecyclePolicyPreviewResponse
  > = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    const status = input.filter?.tagStatus ?? "ANY";
    return store.read(async (tx) => {
      const rec = await findRepository(tx, ctx.region, input.repositoryName!, ctx.accountId);
      const repo = rec.value;
      const preview = await tx.get<PreviewRecord>(K.lifecyclePreview, repoKey(repo.registry, repo.name));
      if (!preview) {
        throw new AwsError(
          Errors.LifecyclePolicyPreviewNotFound,
          `There is no dry run for this repository with name '${repo.name}' in the registry with id '${repo.registryId}'`,
        );
      }
      let results = preview.value.results.filter(
        (r) => status === "ANY" || (status === "TAGGED" ? r.tags.length > 0 : r.tags.length === 0),
      );
      if (input.imageIds) {
        if (input.nextToken !== undefined || input.maxResults !== undefined) {
          throw new AwsError(
            Errors.InvalidParameter,
            "maxResults and nextToken cannot be used together with imageIds.",
          );
        }
        const wanted = new Set<string>();
        for (const id of input.imageIds) {
          const r = await resolveIdentifier(tx, repo, id);
          if (r.ok) wanted.add(r.image.value.digest);
          else if (id.imageDigest) wanted.add(id.imageDigest);
        }
        results = results.filter((r) => wanted.has(r.digest));
      }
      const limit = pageLimit(input.maxResults, 100, 100);
      const list = `ecr-lc-preview/${repo.registry}/${repo.name}/${preview.value.createdAt}/${status}`;
      let start = 0;
      if (input.nextToken !== undefined) {
        const after = decodeToken(list, input.nextToken);
        if (after === undefined)
          throw new AwsError(
            Errors.InvalidParameter,
            "Invalid parameter at 'nextToken': the token is not valid.",
          );
        start = Number(after);
      }
      const page = results.slice(start, start + limit);
      const res: ecr.GetLifecyclePolicyPreviewResponse = {
        registryId: repo.registryId,
        repositoryName: repo.name,
        lifecyclePolicyText: preview.value.policyText,
        status: "COMPLETE",
        previewResults: page.map((r) => ({
          ...(r.tags.length > 0 ? { imageTags: [...r.tags] } : {}),
          imageDigest: r.digest,
          imagePushedAt: new Date(r.pushedAt),
          action: { type: "EXPIRE" },
          appliedRulePriority: r.rulePriority,
        })),
        summary: { expiringImageTotalCount: preview.value.results.length },
      };
      if (start + limit < results.length) res.nextToken = encodeToken(list, String(start + limit));
      return res;
    });
  };

  return {
    PutLifecyclePolicy: putLifecyclePolicy,
    GetLifecyclePolicy: getLifecyclePolicy,
    DeleteLifecyclePolicy: deleteLifecyclePolicy,
    StartLifecyclePolicyPreview: startLifecyclePolicyPreview,
    GetLifecyclePolicyPreview: getLifecyclePolicyPreview,
  };
}
