/**
 * Recently pushed or served blobs, in memory. Blobs never change (a digest names its content), so
 * a cached copy can never be stale. Serving from memory skips the read into user space that every
 * response from a file pays (Node has no sendfile), which matters when many clients pull the same
 * image, or pull what was just pushed. An upload's bytes are kept as they arrive (`capture`) and
 * enter the cache when the upload is committed, so they need not be read back.
 *
 * Bounded by total bytes, least recently used out first; blobs larger than `maxEntryBytes` are
 * always streamed from the store. A blob is held as the chunks it arrived in.
 */
import type { BlobStore } from "./blob-store.js";

interface Capture {
  chunks: Buffer[];
  size: number;
}

export class BlobCache {
  private readonly entries = new Map<string, Buffer[]>();
  private readonly sizes = new Map<string, number>();
  private readonly loading = new Map<string, Promise<Buffer[] | undefined>>();
  private readonly captures = new Map<string, Capture>();
  private bytes = 0;
  private captured = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly maxBytes: number,
    private readonly maxEntryBytes: number,
  ) {}

  /** Whether a blob of this size is worth holding in memory. */
  accepts(size: number): boolean {
    return size <= this.maxEntryBytes && size <= this.maxBytes;
  }

  /** The blob's content as chunks, from memory or loaded from the store (undefined when absent). */
  async get(digest: string): Promise<Buffer[] | undefined> {
    const hit = this.entries.get(digest);
    if (hit) {
      // Refresh its place in the LRU order.
      this.entries.delete(digest);
      this.entries.set(digest, hit);
      return hit;
    }
    let pending = this.loading.get(digest);
    if (!pending) {
      pending = this.load(digest).finally(() => this.loading.delete(digest));
      this.loading.set(digest, pending);
    }
    return pending;
  }

  private async load(digest: string): Promise<Buffer[] | undefined> {
    const buf = await this.blobs.readAll(digest);
    if (!buf) return undefined;
    this.put(digest, [buf], buf.length);
    return [buf];
  }

  private put(digest: string, chunks: Buffer[], size: number): void {
    if (!this.accepts(size) || this.entries.has(digest)) return;
    this.entries.set(digest, chunks);
    this.sizes.set(digest, size);
    this.bytes += size;
    for (const k of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.drop(k);
    }
  }

  /** Forget everything (berth reset). */
  clear(): void {
    this.entries.clear();
    this.sizes.clear();
    this.captures.clear();
    this.bytes = 0;
    this.captured = 0;
  }

  /** Forget a blob (it was deleted). */
  drop(digest: string): void {
    if (!this.entries.delete(digest)) return;
    this.bytes -= this.sizes.get(digest) ?? 0;
    this.sizes.delete(digest);
  }

  /**
   * Keep the bytes of upload `id` appended at `offset` as they arrive. Returns a function that
   * takes each chunk; capturing stops (and what was kept is dropped) when the upload is not
   * contiguous or grows past what the cache would hold.
   */
  capture(id: string, offset: number): (chunk: Buffer) => void {
    let cap = this.captures.get(id);
    if (offset === 0 && !cap) {
      cap = { chunks: [], size: 0 };
      this.captures.set(id, cap);
    }
    if (!cap || cap.size !== offset) {
      this.forget(id);
      return () => undefined;
    }
    const c = cap;
    return (chunk) => {
      if (this.captures.get(id) !== c) return;
      if (!this.accepts(c.size + chunk.length) || this.captured + chunk.length > this.maxBytes) {
        this.forget(id);
        return;
      }
      c.chunks.push(chunk);
      c.size += chunk.length;
      this.captured += chunk.length;
    };
  }

  /** Stop capturing upload `id` and release what was kept. */
  forget(id: string): void {
    const cap = this.captures.get(id);
    if (!cap) return;
    this.captures.delete(id);
    this.captured -= cap.size;
  }

  /** The upload was committed as `digest` with `size` bytes: cache what was captured, if whole. */
  committed(id: string, digest: string, size: number): void {
    const cap = this.captures.get(id);
    this.forget(id);
    if (cap && cap.size === size) this.put(digest, cap.chunks, size);
  }
}
