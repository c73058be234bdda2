/**
 * CloudWatch Logs retention, enforced by the background sweep over an injected clock, and container
 * output arriving from agents: through the LogSink directly and through the agent API's logs route.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { RegisterTaskDefinitionCommand, StartTaskCommand } from "@aws-sdk/client-ecs";
import type { RegisterResponse } from "../../src/agentapi/protocol.js";
import { ManualClock, systemClock } from "../../src/lib/clock.js";
import { createLogger } from "../../src/lib/log.js";
import { logSink } from "../../src/services/logs/sink.js";
import { K } from "../../src/state/logs/kinds.js";
import { startBerth, type TestBerth } from "../helpers/berth.js";

/** The capabilities an instance needs for tasks that log with awslogs (an agent registers them). */
const AWSLOGS_CAPABILITIES = [
  ...Array.from({ length: 25 }, (_, i) => ({
    name: `com.amazonaws.ecs.capability.docker-remote-api.1.${17 + i}`,
  })),
  { name: "com.amazonaws.ecs.capability.logging-driver.awslogs" },
  { name: "com.amazonaws.ecs.capability.ecr-auth" },
];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A client whose signing clock follows Berth's (a ManualClock far from the wall clock). */
const client = (t: TestBerth, clock: { now(): number }) =>
  new CloudWatchLogsClient({
    endpoint: t.url,
    region: t.region,
    credentials: t.credentials,
    maxAttempts: 1,
    systemClockOffset: clock.now() - Date.now(),
  });

const sweep = async (t: TestBerth) => {
  const c = t.berth.components.find((x) => x.name === "logs-retention") as unknown as {
    kick(): Promise<void>;
  };
  assert.ok(c, "the retention loop is a registered component");
  await c.kick();
};

const eventRecords = (t: TestBerth, group: string) =>
  t.berth.store.read((tx) => tx.count(K.event, `${t.region}/${group}:`));

describe("CloudWatch Logs retention (ManualClock)", () => {
  let t: TestBerth;
  const clock = new ManualClock(Date.now());

  before(async () => {
    t = await startBerth({ clock });
  });
  after(async () => {
    await t.close();
  });

  it("deletes events once they are older than the retention, and keeps the counters true", async () => {
    const logs = () => client(t, clock);
    const g = "/retained";
    await logs().send(new CreateLogGroupCommand({ logGroupName: g }));
    await logs().send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: "s" }));
    const t0 = clock.now();
    await logs().send(
      new PutLogEventsCommand({
        logGroupName: g,
        logStreamName: "s",
        logEvents: [{ timestamp: t0 - 36 * HOUR, message: "aaaa" }],
      }),
    );
    await logs().send(
      new PutLogEventsCommand({
        logGroupName: g,
        logStreamName: "s",
        logEvents: [
          { timestamp: t0 - 2 * HOUR, message: "bbb" },
          { timestamp: t0, message: "cc" },
        ],
      }),
    );
    await logs().send(new PutRetentionPolicyCommand({ logGroupName: g, retentionInDays: 1 }));
    const messages = async () =>
      (
        await logs().send(
          new GetLogEventsCommand({ logGroupName: g, logStreamName: "s", startFromHead: true }),
        )
      ).events!.map((e) => e.message);
    const describe = async () => ({
      group: (await logs().send(new DescribeLogGroupsCommand({ logGroupNamePrefix: g }))).logGroups![0]!,
      stream: (await logs().send(new DescribeLogStreamsCommand({ logGroupName: g }))).logStreams![0]!,
    });
    assert.equal((await describe()).group.storedBytes, 9);

    await sweep(t);
    assert.deepEqual(await messages(), ["bbb", "cc"]);
    let d = await describe();
    assert.equal(d.group.storedBytes, 5);
    assert.equal(d.stream.firstEventTimestamp, t0 - 2 * HOUR);
    assert.equal(d.stream.lastEventTimestamp, t0);

    clock.advance(23 * HOUR);
    await sweep(t);
    assert.deepEqual(await messages(), ["cc"]);

    clock.advance(2 * HOUR);
    await sweep(t);
    assert.deepEqual(await messages(), []);
    d = await describe();
    assert.equal(d.group.storedBytes, 0);
    assert.equal(d.stream.firstEventTimestamp, undefined);
    assert.equal(await eventRecords(t, g), 0);

    // Ingestion refuses what the retention would delete at once.
    const r = await logs().send(
      new PutLogEventsCommand({
        logGroupName: g,
        logStreamName: "s",
        logEvents: [
          { timestamp: clock.now() - DAY - 60_000, message: "expired" },
          { timestamp: clock.now() - 120_000, message: "fresh" },
        ],
      }),
    );
    assert.deepEqual(r.rejectedLogEventsInfo, { expiredLogEventEndIndex: 1 });
    assert.deepEqual(await messages(), ["fresh"]);
  });

  it("purges the events of deleted streams and groups in the background", async () => {
    const logs = () => client(t, clock);
    const g = "/purged";
    await logs().send(new CreateLogGroupCommand({ logGroupName: g }));
    for (const s of ["a", "b"]) {
      await logs().send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: s }));
      await logs().send(
        new PutLogEventsCommand({
          logGroupName: g,
          logStreamName: s,
          logEvents: Array.from({ length: 1500 }, (_, i) => ({
            timestamp: clock.now() - 1000 + (i % 10),
            message: `${s}${i}`,
          })).sort((x, y) => x.timestamp - y.timestamp),
        }),
      );
    }
    await logs().send(new DeleteLogStreamCommand({ logGroupName: g, logStreamName: "a" }));
    const gr = (await logs().send(new DescribeLogGroupsCommand({ logGroupNamePrefix: g }))).logGroups![0]!;
    assert.equal(
      gr.storedBytes,
      [...Array(1500).keys()].reduce((n, i) => n + `b${i}`.length, 0),
    );
    await sweep(t);
    assert.equal(await eventRecords(t, g), 1500);
    await logs().send(new DeleteLogGroupCommand({ logGroupName: g }));
    await sweep(t);
    assert.equal(await eventRecords(t, g), 0);
  });
});

describe("container output from agents", () => {
  let t: TestBerth;
  let logs: CloudWatchLogsClient;
  const joinToken = "join-token-for-logs-tests";

  before(async () => {
    t = await startBerth({ joinToken });
    logs = client(t, systemClock);
  });
  after(async () => {
    await t.close();
  });

  const messages = async (group: string, stream: string) =>
    (
      await logs.send(
        new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }),
      )
    ).events!.map((e) => e.message);

  it("LogSink: creates the stream, creates the group only when asked, and sorts the lines", async () => {
    const lines: string[] = [];
    const sink = logSink({
      store: t.berth.store,
      clock: systemClock,
      log: createLogger({ sink: (l) => lines.push(l) }),
    });
    const now = Date.now();
    const batch = (group: string, createGroup: boolean) => ({
      logGroupName: group,
      logStreamName: "ecs/app/0123456789abcdef",
      createGroup,
      events: [
        { timestamp: now - 10, message: "second" },
        { timestamp: now - 20, message: "first" },
        { timestamp: now - 5, message: "" },
        { timestamp: now - 10, message: "third" },
      ],
    });
    await assert.rejects(sink.put(t.region, [batch("/ecs/missing", false)]), /does not exist/);
    await assert.rejects(sink.put(t.region, [batch("/ecs/missing", false)]), /does not exist/);
    const warnings = lines.filter((l) => l.includes('"level":"warn"') && l.includes("/ecs/missing"));
    assert.equal(warnings.length, 1, "the missing group is reported once");
    const none = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: "/ecs/missing" }));
    assert.deepEqual(none.logGroups, []);

    await sink.put(t.region, [batch("/ecs/created", true)]);
    assert.deepEqual(await messages("/ecs/created", "ecs/app/0123456789abcdef"), [
      "first",
      "second",
      "third",
    ]);

    // An existing group is used as it is, and a later batch lands after the earlier ones.
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/ecs/existing" }));
    await sink.put(t.region, [
      {
        logGroupName: "/ecs/existing",
        logStreamName: "x",
        createGroup: false,
        events: [{ timestamp: now, message: "one" }],
      },
    ]);
    await sink.put(t.region, [
      {
        logGroupName: "/ecs/existing",
        logStreamName: "x",
        createGroup: false,
        events: [{ timestamp: now + 1, message: "two" }],
      },
    ]);
    assert.deepEqual(await messages("/ecs/existing", "x"), ["one", "two"]);

    // Output that can never be stored (a name CloudWatch Logs refuses, a malformed batch) is dropped
    // with a warning instead of failing the agent's request for ever.
    await sink.put(t.region, [
      {
        logGroupName: "bad name!",
        logStreamName: "x",
        createGroup: true,
        events: [{ timestamp: now, message: "m" }],
      },
      { logGroupName: "/ecs/existing", logStreamName: "x" } as never,
    ]);
    assert.ok(lines.some((l) => l.includes("dropping container output") && l.includes("bad name!")));
    assert.deepEqual(await messages("/ecs/existing", "x"), ["one", "two"]);
  });

  it("agent API: POST /_berth/agent/v1/logs stores a LogBatch for a task of a registered instance", async () => {
    const api = `${t.url}/_berth/agent/v1`;
    const reg = await fetch(`${api}/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        joinToken,
        region: t.region,
        cluster: "default",
        name: "logs-test-host",
        resources: { cpu: 1024, memoryMiB: 1024, reservedPorts: [], reservedUdpPorts: [] },
        // What the awslogs task definitions below require of an instance.
        attributes: AWSLOGS_CAPABILITIES,
        versionInfo: { agentVersion: "test", agentHash: "test", dockerVersion: "test" },
      }),
    });
    assert.equal(reg.status, 200);
    const inst = (await reg.json()) as RegisterResponse;
    // The instance may only ship output for the log groups (and streams) of its tasks.
    const ecs = t.ecs();
    const awslogs = (group: string, create: boolean) => ({
      logDriver: "awslogs" as const,
      options: {
        "awslogs-group": group,
        "awslogs-region": t.region,
        "awslogs-stream-prefix": "web",
        ...(create ? { "awslogs-create-group": "true" } : {}),
      },
    });
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "logs-via-agent",
        containerDefinitions: [
          { name: "web", image: "busybox", memory: 16, logConfiguration: awslogs("/ecs/via-agent", true) },
          { name: "worker", image: "busybox", memory: 16, logConfiguration: awslogs("/ecs/via-agent", true) },
          { name: "side", image: "busybox", memory: 16, logConfiguration: awslogs("/ecs/not-there", false) },
        ],
      }),
    );
    const started = await ecs.send(
      new StartTaskCommand({
        taskDefinition: td.taskDefinition!.taskDefinitionArn!,
        containerInstances: [inst.containerInstanceArn],
      }),
    );
    ecs.destroy();
    const taskId = started.tasks![0]!.taskArn!.split("/").at(-1)!;
    const send = (body: unknown, token = inst.instanceToken) =>
      fetch(`${api}/logs`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
          "x-berth-instance": inst.containerInstanceArn,
        },
        body: JSON.stringify(body),
      });
    const now = Date.now();
    const batches = [
      {
        logGroupName: "/ecs/via-agent",
        logStreamName: `web/web/${taskId}`,
        createGroup: true,
        events: [
          { timestamp: now - 2, message: "hello from a container" },
          { timestamp: now - 1, message: "and again" },
        ],
      },
    ];
    assert.equal((await send({ batches }, "wrong-token")).status, 401);
    const ok = await send({ batches });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.deepEqual(await messages("/ecs/via-agent", `web/web/${taskId}`), [
      "hello from a container",
      "and again",
    ]);
    const found = await logs.send(
      new FilterLogEventsCommand({ logGroupName: "/ecs/via-agent", filterPattern: "container" }),
    );
    assert.deepEqual(
      found.events!.map((e) => e.logStreamName),
      [`web/web/${taskId}`],
    );

    // A group that must exist but does not: the call fails (the agent retries) and nothing is stored.
    const failed = await send({
      batches: [
        { ...batches[0]!, logGroupName: "/ecs/via-agent", logStreamName: `web/worker/${taskId}` },
        {
          ...batches[0]!,
          logGroupName: "/ecs/not-there",
          logStreamName: `web/side/${taskId}`,
          createGroup: false,
        },
      ],
    });
    assert.equal(failed.status, 500);
    const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: "/ecs/via-agent" }));
    assert.deepEqual(
      streams.logStreams!.map((s) => s.logStreamName),
      [`web/web/${taskId}`],
    );
  });
});
