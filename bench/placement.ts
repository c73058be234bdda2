/**
 * Placement benchmark (issue: services).
 *
 * 1. The placement engine alone, in this process on one core: 1,000 container instances (three
 *    zones), 100 services × 100 tasks placed with spread(zone) then binpack(memory), against the
 *    same asks placed first-fit with no strategy (the floor: filtering and accounting only).
 * 2. One pass of the service scheduler (the pure planner, `schedule()`), over a snapshot of those
 *    1,000 instances and 100 services asking for 100 tasks each: 10,000 launches planned in one
 *    pass, with everything a pass does besides placement (health, deployments, events).
 * 3. The whole control plane: Berth with 1,000 in-process agents on the in-memory runtime (the same
 *    ContainerRuntime interface as Docker, with its contract suite), 100 services of 100 tasks with
 *    spread then binpack created through the ECS API. Placements/s counts task records created by
 *    the scheduler (snapshot → plan → applier commit); also the time until all 10,000 are RUNNING
 *    and the process's memory, agents included.
 *
 *   node dist/bench/placement.js [--instances 1000] [--services 100] [--tasks-per-service 100] [--skip-system]
 */
import { parseArgs } from "node:util";
import {
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { noNetwork } from "../src/agent/network/bridge.js";
import { MemoryRuntime } from "../src/agent/runtime/memory-runtime.js";
import { schedule } from "../src/control/scheduler/schedule.js";
import { type PlacementNode, place, type Strategy } from "../src/domain/ecs/placement-engine.js";
import { K } from "../src/state/ecs/kinds.js";
import type { TaskRecord } from "../src/state/ecs/tasks.js";
import * as fx from "../test/fixtures/ecs.js";
import { startBerth } from "../test/helpers/berth.js";
import { fmt, machine, percentile, table } from "./lib.js";

const { values } = parseArgs({
  options: {
    instances: { type: "string", default: "1000" },
    services: { type: "string", default: "100" },
    "tasks-per-service": { type: "string", default: "100" },
    "skip-system": { type: "boolean", default: false },
  },
});
const INSTANCES = Number(values.instances);
const SERVICES = Number(values.services);
const PER_SERVICE = Number(values["tasks-per-service"]);
const TOTAL = SERVICES * PER_SERVICE;
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const CPU = 4096;
const MEMORY = 16_384;
const STRATEGIES: Strategy[] = [
  { type: "spread", field: "attribute:ecs.availability-zone" },
  { type: "binpack", field: "memory" },
];

const mib = (bytes: number) => bytes / 2 ** 20;

function nodes(): PlacementNode[] {
  return Array.from({ length: INSTANCES }, (_, i) => ({
    id: `i${String(i).padStart(5, "0")}`,
    arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/bench/i${i}`,
    status: "ACTIVE",
    connected: true,
    attributes: new Map<string, string | undefined>([
      ["ecs.availability-zone", ZONES[i % ZONES.length]],
      ["ecs.os-type", "linux"],
    ]),
    remaining: { cpu: CPU, memory: MEMORY, tcp: new Set([22, 2375, 2376, 51678, 51679]), udp: new Set() },
    groupCounts: new Map(),
    ec2InstanceId: `i-${i}`,
    registeredAt: 0,
    agentVersion: "1",
    runningTasksCount: 0,
  }));
}

/** Place every service's tasks once; returns placements per second and the heap it took. */
function engineRun(strategies: Strategy[]): { perSecond: number; heapMiB: number; placed: number } {
  const ns = nodes();
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let placed = 0;
  for (let s = 0; s < SERVICES; s++) {
    const r = place(ns, {
      count: PER_SERVICE,
      needs: { cpu: 64 + (s % 4) * 64, memory: 128 + (s % 8) * 64, tcpPorts: [], udpPorts: [] },
      requiredAttributes: [],
      group: `service:svc-${s}`,
      constraints: [],
      strategies,
      random: Math.random,
    });
    placed += r.placed.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const heapMiB = mib(process.memoryUsage().heapUsed - heap0);
  return { perSecond: placed / seconds, heapMiB, placed };
}

function engine(): Record<string, string | number>[] {
  const rows: Record<string, string | number>[] = [];
  for (const [name, strategies] of [
    ["spread(zone) then binpack(memory)", STRATEGIES],
    ["first fit, no strategy (floor)", []],
  ] as const) {
    engineRun([...strategies]); // warm up
    const runs = Array.from({ length: 5 }, () => engineRun([...strategies]));
    const rates = runs.map((r) => r.perSecond).sort((a, b) => a - b);
    rows.push({
      placement: name,
      tasks: runs[0]!.placed,
      "placements/s (median of 5)": fmt(percentile(rates, 50), 0),
      "min placements/s": fmt(rates[0]!, 0),
      "heap growth MiB": fmt(Math.max(...runs.map((r) => r.heapMiB)), 1),
    });
  }
  return rows;
}

function schedulerPass(): Record<string, string | number>[] {
  const td = fx.taskDefinition({ family: "bench", cpu: 64, memoryMiB: 128 });
  const instances = Array.from({ length: INSTANCES }, (_, i) =>
    fx.containerInstance({ az: ZONES[i % ZONES.length]!, cpu: CPU, memory: MEMORY }),
  );
  const services = Array.from({ length: SERVICES }, (_, s) =>
    fx.service({
      name: `svc-${s}`,
      td,
      desiredCount: PER_SERVICE,
      strategies: [
        { type: "spread", field: "attribute:ecs.availability-zone" },
        { type: "binpack", field: "memory" },
      ],
    }),
  );
  const runs: { seconds: number; launches: number; heapMiB: number }[] = [];
  for (let r = 0; r < 6; r++) {
    const snap = fx.snapshot({ instances, services, taskDefinitions: [td] });
    globalThis.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const plan = schedule(fx.schedulerInput(snap, { random: Math.random }));
    const seconds = (performance.now() - t0) / 1000;
    const heapMiB = mib(process.memoryUsage().heapUsed - heap0);
    const launches = plan.services.reduce((n, s) => n + s.launches.length, 0);
    if (r > 0) runs.push({ seconds, launches, heapMiB }); // the first warms up
  }
  const rates = runs.map((x) => x.launches / x.seconds).sort((a, b) => a - b);
  return [
    {
      pass: `${SERVICES} services × ${PER_SERVICE} on ${INSTANCES} instances`,
      "launches planned": runs[0]!.launches,
      "placements/s (median of 5)": fmt(percentile(rates, 50), 0),
      "min placements/s": fmt(rates[0]!, 0),
      "pass ms (median)": fmt(
        percentile(
          runs.map((x) => x.seconds * 1000).sort((a, b) => a - b),
          50,
        ),
        0,
      ),
      "heap growth MiB (max)": fmt(Math.max(...runs.map((x) => x.heapMiB)), 1),
    },
  ];
}

async function system(): Promise<Record<string, string | number>[]> {
  const agents = Array.from({ length: INSTANCES }, (_, i) => {
    const runtime = new MemoryRuntime(undefined, { cpus: CPU / 1024, memoryBytes: MEMORY * 2 ** 20 });
    runtime.addLocalImage("bench/app:latest");
    return {
      name: `sim-${i}`,
      runtime,
      network: noNetwork,
      cgroups: false,
      cpu: CPU,
      memoryMiB: MEMORY,
      pullBehavior: "prefer-cached" as const,
      attributes: [{ name: "ecs.availability-zone", value: ZONES[i % ZONES.length]! }],
    };
  });
  const t0 = performance.now();
  const b = await startBerth({ agents, agentTimeoutMs: 600_000, serviceSettleMs: 0 });
  const startSeconds = (performance.now() - t0) / 1000;
  const ecs = b.ecs();
  try {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "bench",
        containerDefinitions: [{ name: "app", image: "bench/app:latest", cpu: 64, memory: 128 }],
      }),
    );
    let created = 0;
    let running = 0;
    let allCreated = 0;
    let allRunning = 0;
    const seen = new Set<string>();
    b.berth.store.subscribe((changes) => {
      for (const c of changes) {
        if (c.kind !== K.task || seen.has(c.key)) continue;
        seen.add(c.key);
        created++;
        if (created === TOTAL) allCreated = performance.now();
      }
    });
    // RUNNING is counted once a second: reading every task change would load the machine it measures.
    const done = new Promise<void>((resolve, reject) => {
      const deadline = performance.now() + 15 * 60_000;
      const poll = setInterval(() => {
        void b.berth.store
          .read(
            async (tx) =>
              (await tx.scan<TaskRecord>(K.task)).filter((r) => r.value.task.lastStatus === "RUNNING").length,
          )
          .then((n) => {
            if (n !== running) process.stderr.write(`  ${created} placed, ${n} RUNNING\n`);
            running = n;
            if (n >= TOTAL) {
              allRunning = performance.now();
              clearInterval(poll);
              resolve();
            } else if (performance.now() > deadline) {
              clearInterval(poll);
              reject(
                new Error(`not all tasks RUNNING after 15 minutes (${created} created, ${running} running)`),
              );
            }
          });
      }, 1000);
    });
    for (let s = 0; s < SERVICES; s++) {
      await ecs.send(
        new CreateServiceCommand({
          serviceName: `svc-${s}`,
          taskDefinition: "bench",
          desiredCount: 0,
          placementStrategy: [
            { type: "spread", field: "attribute:ecs.availability-zone" },
            { type: "binpack", field: "memory" },
          ],
        }),
      );
    }
    // Every service asks for its tasks at once.
    const c0 = performance.now();
    await Promise.all(
      Array.from({ length: SERVICES }, (_, s) =>
        ecs.send(new UpdateServiceCommand({ service: `svc-${s}`, desiredCount: PER_SERVICE })),
      ),
    );
    const updateSeconds = (performance.now() - c0) / 1000;
    await done;
    const mem = process.memoryUsage();
    const placeSeconds = (allCreated - c0) / 1000;
    return [
      { measure: `start Berth with ${INSTANCES} in-memory agents`, value: `${fmt(startSeconds, 1)} s` },
      { measure: `UpdateService × ${SERVICES} at once (API calls)`, value: `${fmt(updateSeconds, 1)} s` },
      { measure: `updates sent → all ${TOTAL} tasks placed`, value: `${fmt(placeSeconds, 1)} s` },
      { measure: "placements/s, end to end (API, scheduler, applier)", value: fmt(TOTAL / placeSeconds, 0) },
      { measure: "updates sent → all RUNNING on the agents", value: `${fmt((allRunning - c0) / 1000, 1)} s` },
      { measure: `process RSS (control plane + ${INSTANCES} agents)`, value: `${fmt(mib(mem.rss), 0)} MiB` },
      { measure: "process heap used", value: `${fmt(mib(mem.heapUsed), 0)} MiB` },
    ];
  } finally {
    await b.close();
  }
}

console.log(`# Placement — ${machine()}\n`);
console.log(
  `## Placement engine: ${INSTANCES} instances, ${SERVICES} services × ${PER_SERVICE} tasks, one core\n`,
);
console.log(table(engine()));
console.log(`\n## One service scheduler pass (schedule(), pure), one core\n`);
console.log(table(schedulerPass()));
if (!values["skip-system"]) {
  console.log(`\n## Control plane with ${INSTANCES} in-memory agents, ${TOTAL} service tasks\n`);
  console.log(table(await system()));
}
