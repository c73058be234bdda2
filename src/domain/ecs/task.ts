/**
 * ECS tasks as records: creating one from a task definition and a request, folding an agent's
 * report into it (status only moves forward), and the API view. Pure.
 */
import type { Tag, Task, TaskOverride } from "@aws-sdk/client-ecs";
import type { TaskReport } from "../../agentapi/protocol.js";
import type { StoredContainer, StoredTask, TaskNetworkRecord, TaskRecord } from "../../state/ecs/tasks.js";
import { formatArn } from "../arn.js";
import type { Scope } from "./arns.js";
import { eniAttachment, regionOfArn } from "./eni-attachment.js";
import { PLATFORM_FAMILY } from "./fargate.js";
import { taskNeeds, withContainerOverride } from "./resources.js";
import type { StoredTaskDefinition } from "./task-definition.js";
import { canAdvance, statusRank } from "./task-status.js";

export const taskArn = (s: Scope, cluster: string, id: string) =>
  formatArn({ service: "ecs", region: s.region, accountId: s.accountId, resource: `task/${cluster}/${id}` });
export const containerArn = (s: Scope, cluster: string, taskId: string, id: string) =>
  formatArn({
    service: "ecs",
    region: s.region,
    accountId: s.accountId,
    resource: `container/${cluster}/${taskId}/${id}`,
  });

export interface NewTask {
  id: string;
  scope: Scope;
  cluster: string;
  clusterArn: string;
  taskDefinition: StoredTaskDefinition;
  overrides: TaskOverride | undefined;
  instance?: { id: string; arn: string };
  availabilityZone: string;
  launchType: string;
  group: string;
  startedBy?: string;
  tags: Tag[];
  now: number;
  /** One id per container, for container ARNs. */
  containerIds: string[];
  /** awsvpc tasks: the interface made for the task. */
  network?: TaskNetworkRecord;
  /** Fargate tasks: the Berth-managed host, the provider, the platform and the ephemeral storage. */
  fargate?: { hostId: string; capacityProviderName: string; platformVersion: string; ephemeralGiB: number };
}

/** The overrides ECS reports: every container named, even those not overridden. */
function fullOverrides(td: StoredTaskDefinition, o: TaskOverride | undefined): TaskOverride {
  return {
    ...o,
    containerOverrides: td.containerDefinitions.map((c) => ({
      name: c.name!,
      ...o?.containerOverrides?.find((x) => x.name === c.name),
    })),
    inferenceAcceleratorOverrides: o?.inferenceAcceleratorOverrides ?? [],
  };
}

export function newTask(n: NewTask): TaskRecord {
  const td = n.taskDefinition;
  const arn = taskArn(n.scope, n.cluster, n.id);
  const needs = taskNeeds(td, n.overrides);
  const containers: StoredContainer[] = td.containerDefinitions.map((def, i) => {
    const c = withContainerOverride(def, n.overrides);
    return {
      containerArn: containerArn(n.scope, n.cluster, n.id, n.containerIds[i]!),
      taskArn: arn,
      name: c.name!,
      image: c.image!,
      lastStatus: "PENDING",
      networkInterfaces: [],
      healthStatus: "UNKNOWN",
      cpu: String(c.cpu ?? 0),
      ...(c.memory !== undefined ? { memory: String(c.memory) } : {}),
      ...(c.memoryReservation !== undefined ? { memoryReservation: String(c.memoryReservation) } : {}),
    };
  });
  const task: StoredTask = {
    attachments: n.network ? [eniAttachment(n.network, n.scope.region, "PRECREATED")] : [],
    attributes: [{ name: "ecs.cpu-architecture", value: "x86_64" }],
    availabilityZone: n.availabilityZone,
    clusterArn: n.clusterArn,
    ...(n.instance ? { containerInstanceArn: n.instance.arn } : {}),
    containers,
    cpu: n.overrides?.cpu ?? td.cpu ?? String(needs.cpu),
    createdAt: n.now,
    desiredStatus: "RUNNING",
    enableExecuteCommand: false,
    group: n.group,
    healthStatus: "UNKNOWN",
    lastStatus: "PROVISIONING",
    launchType: n.launchType as Task["launchType"],
    memory: n.overrides?.memory ?? td.memory ?? String(needs.memory),
    overrides: fullOverrides(td, n.overrides),
    ...(n.fargate
      ? {
          capacityProviderName: n.fargate.capacityProviderName,
          platformVersion: n.fargate.platformVersion,
          platformFamily: PLATFORM_FAMILY,
          ephemeralStorage: { sizeInGiB: n.fargate.ephemeralGiB },
          fargateEphemeralStorage: { sizeInGiB: n.fargate.ephemeralGiB },
        }
      : {}),
    ...(n.startedBy !== undefined ? { startedBy: n.startedBy } : {}),
    taskArn: arn,
    taskDefinitionArn: td.taskDefinitionArn,
    version: 1,
  };
  return {
    id: n.id,
    cluster: n.cluster,
    ...(n.instance ? { instanceId: n.instance.id } : {}),
    ...(n.fargate ? { fargateHost: n.fargate.hostId } : {}),
    ...(n.network ? { network: n.network } : {}),
    task,
    tags: n.tags,
  };
}

const containerRank: Record<string, number> = { PENDING: 0, RUNNING: 1, STOPPED: 2 };

/**
 * Fold an agent's report into a task. Returns the new record, or undefined when nothing changed.
 * Status never moves backwards; timestamps are set once.
 */
export function applyReport(rec: TaskRecord, r: TaskReport, now: number): TaskRecord | undefined {
  const t: StoredTask = { ...rec.task, containers: rec.task.containers.map((c) => ({ ...c })) };
  const before = JSON.stringify(t);
  if (canAdvance(t.lastStatus, r.lastStatus)) t.lastStatus = r.lastStatus;
  const once = (
    k: "pullStartedAt" | "pullStoppedAt" | "startedAt" | "executionStoppedAt" | "stoppedAt",
    v: number | undefined,
  ) => {
    if (v !== undefined && t[k] === undefined) t[k] = v;
  };
  once("pullStartedAt", r.pullStartedAt);
  once("pullStoppedAt", r.pullStoppedAt);
  once("startedAt", r.startedAt);
  once("executionStoppedAt", r.executionStoppedAt);
  if (r.healthStatus) t.healthStatus = r.healthStatus;
  if (t.connectivity === undefined && statusRank(t.lastStatus) >= statusRank("PENDING")) {
    t.connectivity = "CONNECTED";
    t.connectivityAt = now;
  }
  if (r.stopCode && t.desiredStatus !== "STOPPED") {
    t.desiredStatus = "STOPPED";
    t.stopCode = r.stopCode as Task["stopCode"];
    if (r.stoppedReason) t.stoppedReason = r.stoppedReason;
  }
  if (statusRank(t.lastStatus) >= statusRank("DEACTIVATING") && t.stoppingAt === undefined)
    t.stoppingAt = now;
  if (t.lastStatus === "STOPPED") {
    t.desiredStatus = "STOPPED";
    once("stoppedAt", r.stoppedAt ?? now);
    once("executionStoppedAt", r.stoppedAt ?? now);
  }
  for (const cr of r.containers) {
    const c = t.containers.find((x) => x.name === cr.name);
    if (!c) continue;
    if ((containerRank[cr.lastStatus] ?? -1) >= (containerRank[c.lastStatus ?? "PENDING"] ?? 0))
      c.lastStatus = cr.lastStatus;
    if (cr.runtimeId) c.runtimeId = cr.runtimeId;
    if (cr.imageDigest) c.imageDigest = cr.imageDigest;
    if (cr.exitCode !== undefined) c.exitCode = cr.exitCode;
    if (cr.reason) c.reason = cr.reason;
    if (cr.networkBindings) c.networkBindings = cr.networkBindings;
    if (cr.healthStatus) c.healthStatus = cr.healthStatus;
  }
  if (rec.network) networkStatus(t, rec.network);
  if (JSON.stringify(t) === before) return undefined;
  t.version = (t.version ?? 0) + 1;
  return { ...rec, task: t };
}

/**
 * An awsvpc task's attachment follows its status: ATTACHED (and the containers' networkInterfaces) once
 * the agent set up its network (PENDING or later), DELETED once the task stopped.
 */
export function networkStatus(t: StoredTask, net: TaskNetworkRecord): void {
  const stopped = t.lastStatus === "STOPPED";
  const up = statusRank(t.lastStatus) >= statusRank("PENDING");
  const want = stopped ? "DELETED" : up ? "ATTACHED" : "PRECREATED";
  const current = t.attachments?.find((a) => a.id === net.attachmentId)?.status;
  if (want !== current) t.attachments = [eniAttachment(net, regionOfArn(t.taskArn), want)];
  if (want === "ATTACHED") {
    for (const c of t.containers) {
      if (!c.networkInterfaces?.length)
        c.networkInterfaces = [{ attachmentId: net.attachmentId, privateIpv4Address: net.privateIp }];
    }
  }
}

/** Ask a task to stop (StopTask, or a scheduler). No-op when it is already stopping. */
export function requestStop(
  rec: TaskRecord,
  stopCode: string,
  reason: string,
  now: number,
): TaskRecord | undefined {
  if (rec.task.desiredStatus === "STOPPED") return undefined;
  const task: StoredTask = {
    ...rec.task,
    desiredStatus: "STOPPED",
    stopCode: stopCode as Task["stopCode"],
    stoppedReason: reason,
    stoppingAt: rec.task.stoppingAt ?? now,
    version: (rec.task.version ?? 0) + 1,
  };
  return { ...rec, task };
}

/** The API view of a task; tags only when asked for. */
export function renderTask(rec: TaskRecord, withTags: boolean): Task {
  return { ...rec.task, ...(withTags ? { tags: rec.tags } : {}) } as unknown as Task;
}
