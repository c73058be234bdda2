/** Storing a batch of accepted events: the one write path of PutLogEvents and the agents' LogSink. */
import type { InputEvent } from "../../domain/logs/ingest.js";
import { appendEvents } from "../../state/logs/events.js";
import { type LogGroupRecord, putGroup } from "../../state/logs/groups.js";
import type { LogStreamRecord } from "../../state/logs/streams.js";
import type { StoredRecord, WriteTx } from "../../state/store.js";

export async function storeEvents(
  tx: WriteTx,
  region: string,
  group: StoredRecord<LogGroupRecord>,
  stream: StoredRecord<LogStreamRecord>,
  events: readonly InputEvent[],
  now: number,
): Promise<LogStreamRecord> {
  const { stream: next, bytes } = await appendEvents(tx, region, group.value.name, stream, events, now);
  if (bytes > 0) {
    await putGroup(
      tx,
      region,
      { ...group.value, storedBytes: group.value.storedBytes + bytes },
      group.version,
    );
  }
  return next;
}
