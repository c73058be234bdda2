/**
 * Values derived from the records of one kind, cached until those records change. The store's
 * change feed drops an entry when its record is written or deleted (listeners run right after
 * commit, before the writing request answers), and everything on a wipe. A load that raced with a
 * change is used but not kept.
 */
import { WIPE_KIND } from "./sqlite/sqlite-store.js";
import type { Change, Store } from "./store.js";

export interface RecordCache<T> {
  get(key: string, load: () => Promise<T>): Promise<T>;
  stop(): void;
}

export function recordCache<T>(store: Store, kind: string, limit = 10_000): RecordCache<T> {
  return cache(store, limit, (values, changes) => {
    let moved = false;
    for (const c of changes) {
      if (c.kind === kind) {
        values.delete(c.key);
        moved = true;
      } else if (c.kind === WIPE_KIND) {
        values.clear();
        moved = true;
      }
    }
    return moved;
  });
}

/**
 * Values derived from all the records of one kind (an index per region, say), dropped whenever any
 * record of that kind changes, and on a wipe. A load that raced with a change is used but not kept.
 */
export function kindCache<T>(store: Store, kind: string, limit = 1_000): RecordCache<T> {
  return cache(store, limit, (values, changes) => {
    if (!changes.some((c) => c.kind === kind || c.kind === WIPE_KIND)) return false;
    values.clear();
    return true;
  });
}

/** A cache whose `invalidate` drops what the changes make stale and says whether anything moved. */
function cache<T>(
  store: Store,
  limit: number,
  invalidate: (values: Map<string, T>, changes: readonly Change[]) => boolean,
): RecordCache<T> {
  const values = new Map<string, T>();
  let epoch = 0;
  const stop = store.subscribe((changes) => {
    if (invalidate(values, changes)) epoch++;
  });
  return {
    async get(key, load) {
      if (values.has(key)) return values.get(key) as T;
      const before = epoch;
      const value = await load();
      if (epoch === before) {
        if (values.size >= limit) values.clear();
        values.set(key, value);
      }
      return value;
    },
    stop,
  };
}
