import type { Gap } from "../../domain/logs/tokens.js";
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K, padSeq, padTs } from "./kinds.js";
import { type LogStreamRecord, putStream } from "./streams.js";

/** The stored value of one event; its timestamp and seq are in its key. */
export interface LogEventRecord {
  m: string;
  /** Ingestion time. */
  i: number;
}

export interface StoredEvent {
  ts: number;
  seq: number;
  message: string;
  ingestionTime: number;
}

export const eventPrefix = (region: string, group: string, streamId: string) =>
  `${region}/${group}:${streamId}:`;

const key = (prefix: string, ts: number, seq: number) => `${prefix}${padTs(ts)}:${padSeq(seq)}`;
/** The key just before every event at or after `gap` (scan `after` is exclusive). */
const beforeGap = (prefix: string, gap: Gap) =>
  gap.seq > 0 ? key(prefix, gap.ts, gap.seq - 1) : `${prefix}${padTs(gap.ts)}:`;

// `...:<15 digits>:<12 digits>`
const TAIL = 15 + 1 + 12;

function toEvent(r: StoredRecord<LogEventRecord>): StoredEvent {
  const tail = r.key.slice(-TAIL);
  return {
    ts: Number(tail.slice(0, 15)),
    seq: Number(tail.slice(16)),
    message: r.value.m,
    ingestionTime: r.value.i,
  };
}

/**
 * Store events (chronological) at the end of a stream's ingestion order and update the stream's
 * counters. Returns the stream as written and the message bytes added.
 */
export async function appendEvents(
  tx: WriteTx,
  region: string,
  group: string,
  stream: StoredRecord<LogStreamRecord>,
  events: readonly { timestamp: number; message: string }[],
  now: number,
): Promise<{ stream: LogStreamRecord; bytes: number }> {
  const s = stream.value;
  const prefix = eventPrefix(region, group, s.id);
  let seq = s.nextSeq;
  let bytes = 0;
  let first = s.firstEventTimestamp;
  let last = s.lastEventTimestamp;
  for (const e of events) {
    await tx.put<LogEventRecord>(K.event, key(prefix, e.timestamp, seq++), { m: e.message, i: now });
    bytes += Buffer.byteLength(e.message, "utf8");
    if (first === undefined || e.timestamp < first) first = e.timestamp;
    if (last === undefined || e.timestamp > last) last = e.timestamp;
  }
  const next: LogStreamRecord = {
    ...s,
    nextSeq: seq,
    uploads: s.uploads + 1,
    events: s.events + events.length,
    bytes: s.bytes + bytes,
  };
  if (events.length > 0) {
    next.lastIngestionTime = now;
    if (first !== undefined) next.firstEventTimestamp = first;
    if (last !== undefined) next.lastEventTimestamp = last;
  }
  await putStream(tx, region, group, next, stream);
  return { stream: next, bytes };
}

/** Up to `limit` events at or after `gap`, oldest first. */
export async function eventsFrom(
  tx: ReadTx,
  prefix: string,
  gap: Gap,
  limit: number,
): Promise<StoredEvent[]> {
  const page = await tx.scan<LogEventRecord>(K.event, { prefix, after: beforeGap(prefix, gap), limit });
  return page.map(toEvent);
}

/** Up to `limit` events before `gap`, newest first. */
export async function eventsBefore(
  tx: ReadTx,
  prefix: string,
  gap: Gap,
  limit: number,
): Promise<StoredEvent[]> {
  const page = await tx.scan<LogEventRecord>(K.event, {
    prefix,
    after: key(prefix, gap.ts, gap.seq),
    limit,
    reverse: true,
  });
  return page.map(toEvent);
}

/** Delete up to `limit` of the oldest events with timestamp < `beforeTs` (all when undefined). */
export async function deleteOldest(
  tx: WriteTx,
  prefix: string,
  beforeTs: number | undefined,
  limit: number,
): Promise<{ deleted: number; bytes: number; more: boolean }> {
  const page = await tx.scan<LogEventRecord>(K.event, { prefix, limit: limit + 1 });
  let deleted = 0;
  let bytes = 0;
  for (const r of page.slice(0, limit)) {
    if (beforeTs !== undefined && toEvent(r).ts >= beforeTs) return { deleted, bytes, more: false };
    await tx.delete(K.event, r.key);
    deleted++;
    bytes += Buffer.byteLength(r.value.m, "utf8");
  }
  const next = page[limit];
  const more = next !== undefined && (beforeTs === undefined || toEvent(next).ts < beforeTs);
  return { deleted, bytes, more };
}

/** The oldest remaining event's timestamp. */
export async function firstTimestamp(tx: ReadTx, prefix: string): Promise<number | undefined> {
  const [r] = await tx.scan<LogEventRecord>(K.event, { prefix, limit: 1 });
  return r ? toEvent(r).ts : undefined;
}
