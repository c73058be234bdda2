/**
 * Recently served blobs, in memory. Blobs never change (a digest names its content), so a cached
 * copy can never be stale; serving from memory skips the read into user space that every
 * streamed response pays, which matters when many clients pull the same image at once.
 * Bounded by total bytes (least recently used out first); blobs larger than `maxEntryBytes` are
 * always streamed from the store.
 */
import type { BlobStore } from "./blob-store.js";

export class BlobCache {
  private readonly entries = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<Buffer | undefined>>();
  private bytes = 0;

  constructor(
    private readonly blobs: BlobStore,
    private readonly maxBytes: number,
    private readonly maxEntryBytes: number,
  ) {}

  /** Whether a blob of this size is worth holding in memory. */
  accepts(size: number): boolean {
    return size <= this.maxEntryBytes && size <= this.maxBytes;
  }

  /** The blob's content, from memory or loaded from the store (undefined when absent). */
  async get(digest: string): Promise<Buffer | undefined> {
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

  private async load(digest: string): Promise<Buffer | undefined> {
    const buf = await this.blobs.readAll(digest);
    if (!buf) return undefined;
    if (!this.accepts(buf.length)) return buf;
    this.entries.set(digest, buf);
    this.bytes += buf.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
    return buf;
  }

  /** Forget a blob (it was deleted). */
  drop(digest: string): void {
    const v = this.entries.get(digest);
    if (v) {
      this.entries.delete(digest);
      this.bytes -= v.length;
    }
  }
}
