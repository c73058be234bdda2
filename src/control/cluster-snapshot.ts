/**
 * A read-only picture of one cluster at one moment: what the service scheduler plans over, and what
 * RunTask places with. Reading is I/O; everything derived from a snapshot is pure.
 */
import type { PlacementNode } from "../domain/ecs/placement-engine.js";
import { type ResourceNeeds, remaining, taskNeeds } from "../domain/ecs/resources.js";
import type { StoredTaskDefinition } from "../domain/ecs/task-definition.js";
import { holdsResources } from "../domain/ecs/task-status.js";
import { taskRoleProblem } from "../identity/task-roles.js";
import { getSubnet } from "../state/ec2/records.js";
import {
  type ContainerInstanceRecord,
  isConnected,
  listInstances,
} from "../state/ecs/container-instances.js";
import { type FargateHost, readFargateHosts } from "../state/ecs/fargate-hosts.js";
import { K } from "../state/ecs/kinds.js";
import { listServices, type ServiceRecord } from "../state/ecs/services.js";
import { getTaskDefinitionByArn, taskDefinitionKey } from "../state/ecs/task-definitions.js";
import { listTasks, type TaskRecord } from "../state/ecs/tasks.js";
import { PrefixMirror } from "../state/mirror.js";
import { type RecordCache, recordCache } from "../state/record-cache.js";
import type { ReadTx, Store, StoredRecord } from "../state/store.js";

export interface ClusterSnapshot {
  region: string;
  cluster: string;
  now: number;
  instances: StoredRecord<ContainerInstanceRecord>[];
  tasks: StoredRecord<TaskRecord>[];
  services: StoredRecord<ServiceRecord>[];
  /** Every task definition a task or a service deployment of the snapshot uses, by ARN. */
  taskDefinitions: Map<string, StoredTaskDefinition>;
  /**
   * Why tasks of a service deployment's task definition cannot start (a role that does not exist
   * or does not trust ECS), by task definition ARN; absent when they can.
   */
  roleProblems?: Map<string, string>;
  /** The store's sequence number when the snapshot was read. */
  seq: number;
  /** The region's Berth-managed Fargate hosts (with the memory all their tasks reserve). */
  fargateHosts: FargateHost[];
  /** The zone of every subnet the cluster's services name in their network configuration. */
  subnetZones: Map<string, string>;
}

/**
 * Where snapshots come from when they are read often (the scheduler): a mirror of clusters'
 * instances, tasks and services and a cache of task definitions, both kept current by the change
 * feed, so a pass parses only what changed since the last.
 */
export interface SnapshotSource {
  mirror: PrefixMirror;
  taskDefinitions: RecordCache<StoredTaskDefinition | undefined>;
  stop(): void;
}

const clusterPrefixOf = (key: string) => {
  const a = key.indexOf("/");
  const b = a < 0 ? -1 : key.indexOf("/", a + 1);
  return b < 0 ? undefined : key.slice(0, b + 1);
};

export function snapshotSource(store: Store): SnapshotSource {
  const mirror = new PrefixMirror(store, new Set([K.containerInstance, K.task, K.service]), clusterPrefixOf);
  const taskDefinitions = recordCache<StoredTaskDefinition | undefined>(store, K.taskDefinition);
  return {
    mirror,
    taskDefinitions,
    stop() {
      mirror.stop();
      taskDefinitions.stop();
    },
  };
}

export async function readClusterSnapshot(
  tx: ReadTx,
  region: string,
  cluster: string,
  now: number,
  source?: SnapshotSource,
): Promise<ClusterSnapshot> {
  const seq = await tx.seq();
  const prefix = `${region}/${cluster}/`;
  const instances = source
    ? await source.mirror.scan<ContainerInstanceRecord>(tx, K.containerInstance, prefix)
    : await listInstances(tx, region, cluster);
  const tasks = source
    ? await source.mirror.scan<TaskRecord>(tx, K.task, prefix)
    : await listTasks(tx, region, cluster);
  const services = source
    ? await source.mirror.scan<ServiceRecord>(tx, K.service, prefix)
    : await listServices(tx, region, cluster);
  const taskDefinitions = new Map<string, StoredTaskDefinition>();
  const arns = [
    ...tasks.map((t) => t.value.task.taskDefinitionArn),
    ...services.flatMap((s) => s.value.deployments.map((d) => d.taskDefinition)),
  ];
  const load = async (arn: string) => (await getTaskDefinitionByArn(tx, region, arn))?.value.td;
  for (const arn of arns) {
    if (taskDefinitions.has(arn)) continue;
    // Cached under the record's own key, which is what the change feed names.
    const m = /:task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
    const td =
      source && m
        ? await source.taskDefinitions.get(taskDefinitionKey(region, m[1]!, Number(m[2])), () => load(arn))
        : await load(arn);
    if (td) taskDefinitions.set(arn, td);
  }
  const roleProblems = new Map<string, string>();
  for (const arn of new Set(services.flatMap((s) => s.value.deployments.map((d) => d.taskDefinition)))) {
    const td = taskDefinitions.get(arn);
    const accountId = arn.split(":")[4] ?? "";
    const problem = td ? await taskRoleProblem(tx, accountId, td) : undefined;
    if (problem) roleProblems.set(arn, problem);
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
    roleProblems,
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
