import type {
  CreateLogStreamRequest,
  DeleteLogStreamRequest,
  DescribeLogStreamsRequest,
  DescribeLogStreamsResponse,
  LogStream,
} from "@aws-sdk/client-cloudwatch-logs";
import { groupNameOf, logStreamArn, type Scope } from "../../domain/logs/arns.js";
import { violations } from "../../domain/logs/constraints.js";
import { sequenceToken } from "../../domain/logs/tokens.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { hexId } from "../../lib/ids.js";
import { putGroup } from "../../state/logs/groups.js";
import {
  deleteStream,
  getStream,
  type LogStreamRecord,
  listStreamsByName,
  listStreamsByTime,
  putStream,
} from "../../state/logs/streams.js";
import type { Store, WriteTx } from "../../state/store.js";
import type { Handler } from "../service.js";
import { requireGroup, requireStream, resumeAfter, tokenFor, type With } from "./common.js";

export function renderStream(s: Scope, group: string, r: LogStreamRecord): LogStream {
  return {
    logStreamName: r.name,
    creationTime: r.createdAt,
    ...(r.firstEventTimestamp !== undefined ? { firstEventTimestamp: r.firstEventTimestamp } : {}),
    ...(r.lastEventTimestamp !== undefined ? { lastEventTimestamp: r.lastEventTimestamp } : {}),
    ...(r.lastIngestionTime !== undefined ? { lastIngestionTime: r.lastIngestionTime } : {}),
    ...(r.uploads > 0 ? { uploadSequenceToken: sequenceToken(r.uploads) } : {}),
    arn: logStreamArn(s, group, r.name),
    // Always 0 for streams since 2019, as on AWS; the group's storedBytes counts them.
    storedBytes: 0,
  };
}

/** Create a stream record (the caller has checked that the group exists and the stream does not). */
export async function createStream(tx: WriteTx, region: string, group: string, name: string, now: number) {
  const rec: LogStreamRecord = {
    name,
    id: hexId(8),
    createdAt: now,
    nextSeq: 0,
    uploads: 0,
    events: 0,
    bytes: 0,
  };
  await putStream(tx, region, group, rec);
  return rec;
}

export function streamHandlers(store: Store) {
  const createLogStream: Handler<
    With<CreateLogStreamRequest, "logGroupName" | "logStreamName">,
    object
  > = async (input, ctx) => {
    violations()
      .groupName("logGroupName", input.logGroupName)
      .streamName("logStreamName", input.logStreamName)
      .throwIfAny();
    await store.write(async (tx) => {
      await requireGroup(tx, ctx.region, input.logGroupName);
      if (await getStream(tx, ctx.region, input.logGroupName, input.logStreamName))
        throw new AwsError(Errors.ResourceAlreadyExists, "The specified log stream already exists");
      await createStream(tx, ctx.region, input.logGroupName, input.logStreamName, ctx.now);
    });
    return {};
  };

  const deleteLogStream: Handler<
    With<DeleteLogStreamRequest, "logGroupName" | "logStreamName">,
    object
  > = async (input, ctx) => {
    violations()
      .groupName("logGroupName", input.logGroupName)
      .streamName("logStreamName", input.logStreamName)
      .throwIfAny();
    await store.write(async (tx) => {
      const g = await requireGroup(tx, ctx.region, input.logGroupName);
      const s = await requireStream(tx, ctx.region, input.logGroupName, input.logStreamName);
      await deleteStream(tx, ctx.region, input.logGroupName, s);
      // The events stop counting now; the retention loop deletes them.
      if (s.value.bytes > 0)
        await putGroup(
          tx,
          ctx.region,
          { ...g.value, storedBytes: g.value.storedBytes - s.value.bytes },
          g.version,
        );
    });
    return {};
  };

  const describeLogStreams: Handler<DescribeLogStreamsRequest, DescribeLogStreamsResponse> = async (
    input,
    ctx,
  ) => {
    violations()
      .groupName("logGroupName", input.logGroupName)
      .identifier("logGroupIdentifier", input.logGroupIdentifier)
      .streamName("logStreamNamePrefix", input.logStreamNamePrefix)
      .oneOf("orderBy", input.orderBy, ["LogStreamName", "LastEventTime"])
      .range("limit", input.limit, 1, 50)
      .nextToken("nextToken", input.nextToken)
      .throwIfAny();
    const group = groupNameOf(ctx, input);
    const byTime = input.orderBy === "LastEventTime";
    if (byTime && input.logStreamNamePrefix !== undefined)
      throw new AwsError(
        Errors.InvalidParameter,
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
      );
    const limit = input.limit ?? 50;
    const reverse = input.descending ?? false;
    const list = `DescribeLogStreams:${group}:${input.orderBy ?? "LogStreamName"}:${reverse}:${input.logStreamNamePrefix ?? ""}`;
    const after = resumeAfter(list, input.nextToken);
    return store.read(async (tx) => {
      await requireGroup(tx, ctx.region, group);
      let streams: LogStreamRecord[];
      let last: string | undefined;
      let more: boolean;
      if (byTime) {
        const rows = await listStreamsByTime(tx, ctx.region, group, {
          ...(after !== undefined ? { after } : {}),
          limit: limit + 1,
          reverse,
        });
        more = rows.length > limit;
        streams = rows.slice(0, limit).map((r) => r.stream.value);
        last = rows[Math.min(limit, rows.length) - 1]?.indexKey;
      } else {
        const rows = await listStreamsByName(tx, ctx.region, group, {
          ...(input.logStreamNamePrefix !== undefined ? { namePrefix: input.logStreamNamePrefix } : {}),
          ...(after !== undefined ? { afterName: after } : {}),
          limit: limit + 1,
          reverse,
        });
        more = rows.length > limit;
        streams = rows.slice(0, limit).map((r) => r.value);
        last = streams.at(-1)?.name;
      }
      return {
        logStreams: streams.map((s) => renderStream(ctx, group, s)),
        ...(more && last !== undefined ? { nextToken: tokenFor(list, last) } : {}),
      };
    });
  };

  return {
    CreateLogStream: createLogStream,
    DeleteLogStream: deleteLogStream,
    DescribeLogStreams: describeLogStreams,
  };
}
