/**
 * Background deletion of log events: events older than their group's retention, and the events of
 * deleted streams and groups (DeleteLogStream and DeleteLogGroup remove the records at once and
 * leave a purge marker, so that deleting a big stream does not hold the store). Each batch is its
 * own transaction, so API requests interleave with a long sweep.
 *
 * AWS deletes expired events "typically within 72 hours"; Berth does it on the next sweep.
 */
import { DAY_MS } from "../../domain/logs/constraints.js";
import type { Clock } from "../../lib/clock.js";
import type { Logger } from "../../lib/log.js";
import { type Loop, startLoop } from "../../lib/loop.js";
import { deleteOldest, eventPrefix, firstTimestamp } from "../../state/logs/events.js";
import { getGroup, groupsWithRetention, putGroup } from "../../state/logs/groups.js";
import { K } from "../../state/logs/kinds.js";
import { allStreams, getStream, putStream } from "../../state/logs/streams.js";
import type { Store } from "../../state/store.js";

const BATCH = 1000;

export interface SweepResult {
  expired: number;
  purged: number;
}

/** Delete every expired event and every event of a deleted stream, as of `now`. */
export async function sweepLogs(store: Store, now: number): Promise<SweepResult> {
  const result: SweepResult = { expired: 0, purged: 0 };

  // Events of deleted streams.
  for (;;) {
    const markers = await store.read((tx) => tx.scan<object>(K.purge, { limit: 100 }));
    if (markers.length === 0) break;
    for (const m of markers) {
      for (;;) {
        const r = await store.write(async (tx) => {
          const d = await deleteOldest(tx, `${m.key}:`, undefined, BATCH);
          if (!d.more) await tx.delete(K.purge, m.key);
          return d;
        });
        result.purged += r.deleted;
        if (!r.more) break;
      }
    }
  }

  // Events past their group's retention.
  const groups = await store.read((tx) => groupsWithRetention(tx));
  for (const { region, group } of groups) {
    const cutoff = now - group.retentionInDays! * DAY_MS;
    const streams = await store.read((tx) => allStreams(tx, region, group.name));
    for (const s of streams) {
      if (s.value.events === 0 || s.value.firstEventTimestamp! >= cutoff) continue;
      for (;;) {
        const more = await store.write(async (tx) => {
          const g = await getGroup(tx, region, group.name);
          const cur = await getStream(tx, region, group.name, s.value.name);
          // Deleted or replaced meanwhile, or its retention changed: the next sweep sees it afresh.
          if (!g || !cur || cur.value.id !== s.value.id || g.value.retentionInDays !== group.retentionInDays)
            return false;
          const prefix = eventPrefix(region, group.name, cur.value.id);
          const d = await deleteOldest(tx, prefix, cutoff, BATCH);
          if (d.deleted === 0) return false;
          result.expired += d.deleted;
          const first = await firstTimestamp(tx, prefix);
          const { firstEventTimestamp: _, ...rest } = cur.value;
          await putStream(
            tx,
            region,
            group.name,
            {
              ...rest,
              ...(first !== undefined ? { firstEventTimestamp: first } : {}),
              events: cur.value.events - d.deleted,
              bytes: cur.value.bytes - d.bytes,
            },
            cur,
          );
          await putGroup(tx, region, { ...g.value, storedBytes: g.value.storedBytes - d.bytes }, g.version);
          return d.more;
        });
        if (!more) break;
      }
    }
  }
  return result;
}

/** The sweep as a Component: a loop every `intervalMs` of the clock's time. */
export function logsRetention(opts: { store: Store; clock: Clock; log: Logger; intervalMs?: number }) {
  let loop: Loop | undefined;
  const tick = async (now: number) => {
    const r = await sweepLogs(opts.store, now);
    if (r.expired + r.purged > 0) opts.log.debug("log events deleted", { ...r });
  };
  return {
    name: "logs-retention",
    async start() {
      loop = startLoop({
        name: "logs-retention",
        intervalMs: opts.intervalMs ?? 60_000,
        clock: opts.clock,
        log: opts.log,
        tick,
        immediate: false,
      });
    },
    async stop() {
      await loop?.stop();
    },
    /** Run a sweep now (tests move a ManualClock, then kick). */
    async kick() {
      if (loop) await loop.kick();
      else await tick(opts.clock.now());
    },
  };
}
