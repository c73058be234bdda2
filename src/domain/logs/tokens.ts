/**
 * Positions in a log stream and the tokens that carry them.
 *
 * Events in a stream are ordered by (timestamp, seq), where seq is the stream's own ingestion
 * counter. A *gap* is a place between events: gap (t, s) has every event with (timestamp, seq) <
 * (t, s) before it and every other event after it. GetLogEvents tokens name a gap and a direction,
 * in AWS's form `f/<56 digits>/s` and `b/<56 digits>/s`: a forward token reads the events after
 * the gap, a backward token the events before it. At the end of a stream the token that comes
 * back is the one that went in, as AWS documents.
 */

export interface Gap {
  ts: number;
  seq: number;
}

export type Direction = "f" | "b";

const TS_DIGITS = 16;
const SEQ_DIGITS = 40;

export function encodeGapToken(dir: Direction, gap: Gap): string {
  return `${dir}/${String(gap.ts).padStart(TS_DIGITS, "0")}${String(gap.seq).padStart(SEQ_DIGITS, "0")}/s`;
}

/** Returns undefined for anything that is not a token this encoder made. */
export function decodeGapToken(token: string): { dir: Direction; gap: Gap } | undefined {
  const m = /^([fb])\/(\d{16})(\d{40})\/s$/.exec(token);
  if (!m) return undefined;
  const ts = Number(m[2]);
  const seq = BigInt(m[3]!);
  if (!Number.isSafeInteger(ts) || seq > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { dir: m[1] as Direction, gap: { ts, seq: Number(seq) } };
}

/** The gap just after an event. */
export const gapAfter = (e: Gap): Gap => ({ ts: e.ts, seq: e.seq + 1 });
/** The gap just before an event. */
export const gapBefore = (e: Gap): Gap => ({ ts: e.ts, seq: e.seq });

/**
 * An event's id: a 56-digit decimal number with the timestamp in its high bits (so ids of later
 * events are larger, as on AWS), then the stream's 64-bit id, then the event's seq. Unique within
 * a log group; stable, so `aws logs tail --follow` can tell events it has already shown.
 */
export function eventId(ts: number, streamId: string, seq: number): string {
  const n = (BigInt(ts) << 144n) | (BigInt(`0x${streamId}`) << 64n) | BigInt(seq);
  return n.toString().padStart(56, "0");
}

/** PutLogEvents' nextSequenceToken (ignored by the service since 2023, still returned). */
export const sequenceToken = (uploads: number) => String(uploads).padStart(56, "0");
