/**
 * The ECR layer API (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload,
 * BatchCheckLayerAvailability, GetDownloadUrlForLayer) and GetAuthorizationToken. Layer uploads
 * share the registry's upload machinery, so a layer pushed here is the same blob docker pushes.
 */
import type * as ecr from "@aws-sdk/client-ecr";
import { AwsError, Errors } from "../../errors/catalog.js";
import { DigestMismatch, OffsetMismatch, UploadNotFound } from "../../registry/blob-store.js";
import { parseDigest } from "../../registry/digest.js";
import { getLayer } from "../../registry/images.js";
import { DOWNLOAD_URL_TTL_MS, TOKEN_TTL_MS, type TokenSession } from "../../registry/tokens.js";
import type { Handler, RequestContext } from "../service.js";
import { checkRegistryId, type EcrDeps, findRepository } from "./common.js";
import { privateRegistry, type RegistryOf } from "./repositories.js";

/** The part size ECR suggests (and Berth accepts up to the request size limit). */
const PART_SIZE = 10 * 1024 * 1024;

export function layerHandlers(deps: EcrDeps, registryOf: RegistryOf = privateRegistry) {
  const { store, uploads } = deps;

  const repoFor = async (ctx: RequestContext, registryId: string | undefined, name: string) => {
    checkRegistryId(registryId, ctx);
    const repo = (await store.read((tx) => findRepository(tx, registryOf(ctx), name, ctx.accountId))).value;
    return repo;
  };

  const uploadNotFound = (id: string, name: string) =>
    new AwsError(
      Errors.UploadNotFound,
      `Upload with id '${id}' is not found in the repository with name '${name}'`,
    );

  const initiateLayerUpload: Handler<
    ecr.InitiateLayerUploadRequest,
    ecr.InitiateLayerUploadResponse
  > = async (input, ctx) => {
    const repo = await repoFor(ctx, input.registryId, input.repositoryName!);
    const uploadId = await uploads.start(repo.registry, repo.name, ctx.principal.arn, ctx.now);
    return { uploadId, partSize: PART_SIZE };
  };

  const uploadLayerPart: Handler<ecr.UploadLayerPartRequest, ecr.UploadLayerPartResponse> = async (
    input,
    ctx,
  ) => {
    const repo = await repoFor(ctx, input.registryId, input.repositoryName!);
    const id = input.uploadId!;
    const found = await uploads.find(id, repo.registry, repo.name);
    if (!found) throw uploadNotFound(id, repo.name);
    const first = input.partFirstByte!;
    const last = input.partLastByte!;
    const blob = input.layerPartBlob as Uint8Array;
    const bad = (why: string) =>
      new AwsError(Errors.InvalidLayerPart, `The layer part is invalid: ${why}`, {
        registryId: repo.registryId,
        repositoryName: repo.name,
        uploadId: id,
        lastValidByteReceived: found.size - 1,
      });
    if (first !== found.size)
      throw bad(`partFirstByte ${first} must be ${found.size}, the next byte of the upload`);
    if (last < first || last - first + 1 !== blob.length) {
      throw bad(`partLastByte ${last} does not match a part of ${blob.length} bytes starting at ${first}`);
    }
    try {
      const size = await uploads.append(
        id,
        first,
        Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength),
      );
      return {
        registryId: repo.registryId,
        repositoryName: repo.name,
        uploadId: id,
        lastByteReceived: size - 1,
      };
    } catch (err) {
      if (err instanceof OffsetMismatch) throw bad(err.message);
      if (err instanceof UploadNotFound) throw uploadNotFound(id, repo.name);
      throw err;
    }
  };

  const completeLayerUpload: Handler<
    ecr.CompleteLayerUploadRequest,
    ecr.CompleteLayerUploadResponse
  > = async (input, ctx) => {
    const repo = await repoFor(ctx, input.registryId, input.repositoryName!);
    const id = input.uploadId!;
    const digests = input.layerDigests!;
    if (digests.length !== 1)
      throw new AwsError(Errors.InvalidParameter, "layerDigests must contain exactly one digest.");
    const digest = digests[0]!;
    if (!parseDigest(digest)) {
      throw new AwsError(
        Errors.InvalidLayer,
        `The layer digest '${digest}' is not a valid sha256 or sha512 digest.`,
      );
    }
    const found = await uploads.find(id, repo.registry, repo.name);
    if (!found) throw uploadNotFound(id, repo.name);
    if (found.size === 0) {
      throw new AwsError(Errors.EmptyUpload, `The upload with id '${id}' does not contain any layer parts.`);
    }
    if (await store.read((tx) => getLayer(tx, repo.registry, repo.name, digest))) {
      await uploads.cancel(id);
      throw new AwsError(
        Errors.LayerAlreadyExists,
        `The layer '${digest}' already exists in the repository with name '${repo.name}' in registry with id '${repo.registryId}'`,
      );
    }
    try {
      await uploads.finish(id, repo.registry, repo.name, digest, ctx.now);
    } catch (err) {
      if (err instanceof DigestMismatch) {
        throw new AwsError(
          Errors.InvalidLayer,
          `The layer digest calculated for this upload does not match the digest ${digest} you provided (${err.actual}).`,
        );
      }
      if (err instanceof UploadNotFound) throw uploadNotFound(id, repo.name);
      throw err;
    }
    return { registryId: repo.registryId, repositoryName: repo.name, uploadId: id, layerDigest: digest };
  };

  const batchCheckLayerAvailability: Handler<
    ecr.BatchCheckLayerAvailabilityRequest,
    ecr.BatchCheckLayerAvailabilityResponse
  > = async (input, ctx) => {
    const repo = await repoFor(ctx, input.registryId, input.repositoryName!);
    if (input.layerDigests!.length < 1 || input.layerDigests!.length > 100) {
      throw new AwsError(Errors.InvalidParameter, "layerDigests must list 1 to 100 digests.");
    }
    const layers: ecr.Layer[] = [];
    const failures: ecr.LayerFailure[] = [];
    await store.read(async (tx) => {
      for (const d of input.layerDigests!) {
        if (!parseDigest(d)) {
          failures.push({
            layerDigest: d,
            failureCode: "InvalidLayerDigest",
            failureReason: "Invalid layer digest",
          });
          continue;
        }
        const l = await getLayer(tx, repo.registry, repo.name, d);
        if (!l) {
          failures.push({
            layerDigest: d,
            failureCode: "MissingLayerDigest",
            failureReason: "Requested layer is not available",
          });
          continue;
        }
        layers.push({ layerDigest: d, layerAvailability: "AVAILABLE", layerSize: l.value.size });
      }
    });
    return { layers, failures };
  };

  const getDownloadUrlForLayer: Handler<
    ecr.GetDownloadUrlForLayerRequest,
    ecr.GetDownloadUrlForLayerResponse
  > = async (input, ctx) => {
    const repo = await repoFor(ctx, input.registryId, input.repositoryName!);
    const digest = input.layerDigest!;
    if (!parseDigest(digest)) {
      throw new AwsError(
        Errors.InvalidParameter,
        `Invalid parameter at 'layerDigest': '${digest}' is not a digest.`,
      );
    }
    const layer = await store.read((tx) => getLayer(tx, repo.registry, repo.name, digest));
    if (!layer || !(await deps.blobs.stat(digest))) {
      throw new AwsError(
        Errors.LayersNotFound,
        `The specified layer '${digest}' does not exist in the repository with name '${repo.name}' in the registry with id '${repo.registryId}'`,
      );
    }
    const path = `${repo.registry}/${repo.name}`;
    const sig = deps.tokens.signDownload(`${path}@${digest}`, ctx.now + DOWNLOAD_URL_TTL_MS);
    return {
      downloadUrl: `http://${deps.registryHost()}/v2/${path}/blobs/${digest}?X-Berth-Download=${encodeURIComponent(sig)}`,
      layerDigest: digest,
    };
  };

  return {
    InitiateLayerUpload: initiateLayerUpload,
    UploadLayerPart: uploadLayerPart,
    CompleteLayerUpload: completeLayerUpload,
    BatchCheckLayerAvailability: batchCheckLayerAvailability,
    GetDownloadUrlForLayer: getDownloadUrlForLayer,
  };
}

/**
 * An authorization token for the caller, bound to its access key and `registry`, for 12 hours; a
 * role session's token carries the session and expires with it at the latest.
 */
export function issueAuthorizationToken(deps: EcrDeps, ctx: RequestContext, registry: string) {
  const p = ctx.principal;
  const session: TokenSession | undefined =
    p.kind === "assumed-role" && p.role && p.session
      ? {
          role: { ...p.role },
          userId: p.userId,
          name: p.session.name,
          issuedAt: p.session.issuedAt,
          expiresAt: p.session.expiresAt,
          ...(p.session.policy !== undefined ? { policy: p.session.policy } : {}),
          ...(p.session.policyArns ? { policyArns: [...p.session.policyArns] } : {}),
        }
      : undefined;
  const expiresAt = Math.min(ctx.now + TOKEN_TTL_MS, session?.expiresAt ?? Number.POSITIVE_INFINITY);
  const password = deps.tokens.issue({
    accessKeyId: p.accessKeyId,
    principalArn: p.arn,
    registry,
    expiresAt,
    ...(session ? { session } : {}),
  });
  return {
    authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"),
    expiresAt: new Date(expiresAt),
  };
}

export function authorizationTokenHandler(deps: EcrDeps) {
  const getAuthorizationToken: Handler<
    ecr.GetAuthorizationTokenRequest,
    ecr.GetAuthorizationTokenResponse
  > = (input, ctx) => {
    for (const id of input.registryIds ?? []) checkRegistryId(id, ctx);
    return {
      authorizationData: [
        { ...issueAuthorizationToken(deps, ctx, ctx.region), proxyEndpoint: `http://${deps.registryHost()}` },
      ],
    };
  };
  return { GetAuthorizationToken: getAuthorizationToken };
}
