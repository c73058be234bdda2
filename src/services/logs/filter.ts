/**
 * FilterLogEvents: the events of many streams of a group, merged in (timestamp, stream name, seq)
 * order, that match a filter pattern. Each stream is read as a range scan from the start of the
 * time range (or from where the previous page stopped); streams whose events all lie outside the
 * range are not read at all, which keeps `aws logs tail --follow` polls cheap.
 *
 * A call reads at most SCAN_BUDGET events. Like AWS, it may then answer with fewer events than
 * asked (even none) and a nextToken; without a nextToken the search is complete.
 */
import type {
  FilteredLogEvent,
  FilterLogEventsRequest,
  FilterLogEventsResponse,
} from "@aws-sdk/client-cloudwatch-logs";
import { groupNameOf } from "../../domain/logs/arns.js";
import { violations } from "../../domain/logs/constraints.js";
import { compileFilterPattern } from "../../domain/logs/filter-pattern.js";
import { eventSize, MAX_BATCH_BYTES, MAX_BATCH_EVENTS } from "../../domain/logs/ingest.js";
import { eventId, type Gap, gapAfter } from "../../domain/logs/tokens.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { MinHeap } from "../../lib/heap.js";
import { eventPrefix, eventsFrom, type StoredEvent } from "../../state/logs/events.js";
import { padSeq, padTs } from "../../state/logs/kinds.js";
import { allStreams, getStream, type LogStreamRecord, listStreamsByName } from "../../state/logs/streams.js";
import type { ReadTx, Store, StoredRecord } from "../../state/store.js";
import type { Handler } from "../service.js";
import { requireGroup, resumeAfter, tokenFor } from "./common.js";

/** Events examined per call at most (matching or not). */
export const SCAN_BUDGET = 25_000;

interface Position {
  ts: number;
  seq: number;
  stream: string;
}

const positionKey = (p: Position) => `${padTs(p.ts)}:${padSeq(p.seq)}:${p.stream}`;

function parsePosition(key: string): Position | undefined {
  const m = /^(\d{15}):(\d{12}):(.*)$/s.exec(key);
  return m ? { ts: Number(m[1]), seq: Number(m[2]), stream: m[3]! } : undefined;
}

/** Reads one stream's events in order, in batches that grow from small. */
class Cursor {
  private buf: StoredEvent[] = [];
  private i = 0;
  private batch = 32;
  private exhausted = false;

  constructor(
    readonly stream: LogStreamRecord,
    private readonly tx: ReadTx,
    private readonly prefix: string,
    private from: Gap,
    private readonly endTs: number | undefined,
  ) {}

  head(): StoredEvent | undefined {
    return this.buf[this.i];
  }

  advance(): void {
    this.i++;
  }

  /** Make head() valid; false when the stream has no more events in range. */
  async fill(): Promise<boolean> {
    if (this.i < this.buf.length) return true;
    if (this.exhausted) return false;
    const page = await eventsFrom(this.tx, this.prefix, this.from, this.batch);
    this.exhausted = page.length < this.batch;
    this.batch = Math.min(this.batch * 2, 1024);
    const inRange = this.endTs === undefined ? page : page.filter((e) => e.ts <= this.endTs!);
    if (inRange.length < page.length) this.exhausted = true;
    this.buf = inRange;
    this.i = 0;
    if (page.length > 0) this.from = gapAfter(page.at(-1)!);
    return this.buf.length > 0;
  }
}

const before = (a: Cursor, b: Cursor) => {
  const x = a.head()!;
  const y = b.head()!;
  return x.ts !== y.ts
    ? x.ts < y.ts
    : a.stream.name !== b.stream.name
      ? a.stream.name < b.stream.name
      : x.seq < y.seq;
};

/** Where a stream resumes after `p`, in (timestamp, stream name, seq) order. */
function resumeGap(stream: string, p: Position): Gap {
  if (stream > p.stream) return { ts: p.ts, seq: 0 };
  if (stream < p.stream) return { ts: p.ts + 1, seq: 0 };
  return { ts: p.ts, seq: p.seq + 1 };
}

export function filterHandlers(store: Store) {
  const filterLogEvents: Handler<FilterLogEventsRequest, FilterLogEventsResponse> = async (input, ctx) => {
    const v = violations()
      .groupName("logGroupName", input.logGroupName)
      .identifier("logGroupIdentifier", input.logGroupIdentifier)
      .length("logStreamNames", input.logStreamNames, 1, 100)
      .streamName("logStreamNamePrefix", input.logStreamNamePrefix)
      .range("startTime", input.startTime, 0)
      .range("endTime", input.endTime, 0)
      .length("filterPattern", input.filterPattern, 0, 1024)
      .nextToken("nextToken", input.nextToken)
      .range("limit", input.limit, 1, MAX_BATCH_EVENTS);
    input.logStreamNames?.forEach((n, i) => {
      v.streamName(`logStreamNames.${i + 1}.member`, n);
    });
    v.throwIfAny();
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
      throw new AwsError(
        Errors.InvalidParameter,
        "logStreamNames and logStreamNamePrefix are mutually exclusive; specify only one.",
      );
    }
    const group = groupNameOf(ctx, input);
    const matches = compileFilterPattern(input.filterPattern);
    const limit = input.limit ?? MAX_BATCH_EVENTS;
    // Both ends of the range are inclusive.
    const startTs = input.startTime ?? 0;
    const endTs = input.endTime;
    const list = `FilterLogEvents:${group}`;
    const resumeKey = resumeAfter(list, input.nextToken);
    const resume = resumeKey === undefined ? undefined : parsePosition(resumeKey);
    if (resumeKey !== undefined && !resume)
      throw new AwsError(Errors.InvalidParameter, "The specified nextToken is invalid.");

    return store.read(async (tx) => {
      await requireGroup(tx, ctx.region, group);
      let streams: StoredRecord<LogStreamRecord>[];
      if (input.logStreamNames) {
        streams = [];
        for (const name of new Set(input.logStreamNames)) {
          const s = await getStream(tx, ctx.region, group, name);
          if (s) streams.push(s);
        }
      } else if (input.logStreamNamePrefix !== undefined) {
        streams = await streamsWithPrefix(tx, ctx.region, group, input.logStreamNamePrefix);
      } else {
        streams = await allStreams(tx, ctx.region, group);
      }
      const heap = new MinHeap<Cursor>(before);
      for (const { value: s } of streams) {
        if (s.events === 0 || s.lastEventTimestamp! < startTs) continue;
        if (endTs !== undefined && s.firstEventTimestamp! > endTs) continue;
        let from: Gap = { ts: startTs, seq: 0 };
        if (resume) {
          const g = resumeGap(s.name, resume);
          if (g.ts > from.ts || (g.ts === from.ts && g.seq > from.seq)) from = g;
        }
        const c = new Cursor(s, tx, eventPrefix(ctx.region, group, s.id), from, endTs);
        if (await c.fill()) heap.push(c);
      }

      const events: FilteredLogEvent[] = [];
      let bytes = 0;
      let scanned = 0;
      let last: Position | undefined;
      let stopped = false;
      while (heap.size > 0) {
        const c = heap.peek()!;
        const e = c.head()!;
        if (scanned >= SCAN_BUDGET) {
          stopped = true;
          break;
        }
        if (matches(e.message)) {
          const size = eventSize(e.message);
          if (events.length >= limit || bytes + size > MAX_BATCH_BYTES) {
            stopped = true;
            break;
          }
          bytes += size;
          events.push({
            logStreamName: c.stream.name,
            timestamp: e.ts,
            message: e.message,
            ingestionTime: e.ingestionTime,
            eventId: eventId(e.ts, c.stream.id, e.seq),
          });
        }
        scanned++;
        last = { ts: e.ts, seq: e.seq, stream: c.stream.name };
        heap.pop();
        c.advance();
        if (await c.fill()) heap.push(c);
      }
      return {
        events,
        searchedLogStreams: [],
        ...(stopped && last ? { nextToken: tokenFor(list, positionKey(last)) } : {}),
      };
    });
  };

  return { FilterLogEvents: filterLogEvents };
}

async function streamsWithPrefix(
  tx: ReadTx,
  region: string,
  group: string,
  prefix: string,
): Promise<StoredRecord<LogStreamRecord>[]> {
  const out: StoredRecord<LogStreamRecord>[] = [];
  let afterName: string | undefined;
  for (;;) {
    const page = await listStreamsByName(tx, region, group, {
      namePrefix: prefix,
      limit: 1000,
      ...(afterName !== undefined ? { afterName } : {}),
    });
    out.push(...page);
    if (page.length < 1000) return out;
    afterName = page.at(-1)!.value.name;
  }
}
