/**
 * Blob uploads, shared by the OCI registry (POST/PATCH/PUT under /v2/) and the ECR layer API
 * (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload). An upload is a record in the state
 * store (which repository, who, when) plus bytes in the BlobStore; finishing verifies the digest,
 * publishes the blob and links it into the repository while holding the GC lock shared.
 */
import type { Readable } from "node:stream";
import { uuid } from "../lib/ids.js";
import { K, repoKey } from "../state/ecr/kinds.js";
import type { UploadRecord } from "../state/ecr/records.js";
import type { Store } from "../state/store.js";
import type { BlobInfo, BlobStore } from "./blob-store.js";
import { getLayer, linkLayer } from "./images.js";
import type { RwLock } from "./rwlock.js";

export class Uploads {
  constructor(
    private readonly store: Store,
    private readonly blobs: BlobStore,
    private readonly gcLock: RwLock,
  ) {}

  /** Start an upload into `registry/name`; returns its id. */
  async start(registry: string, name: string, principalArn: string, now: number): Promise<string> {
    const id = uuid();
    await this.store.write((tx) =>
      tx.put<UploadRecord>(
        K.upload,
        id,
        { registry, name, startedAt: now, principalArn },
        { expectVersion: 0 },
      ),
    );
    await this.blobs.createUpload(id);
    return id;
  }

  /** The upload, when it exists and belongs to `registry/name`. */
  async find(
    id: string,
    registry: string,
    name: string,
  ): Promise<{ record: UploadRecord; size: number } | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
    const rec = await this.store.read((tx) => tx.get<UploadRecord>(K.upload, id));
    if (!rec || rec.value.registry !== registry || rec.value.name !== name) return undefined;
    const info = await this.blobs.uploadInfo(id);
    if (!info) return undefined;
    return { record: rec.value, size: info.size };
  }

  append(
    id: string,
    offset: number,
    data: Readable | Buffer,
    tap?: (chunk: Buffer) => void,
  ): Promise<number> {
    return this.blobs.append(id, offset, data, tap);
  }

  /** Verify, publish and link. Throws DigestMismatch (the upload stays) or UploadNotFound. */
  finish(id: string, registry: string, name: string, digest: string, now: number): Promise<BlobInfo> {
    return this.gcLock.shared(async () => {
      const info = await this.blobs.commitUpload(id, digest);
      await this.store.write(async (tx) => {
        await tx.delete(K.upload, id);
        await linkLayer(tx, registry, name, digest, info.size, now);
      });
      return info;
    });
  }

  async cancel(id: string): Promise<void> {
    await this.store.write((tx) => tx.delete(K.upload, id));
    await this.blobs.abortUpload(id);
  }

  /**
   * Link a blob that is already stored (a cross-repository mount, or a layer another repository
   * pushed) without uploading it again. `from` is the repository it must already be linked in;
   * false when it is not there.
   */
  mount(
    digest: string,
    from: { registry: string; name: string },
    to: { registry: string; name: string },
    now: number,
  ): Promise<BlobInfo | undefined> {
    return this.gcLock.shared(async () => {
      const info = await this.blobs.stat(digest);
      if (!info) return undefined;
      return this.store.write(async (tx) => {
        if (!(await tx.get(K.repository, repoKey(to.registry, to.name)))) return undefined;
        if (!(await getLayer(tx, from.registry, from.name, digest))) return undefined;
        await linkLayer(tx, to.registry, to.name, digest, info.size, now);
        return info;
      });
    });
  }
}
