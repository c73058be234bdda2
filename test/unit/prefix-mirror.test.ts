/** The prefix mirror against the real SQLite store: after any sequence of writes, a mirrored scan equals a fresh one. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PrefixMirror } from "../../src/state/mirror.js";
import { SqliteStore } from "../../src/state/sqlite/sqlite-store.js";
import type { Store } from "../../src/state/store.js";

const prefixOf = (key: string) => key.split("/").slice(0, 2).join("/").concat("/");

async function same(store: Store, mirror: PrefixMirror, kind: string, prefix: string) {
  const [mirrored, fresh] = await store.read(async (tx) => [
    await mirror.scan(tx, kind, prefix),
    await tx.scan(kind, { prefix }),
  ]);
  assert.deepEqual(
    mirrored.map((r) => [r.key, r.version, r.value]),
    fresh.map((r) => [r.key, r.version, r.value]),
  );
}

describe("prefix mirror", () => {
  it("follows puts, updates, deletes and wipes, per kind and prefix", async () => {
    const store = new SqliteStore({ path: ":memory:" });
    const mirror = new PrefixMirror(store, new Set(["a", "b"]), prefixOf);
    await store.write(async (tx) => {
      for (let i = 0; i < 20; i++) await tx.put("a", `r/c1/${String(i).padStart(2, "0")}`, { i });
      await tx.put("a", "r/c2/x", { other: true });
      await tx.put("b", "r/c1/y", { b: 1 });
    });
    await same(store, mirror, "a", "r/c1/");
    await same(store, mirror, "b", "r/c1/");
    await store.write(async (tx) => {
      await tx.put("a", "r/c1/05", { i: 55 });
      await tx.delete("a", "r/c1/07");
      await tx.put("a", "r/c1/99", { new: true });
      await tx.put("a", "r/c1/00-first", { new: true });
      await tx.put("a", "r/c2/y", { other: true });
    });
    await same(store, mirror, "a", "r/c1/");
    await same(store, mirror, "a", "r/c2/");
    // Random churn.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 30; round++) {
      await store.write(async (tx) => {
        for (let j = 0; j < 5; j++) {
          const key = `r/c1/${String(rnd(30)).padStart(2, "0")}`;
          if (rnd(3) === 0) await tx.delete("a", key);
          else await tx.put("a", key, { round, j });
        }
      });
      if (round % 3 === 0) await same(store, mirror, "a", "r/c1/");
    }
    await same(store, mirror, "a", "r/c1/");
    await store.wipe();
    await same(store, mirror, "a", "r/c1/");
    await store.write((tx) => tx.put("a", "r/c1/after", { wiped: true }));
    await same(store, mirror, "a", "r/c1/");
    mirror.stop();
    await store.close();
  });
});
