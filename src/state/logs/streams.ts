import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K, padTs } from "./kinds.js";

export interface LogStreamRecord {
  name: string;
  /** 16 hex digits, random: the events of this stream are keyed by it, not by the name. */
  id: string;
  createdAt: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  /** The seq the next event gets. */
  nextSeq: number;
  /** PutLogEvents calls so far (the sequence token). */
  uploads: number;
  /** Events and message bytes currently stored. */
  events: number;
  bytes: number;
}

export const streamPrefix = (region: string, group: string) => `${region}/${group}:`;
export const streamKey = (region: string, group: string, name: string) =>
  `${streamPrefix(region, group)}${name}`;
const timeKey = (region: string, group: string, rec: LogStreamRecord) =>
  `${streamPrefix(region, group)}${padTs(rec.lastEventTimestamp ?? 0)}:${rec.name}`;

export const getStream = (tx: ReadTx, region: string, group: string, name: string) =>
  tx.get<LogStreamRecord>(K.stream, streamKey(region, group, name));

/** Write a stream and keep the by-last-event-time index in step. `prev` is what was stored. */
export async function putStream(
  tx: WriteTx,
  region: string,
  group: string,
  rec: LogStreamRecord,
  prev?: StoredRecord<LogStreamRecord>,
): Promise<void> {
  await tx.put(K.stream, streamKey(region, group, rec.name), rec, { expectVersion: prev?.version ?? 0 });
  if (prev && prev.value.lastEventTimestamp === rec.lastEventTimestamp) return;
  if (prev) await tx.delete(K.streamByTime, timeKey(region, group, prev.value));
  await tx.put(K.streamByTime, timeKey(region, group, rec), {});
}

/** Remove a stream; its events are left to the purge loop (see K.purge). */
export async function deleteStream(
  tx: WriteTx,
  region: string,
  group: string,
  rec: StoredRecord<LogStreamRecord>,
): Promise<void> {
  await tx.delete(K.stream, streamKey(region, group, rec.value.name));
  await tx.delete(K.streamByTime, timeKey(region, group, rec.value));
  if (rec.value.events > 0) await tx.put(K.purge, `${streamPrefix(region, group)}${rec.value.id}`, {});
}

/** Streams in name order (or reverse), names starting with `namePrefix`, after `afterName`. */
export function listStreamsByName(
  tx: ReadTx,
  region: string,
  group: string,
  opts: { namePrefix?: string; afterName?: string; limit: number; reverse?: boolean },
): Promise<StoredRecord<LogStreamRecord>[]> {
  return tx.scan<LogStreamRecord>(K.stream, {
    prefix: streamPrefix(region, group) + (opts.namePrefix ?? ""),
    ...(opts.afterName !== undefined ? { after: streamKey(region, group, opts.afterName) } : {}),
    limit: opts.limit,
    reverse: opts.reverse ?? false,
  });
}

/**
 * Streams ordered by last event time (streams without events count as 0), then name. `after` is
 * the index key of the last stream of the previous page.
 */
export async function listStreamsByTime(
  tx: ReadTx,
  region: string,
  group: string,
  opts: { after?: string; limit: number; reverse?: boolean },
): Promise<{ indexKey: string; stream: StoredRecord<LogStreamRecord> }[]> {
  const prefix = streamPrefix(region, group);
  const index = await tx.scan<object>(K.streamByTime, {
    prefix,
    ...(opts.after !== undefined ? { after: opts.after } : {}),
    limit: opts.limit,
    reverse: opts.reverse ?? false,
  });
  const out: { indexKey: string; stream: StoredRecord<LogStreamRecord> }[] = [];
  for (const r of index) {
    const name = r.key.slice(prefix.length + 16);
    const stream = await getStream(tx, region, group, name);
    if (stream) out.push({ indexKey: r.key, stream });
  }
  return out;
}

/** Every stream of a group, in name order. */
export async function allStreams(
  tx: ReadTx,
  region: string,
  group: string,
): Promise<StoredRecord<LogStreamRecord>[]> {
  const out: StoredRecord<LogStreamRecord>[] = [];
  let afterName: string | undefined;
  for (;;) {
    const page = await listStreamsByName(tx, region, group, {
      limit: 1000,
      ...(afterName !== undefined ? { afterName } : {}),
    });
    out.push(...page);
    if (page.length < 1000) return out;
    afterName = page.at(-1)!.value.name;
  }
}
