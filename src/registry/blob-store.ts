/**
 * Content-addressed blob storage for the registry. Blobs are immutable and named by their digest;
 * uploads are private scratch areas that become a blob only through `commitUpload`, which verifies
 * the digest and publishes atomically: a reader sees the whole blob or nothing, even after a crash.
 *
 * The store knows nothing of repositories: which repository may see which blob is recorded in the
 * state store (layer links). Garbage collection deletes blobs through `delete`; callers make sure it
 * never races a commit (see gc.ts).
 */
import type { Readable } from "node:stream";

export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
  /** Epoch ms of the commit (file modification time for the filesystem store). */
  readonly committedAt: number;
}

export interface UploadInfo {
  readonly id: string;
  /** Bytes received so far. */
  readonly size: number;
  /** Epoch ms of the last change. */
  readonly updatedAt: number;
}

/** The bytes committed do not hash to the digest the client named. */
export class DigestMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`digest mismatch: expected ${expected}, content hashes to ${actual}`);
    this.name = "DigestMismatch";
  }
}

/** An append did not start where the upload ends. */
export class OffsetMismatch extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`upload is at offset ${actual}, append started at ${expected}`);
    this.name = "OffsetMismatch";
  }
}

/** The upload id names no upload in progress. */
export class UploadNotFound extends Error {
  constructor(readonly id: string) {
    super(`no upload ${id}`);
    this.name = "UploadNotFound";
  }
}

export interface BlobStore {
  /** Size and commit time of a blob, or undefined when absent. */
  stat(digest: string): Promise<BlobInfo | undefined>;
  /** Stream a blob, or a byte range of it (inclusive `end`). Undefined when absent. */
  read(digest: string, range?: { start: number; end: number }): Promise<Readable | undefined>;
  /** A whole blob in one buffer (for blobs small enough to hold), or undefined when absent. */
  readAll(digest: string): Promise<Buffer | undefined>;
  /** Store bytes under their digest (verified); a no-op when the blob exists. */
  put(digest: string, data: Buffer): Promise<BlobInfo>;
  /** Remove a blob; true when it existed. */
  delete(digest: string): Promise<boolean>;
  /** Every committed blob (garbage collection). */
  list(): AsyncIterable<BlobInfo>;

  /** Start an empty upload. `id` is chosen by the caller (a UUID). */
  createUpload(id: string): Promise<void>;
  /** The upload's progress, or undefined when there is no such upload. */
  uploadInfo(id: string): Promise<UploadInfo | undefined>;
  /**
   * Append bytes at `offset`, which must be the upload's current size (OffsetMismatch otherwise).
   * Resolves to the new size. `tap`, when given, sees every chunk as it is written, in order.
   */
  append(id: string, offset: number, data: Readable | Buffer, tap?: (chunk: Buffer) => void): Promise<number>;
  /**
   * Verify the upload hashes to `digest` and publish it as that blob; the upload is gone afterwards
   * either way except on DigestMismatch, where it remains so the client can see its state (and
   * cancel it).
   */
  commitUpload(id: string, digest: string): Promise<BlobInfo>;
  /** Discard an upload; true when it existed. */
  abortUpload(id: string): Promise<boolean>;
  listUploads(): AsyncIterable<UploadInfo>;
}
