/**
 * The one writer of scheduler plans. A plan was made from a snapshot; by the time it is applied
 * the world may have moved (a task stopped, another plan took an instance's memory, someone updated
 * the service). The applier re-checks each service's part against current state inside one write
 * transaction and commits it whole, or drops it whole to be planned again.
 */
import type { Tag } from "@aws-sdk/client-ecs";
import type { Scope } from "../../domain/ecs/arns.js";
import { DEFAULT_EPHEMERAL_GIB, PLATFORM_VERSION } from "../../domain/ecs/fargate.js";
import { remaining, shortfall, taskNeeds } from "../../domain/ecs/resources.js";
import { newTask, requestStop, taskArn } from "../../domain/ecs/task.js";
import { holdsResources } from "../../domain/ecs/task-status.js";
import { uuid } from "../../lib/ids.js";
import { getSubnet, getVpc } from "../../state/ec2/records.js";
import { getCluster } from "../../state/ecs/clusters.js";
import { getInstance } from "../../state/ecs/container-instances.js";
import { FARGATE_POOL } from "../../state/ecs/fargate-hosts.js";
import { K } from "../../state/ecs/kinds.js";
import type { ServiceDeploymentRecord, ServiceRecord } from "../../state/ecs/services.js";
import { getTaskDefinitionByArn, type TaskDefinitionRecord } from "../../state/ecs/task-definitions.js";
import { createTaskNetwork } from "../../state/ecs/task-network.js";
import { createTask, putTask, type TaskRecord, tasksOnInstance } from "../../state/ecs/tasks.js";
import type { StoredRecord, WriteTx } from "../../state/store.js";
import { MAX_EVENTS, msg } from "./events.js";
import type { Plan, ServicePlan } from "./types.js";

export interface ApplyResult {
  applied: number;
  dropped: number;
}

/** What stopping a task does to its load balancer targets, decided in the stopping transaction. */
export interface StopDrain {
  /** The task keeps running until then (epoch ms) while its targets drain. */
  stopNotBefore?: number;
  /** The targets deregistered, per target group. */
  deregistered: { targetGroupArn: string; count: number }[];
}

/** Deregisters a stopping task's load balancer targets (ECS service load balancing). */
export type StopHook = (tx: WriteTx, region: string, task: TaskRecord, now: number) => Promise<StopDrain>;

/** The service events of deregistering the targets of stopping tasks, oldest first. */
export function drainEvents(service: string, drains: readonly StopDrain[]): string[] {
  const perGroup = new Map<string, number>();
  let tasks = 0;
  for (const d of drains) {
    if (d.deregistered.length > 0) tasks++;
    for (const g of d.deregistered)
      perGroup.set(g.targetGroupArn, (perGroup.get(g.targetGroupArn) ?? 0) + g.count);
  }
  if (tasks === 0) return [];
  return [
    ...[...perGroup].map(([arn, n]) => msg.deregistered(service, n, arn)),
    msg.draining(service, tasks),
  ];
}

/** Put events (oldest first) in front of a service's events, newest first. */
export function withEvents(svc: ServiceRecord, messages: readonly string[], now: number): ServiceRecord {
  if (messages.length === 0) return svc;
  const fresh = messages.map((message, i) => ({ id: uuid(), createdAt: now + i, message })).reverse();
  return { ...svc, events: [...fresh, ...svc.events].slice(0, MAX_EVENTS) };
}

export async function applyPlan(
  tx: WriteTx,
  plan: Plan,
  ctx: { accountId: string; now: number; beforeStop?: StopHook },
): Promise<ApplyResult> {
  const result: ApplyResult = { applied: 0, dropped: 0 };
  const work = plan.services.filter(
    (s) => s.next || s.launches.length || s.stops.length || s.deploymentUpdates.length,
  );
  if (work.length === 0) return result;
  const cluster = await getCluster(tx, plan.region, plan.cluster);
  if (cluster?.value.status !== "ACTIVE") return { applied: 0, dropped: work.length };
  const fresh = (await tx.seq()) === plan.seq;
  const scope: Scope = { region: plan.region, accountId: ctx.accountId };
  for (const sp of work) {
    const svc = await tx.get<ServiceRecord>(K.service, sp.serviceKey);
    if (!svc || svc.version !== sp.serviceVersion || (!fresh && !(await stillValid(tx, plan, sp)))) {
      result.dropped++;
      continue;
    }
    const drains: StopDrain[] = [];
    for (const s of sp.stops) {
      const rec = await tx.get<TaskRecord>(K.task, s.key);
      if (!rec) continue;
      const next = requestStop(rec.value, "ServiceSchedulerInitiated", s.reason, ctx.now);
      if (!next) continue;
      // Load balancer targets drain first; the agent stops the task once they have.
      const drain = await ctx.beforeStop?.(tx, plan.region, rec.value, ctx.now);
      if (drain) {
        drains.push(drain);
        if (drain.stopNotBefore !== undefined && drain.stopNotBefore > ctx.now)
          next.stopNotBefore = drain.stopNotBefore;
      }
      await putTask(tx, plan.region, next, rec.version);
    }
    if (sp.next) sp.next = withEvents(sp.next, drainEvents(sp.next.name, drains), ctx.now + 50);
    const service = sp.next ?? svc.value;
    const tds = new Map<string, StoredRecord<TaskDefinitionRecord> | undefined>();
    for (const l of sp.launches) {
      if (!tds.has(l.taskDefinitionArn))
        tds.set(l.taskDefinitionArn, await getTaskDefinitionByArn(tx, plan.region, l.taskDefinitionArn));
      const td = tds.get(l.taskDefinitionArn);
      const fargate = l.capacityProviderName !== undefined;
      const inst = await getInstance(tx, plan.region, fargate ? FARGATE_POOL : plan.cluster, l.instanceId);
      if (!td || !inst) continue;
      let az =
        inst.value.attributes.find((a) => a.name === "ecs.availability-zone")?.value ?? `${plan.region}a`;
      const id = l.taskId;
      const arn = taskArn(scope, plan.cluster, id);
      const awsvpc = service.networkConfiguration?.awsvpcConfiguration;
      let network: Awaited<ReturnType<typeof createTaskNetwork>> | undefined;
      if (awsvpc) {
        // The scheduler chose the subnet from its snapshot; a subnet deleted since then skips the launch.
        const subnet = l.subnetId ? await getSubnet(tx, plan.region, l.subnetId) : undefined;
        if (!subnet) continue;
        az = subnet.value.availabilityZone;
        network = await createTaskNetwork(tx, plan.region, ctx.accountId, {
          taskArn: arn,
          subnet: subnet.value,
          groupIds: await groupsOf(tx, plan.region, subnet.value.vpcId, awsvpc.securityGroups ?? []),
          assignPublicIp: awsvpc.assignPublicIp === "ENABLED",
          now: ctx.now,
        });
      }
      const deployment = service.deployments.find((d) => d.id === l.deploymentId);
      const rec = newTask({
        id,
        scope,
        cluster: plan.cluster,
        clusterArn: cluster.value.arn,
        taskDefinition: td.value.td,
        overrides: undefined,
        ...(fargate ? {} : { instance: { id: inst.value.id, arn: inst.value.arn } }),
        availabilityZone: az,
        launchType: service.launchType,
        group: `service:${service.name}`,
        startedBy: l.deploymentId,
        tags: taskTags(service, td.value.tags, plan.cluster),
        now: ctx.now,
        containerIds: l.containerIds,
        ...(network ? { network } : {}),
        ...(fargate
          ? {
              fargate: {
                hostId: inst.value.id,
                capacityProviderName: l.capacityProviderName!,
                platformVersion: deployment?.platformVersion ?? PLATFORM_VERSION,
                ephemeralGiB: td.value.td.ephemeralStorage?.sizeInGiB ?? DEFAULT_EPHEMERAL_GIB,
              },
            }
          : {}),
      });
      await createTask(tx, plan.region, rec);
    }
    if (sp.next) await tx.put(K.service, sp.serviceKey, sp.next, { expectVersion: svc.version });
    for (const u of sp.deploymentUpdates) {
      const rec = await tx.get<ServiceDeploymentRecord>(K.serviceDeployment, u.key);
      if (rec)
        await tx.put(
          K.serviceDeployment,
          u.key,
          { ...rec.value, ...u.patch },
          { expectVersion: rec.version },
        );
    }
    result.applied++;
  }
  return result;
}

/** The tags a service's task carries: propagated from the service or task definition, plus ECS-managed ones. */
export function taskTags(service: ServiceRecord, taskDefinitionTags: readonly Tag[], cluster: string): Tag[] {
  const source =
    service.propagateTags === "SERVICE"
      ? service.tags
      : service.propagateTags === "TASK_DEFINITION"
        ? taskDefinitionTags
        : [];
  const tags = source.map((t) => ({ key: t.key!, value: t.value ?? "" }));
  if (service.enableECSManagedTags) {
    tags.push(
      { key: "aws:ecs:clusterName", value: cluster },
      { key: "aws:ecs:serviceName", value: service.name },
    );
  }
  return tags;
}

/** Does a service's part of the plan still hold, given what changed since the snapshot? */
async function stillValid(tx: WriteTx, plan: Plan, sp: ServicePlan): Promise<boolean> {
  for (const s of sp.stops) {
    const rec = await tx.get<TaskRecord>(K.task, s.key);
    if (rec && rec.version !== s.version && rec.value.task.desiredStatus === "RUNNING") return false;
  }
  const byInstance = new Map<string, string[]>();
  for (const l of sp.launches) {
    if (l.capacityProviderName !== undefined) {
      // Fargate: the host must still be there; its memory is re-checked by the next pass's snapshot.
      const host = await getInstance(tx, plan.region, FARGATE_POOL, l.instanceId);
      if (host?.value.status !== "ACTIVE") return false;
      continue;
    }
    byInstance.set(l.instanceId, [...(byInstance.get(l.instanceId) ?? []), l.taskDefinitionArn]);
  }
  for (const [instanceId, arns] of byInstance) {
    const inst = await getInstance(tx, plan.region, plan.cluster, instanceId);
    if (inst?.value.status !== "ACTIVE") return false;
    const used = [];
    for (const t of await tasksOnInstance(tx, plan.region, plan.cluster, instanceId)) {
      if (!holdsResources(t.value.task.lastStatus, t.value.task.desiredStatus)) continue;
      const td = await getTaskDefinitionByArn(tx, plan.region, t.value.task.taskDefinitionArn);
      if (td) used.push(taskNeeds(td.value.td, t.value.task.overrides));
    }
    const left = remaining(
      {
        cpu: inst.value.resources.cpu,
        memory: inst.value.resources.memoryMiB,
        reservedTcp: inst.value.resources.reservedPorts,
        reservedUdp: inst.value.resources.reservedUdpPorts,
      },
      used,
    );
    for (const arn of arns) {
      const td = await getTaskDefinitionByArn(tx, plan.region, arn);
      if (!td) return false;
      const needs = taskNeeds(td.value.td);
      if (shortfall(left, needs)) return false;
      left.cpu -= needs.cpu;
      left.memory -= needs.memory;
      for (const p of needs.tcpPorts) left.tcp.add(p);
      for (const p of needs.udpPorts) left.udp.add(p);
    }
  }
  return true;
}

/** A service's security groups (or, when it names none, its VPC's default group). */
async function groupsOf(
  tx: WriteTx,
  region: string,
  vpcId: string,
  named: readonly string[],
): Promise<string[]> {
  if (named.length > 0) return [...named];
  const vpc = await getVpc(tx, region, vpcId);
  return vpc ? [vpc.value.defaultGroupId] : [];
}
