/**
 * Record kinds of CloudWatch Logs state and their key layouts. Keys start with the region. A log
 * group name never contains `:` and a stream name never contains `:` or `*`, so `:` separates the
 * parts of a key unambiguously and `${region}/${group}:` is a prefix that no other group shares.
 *
 * Events are one record each, keyed so that a stream's events sort by (timestamp, seq): reading a
 * time range is a range scan. Numbers are zero-padded so that string order is numeric order.
 */
export const K = {
  /** `${region}/${group}` → LogGroupRecord */
  group: "logs.group",
  /** `${region}/${group}:${stream}` → LogStreamRecord */
  stream: "logs.stream",
  /** `${region}/${group}:${lastEventTimestamp padded}:${stream}` → {} — DescribeLogStreams by LastEventTime */
  streamByTime: "logs.stream-by-time",
  /** `${region}/${group}:${streamId}:${timestamp padded 15}:${seq padded 12}` → LogEventRecord */
  event: "logs.event",
  /** `${region}/${group}:${streamId}` → {} — events of a deleted stream, removed in the background */
  purge: "logs.purge",
} as const;

export const padTs = (ts: number) => String(ts).padStart(15, "0");
export const padSeq = (seq: number) => String(seq).padStart(12, "0");
