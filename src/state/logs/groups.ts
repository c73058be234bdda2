import { scanWhere } from "../scan.js";
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K } from "./kinds.js";

export interface LogGroupRecord {
  name: string;
  createdAt: number;
  retentionInDays?: number;
  logGroupClass: "STANDARD" | "INFREQUENT_ACCESS";
  tags: Record<string, string>;
  /** UTF-8 bytes of the messages stored in the group's streams. */
  storedBytes: number;
}

export const groupKey = (region: string, name: string) => `${region}/${name}`;

export const getGroup = (tx: ReadTx, region: string, name: string) =>
  tx.get<LogGroupRecord>(K.group, groupKey(region, name));

export const putGroup = (tx: WriteTx, region: string, rec: LogGroupRecord, expectVersion?: number) =>
  tx.put(K.group, groupKey(region, rec.name), rec, expectVersion === undefined ? {} : { expectVersion });

export const deleteGroupRecord = (tx: WriteTx, region: string, name: string) =>
  tx.delete(K.group, groupKey(region, name));

/** Groups in name order whose names start with `prefix`, after `afterName`, that pass `match`. */
export function listGroups(
  tx: ReadTx,
  region: string,
  opts: { prefix?: string; afterName?: string; limit: number; match?: (g: LogGroupRecord) => boolean },
): Promise<StoredRecord<LogGroupRecord>[]> {
  return scanWhere<LogGroupRecord>(
    tx,
    K.group,
    {
      prefix: `${region}/${opts.prefix ?? ""}`,
      ...(opts.afterName !== undefined ? { after: groupKey(region, opts.afterName) } : {}),
    },
    opts.match ?? (() => true),
    opts.limit,
  );
}

/** Every group of every region with a retention policy (the retention loop's work list). */
export async function groupsWithRetention(tx: ReadTx): Promise<{ region: string; group: LogGroupRecord }[]> {
  const out: { region: string; group: LogGroupRecord }[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await tx.scan<LogGroupRecord>(K.group, { ...(after ? { after } : {}), limit: 500 });
    for (const r of page) {
      if (r.value.retentionInDays !== undefined)
        out.push({ region: r.key.slice(0, r.key.indexOf("/")), group: r.value });
    }
    if (page.length < 500) return out;
    after = page.at(-1)!.key;
  }
}
