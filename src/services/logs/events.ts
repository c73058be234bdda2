import type {
  GetLogEventsRequest,
  GetLogEventsResponse,
  OutputLogEvent,
  PutLogEventsRequest,
  PutLogEventsResponse,
} from "@aws-sdk/client-cloudwatch-logs";
import { groupNameOf } from "../../domain/logs/arns.js";
import { violations } from "../../domain/logs/constraints.js";
import {
  classify,
  eventSize,
  type InputEvent,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  validateBatch,
} from "../../domain/logs/ingest.js";
import {
  decodeGapToken,
  encodeGapToken,
  type Gap,
  gapAfter,
  gapBefore,
  sequenceToken,
} from "../../domain/logs/tokens.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { eventPrefix, eventsBefore, eventsFrom, type StoredEvent } from "../../state/logs/events.js";
import type { Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import { INVALID_TOKEN, requireGroup, requireStream, type With } from "./common.js";
import { storeEvents } from "./ingest.js";

const cmp = (a: Gap, b: Gap) => a.ts - b.ts || a.seq - b.seq;
const BATCH = 1000;

export function eventHandlers(store: Store) {
  const putLogEvents: Handler<
    With<PutLogEventsRequest, "logGroupName" | "logStreamName" | "logEvents">,
    PutLogEventsResponse
  > = async (input, ctx) => {
    violations()
      .groupName("logGroupName", input.logGroupName)
      .streamName("logStreamName", input.logStreamName)
      .length("sequenceToken", input.sequenceToken, 1)
      .throwIfAny();
    const events = (input.logEvents ?? []) as InputEvent[];
    validateBatch(events);
    return store.write(async (tx) => {
      const group = await requireGroup(tx, ctx.region, input.logGroupName);
      const stream = await requireStream(tx, ctx.region, input.logGroupName, input.logStreamName);
      const { accepted, rejected } = classify(events, ctx.now, group.value.retentionInDays);
      const next = await storeEvents(tx, ctx.region, group, stream, accepted, ctx.now);
      return {
        nextSequenceToken: sequenceToken(next.uploads),
        ...(rejected ? { rejectedLogEventsInfo: rejected } : {}),
      };
    });
  };

  const getLogEvents: Handler<With<GetLogEventsRequest, "logStreamName">, GetLogEventsResponse> = async (
    input,
    ctx,
  ) => {
    violations()
      .groupName("logGroupName", input.logGroupName)
      .identifier("logGroupIdentifier", input.logGroupIdentifier)
      .streamName("logStreamName", input.logStreamName)
      .range("startTime", input.startTime, 0)
      .range("endTime", input.endTime, 0)
      .nextToken("nextToken", input.nextToken)
      .range("limit", input.limit, 1, MAX_BATCH_EVENTS)
      .throwIfAny();
    const group = groupNameOf(ctx, input);
    const token = input.nextToken === undefined ? undefined : decodeGapToken(input.nextToken);
    if (input.nextToken !== undefined && !token) throw new AwsError(Errors.InvalidParameter, INVALID_TOKEN);
    const limit = input.limit ?? MAX_BATCH_EVENTS;
    // startTime is inclusive, endTime exclusive.
    const start: Gap = { ts: input.startTime ?? 0, seq: 0 };
    return store.read(async (tx) => {
      await requireGroup(tx, ctx.region, group);
      const stream = (await requireStream(tx, ctx.region, group, input.logStreamName)).value;
      const prefix = eventPrefix(ctx.region, group, stream.id);
      // Past every event in range: the end of the range, or just after the newest event.
      let end: Gap = { ts: input.endTime ?? (stream.lastEventTimestamp ?? -1) + 1, seq: 0 };
      if (cmp(end, start) < 0) end = start;
      const dir = token?.dir ?? (input.startFromHead ? "f" : "b");
      let gap = token?.gap ?? (dir === "f" ? start : end);
      const events: StoredEvent[] = [];
      let bytes = 0;
      const room = (e: StoredEvent) => {
        if (events.length >= limit) return false;
        const size = eventSize(e.message);
        if (bytes + size > MAX_BATCH_BYTES) return false;
        bytes += size;
        return true;
      };
      if (dir === "f") {
        if (cmp(gap, start) < 0) gap = start;
        let from = gap;
        scan: for (;;) {
          const page = await eventsFrom(tx, prefix, from, Math.min(BATCH, limit + 1));
          for (const e of page) {
            if (cmp(e, end) >= 0 || !room(e)) break scan;
            events.push(e);
          }
          if (page.length === 0) break;
          from = gapAfter(page.at(-1)!);
        }
      } else {
        if (cmp(gap, end) > 0) gap = end;
        let before = gap;
        scan: for (;;) {
          const page = await eventsBefore(tx, prefix, before, Math.min(BATCH, limit + 1));
          for (const e of page) {
            if (e.ts < start.ts || !room(e)) break scan;
            events.push(e);
          }
          if (page.length === 0) break;
          before = gapBefore(page.at(-1)!);
        }
        events.reverse();
      }
      // With nothing read, both tokens stay where the reader is: at the end of the stream a
      // forward token comes back unchanged, as AWS documents.
      const here = token?.gap ?? gap;
      const first = events[0];
      const last = events.at(-1);
      return {
        events: events.map(
          (e): OutputLogEvent => ({ timestamp: e.ts, message: e.message, ingestionTime: e.ingestionTime }),
        ),
        nextForwardToken: encodeGapToken("f", last ? gapAfter(last) : here),
        nextBackwardToken: encodeGapToken("b", first ? gapBefore(first) : here),
      };
    });
  };

  return { PutLogEvents: putLogEvents, GetLogEvents: getLogEvents };
}
