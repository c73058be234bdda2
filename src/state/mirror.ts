/**
 * An in-memory mirror of the records under key prefixes (one cluster's tasks, say), kept current
 * from the store's change feed: after the first full scan, reading a prefix again re-reads only
 * the records written since. The service scheduler reads a whole cluster every pass; with
 * thousands of tasks, parsing them all each time would dominate its cost.
 *
 * Coherence: the feed's listeners run right after each commit, inside the store's single writer,
 * and a read transaction excludes commits, so when a read begins every committed change is already
 * marked. Records handed out are shared with the mirror: callers must not mutate them.
 */
import { WIPE_KIND } from "./sqlite/sqlite-store.js";
import type { ReadTx, Store, StoredRecord } from "./store.js";

interface Entry {
  records: Map<string, StoredRecord<unknown>>;
  /** Keys written since the last read. */
  dirty: Set<string>;
  /** The records in key order, until the next change. */
  sorted: StoredRecord<unknown>[] | undefined;
}

export class PrefixMirror {
  /** By `${kind} ${prefix}`. */
  private readonly entries = new Map<string, Entry>();
  private readonly unsubscribe: () => void;

  /**
   * @param prefixOf the mirrored prefix a key of a mirrored kind belongs to (e.g. its first two
   *   `/`-separated parts), or undefined for keys never mirrored.
   */
  constructor(
    store: Store,
    private readonly kinds: ReadonlySet<string>,
    private readonly prefixOf: (key: string) => string | undefined,
  ) {
    this.unsubscribe = store.subscribe((changes) => {
      for (const c of changes) {
        if (c.kind === WIPE_KIND) {
          this.entries.clear();
          continue;
        }
        if (!this.kinds.has(c.kind)) continue;
        const prefix = this.prefixOf(c.key);
        const e = prefix === undefined ? undefined : this.entries.get(`${c.kind} ${prefix}`);
        if (e) {
          e.dirty.add(c.key);
          e.sorted = undefined;
        }
      }
    });
  }

  /** The records of `kind` under `prefix`, in key order, as a scan in `tx` would return them. */
  async scan<T>(tx: ReadTx, kind: string, prefix: string): Promise<StoredRecord<T>[]> {
    const id = `${kind} ${prefix}`;
    let e = this.entries.get(id);
    if (!e) {
      const all = await tx.scan<unknown>(kind, { prefix });
      e = { records: new Map(all.map((r) => [r.key, r])), dirty: new Set(), sorted: all };
      this.entries.set(id, e);
    }
    for (const key of e.dirty) {
      const rec = await tx.get<unknown>(kind, key);
      if (rec) e.records.set(key, rec);
      else e.records.delete(key);
    }
    e.dirty.clear();
    e.sorted ??= [...e.records.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return e.sorted as StoredRecord<T>[];
  }

  /** Forget a prefix (a cluster no longer scheduled). */
  forget(prefix: string): void {
    for (const kind of this.kinds) this.entries.delete(`${kind} ${prefix}`);
  }

  stop(): void {
    this.unsubscribe();
    this.entries.clear();
  }
}
