/**
 * Task start benchmark (issue: tasks run for real).
 *
 * 1. RunTask → RUNNING latency against a bare `docker run -d` of the same image, interleaved one
 *    at a time over N tasks each; also Docker's API (create + start) as the floor. Berth's RUNNING
 *    is the moment the control plane records it (its change feed), so no polling delay is counted.
 * 2. 100 tasks started at once on one host: time until all are RUNNING.
 * 3. The agent's CPU with 20 idle tasks, as its own process (`berth agent`), over a minute.
 *
 *   node dist/bench/tasks.js [--tasks 50] [--concurrent 100] [--idle-seconds 60]
 */
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import Docker from "dockerode";
import { K } from "../src/state/ecs/kinds.js";
import type { TaskRecord } from "../src/state/ecs/tasks.js";
import { startBerth, tempDir } from "../test/helpers/berth.js";
import { removeAgentLeftovers, spawnAgent, spawnBerth } from "../test/helpers/process.js";
import { fmt, latencyRow, machine, runningTimer, table } from "./lib.js";

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "50" },
    concurrent: { type: "string", default: "100" },
    "idle-seconds": { type: "string", default: "60" },
  },
});
const N = Number(values.tasks);
const CONCURRENT = Number(values.concurrent);
const IDLE_SECONDS = Number(values["idle-seconds"]);
const IMAGE = "berth-test/http:latest";
const COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"];

async function latency(
  pullBehavior: "prefer-cached" | "default",
): Promise<Record<string, string | number>[]> {
  const b = await startBerth({ agent: { pullBehavior, cleanupWaitMs: 0 } });
  const docker = new Docker();
  const ecs = b.ecs();
  const berthMs: number[] = [];
  const cliMs: number[] = [];
  const apiMs: number[] = [];
  try {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "bench",
        containerDefinitions: [{ name: "app", image: IMAGE, memory: 32, command: COMMAND }],
      }),
    );
    const timeToRunning = runningTimer(b, ecs);
    const berthOnce = async () => {
      berthMs.push(await timeToRunning({ taskDefinition: "bench" }));
    };
    const cliOnce = async (i: number) => {
      const name = `berth-bench-cli-${process.pid}-${i}`;
      const t0 = performance.now();
      await run("/usr/bin/docker", ["run", "-d", "--name", name, "-m", "32m", IMAGE, ...COMMAND]);
      cliMs.push(performance.now() - t0);
      await run("/usr/bin/docker", ["rm", "-f", name]);
    };
    const apiOnce = async () => {
      const t0 = performance.now();
      const c = await docker.createContainer({
        Image: IMAGE,
        Cmd: COMMAND,
        HostConfig: { Memory: 32 * 2 ** 20 },
      });
      await c.start();
      apiMs.push(performance.now() - t0);
      await c.remove({ force: true });
    };
    for (let i = 0; i < 3; i++) {
      await berthOnce();
      await cliOnce(-i - 1);
      await apiOnce();
    }
    berthMs.length = cliMs.length = apiMs.length = 0;
    for (let i = 0; i < N; i++) {
      await berthOnce();
      await cliOnce(i);
      await apiOnce();
    }
  } finally {
    await b.close();
  }
  const diff = berthMs.map((v, i) => v - (cliMs[i] ?? 0));
  return [
    latencyRow(`Berth RunTask → RUNNING (pull behaviour ${pullBehavior})`, berthMs),
    latencyRow("docker run -d (CLI)", cliMs),
    latencyRow("Docker API create + start (floor)", apiMs),
    latencyRow("difference: Berth − docker run -d, per pair", diff),
  ];
}

async function concurrent(): Promise<Record<string, string | number>[]> {
  const b = await startBerth({ agent: { pullBehavior: "prefer-cached", cleanupWaitMs: 0 } });
  const ecs = b.ecs();
  try {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "many",
        containerDefinitions: [{ name: "app", image: IMAGE, memory: 16, command: COMMAND }],
      }),
    );
    const running = new Set<string>();
    let done!: () => void;
    const all = new Promise<void>((r) => {
      done = r;
    });
    b.berth.store.subscribe((changes) => {
      for (const c of changes) {
        if (c.kind !== K.task) continue;
        void b.berth.store
          .read((tx) => tx.get<TaskRecord>(K.task, c.key))
          .then((rec) => {
            if (rec?.value.task.lastStatus === "RUNNING") running.add(rec.value.task.taskArn);
            if (running.size >= CONCURRENT) done();
          });
      }
    });
    const t0 = performance.now();
    const arns: string[] = [];
    await Promise.all(
      Array.from({ length: Math.ceil(CONCURRENT / 10) }, async () => {
        const r = await ecs.send(new RunTaskCommand({ taskDefinition: "many", count: 10 }));
        if ((r.failures ?? []).length) throw new Error(`placement failed: ${JSON.stringify(r.failures)}`);
        arns.push(...r.tasks!.map((t) => t.taskArn!));
      }),
    );
    const placed = performance.now() - t0;
    await all;
    const elapsed = performance.now() - t0;
    await Promise.all(arns.map((a) => ecs.send(new StopTaskCommand({ task: a }))));
    return [
      {
        measure: `${CONCURRENT} tasks started at once`,
        "all placed ms": fmt(placed, 0),
        "all RUNNING ms": fmt(elapsed, 0),
        RUNNING: running.size,
      },
    ];
  } finally {
    await b.close();
  }
}

async function cpuTicks(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]!.split(" ");
  return Number(stat[11]) + Number(stat[12]); // utime + stime (fields 14 and 15), in clock ticks
}

async function idleAgent(): Promise<Record<string, string | number>[]> {
  const dir = await tempDir();
  const agentDir = await tempDir("berth-agent-");
  const cp = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"], { BERTH_LOG_LEVEL: "warn" });
  let agent: Awaited<ReturnType<typeof spawnAgent>> | undefined;
  try {
    const creds = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
    const token = (await readFile(join(dir, "join-token"), "utf8")).trim();
    agent = await spawnAgent(
      [
        "--control-plane",
        cp.url,
        "--token",
        token,
        "--name",
        "idle",
        "--data-dir",
        agentDir,
        "--image-pull-behavior",
        "prefer-cached",
      ],
      {
        BERTH_LOG_LEVEL: "warn",
      },
    );
    const ecs = new ECSClient({ endpoint: cp.url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "idle",
        containerDefinitions: [{ name: "app", image: IMAGE, memory: 16, command: COMMAND }],
      }),
    );
    for (let i = 0; i < 2; i++) await ecs.send(new RunTaskCommand({ taskDefinition: "idle", count: 10 }));
    // Let the tasks settle, then measure.
    await new Promise((r) => setTimeout(r, 10_000));
    const pid = Number(
      (await run("pgrep", ["-f", `agent --control-plane ${cp.url}`])).stdout.trim().split("\n").at(-1),
    );
    const ticks = Number((await run("getconf", ["CLK_TCK"])).stdout.trim());
    const before = await cpuTicks(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const seconds = (performance.now() - t0) / 1000;
    const used = (await cpuTicks(pid)) - before;
    const pct = (used / ticks / seconds) * 100;
    return [
      {
        measure: "agent CPU, 20 idle tasks",
        seconds: fmt(seconds, 0),
        "CPU % of one core": fmt(pct, 2),
        goal: "≤ 0.5",
      },
    ];
  } finally {
    await agent?.stop();
    await cp.stop();
    await removeAgentLeftovers(dir, agentDir);
    await rm(dir, { recursive: true, force: true });
    await rm(agentDir, { recursive: true, force: true });
  }
}

async function main() {
  const rows = [...(await latency("prefer-cached")), ...(await latency("default"))];
  const conc = await concurrent();
  const idle = await idleAgent();
  console.log(`\nTask start benchmark — ${N} tasks each, one at a time, interleaved with docker run -d`);
  console.log(
    `machine: ${machine()}, Docker ${(await run("/usr/bin/docker", ["version", "-f", "{{.Server.Version}}"])).stdout.trim()}\n`,
  );
  console.log(table(rows));
  console.log();
  console.log(table(conc));
  console.log();
  console.log(table(idle));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
