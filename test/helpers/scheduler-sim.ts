/**
 * A pure, in-memory stand-in for the world around the service scheduler, so a test can run a
 * service through many passes: `pass()` plans over the current snapshot and applies the plan the
 * way applier.ts does (stop → desiredStatus STOPPED with ServiceSchedulerInitiated; launch → a new
 * task from newTask, PENDING on its instance); `advance(ms)` moves the clock and plays the agents
 * (PENDING → RUNNING or failed to start, health UNKNOWN → HEALTHY/UNHEALTHY, stopping → STOPPED,
 * optional crashes), then purges STOPPED tasks after an hour as the task janitor does. What the
 * agents do is decided by a `Fate`, so tests choose outcomes (or draw them from a seeded PRNG).
 */
import type { ClusterSnapshot } from "../../src/control/cluster-snapshot.js";
import { schedule } from "../../src/control/scheduler/schedule.js";
import type { Plan, SchedulerInput } from "../../src/control/scheduler/types.js";
import { janitorPlan } from "../../src/control/task-janitor.js";
import { beginDeployment, newDeployment } from "../../src/domain/ecs/service.js";
import { newTask, requestStop } from "../../src/domain/ecs/task.js";
import type { StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import type { ContainerInstanceRecord } from "../../src/state/ecs/container-instances.js";
import {
  type ServiceDeploymentRecord,
  type ServiceRecord,
  serviceDeploymentKey,
} from "../../src/state/ecs/services.js";
import type { StoredTask, TaskRecord } from "../../src/state/ecs/tasks.js";
import type { StoredRecord } from "../../src/state/store.js";
import {
  AGENT_TIMEOUT_MS,
  azOf,
  CLUSTER,
  CLUSTER_ARN,
  REGION,
  SCOPE,
  SETTLE_MS,
  seededRandom,
  storedInstance,
  storedService,
  storedTask,
} from "../fixtures/ecs.js";

/** What the agents make of a task. Every method defaults to the happy path. */
export interface Fate {
  /** A PENDING task: does it reach RUNNING (true), fail to start (false) or stay PENDING ("wait")? */
  starts?(t: TaskRecord, now: number): boolean | "wait";
  /** A RUNNING task with health checks whose health is UNKNOWN: its first verdict. */
  health?(t: TaskRecord, now: number): "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
  /** A RUNNING task: does its essential container exit now? */
  crashes?(t: TaskRecord, now: number): boolean;
}

/** A ServiceDeployment record as far as the scheduler's patches and UpdateService move it. */
export type DeploymentState = Partial<ServiceDeploymentRecord> & {
  status: ServiceDeploymentRecord["status"];
};

export interface SimOptions {
  instances?: ContainerInstanceRecord[];
  tasks?: TaskRecord[];
  services?: ServiceRecord[];
  taskDefinitions?: StoredTaskDefinition[];
  now: number;
  seed?: number;
  fate?: Fate;
  /** Scheduler input besides the snapshot (healthGate, settleMs, ...). */
  input?: Partial<SchedulerInput>;
}

const hasChecks = (td: StoredTaskDefinition | undefined) =>
  td?.containerDefinitions.some((c) => c.essential !== false && c.healthCheck !== undefined) ?? false;

export class Sim {
  now: number;
  seq = 1;
  fate: Fate;
  readonly instances = new Map<string, StoredRecord<ContainerInstanceRecord>>();
  readonly tasks = new Map<string, StoredRecord<TaskRecord>>();
  readonly services = new Map<string, StoredRecord<ServiceRecord>>();
  readonly taskDefinitions = new Map<string, StoredTaskDefinition>();
  /** ServiceDeployment records by key, as the scheduler's deploymentUpdates leave them. */
  readonly serviceDeployments = new Map<string, DeploymentState>();
  /** Instance ids whose agent stopped calling (no heartbeats while set). */
  readonly silent = new Set<string>();
  /** When each deployment id last became PRIMARY (for circuit-breaker checks). */
  readonly primarySince = new Map<string, number>();
  /**
   * When each deployment's tasks failed (stopped before RUNNING, exited, or were stopped for
   * failing health checks): what the circuit breaker may count.
   */
  readonly failures = new Map<string, number[]>();
  private readonly random: () => number;
  private ids = 0;
  private readonly input: Partial<SchedulerInput>;

  constructor(o: SimOptions) {
    this.now = o.now;
    this.fate = o.fate ?? {};
    this.random = seededRandom(o.seed ?? 1);
    this.input = o.input ?? {};
    for (const td of o.taskDefinitions ?? []) this.taskDefinitions.set(td.taskDefinitionArn, td);
    for (const i of o.instances ?? []) this.putInstance(i);
    for (const t of o.tasks ?? []) {
      const r = storedTask(t);
      this.tasks.set(r.key, r);
    }
    for (const s of o.services ?? []) {
      const r = storedService(s);
      this.services.set(r.key, r);
      for (const d of s.deployments) {
        this.serviceDeployments.set(d.serviceDeploymentKey, {
          status: d.rolloutState === "COMPLETED" ? "SUCCESSFUL" : "IN_PROGRESS",
        });
        if (d.status === "PRIMARY") this.primarySince.set(d.id, s.createdAt);
      }
    }
  }

  /** Ids for what the scheduler creates; task ids start with a, so they never meet a fixture's (f...). */
  private newId(kind: "task" | "container" | "event"): string {
    this.ids++;
    return kind === "task" ? `a${this.ids.toString(16).padStart(31, "0")}` : `${kind}-${this.ids}`;
  }

  // --- Reading ---------------------------------------------------------------------------------

  snapshot(): ClusterSnapshot {
    const sorted = <T>(m: Map<string, StoredRecord<T>>) =>
      [...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      region: REGION,
      cluster: CLUSTER,
      now: this.now,
      instances: sorted(this.instances),
      tasks: sorted(this.tasks),
      services: sorted(this.services),
      taskDefinitions: this.taskDefinitions,
      seq: this.seq,
      fargateHosts: [],
      subnetZones: new Map(),
    };
  }

  service(name = "web"): ServiceRecord {
    for (const s of this.services.values()) if (s.value.name === name) return s.value;
    throw new Error(`no service ${name}`);
  }

  /** The tasks of a service (group service:<name>), stopped ones included. */
  tasksOf(name = "web"): TaskRecord[] {
    return [...this.tasks.values()].map((r) => r.value).filter((t) => t.task.group === `service:${name}`);
  }

  /** Tasks of a service that are RUNNING or PENDING and meant to keep running. */
  activeOf(name = "web"): TaskRecord[] {
    return this.tasksOf(name).filter(
      (t) => t.task.lastStatus !== "STOPPED" && t.task.desiredStatus === "RUNNING",
    );
  }

  private instanceRecord(id: string): ContainerInstanceRecord | undefined {
    for (const r of this.instances.values()) if (r.value.id === id) return r.value;
    return undefined;
  }

  instance(id: string): ContainerInstanceRecord {
    const r = [...this.instances.values()].find((i) => i.value.id === id);
    if (!r) throw new Error(`no instance ${id}`);
    return r.value;
  }

  td(arn: string): StoredTaskDefinition | undefined {
    return this.taskDefinitions.get(arn);
  }

  /** Messages of a service's events, oldest first (the record keeps them newest first). */
  messages(name = "web"): string[] {
    return this.service(name)
      .events.map((e) => e.message)
      .reverse();
  }

  // --- The scheduler -----------------------------------------------------------------------------

  plan(extra: Partial<SchedulerInput> = {}): Plan {
    return schedule({
      snapshot: this.snapshot(),
      now: this.now,
      agentTimeoutMs: AGENT_TIMEOUT_MS,
      settleMs: SETTLE_MS,
      random: this.random,
      newId: (k) => this.newId(k),
      ...this.input,
      ...extra,
    });
  }

  /** Apply a plan as the applier does (the plan is fresh: made over the current state). */
  apply(plan: Plan): void {
    let changed = false;
    for (const sp of plan.services) {
      const svc = this.services.get(sp.serviceKey);
      if (!svc) throw new Error(`plan names unknown service ${sp.serviceKey}`);
      if (svc.version !== sp.serviceVersion) throw new Error(`stale plan for ${sp.serviceKey}`);
      for (const s of sp.stops) {
        const rec = this.tasks.get(s.key);
        if (!rec) continue;
        const next = requestStop(rec.value, "ServiceSchedulerInitiated", s.reason, this.now);
        if (next) this.putTask(next);
        changed = true;
      }
      const service = sp.next ?? svc.value;
      for (const l of sp.launches) {
        const td = this.taskDefinitions.get(l.taskDefinitionArn);
        const inst = [...this.instances.values()].find((i) => i.value.id === l.instanceId)?.value;
        if (!td || !inst)
          throw new Error(`launch onto unknown instance or task definition: ${JSON.stringify(l)}`);
        const rec = newTask({
          id: l.taskId,
          scope: SCOPE,
          cluster: CLUSTER,
          clusterArn: CLUSTER_ARN,
          taskDefinition: td,
          overrides: undefined,
          instance: { id: inst.id, arn: inst.arn },
          availabilityZone: azOf(inst) || `${REGION}a`,
          launchType: service.launchType,
          group: `service:${service.name}`,
          startedBy: l.deploymentId,
          tags: [],
          now: this.now,
          containerIds: l.containerIds,
        });
        // The agent picks it up at once: PROVISIONING → PENDING.
        rec.task.lastStatus = "PENDING";
        this.putTask(rec);
        changed = true;
      }
      if (sp.next) {
        const before = svc.value;
        this.services.set(sp.serviceKey, { ...svc, version: svc.version + 1, value: sp.next });
        if (sp.next.deployments[0] && sp.next.deployments[0].id !== before.deployments[0]?.id)
          this.primarySince.set(sp.next.deployments[0].id, this.now);
        changed = true;
      }
      for (const u of sp.deploymentUpdates) {
        const cur = this.serviceDeployments.get(u.key);
        if (cur) this.serviceDeployments.set(u.key, { ...cur, ...u.patch });
        changed = true;
      }
    }
    if (changed) this.seq++;
  }

  /** One scheduler pass: plan and apply. Returns the plan. */
  pass(extra: Partial<SchedulerInput> = {}): Plan {
    const p = this.plan(extra);
    this.apply(p);
    return p;
  }

  // --- The agents and time -----------------------------------------------------------------------

  /** Move the clock by `ms` and let every agent act once on each of its tasks. */
  advance(ms: number, fate: Fate = this.fate): void {
    this.now += ms;
    for (const r of [...this.instances.values()]) {
      if (!this.silent.has(r.value.id) && r.value.status !== "INACTIVE")
        this.putInstance({ ...r.value, lastSeenAt: this.now });
    }
    for (const r of [...this.tasks.values()]) {
      const t = r.value.task;
      if (t.lastStatus === "STOPPED") continue;
      // A silent agent does nothing; a deregistered instance's agent is gone.
      const inst = r.value.instanceId ? this.instanceRecord(r.value.instanceId) : undefined;
      if (inst && (this.silent.has(inst.id) || inst.status === "INACTIVE")) continue;
      const task = { ...t, containers: t.containers.map((c) => ({ ...c })) };
      const next: TaskRecord = { ...r.value, task };
      const td = this.taskDefinitions.get(t.taskDefinitionArn);
      if (t.desiredStatus === "STOPPED") {
        this.stopped(next, t.stopCode ?? "ServiceSchedulerInitiated", t.stoppedReason ?? "");
      } else if (t.lastStatus === "PENDING" || t.lastStatus === "PROVISIONING") {
        const starts = fate.starts?.(r.value, this.now) ?? true;
        if (starts === "wait") continue;
        if (starts) {
          task.lastStatus = "RUNNING";
          task.startedAt = this.now;
          for (const c of task.containers) c.lastStatus = "RUNNING";
        } else {
          this.stopped(next, "TaskFailedToStart", "Task failed to start");
        }
      } else if (t.lastStatus === "RUNNING") {
        if (fate.crashes?.(r.value, this.now)) {
          this.stopped(next, "EssentialContainerExited", "Essential container in task exited");
        } else if (hasChecks(td) && t.healthStatus === "UNKNOWN") {
          task.healthStatus = fate.health?.(r.value, this.now) ?? "HEALTHY";
          for (const c of task.containers) c.healthStatus = task.healthStatus;
        } else continue;
      } else continue;
      this.putTask(next);
    }
    const byId = new Map(
      [...this.instances.values()].map((i) => [`${i.value.cluster}/${i.value.id}`, i.value]),
    );
    const jp = janitorPlan([...this.tasks.values()], byId, this.now, {
      retentionMs: 3_600_000,
      agentTimeoutMs: AGENT_TIMEOUT_MS,
    });
    for (const p of jp.purge) this.tasks.delete(p.key);
    for (const s of jp.settle) {
      this.recordFailure(s.next.task, s.next.task.stopCode ?? "", s.next.task.stoppedReason ?? "");
      this.putTask(s.next);
    }
    this.seq++;
  }

  private recordFailure(t: StoredTask, stopCode: string, reason: string): void {
    const code = t.stopCode ?? stopCode;
    const why = t.stoppedReason || reason;
    if (
      t.startedBy &&
      (code === "TaskFailedToStart" ||
        code === "EssentialContainerExited" ||
        why === "Task failed container health checks")
    )
      this.failures.set(t.startedBy, [...(this.failures.get(t.startedBy) ?? []), this.now]);
  }

  private stopped(rec: TaskRecord, stopCode: string, reason: string): void {
    const t = rec.task;
    this.recordFailure(t, stopCode, reason);
    t.lastStatus = "STOPPED";
    t.desiredStatus = "STOPPED";
    t.stopCode ??= stopCode as StoredTask["stopCode"];
    if (!t.stoppedReason) t.stoppedReason = reason;
    t.stoppingAt ??= this.now;
    t.executionStoppedAt = this.now;
    t.stoppedAt = this.now;
    for (const c of t.containers) c.lastStatus = "STOPPED";
  }

  // --- What users and operators do ---------------------------------------------------------------

  putTask(t: TaskRecord): void {
    const r = storedTask(t);
    const cur = this.tasks.get(r.key);
    this.tasks.set(r.key, { ...r, version: (cur?.version ?? 0) + 1 });
  }

  putInstance(i: ContainerInstanceRecord): void {
    const r = storedInstance(i);
    const cur = this.instances.get(r.key);
    this.instances.set(r.key, { ...r, version: (cur?.version ?? 0) + 1 });
  }

  setInstanceStatus(id: string, status: ContainerInstanceRecord["status"]): void {
    this.putInstance({ ...this.instance(id), status });
    this.seq++;
  }

  private putService(s: ServiceRecord): void {
    const r = storedService(s);
    const cur = this.services.get(r.key);
    this.services.set(r.key, { ...r, version: (cur?.version ?? 0) + 1 });
    this.seq++;
  }

  /** UpdateService: a new desired count and/or a new task definition (which starts a deployment). */
  updateService(
    name: string,
    o: {
      desiredCount?: number;
      td?: StoredTaskDefinition;
      forceNewDeployment?: boolean;
      minimumHealthyPercent?: number;
      maximumPercent?: number;
      placementStrategy?: ServiceRecord["placementStrategy"];
      placementConstraints?: ServiceRecord["placementConstraints"];
    },
  ): void {
    const next = structuredClone(this.service(name));
    const dc = next.deploymentConfiguration;
    if (o.minimumHealthyPercent !== undefined) dc.minimumHealthyPercent = o.minimumHealthyPercent;
    if (o.maximumPercent !== undefined) dc.maximumPercent = o.maximumPercent;
    if (o.placementStrategy) next.placementStrategy = o.placementStrategy;
    if (o.placementConstraints) next.placementConstraints = o.placementConstraints;
    if (o.desiredCount !== undefined) {
      if (o.desiredCount !== next.desiredCount) delete next.scheduler.steadySince;
      next.desiredCount = o.desiredCount;
    }
    if (o.td) this.taskDefinitions.set(o.td.taskDefinitionArn, o.td);
    const arn = o.td?.taskDefinitionArn ?? next.taskDefinition;
    if (arn !== next.taskDefinition || o.forceNewDeployment) {
      const d = newDeployment({
        scope: SCOPE,
        cluster: CLUSTER,
        service: name,
        taskDefinition: arn,
        launchType: next.launchType,
        now: this.now,
        serviceDeploymentKey: (at, id) => serviceDeploymentKey(REGION, CLUSTER, name, at, id),
      });
      const previous = beginDeployment(next, d);
      for (const p of previous) {
        const sd = this.serviceDeployments.get(p.serviceDeploymentKey);
        if (sd && (sd.status === "IN_PROGRESS" || sd.status === "PENDING"))
          this.serviceDeployments.set(p.serviceDeploymentKey, { ...sd, status: "STOP_REQUESTED" });
      }
      this.serviceDeployments.set(d.serviceDeploymentKey, { status: "IN_PROGRESS" });
      this.primarySince.set(d.id, this.now);
    }
    this.putService(next);
  }

  /** DeleteService with force. */
  deleteService(name: string): void {
    this.putService({ ...this.service(name), status: "DRAINING", desiredCount: 0 });
  }
}
