/**
 * A read-only picture of one cluster at one moment: what the service scheduler plans over, and what
 * RunTask places with. Reading is I/O; everything derived from a snapshot is pure.
 */
import type { PlacementNode } from "../domain/ecs/placement-engine.js";
import { type ResourceNeeds, remaining, taskNeeds } from "../domain/ecs/resources.js";
import type { StoredTaskDefinition } from "../domain/ecs/task-definition.js";
import { holdsResources } from "../domain/ecs/task-status.js";
import { getSubnet } from "../state/ec2/records.js";
import {
  type ContainerInstanceRecord,
  isConnected,
  listInstances,
} from "../state/ecs/container-instances.js";
import { type FargateHost, readFargateHosts } from "../state/ecs/fargate-hosts.js";
import { listServices, type ServiceRecord } from "../state/ecs/services.js";
import { getTaskDefinitionByArn } from "../state/ecs/task-definitions.js";
import { listTasks, type TaskRecord } from "../state/ecs/tasks.js";
import type { ReadTx, StoredRecord } from "../state/store.js";

export interface ClusterSnapshot {
  region: string;
  cluster: string;
  now: number;
  instances: StoredRecord<ContainerInstanceRecord>[];
  tasks: StoredRecord<TaskRecord>[];
  services: StoredRecord<ServiceRecord>[];
  /** Every task definition a task or a service deployment of the snapshot uses, by ARN. */
  taskDefinitions: Map<string, StoredTaskDefinition>;
  /** The store's sequence number when the snapshot was read. */
  seq: number;
  /** The region's Berth-managed Fargate hosts (with the memory all their tasks reserve). */
  fargateHosts: FargateHost[];
  /** The zone of every subnet the cluster's services name in their network configuration. */
  subnetZones: Map<string, string>;
}

export async function readClusterSnapshot(
  tx: ReadTx,
  region: string,
  cluster: string,
  now: number,
): Promise<ClusterSnapshot> {
  const seq = await tx.seq();
  const instances = await listInstances(tx, region, cluster);
  const tasks = await listTasks(tx, region, cluster);
  const services = await listServices(tx, region, cluster);
  const taskDefinitions = new Map<string, StoredTaskDefinition>();
  const arns = [
    ...tasks.map((t) => t.value.task.taskDefinitionArn),
    ...services.flatMap((s) => s.value.deployments.map((d) => d.taskDefinition)),
  ];
  for (const arn of arns) {
    if (taskDefinitions.has(arn)) continue;
    const td = await getTaskDefinitionByArn(tx, region, arn);
    if (td) taskDefinitions.set(arn, td.value.td);
  }
  const subnetZones = new Map<string, string>();
  for (const svc of services) {
    for (const id of svc.value.networkConfiguration?.awsvpcConfiguration?.subnets ?? []) {
      if (subnetZones.has(id)) continue;
      const subnet = await getSubnet(tx, region, id);
      if (subnet) subnetZones.set(id, subnet.value.availabilityZone);
    }
  }
  const fargateHosts = services.some((s) => s.value.launchType === "FARGATE" && s.value.status !== "INACTIVE")
    ? await readFargateHosts(tx, region, now, Number.MAX_SAFE_INTEGER)
    : [];
  return {
    region,
    cluster,
    now,
    instances,
    tasks,
    services,
    taskDefinitions,
    seq,
    fargateHosts,
    subnetZones,
  };
}

/**
 * Placement nodes for Fargate services: the region's Fargate hosts, with the memory their tasks
 * reserve taken (Fargate's cpu is a limit, not a reservation, so only memory bounds a host).
 */
export function fargateNodes(snap: ClusterSnapshot, agentTimeoutMs: number): PlacementNode[] {
  return snap.fargateHosts.map((h) => {
    const groupCounts = new Map<string, number>();
    for (const t of snap.tasks) {
      const task = t.value.task;
      if (t.value.fargateHost !== h.id || !holdsResources(task.lastStatus, task.desiredStatus) || !task.group)
        continue;
      groupCounts.set(task.group, (groupCounts.get(task.group) ?? 0) + 1);
    }
    return {
      id: h.id,
      arn: h.arn,
      status: h.active ? "ACTIVE" : "INACTIVE",
      connected: snap.now - h.lastSeenAt < agentTimeoutMs,
      attributes: new Map(),
      remaining: remaining(
        { cpu: Number.MAX_SAFE_INTEGER, memory: h.memoryMiB - h.usedMiB, reservedTcp: [], reservedUdp: [] },
        [],
      ),
      groupCounts,
      ec2InstanceId: "",
      registeredAt: 0,
      agentVersion: "",
      runningTasksCount: 0,
    };
  });
}

/** What a task of the snapshot reserves (zero when its task definition is gone). */
export function needsOf(snap: ClusterSnapshot, t: TaskRecord): ResourceNeeds {
  const td = snap.taskDefinitions.get(t.task.taskDefinitionArn);
  return td ? taskNeeds(td, t.task.overrides) : { cpu: 0, memory: 0, tcpPorts: [], udpPorts: [] };
}

/** Placement nodes for the snapshot's instances, with what their non-stopped tasks use. */
export function placementNodes(
  snap: ClusterSnapshot,
  agentTimeoutMs: number,
  only?: ReadonlySet<string>,
): PlacementNode[] {
  const byInstance = new Map<string, TaskRecord[]>();
  for (const t of snap.tasks) {
    const task = t.value.task;
    if (!t.value.instanceId || !holdsResources(task.lastStatus, task.desiredStatus)) continue;
    const list = byInstance.get(t.value.instanceId) ?? [];
    list.push(t.value);
    byInstance.set(t.value.instanceId, list);
  }
  const nodes: PlacementNode[] = [];
  for (const r of snap.instances) {
    const i = r.value;
    if (i.status === "INACTIVE" || (only && !only.has(i.id))) continue;
    const tasks = byInstance.get(i.id) ?? [];
    const groupCounts = new Map<string, number>();
    let running = 0;
    for (const t of tasks) {
      if (t.task.group) groupCounts.set(t.task.group, (groupCounts.get(t.task.group) ?? 0) + 1);
      if (t.task.lastStatus === "RUNNING") running++;
    }
    nodes.push({
      id: i.id,
      arn: i.arn,
      status: i.status,
      connected: isConnected(i, snap.now, agentTimeoutMs),
      attributes: new Map(i.attributes.map((a) => [a.name!, a.value])),
      remaining: remaining(
        {
          cpu: i.resources.cpu,
          memory: i.resources.memoryMiB,
          reservedTcp: i.resources.reservedPorts,
          reservedUdp: i.resources.reservedUdpPorts,
        },
        tasks.map((t) => needsOf(snap, t)),
      ),
      groupCounts,
      ec2InstanceId: i.name,
      registeredAt: i.registeredAt,
      agentVersion: i.versionInfo.agentVersion,
      runningTasksCount: running,
    });
  }
  return nodes;
}
