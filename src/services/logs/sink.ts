/**
 * The agents' LogSink: container output that tasks send to awslogs arrives here in batches and is
 * stored as PutLogEvents would store it. A missing stream is created; a missing group is created
 * only when the task asked for it (`awslogs-create-group`), otherwise the whole request fails and
 * the agent keeps the lines and retries (as the awslogs driver on ECS cannot start without its
 * group). Events are sorted by timestamp, empty lines dropped, and events CloudWatch Logs would
 * reject (too old, too new, expired) left out — they could never be stored, so retrying them is
 * pointless.
 */
import type { LogBatch } from "../../agentapi/protocol.js";
import type { LogSink } from "../../agentapi/server.js";
import { violations } from "../../domain/logs/constraints.js";
import { classify } from "../../domain/logs/ingest.js";
import type { Clock } from "../../lib/clock.js";
import type { Logger } from "../../lib/log.js";
import { getGroup, putGroup } from "../../state/logs/groups.js";
import { getStream } from "../../state/logs/streams.js";
import type { Store } from "../../state/store.js";
import { storeEvents } from "./ingest.js";
import { createStream } from "./streams.js";

export function logSink(opts: { store: Store; clock: Clock; log: Logger }): LogSink {
  const warned = new Set<string>();
  const warnOnce = (key: string, msg: string, fields: Record<string, unknown>) => {
    if (warned.has(key)) return;
    warned.add(key);
    opts.log.warn(msg, fields);
  };

  return {
    async put(region: string, batches: readonly LogBatch[]): Promise<void> {
      if (batches.length === 0) return;
      const now = opts.clock.now();
      await opts.store.write(async (tx) => {
        for (const b of batches) {
          const bad = (() => {
            if (
              typeof b?.logGroupName !== "string" ||
              typeof b.logStreamName !== "string" ||
              !Array.isArray(b.events)
            )
              return "a batch needs logGroupName, logStreamName and events";
            try {
              violations()
                .groupName("logGroupName", b.logGroupName)
                .streamName("logStreamName", b.logStreamName)
                .throwIfAny();
              return undefined;
            } catch (err) {
              return (err as Error).message;
            }
          })();
          if (bad) {
            // A name CloudWatch Logs refuses can never be stored: drop, do not retry for ever.
            warnOnce(
              `name:${region}/${String(b?.logGroupName)}/${String(b?.logStreamName)}`,
              "dropping container output",
              {
                region,
                logGroup: b?.logGroupName,
                logStream: b?.logStreamName,
                reason: bad,
              },
            );
            continue;
          }
          let group = await getGroup(tx, region, b.logGroupName);
          if (!group) {
            if (!b.createGroup) {
              warnOnce(
                `group:${region}/${b.logGroupName}`,
                "log group for container output does not exist; create it, or set awslogs-create-group to true. The agent keeps the output and retries.",
                { region, logGroup: b.logGroupName },
              );
              throw new Error(`log group ${b.logGroupName} does not exist in ${region}`);
            }
            group = await putGroup(
              tx,
              region,
              { name: b.logGroupName, createdAt: now, logGroupClass: "STANDARD", tags: {}, storedBytes: 0 },
              0,
            );
          }
          warned.delete(`group:${region}/${b.logGroupName}`);
          let stream = await getStream(tx, region, b.logGroupName, b.logStreamName);
          if (!stream) {
            await createStream(tx, region, b.logGroupName, b.logStreamName, now);
            stream = (await getStream(tx, region, b.logGroupName, b.logStreamName))!;
          }
          const sorted = b.events
            .filter(
              (e) =>
                typeof e.message === "string" && e.message.length > 0 && Number.isSafeInteger(e.timestamp),
            )
            .map((e, i) => ({ e, i }))
            .sort((x, y) => x.e.timestamp - y.e.timestamp || x.i - y.i)
            .map(({ e }) => ({ timestamp: e.timestamp, message: e.message }));
          const { accepted } = classify(sorted, now, group.value.retentionInDays);
          if (accepted.length < sorted.length) {
            opts.log.debug("container output outside CloudWatch Logs' time window left out", {
              logGroup: b.logGroupName,
              logStream: b.logStreamName,
              dropped: sorted.length - accepted.length,
            });
          }
          if (accepted.length > 0) await storeEvents(tx, region, group, stream, accepted, now);
        }
      });
    },
  };
}
