/**
 * The Store contract: every Store implementation (SQLite today, PostgreSQL later) must pass this
 * suite. Run it with `storeContract(name, factory)`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Change, type Store, VersionConflict } from "../../src/state/store.js";

export function storeContract(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
    });
    after(async () => {
      await cleanup();
    });

    it("puts and gets a record with version 1, then 2", async () => {
      const r1 = await store.write((tx) => tx.put("k", "a/1", { x: 1 }));
      assert.equal(r1.version, 1);
      const r2 = await store.write((tx) => tx.put("k", "a/1", { x: 2 }));
      assert.equal(r2.version, 2);
      const got = await store.read((tx) => tx.get<{ x: number }>("k", "a/1"));
      assert.deepEqual(got, { kind: "k", key: "a/1", version: 2, value: { x: 2 } });
    });

    it("keeps kinds apart", async () => {
      await store.write((tx) => tx.put("k1", "same", 1));
      await store.write((tx) => tx.put("k2", "same", 2));
      assert.equal((await store.read((tx) => tx.get("k1", "same")))?.value, 1);
      assert.equal((await store.read((tx) => tx.get("k2", "same")))?.value, 2);
    });

    it("refuses a put or delete whose expected version is stale", async () => {
      await store.write((tx) => tx.put("cas", "x", "v1"));
      await assert.rejects(
        store.write((tx) => tx.put("cas", "x", "v2", { expectVersion: 0 })),
        VersionConflict,
      );
      await assert.rejects(
        store.write((tx) => tx.put("cas", "x", "v2", { expectVersion: 2 })),
        VersionConflict,
      );
      await store.write((tx) => tx.put("cas", "x", "v2", { expectVersion: 1 }));
      await assert.rejects(
        store.write((tx) => tx.delete("cas", "x", { expectVersion: 1 })),
        VersionConflict,
      );
      assert.equal(await store.write((tx) => tx.delete("cas", "x", { expectVersion: 2 })), true);
      assert.equal(await store.write((tx) => tx.delete("cas", "x")), false);
      await store.write((tx) => tx.put("cas", "new", 1, { expectVersion: 0 }));
    });

    it("rolls a transaction back entirely when its function throws", async () => {
      await assert.rejects(
        store.write(async (tx) => {
          await tx.put("rb", "a", 1);
          await tx.put("rb", "b", 2);
          throw new Error("boom");
        }),
        /boom/,
      );
      assert.equal(await store.read((tx) => tx.count("rb")), 0);
    });

    it("scans by prefix, in order, after a key, reversed and limited", async () => {
      await store.write(async (tx) => {
        for (const k of ["p/c", "p/a", "p/b", "q/a", "p/d"]) await tx.put("scan", k, k);
      });
      const keys = async (o: Parameters<Store["read"]> extends never ? never : object) =>
        (await store.read((tx) => tx.scan("scan", o))).map((r) => r.key);
      assert.deepEqual(await keys({ prefix: "p/" }), ["p/a", "p/b", "p/c", "p/d"]);
      assert.deepEqual(await keys({ prefix: "p/", after: "p/b" }), ["p/c", "p/d"]);
      assert.deepEqual(await keys({ prefix: "p/", reverse: true, limit: 2 }), ["p/d", "p/c"]);
      assert.deepEqual(await keys({ prefix: "p/", reverse: true, after: "p/c" }), ["p/b", "p/a"]);
      // `after` outside the prefix's range bounds nothing, or everything.
      assert.deepEqual(await keys({ prefix: "p/", after: "a" }), ["p/a", "p/b", "p/c", "p/d"]);
      assert.deepEqual(await keys({ prefix: "p/", after: "z" }), []);
      assert.deepEqual(await keys({ prefix: "p/", reverse: true, after: "z" }), ["p/d", "p/c", "p/b", "p/a"]);
      assert.deepEqual(await keys({ prefix: "p/", reverse: true, after: "a" }), []);
      assert.deepEqual(await keys({ after: "p/d" }), ["q/a"]);
      assert.deepEqual(await keys({ reverse: true, after: "p/b" }), ["p/a"]);
      assert.deepEqual(await keys({}), ["p/a", "p/b", "p/c", "p/d", "q/a"]);
      assert.equal(await store.read((tx) => tx.count("scan", "p/")), 4);
      assert.equal(await store.read((tx) => tx.count("scan")), 5);
    });

    it("treats prefix characters literally (no wildcards)", async () => {
      await store.write(async (tx) => {
        await tx.put("lit", "a%b", 1);
        await tx.put("lit", "a_b", 2);
        await tx.put("lit", "axb", 3);
      });
      assert.deepEqual(
        (await store.read((tx) => tx.scan("lit", { prefix: "a%" }))).map((r) => r.key),
        ["a%b"],
      );
      assert.deepEqual(
        (await store.read((tx) => tx.scan("lit", { prefix: "a_" }))).map((r) => r.key),
        ["a_b"],
      );
    });

    it("runs transactions one at a time, so read-modify-write never loses an update", async () => {
      await store.write((tx) => tx.put("ctr", "n", 0));
      await Promise.all(
        Array.from({ length: 50 }, () =>
          store.write(async (tx) => {
            const cur = await tx.get<number>("ctr", "n");
            await new Promise((r) => setImmediate(r));
            await tx.put("ctr", "n", (cur?.value ?? 0) + 1);
          }),
        ),
      );
      assert.equal((await store.read((tx) => tx.get<number>("ctr", "n")))?.value, 50);
    });

    it("does not let a read see a write that has not committed", async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const writing = store.write(async (tx) => {
        await tx.put("iso", "x", "uncommitted");
        await gate;
        throw new Error("abort");
      });
      const reading = store.read((tx) => tx.get("iso", "x"));
      release();
      await assert.rejects(writing, /abort/);
      assert.equal(await reading, undefined);
    });

    it("records every commit in the change feed, in order, and notifies subscribers after commit", async () => {
      const head = await store.headSeq();
      const seen: Change[] = [];
      const unsubscribe = store.subscribe((changes) => seen.push(...changes));
      await store.write(async (tx) => {
        await tx.put("feed", "a", 1);
        await tx.put("feed", "b", 1);
      });
      await store.write((tx) => tx.delete("feed", "a"));
      await assert.rejects(
        store.write(async (tx) => {
          await tx.put("feed", "never", 1);
          throw new Error("x");
        }),
      );
      unsubscribe();
      await store.write((tx) => tx.put("feed", "after-unsubscribe", 1));
      assert.deepEqual(
        seen.map((c) => [c.kind, c.key, c.op, c.version]),
        [
          ["feed", "a", "put", 1],
          ["feed", "b", "put", 1],
          ["feed", "a", "delete", 1],
        ],
      );
      const since = await store.changesSince(head);
      assert.deepEqual(
        since.map((c) => c.key),
        ["a", "b", "a", "after-unsubscribe"],
      );
      for (let i = 1; i < since.length; i++) assert.ok(since[i]!.seq > since[i - 1]!.seq);
      assert.equal(await store.headSeq(), since.at(-1)!.seq);
    });

    it("tells a transaction the sequence number of the newest change it can see", async () => {
      const before = await store.read((tx) => tx.seq());
      const inside = await store.write(async (tx) => {
        await tx.put("seqs", "a", 1);
        return tx.seq();
      });
      assert.ok(inside > before);
      assert.equal(await store.read((tx) => tx.seq()), inside);
      assert.equal(await store.headSeq(), inside);
    });

    it("refuses writes in a read transaction and use of a finished transaction", async () => {
      await assert.rejects(
        store.read(async (tx) =>
          (tx as unknown as { put: (k: string, key: string, v: unknown) => Promise<unknown> }).put(
            "x",
            "y",
            1,
          ),
        ),
      );
      let leaked: { get: (k: string, key: string) => Promise<unknown> } | undefined;
      await store.read(async (tx) => {
        leaked = tx;
      });
      await assert.rejects(leaked!.get("x", "y"));
    });

    it("wipes everything and marks the wipe in the change feed", async () => {
      await store.write((tx) => tx.put("w", "a", 1));
      const before = await store.headSeq();
      await store.wipe();
      assert.equal(await store.read((tx) => tx.count("w")), 0);
      assert.equal(await store.read((tx) => tx.count("k")), 0);
      const after = await store.headSeq();
      assert.ok(after > before, "sequence numbers keep growing across a wipe");
    });
  });
}
