/**
 * Load balancer benchmark (issue: ALB and NLB on HAProxy).
 *
 * 1. Throughput and latency with wrk (keep-alive, 1 KiB responses) through Berth's Application
 *    Load Balancer, against a bare HAProxy configured by hand with the same two backends, and
 *    against one container directly (its published host port), interleaved in rounds in the same
 *    run. The backends are ECS service tasks: a small Node HTTP server in a container.
 * 2. The time from a task reaching RUNNING (the moment the control plane records it) to the first
 *    request the load balancer serves from it, over repeated scale-outs.
 *
 * The machine is shared, so throughput moves from round to round; each round measures the three
 * targets back to back (in alternating order), and the comparison with bare HAProxy is the median
 * of the rounds' ratios.
 *
 *   node dist/bench/load-balancer.js [--seconds 5] [--rounds 10] [--connections 32] [--scale-outs 10]
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { K } from "../src/state/ecs/kinds.js";
import type { TaskRecord } from "../src/state/ecs/tasks.js";
import { eventually, startBerth } from "../test/helpers/berth.js";
import { freePort } from "../test/helpers/lb.js";
import { fmt, machine, percentile, table } from "./lib.js";

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "10" },
    connections: { type: "string", default: "32" },
    "scale-outs": { type: "string", default: "10" },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const SCALE_OUTS = Number(values["scale-outs"]);
const IMAGE = "berth-bench/node-http:latest";

/** A 1 KiB response with keep-alive; the x-host header names the container that served it. */
const SERVER = `
const http = require("http");
const host = require("os").hostname();
const body = Buffer.alloc(1024, "x");
http.createServer((req, res) => {
  if (req.url === "/health") return res.end("ok");
  res.writeHead(200, { "content-type": "text/plain", "x-host": host });
  res.end(body);
}).listen(8080);
process.on("SIGTERM", () => process.exit(0));
`;

/** An image with this machine's node binary and its libraries (no registry is reachable). */
async function buildImage(): Promise<void> {
  const hash = Buffer.from(SERVER).toString("base64url").slice(0, 16);
  const have = await run("/usr/bin/docker", [
    "image",
    "inspect",
    "-f",
    '{{index .Config.Labels "berth.bench"}}',
    IMAGE,
  ])
    .then((r) => r.stdout.trim())
    .catch(() => "");
  if (have === hash) return;
  const ctx = await mkdtemp(join(tmpdir(), "berth-bench-image-"));
  try {
    const libs = (await run("ldd", ["/usr/bin/node"])).stdout
      .split("\n")
      .map((l) => /(\/\S+) \(0x/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined);
    const lines = ["FROM scratch", "COPY node /node", "COPY server.js /server.js"];
    await writeFile(join(ctx, "server.js"), SERVER);
    await run("cp", ["/usr/bin/node", join(ctx, "node")]);
    for (const [i, lib] of libs.entries()) {
      await run("cp", ["-L", lib, join(ctx, `lib${i}`)]);
      lines.push(`COPY lib${i} ${lib}`);
    }
    lines.push('CMD ["/node", "/server.js"]');
    await writeFile(join(ctx, "Dockerfile"), `${lines.join("\n")}\n`);
    await run("/usr/bin/docker", ["build", "-q", "--label", `berth.bench=${hash}`, "-t", IMAGE, ctx]);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const ms = (v: string, unit: string) => Number(v) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);

async function wrk(url: string): Promise<WrkResult> {
  const { stdout } = await run(
    "/usr/bin/wrk",
    ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", url],
    { maxBuffer: 1 << 20 },
  );
  const lat = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, "m").exec(stdout);
    return m ? ms(m[1]!, m[2]!) : Number.NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN),
    p50: lat("50"),
    p99: lat("99"),
    errors: Number(errors?.[1] ?? 0) + (socket ? socket.slice(1).reduce((n, x) => n + Number(x), 0) : 0),
  };
}

async function main(): Promise<void> {
  await buildImage();
  const b = await startBerth({ agent: { cleanupWaitMs: 0 } });
  const ecs = b.ecs();
  const elb = b.elbv2();
  const bare = await mkdtemp(join(tmpdir(), "berth-bench-haproxy-"));
  let barePid: number | undefined;
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: "default" }));
    const td = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "bench",
          containerDefinitions: [
            { name: "app", image: IMAGE, memory: 128, portMappings: [{ containerPort: 8080 }] },
          ],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "bench", Scheme: "internal" })))
      .LoadBalancers![0]!;
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: "bench",
          Protocol: "HTTP",
          Port: 80,
          HealthCheckPath: "/health",
          HealthCheckIntervalSeconds: 5,
          HealthCheckTimeoutSeconds: 2,
        }),
      )
    ).TargetGroups![0]!.TargetGroupArn!;
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tg,
        Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "0" }],
      }),
    );
    const albPort = await freePort();
    await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Protocol: "HTTP",
        Port: albPort,
        DefaultActions: [{ Type: "forward", TargetGroupArn: tg }],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        serviceName: "bench",
        taskDefinition: td,
        desiredCount: 2,
        loadBalancers: [{ targetGroupArn: tg, containerName: "app", containerPort: 8080 }],
      }),
    );
    const targets = await eventually(
      async () => {
        const h = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg })))
          .TargetHealthDescriptions!;
        return h.length === 2 && h.every((t) => t.TargetHealth?.State === "healthy") ? h : undefined;
      },
      { timeoutMs: 60_000, what: "two healthy targets" },
    );
    const ports = targets.map((t) => t.Target!.Port!);

    // The bare HAProxy: the same two backends, configured by hand as one would for this job.
    const barePort = await freePort();
    await writeFile(
      join(bare, "haproxy.cfg"),
      [
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 60s",
        "  timeout server 60s",
        "frontend bench",
        `  bind 127.0.0.1:${barePort}`,
        "  option forwardfor",
        "  default_backend app",
        "backend app",
        "  balance roundrobin",
        ...ports.map((p, i) => `  server s${i} 127.0.0.1:${p} check`),
        "",
      ].join("\n"),
    );
    await run("/usr/sbin/haproxy", ["-D", "-f", join(bare, "haproxy.cfg"), "-p", join(bare, "pid")]);
    barePid = Number((await readFile(join(bare, "pid"), "utf8")).trim());

    const urls = {
      "Berth ALB (HAProxy managed by Berth)": `http://127.0.0.1:${albPort}/`,
      "bare HAProxy, same backends": `http://127.0.0.1:${barePort}/`,
      "one container directly (host port)": `http://127.0.0.1:${ports[0]}/`,
    };
    for (const u of Object.values(urls)) await wrk(u.replace(/\/$/, "/warm")).catch(() => undefined);
    const results = new Map<string, WrkResult[]>();
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order, so that a trend in the machine's load favours no one.
      const order = r % 2 === 0 ? Object.entries(urls) : Object.entries(urls).reverse();
      for (const [name, url] of order) {
        const res = await wrk(url);
        results.set(name, [...(results.get(name) ?? []), res]);
      }
    }
    const median = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const rows = [...results].map(([name, rs]) => ({
      target: name,
      "requests/s (median)": fmt(median(rs.map((x) => x.rps)), 0),
      "p50 ms": fmt(median(rs.map((x) => x.p50)), 2),
      "p99 ms (median)": fmt(median(rs.map((x) => x.p99)), 2),
      errors: rs.reduce((n, x) => n + x.errors, 0),
      "requests/s per round": rs.map((x) => fmt(x.rps, 0)).join(" "),
    }));
    const berthRounds = results.get(Object.keys(urls)[0]!)!;
    const bareRounds = results.get(Object.keys(urls)[1]!)!;
    const ratios = berthRounds.map((x, i) => x.rps / bareRounds[i]!.rps);
    const p99Ratios = berthRounds.map((x, i) => x.p99 / bareRounds[i]!.p99);

    // RUNNING → first request served through the load balancer, over repeated scale-outs.
    const running = new Map<string, number>();
    b.berth.store.subscribe((changes) => {
      for (const c of changes) {
        if (c.kind !== K.task) continue;
        const at = performance.now();
        void b.berth.store
          .read((tx) => tx.get<TaskRecord>(K.task, c.key))
          .then((rec) => {
            const t = rec?.value.task;
            if (t?.lastStatus === "RUNNING" && !running.has(t.taskArn)) running.set(t.taskArn, at);
          });
      }
    });
    const firstServed: number[] = [];
    for (let i = 0; i < SCALE_OUTS; i++) {
      const before = new Set((await ecs.send(new ListTasksCommand({ serviceName: "bench" }))).taskArns ?? []);
      await ecs.send(new UpdateServiceCommand({ service: "bench", desiredCount: 3 }));
      const task = await eventually(
        async () => {
          const arns = (await ecs.send(new ListTasksCommand({ serviceName: "bench" }))).taskArns ?? [];
          return arns.find((a) => !before.has(a));
        },
        { timeoutMs: 30_000, intervalMs: 20, what: "the new task" },
      );
      const host = await eventually(
        async () => {
          const t = (await ecs.send(new DescribeTasksCommand({ tasks: [task] }))).tasks![0]!;
          return t.lastStatus === "RUNNING" ? t.containers![0]!.runtimeId!.slice(0, 12) : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 20, what: "the new task running" },
      );
      const served = await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${albPort}/`);
          await res.arrayBuffer();
          return res.headers.get("x-host") === host ? performance.now() : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 2, what: "a request served by the new task" },
      );
      firstServed.push(served - running.get(task)!);
      await ecs.send(new UpdateServiceCommand({ service: "bench", desiredCount: 2 }));
      await eventually(
        async () => {
          const s = (await ecs.send(new DescribeServicesCommand({ services: ["bench"] }))).services![0]!;
          return s.runningCount === 2 && s.deployments?.[0]?.runningCount === 2;
        },
        { timeoutMs: 60_000, what: "back to two tasks" },
      );
      await eventually(
        async () =>
          (
            (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg })))
              .TargetHealthDescriptions ?? []
          ).length === 2,
        { timeoutMs: 30_000, what: "back to two targets" },
      );
    }
    const sorted = [...firstServed].sort((a, b) => a - b);

    console.log(`# Load balancer benchmark\n\n${machine()}\n`);
    console.log(
      `wrk -t2 -c${CONNECTIONS} -d${SECONDS}s --latency, keep-alive, 1 KiB responses, ${ROUNDS} rounds interleaved; two backend tasks.\n`,
    );
    console.log(table(rows));
    console.log(
      `\nBerth ALB / bare HAProxy, median of the rounds' ratios: ${fmt(median(ratios), 3)}× requests/s (goal ≥ 0.95×), ${fmt(median(p99Ratios), 3)}× p99 latency; per round: ${ratios.map((r) => fmt(r, 2)).join(" ")}\n`,
    );
    console.log(
      table([
        {
          measure: "task RUNNING → first request served through the ALB",
          n: sorted.length,
          "p50 ms": fmt(percentile(sorted, 50), 0),
          "p99 ms": fmt(percentile(sorted, 99), 0),
          "max ms": fmt(sorted.at(-1) ?? Number.NaN, 0),
        },
      ]),
    );
  } finally {
    if (barePid) {
      try {
        process.kill(barePid, "SIGTERM");
      } catch {
        // gone already
      }
    }
    await rm(bare, { recursive: true, force: true });
    await b.close();
  }
}

await main();
