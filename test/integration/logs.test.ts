/**
 * CloudWatch Logs through @aws-sdk/client-cloudwatch-logs against a real Berth: groups, streams,
 * ingestion rules, reading by token and time range, filtering across streams, tags, and bad input.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  type InputLogEvent,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  TagLogGroupCommand,
  TagResourceCommand,
  UntagLogGroupCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { signedFetch, startBerth, type TestBerth } from "../helpers/berth.js";

export const logsClient = (t: Pick<TestBerth, "url" | "region" | "credentials">, region?: string) =>
  new CloudWatchLogsClient({
    endpoint: t.url,
    region: region ?? t.region,
    credentials: t.credentials,
    maxAttempts: 1,
  });

/** Expect an AWS error with this code (and message). */
async function rejects(p: Promise<unknown>, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { name: string }) => {
    assert.equal(err.name, code, err.message);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

let n = 0;
const unique = (base: string) => `${base}-${process.pid}-${++n}`;

describe("CloudWatch Logs (SDK)", () => {
  let t: TestBerth;
  let logs: CloudWatchLogsClient;
  const ACCOUNT = "000000000000";

  before(async () => {
    t = await startBerth();
    logs = logsClient(t);
  });
  after(async () => {
    await t.close();
  });

  const group = async (base = "/app/test") => {
    const name = unique(base);
    await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
    return name;
  };
  const stream = async (g: string, name = "s") => {
    await logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: name }));
    return name;
  };
  const put = (g: string, s: string, logEvents: InputLogEvent[]) =>
    logs.send(new PutLogEventsCommand({ logGroupName: g, logStreamName: s, logEvents }));

  describe("log groups", () => {
    it("creates a group with both ARNs, its creation time and no retention", async () => {
      const before = Date.now();
      const name = await group("/ecs/web");
      const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
      assert.equal(logGroups?.length, 1);
      const g = logGroups![0]!;
      assert.equal(g.logGroupName, name);
      assert.equal(g.arn, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}:*`);
      assert.equal(g.logGroupArn, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`);
      assert.ok(g.creationTime! >= before - 1000 && g.creationTime! <= Date.now() + 1000);
      assert.equal(g.retentionInDays, undefined);
      assert.equal(g.storedBytes, 0);
      assert.equal(g.metricFilterCount, 0);
      assert.equal(g.logGroupClass, "STANDARD");
    });

    it("refuses a second group of the same name, and names AWS refuses", async () => {
      const name = await group();
      await rejects(
        logs.send(new CreateLogGroupCommand({ logGroupName: name })),
        "ResourceAlreadyExistsException",
        "The specified log group already exists",
      );
      await rejects(
        logs.send(new CreateLogGroupCommand({ logGroupName: "bad name!" })),
        "InvalidParameterException",
        "1 validation error detected: Value at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
      );
      await rejects(
        logs.send(new CreateLogGroupCommand({ logGroupName: "x".repeat(513) })),
        "InvalidParameterException",
        /Member must have length less than or equal to 512/,
      );
      await rejects(
        logs.send(new CreateLogGroupCommand({ logGroupName: "aws/mine" })),
        "InvalidParameterException",
        /can't start with the string aws\//,
      );
      await rejects(
        logs.send(new CreateLogGroupCommand({ logGroupName: unique("k"), kmsKeyId: "alias/mine" })),
        "InvalidParameterException",
        /KMS key/,
      );
    });

    it("deletes a group with its streams; a missing group is ResourceNotFoundException", async () => {
      const name = await group();
      await stream(name);
      await put(name, "s", [{ timestamp: Date.now(), message: "bye" }]);
      await logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
      const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
      assert.deepEqual(logGroups, []);
      await rejects(
        logs.send(new DeleteLogGroupCommand({ logGroupName: name })),
        "ResourceNotFoundException",
        "The specified log group does not exist.",
      );
      // A new group of the same name starts empty.
      await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
      await stream(name);
      const r = await logs.send(new GetLogEventsCommand({ logGroupName: name, logStreamName: "s" }));
      assert.deepEqual(r.events, []);
    });

    it("lists by prefix in name order, pages with nextToken, and matches a name pattern", async () => {
      const prefix = unique("/list");
      for (const s of ["c", "a", "e", "b", "d"])
        await logs.send(new CreateLogGroupCommand({ logGroupName: `${prefix}/${s}` }));
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const r = await logs.send(
          new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, limit: 2, nextToken }),
        );
        seen.push(...r.logGroups!.map((g) => g.logGroupName!.slice(prefix.length + 1)));
        nextToken = r.nextToken;
        pages++;
      } while (nextToken);
      assert.deepEqual(seen, ["a", "b", "c", "d", "e"]);
      assert.equal(pages, 3);
      const byPattern = await logs.send(
        new DescribeLogGroupsCommand({ logGroupNamePattern: `${prefix.slice(1)}/d` }),
      );
      assert.deepEqual(byPattern.logGroups, [
        {
          arn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${prefix}/d:*`,
          creationTime: byPattern.logGroups![0]!.creationTime,
          logGroupName: `${prefix}/d`,
        },
      ]);
      await rejects(
        logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "a", logGroupNamePattern: "b" })),
        "InvalidParameterException",
        /mutually exclusive/,
      );
      await rejects(
        logs.send(new DescribeLogGroupsCommand({ limit: 51 })),
        "InvalidParameterException",
        "1 validation error detected: Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50",
      );
      await rejects(
        logs.send(new DescribeLogGroupsCommand({ nextToken: "bogus" })),
        "InvalidParameterException",
        "The specified nextToken is invalid.",
      );
    });

    it("keeps each region's groups apart", async () => {
      const name = await group();
      const west = logsClient(t, "us-west-2");
      const r = await west.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
      assert.deepEqual(r.logGroups, []);
    });
  });

  describe("log streams", () => {
    it("creates streams with their ARN; duplicates, bad names and missing groups fail as on AWS", async () => {
      const g = await group();
      await stream(g, "web/app/abc");
      const { logStreams } = await logs.send(new DescribeLogStreamsCommand({ logGroupName: g }));
      assert.equal(logStreams?.length, 1);
      const s = logStreams![0]!;
      assert.equal(s.logStreamName, "web/app/abc");
      assert.equal(s.arn, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${g}:log-stream:web/app/abc`);
      assert.equal(s.storedBytes, 0);
      assert.equal(s.firstEventTimestamp, undefined);
      await rejects(
        logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: "web/app/abc" })),
        "ResourceAlreadyExistsException",
        "The specified log stream already exists",
      );
      await rejects(
        logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: "a:b" })),
        "InvalidParameterException",
        "1 validation error detected: Value at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*",
      );
      await rejects(
        logs.send(new CreateLogStreamCommand({ logGroupName: unique("/none"), logStreamName: "s" })),
        "ResourceNotFoundException",
        "The specified log group does not exist.",
      );
      await logs.send(new DeleteLogStreamCommand({ logGroupName: g, logStreamName: "web/app/abc" }));
      await rejects(
        logs.send(new DeleteLogStreamCommand({ logGroupName: g, logStreamName: "web/app/abc" })),
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
      );
    });

    it("orders by name or last event time, ascending or descending, with pages", async () => {
      const g = await group();
      const now = Date.now();
      for (const [name, age] of [
        ["b", 3000],
        ["a", 1000],
        ["c", 2000],
      ] as const) {
        await stream(g, name);
        await put(g, name, [{ timestamp: now - age, message: name }]);
      }
      await stream(g, "d-empty");
      const names = async (extra: Record<string, unknown>) => {
        const out: string[] = [];
        let nextToken: string | undefined;
        do {
          const r = await logs.send(
            new DescribeLogStreamsCommand({ logGroupName: g, limit: 2, nextToken, ...extra }),
          );
          out.push(...r.logStreams!.map((s) => s.logStreamName!));
          nextToken = r.nextToken;
        } while (nextToken);
        return out;
      };
      assert.deepEqual(await names({}), ["a", "b", "c", "d-empty"]);
      assert.deepEqual(await names({ descending: true }), ["d-empty", "c", "b", "a"]);
      assert.deepEqual(await names({ logStreamNamePrefix: "d" }), ["d-empty"]);
      assert.deepEqual(await names({ orderBy: "LastEventTime" }), ["d-empty", "b", "c", "a"]);
      assert.deepEqual(await names({ orderBy: "LastEventTime", descending: true }), [
        "a",
        "c",
        "b",
        "d-empty",
      ]);
      await rejects(
        logs.send(
          new DescribeLogStreamsCommand({
            logGroupName: g,
            orderBy: "LastEventTime",
            logStreamNamePrefix: "a",
          }),
        ),
        "InvalidParameterException",
        "Cannot order by LastEventTime with a logStreamNamePrefix.",
      );
      const arn = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${g}`;
      const byArn = await logs.send(new DescribeLogStreamsCommand({ logGroupIdentifier: arn }));
      assert.equal(byArn.logStreams?.length, 4);
      await rejects(
        logs.send(new DescribeLogStreamsCommand({ logGroupIdentifier: `${arn}:*` })),
        "InvalidParameterException",
        "1 validation error detected: Value at 'logGroupIdentifier' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w#+=/:,.@-]*",
      );
      await rejects(
        logs.send(new DescribeLogStreamsCommand({ logGroupName: g, logGroupIdentifier: g })),
        "InvalidParameterException",
        /not both/,
      );
    });
  });

  describe("PutLogEvents", () => {
    it("stores events and updates the stream's times and the group's storedBytes", async () => {
      const g = await group();
      const s = await stream(g);
      const now = Date.now();
      const r = await put(g, s, [
        { timestamp: now - 2000, message: "first" },
        { timestamp: now - 1000, message: "héllo" },
      ]);
      assert.match(r.nextSequenceToken!, /^\d{56}$/);
      assert.equal(r.rejectedLogEventsInfo, undefined);
      // The sequence token is ignored, as on AWS since 2023.
      const r2 = await logs.send(
        new PutLogEventsCommand({
          logGroupName: g,
          logStreamName: s,
          sequenceToken: "not-a-token",
          logEvents: [{ timestamp: now - 1500, message: "late" }],
        }),
      );
      assert.notEqual(r2.nextSequenceToken, r.nextSequenceToken);
      const st = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: g }))).logStreams![0]!;
      assert.equal(st.firstEventTimestamp, now - 2000);
      assert.equal(st.lastEventTimestamp, now - 1000);
      assert.ok(st.lastIngestionTime! >= now - 1000);
      assert.equal(st.uploadSequenceToken, r2.nextSequenceToken);
      const gr = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: g }))).logGroups![0]!;
      assert.equal(gr.storedBytes, 5 + 6 + 4);
    });

    it("reports events too old and too new in rejectedLogEventsInfo and stores the rest", async () => {
      const g = await group();
      const s = await stream(g);
      const now = Date.now();
      // A batch spans at most 24 hours, so old and new events come in separate batches.
      const r = await put(g, s, [
        { timestamp: now - 14 * 86_400_000 - 120_000, message: "old-1" },
        { timestamp: now - 14 * 86_400_000 - 60_000, message: "old-2" },
        { timestamp: now - 14 * 86_400_000 + 60_000, message: "kept-1" },
      ]);
      assert.deepEqual(r.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 2 });
      assert.match(r.nextSequenceToken!, /^\d{56}$/);
      const r2 = await put(g, s, [
        { timestamp: now, message: "kept-2" },
        { timestamp: now + 3 * 3_600_000, message: "new" },
      ]);
      assert.deepEqual(r2.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
      const got = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: s, startFromHead: true }),
      );
      assert.deepEqual(
        got.events!.map((e) => e.message),
        ["kept-1", "kept-2"],
      );
    });

    it("refuses out-of-order, oversized, over-long and empty batches, and a missing stream", async () => {
      const g = await group();
      const s = await stream(g);
      const now = Date.now();
      await rejects(
        put(g, s, [
          { timestamp: now, message: "b" },
          { timestamp: now - 1, message: "a" },
        ]),
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
      );
      const big = "x".repeat(200_000);
      await rejects(
        put(
          g,
          s,
          Array.from({ length: 6 }, () => ({ timestamp: now, message: big })),
        ),
        "InvalidParameterException",
        "Upload too large: 1200156 bytes exceeds limit of 1048576",
      );
      await rejects(
        put(
          g,
          s,
          Array.from({ length: 10_001 }, () => ({ timestamp: now, message: "m" })),
        ),
        "InvalidParameterException",
        /at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000/,
      );
      await rejects(
        put(g, s, [{ timestamp: now, message: "" }]),
        "InvalidParameterException",
        /'logEvents.1.member.message'.*greater than or equal to 1/,
      );
      await rejects(
        put(g, "nope", [{ timestamp: now, message: "m" }]),
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
      );
      // Nothing of the refused batches was stored.
      const got = await logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: s }));
      assert.deepEqual(got.events, []);
    });

    it("takes a full batch of 10,000 events", async () => {
      const g = await group();
      const s = await stream(g);
      const base = Date.now() - 60_000;
      await put(
        g,
        s,
        Array.from({ length: 10_000 }, (_, i) => ({ timestamp: base + i, message: `event ${i}` })),
      );
      const r = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: s, startFromHead: true }),
      );
      assert.equal(r.events?.length, 10_000);
      assert.equal(r.events![9_999]!.message, "event 9999");
    });
  });

  describe("GetLogEvents", () => {
    let g: string;
    let s: string;
    const base = Date.now() - 3_600_000;
    const all = Array.from({ length: 25 }, (_, i) => ({ timestamp: base + i * 1000, message: `m${i}` }));

    before(async () => {
      g = await group();
      s = await stream(g);
      await put(g, s, all.slice(0, 10));
      await put(g, s, all.slice(10));
    });

    it("returns the latest events by default and the earliest with startFromHead", async () => {
      const tail = await logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: s, limit: 5 }));
      assert.deepEqual(
        tail.events!.map((e) => e.message),
        ["m20", "m21", "m22", "m23", "m24"],
      );
      assert.ok(tail.events!.every((e) => typeof e.ingestionTime === "number"));
      const head = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: s, limit: 5, startFromHead: true }),
      );
      assert.deepEqual(
        head.events!.map((e) => e.message),
        ["m0", "m1", "m2", "m3", "m4"],
      );
      assert.match(head.nextForwardToken!, /^f\/\d{56}\/s$/);
      assert.match(head.nextBackwardToken!, /^b\/\d{56}\/s$/);
    });

    it("walks forward with nextForwardToken until the same token comes back", async () => {
      const seen: string[] = [];
      let r = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: s, limit: 7, startFromHead: true }),
      );
      seen.push(...r.events!.map((e) => e.message!));
      for (;;) {
        const token = r.nextForwardToken!;
        r = await logs.send(
          new GetLogEventsCommand({
            logGroupName: g,
            logStreamName: s,
            limit: 7,
            startFromHead: true,
            nextToken: token,
          }),
        );
        seen.push(...r.events!.map((e) => e.message!));
        if (r.nextForwardToken === token) {
          assert.deepEqual(r.events, []);
          break;
        }
      }
      assert.deepEqual(
        seen,
        all.map((e) => e.message),
      );
      // New events appear behind the final token.
      await put(g, s, [{ timestamp: base + 30_000, message: "later" }]);
      const more = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: s, nextToken: r.nextForwardToken }),
      );
      assert.deepEqual(
        more.events!.map((e) => e.message),
        ["later"],
      );
    });

    it("walks backward with nextBackwardToken", async () => {
      const seen: string[] = [];
      let r = await logs.send(
        new GetLogEventsCommand({ logGroupName: g, logStreamName: s, limit: 10, endTime: base + 25_000 }),
      );
      const pages = [r.events!.map((e) => e.message!)];
      for (;;) {
        const token = r.nextBackwardToken!;
        r = await logs.send(
          new GetLogEventsCommand({ logGroupName: g, logStreamName: s, limit: 10, nextToken: token }),
        );
        if (r.nextBackwardToken === token) {
          assert.deepEqual(r.events, []);
          break;
        }
        pages.unshift(r.events!.map((e) => e.message!));
      }
      for (const p of pages) seen.push(...p);
      assert.deepEqual(
        seen,
        all.map((e) => e.message),
      );
    });

    it("honours startTime (inclusive) and endTime (exclusive)", async () => {
      const r = await logs.send(
        new GetLogEventsCommand({
          logGroupName: g,
          logStreamName: s,
          startTime: base + 3000,
          endTime: base + 6000,
          startFromHead: true,
        }),
      );
      assert.deepEqual(
        r.events!.map((e) => e.message),
        ["m3", "m4", "m5"],
      );
      const backward = await logs.send(
        new GetLogEventsCommand({
          logGroupName: g,
          logStreamName: s,
          startTime: base + 3000,
          endTime: base + 6000,
        }),
      );
      assert.deepEqual(
        backward.events!.map((e) => e.message),
        ["m3", "m4", "m5"],
      );
    });

    it("refuses a token it did not make, and a missing stream", async () => {
      await rejects(
        logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: s, nextToken: "f/123/s" })),
        "InvalidParameterException",
        "The specified nextToken is invalid.",
      );
      await rejects(
        logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: "nope" })),
        "ResourceNotFoundException",
        "The specified log stream does not exist.",
      );
      await rejects(
        logs.send(new GetLogEventsCommand({ logGroupName: g, logStreamName: s, limit: 10_001 })),
        "InvalidParameterException",
        /Member must have value less than or equal to 10000/,
      );
    });

    it("finds the group by logGroupIdentifier (name or ARN)", async () => {
      const arn = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${g}`;
      for (const id of [g, arn]) {
        const r = await logs.send(
          new GetLogEventsCommand({ logGroupIdentifier: id, logStreamName: s, limit: 1 }),
        );
        assert.equal(r.events?.length, 1);
      }
      await rejects(
        logs.send(
          new GetLogEventsCommand({
            logGroupIdentifier: `arn:aws:logs:us-east-1:111111111111:log-group:${g}`,
            logStreamName: s,
          }),
        ),
        "ResourceNotFoundException",
        "The specified log group does not exist.",
      );
    });
  });

  describe("FilterLogEvents", () => {
    let g: string;
    const base = Date.now() - 600_000;

    before(async () => {
      g = await group();
      await stream(g, "web/1");
      await stream(g, "web/2");
      await stream(g, "worker/1");
      await stream(g, "idle");
      await put(g, "web/1", [
        { timestamp: base + 1, message: "GET / 200" },
        { timestamp: base + 4, message: "GET /x 500 ERROR" },
        { timestamp: base + 6, message: JSON.stringify({ level: "error", latency: 900 }) },
      ]);
      await put(g, "web/2", [
        { timestamp: base + 2, message: "GET /y 404" },
        { timestamp: base + 4, message: "POST /z 500 ERROR timeout" },
      ]);
      await put(g, "worker/1", [
        { timestamp: base + 3, message: "job done" },
        { timestamp: base + 5, message: JSON.stringify({ level: "info", latency: 20 }) },
      ]);
    });

    const filter = async (extra: Record<string, unknown>) => {
      const out: { stream: string; message: string; ts: number; id: string }[] = [];
      let nextToken: string | undefined;
      do {
        const r = await logs.send(new FilterLogEventsCommand({ logGroupName: g, nextToken, ...extra }));
        assert.deepEqual(r.searchedLogStreams, []);
        for (const e of r.events!)
          out.push({ stream: e.logStreamName!, message: e.message!, ts: e.timestamp!, id: e.eventId! });
        nextToken = r.nextToken;
      } while (nextToken);
      return out;
    };

    it("interleaves every stream's events by timestamp, with stable event ids", async () => {
      const all = await filter({});
      assert.deepEqual(
        all.map((e) => `${e.ts - base} ${e.stream}`),
        ["1 web/1", "2 web/2", "3 worker/1", "4 web/1", "4 web/2", "5 worker/1", "6 web/1"],
      );
      assert.ok(all.every((e) => /^\d{56}$/.test(e.id)));
      assert.equal(new Set(all.map((e) => e.id)).size, all.length);
      assert.deepEqual(
        (await filter({})).map((e) => e.id),
        all.map((e) => e.id),
      );
    });

    it("pages with nextToken without losing or repeating events", async () => {
      const paged = await filter({ limit: 2 });
      const whole = await filter({});
      assert.deepEqual(paged, whole);
    });

    it("filters by stream names, stream prefix and time range", async () => {
      assert.deepEqual(
        (await filter({ logStreamNames: ["worker/1", "missing"] })).map((e) => e.message),
        ["job done", JSON.stringify({ level: "info", latency: 20 })],
      );
      assert.deepEqual(
        (await filter({ logStreamNamePrefix: "web/" })).map((e) => e.stream),
        ["web/1", "web/2", "web/1", "web/2", "web/1"],
      );
      assert.deepEqual(
        (await filter({ startTime: base + 3, endTime: base + 4 })).map((e) => e.ts - base),
        [3, 4, 4],
      );
      await rejects(
        logs.send(
          new FilterLogEventsCommand({ logGroupName: g, logStreamNames: ["a"], logStreamNamePrefix: "a" }),
        ),
        "InvalidParameterException",
        /mutually exclusive/,
      );
    });

    it("applies filter patterns: terms, phrases, exclusions, alternatives and JSON", async () => {
      const msgs = async (filterPattern: string) => (await filter({ filterPattern })).map((e) => e.message);
      assert.deepEqual(await msgs("ERROR"), ["GET /x 500 ERROR", "POST /z 500 ERROR timeout"]);
      assert.deepEqual(await msgs("ERROR -timeout"), ["GET /x 500 ERROR"]);
      assert.deepEqual(await msgs('"GET /y"'), ["GET /y 404"]);
      assert.deepEqual(await msgs("?404 ?done"), ["GET /y 404", "job done"]);
      assert.deepEqual(await msgs("{ $.latency > 100 }"), [JSON.stringify({ level: "error", latency: 900 })]);
      assert.deepEqual(await msgs('{ $.level = "info" || $.level = "error" }'), [
        JSON.stringify({ level: "info", latency: 20 }),
        JSON.stringify({ level: "error", latency: 900 }),
      ]);
      await rejects(
        logs.send(new FilterLogEventsCommand({ logGroupName: g, filterPattern: "[ip, user]" })),
        "InvalidParameterException",
        /Berth does not support space-delimited patterns/,
      );
      await rejects(
        logs.send(new FilterLogEventsCommand({ logGroupName: g, filterPattern: '"unclosed' })),
        "InvalidParameterException",
        "Invalid filter pattern",
      );
    });

    it("decides a JSON wildcard pattern against a long value at once", async () => {
      // `*a*a*…*b` took exponential time as a backtracking RegExp: FilterLogEvents hung.
      const long = await group("/app/long");
      await stream(long, "s");
      const aaa = JSON.stringify({ v: "a".repeat(10_000) });
      const aab = JSON.stringify({ v: `${"a".repeat(10_000)}b` });
      await put(long, "s", [
        { timestamp: base + 1, message: aaa },
        { timestamp: base + 2, message: aab },
      ]);
      const stars = `${"*a".repeat(12)}*b`;
      const messages = async (filterPattern: string) =>
        (await logs.send(new FilterLogEventsCommand({ logGroupName: long, filterPattern }))).events!.map(
          (e) => e.message,
        );
      assert.deepEqual(await messages(`{ $.v = "${stars}" }`), [aab]);
      assert.deepEqual(await messages(`{ $.v != "${stars}" }`), [aaa]);
      await logs.send(new DeleteLogGroupCommand({ logGroupName: long }));
    });

    it("answers ResourceNotFoundException for a missing group", async () => {
      await rejects(
        logs.send(new FilterLogEventsCommand({ logGroupName: unique("/none") })),
        "ResourceNotFoundException",
        "The specified log group does not exist.",
      );
    });
  });

  describe("retention and tags", () => {
    it("accepts only AWS's retention values, and removes the policy", async () => {
      const g = await group();
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: g, retentionInDays: 7 }));
      let d = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: g }))).logGroups![0]!;
      assert.equal(d.retentionInDays, 7);
      await rejects(
        logs.send(new PutRetentionPolicyCommand({ logGroupName: g, retentionInDays: 2 })),
        "InvalidParameterException",
        /Member must satisfy enum value set: \[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653\]/,
      );
      await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: g }));
      d = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: g }))).logGroups![0]!;
      assert.equal(d.retentionInDays, undefined);
      await rejects(
        logs.send(new PutRetentionPolicyCommand({ logGroupName: unique("/none"), retentionInDays: 1 })),
        "ResourceNotFoundException",
      );
    });

    it("tags a group by name and by ARN; both families see the same tags", async () => {
      const name = unique("/tagged");
      await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { team: "a" } }));
      const arn = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`;
      await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { env: "prod", team: "b" } }));
      await logs.send(new TagLogGroupCommand({ logGroupName: name, tags: { tier: "web" } }));
      assert.deepEqual((await logs.send(new ListTagsLogGroupCommand({ logGroupName: name }))).tags, {
        team: "b",
        env: "prod",
        tier: "web",
      });
      await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["team"] }));
      await logs.send(new UntagLogGroupCommand({ logGroupName: name, tags: ["tier"] }));
      assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, {
        env: "prod",
      });
      const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"]));
      await rejects(
        logs.send(new TagResourceCommand({ resourceArn: arn, tags: many })),
        "TooManyTagsException",
        /no more than 50 tags/,
      );
      await rejects(
        logs.send(new ListTagsForResourceCommand({ resourceArn: `${arn}-missing` })),
        "ResourceNotFoundException",
        "The specified log group does not exist.",
      );
    });
  });

  it("answers NotImplementedException for an operation Berth does not implement", async () => {
    const res = await signedFetch(t.url, {
      service: "logs",
      credentials: t.credentials,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.StartQuery" },
      body: JSON.stringify({ logGroupName: "x", startTime: 0, endTime: 1, queryString: "fields @message" }),
    });
    assert.equal(res.status, 501);
    assert.equal((res.json() as { __type: string }).__type, "NotImplementedException");
  });
});
