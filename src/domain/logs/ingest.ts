/**
 * PutLogEvents rules (pure). A batch holds 1–10,000 events, at most 1,048,576 bytes counted as
 * each message's UTF-8 length plus 26, in chronological order, spanning at most 24 hours. Events
 * more than 14 days old, more than 2 hours in the future, or older than the group's retention are
 * not stored: the call still succeeds and reports them in rejectedLogEventsInfo. Sequence tokens
 * are ignored (AWS stopped checking them in 2023), so InvalidSequenceTokenException and
 * DataAlreadyAcceptedException are never raised.
 */
import type { RejectedLogEventsInfo } from "@aws-sdk/client-cloudwatch-logs";
import { AwsError, Errors } from "../../errors/catalog.js";
import { DAY_MS, violations } from "./constraints.js";

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
export const MAX_AGE_MS = 14 * DAY_MS;
export const MAX_FUTURE_MS = 2 * 3_600_000;
export const MAX_SPAN_MS = DAY_MS;

export interface InputEvent {
  timestamp: number;
  message: string;
}

/** The bytes an event counts for in a batch (and in a response). */
export const eventSize = (message: string) => Buffer.byteLength(message, "utf8") + EVENT_OVERHEAD_BYTES;

/** Refuse a batch the service would refuse as a whole. */
export function validateBatch(events: readonly InputEvent[]): void {
  const v = violations().length("logEvents", events, 1, MAX_BATCH_EVENTS);
  events.forEach((e, i) => {
    v.length(`logEvents.${i + 1}.member.message`, e.message, 1);
    v.range(`logEvents.${i + 1}.member.timestamp`, e.timestamp, 0);
  });
  v.throwIfAny();
  let bytes = 0;
  for (const e of events) bytes += eventSize(e.message);
  if (bytes > MAX_BATCH_BYTES) {
    throw new AwsError(
      Errors.InvalidParameter,
      `Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`,
    );
  }
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.timestamp < events[i - 1]!.timestamp) {
      throw new AwsError(
        Errors.InvalidParameter,
        "Log events in a single PutLogEvents request must be in chronological order.",
      );
    }
  }
  if (events.length > 0 && events.at(-1)!.timestamp - events[0]!.timestamp > MAX_SPAN_MS) {
    throw new AwsError(
      Errors.InvalidParameter,
      "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
    );
  }
}

export interface Classified {
  /** The events to store, in order. */
  accepted: InputEvent[];
  rejected?: RejectedLogEventsInfo;
}

/**
 * Split a chronological batch into what is stored and what is rejected. End indexes are
 * exclusive and the start index inclusive, as the API reference defines them.
 */
export function classify(events: readonly InputEvent[], now: number, retentionDays?: number): Classified {
  const oldest = now - MAX_AGE_MS;
  const newest = now + MAX_FUTURE_MS;
  const expiredBefore = retentionDays === undefined ? undefined : now - retentionDays * DAY_MS;
  const info: RejectedLogEventsInfo = {};
  const accepted: InputEvent[] = [];
  events.forEach((e, i) => {
    const tooOld = e.timestamp < oldest;
    const expired = expiredBefore !== undefined && e.timestamp < expiredBefore;
    if (tooOld) info.tooOldLogEventEndIndex = i + 1;
    if (expired) info.expiredLogEventEndIndex = i + 1;
    if (e.timestamp > newest) info.tooNewLogEventStartIndex ??= i;
    if (!tooOld && !expired && e.timestamp <= newest) accepted.push(e);
  });
  return Object.keys(info).length > 0 ? { accepted, rejected: info } : { accepted };
}
