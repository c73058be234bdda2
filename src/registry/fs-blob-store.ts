/**
 * BlobStore on the local filesystem.
 *
 *   <root>/blobs/<algorithm>/<first two hex>/<hex>   committed blobs, never modified
 *   <root>/uploads/<id>                              uploads in progress (appended in place)
 *   <root>/tmp/                                      scratch for `put`; emptied at open
 *
 * A blob becomes visible only by rename(2) of a complete, verified file into blobs/, so a crash at
 * any moment leaves either the whole blob or none of it; an interrupted upload stays in uploads/
 * where nothing reads it as a blob. With `fsync` the data (and the directory entry) reach the disk
 * before the rename is acknowledged, so a power loss keeps the same promise.
 *
 * Uploads hash as they are appended; the running hash lives in memory and is recomputed from the
 * file when it is missing (after a restart) or out of step.
 */

import type { Hash } from "node:crypto";
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, rmSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type BlobInfo,
  type BlobStore,
  DigestMismatch,
  OffsetMismatch,
  type UploadInfo,
  UploadNotFound,
} from "./blob-store.js";
import { type Algorithm, newHash, parseDigest } from "./digest.js";

const UPLOAD_ID = /^[A-Za-z0-9-]{8,64}$/;
/** With fsync, start flushing an upload's data to disk after this many bytes arrive. */
const FLUSH_BEHIND_BYTES = 8 * 1024 * 1024;

interface RunningHash {
  hash: Hash;
  offset: number;
}

export interface FsBlobStoreOptions {
  root: string;
  /** fsync data and directories before a commit is acknowledged (survives power loss). */
  fsync: boolean;
}

export class FsBlobStore implements BlobStore {
  private readonly root: string;
  private readonly fsync: boolean;
  private readonly hashes = new Map<string, RunningHash>();
  /** Appends and commits of one upload run one at a time. */
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Write-behind: a datasync of an upload's file in progress (fsync mode). */
  private readonly flushes = new Map<string, Promise<void>>();

  private constructor(opts: FsBlobStoreOptions) {
    this.root = opts.root;
    this.fsync = opts.fsync;
  }

  /** Open (creating the layout) and empty the scratch directory, synchronously (start-up). */
  static openSync(opts: FsBlobStoreOptions): FsBlobStore {
    mkdirSync(join(opts.root, "blobs"), { recursive: true, mode: 0o700 });
    mkdirSync(join(opts.root, "uploads"), { recursive: true, mode: 0o700 });
    rmSync(join(opts.root, "tmp"), { recursive: true, force: true });
    mkdirSync(join(opts.root, "tmp"), { recursive: true, mode: 0o700 });
    return new FsBlobStore(opts);
  }

  /** Open (creating the layout) and empty the scratch directory. */
  static async open(opts: FsBlobStoreOptions): Promise<FsBlobStore> {
    const s = new FsBlobStore(opts);
    await mkdir(join(opts.root, "blobs"), { recursive: true, mode: 0o700 });
    await mkdir(join(opts.root, "uploads"), { recursive: true, mode: 0o700 });
    await rm(join(opts.root, "tmp"), { recursive: true, force: true });
    await mkdir(join(opts.root, "tmp"), { recursive: true, mode: 0o700 });
    return s;
  }

  private blobPath(digest: string): string | undefined {
    const d = parseDigest(digest);
    if (!d) return undefined;
    return join(this.root, "blobs", d.algorithm, d.hex.slice(0, 2), d.hex);
  }

  private uploadPath(id: string): string {
    if (!UPLOAD_ID.test(id)) throw new UploadNotFound(id);
    return join(this.root, "uploads", id);
  }

  /**
   * With fsync, flush an upload's data while more is still arriving, so the disk works alongside
   * the network and the sync at commit has little left to do. At most one flush per upload at a time.
   */
  private flushBehind(id: string, path: string): void {
    if (this.flushes.has(id)) return;
    const flush = (async () => {
      const fh = await open(path, "r");
      try {
        await fh.datasync();
      } finally {
        await fh.close();
      }
    })()
      .catch(() => undefined)
      .finally(() => this.flushes.delete(id));
    this.flushes.set(id, flush);
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return run;
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const path = this.blobPath(digest);
    if (!path) return undefined;
    try {
      const st = await stat(path);
      return { digest, size: st.size, committedAt: st.mtimeMs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async read(digest: string, range?: { start: number; end: number }): Promise<Readable | undefined> {
    const path = this.blobPath(digest);
    if (!path) return undefined;
    try {
      // Open first: the descriptor keeps the content readable even if GC unlinks it meanwhile.
      const fh = await open(path, "r");
      return fh.createReadStream({
        ...(range ? { start: range.start, end: range.end } : {}),
        highWaterMark: 1 << 20,
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async readAll(digest: string): Promise<Buffer | undefined> {
    const path = this.blobPath(digest);
    if (!path) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async put(digest: string, data: Buffer): Promise<BlobInfo> {
    const d = parseDigest(digest);
    const path = this.blobPath(digest);
    if (!d || !path) throw new DigestMismatch(digest, "(not a digest)");
    const actual = `${d.algorithm}:${newHash(d.algorithm).update(data).digest("hex")}`;
    if (actual !== digest) throw new DigestMismatch(digest, actual);
    const existing = await this.stat(digest);
    if (existing) return existing;
    const tmp = join(this.root, "tmp", randomBytes(12).toString("hex"));
    const fh = await open(tmp, "wx", 0o600);
    try {
      await fh.writeFile(data);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await this.publish(tmp, path);
    return (await this.stat(digest))!;
  }

  /** Rename a complete file into blobs/, making its directory first. */
  private async publish(from: string, to: string): Promise<void> {
    const dir = to.slice(0, to.lastIndexOf("/"));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(from, to);
    if (this.fsync) {
      const dh = await open(dir, "r");
      try {
        await dh.sync();
      } finally {
        await dh.close();
      }
    }
  }

  async delete(digest: string): Promise<boolean> {
    const path = this.blobPath(digest);
    if (!path) return false;
    return unlinkIfPresent(path);
  }

  async *list(): AsyncIterable<BlobInfo> {
    for (const algorithm of ["sha256", "sha512"] as Algorithm[]) {
      const base = join(this.root, "blobs", algorithm);
      let prefixes: string[];
      try {
        prefixes = await readdir(base);
      } catch {
        continue;
      }
      for (const p of prefixes) {
        let names: string[];
        try {
          names = await readdir(join(base, p));
        } catch {
          continue;
        }
        for (const hex of names) {
          const digest = `${algorithm}:${hex}`;
          if (!parseDigest(digest)) continue;
          const info = await this.stat(digest);
          if (info) yield info;
        }
      }
    }
  }

  async createUpload(id: string): Promise<void> {
    const fh = await open(this.uploadPath(id), "wx", 0o600);
    await fh.close();
    this.hashes.set(id, { hash: newHash("sha256"), offset: 0 });
  }

  async uploadInfo(id: string): Promise<UploadInfo | undefined> {
    try {
      const st = await stat(this.uploadPath(id));
      return { id, size: st.size, updatedAt: st.mtimeMs };
    } catch (err) {
      if (err instanceof UploadNotFound || (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async append(
    id: string,
    offset: number,
    data: Readable | Buffer,
    tap?: (chunk: Buffer) => void,
  ): Promise<number> {
    const path = this.uploadPath(id);
    return this.serial(id, async () => {
      const info = await this.uploadInfo(id);
      if (!info) {
        if (!Buffer.isBuffer(data)) data.resume();
        throw new UploadNotFound(id);
      }
      if (info.size !== offset) {
        if (!Buffer.isBuffer(data)) data.resume();
        throw new OffsetMismatch(offset, info.size);
      }
      let running = this.hashes.get(id);
      if (running && running.offset !== offset) {
        this.hashes.delete(id);
        running = undefined;
      }
      const source = Buffer.isBuffer(data) ? Readable.from([data]) : data;
      let written = offset;
      let unflushed = 0;
      const flushEvery = this.fsync ? FLUSH_BEHIND_BYTES : Number.POSITIVE_INFINITY;
      const flushBehind = () => this.flushBehind(id, path);
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          running?.hash.update(chunk);
          tap?.(chunk);
          written += chunk.length;
          unflushed += chunk.length;
          if (unflushed >= flushEvery) {
            unflushed = 0;
            flushBehind();
          }
          cb(null, chunk);
        },
      });
      try {
        await pipeline(
          source,
          hashing,
          createWriteStream(path, { flags: "r+", start: offset, highWaterMark: 1 << 20 }),
        );
      } catch (err) {
        // Part of what was hashed may not have reached the file: recompute at commit.
        this.hashes.delete(id);
        throw err;
      }
      if (running) running.offset = written;
      return written;
    });
  }

  async commitUpload(id: string, digest: string): Promise<BlobInfo> {
    const path = this.uploadPath(id);
    return this.serial(id, async () => {
      const d = parseDigest(digest);
      const target = this.blobPath(digest);
      const info = await this.uploadInfo(id);
      if (!info) throw new UploadNotFound(id);
      if (!d || !target) throw new DigestMismatch(digest, "(not a digest)");
      let actual: string;
      const running = this.hashes.get(id);
      if (d.algorithm === "sha256" && running && running.offset === info.size) {
        actual = `sha256:${running.hash.copy().digest("hex")}`;
      } else {
        const h = newHash(d.algorithm);
        await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), async (source) => {
          for await (const chunk of source) h.update(chunk as Buffer);
        });
        actual = `${d.algorithm}:${h.digest("hex")}`;
      }
      if (actual !== digest) throw new DigestMismatch(digest, actual);
      this.hashes.delete(id);
      await this.flushes.get(id);
      if (await this.stat(digest)) {
        await unlink(path);
      } else {
        if (this.fsync) {
          const fh = await open(path, "r+");
          try {
            await fh.sync();
          } finally {
            await fh.close();
          }
        }
        await this.publish(path, target);
      }
      return (await this.stat(digest))!;
    });
  }

  async abortUpload(id: string): Promise<boolean> {
    let path: string;
    try {
      path = this.uploadPath(id);
    } catch {
      return false;
    }
    return this.serial(id, async () => {
      this.hashes.delete(id);
      return unlinkIfPresent(path);
    });
  }

  async *listUploads(): AsyncIterable<UploadInfo> {
    for (const id of await readdir(join(this.root, "uploads"))) {
      const info = await this.uploadInfo(id);
      if (info) yield info;
    }
  }
}

/** Remove a file; false if it was not there. */
async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
