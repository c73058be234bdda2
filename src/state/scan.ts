import type { ReadTx, ScanOptions, StoredRecord } from "./store.js";

/**
 * Scan in key order, keeping only records that match, until `want` are found or the range ends.
 * Reads in batches so a sparse match over many records does not load them all at once.
 */
export async function scanWhere<T>(
  tx: ReadTx,
  kind: string,
  opts: Omit<ScanOptions, "limit">,
  match: (value: T) => boolean,
  want: number,
  batch = 256,
): Promise<StoredRecord<T>[]> {
  const out: StoredRecord<T>[] = [];
  let after = opts.after;
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
  }
}
