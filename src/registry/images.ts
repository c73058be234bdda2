/**
 * Images in a repository, as the OCI registry and the ECR API both change them: put a manifest
 * (verifying every blob and child manifest it needs is in the repository, and tag immutability),
 * delete an image, remove a tag. Each function runs inside the caller's store transaction, so a
 * request changes all of it or none of it.
 */
import { isTagMutable } from "../domain/ecr/mutability.js";
import { imageKey, K, layerKey, referrerKey, tagKey } from "../state/ecr/kinds.js";
import type {
  ImageRecord,
  LayerRecord,
  ReferrerRecord,
  RepositoryRecord,
  TagRecord,
} from "../state/ecr/records.js";
import type { ReadTx, StoredRecord, WriteTx } from "../state/store.js";
import { type Algorithm, digestOf, parseDigest } from "./digest.js";
import { imageSize, ManifestInvalid, type ParsedManifest, parseManifest } from "./manifest.js";

export type ImageErrorKind =
  | "manifestInvalid"
  | "digestMismatch"
  | "blobsMissing"
  | "manifestsMissing"
  | "tagImmutable"
  | "alreadyExists"
  | "tagInvalid";

/** A push or delete refused for a reason both front ends report in their own words. */
export class ImageError extends Error {
  constructor(
    readonly kind: ImageErrorKind,
    message: string,
    /** The digests missing (blobsMissing, manifestsMissing). */
    readonly digests: string[] = [],
  ) {
    super(message);
    this.name = "ImageError";
  }
}

export interface PutImageInput {
  bytes: Buffer;
  contentType?: string | undefined;
  tag?: string | undefined;
  /** The digest the client addressed the manifest by, when it did. */
  digest?: string | undefined;
  now: number;
  /**
   * `registry`: re-pushing an identical image is a no-op (docker push). `api`: PutImage, which
   * answers ImageAlreadyExistsException when nothing would change.
   */
  mode: "registry" | "api";
}

export interface PutImageResult {
  image: ImageRecord;
  parsed: ParsedManifest;
  created: boolean;
}

const sortedInsert = (list: string[], v: string) => (list.includes(v) ? list : [...list, v].sort());

export const getImage = (tx: ReadTx, repo: RepositoryRecord, digest: string) =>
  tx.get<ImageRecord>(K.image, imageKey(repo.registry, repo.name, digest));

export const getTag = (tx: ReadTx, repo: RepositoryRecord, tag: string) =>
  tx.get<TagRecord>(K.tag, tagKey(repo.registry, repo.name, tag));

export const getLayer = (tx: ReadTx, registry: string, name: string, digest: string) =>
  tx.get<LayerRecord>(K.layer, layerKey(registry, name, digest));

/** Record that a blob is available in a repository (after an upload, a mount, or an existing blob). */
export async function linkLayer(
  tx: WriteTx,
  registry: string,
  name: string,
  digest: string,
  size: number,
  now: number,
): Promise<void> {
  const key = layerKey(registry, name, digest);
  const prev = await tx.get<LayerRecord>(K.layer, key);
  // Refreshing linkedAt keeps a just-pushed, not yet referenced blob out of GC's reach.
  await tx.put<LayerRecord>(K.layer, key, { size, linkedAt: Math.max(now, prev?.value.linkedAt ?? 0) });
}

/** Resolve a tag or digest to its image. */
export async function resolveImage(
  tx: ReadTx,
  repo: RepositoryRecord,
  reference: string,
): Promise<StoredRecord<ImageRecord> | undefined> {
  if (parseDigest(reference)) return getImage(tx, repo, reference);
  const tag = await getTag(tx, repo, reference);
  return tag ? getImage(tx, repo, tag.value.digest) : undefined;
}

export async function listImages(tx: ReadTx, repo: RepositoryRecord): Promise<StoredRecord<ImageRecord>[]> {
  return tx.scan<ImageRecord>(K.image, { prefix: `${repo.registry}/${repo.name}@` });
}

export async function putImage(
  tx: WriteTx,
  repo: RepositoryRecord,
  input: PutImageInput,
): Promise<PutImageResult> {
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(input.bytes, input.contentType);
  } catch (err) {
    if (err instanceof ManifestInvalid) throw new ImageError("manifestInvalid", err.message);
    throw err;
  }
  const algorithm: Algorithm = (input.digest && parseDigest(input.digest)?.algorithm) || "sha256";
  const digest = digestOf(algorithm, input.bytes);
  if (input.digest && input.digest !== digest) {
    throw new ImageError("digestMismatch", `manifest digest ${digest} does not match ${input.digest}`);
  }
  const missingBlobs: string[] = [];
  for (const b of parsed.blobs) {
    if (!(await getLayer(tx, repo.registry, repo.name, b.digest))) missingBlobs.push(b.digest);
  }
  if (missingBlobs.length > 0) {
    throw new ImageError(
      "blobsMissing",
      `blobs unknown to the repository: ${missingBlobs.join(", ")}`,
      missingBlobs,
    );
  }
  const missingManifests: string[] = [];
  for (const m of parsed.manifests) {
    if (!(await getImage(tx, repo, m.digest))) missingManifests.push(m.digest);
  }
  if (missingManifests.length > 0) {
    throw new ImageError(
      "manifestsMissing",
      `manifests unknown to the repository: ${missingManifests.join(", ")}`,
      missingManifests,
    );
  }

  const existing = await getImage(tx, repo, digest);
  const tag = input.tag;
  let previousOwner: StoredRecord<ImageRecord> | undefined;
  if (tag !== undefined) {
    const current = await getTag(tx, repo, tag);
    if (current && current.value.digest !== digest) {
      if (!isTagMutable(repo, tag)) {
        throw new ImageError(
          "tagImmutable",
          `The image tag '${tag}' already exists in the '${repo.name}' repository and cannot be overwritten because the repository is immutable.`,
        );
      }
      previousOwner = await getImage(tx, repo, current.value.digest);
    }
  }
  if (existing && (tag === undefined || existing.value.tags.includes(tag))) {
    if (input.mode === "api") {
      throw new ImageError(
        "alreadyExists",
        `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ""} already exists in the repository with name '${repo.name}' in registry with id '${repo.registryId}'`,
      );
    }
    return { image: existing.value, parsed, created: false };
  }

  if (previousOwner) {
    await tx.put(K.image, previousOwner.key, {
      ...previousOwner.value,
      tags: previousOwner.value.tags.filter((t) => t !== tag),
    });
  }
  const text = input.bytes.toString("utf8");
  const image: ImageRecord = existing
    ? {
        ...existing.value,
        tags: tag !== undefined ? sortedInsert(existing.value.tags, tag) : existing.value.tags,
      }
    : {
        digest,
        manifest: text,
        mediaType: parsed.mediaType,
        sizeInBytes: imageSize(parsed, input.bytes.length),
        pushedAt: input.now,
        tags: tag !== undefined ? [tag] : [],
        blobs: parsed.blobs.map((b) => b.digest),
        manifests: parsed.manifests.map((m) => m.digest),
        ...(parsed.configMediaType ? { configMediaType: parsed.configMediaType } : {}),
        ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
        ...(parsed.subject ? { subject: parsed.subject.digest } : {}),
        ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
      };
  await tx.put(K.image, imageKey(repo.registry, repo.name, digest), image);
  if (tag !== undefined) await tx.put<TagRecord>(K.tag, tagKey(repo.registry, repo.name, tag), { digest });
  if (!existing && parsed.subject) {
    const ref: ReferrerRecord = {
      mediaType: parsed.mediaType,
      digest,
      size: input.bytes.length,
      ...(parsed.artifactType ? { artifactType: parsed.artifactType } : {}),
      ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
    };
    await tx.put(K.referrer, referrerKey(repo.registry, repo.name, parsed.subject.digest, digest), ref);
  }
  return { image, parsed, created: !existing };
}

/** Indexes in the repository that list `digest` as a child manifest. */
export async function indexesReferencing(
  tx: ReadTx,
  repo: RepositoryRecord,
  digest: string,
): Promise<string[]> {
  const all = await listImages(tx, repo);
  return all.filter((i) => i.value.manifests.includes(digest)).map((i) => i.value.digest);
}

/** Delete an image and every tag on it. Returns the deleted image, or undefined when absent. */
export async function deleteImage(
  tx: WriteTx,
  repo: RepositoryRecord,
  digest: string,
): Promise<ImageRecord | undefined> {
  const rec = await getImage(tx, repo, digest);
  if (!rec) return undefined;
  for (const t of rec.value.tags) await tx.delete(K.tag, tagKey(repo.registry, repo.name, t));
  await tx.delete(K.image, rec.key);
  if (rec.value.subject) {
    await tx.delete(K.referrer, referrerKey(repo.registry, repo.name, rec.value.subject, digest));
  }
  return rec.value;
}

/** Remove one tag. Returns the image it pointed at (with the tag removed), or undefined. */
export async function removeTag(
  tx: WriteTx,
  repo: RepositoryRecord,
  tag: string,
): Promise<ImageRecord | undefined> {
  const t = await getTag(tx, repo, tag);
  if (!t) return undefined;
  await tx.delete(K.tag, t.key);
  const img = await getImage(tx, repo, t.value.digest);
  if (!img) return undefined;
  const next = { ...img.value, tags: img.value.tags.filter((x) => x !== tag) };
  await tx.put(K.image, img.key, next);
  return next;
}

/** Delete every record of a repository's contents (DeleteRepository with force). */
export async function deleteRepositoryContents(tx: WriteTx, repo: RepositoryRecord): Promise<void> {
  for (const kind of [K.image, K.layer, K.referrer]) {
    for (const r of await tx.scan(kind, { prefix: `${repo.registry}/${repo.name}@` }))
      await tx.delete(kind, r.key);
  }
  for (const r of await tx.scan(K.tag, { prefix: `${repo.registry}/${repo.name}:` }))
    await tx.delete(K.tag, r.key);
}
