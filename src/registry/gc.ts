/**
 * Registry garbage collection.
 *
 * 1. Unlink: a layer link that no image in its repository references, older than `graceMs`, is
 *    removed (docker pushes layers before the manifest that references them; the grace period
 *    keeps those).
 * 2. Uploads: an upload untouched for `uploadTtlMs` is abandoned and removed, record and bytes.
 * 3. Sweep: holding the GC lock exclusively, every stored blob that no layer link names is
 *    deleted. Upload commits hold the same lock shared from the moment the blob is published until
 *    its link is recorded, so the sweep never sees a committed blob without its link.
 *
 * Manifests live in the state store, not the blob store, so they need no sweeping.
 */
import { K } from "../state/ecr/kinds.js";
import type { ImageRecord, LayerRecord, UploadRecord } from "../state/ecr/records.js";
import type { Store } from "../state/store.js";
import type { BlobStore } from "./blob-store.js";
import type { RwLock } from "./rwlock.js";

export interface GcOptions {
  store: Store;
  blobs: BlobStore;
  lock: RwLock;
  now: number;
  graceMs: number;
  uploadTtlMs: number;
  /** Told of every blob the sweep deletes (the memory cache forgets it). */
  onDelete?: (digest: string) => void;
}

export interface GcResult {
  unlinked: number;
  abandonedUploads: number;
  deletedBlobs: number;
}

/** `registry/name` of a `registry/name@digest` key. */
const repoOfKey = (key: string) => key.slice(0, key.lastIndexOf("@"));

export async function collectGarbage(o: GcOptions): Promise<GcResult> {
  const unlinked = await o.store.write(async (tx) => {
    const used = new Set<string>();
    for (const img of await tx.scan<ImageRecord>(K.image)) {
      const repo = repoOfKey(img.key);
      for (const b of img.value.blobs) used.add(`${repo}@${b}`);
    }
    let n = 0;
    for (const l of await tx.scan<LayerRecord>(K.layer)) {
      if (!used.has(l.key) && o.now - l.value.linkedAt > o.graceMs) {
        await tx.delete(K.layer, l.key);
        n++;
      }
    }
    return n;
  });

  let abandonedUploads = 0;
  const records = await o.store.read((tx) => tx.scan<UploadRecord>(K.upload));
  const known = new Set(records.map((r) => r.key));
  for (const r of records) {
    const info = await o.blobs.uploadInfo(r.key);
    const last = Math.max(r.value.startedAt, info?.updatedAt ?? 0);
    if (o.now - last > o.uploadTtlMs) {
      await o.store.write((tx) => tx.delete(K.upload, r.key));
      await o.blobs.abortUpload(r.key);
      abandonedUploads++;
    }
  }
  for await (const u of o.blobs.listUploads()) {
    // Bytes with no record: a crash between creating the file and recording it, or the reverse.
    if (!known.has(u.id) && o.now - u.updatedAt > o.graceMs) {
      await o.blobs.abortUpload(u.id);
      abandonedUploads++;
    }
  }

  const deletedBlobs = await o.lock.exclusive(async () => {
    const linked = new Set<string>();
    for (const l of await o.store.read((tx) => tx.scan<LayerRecord>(K.layer))) {
      linked.add(l.key.slice(l.key.lastIndexOf("@") + 1));
    }
    let n = 0;
    for await (const b of o.blobs.list()) {
      if (!linked.has(b.digest) && (await o.blobs.delete(b.digest))) {
        o.onDelete?.(b.digest);
        n++;
      }
    }
    return n;
  });
  return { unlinked, abandonedUploads, deletedBlobs };
}
