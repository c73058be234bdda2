/**
 * CloudWatch Logs benchmark. Berth runs as its own process; this process drives it with the AWS
 * SDK. It measures PutLogEvents ingestion (events/s) into one stream until it holds 100,000 events,
 * then GetLogEvents and FilterLogEvents latency over that stream. Baseline, measured in the same
 * run: the same SDK calls against a bare Node HTTP server answering canned responses of the same
 * size (the floor of what any server could do here: client serialisation, signing, HTTP).
 *
 *   node dist/bench/logs.js [--events 100000] [--batch 1000] [--seconds 5]
 */
import { readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { tempDir } from "../test/helpers/berth.js";
import { spawnBerth } from "../test/helpers/process.js";
import { closedLoop, fmt, type LatencyStats, machine, stats, table } from "./lib.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "100000" },
    batch: { type: "string", default: "1000" },
    seconds: { type: "string", default: "5" },
  },
});
const EVENTS = Number(values.events);
const BATCH = Number(values.batch);
const SECONDS = Number(values.seconds);
const GROUP = "/bench/app";
const STREAM = "web/web/0123456789abcdef";

/** A ~110-byte access-log line; every 100th is an error. */
const line = (i: number) =>
  `10.0.${(i >> 8) & 255}.${i & 255} - - "GET /api/items/${i} HTTP/1.1" ${i % 100 === 0 ? "500 ERROR" : "200 OK"} ${1000 + (i % 977)} bytes`;

function batchOf(start: number, n: number, t0: number) {
  return Array.from({ length: n }, (_, k) => ({
    timestamp: t0 + Math.floor((start + k) / 10),
    message: line(start + k),
  }));
}

function baselineServer(): Promise<{ url: string; close(): void }> {
  const events = Array.from({ length: 100 }, (_, i) => ({
    timestamp: 1,
    message: line(i),
    ingestionTime: 1,
  }));
  const canned: Record<string, string> = {
    "Logs_20140328.PutLogEvents": JSON.stringify({ nextSequenceToken: "0".repeat(56) }),
    "Logs_20140328.GetLogEvents": JSON.stringify({
      events,
      nextForwardToken: `f/${"0".repeat(56)}/s`,
      nextBackwardToken: `b/${"0".repeat(56)}/s`,
    }),
    "Logs_20140328.FilterLogEvents": JSON.stringify({
      events: events.map((e) => ({ ...e, logStreamName: STREAM, eventId: "1".repeat(56) })),
      searchedLogStreams: [],
    }),
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "baseline" });
      res.end(canned[String(req.headers["x-amz-target"])] ?? "{}");
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => server.close(),
      }),
    ),
  );
}

/** Put EVENTS events in batches of BATCH, one call at a time; returns events/s and per-call latency. */
async function ingest(logs: CloudWatchLogsClient, t0: number): Promise<{ eps: number; calls: LatencyStats }> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    const t = performance.now();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: GROUP,
        logStreamName: STREAM,
        logEvents: batchOf(i, BATCH, t0),
      }),
    );
    latencies.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;
  return { eps: EVENTS / seconds, calls: stats(latencies, 0, seconds) };
}

const row = (name: string, s: LatencyStats, extra: Record<string, string> = {}) => ({
  measurement: name,
  calls: s.count,
  errors: s.errors,
  "calls/s": fmt(s.rps, 1),
  "p50 ms": fmt(s.p50),
  "p99 ms": fmt(s.p99),
  "max ms": fmt(s.max),
  "events/s": "-",
  ...extra,
});

async function main() {
  const dir = await tempDir("berth-bench-");
  const berth = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"], {
    BERTH_LOG_LEVEL: "warn",
  });
  const credentials = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
  const client = (endpoint: string) =>
    new CloudWatchLogsClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
  const logs = client(berth.url);
  const rows: Record<string, string | number>[] = [];
  // Timestamps within the last few hours, 10 events per millisecond-step, all in one stream.
  const t0 = Date.now() - Math.ceil(EVENTS / 10) - 60_000;
  const span = Math.ceil(EVENTS / 10);
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName: GROUP }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: GROUP, logStreamName: STREAM }));
    const put = await ingest(logs, t0);
    rows.push(
      row(`PutLogEvents, ${BATCH} events/call, to ${EVENTS} events`, put.calls, {
        "events/s": fmt(put.eps, 0),
      }),
    );

    let i = 0;
    const rand = () => t0 + Math.floor((((i++ * 7919) % 997) / 997) * span);
    const ops: [string, () => Promise<unknown>][] = [
      [
        "GetLogEvents, 100 events from a random time (startFromHead)",
        () =>
          logs.send(
            new GetLogEventsCommand({
              logGroupName: GROUP,
              logStreamName: STREAM,
              startTime: rand(),
              limit: 100,
              startFromHead: true,
            }),
          ),
      ],
      [
        "GetLogEvents, latest 100 events",
        () => logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, limit: 100 })),
      ],
      [
        "GetLogEvents, default page (10,000 events / 1 MB)",
        () =>
          logs.send(
            new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, startFromHead: true }),
          ),
      ],
      [
        "FilterLogEvents, 100 events from a random time, no pattern",
        () => logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, startTime: rand(), limit: 100 })),
      ],
      [
        "FilterLogEvents, pattern ERROR (1%), first 100 matches",
        () =>
          logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: "ERROR", limit: 100 })),
      ],
      [
        "FilterLogEvents, pattern matching nothing (one 25,000-event page)",
        () => logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: "nomatch" })),
      ],
    ];
    for (const [, op] of ops) await closedLoop(1, 0.5, op);
    for (const [name, op] of ops) rows.push(row(name, await closedLoop(1, SECONDS, op)));

    const base = await baselineServer();
    try {
      const b = client(base.url);
      const t1 = Date.now();
      const putBase = async () =>
        b.send(
          new PutLogEventsCommand({
            logGroupName: GROUP,
            logStreamName: STREAM,
            logEvents: batchOf(0, BATCH, t1),
          }),
        );
      await closedLoop(1, 0.5, putBase);
      const pb = await closedLoop(1, SECONDS, putBase);
      rows.push(
        row(`baseline: PutLogEvents, ${BATCH} events/call, bare HTTP server`, pb, {
          "events/s": fmt(pb.rps * BATCH, 0),
        }),
      );
      const getBase = () =>
        b.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: STREAM, limit: 100 }));
      await closedLoop(1, 0.5, getBase);
      rows.push(
        row("baseline: GetLogEvents, 100 events, bare HTTP server", await closedLoop(1, SECONDS, getBase)),
      );
      const filterBase = () => b.send(new FilterLogEventsCommand({ logGroupName: GROUP, limit: 100 }));
      await closedLoop(1, 0.5, filterBase);
      rows.push(
        row(
          "baseline: FilterLogEvents, 100 events, bare HTTP server",
          await closedLoop(1, SECONDS, filterBase),
        ),
      );
    } finally {
      base.close();
    }
  } finally {
    await berth.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `\nCloudWatch Logs benchmark — one stream of ${EVENTS} events (~110 bytes each), one call at a time, ${SECONDS}s per read row`,
  );
  console.log(`machine: ${machine()}\n`);
  console.log(table(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
