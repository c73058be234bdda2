/**
 * Property-based tests of the service scheduler. Each case draws, from a seeded PRNG, a cluster
 * (1-20 instances in 1-3 zones with random resources and custom attributes, some draining), 1-3
 * services (REPLICA or DAEMON, desired 0-20, random minimumHealthyPercent/maximumPercent, placement
 * strategies and constraints, circuit breaker, grace period), task definitions (cpu, memory,
 * static host ports, health checks, memberOf) and standalone tasks, then runs the simulator for
 * many steps with random agent outcomes (failed starts, unhealthy tasks, crashes, tasks stuck
 * PENDING) and random operator actions (UpdateService with a new task definition or desired count,
 * draining, new instances, silent agents, DeleteService). After every pass it checks:
 *
 * - healthy tasks never drop below ceil(desired × min / 100) because of a scheduler stop;
 * - RUNNING + PENDING tasks never exceed floor(desired × max / 100) after a pass that launched;
 * - no instance is over-committed (cpu, memory, static ports) counting every non-stopped task;
 * - every launch goes where a brute-force placement oracle allows (constraints, resources, and
 *   the best node by the strategies); DAEMON tasks: one per instance, on eligible instances only;
 * - a deployment FAILS only after threshold failures since it became PRIMARY, and then launches
 *   nothing; deployment counts match the tasks; events stay newest first and at most 100;
 * - a plan is idempotent: planning again at the same moment launches and stops nothing, and the
 *   third pass changes nothing at all (the loop does not spin);
 * - liveness (every 4th case): once the cluster heals and has room, every service settles —
 *   deleted ones INACTIVE, REPLICA ones with one COMPLETED deployment and desiredCount healthy
 *   tasks, DAEMON ones one task per instance — unless its own configuration holds it.
 *
 * A failure names the seed; rerun one case with BERTH_SCHED_SEED=<seed> BERTH_SCHED_CASES=1. More
 * cases or longer histories: BERTH_SCHED_CASES=20000, BERTH_SCHED_STEPS=100.
 * A second property checks the placement engine alone against the oracle on small inputs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PlacementConstraint, PlacementStrategy } from "@aws-sdk/client-ecs";
import type { ClusterSnapshot } from "../../src/control/cluster-snapshot.js";
import { failureThreshold } from "../../src/control/scheduler/circuit-breaker.js";
import type { Plan } from "../../src/control/scheduler/types.js";
import {
  DEFAULT_SERVICE_STRATEGY,
  type PlacementNode,
  place,
  type Strategy,
} from "../../src/domain/ecs/placement-engine.js";
import { compileQuery } from "../../src/domain/ecs/query-language.js";
import type { StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import { holdsResources } from "../../src/domain/ecs/task-status.js";
import type { ContainerInstanceRecord } from "../../src/state/ecs/container-instances.js";
import type { ServiceRecord } from "../../src/state/ecs/services.js";
import type { TaskRecord } from "../../src/state/ecs/tasks.js";
import {
  AGENT_TIMEOUT_MS,
  containerInstance,
  SETTLE_MS,
  seededRandom,
  service,
  T0,
  task,
  taskDefinition,
} from "../fixtures/ecs.js";
import { acceptable, type OracleAsk, type OracleNode, take } from "../helpers/placement-oracle.js";
import { type Fate, Sim } from "../helpers/scheduler-sim.js";

const envInt = (name: string, dflt: number) => {
  const v = process.env[name];
  return v === undefined || v === "" ? dflt : Number(v);
};
const CASES = envInt("BERTH_SCHED_CASES", 1000);
const BASE_SEED = envInt("BERTH_SCHED_SEED", 20_260_101);
const ORACLE_CASES = envInt("BERTH_SCHED_ORACLE_CASES", 4000);
/** Steps per case: at least 10, at most this many (longer histories: BERTH_SCHED_STEPS=100). */
const MAX_STEPS = envInt("BERTH_SCHED_STEPS", 30);
/** One case in this many ends with a liveness check (healing the cluster and letting it settle). */
const HEAL_EVERY = envInt("BERTH_SCHED_HEAL_EVERY", 4);

/** assert.ok with a message built only on failure (the checks run a million times). */
function check(cond: boolean, message: () => string): asserts cond {
  if (!cond) assert.fail(message());
}

class Gen {
  constructor(readonly r: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
}

const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];

/** memberOf expressions and, independently of the query language, which attributes satisfy them. */
const MEMBER_OF: { expression: string; holds: (a: ReadonlyMap<string, string | undefined>) => boolean }[] = [
  { expression: "attribute:stack == prod", holds: (a) => a.get("stack") === "prod" },
  { expression: "attribute:tier in [a, b]", holds: (a) => a.get("tier") === "a" || a.get("tier") === "b" },
  { expression: "attribute:stack exists", holds: (a) => a.has("stack") },
  { expression: "not(attribute:tier == c)", holds: (a) => a.get("tier") !== "c" },
  {
    expression: "attribute:ecs.availability-zone != us-east-1c and attribute:stack != dev",
    holds: (a) => a.get("ecs.availability-zone") !== "us-east-1c" && a.get("stack") !== "dev",
  },
];
const holdsOf = new Map(MEMBER_OF.map((m) => [m.expression, m.holds]));

const STRATEGIES: PlacementStrategy[][] = [
  [],
  [],
  [{ type: "spread", field: "attribute:ecs.availability-zone" }],
  [{ type: "spread", field: "instanceId" }],
  [{ type: "binpack", field: "cpu" }],
  [{ type: "binpack", field: "memory" }],
  [{ type: "random" }],
  [
    { type: "spread", field: "attribute:ecs.availability-zone" },
    { type: "binpack", field: "memory" },
  ],
  [
    { type: "spread", field: "attribute:tier" },
    { type: "spread", field: "host" },
  ],
  [
    { type: "binpack", field: "cpu" },
    { type: "spread", field: "instanceId" },
  ],
];

function randomTd(g: Gen, family: string, revision: number): StoredTaskDefinition {
  const constrained = g.chance(0.1);
  const port = g.chance(0.25) ? g.pick([8080, 8081]) : undefined;
  return taskDefinition({
    family,
    revision,
    cpu: g.pick([64, 128, 256, 512, 1024]),
    memoryMiB: g.pick([64, 128, 256, 512, 1024]),
    ...(port !== undefined ? { hostPort: port } : {}),
    healthCheck: g.chance(0.35),
    placementConstraints: constrained ? [{ type: "memberOf", expression: g.pick(MEMBER_OF).expression }] : [],
  });
}

function randomInstance(g: Gen, id: string, zones: string[], now: number): ContainerInstanceRecord {
  const attrs: Record<string, string> = {};
  if (g.chance(0.7)) attrs.stack = g.pick(["prod", "dev"]);
  if (g.chance(0.8)) attrs.tier = g.pick(["a", "b", "c"]);
  return containerInstance({
    id,
    // The capabilities the random task definitions need (all 40 an agent advertises only make
    // every pass slower).
    capabilities: ["ecs.capability.container-health-check"],
    az: g.pick(zones),
    cpu: g.pick([512, 1024, 2048, 4096]),
    memory: g.pick([512, 1024, 2048, 4096, 8192]),
    attrs,
    registeredAt: now,
    lastSeenAt: now,
    status: g.chance(0.1) ? "DRAINING" : "ACTIVE",
  });
}

function randomService(g: Gen, name: string, td: StoredTaskDefinition): ServiceRecord {
  const daemon = g.chance(0.15);
  const constraints: PlacementConstraint[] = [];
  if (!daemon && g.chance(0.25)) constraints.push({ type: "distinctInstance" });
  if (g.chance(0.25)) constraints.push({ type: "memberOf", expression: g.pick(MEMBER_OF).expression });
  const cb = g.chance(0.6) ? { enable: true, rollback: g.chance(0.6) } : undefined;
  return service({
    name,
    td,
    now: T0,
    schedulingStrategy: daemon ? "DAEMON" : "REPLICA",
    ...(daemon ? {} : { desiredCount: g.pick([0, 1, 2, 3, 4, 6, g.int(0, 20)]) }),
    minimumHealthyPercent: g.pick([0, 25, 50, 75, 100, g.int(0, 100)]),
    maximumPercent: daemon ? 100 : g.pick([100, 125, 150, 200, g.int(100, 200)]),
    constraints,
    strategies: daemon ? [] : g.pick(STRATEGIES),
    ...(cb ? { circuitBreaker: cb } : {}),
    ...(g.chance(0.3) ? { healthCheckGracePeriodSeconds: g.pick([30, 60, 120]) } : {}),
  });
}

// --- What a task reserves, independently of resources.ts (the fixtures' task definitions have one container) ----

const needsOf = (td: StoredTaskDefinition | undefined) => {
  const c = td?.containerDefinitions[0];
  return {
    cpu: c?.cpu ?? 0,
    memory: c?.memory ?? 0,
    ports: (c?.portMappings ?? []).flatMap((p) => (p.hostPort ? [p.hostPort] : [])),
  };
};
const hasChecks = (td: StoredTaskDefinition | undefined) =>
  td?.containerDefinitions.some((c) => c.healthCheck !== undefined) ?? false;
const isActive = (t: TaskRecord) => t.task.lastStatus !== "STOPPED" && t.task.desiredStatus === "RUNNING";
const holds = (t: TaskRecord) => holdsResources(t.task.lastStatus, t.task.desiredStatus);

/** ECS's notion of a healthy service task (research §3.1), written out independently of health.ts. */
function isHealthy(t: TaskRecord, td: StoredTaskDefinition | undefined, now: number): boolean {
  if (!isActive(t) || t.task.lastStatus !== "RUNNING") return false;
  if (hasChecks(td)) return t.task.healthStatus === "HEALTHY";
  return now >= (t.task.startedAt ?? Number.POSITIVE_INFINITY) + SETTLE_MS;
}

function randomWorld(seed: number) {
  const g = new Gen(seededRandom(seed));
  const zones = ZONES.slice(0, g.int(1, 3));
  const instances = Array.from({ length: g.int(1, 20) }, (_, k) =>
    randomInstance(g, `i${String(k).padStart(2, "0")}`, zones, T0),
  );
  const tds: StoredTaskDefinition[] = [];
  const services: ServiceRecord[] = [];
  for (let k = 0; k < g.int(1, 3); k++) {
    const td = randomTd(g, `s${k}`, 1);
    tds.push(td);
    services.push(randomService(g, `s${k}`, td));
  }
  // Standalone tasks (RunTask) where they fit: resources the scheduler must work around.
  const batch = randomTd(g, "batch", 1);
  tds.push(batch);
  const tasks: TaskRecord[] = [];
  const used = new Map<string, { cpu: number; memory: number; ports: Set<number> }>();
  for (let k = 0; k < g.int(0, 5); k++) {
    const inst = g.pick(instances);
    const u = used.get(inst.id) ?? { cpu: 0, memory: 0, ports: new Set<number>() };
    const n = needsOf(batch);
    if (
      u.cpu + n.cpu > inst.resources.cpu ||
      u.memory + n.memory > inst.resources.memoryMiB ||
      n.ports.some((p) => u.ports.has(p) || inst.resources.reservedPorts.includes(p))
    )
      continue;
    u.cpu += n.cpu;
    u.memory += n.memory;
    for (const p of n.ports) u.ports.add(p);
    used.set(inst.id, u);
    tasks.push(task({ td: batch, instance: inst, createdAt: T0 - 60_000 }));
  }
  // How often tasks fail to start or come up unhealthy depends on the task definition: some
  // revisions are broken (so deployments fail and roll back), most are fine or flaky.
  const pWait = g.pick([0, 0.2, 0.5]);
  const pCrash = g.pick([0, 0, 0.02, 0.1]);
  const flaws = new Map<string, { fail: number; unhealthy: number }>();
  const flaw = (t: TaskRecord) => {
    const arn = t.task.taskDefinitionArn;
    let f = flaws.get(arn);
    if (!f) {
      const broken = !arn.endsWith(":1") && g.chance(0.3);
      f = {
        fail: broken && g.chance(0.6) ? 1 : g.pick([0, 0, 0.1, 0.3]),
        unhealthy: broken ? g.pick([0, 1]) : g.pick([0, 0, 0.1, 0.3]),
      };
      flaws.set(arn, f);
    }
    return f;
  };
  const fate: Fate = {
    starts: (t) => (g.chance(pWait) ? "wait" : !g.chance(flaw(t).fail)),
    health: (t) => (g.chance(flaw(t).unhealthy) ? "UNHEALTHY" : "HEALTHY"),
    crashes: () => g.chance(pCrash),
  };
  const sim = new Sim({ instances, tasks, services, taskDefinitions: tds, now: T0, seed, fate });
  return { g, sim, zones };
}

// --- Checks --------------------------------------------------------------------------------------

function oracleNodes(snap: ClusterSnapshot): OracleNode[] {
  const out: OracleNode[] = [];
  for (const r of snap.instances) {
    const i = r.value;
    if (i.status === "INACTIVE") continue;
    const n: OracleNode = {
      id: i.id,
      eligible: false,
      attributes: new Map(i.attributes.map((a) => [a.name!, a.value])),
      cpu: i.resources.cpu,
      memory: i.resources.memoryMiB,
      ports: new Set(i.resources.reservedPorts),
      groups: new Map(),
    };
    for (const t of snap.tasks) {
      if (t.value.instanceId !== i.id || !holds(t.value)) continue;
      const need = needsOf(snap.taskDefinitions.get(t.value.task.taskDefinitionArn));
      n.cpu -= need.cpu;
      n.memory -= need.memory;
      for (const p of need.ports) n.ports.add(p);
      const gname = t.value.task.group ?? "";
      n.groups.set(gname, (n.groups.get(gname) ?? 0) + 1);
    }
    out.push(n);
  }
  return out;
}

const oracleStrategies = (svc: ServiceRecord): OracleAsk["strategies"] =>
  svc.placementStrategy.length === 0
    ? DEFAULT_SERVICE_STRATEGY
    : svc.placementStrategy.map((s) =>
        s.type === "binpack"
          ? { type: "binpack" as const, field: (s.field ?? "").toLowerCase() as "cpu" | "memory" }
          : s.type === "spread"
            ? { type: "spread" as const, field: s.field! }
            : { type: "random" as const },
      );

/** Checks on a plan against the snapshot it was made from, before it is applied. */
function checkPlan(sim: Sim, snap: ClusterSnapshot, plan: Plan): void {
  const nodes = oracleNodes(snap);
  const inst = new Map(snap.instances.map((r) => [r.value.id, r.value]));
  for (const sp of plan.services) {
    const svc = snap.services.find((s) => s.key === sp.serviceKey)!.value;
    for (const l of sp.launches) {
      const td = snap.taskDefinitions.get(l.taskDefinitionArn)!;
      const i = inst.get(l.instanceId);
      assert.ok(i, `launch on unknown instance ${l.instanceId}`);
      // The deployment as this pass leaves it (a circuit-breaker rollback brings one back).
      const dep = (sp.next ?? svc).deployments.find((d) => d.id === l.deploymentId);
      assert.ok(dep, `launch for unknown deployment ${l.deploymentId}`);
      assert.equal(dep.status, "PRIMARY", `${svc.name}: launch for ${dep.status} deployment ${dep.id}`);
      assert.notEqual(dep.rolloutState, "FAILED", `${svc.name}: launch for FAILED deployment ${dep.id}`);
      assert.equal(dep.taskDefinition, l.taskDefinitionArn);
      const memberOf = [...(td.placementConstraints ?? []), ...svc.placementConstraints].filter(
        (c) => c.type === "memberOf",
      );
      for (const n of nodes) {
        const ci = inst.get(n.id)!;
        n.eligible =
          ci.status === "ACTIVE" &&
          snap.now - ci.lastSeenAt < AGENT_TIMEOUT_MS &&
          (td.requiresAttributes ?? []).every((a) => n.attributes.has(a.name!)) &&
          memberOf.every((c) => holdsOf.get(c.expression!)!(n.attributes));
      }
      const need = needsOf(td);
      const ask: OracleAsk = {
        ...need,
        group: `service:${svc.name}`,
        distinct: svc.placementConstraints.some((c) => c.type === "distinctInstance"),
        strategies: svc.schedulingStrategy === "DAEMON" ? [{ type: "random" }] : oracleStrategies(svc),
      };
      const node = nodes.find((n) => n.id === l.instanceId);
      assert.ok(node, `${svc.name}: launch on ${i.status} instance ${l.instanceId}`);
      if (svc.schedulingStrategy === "DAEMON") {
        assert.ok(node.eligible, `${svc.name}: daemon task on ineligible ${l.instanceId}`);
        assert.ok(
          acceptable([node], ask).has(node.id),
          `${svc.name}: daemon task does not fit on ${l.instanceId}`,
        );
      } else {
        const ok = acceptable(nodes, ask);
        check(
          ok.has(l.instanceId),
          () =>
            `${svc.name}: launch on ${l.instanceId}, oracle allows [${[...ok].join(", ")}] (strategies ${JSON.stringify(ask.strategies)}, distinct ${ask.distinct})`,
        );
      }
      take(node, ask);
    }
    // The circuit breaker trips only after threshold failures since the deployment became PRIMARY.
    const P = svc.deployments[0];
    const nextP = sp.next?.deployments.find((d) => d.id === P?.id);
    if (P && P.rolloutState === "IN_PROGRESS" && nextP?.rolloutState === "FAILED") {
      const since = sim.primarySince.get(P.id) ?? 0;
      const failures = (sim.failures.get(P.id) ?? []).filter((at) => at > since).length;
      assert.ok(
        failures >= failureThreshold(svc.desiredCount),
        `${svc.name}: deployment FAILED after ${failures} failures (threshold ${failureThreshold(svc.desiredCount)})`,
      );
    }
  }
}

/** Checks after a plan was applied (same moment), against the snapshot before it. */
function checkApplied(sim: Sim, before: ClusterSnapshot, plan: Plan): void {
  const now = sim.now;
  for (const r of before.services) {
    const svc = r.value;
    if (svc.status !== "ACTIVE" || svc.schedulingStrategy !== "REPLICA") continue;
    const sp = plan.services.find((s) => s.serviceKey === r.key)!;
    const group = `service:${svc.name}`;
    const td = (t: TaskRecord) => before.taskDefinitions.get(t.task.taskDefinitionArn);
    const was = before.tasks.map((t) => t.value).filter((t) => t.task.group === group);
    const is = sim.tasksOf(svc.name);
    const minHealthy = Math.ceil(
      (svc.desiredCount * svc.deploymentConfiguration.minimumHealthyPercent) / 100,
    );
    const maxTotal = Math.floor((svc.desiredCount * svc.deploymentConfiguration.maximumPercent) / 100);
    const healthyBefore = was.filter((t) => isHealthy(t, td(t), now)).length;
    const healthyAfter = is.filter((t) => isHealthy(t, td(t), now)).length;
    check(
      healthyAfter >= Math.min(healthyBefore, minHealthy),
      () =>
        `${svc.name}: healthy ${healthyBefore} -> ${healthyAfter}, minimum ${minHealthy} (desired ${svc.desiredCount}, ${svc.deploymentConfiguration.minimumHealthyPercent}/${svc.deploymentConfiguration.maximumPercent}); stops: ${sp.stops.map((s) => s.reason).join("; ")}`,
    );
    const activeBefore = was.filter(isActive).length;
    const activeAfter = is.filter(isActive).length;
    if (sp.launches.length > 0 || activeBefore <= maxTotal)
      assert.ok(
        activeAfter <= maxTotal,
        `${svc.name}: ${activeAfter} tasks RUNNING or PENDING, maximum ${maxTotal} (before ${activeBefore}, launched ${sp.launches.length})`,
      );
  }
  // DAEMON: at most one task per instance; replacing old tasks on instances that keep the daemon
  // respects minimumHealthyPercent of the eligible instances (tasks on instances that no longer
  // qualify may stop regardless).
  for (const r of before.services) {
    const svc = r.value;
    if (svc.schedulingStrategy !== "DAEMON" || svc.status !== "ACTIVE") continue;
    const per = new Map<string, number>();
    for (const t of sim.activeOf(svc.name)) per.set(t.instanceId!, (per.get(t.instanceId!) ?? 0) + 1);
    for (const [i, n] of per) check(n <= 1, () => `${svc.name}: ${n} daemon tasks on ${i}`);
    const td = before.taskDefinitions.get(svc.deployments[0]!.taskDefinition)!;
    const memberOf = [...(td.placementConstraints ?? []), ...svc.placementConstraints].filter(
      (c) => c.type === "memberOf",
    );
    const group = `service:${svc.name}`;
    const live = before.tasks
      .map((t) => t.value)
      .filter((t) => t.task.group === group && t.task.lastStatus !== "STOPPED");
    const keeps = new Set(
      before.instances
        .map((x) => x.value)
        .filter((i) => {
          const attrs = new Map(i.attributes.map((a) => [a.name!, a.value]));
          return (
            i.status === "ACTIVE" &&
            (td.requiresAttributes ?? []).every((a) => attrs.has(a.name!)) &&
            memberOf.every((c) => holdsOf.get(c.expression!)!(attrs))
          );
        })
        .filter((i) => now - i.lastSeenAt < AGENT_TIMEOUT_MS || live.some((t) => t.instanceId === i.id))
        .map((i) => i.id),
    );
    const minHealthy = Math.ceil((keeps.size * svc.deploymentConfiguration.minimumHealthyPercent) / 100);
    const healthyOn = (ts: TaskRecord[]) =>
      ts.filter(
        (t) =>
          keeps.has(t.instanceId!) && isHealthy(t, before.taskDefinitions.get(t.task.taskDefinitionArn), now),
      ).length;
    const healthyBefore = healthyOn(live);
    const healthyAfter = healthyOn(sim.tasksOf(svc.name));
    assert.ok(
      healthyAfter >= Math.min(healthyBefore, minHealthy),
      `${svc.name} (DAEMON): healthy ${healthyBefore} -> ${healthyAfter} on ${keeps.size} instances, minimum ${minHealthy}`,
    );
  }
  // A draining (deleted) service launches nothing; an INACTIVE one has no task left running.
  for (const sp of plan.services) {
    const was = before.services.find((x) => x.key === sp.serviceKey)!.value;
    if (was.status !== "ACTIVE")
      assert.equal(sp.launches.length, 0, `${was.name}: launch while ${was.status}`);
    if (sp.next?.status === "INACTIVE")
      assert.equal(sim.activeOf(was.name).length, 0, `${was.name}: INACTIVE with tasks still running`);
    // A deployment completes only with every desired task healthy and nothing left to replace.
    const P = sp.next?.deployments[0];
    if (
      P &&
      sp.next?.status === "ACTIVE" &&
      P.rolloutState === "COMPLETED" &&
      was.deployments.find((d) => d.id === P.id)?.rolloutState !== "COMPLETED"
    ) {
      const mine = sim.activeOf(was.name);
      assert.equal(sp.next.deployments.length, 1, `${was.name}: completed with older deployments left`);
      assert.ok(
        mine.every((t) => t.task.startedBy === P.id),
        `${was.name}: completed with other deployments' tasks`,
      );
      assert.ok(
        mine.filter((t) => isHealthy(t, sim.td(t.task.taskDefinitionArn), now)).length >=
          sp.next.desiredCount,
        `${was.name}: completed before ${sp.next.desiredCount} tasks were healthy`,
      );
      if (was.schedulingStrategy === "REPLICA")
        assert.ok(
          mine.every((t) => sim.instance(t.instanceId!).status === "ACTIVE"),
          `${was.name}: completed with tasks on a draining instance`,
        );
    }
  }
  // No instance is over-committed.
  const use = new Map<string, { cpu: number; memory: number; ports: Set<number> }>();
  for (const r of sim.instances.values())
    use.set(r.value.id, { cpu: 0, memory: 0, ports: new Set(r.value.resources.reservedPorts) });
  for (const t of sim.tasks.values()) {
    if (!t.value.instanceId || !holds(t.value)) continue;
    const u = use.get(t.value.instanceId)!;
    const n = needsOf(sim.td(t.value.task.taskDefinitionArn));
    u.cpu += n.cpu;
    u.memory += n.memory;
    for (const p of n.ports) {
      check(!u.ports.has(p), () => `${t.value.instanceId}: port ${p} taken twice`);
      u.ports.add(p);
    }
  }
  for (const r of sim.instances.values()) {
    const i = r.value;
    const u = use.get(i.id)!;
    check(u.cpu <= i.resources.cpu, () => `${i.id}: cpu ${u.cpu} > ${i.resources.cpu}`);
    check(u.memory <= i.resources.memoryMiB, () => `${i.id}: memory ${u.memory} > ${i.resources.memoryMiB}`);
  }
  // Deployment bookkeeping and events.
  for (const r of sim.services.values()) {
    const svc = r.value;
    if (svc.status === "INACTIVE") continue;
    assert.ok(svc.events.length <= 100);
    for (let k = 1; k < svc.events.length; k++)
      check(
        svc.events[k - 1]!.createdAt >= svc.events[k]!.createdAt,
        () => `${svc.name}: events out of order`,
      );
    assert.equal(svc.deployments[0]?.status, "PRIMARY");
    assert.ok(svc.deployments.slice(1).every((d) => d.status === "ACTIVE"));
    const active = sim.activeOf(svc.name);
    const listed = new Set(svc.deployments.map((d) => d.id));
    assert.ok(
      active.every((t) => listed.has(t.task.startedBy!)),
      `${svc.name}: a running task's deployment is no longer listed`,
    );
    for (const d of svc.deployments) {
      const mine = active.filter((t) => t.task.startedBy === d.id);
      const running = mine.filter((t) => t.task.lastStatus === "RUNNING").length;
      check(
        d.runningCount === running && d.pendingCount === mine.length - running,
        () =>
          `${svc.name}: deployment ${d.id} counts ${d.runningCount}/${d.pendingCount}, tasks ${running}/${mine.length - running}`,
      );
    }
  }
}

function emptyPlan(p: Plan): boolean {
  return p.services.every(
    (s) => !s.next && s.launches.length === 0 && s.stops.length === 0 && s.deploymentUpdates.length === 0,
  );
}

/** One scheduler pass with every check, then the idempotence checks. */
function checkedPass(sim: Sim): void {
  const before = sim.snapshot();
  const plan = sim.plan();
  checkPlan(sim, before, plan);
  sim.apply(plan);
  checkApplied(sim, before, plan);
  const again = sim.plan();
  for (const s of again.services)
    check(
      s.launches.length + s.stops.length === 0,
      () =>
        `re-planning ${s.serviceKey} at the same moment launches or stops again: ${JSON.stringify({ launches: s.launches, stops: s.stops, first: plan.services.find((x) => x.serviceKey === s.serviceKey) })}`,
    );
  // An empty second plan changes nothing, so a third would see the same state and be empty too.
  if (emptyPlan(again)) return;
  sim.apply(again);
  const third = sim.plan();
  check(
    emptyPlan(third),
    () =>
      `the third pass at the same moment still changes something: ${JSON.stringify(third.services.map((s) => ({ key: s.serviceKey, updates: s.deploymentUpdates, next: s.next ? diff(sim.services.get(s.serviceKey)!.value, s.next) : undefined })))}`,
  );
}

/** Top-level keys (and scheduler keys) that differ: for failure messages. */
function diff(a: ServiceRecord, b: ServiceRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(b) as (keyof ServiceRecord)[])
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out[k] = [a[k], b[k]];
  return out;
}

/** A random operator action, sometimes. */
function act(g: Gen, sim: Sim, zones: string[], revisions: Map<string, number>): void {
  const live = [...sim.services.values()].map((r) => r.value).filter((s) => s.status === "ACTIVE");
  const instances = [...sim.instances.values()].map((r) => r.value);
  const x = g.r();
  if (x < 0.08 && live.length > 0) {
    const s = g.pick(live);
    const rev = (revisions.get(s.name) ?? 1) + 1;
    revisions.set(s.name, rev);
    sim.updateService(s.name, { td: randomTd(g, s.name, rev) });
  } else if (x < 0.16) {
    const replica = live.filter((s) => s.schedulingStrategy === "REPLICA");
    if (replica.length > 0) sim.updateService(g.pick(replica).name, { desiredCount: g.int(0, 20) });
  } else if (x < 0.19) {
    const active = instances.filter((i) => i.status === "ACTIVE");
    if (active.length > 0) sim.setInstanceStatus(g.pick(active).id, "DRAINING");
  } else if (x < 0.22) {
    const draining = instances.filter((i) => i.status === "DRAINING");
    if (draining.length > 0) sim.setInstanceStatus(g.pick(draining).id, "ACTIVE");
  } else if (x < 0.25 && instances.length < 25) {
    sim.putInstance(randomInstance(g, `i${String(instances.length).padStart(2, "0")}`, zones, sim.now));
  } else if (x < 0.28) {
    sim.silent.add(g.pick(instances).id);
  } else if (x < 0.31) {
    sim.silent.clear();
  } else if (x < 0.32 && live.length > 0) {
    sim.deleteService(g.pick(live).name);
  } else if (x < 0.34) {
    // DeregisterContainerInstance (force): the instance and its agent are gone.
    const gone = g.pick(instances);
    sim.setInstanceStatus(gone.id, "INACTIVE");
  } else if (x < 0.38 && live.length > 0) {
    // UpdateService without a new deployment: bounds, strategies, constraints.
    const s = g.pick(live);
    const daemon = s.schedulingStrategy === "DAEMON";
    const y = g.r();
    if (y < 0.5)
      sim.updateService(s.name, {
        minimumHealthyPercent: g.pick([0, 50, 100, g.int(0, 100)]),
        maximumPercent: daemon ? 100 : g.pick([100, 150, 200, g.int(100, 200)]),
      });
    else if (y < 0.75 && !daemon) sim.updateService(s.name, { placementStrategy: g.pick(STRATEGIES) });
    else {
      const constraints: PlacementConstraint[] = [];
      if (!daemon && g.chance(0.3)) constraints.push({ type: "distinctInstance" });
      if (g.chance(0.3)) constraints.push({ type: "memberOf", expression: g.pick(MEMBER_OF).expression });
      sim.updateService(s.name, { placementConstraints: constraints });
    }
  }
}

function runCase(seed: number): void {
  const { g, sim, zones } = randomWorld(seed);
  const revisions = new Map<string, number>();
  const steps = g.int(10, Math.max(10, MAX_STEPS));
  for (let step = 0; step < steps; step++) {
    act(g, sim, zones, revisions);
    try {
      checkedPass(sim);
    } catch (err) {
      (err as Error).message = `step ${step}, t=+${(sim.now - T0) / 1000}s: ${(err as Error).message}`;
      throw err;
    }
    sim.advance(g.pick([5_000, 15_000, 15_000, 30_000, 60_000, 300_000, 1_200_000]));
  }
  if (seed % HEAL_EVERY === 0) heal(sim, g);
}

/**
 * Liveness: after the chaos, every agent is back and healthy, draining instances return, and
 * enough large instances join to hold every service. Then every service settles as ECS would:
 * a deleted one becomes INACTIVE; a REPLICA service ends with one COMPLETED deployment and
 * exactly desiredCount healthy tasks on ACTIVE instances; a DAEMON one with one healthy task per
 * eligible instance — unless its own configuration holds it (min = max = desired with tasks to
 * replace) or its deployment FAILED without rollback.
 */
function heal(sim: Sim, g: Gen): void {
  sim.fate = {};
  sim.silent.clear();
  for (const r of [...sim.instances.values()])
    if (r.value.status === "DRAINING") sim.setInstanceStatus(r.value.id, "ACTIVE");
  const services = [...sim.services.values()].map((r) => r.value);
  const room =
    services.reduce((n, s) => n + (s.schedulingStrategy === "REPLICA" ? s.desiredCount : 0), 0) + 2;
  for (let k = 0; k < room; k++) {
    sim.putInstance(
      containerInstance({
        id: `x${String(k).padStart(2, "0")}`,
        az: g.pick(["us-east-1a", "us-east-1b"]),
        cpu: 16_384,
        memory: 65_536,
        attrs: { stack: "prod", tier: "a" },
        capabilities: ["ecs.capability.container-health-check"],
        registeredAt: sim.now,
        lastSeenAt: sim.now,
      }),
    );
  }
  // Services whose task definitions want the same static host port compete for instances.
  const portOf = (s: ServiceRecord) => needsOf(sim.td(s.taskDefinition)).ports;
  const contended = (s: ServiceRecord) =>
    portOf(s).some((p) => services.some((o) => o !== s && o.status !== "INACTIVE" && portOf(o).includes(p)));
  const held = new Map<string, boolean>();
  for (const s of services) {
    const { minimumHealthyPercent: min, maximumPercent: max } = s.deploymentConfiguration;
    const d = s.desiredCount;
    held.set(
      s.name,
      s.schedulingStrategy === "REPLICA"
        ? d > 0 && Math.floor((d * max) / 100) <= d && Math.ceil((d * min) / 100) >= d
        : min > 0,
    );
  }
  // Two hours at most (the start throttle waits up to 15 minutes); done once three passes in a
  // row change nothing while no service waits out its throttle.
  for (let n = 0, quiet = 0; n < 60 && quiet < 3; n++) {
    quiet = emptyPlan(sim.pass()) ? quiet + 1 : 0;
    if ([...sim.services.values()].some((r) => (r.value.scheduler.throttledUntil ?? 0) > sim.now)) quiet = 0;
    sim.advance(120_000);
  }
  for (const s0 of services) {
    const s = sim.service(s0.name);
    const why = () =>
      `${s.name} did not settle: ${JSON.stringify(s.deployments.map((d) => [d.status, d.rolloutState, d.runningCount, d.pendingCount]))} desired ${s.desiredCount}; ${sim.messages(s.name).slice(-4).join(" | ")}`;
    if (s0.status !== "ACTIVE") {
      check(s.status === "INACTIVE", why);
      continue;
    }
    const P = s.deployments[0]!;
    if (contended(s) || P.rolloutState === "FAILED" || (held.get(s.name) && s.deployments.length > 1))
      continue;
    if (held.get(s.name) && sim.activeOf(s.name).some((t) => sim.instance(t.instanceId!).status !== "ACTIVE"))
      continue;
    // (A DAEMON deployment completes only once every eligible instance runs it, and a small
    // instance may lack the resources, so only a REPLICA deployment must complete here.)
    check(
      s.deployments.length === 1 && (P.rolloutState === "COMPLETED" || s.schedulingStrategy === "DAEMON"),
      why,
    );
    const active = sim.activeOf(s.name);
    const td = (t: TaskRecord) => sim.td(t.task.taskDefinitionArn);
    check(
      active.every((t) => t.task.startedBy === P.id && isHealthy(t, td(t), sim.now)),
      why,
    );
    if (s.schedulingStrategy === "REPLICA") {
      check(active.length === s.desiredCount, why);
      check(
        active.every((t) => sim.instance(t.instanceId!).status === "ACTIVE"),
        why,
      );
    } else {
      // One task per instance, and one on every large instance its constraints allow that still
      // has room for it (other services' tasks may have filled one).
      const per = new Set(active.map((t) => t.instanceId));
      check(per.size === active.length && active.length <= s.desiredCount, why);
      const memberOf = [...(sim.td(P.taskDefinition)!.placementConstraints ?? []), ...s.placementConstraints];
      const need = needsOf(sim.td(P.taskDefinition));
      const free = (i: ContainerInstanceRecord) => {
        let cpu = i.resources.cpu;
        let memory = i.resources.memoryMiB;
        for (const t of sim.tasks.values()) {
          if (t.value.instanceId !== i.id || !holds(t.value)) continue;
          const n = needsOf(sim.td(t.value.task.taskDefinitionArn));
          cpu -= n.cpu;
          memory -= n.memory;
        }
        return cpu >= need.cpu && memory >= need.memory;
      };
      const large = [...sim.instances.values()]
        .map((r) => r.value)
        .filter((i) => i.id.startsWith("x"))
        .filter((i) => {
          const attrs = new Map(i.attributes.map((a) => [a.name!, a.value]));
          return memberOf.every((c) => c.type !== "memberOf" || holdsOf.get(c.expression!)!(attrs));
        });
      check(
        large.every((i) => per.has(i.id) || !free(i)),
        why,
      );
    }
  }
}

function forEachSeed(cases: number, run: (seed: number) => void): void {
  for (let k = 0; k < cases; k++) {
    const seed = BASE_SEED + k;
    try {
      run(seed);
    } catch (err) {
      const e = err as Error;
      e.message = `seed ${seed} (rerun: BERTH_SCHED_SEED=${seed} BERTH_SCHED_CASES=1 BERTH_SCHED_ORACLE_CASES=1): ${e.message}`;
      throw e;
    }
  }
}

describe("scheduler properties", () => {
  it(`hold over ${CASES} random clusters, services and histories`, () => {
    forEachSeed(CASES, runCase);
  });
});

// --- The placement engine against the oracle -------------------------------------------------------

function randomPlacement(seed: number): void {
  const g = new Gen(seededRandom(seed));
  const group = "service:web";
  const n = g.int(1, 6);
  const engineNodes: PlacementNode[] = [];
  const oracle: OracleNode[] = [];
  const memberOf = g.chance(0.3) ? g.pick(MEMBER_OF) : undefined;
  for (let k = 0; k < n; k++) {
    const attributes = new Map<string, string | undefined>([["ecs.availability-zone", g.pick(ZONES)]]);
    if (g.chance(0.7)) attributes.set("stack", g.pick(["prod", "dev"]));
    if (g.chance(0.7)) attributes.set("tier", g.pick(["a", "b", "c"]));
    const status = g.chance(0.15) ? "DRAINING" : "ACTIVE";
    const connected = g.chance(0.9);
    const cpu = g.pick([0, 128, 256, 512, 1024]);
    const memory = g.pick([0, 128, 256, 512, 1024]);
    const ports = g.chance(0.3) ? [8080] : [];
    const groups = new Map<string, number>();
    if (g.chance(0.6)) groups.set(group, g.int(0, 3));
    if (g.chance(0.3)) groups.set("family:other", g.int(1, 2));
    const id = `n${k}${g.pick(["a", "b"])}`;
    if (engineNodes.some((e) => e.id === id)) continue;
    engineNodes.push({
      id,
      arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/default/${id}`,
      status,
      connected,
      attributes,
      remaining: { cpu, memory, tcp: new Set(ports), udp: new Set() },
      groupCounts: new Map(groups),
      ec2InstanceId: id,
      registeredAt: T0,
      agentVersion: "1.90.0",
      runningTasksCount: 0,
    });
    oracle.push({
      id,
      eligible: status === "ACTIVE" && connected && (!memberOf || memberOf.holds(attributes)),
      attributes,
      cpu,
      memory,
      ports: new Set(ports),
      groups: new Map(groups),
    });
  }
  const strategies: Strategy[] = [];
  for (let k = 0; k < g.int(0, 3); k++) {
    strategies.push(
      g.pick<Strategy>([
        { type: "binpack", field: "cpu" },
        { type: "binpack", field: "memory" },
        { type: "spread", field: "attribute:ecs.availability-zone" },
        { type: "spread", field: "attribute:stack" },
        { type: "spread", field: "instanceId" },
        { type: "random" },
      ]),
    );
  }
  const distinct = g.chance(0.3);
  const needs = {
    cpu: g.pick([0, 64, 128, 256]),
    memory: g.pick([0, 64, 128, 256]),
    ports: g.chance(0.2) ? [8080] : [],
  };
  const count = g.int(1, 5);
  const result = place(engineNodes, {
    count,
    needs: { cpu: needs.cpu, memory: needs.memory, tcpPorts: needs.ports, udpPorts: [] },
    requiredAttributes: [],
    group,
    constraints: [
      ...(distinct ? [{ type: "distinctInstance" as const }] : []),
      ...(memberOf ? [{ type: "memberOf" as const, query: compileQuery(memberOf.expression) }] : []),
    ],
    strategies,
    random: seededRandom(seed ^ 0x9e3779b9),
  });
  const ask: OracleAsk = { ...needs, group, distinct, strategies };
  for (const [k, id] of result.placed.entries()) {
    const ok = acceptable(oracle, ask);
    check(
      ok.has(id),
      () =>
        `task ${k} placed on ${id}, oracle allows [${[...ok].join(", ")}] (${JSON.stringify(strategies)})`,
    );
    take(oracle.find((o) => o.id === id)!, ask);
  }
  if (result.placed.length < count)
    assert.equal(
      acceptable(oracle, ask).size,
      0,
      `placed ${result.placed.length} of ${count} though more fit`,
    );
  else assert.deepEqual(result.failures, []);
}

describe("placement engine", () => {
  it(`chooses what a brute-force oracle allows on ${ORACLE_CASES} small inputs`, () => {
    forEachSeed(ORACLE_CASES, randomPlacement);
  });
});
