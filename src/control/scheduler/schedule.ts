/**
 * The service scheduler: (cluster snapshot, services, now) → plan. Pure — no I/O, no clock; ids and
 * randomness come from the input. See README.md in this folder for the picture and the words.
 */

import { nextProvider } from "../../domain/ecs/fargate.js";
import {
  DEFAULT_SERVICE_STRATEGY,
  type PlacementNode,
  place,
  queryTarget,
} from "../../domain/ecs/placement-engine.js";
import { parseConstraints, parseStrategies } from "../../domain/ecs/placement-input.js";
import { taskNeeds } from "../../domain/ecs/resources.js";
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import type { DeploymentRecord, ServiceRecord } from "../../state/ecs/services.js";
import type { TaskRecord } from "../../state/ecs/tasks.js";
import type { StoredRecord } from "../../state/store.js";
import { fargateNodes, placementNodes } from "../cluster-snapshot.js";
import { failureThreshold, throttleDelayMs } from "./circuit-breaker.js";
import { MAX_EVENTS, msg } from "./events.js";
import { hasHealthChecks, type TaskHealth, taskHealth } from "./health.js";
import type { GateVerdict, Launch, Plan, SchedulerInput, ServicePlan, Stop } from "./types.js";

const SIX_HOURS = 6 * 60 * 60 * 1000;
const isLive = (t: TaskRecord) => t.task.lastStatus !== "STOPPED";
const isActive = (t: TaskRecord) => isLive(t) && t.task.desiredStatus === "RUNNING";
const shortId = (t: TaskRecord) => t.id;

export function schedule(input: SchedulerInput): Plan {
  const snap = input.snapshot;
  const nodes = placementNodes(snap, input.agentTimeoutMs);
  const fargate = fargateNodes(snap, input.agentTimeoutMs);
  const byService = new Map<string, StoredRecord<TaskRecord>[]>();
  for (const t of snap.tasks) {
    const g = t.value.task.group;
    if (!g?.startsWith("service:")) continue;
    const list = byService.get(g) ?? [];
    list.push(t);
    byService.set(g, list);
  }
  const services: ServicePlan[] = [];
  for (const svc of snap.services) {
    if (svc.value.status === "INACTIVE") continue;
    // The service's tasks: its group and one of its deployments (a RunTask may use the group too;
    // a deployment is dropped only once none of its tasks is left).
    const deployments = new Set(svc.value.deployments.map((d) => d.id));
    const pass = new ServicePass(
      input,
      svc,
      (byService.get(`service:${svc.value.name}`) ?? []).filter((t) =>
        deployments.has(t.value.task.startedBy ?? ""),
      ),
      svc.value.launchType === "FARGATE" ? fargate : nodes,
    );
    services.push(pass.run());
  }
  return { region: snap.region, cluster: snap.cluster, seq: snap.seq, services };
}

/** One service's pass: the working state and the decisions, gathered into a ServicePlan. */
class ServicePass {
  private readonly next: ServiceRecord;
  /** The service record as read, without its events, as JSON. */
  private readonly original: string;
  private readonly launches: Launch[] = [];
  private readonly stops: Stop[] = [];
  private readonly stopped = new Set<string>();
  private readonly newEvents: string[] = [];
  private readonly deploymentUpdates: ServicePlan["deploymentUpdates"] = [];
  private readonly nodeById: Map<string, PlacementNode>;
  private readonly health = new Map<string, TaskHealth>();
  /** Tasks are still to move (on a draining instance, of an older deployment) or to start or stop. */
  private unsettled = false;

  constructor(
    private readonly input: SchedulerInput,
    private readonly svc: StoredRecord<ServiceRecord>,
    private readonly tasks: readonly StoredRecord<TaskRecord>[],
    private readonly nodes: PlacementNode[],
  ) {
    // Records are plain JSON: the working copy is a JSON round trip, and `finish` compares against
    // the same text. Events are never changed, only added in front, so the copy shares them.
    this.original = JSON.stringify({ ...svc.value, events: [] });
    this.next = { ...(JSON.parse(this.original) as ServiceRecord), events: [...svc.value.events] };
    this.nodeById = new Map(nodes.map((n) => [n.id, n]));
    for (const t of tasks) this.health.set(t.value.id, this.healthOf(t.value));
  }

  private td(arn: string): StoredTaskDefinition | undefined {
    return this.input.snapshot.taskDefinitions.get(arn);
  }

  private healthOf(t: TaskRecord): TaskHealth {
    const h = taskHealth(
      this.svc.value,
      t,
      this.td(t.task.taskDefinitionArn),
      this.input.now,
      this.input.healthGate,
    );
    // Without health checks (or a gate), ECS counts a task healthy once it has run for a while.
    if (
      h === "healthy" &&
      !this.hasChecks(t) &&
      this.input.now < (t.task.startedAt ?? this.input.now) + this.input.settleMs
    )
      return "waiting";
    return h;
  }

  private hasChecks(t: TaskRecord): boolean {
    const td = this.td(t.task.taskDefinitionArn);
    return (
      (td?.containerDefinitions.some((c) => c.essential !== false && c.healthCheck !== undefined) ?? false) ||
      // Behind a load balancer, the targets' health decides (ECS: no 40 s settling period).
      (this.input.healthGate !== undefined && this.svc.value.loadBalancers.length > 0)
    );
  }

  /** Why the gate calls a task unhealthy (its stop reason and event), when the gate says so. */
  private gateVerdict(t: TaskRecord): GateVerdict | undefined {
    const v = this.input.healthGate?.(this.svc.value, t);
    return v && typeof v !== "string" && v.health === "unhealthy" ? v : undefined;
  }

  private get name(): string {
    return this.svc.value.name;
  }

  private active(): StoredRecord<TaskRecord>[] {
    return this.tasks.filter((t) => isActive(t.value) && !this.stopped.has(t.key));
  }

  private live(): StoredRecord<TaskRecord>[] {
    return this.tasks.filter((t) => isLive(t.value));
  }

  private stop(t: StoredRecord<TaskRecord>, reason: string): void {
    if (this.stopped.has(t.key)) return;
    this.stopped.add(t.key);
    this.stops.push({ key: t.key, version: t.version, reason });
    // The task keeps its resources until it has stopped; nothing to give back to the nodes yet.
  }

  private event(message: string): void {
    this.newEvents.push(message);
  }

  /** Warnings (placement, throttling, stuck deployments) repeat at most every six hours. */
  private warnOnce(message: string): void {
    const recent = this.next.events.find((e) => e.message === message);
    if (recent && this.input.now - recent.createdAt < SIX_HOURS) return;
    if (this.newEvents.includes(message)) return;
    this.event(message);
  }

  run(): ServicePlan {
    if (this.next.status === "DRAINING") this.drainService();
    else if (this.next.schedulingStrategy === "DAEMON") this.daemon();
    else this.replica();
    return this.finish();
  }

  // --- REPLICA -------------------------------------------------------------------------------

  private replica(): void {
    const svc = this.next;
    const primary = svc.deployments[0];
    if (!primary) return;
    const desired = svc.desiredCount;
    // In steady state, ECS starts an unhealthy task's replacement before stopping it (below); during
    // a deployment unhealthy tasks stop at once, and count as failures for the circuit breaker.
    const sick = this.active().filter((t) => this.health.get(t.value.id) === "unhealthy");
    const replaceFirst =
      primary.rolloutState === "COMPLETED" ? sick.filter((t) => t.value.task.startedBy === primary.id) : [];
    for (const t of sick) if (!replaceFirst.includes(t)) this.stopUnhealthy(t);
    this.circuitBreaker();
    const P = this.next.deployments[0]!;
    const replacing = new Set(replaceFirst.map((t) => t.key));
    const active = this.active().filter((t) => !replacing.has(t.key));
    const onGoodNode = (t: TaskRecord) => {
      const where = t.instanceId ?? t.fargateHost;
      const n = where ? this.nodeById.get(where) : undefined;
      return n !== undefined && n.status === "ACTIVE";
    };
    const primaryKeep = active.filter((t) => t.value.task.startedBy === P.id && onGoodNode(t.value));
    const others = active.filter((t) => !(t.value.task.startedBy === P.id && onGoodNode(t.value)));
    const { maximumPercent, minimumHealthyPercent } = svc.deploymentConfiguration;
    const maxTotal = Math.floor((desired * maximumPercent) / 100);
    const minHealthy = Math.ceil((desired * minimumHealthyPercent) / 100);
    const liveCount = this.live().length;
    this.unsettled = others.length > 0 || primaryKeep.length !== desired;

    // Start tasks for the primary deployment, within maximumPercent.
    const want = desired - primaryKeep.length;
    const room = maxTotal - liveCount;
    const failed = P.rolloutState === "FAILED";
    const throttled = this.throttle();
    let launched = 0;
    if (want > 0 && room > 0 && !failed && !throttled) launched = this.launch(P, Math.min(want, room));

    // Scale in: the primary has more than desired.
    if (primaryKeep.length > desired) {
      for (const t of this.scaleInPicks(primaryKeep, primaryKeep.length - desired)) {
        this.stop(t, `Scaling activity initiated by (deployment ${P.id})`);
      }
    }

    // Stop what the primary replaces, never below minimumHealthyPercent.
    let healthy = active.filter(
      (t) => this.health.get(t.value.id) === "healthy" && !this.stopped.has(t.key),
    ).length;
    const order = [...others].sort((a, b) => this.stopRank(a) - this.stopRank(b));
    let blocked = false;
    for (const o of order) {
      if (this.health.get(o.value.id) !== "healthy") {
        this.stop(o, `Scaling activity initiated by (deployment ${o.value.task.startedBy ?? P.id})`);
        continue;
      }
      if (healthy - 1 >= minHealthy) {
        this.stop(o, `Scaling activity initiated by (deployment ${o.value.task.startedBy ?? P.id})`);
        healthy--;
      } else blocked = true;
    }
    // Something on its way: a launch now, a task not yet healthy, or a task still stopping.
    const inFlight =
      launched > 0 ||
      primaryKeep.some((t) => this.health.get(t.value.id) !== "healthy") ||
      this.live().some((t) => !isActive(t.value));
    this.replaceUnhealthy(replaceFirst, minHealthy, inFlight);
    // Neither side can move, and waiting will not help: no room for a launch even once the
    // stopping tasks are gone, and no healthy task may stop even if every task were healthy. Only
    // then does the deployment configuration itself hold the deployment (100/100, or desired 1
    // with 50/150); a 50/100 update waiting for its stops or its new tasks' health is not held.
    if (
      blocked &&
      want > 0 &&
      launched === 0 &&
      this.stops.length === 0 &&
      active.length >= maxTotal &&
      active.length - 1 < minHealthy
    ) {
      this.warnOnce(
        `(service ${this.name}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
      );
    }
  }

  /**
   * Steady-state unhealthy tasks of the primary (`sick`, left out of the counts above, so their
   * replacements are already being launched within maximumPercent): each stops once enough healthy
   * tasks run without it (minimumHealthyPercent). When no replacement is on its way (no room under
   * maximumPercent, or no capacity), they stop one at a time to make room, as ECS does.
   */
  private replaceUnhealthy(sick: StoredRecord<TaskRecord>[], minHealthy: number, inFlight: boolean): void {
    const s = this.next.scheduler;
    const ids = new Set(sick.map((t) => t.value.id));
    const before = new Set((s.replacing ?? []).filter((id) => ids.has(id)));
    for (const t of sick) {
      if (before.has(t.value.id)) continue;
      // Noticed now: say so, and word the replacement's start as ECS does.
      const { event } = this.unhealthyVerdict(t);
      if (event) this.warnOnce(event);
      s.unhealthyReplacements++;
      before.add(t.value.id);
    }
    const healthy = this.active().filter((t) => this.health.get(t.value.id) === "healthy").length;
    let oneMore = !inFlight;
    for (const t of sick) {
      if (healthy >= minHealthy || oneMore) {
        oneMore = false;
        this.stopUnhealthy(t, true);
        before.delete(t.value.id);
      }
    }
    if (before.size > 0) s.replacing = [...before];
    else delete s.replacing;
  }

  /** Why a task is unhealthy, in ECS's words: its event and its stopped reason. */
  private unhealthyVerdict(t: StoredRecord<TaskRecord>): { event?: string; reason: string } {
    const td = this.td(t.value.task.taskDefinitionArn);
    const containerChecks = t.value.task.healthStatus === "UNHEALTHY" && hasHealthChecks(td);
    const gate = containerChecks ? undefined : this.gateVerdict(t.value);
    if (gate?.reason) return { ...(gate.event ? { event: gate.event } : {}), reason: gate.reason };
    return {
      event: msg.healthFailed(this.name, shortId(t.value)),
      reason: "Task failed container health checks",
    };
  }

  /**
   * Stop an unhealthy task (past the grace period); it is replaced. `counted`: its replacement was
   * already counted when it was noticed.
   */
  private stopUnhealthy(t: StoredRecord<TaskRecord>, counted = false): void {
    const verdict = this.unhealthyVerdict(t);
    if (verdict.event) this.warnOnce(verdict.event);
    this.stop(t, verdict.reason);
    if (!counted) this.next.scheduler.unhealthyReplacements++;
  }

  /** Old first, then the least useful: not yet healthy before healthy. */
  private stopRank(t: StoredRecord<TaskRecord>): number {
    const h = this.health.get(t.value.id);
    return h === "starting" ? 0 : h === "waiting" ? 1 : h === "unhealthy" ? 0 : 2;
  }

  /**
   * The `n` tasks to stop when scaling in: not healthy first, then one at a time from the zone
   * with the most tasks left, and within it the instance with the most; newest first on a tie.
   * Counts are taken again after each pick, so scale-in keeps zones and instances balanced.
   */
  private scaleInPicks(tasks: StoredRecord<TaskRecord>[], n: number): StoredRecord<TaskRecord>[] {
    const zoneOf = (t: StoredRecord<TaskRecord>) => t.value.task.availabilityZone ?? "";
    const nodeOf = (t: StoredRecord<TaskRecord>) => t.value.instanceId ?? "";
    const zoneCount = new Map<string, number>();
    const nodeCount = new Map<string, number>();
    for (const t of tasks) {
      zoneCount.set(zoneOf(t), (zoneCount.get(zoneOf(t)) ?? 0) + 1);
      nodeCount.set(nodeOf(t), (nodeCount.get(nodeOf(t)) ?? 0) + 1);
    }
    const left = [...tasks];
    const picks: StoredRecord<TaskRecord>[] = [];
    while (picks.length < n && left.length > 0) {
      let best = 0;
      for (let i = 1; i < left.length; i++) {
        const a = left[i]!;
        const b = left[best]!;
        const cmp =
          this.stopRank(a) - this.stopRank(b) ||
          zoneCount.get(zoneOf(b))! - zoneCount.get(zoneOf(a))! ||
          nodeCount.get(nodeOf(b))! - nodeCount.get(nodeOf(a))! ||
          b.value.task.createdAt - a.value.task.createdAt;
        if (cmp < 0) best = i;
      }
      const [t] = left.splice(best, 1);
      picks.push(t!);
      zoneCount.set(zoneOf(t!), zoneCount.get(zoneOf(t!))! - 1);
      nodeCount.set(nodeOf(t!), nodeCount.get(nodeOf(t!))! - 1);
    }
    return picks;
  }

  /** Place and start `count` tasks of a deployment. Returns how many were placed. */
  private launch(d: DeploymentRecord, count: number, only?: PlacementNode[]): number {
    const td = this.td(d.taskDefinition);
    if (!td) return 0;
    const roleProblem = this.input.snapshot.roleProblems?.get(d.taskDefinition);
    if (roleProblem) {
      this.warnOnce(msg.launchFailed(this.name, roleProblem));
      return 0;
    }
    const svc = this.next;
    const tdConstraints = parseSafe(() => parseConstraints(td.placementConstraints)) ?? [];
    const svcConstraints =
      parseSafe(() => parseConstraints(svc.placementConstraints, tdConstraints.length)) ?? [];
    const strategies =
      (only ? [] : parseSafe(() => parseStrategies(svc.placementStrategy))) ??
      (only ? [] : DEFAULT_SERVICE_STRATEGY);
    const nodes = only ?? this.nodes;
    const fargate = svc.launchType === "FARGATE";
    if (!only && nodes.filter((n) => n.status !== "INACTIVE").length === 0) {
      this.warnOnce(fargate ? msg.noFargateCapacity(this.name) : msg.noInstances(this.name));
      return 0;
    }
    const needs = taskNeeds(td);
    const net = this.subnets();
    const result = place(nodes, {
      count,
      // Fargate bounds a host by memory only; its cpu is a limit, not a reservation.
      needs: fargate ? { cpu: 0, memory: needs.memory, tcpPorts: [], udpPorts: [] } : needs,
      requiredAttributes: fargate ? [] : (td.requiresAttributes ?? []).map((a) => a.name!),
      group: `service:${this.name}`,
      constraints: [...tdConstraints, ...svcConstraints, ...(fargate ? [] : zoneConstraint(net))],
      strategies: fargate ? [] : strategies,
      random: this.input.random,
    });
    const providers = new Map<string, number>();
    const zones = new Map<string, number>();
    for (const t of this.live()) {
      const p = t.value.task.capacityProviderName;
      if (p) providers.set(p, (providers.get(p) ?? 0) + 1);
      const z = t.value.task.availabilityZone ?? "";
      zones.set(z, (zones.get(z) ?? 0) + 1);
    }
    for (const instanceId of result.placed) {
      const provider = fargate ? nextProvider(svc.capacityProviderStrategy, providers) : undefined;
      if (provider) providers.set(provider, (providers.get(provider) ?? 0) + 1);
      const node = this.nodeById.get(instanceId);
      const subnet = net.length
        ? pickSubnetOf(net, zones, fargate ? undefined : node?.attributes.get("ecs.availability-zone"))
        : undefined;
      if (subnet) zones.set(subnet.zone, (zones.get(subnet.zone) ?? 0) + 1);
      this.launches.push({
        taskId: this.input.newId("task"),
        containerIds: td.containerDefinitions.map(() => this.input.newId("container")),
        instanceId,
        deploymentId: d.id,
        taskDefinitionArn: d.taskDefinition,
        ...(provider ? { capacityProviderName: provider } : {}),
        ...(subnet ? { subnetId: subnet.id } : {}),
      });
    }
    if (result.placed.length < count && !only && fargate) this.warnOnce(msg.noFargateCapacity(this.name));
    else if (result.placed.length < count) {
      // DAEMON (`only`: one instance) says so too when the instance lacks room for its task.
      const closest = result.failures.find((f) => f.reason.startsWith("RESOURCE:")) ?? result.failures[0];
      if (closest) {
        const id = closest.arn.slice(closest.arn.lastIndexOf("/") + 1);
        this.warnOnce(msg.unplaceable(this.name, id, closest.reason));
      }
    }
    return result.placed.length;
  }

  /** An awsvpc service's subnets that still exist, with their zones. */
  private subnets(): { id: string; zone: string }[] {
    const ids = this.next.networkConfiguration?.awsvpcConfiguration?.subnets ?? [];
    const zones = this.input.snapshot.subnetZones;
    return ids.flatMap((id) => (zones.has(id) ? [{ id, zone: zones.get(id)! }] : []));
  }

  /**
   * Launches wait while the primary's tasks keep failing to start (ECS's throttle). The count of
   * consecutive failed starts lives in the service record, not in the stopped tasks, because those
   * are purged after an hour while a throttled service fails about four times an hour. A task of
   * the primary that started after the newest failure resets it; so does a new deployment.
   */
  private throttle(): boolean {
    const s = this.next.scheduler;
    const P = this.next.deployments[0]!;
    const prev = s.startFailures ?? { count: 0, lastAt: 0, seen: [] };
    const seen = new Set(prev.seen);
    let latestStart = 0;
    const fresh: number[] = [];
    for (const t of this.tasks) {
      const task = t.value.task;
      if (task.startedBy !== P.id) continue;
      if (task.startedAt !== undefined) {
        latestStart = Math.max(latestStart, task.startedAt);
        continue;
      }
      if (task.lastStatus !== "STOPPED" || task.stopCode !== "TaskFailedToStart" || seen.has(t.value.id))
        continue;
      if ((task.stoppedAt ?? 0) <= P.createdAt) continue;
      seen.add(t.value.id);
      fresh.push(task.stoppedAt ?? this.input.now);
    }
    let count = latestStart > prev.lastAt ? 0 : prev.count;
    let lastAt = prev.lastAt;
    for (const at of fresh) {
      if (at >= latestStart) count++;
      lastAt = Math.max(lastAt, at);
    }
    if (fresh.length > 0 || count !== prev.count)
      s.startFailures = { count, lastAt, seen: [...seen].slice(-1000) };
    const delay = throttleDelayMs(count);
    if (delay === 0) {
      delete s.throttledUntil;
      return false;
    }
    const until = lastAt + delay;
    if (s.throttledUntil === undefined) this.warnOnce(msg.throttled(this.name));
    s.throttledUntil = until;
    return this.input.now < until;
  }

  /** Count the primary's failed tasks; trip (and roll back) at the threshold. */
  private circuitBreaker(): void {
    const svc = this.next;
    const P = svc.deployments[0]!;
    const cb = svc.deploymentConfiguration.deploymentCircuitBreaker;
    if (P.rolloutState !== "IN_PROGRESS") return;
    const counted = new Set(svc.scheduler.counted);
    let failures = svc.scheduler.failures;
    for (const t of this.tasks) {
      const task = t.value.task;
      if (task.startedBy !== P.id || task.lastStatus !== "STOPPED" || counted.has(t.value.id)) continue;
      // Only failures since the deployment became PRIMARY: a rollback target's old stopped tasks
      // (its createdAt is the rollback's time) are history, not failures of the rollback.
      if ((task.stoppedAt ?? 0) <= P.createdAt) continue;
      const byScheduler =
        task.stopCode === "ServiceSchedulerInitiated" &&
        task.stoppedReason !== "Task failed container health checks" &&
        !task.stoppedReason?.startsWith("Task failed ELB health checks");
      if (byScheduler || task.stopCode === "UserInitiated") continue;
      counted.add(t.value.id);
      failures++;
    }
    // A healthy task of the deployment resets the count, unless resetOnHealthyTask is false.
    for (const t of cb.resetOnHealthyTask === false ? [] : this.tasks) {
      if (t.value.task.startedBy === P.id && this.health.get(t.value.id) === "healthy" && isActive(t.value))
        failures = 0;
    }
    // A task stopped in this pass for failing health checks counts once it has stopped.
    svc.scheduler.counted = [...counted].slice(-1000);
    svc.scheduler.failures = failures;
    if (P.failedTasks !== failures) {
      P.failedTasks = failures;
      P.updatedAt = this.input.now;
    }
    if (!cb.enable) return;
    const threshold = thresholdFor(svc);
    if (failures < threshold) return;
    // Tripped.
    P.rolloutState = "FAILED";
    P.rolloutStateReason = "ECS deployment circuit breaker: tasks failed to start.";
    P.updatedAt = this.input.now;
    this.event(msg.deploymentFailed(this.name, P.id));
    const back = svc.scheduler.lastCompleted;
    const breaker = { status: "TRIGGERED" as const, failureCount: failures, threshold };
    if (cb.rollback && back && back.id !== P.id) {
      this.event(`(service ${this.name}) rolling back to deployment ${back.id}.`);
      P.status = "ACTIVE";
      const rollback: DeploymentRecord = {
        id: back.id,
        status: "PRIMARY",
        taskDefinition: back.taskDefinition,
        desiredCount: 0,
        pendingCount: 0,
        runningCount: 0,
        failedTasks: 0,
        createdAt: this.input.now,
        updatedAt: this.input.now,
        launchType: P.launchType,
        rolloutState: "IN_PROGRESS",
        rolloutStateReason: `ECS deployment circuit breaker: rolling back to deploymentId ${back.id}.`,
        serviceDeploymentArn: P.serviceDeploymentArn,
        serviceDeploymentKey: P.serviceDeploymentKey,
        serviceRevisionArn: back.serviceRevisionArn,
        rollbackOf: P.serviceDeploymentKey,
      };
      svc.deployments = [rollback, ...svc.deployments.filter((d) => d.id !== back.id)];
      svc.taskDefinition = back.taskDefinition;
      svc.scheduler.failures = 0;
      svc.scheduler.counted = [];
      delete svc.scheduler.throttledUntil;
      delete svc.scheduler.startFailures;
      this.deploymentUpdates.push({
        key: P.serviceDeploymentKey,
        patch: {
          status: "ROLLBACK_IN_PROGRESS",
          statusReason: "ECS deployment circuit breaker: tasks failed to start.",
          updatedAt: this.input.now,
          rollback: {
            reason: "ECS deployment circuit breaker: tasks failed to start.",
            startedAt: this.input.now,
            serviceRevisionArn: back.serviceRevisionArn,
          },
          deploymentCircuitBreaker: breaker,
        },
      });
    } else {
      this.deploymentUpdates.push({
        key: P.serviceDeploymentKey,
        patch: {
          status: "STOPPED",
          statusReason: "ECS deployment circuit breaker: tasks failed to start.",
          stoppedAt: this.input.now,
          updatedAt: this.input.now,
          deploymentCircuitBreaker: breaker,
        },
      });
    }
  }

  // --- DAEMON --------------------------------------------------------------------------------

  private daemon(): void {
    const svc = this.next;
    const P = svc.deployments[0];
    if (!P) return;
    const td = this.td(P.taskDefinition);
    for (const t of this.active()) if (this.health.get(t.value.id) === "unhealthy") this.stopUnhealthy(t);
    const active = this.active();
    // An instance runs the daemon when it is ACTIVE and meets its requirements. One whose agent
    // has stopped calling keeps its task (a stop could not reach it, and a network blip must not
    // restart every daemon), is not rolled to a new deployment, and gets no new task.
    const fits = this.nodes.filter((n) => n.status === "ACTIVE" && this.daemonFits(n, td));
    const live = this.live();
    const eligible = fits.filter((n) => n.connected || live.some((t) => t.value.instanceId === n.id));
    const fitIds = new Set(fits.map((n) => n.id));
    svc.desiredCount = eligible.length;
    const minHealthy = Math.ceil((eligible.length * svc.deploymentConfiguration.minimumHealthyPercent) / 100);
    let healthy = active.filter((t) => this.health.get(t.value.id) === "healthy").length;
    for (const t of active) {
      // Tasks on instances that are draining, gone or no longer eligible are stopped.
      if (!t.value.instanceId || !fitIds.has(t.value.instanceId)) {
        this.stop(t, `Scaling activity initiated by (deployment ${t.value.task.startedBy ?? P.id})`);
        if (this.health.get(t.value.id) === "healthy") healthy--;
      }
    }
    for (const n of eligible) {
      const here = active.filter((t) => t.value.instanceId === n.id && !this.stopped.has(t.key));
      const mine = here.filter((t) => t.value.task.startedBy === P.id);
      const old = here.filter((t) => t.value.task.startedBy !== P.id);
      for (const extra of mine.slice(1))
        this.stop(extra, `Scaling activity initiated by (deployment ${P.id})`);
      for (const o of n.connected ? old : []) {
        const h = this.health.get(o.value.id) === "healthy";
        if (!h || healthy - 1 >= minHealthy) {
          this.stop(o, `Scaling activity initiated by (deployment ${o.value.task.startedBy ?? P.id})`);
          if (h) healthy--;
        }
      }
      // maximumPercent is 100: a new task starts only once nothing of the service is left on the node.
      const liveHere = live.some((t) => t.value.instanceId === n.id);
      if (mine.length === 0 && !liveHere && n.connected && P.rolloutState !== "FAILED")
        this.launch(P, 1, [n]);
    }
  }

  private daemonFits(n: PlacementNode, td: StoredTaskDefinition | undefined): boolean {
    if (!td) return false;
    for (const a of td.requiresAttributes ?? []) if (!n.attributes.has(a.name!)) return false;
    const constraints = [
      ...(parseSafe(() => parseConstraints(td.placementConstraints)) ?? []),
      ...(parseSafe(() => parseConstraints(this.next.placementConstraints)) ?? []),
    ];
    const target = queryTarget(n);
    return constraints.every((c) => c.type !== "memberOf" || c.query(target));
  }

  // --- DeleteService ---------------------------------------------------------------------------

  /** A deleted service stops its tasks; it is INACTIVE once all of them are stopping or stopped. */
  private drainService(): void {
    for (const t of this.active())
      this.stop(t, `Scaling activity initiated by (deployment ${t.value.task.startedBy ?? ""})`);
    if (this.stops.length === 0) this.next.status = "INACTIVE";
  }

  // --- Bookkeeping ---------------------------------------------------------------------------

  private finish(): ServicePlan {
    const svc = this.next;
    const now = this.input.now;
    const remaining = this.tasks.filter((t) => isActive(t.value) && !this.stopped.has(t.key));
    // Deployments: counts from what is left plus what starts now.
    for (const d of svc.deployments) {
      const mine = remaining.filter((t) => t.value.task.startedBy === d.id);
      const running = mine.filter((t) => t.value.task.lastStatus === "RUNNING").length;
      const started = this.launches.filter((l) => l.deploymentId === d.id).length;
      const pending = mine.length - running + started;
      const desiredCount =
        d.status === "PRIMARY" ? Math.min(svc.desiredCount, mine.length + started) : mine.length;
      if (d.runningCount !== running || d.pendingCount !== pending || d.desiredCount !== desiredCount) {
        d.runningCount = running;
        d.pendingCount = pending;
        d.desiredCount = desiredCount;
        d.updatedAt = now;
      }
    }
    // Old deployments disappear once none of their tasks is left.
    const live = this.tasks.filter((t) => isLive(t.value));
    const kept = svc.deployments.filter(
      (d, i) =>
        i === 0 ||
        live.some((t) => t.value.task.startedBy === d.id) ||
        this.launches.some((l) => l.deploymentId === d.id),
    );
    for (const d of svc.deployments) {
      // A FAILED deployment's ServiceDeployment is already STOPPED or rolling back, and a COMPLETED
      // one's is SUCCESSFUL (or ROLLBACK_SUCCESSFUL): those states are final.
      if (kept.includes(d) || d.rolloutState !== "IN_PROGRESS") continue;
      this.deploymentUpdates.push({
        key: d.serviceDeploymentKey,
        patch: {
          status: "STOPPED",
          stoppedAt: now,
          updatedAt: now,
          statusReason: "Superseded by a newer deployment.",
        },
      });
    }
    svc.deployments = kept;
    const P = svc.deployments[0];
    if (P && svc.status === "ACTIVE") {
      const primaryHealthy = remaining.filter(
        (t) => t.value.task.startedBy === P.id && this.health.get(t.value.id) === "healthy",
      ).length;
      const done =
        !this.unsettled &&
        svc.deployments.length === 1 &&
        primaryHealthy >= svc.desiredCount &&
        P.pendingCount === 0 &&
        this.launches.length === 0 &&
        this.stops.length === 0;
      if (P.rolloutState === "IN_PROGRESS" && done) {
        P.rolloutState = "COMPLETED";
        P.rolloutStateReason = `ECS deployment ${P.id} completed.`;
        P.updatedAt = now;
        this.event(msg.deploymentCompleted(this.name, P.id));
        svc.scheduler.lastCompleted = {
          id: P.id,
          taskDefinition: P.taskDefinition,
          serviceRevisionArn: P.serviceRevisionArn,
          serviceDeploymentKey: P.serviceDeploymentKey,
        };
        svc.scheduler.failures = 0;
        svc.scheduler.counted = [];
        if (P.rollbackOf) {
          this.deploymentUpdates.push({
            key: P.rollbackOf,
            patch: { status: "ROLLBACK_SUCCESSFUL", finishedAt: now, updatedAt: now },
          });
        } else {
          this.deploymentUpdates.push({
            key: P.serviceDeploymentKey,
            patch: {
              status: "SUCCESSFUL",
              finishedAt: now,
              updatedAt: now,
              deploymentCircuitBreaker: {
                status: svc.deploymentConfiguration.deploymentCircuitBreaker.enable
                  ? "MONITORING_COMPLETE"
                  : "DISABLED",
                failureCount: 0,
                threshold: thresholdFor(svc),
              },
            },
          });
        }
      }
      const steady =
        !this.unsettled &&
        P.rolloutState === "COMPLETED" &&
        svc.deployments.length === 1 &&
        P.runningCount === svc.desiredCount &&
        P.pendingCount === 0 &&
        this.launches.length === 0 &&
        this.stops.length === 0;
      if (steady) {
        const last = svc.scheduler.lastSteadyEventAt ?? 0;
        if (svc.scheduler.steadySince === undefined || now - last >= SIX_HOURS) {
          this.event(msg.steady(this.name));
          svc.scheduler.lastSteadyEventAt = now;
        }
        svc.scheduler.steadySince ??= now;
      } else {
        delete svc.scheduler.steadySince;
      }
    }
    if (this.launches.length > 0) {
      const ids = this.launches.map((l) => l.taskId);
      const replaced = Math.min(svc.scheduler.unhealthyReplacements, this.launches.length);
      const text = msg.started(this.name, ids);
      this.event(
        replaced > 0 ? `${text} Amazon ECS replaced ${replaced} tasks due to an unhealthy status.` : text,
      );
      svc.scheduler.unhealthyReplacements -= replaced;
    }
    if (this.stops.length > 0) {
      this.event(
        msg.stopped(
          this.name,
          this.stops.map((s) => s.key.slice(s.key.lastIndexOf("/") + 1)),
        ),
      );
    }
    if (this.newEvents.length > 0) {
      // Newest first; events of one pass keep their order (the first happened first), one
      // millisecond apart, and after every earlier event even when two passes share a millisecond.
      const start = Math.max(now, (svc.events[0]?.createdAt ?? 0) + 1);
      const fresh = this.newEvents
        .map((message, i) => ({ id: this.input.newId("event"), createdAt: start + i, message }))
        .reverse();
      svc.events = [...fresh, ...svc.events].slice(0, MAX_EVENTS);
    }
    const changed = this.newEvents.length > 0 || JSON.stringify({ ...svc, events: [] }) !== this.original;
    return {
      serviceKey: this.svc.key,
      serviceVersion: this.svc.version,
      launches: this.launches,
      stops: this.stops,
      ...(changed ? { next: svc } : {}),
      deploymentUpdates: this.deploymentUpdates,
    };
  }
}

function parseSafe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The circuit breaker's threshold for a service, per its thresholdConfiguration (default: half, 3..200). */
export function thresholdFor(svc: ServiceRecord): number {
  const cfg = (
    svc.deploymentConfiguration.deploymentCircuitBreaker as {
      thresholdConfiguration?: { type?: string; value?: number };
    }
  ).thresholdConfiguration;
  const desired = svc.desiredCount;
  if (!cfg) return failureThreshold(desired);
  const value = cfg.value ?? 50;
  if (cfg.type === "COUNT") return Math.max(1, value);
  if (cfg.type === "UNBOUNDED_PERCENT") return Math.max(1, Math.ceil((value / 100) * desired));
  return Math.min(200, Math.max(3, Math.ceil((value / 100) * desired)));
}

/** awsvpc services on EC2 run on instances in the zones of their subnets. */
function zoneConstraint(subnets: readonly { zone: string }[]) {
  if (subnets.length === 0) return [];
  const zones = [...new Set(subnets.map((s) => s.zone))];
  return parseConstraints([
    { type: "memberOf", expression: `attribute:ecs.availability-zone in [${zones.join(", ")}]` },
  ]);
}

/** The subnet for a new task: in `zone` when given (EC2), else in the zone with the fewest of the service's tasks. */
function pickSubnetOf(
  subnets: readonly { id: string; zone: string }[],
  perZone: ReadonlyMap<string, number>,
  zone: string | undefined,
): { id: string; zone: string } | undefined {
  const candidates = subnets.filter((s) => zone === undefined || s.zone === zone);
  return [...candidates].sort((a, b) => (perZone.get(a.zone) ?? 0) - (perZone.get(b.zone) ?? 0))[0];
}
