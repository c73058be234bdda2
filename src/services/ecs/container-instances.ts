import type {
  ContainerInstance,
  DeregisterContainerInstanceRequest,
  DeregisterContainerInstanceResponse,
  DescribeContainerInstancesRequest,
  DescribeContainerInstancesResponse,
  Failure,
  ListContainerInstancesRequest,
  ListContainerInstancesResponse,
  UpdateContainerInstancesStateRequest,
  UpdateContainerInstancesStateResponse,
} from "@aws-sdk/client-ecs";
import { placementNodes, readClusterSnapshot } from "../../control/cluster-snapshot.js";
import { parseArn } from "../../domain/arn.js";
import type { Scope } from "../../domain/ecs/arns.js";
import { clusterName } from "../../domain/ecs/arns.js";
import { queryTarget } from "../../domain/ecs/placement-engine.js";
import { compileQuery } from "../../domain/ecs/query-language.js";
import { remaining, resourceList, taskNeeds } from "../../domain/ecs/resources.js";
import { requestStop } from "../../domain/ecs/task.js";
import { holdsResources } from "../../domain/ecs/task-status.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getCluster } from "../../state/ecs/clusters.js";
import {
  type ContainerInstanceRecord,
  getInstance,
  isConnected,
  putInstance,
} from "../../state/ecs/container-instances.js";
import { getTaskDefinitionByArn } from "../../state/ecs/task-definitions.js";
import { putTask, tasksOnInstance } from "../../state/ecs/tasks.js";
import type { ReadTx, Store, StoredRecord } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { cut, pageOf } from "./paging.js";

/** `arn:...:container-instance/<cluster>/<id>` or a bare id → the id (and cluster when the ARN names one). */
export function parseInstanceRef(s: Scope, ref: string): { id: string; cluster?: string } | undefined {
  if (!ref.startsWith("arn:")) return /^[a-f0-9]{32}$/.test(ref) ? { id: ref } : undefined;
  const arn = parseArn(ref);
  if (arn?.service !== "ecs" || arn.region !== s.region || arn.accountId !== s.accountId) return undefined;
  const parts = arn.resource.split("/");
  if (parts[0] !== "container-instance") return undefined;
  if (parts.length === 3) return { cluster: parts[1]!, id: parts[2]! };
  if (parts.length === 2) return { id: parts[1]! };
  return undefined;
}

/** Everything DescribeContainerInstances shows, derived from the instance and its tasks. */
export async function renderInstance(
  tx: ReadTx,
  region: string,
  rec: StoredRecord<ContainerInstanceRecord>,
  now: number,
  withTags: boolean,
  agentTimeoutMs: number,
): Promise<ContainerInstance> {
  const i = rec.value;
  const tasks = await tasksOnInstance(tx, region, i.cluster, i.id);
  const needs = [];
  let running = 0;
  let pending = 0;
  for (const t of tasks) {
    const task = t.value.task;
    if (!holdsResources(task.lastStatus, task.desiredStatus)) continue;
    const td = await getTaskDefinitionByArn(tx, region, task.taskDefinitionArn);
    if (td) needs.push(taskNeeds(td.value.td, task.overrides));
    if (task.lastStatus === "RUNNING") running++;
    else if (task.lastStatus !== "STOPPED") pending++;
  }
  const base = {
    cpu: i.resources.cpu,
    memory: i.resources.memoryMiB,
    reservedTcp: i.resources.reservedPorts,
    reservedUdp: i.resources.reservedUdpPorts,
  };
  const left = remaining(base, needs);
  return {
    containerInstanceArn: i.arn,
    ec2InstanceId: i.name,
    version: rec.version,
    versionInfo: i.versionInfo,
    remainingResources: resourceList(left.cpu, left.memory, left.tcp, left.udp),
    registeredResources: resourceList(base.cpu, base.memory, base.reservedTcp, base.reservedUdp),
    status: i.status,
    agentConnected: i.status !== "INACTIVE" && isConnected(i, now, agentTimeoutMs),
    runningTasksCount: running,
    pendingTasksCount: pending,
    attributes: i.attributes,
    registeredAt: new Date(i.registeredAt),
    attachments: [],
    ...(withTags ? { tags: i.tags } : {}),
  };
}

async function requireCluster(
  tx: ReadTx,
  ctx: RequestContext,
  identifier: string | undefined,
): Promise<string> {
  const name = clusterName(ctx, identifier);
  const c = await getCluster(tx, ctx.region, name);
  if (c?.value.status !== "ACTIVE") throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
  return name;
}

export function containerInstanceHandlers(store: Store, opts: { agentTimeoutMs: number }) {
  const list: Handler<ListContainerInstancesRequest, ListContainerInstancesResponse> = (input, ctx) => {
    const status = input.status;
    if (
      status !== undefined &&
      !["ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"].includes(status)
    ) {
      throw new AwsError(
        Errors.InvalidParameter,
        "status should be one of [ACTIVE,DRAINING,REGISTERING,DEREGISTERING,REGISTRATION_FAILED]",
      );
    }
    const query = input.filter !== undefined ? compileQuery(input.filter) : undefined;
    const listId = `ListContainerInstances|${status ?? ""}|${input.filter ?? ""}`;
    const page = pageOf(listId, input);
    return store.read(async (tx) => {
      const cluster = await requireCluster(tx, ctx, input.cluster);
      const snap = await readClusterSnapshot(tx, ctx.region, cluster, ctx.now);
      const nodes = new Map(placementNodes(snap, opts.agentTimeoutMs).map((n) => [n.id, n]));
      const all = snap.instances.filter((r) => {
        if (status ? r.value.status !== status : r.value.status === "INACTIVE") return false;
        const node = nodes.get(r.value.id);
        return !query || (node !== undefined && query(queryTarget(node)));
      });
      const after = page.after;
      const rest = after === undefined ? all : all.filter((r) => r.key > after);
      const { items, nextToken } = cut(listId, rest.slice(0, page.limit + 1), page.limit, (r) => r.key);
      return { containerInstanceArns: items.map((r) => r.value.arn), ...(nextToken ? { nextToken } : {}) };
    });
  };

  const updateState: Handler<UpdateContainerInstancesStateRequest, UpdateContainerInstancesStateResponse> = (
    input,
    ctx,
  ) => {
    const refs = input.containerInstances ?? [];
    if (refs.length === 0) throw new AwsError(Errors.InvalidParameter, "ContainerInstances cannot be empty.");
    if (refs.length > 10)
      throw new AwsError(Errors.InvalidParameter, "containerInstances can have at most 10 items.");
    if (input.status !== "ACTIVE" && input.status !== "DRAINING") {
      throw new AwsError(
        Errors.InvalidParameter,
        "Container instance status can only be updated to ACTIVE or DRAINING.",
      );
    }
    return store.write(async (tx) => {
      const cluster = await requireCluster(tx, ctx, input.cluster);
      const containerInstances: ContainerInstance[] = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        const parsed = parseInstanceRef(ctx, ref);
        const rec =
          parsed && (!parsed.cluster || parsed.cluster === cluster)
            ? await getInstance(tx, ctx.region, cluster, parsed.id)
            : undefined;
        if (!rec || rec.value.status === "INACTIVE") {
          failures.push({ arn: ref, reason: "MISSING" });
          continue;
        }
        const stored =
          rec.value.status === input.status
            ? rec
            : await putInstance(
                tx,
                ctx.region,
                { ...rec.value, status: input.status as "ACTIVE" | "DRAINING" },
                rec.version,
              );
        containerInstances.push(
          await renderInstance(tx, ctx.region, stored, ctx.now, false, opts.agentTimeoutMs),
        );
      }
      return { containerInstances, failures };
    });
  };

  const describe: Handler<DescribeContainerInstancesRequest, DescribeContainerInstancesResponse> = (
    input,
    ctx,
  ) => {
    const refs = input.containerInstances ?? [];
    if (refs.length === 0) throw new AwsError(Errors.InvalidParameter, "ContainerInstances cannot be empty.");
    if (refs.length > 100)
      throw new AwsError(Errors.InvalidParameter, "containerInstances can have at most 100 items.");
    const withTags = (input.include ?? []).includes("TAGS");
    return store.read(async (tx) => {
      const cluster = await requireCluster(tx, ctx, input.cluster);
      const containerInstances: ContainerInstance[] = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        const parsed = parseInstanceRef(ctx, ref);
        const rec =
          parsed && (!parsed.cluster || parsed.cluster === cluster)
            ? await getInstance(tx, ctx.region, cluster, parsed.id)
            : undefined;
        if (!rec) failures.push({ arn: ref, reason: "MISSING" });
        else
          containerInstances.push(
            await renderInstance(tx, ctx.region, rec, ctx.now, withTags, opts.agentTimeoutMs),
          );
      }
      return { containerInstances, failures };
    });
  };

  const deregister: Handler<DeregisterContainerInstanceRequest, DeregisterContainerInstanceResponse> = (
    input,
    ctx,
  ) =>
    store.write(async (tx) => {
      const cluster = await requireCluster(tx, ctx, input.cluster);
      const parsed = parseInstanceRef(ctx, input.containerInstance!);
      const rec = parsed ? await getInstance(tx, ctx.region, cluster, parsed.id) : undefined;
      if (!rec || rec.value.status === "INACTIVE") {
        throw new AwsError(Errors.InvalidParameter, "The referenced container instance was not found.");
      }
      const tasks = (await tasksOnInstance(tx, ctx.region, cluster, rec.value.id)).filter(
        (t) => t.value.task.lastStatus !== "STOPPED",
      );
      if (tasks.length > 0 && !input.force) {
        throw new AwsError(
          Errors.InvalidParameter,
          "Found running tasks on the instance. Stop them first, or deregister with force to stop them with the instance.",
        );
      }
      for (const t of tasks) {
        const next = requestStop(
          t.value,
          "UserInitiated",
          "Container instance deregistration forced by user",
          ctx.now,
        );
        if (next) await putTask(tx, ctx.region, next, t.version);
      }
      const next: ContainerInstanceRecord = { ...rec.value, status: "INACTIVE" };
      const stored = await putInstance(tx, ctx.region, next, rec.version);
      return {
        containerInstance: await renderInstance(tx, ctx.region, stored, ctx.now, false, opts.agentTimeoutMs),
      };
    });

  return {
    ListContainerInstances: list,
    DescribeContainerInstances: describe,
    DeregisterContainerInstance: deregister,
    UpdateContainerInstancesState: updateState,
  };
}
