/** Images: ListImages, DescribeImages, BatchGetImage, BatchDeleteImage, PutImage. */
import type * as ecr from "@aws-sdk/client-ecr";
import { isTag } from "../../domain/ecr/names.js";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { parseDigest } from "../../registry/digest.js";
import {
  deleteImage,
  getImage,
  getTag,
  ImageError,
  indexesReferencing,
  putImage,
  removeTag,
} from "../../registry/images.js";
import { K } from "../../state/ecr/kinds.js";
import type { ImageRecord, RepositoryRecord } from "../../state/ecr/records.js";
import type { ReadTx, StoredRecord, WriteTx } from "../../state/store.js";
import type { Handler } from "../service.js";
import { checkRegistryId, type EcrDeps, findRepository, pageLimit } from "./common.js";
import { privateRegistry, type RegistryOf } from "./repositories.js";

const idText = (id: ecr.ImageIdentifier) =>
  `{${[id.imageDigest !== undefined ? `imageDigest:'${id.imageDigest}'` : "", id.imageTag !== undefined ? `imageTag:'${id.imageTag}'` : ""].filter(Boolean).join(", ")}}`;

type Resolved = { ok: true; image: StoredRecord<ImageRecord> } | { ok: false; failure: ecr.ImageFailure };

/** Resolve an ImageIdentifier the way ECR's batch operations do, as a failure rather than a throw. */
export async function resolveIdentifier(
  tx: ReadTx,
  repo: RepositoryRecord,
  id: ecr.ImageIdentifier,
): Promise<Resolved> {
  const failure = (failureCode: ecr.ImageFailureCode, failureReason: string): Resolved => ({
    ok: false,
    failure: { imageId: { ...id }, failureCode, failureReason },
  });
  if (id.imageDigest === undefined && id.imageTag === undefined) {
    return failure("MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null");
  }
  if (id.imageDigest !== undefined && !parseDigest(id.imageDigest)) {
    return failure(
      "InvalidImageDigest",
      "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    );
  }
  if (id.imageTag !== undefined && !isTag(id.imageTag)) {
    return failure(
      "InvalidImageTag",
      "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}'",
    );
  }
  let digest = id.imageDigest;
  if (id.imageTag !== undefined) {
    const t = await getTag(tx, repo, id.imageTag);
    if (!t) return failure("ImageNotFound", "Requested image not found");
    if (digest !== undefined && t.value.digest !== digest) {
      return failure(
        "ImageTagDoesNotMatchDigest",
        "Invalid request parameters: given tag does not map to the given digest",
      );
    }
    digest = t.value.digest;
  }
  const image = await getImage(tx, repo, digest!);
  if (!image) return failure("ImageNotFound", "Requested image not found");
  return { ok: true, image };
}

/** Where a listing resumes: the position a `nextToken` of the same listing names. */
function startAfter(list: string, nextToken: string | undefined): string | undefined {
  if (nextToken === undefined) return undefined;
  const after = decodeToken(list, nextToken);
  if (after === undefined)
    throw new AwsError(Errors.InvalidParameter, "Invalid parameter at 'nextToken': the token is not valid.");
  return after;
}
export function imageDetail(repo: RepositoryRecord, img: ImageRecord): ecr.ImageDetail {
  const d: ecr.ImageDetail = {
    registryId: repo.registryId,
    repositoryName: repo.name,
    imageDigest: img.digest,
    imageSizeInBytes: img.sizeInBytes,
    imagePushedAt: new Date(img.pushedAt),
    imageManifestMediaType: img.mediaType,
    imageStatus: "ACTIVE",
  };
  if (img.tags.length > 0) d.imageTags = [...img.tags];
  if (img.configMediaType) d.artifactMediaType = img.configMediaType;
  if (img.lastPulledAt !== undefined) d.lastRecordedPullTime = new Date(img.lastPulledAt);
  if (img.subject) d.subjectManifestDigest = img.subject;
  return d;
}

function checkTagStatus(filter: { tagStatus?: string } | undefined): "TAGGED" | "UNTAGGED" | "ANY" {
  const s = filter?.tagStatus ?? "ANY";
  if (s !== "TAGGED" && s !== "UNTAGGED" && s !== "ANY") {
    throw new AwsError(
      Errors.InvalidParameter,
      "Invalid parameter at 'filter.tagStatus': must be TAGGED, UNTAGGED or ANY",
    );
  }
  return s;
}

const matchesStatus = (img: ImageRecord, s: "TAGGED" | "UNTAGGED" | "ANY") =>
  s === "ANY" || (s === "TAGGED" ? img.tags.length > 0 : img.tags.length === 0);

/** Delete as BatchDeleteImage does: a tag alone removes the tag, and the image with its last tag. */
export async function batchDelete(
  tx: WriteTx,
  repo: RepositoryRecord,
  ids: readonly ecr.ImageIdentifier[],
): Promise<{ imageIds: ecr.ImageIdentifier[]; failures: ecr.ImageFailure[] }> {
  const imageIds: ecr.ImageIdentifier[] = [];
  const failures: ecr.ImageFailure[] = [];
  for (const id of ids) {
    const r = await resolveIdentifier(tx, repo, id);
    if (!r.ok) {
      failures.push(r.failure);
      continue;
    }
    const img = r.image.value;
    if (id.imageTag !== undefined && id.imageDigest === undefined && img.tags.length > 1) {
      await removeTag(tx, repo, id.imageTag);
      imageIds.push({ imageDigest: img.digest, imageTag: id.imageTag });
      continue;
    }
    const parents = await indexesReferencing(tx, repo, img.digest);
    if (parents.length > 0) {
      failures.push({
        imageId: { ...id },
        failureCode: "ImageReferencedByManifestList",
        failureReason: `Requested image is referenced by manifest list: [${parents.join(", ")}]`,
      });
      continue;
    }
    await deleteImage(tx, repo, img.digest);
    if (img.tags.length === 0) imageIds.push({ imageDigest: img.digest });
    for (const t of img.tags) imageIds.push({ imageDigest: img.digest, imageTag: t });
  }
  return { imageIds, failures };
}

export function imageHandlers(deps: EcrDeps, registryOf: RegistryOf = privateRegistry) {
  const { store } = deps;

  const listImages: Handler<ecr.ListImagesRequest, ecr.ListImagesResponse> = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    const status = checkTagStatus(input.filter);
    const limit = pageLimit(input.maxResults);
    return store.read(async (tx) => {
      const repo = (await findRepository(tx, registryOf(ctx), input.repositoryName!, ctx.accountId)).value;
      const list = `ecr-list-images/${repo.registry}/${repo.name}/${status}`;
      const after = startAfter(list, input.nextToken);
      // One entry per tag, and one per untagged image, in (digest, tag) order.
      const entries: { key: string; id: ecr.ImageIdentifier }[] = [];
      for (const r of await tx.scan<ImageRecord>(K.image, { prefix: `${repo.registry}/${repo.name}@` })) {
        if (!matchesStatus(r.value, status)) continue;
        if (r.value.tags.length === 0)
          entries.push({ key: `${r.value.digest} `, id: { imageDigest: r.value.digest } });
        for (const t of r.value.tags)
          entries.push({ key: `${r.value.digest} ${t}`, id: { imageDigest: r.value.digest, imageTag: t } });
      }
      const start = after === undefined ? 0 : entries.findIndex((e) => e.key > after!);
      const rest = start < 0 ? [] : entries.slice(start);
      const page = rest.slice(0, limit);
      const res: ecr.ListImagesResponse = { imageIds: page.map((e) => e.id) };
      if (rest.length > limit) res.nextToken = encodeToken(list, page[page.length - 1]!.key);
      return res;
    });
  };

  const describeImages: Handler<ecr.DescribeImagesRequest, ecr.DescribeImagesResponse> = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    const status = checkTagStatus(input.filter);
    return store.read(async (tx) => {
      const repo = (await findRepository(tx, registryOf(ctx), input.repositoryName!, ctx.accountId)).value;
      if (input.imageIds) {
        if (input.nextToken !== undefined || input.maxResults !== undefined) {
          throw new AwsError(
            Errors.InvalidParameter,
            "maxResults and nextToken cannot be used together with imageIds.",
          );
        }
        const details: ecr.ImageDetail[] = [];
        const seen = new Set<string>();
        for (const id of input.imageIds) {
          const r = await resolveIdentifier(tx, repo, id);
          if (!r.ok) {
            if (r.failure.failureCode === "ImageNotFound") {
              throw new AwsError(
                Errors.ImageNotFound,
                `The image with imageId ${idText(id)} does not exist within the repository with name '${repo.name}' in the registry with id '${repo.registryId}'`,
              );
            }
            throw new AwsError(
              Errors.InvalidParameter,
              r.failure.failureReason ?? "Invalid image identifier",
            );
          }
          if (seen.has(r.image.value.digest)) continue;
          seen.add(r.image.value.digest);
          details.push(imageDetail(repo, r.image.value));
        }
        return { imageDetails: details };
      }
      const limit = pageLimit(input.maxResults);
      const list = `ecr-describe-images/${repo.registry}/${repo.name}/${status}`;
      const after = startAfter(list, input.nextToken);
      const recs = (
        await tx.scan<ImageRecord>(K.image, {
          prefix: `${repo.registry}/${repo.name}@`,
          ...(after ? { after } : {}),
        })
      ).filter((r) => matchesStatus(r.value, status));
      const page = recs.slice(0, limit);
      const res: ecr.DescribeImagesResponse = { imageDetails: page.map((r) => imageDetail(repo, r.value)) };
      if (recs.length > limit) res.nextToken = encodeToken(list, page[page.length - 1]!.key);
      return res;
    });
  };

  const batchGetImage: Handler<ecr.BatchGetImageRequest, ecr.BatchGetImageResponse> = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    if (input.imageIds!.length < 1 || input.imageIds!.length > 100) {
      throw new AwsError(Errors.InvalidParameter, "imageIds must list 1 to 100 images.");
    }
    return store.read(async (tx) => {
      const repo = (await findRepository(tx, registryOf(ctx), input.repositoryName!, ctx.accountId)).value;
      const images: ecr.Image[] = [];
      const failures: ecr.ImageFailure[] = [];
      for (const id of input.imageIds!) {
        const r = await resolveIdentifier(tx, repo, id);
        if (!r.ok) {
          failures.push(r.failure);
          continue;
        }
        // Berth stores manifests as pushed and does not convert between formats; as ECR does
        // when it cannot transform, the stored manifest is returned whatever acceptedMediaTypes say.
        images.push({
          registryId: repo.registryId,
          repositoryName: repo.name,
          imageId: {
            imageDigest: r.image.value.digest,
            ...(id.imageTag !== undefined ? { imageTag: id.imageTag } : {}),
          },
          imageManifest: r.image.value.manifest,
          imageManifestMediaType: r.image.value.mediaType,
        });
      }
      return { images, failures };
    });
  };

  const batchDeleteImage: Handler<ecr.BatchDeleteImageRequest, ecr.BatchDeleteImageResponse> = (
    input,
    ctx,
  ) => {
    checkRegistryId(input.registryId, ctx);
    if (input.imageIds!.length < 1 || input.imageIds!.length > 100) {
      throw new AwsError(Errors.InvalidParameter, "imageIds must list 1 to 100 images.");
    }
    return store.write(async (tx) => {
      const repo = (await findRepository(tx, registryOf(ctx), input.repositoryName!, ctx.accountId)).value;
      return batchDelete(tx, repo, input.imageIds!);
    });
  };

  const putImageHandler: Handler<ecr.PutImageRequest, ecr.PutImageResponse> = (input, ctx) => {
    checkRegistryId(input.registryId, ctx);
    if (input.imageTag !== undefined && !isTag(input.imageTag)) {
      throw new AwsError(
        Errors.InvalidParameter,
        "Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}''",
      );
    }
    if (input.imageDigest !== undefined && !parseDigest(input.imageDigest)) {
      throw new AwsError(
        Errors.InvalidParameter,
        "Invalid parameter at 'imageDigest': not a sha256 or sha512 digest.",
      );
    }
    return store.write(async (tx) => {
      const repo = (await findRepository(tx, registryOf(ctx), input.repositoryName!, ctx.accountId)).value;
      try {
        const r = await putImage(tx, repo, {
          bytes: Buffer.from(input.imageManifest!, "utf8"),
          contentType: input.imageManifestMediaType,
          tag: input.imageTag,
          digest: input.imageDigest,
          now: ctx.now,
          mode: "api",
        });
        return {
          image: {
            registryId: repo.registryId,
            repositoryName: repo.name,
            imageId: {
              imageDigest: r.image.digest,
              ...(input.imageTag !== undefined ? { imageTag: input.imageTag } : {}),
            },
            imageManifest: r.image.manifest,
            imageManifestMediaType: r.image.mediaType,
          },
        };
      } catch (err) {
        throw putImageError(err, repo);
      }
    });
  };

  return {
    ListImages: listImages,
    DescribeImages: describeImages,
    BatchGetImage: batchGetImage,
    BatchDeleteImage: batchDeleteImage,
    PutImage: putImageHandler,
  };
}

function putImageError(err: unknown, repo: RepositoryRecord): unknown {
  if (!(err instanceof ImageError)) return err;
  switch (err.kind) {
    case "alreadyExists":
      return new AwsError(Errors.ImageAlreadyExists, err.message);
    case "tagImmutable":
      return new AwsError(Errors.ImageTagAlreadyExists, err.message);
    case "digestMismatch":
      return new AwsError(
        Errors.ImageDigestDoesNotMatch,
        `The image digest does not match the manifest: ${err.message}`,
      );
    case "blobsMissing":
      return new AwsError(
        Errors.LayersNotFound,
        `Layers with digests '[${err.digests.join(", ")}]' required for pushing image into repository with name '${repo.name}' in the registry with id '${repo.registryId}' do not exist`,
      );
    case "manifestsMissing":
      return new AwsError(
        Errors.ReferencedImagesNotFound,
        `Manifests with digests '[${err.digests.join(", ")}]' referenced by the image are not in the repository with name '${repo.name}'`,
      );
    default:
      return new AwsError(
        Errors.InvalidParameter,
        `Invalid parameter at 'ImageManifest' failed to satisfy constraint: '${err.message}'`,
      );
  }
}
