/**
 * ECS API benchmark (issue: foundation). Berth runs as its own process with 10,000 task definition
 * revisions present; this process drives it with the AWS SDK at a fixed request rate and reports
 * achieved req/s and p50/p99 for RegisterTaskDefinition, DescribeTaskDefinition and
 * ListTaskDefinitions, then the throughput ceiling. Baseline, measured in the same run: the same SDK
 * client and signing against a bare Node HTTP server answering a canned response (the floor of what
 * any server could do here). Goal: p99 ≤ 20 ms at 200 req/s.
 *
 *   node dist/bench/ecs-api.js [--revisions 10000] [--rate 200] [--seconds 15]
 */
import { readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import { tempDir } from "../test/helpers/berth.js";
import { spawnBerth } from "../test/helpers/process.js";
import { closedLoop, fmt, type LatencyStats, machine, openLoop, table } from "./lib.js";

const { values } = parseArgs({
  options: {
    revisions: { type: "string", default: "10000" },
    rate: { type: "string", default: "200" },
    seconds: { type: "string", default: "15" },
  },
});
const REVISIONS = Number(values.revisions);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const FAMILIES = 100;

const containerDefinitions = [
  {
    name: "web",
    image: "registry.example/web:1.2.3",
    memory: 256,
    cpu: 128,
    portMappings: [{ containerPort: 8080, name: "http", appProtocol: "http" as const }],
    environment: [
      { name: "MODE", value: "production" },
      { name: "LOG_LEVEL", value: "info" },
    ],
    healthCheck: { command: ["CMD-SHELL", "wget -qO- localhost:8080/health || exit 1"] },
    logConfiguration: {
      logDriver: "awslogs" as const,
      options: { "awslogs-group": "/bench/web", "awslogs-stream-prefix": "web" },
    },
  },
  { name: "sidecar", image: "registry.example/sidecar:4", memory: 64, essential: false },
];

async function seed(ecs: ECSClient): Promise<void> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < REVISIONS) {
        const i = next++;
        await ecs.send(
          new RegisterTaskDefinitionCommand({ family: `fam-${i % FAMILIES}`, containerDefinitions }),
        );
      }
    }),
  );
  console.error(`seeded ${REVISIONS} revisions in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

function baselineServer(): Promise<{ url: string; close(): void }> {
  const canned = JSON.stringify({
    taskDefinitionArns: Array.from(
      { length: 100 },
      (_, i) => `arn:aws:ecs:us-east-1:000000000000:task-definition/fam-0:${i + 1}`,
    ),
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "baseline" });
      res.end(canned);
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

function row(name: string, s: LatencyStats) {
  return {
    operation: name,
    requests: s.count,
    errors: s.errors,
    "req/s": fmt(s.rps, 1),
    "p50 ms": fmt(s.p50),
    "p99 ms": fmt(s.p99),
    "max ms": fmt(s.max),
  };
}

async function main() {
  const dir = await tempDir("berth-bench-");
  const berth = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"], {
    BERTH_LOG_LEVEL: "warn",
  });
  const credentials = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
  const client = (endpoint: string) =>
    new ECSClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
  const ecs = client(berth.url);
  const rows: Record<string, string | number>[] = [];
  try {
    await seed(ecs);
    const ops: [string, (i: number) => Promise<unknown>][] = [
      [
        "RegisterTaskDefinition",
        (i) =>
          ecs.send(
            new RegisterTaskDefinitionCommand({ family: `fam-${i % FAMILIES}`, containerDefinitions }),
          ),
      ],
      [
        "DescribeTaskDefinition (family)",
        (i) => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `fam-${i % FAMILIES}` })),
      ],
      [
        "DescribeTaskDefinition (family:rev)",
        (i) =>
          ecs.send(
            new DescribeTaskDefinitionCommand({ taskDefinition: `fam-${i % FAMILIES}:${1 + (i % 50)}` }),
          ),
      ],
      [
        "ListTaskDefinitions (100/page)",
        (i) =>
          ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `fam-${i % FAMILIES}`, maxResults: 100 })),
      ],
      [
        "ListTaskDefinitions (all, DESC)",
        () => ecs.send(new ListTaskDefinitionsCommand({ sort: "DESC", maxResults: 100 })),
      ],
    ];
    // Warm up JIT and caches on both sides.
    for (const [, op] of ops) await closedLoop(4, 1, op);
    for (const [name, op] of ops) rows.push(row(`${name} @ ${RATE}/s`, await openLoop(RATE, SECONDS, op)));
    rows.push(
      row("DescribeTaskDefinition, ceiling (16 concurrent)", await closedLoop(16, SECONDS / 2, ops[1]![1])),
    );

    const base = await baselineServer();
    try {
      const b = client(base.url);
      const op = () => b.send(new ListTaskDefinitionsCommand({}));
      await closedLoop(4, 1, op);
      rows.push(row(`baseline: bare HTTP server @ ${RATE}/s`, await openLoop(RATE, SECONDS, op)));
      rows.push(
        row("baseline: bare HTTP server, ceiling (16 concurrent)", await closedLoop(16, SECONDS / 2, op)),
      );
    } finally {
      base.close();
    }
  } finally {
    await berth.stop();
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `\nECS API benchmark — ${REVISIONS} revisions in ${FAMILIES} families, open loop at ${RATE} req/s for ${SECONDS}s per row`,
  );
  console.log(`machine: ${machine()}\n`);
  console.log(table(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
