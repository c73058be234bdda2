/** The registry's in-process helpers: the GC lock and the blob cache. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { describe, it } from "node:test";
import { BlobCache } from "../../src/registry/blob-cache.js";
import { sha256Of } from "../../src/registry/digest.js";
import { FsBlobStore } from "../../src/registry/fs-blob-store.js";
import { RwLock } from "../../src/registry/rwlock.js";
import { tempDir } from "../helpers/berth.js";

describe("RwLock", () => {
  it("lets shared holders overlap and keeps the exclusive holder alone", async () => {
    const lock = new RwLock();
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const a = lock.shared(async () => {
      log.push("a+");
      await held;
      log.push("a-");
    });
    const b = lock.shared(async () => {
      log.push("b+");
      log.push("b-");
    });
    const x = lock.exclusive(async () => {
      log.push("x");
    });
    // A shared request after a waiting exclusive one waits its turn (no writer starvation).
    const c = lock.shared(async () => {
      log.push("c");
    });
    await b;
    assert.deepEqual(log, ["a+", "b+", "b-"]);
    release();
    await Promise.all([a, x, c]);
    assert.deepEqual(log, ["a+", "b+", "b-", "a-", "x", "c"]);
  });
});

describe("BlobCache", () => {
  it("serves captured uploads once committed, loads from the store, and stays within its bound", async () => {
    const dir = await tempDir();
    try {
      const blobs = await FsBlobStore.open({ root: dir, fsync: false });
      const cache = new BlobCache(blobs, 1000, 600);
      // Captured upload: two chunks, committed under its digest.
      const data = randomBytes(500);
      const tap = cache.capture("u1", 0);
      tap(data.subarray(0, 200));
      tap(data.subarray(200));
      await blobs.put(sha256Of(data), data);
      cache.committed("u1", sha256Of(data), 500);
      await blobs.delete(sha256Of(data));
      assert.deepEqual(Buffer.concat((await cache.get(sha256Of(data)))!), data, "served from memory");
      // A capture that does not start at the upload's beginning keeps nothing.
      const late = cache.capture("u2", 100);
      late(randomBytes(10));
      cache.committed("u2", sha256Of("x"), 110);
      assert.equal(await cache.get(sha256Of("x")), undefined);
      // Loaded from the store; the oldest entry leaves when the bound is passed.
      const other = randomBytes(600);
      await blobs.put(sha256Of(other), other);
      assert.deepEqual(Buffer.concat((await cache.get(sha256Of(other)))!), other);
      assert.equal(await cache.get(sha256Of(data)), undefined, "evicted, and gone from the store");
      assert.equal(cache.accepts(601), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
