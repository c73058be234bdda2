/**
 * CloudWatch Logs through the real AWS CLI v2: the everyday flows and `aws logs tail`, bounded and
 * with --follow (a live process that must print events written after it started).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { CloudWatchLogsClient, PutLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { awsCli, eventually, runAws, startBerth, type TestBerth } from "../helpers/berth.js";

describe("CloudWatch Logs (AWS CLI v2)", () => {
  let t: TestBerth;
  let logs: CloudWatchLogsClient;
  const group = "/cli/app";

  before(async () => {
    t = await startBerth();
    logs = new CloudWatchLogsClient({
      endpoint: t.url,
      region: t.region,
      credentials: t.credentials,
      maxAttempts: 1,
    });
    for (const args of [
      ["logs", "create-log-group", "--log-group-name", group],
      ["logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "web/1"],
      ["logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "web/2"],
    ]) {
      const r = await runAws(t, args);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await t.close();
  });

  const put = async (stream: string, events: { timestamp: number; message: string }[]) => {
    const r = await runAws(t, [
      "logs",
      "put-log-events",
      "--log-group-name",
      group,
      "--log-stream-name",
      stream,
      "--log-events",
      JSON.stringify(events),
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.json<{ nextSequenceToken: string }>();
  };

  it("put-log-events, get-log-events and describe-log-streams", async () => {
    const now = Date.now();
    const out = await put("web/1", [
      { timestamp: now - 3000, message: "GET / 200" },
      { timestamp: now - 2000, message: "GET /boom 500 ERROR" },
    ]);
    assert.match(out.nextSequenceToken, /^\d{56}$/);
    await put("web/2", [{ timestamp: now - 2500, message: "POST /login 200" }]);

    const got = await runAws(t, [
      "logs",
      "get-log-events",
      "--log-group-name",
      group,
      "--log-stream-name",
      "web/1",
      "--start-from-head",
    ]);
    assert.equal(got.code, 0, got.stderr);
    const body = got.json<{
      events: { message: string }[];
      nextForwardToken: string;
      nextBackwardToken: string;
    }>();
    assert.deepEqual(
      body.events.map((e) => e.message),
      ["GET / 200", "GET /boom 500 ERROR"],
    );
    assert.match(body.nextForwardToken, /^f\/\d{56}\/s$/);

    const streams = await runAws(t, [
      "logs",
      "describe-log-streams",
      "--log-group-name",
      group,
      "--order-by",
      "LastEventTime",
      "--descending",
    ]);
    assert.equal(streams.code, 0, streams.stderr);
    assert.deepEqual(
      streams.json<{ logStreams: { logStreamName: string }[] }>().logStreams.map((s) => s.logStreamName),
      ["web/1", "web/2"],
    );
  });

  it("filter-log-events across streams, with a pattern and the CLI's own pagination", async () => {
    const r = await runAws(t, [
      "logs",
      "filter-log-events",
      "--log-group-name",
      group,
      "--filter-pattern",
      "200",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const events = r.json<{ events: { logStreamName: string; message: string }[] }>().events;
    assert.deepEqual(
      events.map((e) => `${e.logStreamName} ${e.message}`),
      ["web/1 GET / 200", "web/2 POST /login 200"],
    );
    // --page-size makes the CLI follow nextToken page by page.
    const paged = await runAws(t, [
      "logs",
      "filter-log-events",
      "--log-group-name",
      group,
      "--page-size",
      "1",
    ]);
    assert.equal(paged.code, 0, paged.stderr);
    assert.equal(paged.json<{ events: unknown[] }>().events.length, 3);

    const bad = await runAws(t, [
      "logs",
      "filter-log-events",
      "--log-group-name",
      group,
      "--filter-pattern",
      "[a, b]",
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /InvalidParameterException/);
    const missing = await runAws(t, ["logs", "filter-log-events", "--log-group-name", "/cli/none"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException.*The specified log group does not exist\./);
  });

  it("`aws logs tail --since 1h` prints the group's recent events and exits", async () => {
    await put("web/2", [{ timestamp: Date.now() - 40 * 60_000, message: "forty minutes ago" }]);
    const r = await runAws(t, ["logs", "tail", group, "--since", "1h", "--format", "short"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d forty minutes ago$/);
    assert.ok(lines.some((l) => l.endsWith(" GET /boom 500 ERROR")));
    // The default window is the last ten minutes.
    const recent = await runAws(t, ["logs", "tail", group]);
    assert.equal(recent.code, 0, recent.stderr);
    assert.ok(!recent.stdout.includes("forty minutes ago"));
    assert.match(recent.stdout, /web\/1 GET \/boom 500 ERROR/);
  });

  it("`aws logs tail --follow` prints events written after it started", async () => {
    const child = spawn(
      awsCli(),
      [
        "--endpoint-url",
        t.url,
        "logs",
        "tail",
        group,
        "--follow",
        "--format",
        "short",
        "--filter-pattern",
        "follow",
      ],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: process.env.HOME ?? "/tmp",
          AWS_ACCESS_KEY_ID: t.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey,
          AWS_DEFAULT_REGION: t.region,
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
          AWS_PAGER: "",
          AWS_EC2_METADATA_DISABLED: "true",
          // A pipe is not a terminal: without this Python holds the output until it exits.
          PYTHONUNBUFFERED: "1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = once(child, "exit");
    try {
      const send = (message: string) =>
        logs.send(
          new PutLogEventsCommand({
            logGroupName: group,
            logStreamName: "web/1",
            logEvents: [{ timestamp: Date.now(), message }],
          }),
        );
      await send("follow one");
      await eventually(() => stdout.includes("follow one"), {
        timeoutMs: 30_000,
        what: `tail output (${stderr})`,
      });
      // Written while the CLI polls: it shows up on a later poll, once.
      await send("follow two");
      await eventually(() => stdout.includes("follow two"), {
        timeoutMs: 30_000,
        what: `tail output (${stderr})`,
      });
      assert.equal(stdout.split("follow one").length - 1, 1, stdout);
      assert.ok(child.exitCode === null, "tail --follow keeps running");
    } finally {
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  });
});
