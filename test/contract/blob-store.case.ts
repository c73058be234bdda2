/**
 * The BlobStore contract: every BlobStore implementation must pass this suite. Run it with
 * `blobStoreContract(name, factory)`.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  type BlobStore,
  DigestMismatch,
  OffsetMismatch,
  UploadNotFound,
} from "../../src/registry/blob-store.js";
import { digestOf, sha256Of } from "../../src/registry/digest.js";

async function readAll(r: Readable | undefined): Promise<Buffer> {
  assert.ok(r, "expected a stream");
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function blobStoreContract(
  name: string,
  open: () => Promise<{ store: BlobStore; cleanup(): Promise<void> }>,
) {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(async () => {
      await cleanup();
    });

    it("puts a blob under its digest and reads it back whole and by range", async () => {
      const data = randomBytes(5000);
      const digest = sha256Of(data);
      const info = await store.put(digest, data);
      assert.equal(info.size, 5000);
      assert.deepEqual((await store.stat(digest))?.size, 5000);
      assert.deepEqual(await readAll(await store.read(digest)), data);
      assert.deepEqual(
        await readAll(await store.read(digest, { start: 10, end: 19 })),
        data.subarray(10, 20),
      );
      // Putting the same content again is harmless.
      assert.equal((await store.put(digest, data)).size, 5000);
    });

    it("refuses a put whose content does not match the digest", async () => {
      const digest = sha256Of("something else");
      await assert.rejects(store.put(digest, Buffer.from("not that")), DigestMismatch);
      assert.equal(await store.stat(digest), undefined);
      await assert.rejects(store.put("sha256:../../etc/passwd", Buffer.from("x")), DigestMismatch);
    });

    it("answers undefined for absent or malformed digests", async () => {
      assert.equal(await store.stat(sha256Of("never stored")), undefined);
      assert.equal(await store.read(sha256Of("never stored")), undefined);
      assert.equal(await store.readAll(sha256Of("never stored")), undefined);
      assert.equal(await store.readAll("sha256:../../x"), undefined);
      assert.equal(await store.stat("sha256:../../../etc/passwd"), undefined);
      assert.equal(await store.read("md5:abc"), undefined);
      assert.equal(await store.delete("sha256:.."), false);
    });

    it("supports sha512 digests", async () => {
      const data = randomBytes(100);
      const digest = digestOf("sha512", data);
      await store.put(digest, data);
      assert.deepEqual(await readAll(await store.read(digest)), data);
    });

    it("builds an upload from chunks and commits it as a blob", async () => {
      const id = randomUUID();
      const a = randomBytes(3000);
      const b = randomBytes(7000);
      await store.createUpload(id);
      assert.equal((await store.uploadInfo(id))?.size, 0);
      assert.equal(await store.append(id, 0, a), 3000);
      const seen: Buffer[] = [];
      assert.equal(
        await store.append(id, 3000, Readable.from([b.subarray(0, 10), b.subarray(10)]), (c) => seen.push(c)),
        10000,
      );
      assert.deepEqual(Buffer.concat(seen), b, "the tap sees every appended byte, in order");
      const whole = Buffer.concat([a, b]);
      const digest = sha256Of(whole);
      assert.equal(await store.stat(digest), undefined, "nothing is visible before the commit");
      const info = await store.commitUpload(id, digest);
      assert.equal(info.size, 10000);
      assert.deepEqual(await readAll(await store.read(digest)), whole);
      assert.equal(await store.uploadInfo(id), undefined, "the upload is gone after its commit");
    });

    it("refuses an append that does not start at the upload's end", async () => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.append(id, 0, Buffer.from("hello"));
      await assert.rejects(store.append(id, 3, Buffer.from("xx")), OffsetMismatch);
      await assert.rejects(store.append(id, 9, Buffer.from("xx")), OffsetMismatch);
      assert.equal((await store.uploadInfo(id))?.size, 5);
      await store.abortUpload(id);
    });

    it("keeps an upload whose digest does not match, and publishes nothing", async () => {
      const id = randomUUID();
      await store.createUpload(id);
      await store.append(id, 0, Buffer.from("real content"));
      const claimed = sha256Of("claimed content");
      await assert.rejects(store.commitUpload(id, claimed), DigestMismatch);
      assert.equal(await store.stat(claimed), undefined);
      assert.equal((await store.uploadInfo(id))?.size, 12);
      assert.equal(await store.abortUpload(id), true);
      assert.equal(await store.uploadInfo(id), undefined);
      assert.equal(await store.abortUpload(id), false);
    });

    it("commits an upload whose running hash is unknown (sha512)", async () => {
      const id = randomUUID();
      const data = randomBytes(2048);
      await store.createUpload(id);
      await store.append(id, 0, data);
      const digest = digestOf("sha512", data);
      await store.commitUpload(id, digest);
      assert.deepEqual(await readAll(await store.read(digest)), data);
    });

    it("commits an upload of content that already exists without changing the blob", async () => {
      const data = randomBytes(64);
      const digest = sha256Of(data);
      await store.put(digest, data);
      const id = randomUUID();
      await store.createUpload(id);
      await store.append(id, 0, data);
      assert.equal((await store.commitUpload(id, digest)).size, 64);
      assert.equal(await store.uploadInfo(id), undefined);
    });

    it("answers UploadNotFound for unknown or malformed upload ids", async () => {
      await assert.rejects(store.append(randomUUID(), 0, Buffer.from("x")), UploadNotFound);
      await assert.rejects(store.append("../../x", 0, Buffer.from("x")), UploadNotFound);
      await assert.rejects(store.commitUpload(randomUUID(), sha256Of("x")), UploadNotFound);
      assert.equal(await store.uploadInfo("../x"), undefined);
    });

    it("serialises concurrent appends to one upload", async () => {
      const id = randomUUID();
      await store.createUpload(id);
      const results = await Promise.allSettled([
        store.append(id, 0, Buffer.from("aaaa")),
        store.append(id, 0, Buffer.from("bbbb")),
      ]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      assert.equal(results.filter((r) => r.status === "rejected").length, 1);
      assert.equal((await store.uploadInfo(id))?.size, 4);
      await store.abortUpload(id);
    });

    it("lists blobs and uploads, and deletes blobs", async () => {
      const data = randomBytes(10);
      const digest = sha256Of(data);
      await store.put(digest, data);
      const id = randomUUID();
      await store.createUpload(id);
      assert.ok((await collect(store.list())).some((b) => b.digest === digest && b.size === 10));
      assert.ok((await collect(store.listUploads())).some((u) => u.id === id));
      assert.equal(await store.delete(digest), true);
      assert.equal(await store.delete(digest), false);
      assert.equal(await store.stat(digest), undefined);
      await store.abortUpload(id);
    });

    it("keeps a stream readable while the blob is deleted", async () => {
      const data = randomBytes(100_000);
      const digest = sha256Of(data);
      await store.put(digest, data);
      const stream = await store.read(digest);
      await store.delete(digest);
      assert.deepEqual(await readAll(stream), data);
    });
  });
}
