import type {
  DescribeTasksRequest,
  DescribeTasksResponse,
  Failure,
  ListTasksRequest,
  ListTasksResponse,
  RunTaskRequest,
  RunTaskResponse,
  StartTaskRequest,
  StartTaskResponse,
  StopTaskRequest,
  StopTaskResponse,
  Tag,
  Task,
  TaskOverride,
} from "@aws-sdk/client-ecs";
import { placementNodes, readClusterSnapshot } from "../../control/cluster-snapshot.js";
import { drainEvents, type StopHook, withEvents } from "../../control/scheduler/applier.js";
import { parseArn } from "../../domain/arn.js";
import { clusterName, type Scope } from "../../domain/ecs/arns.js";
import { awsvpcChoice } from "../../domain/ecs/awsvpc.js";
import {
  chooseLaunch,
  ephemeralGiB,
  type Launch,
  nextProvider,
  resolvePlatformVersion,
  unsupportedOnFargate,
} from "../../domain/ecs/fargate.js";
import { DEFAULT_RUN_TASK_STRATEGY, place } from "../../domain/ecs/placement-engine.js";
import { parseConstraints, parseStrategies } from "../../domain/ecs/placement-input.js";
import { taskNeeds } from "../../domain/ecs/resources.js";
import { unsupportedForRun } from "../../domain/ecs/runnable.js";
import { serviceNameOf } from "../../domain/ecs/service.js";
import { validateTags } from "../../domain/ecs/tags.js";
import { newTask, renderTask, requestStop, taskArn } from "../../domain/ecs/task.js";
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import { parseTaskCpu, parseTaskMemory } from "../../domain/ecs/task-size.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { taskRoleProblem } from "../../identity/task-roles.js";
import { hexId, uuid } from "../../lib/ids.js";
import { type ClusterRecord, getCluster } from "../../state/ecs/clusters.js";
import { getInstance } from "../../state/ecs/container-instances.js";
import { NO_FARGATE_CAPACITY, pickFargateHost, readFargateHosts } from "../../state/ecs/fargate-hosts.js";
import { K } from "../../state/ecs/kinds.js";
import { getService, putService } from "../../state/ecs/services.js";
import { createTaskNetwork } from "../../state/ecs/task-network.js";
import {
  createTask,
  getTask,
  listTasks,
  putTask,
  type TaskNetworkRecord,
  type TaskRecord,
  tasksOnInstance,
} from "../../state/ecs/tasks.js";
import type { ReadTx, Store, StoredRecord, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { validateStrategy } from "./clusters.js";
import { parseInstanceRef } from "./container-instances.js";
import { cut, pageOf } from "./paging.js";
import { resolveTaskDefinition } from "./task-definitions.js";
import { pickSubnet, type ResolvedAwsvpc, resolveAwsvpc } from "./task-network.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

async function activeCluster(
  tx: ReadTx,
  ctx: RequestContext,
  identifier: string | undefined,
): Promise<ClusterRecord> {
  const name = clusterName(ctx, identifier);
  const c = await getCluster(tx, ctx.region, name);
  if (!c) throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
  if (c.value.status !== "ACTIVE")
    throw new AwsError(Errors.ClusterNotFound, "The referenced cluster was inactive.");
  return c.value;
}

async function runnableDefinition(
  tx: ReadTx,
  ctx: RequestContext,
  ref: string,
): Promise<StoredTaskDefinition> {
  const rec = await resolveTaskDefinition(tx, ctx, ref);
  if (!rec) throw new AwsError(Errors.EcsClient, "Unable to describe task definition.");
  const td = rec.value.td;
  if (td.status !== "ACTIVE")
    throw new AwsError(Errors.EcsClient, `TaskDefinition is inactive: ${td.taskDefinitionArn}`);
  const why = unsupportedForRun(td);
  if (why) throw invalid(`Berth cannot run ${td.family}:${td.revision}: ${why}. See docs/COMPATIBILITY.md.`);
  return td;
}

function validateOverrides(td: StoredTaskDefinition, o: TaskOverride | undefined, launchType = "EC2"): void {
  if (!o) return;
  for (const co of o.containerOverrides ?? []) {
    if (!co.name || !td.containerDefinitions.some((c) => c.name === co.name)) {
      throw invalid(
        `Override for container named ${co.name ?? ""} is not a container in the TaskDefinition.`,
      );
    }
    if ((co.environmentFiles ?? []).length > 0)
      throw invalid("Berth does not support environmentFiles (S3) in container overrides.");
    if ((co.resourceRequirements ?? []).length > 0)
      throw invalid("Berth does not support resourceRequirements (GPU) in container overrides.");
  }
  if (o.cpu !== undefined && parseTaskCpu(o.cpu) === undefined)
    throw invalid("Invalid 'cpu' setting for task.");
  if (o.memory !== undefined && parseTaskMemory(o.memory) === undefined)
    throw invalid("Invalid 'memory' setting for task.");
  if ((o.inferenceAcceleratorOverrides ?? []).length > 0)
    throw invalid("Berth does not support inference accelerators.");
  if (o.ephemeralStorage && launchType !== "FARGATE")
    throw invalid("ephemeralStorage overrides apply to Fargate tasks only.");
}

/** ECS refuses to launch a task whose task or execution role it could not assume. */
async function assumableRoles(
  tx: ReadTx,
  ctx: RequestContext,
  td: StoredTaskDefinition,
  o: TaskOverride | undefined,
): Promise<void> {
  const problem = await taskRoleProblem(tx, ctx.accountId, {
    taskRoleArn: o?.taskRoleArn ?? td.taskRoleArn,
    executionRoleArn: o?.executionRoleArn ?? td.executionRoleArn,
  });
  if (problem) throw new AwsError(Errors.EcsClient, problem);
}

interface LaunchInput {
  taskDefinition?: string | undefined;
  overrides?: TaskOverride | undefined;
  group?: string | undefined;
  startedBy?: string | undefined;
  tags?: Tag[] | undefined;
  propagateTags?: string | undefined;
  enableECSManagedTags?: boolean | undefined;
  enableExecuteCommand?: boolean | undefined;
  networkConfiguration?: unknown;
  volumeConfigurations?: unknown[] | undefined;
}

function checkLaunchInput(input: LaunchInput): Tag[] {
  if (input.enableExecuteCommand) throw invalid("Berth does not support ECS Exec (enableExecuteCommand).");
  if ((input.volumeConfigurations ?? []).length > 0)
    throw invalid("Berth does not support volumeConfigurations (EBS volumes).");
  if (input.group !== undefined && (input.group.length < 1 || input.group.length > 255))
    throw invalid("group must be 1-255 characters.");
  if (input.startedBy !== undefined && input.startedBy.length > 128)
    throw invalid("startedBy must be at most 128 characters.");
  if (
    input.propagateTags !== undefined &&
    !["TASK_DEFINITION", "SERVICE", "NONE"].includes(input.propagateTags)
  ) {
    throw invalid("propagateTags should be one of [TASK_DEFINITION,SERVICE,NONE]");
  }
  if (input.propagateTags === "SERVICE")
    throw invalid("propagateTags SERVICE is only valid for tasks a service starts.");
  return validateTags(input.tags);
}

/** Where one new task goes: a container instance (EC2) or a Fargate host. */
type Target =
  | { kind: "instance"; instanceId: string }
  | { kind: "fargate"; hostId: string; capacityProviderName: string; platformVersion: string };

async function launchTags(
  tx: WriteTx,
  ctx: RequestContext,
  cluster: ClusterRecord,
  td: StoredTaskDefinition,
  input: LaunchInput,
  userTags: Tag[],
): Promise<Tag[]> {
  const tdRec = await resolveTaskDefinition(tx, ctx, td.taskDefinitionArn);
  let tags = userTags;
  if (input.propagateTags === "TASK_DEFINITION") {
    const merged = new Map((tdRec?.value.tags ?? []).map((t) => [t.key!, t.value ?? ""]));
    for (const t of userTags) merged.set(t.key!, t.value ?? "");
    tags = [...merged].map(([key, value]) => ({ key, value }));
  }
  if (input.enableECSManagedTags) tags = [...tags, { key: "aws:ecs:clusterName", value: cluster.name }];
  return tags;
}

async function launch(
  tx: WriteTx,
  ctx: RequestContext,
  cluster: ClusterRecord,
  td: StoredTaskDefinition,
  input: LaunchInput,
  userTags: Tag[],
  targets: Target[],
  net: ResolvedAwsvpc | undefined,
): Promise<Task[]> {
  const tags = await launchTags(tx, ctx, cluster, td, input, userTags);
  const tasks: Task[] = [];
  const perZone = new Map<string, number>();
  for (const target of targets) {
    const id = hexId(16);
    const arn = taskArn(ctx, cluster.name, id);
    let az = `${ctx.region}a`;
    let instance: { id: string; arn: string } | undefined;
    if (target.kind === "instance") {
      const inst = await getInstance(tx, ctx.region, cluster.name, target.instanceId);
      instance = { id: target.instanceId, arn: inst!.value.arn };
      az = inst?.value.attributes.find((a) => a.name === "ecs.availability-zone")?.value ?? az;
    }
    let network: TaskNetworkRecord | undefined;
    if (net) {
      // EC2: a subnet in the instance's zone (placement made sure there is one); Fargate: spread by zone.
      const subnet = pickSubnet(net, perZone, target.kind === "instance" ? new Set([az]) : undefined)!;
      az = subnet.availabilityZone;
      perZone.set(az, (perZone.get(az) ?? 0) + 1);
      network = await createTaskNetwork(tx, ctx.region, ctx.accountId, {
        taskArn: arn,
        subnet,
        groupIds: net.groupIds,
        assignPublicIp: net.choice.assignPublicIp,
        now: ctx.now,
      });
    }
    const rec = newTask({
      id,
      scope: ctx,
      cluster: cluster.name,
      clusterArn: cluster.arn,
      taskDefinition: td,
      overrides: input.overrides,
      ...(instance ? { instance } : {}),
      availabilityZone: az,
      launchType: target.kind === "fargate" ? "FARGATE" : "EC2",
      group: input.group ?? `family:${td.family}`,
      ...(input.startedBy !== undefined ? { startedBy: input.startedBy } : {}),
      tags,
      now: ctx.now,
      containerIds: td.containerDefinitions.map(() => uuid()),
      ...(network ? { network } : {}),
      ...(target.kind === "fargate"
        ? {
            fargate: {
              hostId: target.hostId,
              capacityProviderName: target.capacityProviderName,
              platformVersion: target.platformVersion,
              ephemeralGiB: ephemeralGiB(td, input.overrides?.ephemeralStorage?.sizeInGiB),
            },
          }
        : {}),
    });
    await createTask(tx, ctx.region, rec);
    tasks.push(renderTask(rec, true));
  }
  return tasks;
}

/**
 * Fargate capacity for `count` tasks: a provider each (the strategy's base, then its weights), and the
 * Berth-managed host with the most memory free. Tasks that find no capacity become failures.
 */
async function fargateTargets(
  tx: ReadTx,
  ctx: RequestContext,
  td: StoredTaskDefinition,
  overrides: TaskOverride | undefined,
  launchChoice: Launch,
  platformVersion: string,
  count: number,
  agentTimeoutMs: number,
): Promise<{ targets: Target[]; failures: Failure[] }> {
  const hosts = await readFargateHosts(tx, ctx.region, ctx.now, agentTimeoutMs);
  const memory = taskNeeds(td, overrides).memory;
  const byProvider = new Map<string, number>();
  const targets: Target[] = [];
  const failures: Failure[] = [];
  for (let i = 0; i < count; i++) {
    const provider = nextProvider(launchChoice.strategy, byProvider);
    const host = pickFargateHost(hosts, memory);
    if (!host) {
      failures.push({
        reason: NO_FARGATE_CAPACITY,
        detail: `FARGATE capacity: no Berth-managed Fargate host in ${ctx.region} has ${memory} MiB free`,
      });
      continue;
    }
    host.usedMiB += memory;
    byProvider.set(provider, (byProvider.get(provider) ?? 0) + 1);
    targets.push({ kind: "fargate", hostId: host.id, capacityProviderName: provider, platformVersion });
  }
  return { targets, failures };
}

/** The launch a RunTask asks for, checked against the cluster and the task definition. */
function checkLaunch(
  input: RunTaskRequest,
  cluster: ClusterRecord,
  td: StoredTaskDefinition,
): { launch: Launch; platformVersion: string | undefined } {
  const launchChoice = chooseLaunch(
    input.launchType,
    input.capacityProviderStrategy,
    cluster.defaultCapacityProviderStrategy,
  );
  if (launchChoice.strategy) validateStrategy(launchChoice.strategy, cluster.capacityProviders);
  const platformVersion = resolvePlatformVersion(launchChoice.launchType, input.platformVersion);
  if (launchChoice.launchType === "FARGATE") {
    const why = unsupportedOnFargate(td);
    if (why) throw invalid(why);
    if ((input.placementConstraints ?? []).length > 0 || (input.placementStrategy ?? []).length > 0)
      throw invalid(
        "Task placement constraints and strategies are not supported with the FARGATE launch type.",
      );
  }
  return { launch: launchChoice, platformVersion };
}

/** A task by id or ARN within a cluster. */
function taskId(s: Scope, ref: string): { id: string; cluster?: string } | undefined {
  if (!ref.startsWith("arn:")) return /^[A-Za-z0-9-]{1,64}$/.test(ref) ? { id: ref } : undefined;
  const arn = parseArn(ref);
  if (arn?.service !== "ecs" || arn.region !== s.region || arn.accountId !== s.accountId) return undefined;
  const parts = arn.resource.split("/");
  if (parts[0] !== "task") return undefined;
  return parts.length === 3
    ? { cluster: parts[1]!, id: parts[2]! }
    : parts.length === 2
      ? { id: parts[1]! }
      : undefined;
}

export interface TaskHandlerOptions {
  /** How long after its last call an agent counts as disconnected. */
  agentTimeoutMs: number;
  /** Deregisters a stopping service task's load balancer targets (ECS service load balancing). */
  beforeStop?: StopHook;
}

export function taskHandlers(store: Store, opts: TaskHandlerOptions) {
  const runTask: Handler<RunTaskRequest, RunTaskResponse> = async (input, ctx) => {
    const count = input.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10) throw invalid("count must be between 1 and 10.");
    const tags = checkLaunchInput(input);
    if (input.clientToken !== undefined && (input.clientToken.length < 1 || input.clientToken.length > 64)) {
      throw invalid("clientToken must be 1-64 characters.");
    }
    return store.write(async (tx) => {
      if (input.clientToken) {
        const seen = await tx.get<{ taskArns: string[]; cluster: string }>(
          K.runTaskToken,
          `${ctx.region}/${input.clientToken}`,
        );
        if (seen) {
          const tasks: Task[] = [];
          for (const arn of seen.value.taskArns) {
            const t = await getTask(tx, ctx.region, seen.value.cluster, arn.slice(arn.lastIndexOf("/") + 1));
            if (t) tasks.push(renderTask(t.value, true));
          }
          return { tasks, failures: [] };
        }
      }
      const cluster = await activeCluster(tx, ctx, input.cluster);
      const td = await runnableDefinition(tx, ctx, input.taskDefinition!);
      const { launch: launchChoice, platformVersion } = checkLaunch(input, cluster, td);
      validateOverrides(td, input.overrides, launchChoice.launchType);
      await assumableRoles(tx, ctx, td, input.overrides);
      const choice = awsvpcChoice(td.networkMode, input.networkConfiguration, launchChoice.launchType);
      const net = choice ? await resolveAwsvpc(tx, ctx.region, choice) : undefined;
      let targets: Target[];
      let failures: Failure[];
      if (launchChoice.launchType === "FARGATE") {
        ({ targets, failures } = await fargateTargets(
          tx,
          ctx,
          td,
          input.overrides,
          launchChoice,
          platformVersion!,
          count,
          opts.agentTimeoutMs,
        ));
      } else {
        const snap = await readClusterSnapshot(tx, ctx.region, cluster.name, ctx.now);
        const nodes = placementNodes(snap, opts.agentTimeoutMs);
        if (nodes.length === 0) throw invalid("No Container Instances were found in your cluster.");
        const tdConstraints = parseConstraints(td.placementConstraints);
        const placement = place(nodes, {
          count,
          needs: taskNeeds(td, input.overrides),
          requiredAttributes: (td.requiresAttributes ?? []).map((a) => a.name!),
          group: input.group ?? `family:${td.family}`,
          constraints: [
            ...tdConstraints,
            ...parseConstraints(input.placementConstraints, tdConstraints.length),
            ...zoneConstraint(net),
          ],
          strategies: parseStrategies(input.placementStrategy) ?? DEFAULT_RUN_TASK_STRATEGY,
          random: Math.random,
        });
        targets = placement.placed.map((instanceId) => ({ kind: "instance", instanceId }));
        failures = placement.failures;
      }
      const tasks = await launch(tx, ctx, cluster, td, input, tags, targets, net);
      if (input.clientToken) {
        await tx.put(K.runTaskToken, `${ctx.region}/${input.clientToken}`, {
          taskArns: tasks.map((t) => t.taskArn!),
          cluster: cluster.name,
        });
      }
      return { tasks, failures };
    });
  };

  const startTask: Handler<StartTaskRequest, StartTaskResponse> = async (input, ctx) => {
    const refs = input.containerInstances ?? [];
    if (refs.length === 0 || refs.length > 10)
      throw invalid("containerInstances must contain between 1 and 10 items.");
    const tags = checkLaunchInput(input);
    return store.write(async (tx) => {
      const cluster = await activeCluster(tx, ctx, input.cluster);
      const td = await runnableDefinition(tx, ctx, input.taskDefinition!);
      validateOverrides(td, input.overrides);
      await assumableRoles(tx, ctx, td, input.overrides);
      const choice = awsvpcChoice(td.networkMode, input.networkConfiguration, "EC2");
      const net = choice ? await resolveAwsvpc(tx, ctx.region, choice) : undefined;
      const needs = taskNeeds(td, input.overrides);
      const failures: Failure[] = [];
      const chosen: string[] = [];
      const ids = new Set<string>();
      for (const ref of refs) {
        const p = parseInstanceRef(ctx, ref);
        const rec =
          p && (!p.cluster || p.cluster === cluster.name)
            ? await getInstance(tx, ctx.region, cluster.name, p.id)
            : undefined;
        if (!rec || rec.value.status === "INACTIVE") failures.push({ arn: ref, reason: "MISSING" });
        else ids.add(rec.value.id);
      }
      const snap = await readClusterSnapshot(tx, ctx.region, cluster.name, ctx.now);
      for (const node of placementNodes(snap, opts.agentTimeoutMs, ids)) {
        // StartTask places on the instances named, whatever the strategies; resources still count.
        const one = place([node], {
          count: 1,
          needs,
          requiredAttributes: (td.requiresAttributes ?? []).map((a) => a.name!),
          group: input.group ?? `family:${td.family}`,
          constraints: [...parseConstraints(td.placementConstraints), ...zoneConstraint(net)],
          strategies: [],
          random: Math.random,
        });
        if (one.placed.length === 1) chosen.push(node.id);
        else failures.push(...one.failures);
      }
      const targets: Target[] = chosen.map((instanceId) => ({ kind: "instance", instanceId }));
      const tasks = await launch(tx, ctx, cluster, td, input, tags, targets, net);
      return { tasks, failures };
    });
  };

  const stopTask: Handler<StopTaskRequest, StopTaskResponse> = (input, ctx) => {
    if (input.reason !== undefined && input.reason.length > 255)
      throw invalid("reason must be at most 255 characters.");
    return store.write(async (tx) => {
      const cluster = await activeCluster(tx, ctx, input.cluster);
      const ref = taskId(ctx, input.task!);
      const rec =
        ref && (!ref.cluster || ref.cluster === cluster.name)
          ? await getTask(tx, ctx.region, cluster.name, ref.id)
          : undefined;
      if (!rec) throw invalid("The referenced task was not found.");
      const next = requestStop(rec.value, "UserInitiated", input.reason ?? "Task stopped by user", ctx.now);
      if (!next) return { task: renderTask(rec.value, false) };
      // A service task's load balancer targets drain before it stops.
      const drain = await opts.beforeStop?.(tx, ctx.region, rec.value, ctx.now);
      if (drain?.stopNotBefore !== undefined && drain.stopNotBefore > ctx.now)
        next.stopNotBefore = drain.stopNotBefore;
      await putTask(tx, ctx.region, next, rec.version);
      const group = rec.value.task.group;
      if (drain && drain.deregistered.length > 0 && group?.startsWith("service:")) {
        const svc = await getService(tx, ctx.region, cluster.name, group.slice("service:".length));
        if (svc) {
          const events = drainEvents(svc.value.name, [drain]);
          await putService(tx, ctx.region, withEvents(svc.value, events, ctx.now), svc.version);
        }
      }
      return { task: renderTask(next, false) };
    });
  };

  const describeTasks: Handler<DescribeTasksRequest, DescribeTasksResponse> = (input, ctx) => {
    const refs = input.tasks ?? [];
    if (refs.length === 0) throw invalid("Tasks cannot be empty.");
    if (refs.length > 100) throw invalid("taskIds can have at most 100 items.");
    const withTags = (input.include ?? []).includes("TAGS");
    return store.read(async (tx) => {
      const cluster = await activeCluster(tx, ctx, input.cluster);
      const tasks: Task[] = [];
      const failures: Failure[] = [];
      for (const r of refs) {
        const id = taskId(ctx, r);
        const rec =
          id && (!id.cluster || id.cluster === cluster.name)
            ? await getTask(tx, ctx.region, cluster.name, id.id)
            : undefined;
        if (rec) tasks.push(renderTask(rec.value, withTags));
        else failures.push({ arn: r, reason: "MISSING" });
      }
      return { tasks, failures };
    });
  };

  const listTasksH: Handler<ListTasksRequest, ListTasksResponse> = (input, ctx) => {
    const page = pageOf("ListTasks", input);
    const desired = input.desiredStatus ?? "RUNNING";
    if (!["RUNNING", "PENDING", "STOPPED"].includes(desired))
      throw invalid("desiredStatus should be one of [RUNNING,PENDING,STOPPED]");
    if (input.family !== undefined && !/^[a-zA-Z0-9\-_]+$/.test(input.family))
      throw invalid("family must match ^[a-zA-Z0-9\\-_]+$");
    if (input.daemonName !== undefined) throw invalid("Berth does not support ECS daemons.");
    return store.read(async (tx) => {
      const cluster = await activeCluster(tx, ctx, input.cluster);
      let recs: StoredRecord<TaskRecord>[];
      if (input.containerInstance !== undefined) {
        const p = parseInstanceRef(ctx, input.containerInstance);
        if (!p) throw invalid("The referenced container instance was not found.");
        recs = await tasksOnInstance(tx, ctx.region, cluster.name, p.id);
      } else {
        recs = await listTasks(tx, ctx.region, cluster.name);
      }
      const matches = recs.filter(({ value: { task } }) => {
        // PENDING lists tasks ECS is still starting: desired RUNNING but not yet running.
        if (
          desired === "PENDING"
            ? task.desiredStatus !== "RUNNING" || task.lastStatus === "RUNNING"
            : task.desiredStatus !== desired
        )
          return false;
        if (
          input.family !== undefined &&
          !task.taskDefinitionArn.includes(`:task-definition/${input.family}:`)
        )
          return false;
        if (input.startedBy !== undefined && task.startedBy !== input.startedBy) return false;
        if (input.serviceName !== undefined && serviceNameOf(task) !== input.serviceName) return false;
        if (input.launchType !== undefined && task.launchType !== input.launchType) return false;
        return page.after === undefined || taskKeyOf(task) > page.after;
      });
      matches.sort((a, b) => (taskKeyOf(a.value.task) < taskKeyOf(b.value.task) ? -1 : 1));
      const { items, nextToken } = cut("ListTasks", matches.slice(0, page.limit + 1), page.limit, (r) =>
        taskKeyOf(r.value.task),
      );
      return { taskArns: items.map((r) => r.value.task.taskArn), ...(nextToken ? { nextToken } : {}) };
    });
  };

  return {
    RunTask: runTask,
    StartTask: startTask,
    StopTask: stopTask,
    DescribeTasks: describeTasks,
    ListTasks: listTasksH,
  };
}

const taskKeyOf = (t: { taskArn: string }) => t.taskArn;

/** awsvpc tasks on EC2 go to instances in the zones of their subnets. */
function zoneConstraint(net: ResolvedAwsvpc | undefined) {
  if (!net) return [];
  const zones = [...new Set(net.subnets.map((s) => s.availabilityZone))];
  return parseConstraints([
    { type: "memberOf", expression: `attribute:ecs.availability-zone in [${zones.join(", ")}]` },
  ]);
}
