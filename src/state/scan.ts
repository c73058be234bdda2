import type { ReadTx, ScanOptions, StoredRecord } from "./store.js";

/**
 * Scan in key order, keeping only records that match, until `want` are found or the range ends.
 * Reads in batches that start near `want` and double, so a dense match reads little and a sparse
 * one does not load everything at once.
 */
export async function scanWhere<T>(
  tx: ReadTx,
  kind: string,
  opts: Omit<ScanOptions, "limit">,
  match: (value: T) => boolean,
  want: number,
  maxBatch = 512,
): Promise<StoredRecord<T>[]> {
  const out: StoredRecord<T>[] = [];
  let after = opts.after;
  let batch = Math.min(maxBatch, Math.max(8, want + 1));
  for (;;) {
    const page = await tx.scan<T>(kind, { ...opts, ...(after !== undefined ? { after } : {}), limit: batch });
    for (const r of page) {
      if (match(r.value)) {
        out.push(r);
        if (out.length >= want) return out;
      }
    }
    if (page.length < batch) return out;
    after = page[page.length - 1]!.key;
    batch = Math.min(maxBatch, batch * 2);
  }
}
