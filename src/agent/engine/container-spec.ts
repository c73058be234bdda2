/**
 * How an ECS container definition becomes a container on the engine: names, labels, environment,
 * ports, limits, mounts and the rest. Pure: everything it needs is passed in.
 */
import type { ContainerDefinition, TaskOverride, Volume } from "@aws-sdk/client-ecs";
import type { DesiredTask } from "../../agentapi/protocol.js";
import { withContainerOverride } from "../../domain/ecs/resources.js";
import type { ContainerSpec, Mount } from "../runtime/runtime.js";
import { publishedPorts } from "./ports.js";

export const LABEL = {
  instance: "berth.instance",
  cluster: "com.amazonaws.ecs.cluster",
  taskArn: "com.amazonaws.ecs.task-arn",
  container: "com.amazonaws.ecs.container-name",
  family: "com.amazonaws.ecs.task-definition-family",
  revision: "com.amazonaws.ecs.task-definition-version",
  /** The container's metadata endpoint token, so a restarted agent can serve it again. */
  metadataToken: "berth.metadata-token",
  /** The task's credentials id (task role), likewise. */
  credentialsId: "berth.credentials-id",
  /** Marks volumes the agent created for one task. */
  taskVolume: "berth.task-volume",
} as const;

export const taskIdOf = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf("/") + 1);

/** Docker container name: ecs-<family>-<revision>-<container>-<task id>. */
export const dockerName = (task: DesiredTask, container: string) =>
  `ecs-${task.taskDefinition.family}-${task.taskDefinition.revision}-${container}-${taskIdOf(task.taskArn)}`;

/** Docker volume name of a task-scoped volume. */
export const taskVolumeName = (task: DesiredTask, volume: string) =>
  `ecs-${task.taskDefinition.family}-${task.taskDefinition.revision}-${volume}-${taskIdOf(task.taskArn)}`;

export function effectiveContainer(
  def: ContainerDefinition,
  overrides: TaskOverride | undefined,
): ContainerDefinition {
  const c = withContainerOverride(def, overrides);
  const o = overrides?.containerOverrides?.find((x) => x.name === def.name);
  if (!o) return c;
  const env = new Map((c.environment ?? []).map((e) => [e.name!, e.value ?? ""]));
  for (const e of o.environment ?? []) env.set(e.name!, e.value ?? "");
  return {
    ...c,
    ...(o.command ? { command: o.command } : {}),
    environment: [...env].map(([name, value]) => ({ name, value })),
  };
}

export interface SpecContext {
  task: DesiredTask;
  instanceId: string;
  clusterName: string;
  region: string;
  /** The agent's Docker network for bridge-mode tasks. */
  bridgeNetwork: string;
  /** Host address bridge-mode ports are published on. */
  bindIp: string;
  /** Metadata endpoint base URLs for this container (…/v3/<token>, …/v4/<token>). */
  metadataV3: string;
  metadataV4: string;
  metadataToken: string;
  /** More environment: resolved secrets, task role credentials variables. */
  extraEnv?: Record<string, string>;
  /** More labels the agent needs back after a restart (credentials id). */
  extraLabels?: Record<string, string>;
  /** Docker names of the task's other containers, by ECS container name. */
  names: ReadonlyMap<string, string>;
  /** The cgroup parent that carries the task-level limits, if any. */
  cgroupParent?: string;
  /** First host port of each containerPortRange mapping, by mapping index (bridge mode). */
  hostPortRanges?: ReadonlyMap<number, number>;
  /** awsvpc: the pause container whose network namespace the task's containers share. */
  networkContainer?: string;
}

const MiB = 1024 * 1024;

function volumeMount(v: Volume | undefined, ctx: SpecContext, target: string, readOnly: boolean): Mount {
  if (!v) throw new Error(`unknown volume for ${target}`);
  if (v.host?.sourcePath) return { type: "bind", source: v.host.sourcePath, target, readOnly };
  const dvc = v.dockerVolumeConfiguration;
  if (dvc?.scope === "shared") return { type: "volume", source: v.name!, target, readOnly };
  return { type: "volume", source: taskVolumeName(ctx.task, v.name!), target, readOnly };
}

export function containerSpec(def0: ContainerDefinition, ctx: SpecContext): ContainerSpec {
  const { task } = ctx;
  const td = task.taskDefinition;
  const def = effectiveContainer(def0, task.overrides);
  const mode = def.disableNetworking ? "none" : (td.networkMode ?? "bridge");
  const first = td.containerDefinitions[0]!.name!;
  // pidMode/ipcMode "task": the task's containers join the first container's namespace (ECS uses
  // a pause container); the engine lets others join an IPC namespace only when it is shareable.
  const isFirst = def.name === first;
  const taskShared = `container:${ctx.names.get(first)}`;
  const pid = td.pidMode === "host" ? "host" : td.pidMode === "task" && !isFirst ? taskShared : undefined;
  const ipc =
    td.ipcMode === "host" || td.ipcMode === "none"
      ? td.ipcMode
      : td.ipcMode === "task"
        ? isFirst
          ? "shareable"
          : taskShared
        : undefined;
  const env: Record<string, string> = {};
  for (const e of def.environment ?? []) env[e.name!] = e.value ?? "";
  // Secrets (resolved at start) and the agent's own variables (credentials, endpoint) come after.
  Object.assign(env, ctx.extraEnv ?? {});
  Object.assign(env, {
    ECS_CONTAINER_METADATA_URI: ctx.metadataV3,
    ECS_CONTAINER_METADATA_URI_V4: ctx.metadataV4,
    AWS_EXECUTION_ENV: task.launchType === "FARGATE" ? "AWS_ECS_FARGATE" : "AWS_ECS_EC2",
    AWS_REGION: env.AWS_REGION ?? ctx.region,
    AWS_DEFAULT_REGION: env.AWS_DEFAULT_REGION ?? ctx.region,
  });
  const mounts: Mount[] = [];
  for (const m of def.mountPoints ?? []) {
    mounts.push(
      volumeMount(
        td.volumes?.find((v) => v.name === m.sourceVolume),
        ctx,
        m.containerPath!,
        m.readOnly ?? false,
      ),
    );
  }
  for (const t of def.linuxParameters?.tmpfs ?? []) {
    mounts.push({
      type: "tmpfs",
      target: t.containerPath!,
      tmpfsSizeBytes: (t.size ?? 0) * MiB,
      ...(t.mountOptions ? { tmpfsOptions: t.mountOptions } : {}),
    });
  }
  const lp = def.linuxParameters;
  const hc = def.healthCheck;
  const labels: Record<string, string> = {
    ...(def.dockerLabels ?? {}),
    [LABEL.instance]: ctx.instanceId,
    [LABEL.cluster]: ctx.clusterName,
    [LABEL.taskArn]: task.taskArn,
    [LABEL.container]: def.name!,
    [LABEL.family]: td.family,
    [LABEL.revision]: String(td.revision),
    [LABEL.metadataToken]: ctx.metadataToken,
    ...(ctx.extraLabels ?? {}),
  };
  return {
    name: ctx.names.get(def.name!)!,
    image: def.image!,
    labels,
    env,
    ...(def.command ? { command: def.command } : {}),
    ...(def.entryPoint ? { entryPoint: def.entryPoint } : {}),
    ...(def.workingDirectory ? { workingDir: def.workingDirectory } : {}),
    ...(def.user ? { user: def.user } : {}),
    ...(def.hostname ? { hostname: def.hostname } : {}),
    tty: def.pseudoTerminal ?? false,
    openStdin: def.interactive ?? false,
    networkMode:
      mode === "bridge"
        ? ctx.bridgeNetwork
        : mode === "awsvpc"
          ? `container:${ctx.networkContainer ?? "none"}`
          : mode,
    ...(def.links && mode === "bridge"
      ? {
          links: def.links.map((l) => {
            const [target, alias] = l.split(":");
            return `${ctx.names.get(target!) ?? target}:${alias ?? target}`;
          }),
        }
      : {}),
    ports: publishedPorts(def, mode, ctx.bindIp, ctx.hostPortRanges),
    // CPU units are relative shares; Docker's minimum is 2.
    cpuShares: Math.max(def.cpu ?? 0, 2),
    ...(def.memory !== undefined ? { memoryBytes: def.memory * MiB } : {}),
    ...(def.memoryReservation !== undefined ? { memoryReservationBytes: def.memoryReservation * MiB } : {}),
    ...(ctx.cgroupParent ? { cgroupParent: ctx.cgroupParent } : {}),
    ...(def.ulimits
      ? { ulimits: def.ulimits.map((u) => ({ name: u.name!, soft: u.softLimit!, hard: u.hardLimit! })) }
      : {}),
    ...(mounts.length ? { mounts } : {}),
    ...(def.volumesFrom?.length
      ? {
          volumesFrom: def.volumesFrom.map(
            (v) => `${ctx.names.get(v.sourceContainer!)}${v.readOnly ? ":ro" : ""}`,
          ),
        }
      : {}),
    ...(lp?.devices
      ? {
          devices: lp.devices.map((d) => ({
            hostPath: d.hostPath!,
            ...(d.containerPath ? { containerPath: d.containerPath } : {}),
            permissions: (d.permissions ?? ["read", "write", "mknod"]).map((p) => p[0]).join(""),
          })),
        }
      : {}),
    ...(lp?.capabilities?.add ? { capAdd: lp.capabilities.add } : {}),
    ...(lp?.capabilities?.drop ? { capDrop: lp.capabilities.drop } : {}),
    ...(lp?.initProcessEnabled !== undefined ? { init: lp.initProcessEnabled } : {}),
    ...(lp?.sharedMemorySize !== undefined ? { shmSizeBytes: lp.sharedMemorySize * MiB } : {}),
    privileged: def.privileged ?? false,
    readonlyRootfs: def.readonlyRootFilesystem ?? false,
    ...(def.dnsServers ? { dns: def.dnsServers } : {}),
    ...(def.dnsSearchDomains ? { dnsSearch: def.dnsSearchDomains } : {}),
    ...(def.extraHosts ? { extraHosts: def.extraHosts.map((h) => `${h.hostname}:${h.ipAddress}`) } : {}),
    ...(def.systemControls?.length
      ? { sysctls: Object.fromEntries(def.systemControls.map((s) => [s.namespace!, s.value ?? ""])) }
      : {}),
    ...(hc
      ? {
          healthCheck: {
            test: hc.command!,
            intervalSec: hc.interval ?? 30,
            timeoutSec: hc.timeout ?? 5,
            retries: hc.retries ?? 3,
            startPeriodSec: hc.startPeriod ?? 0,
          },
        }
      : {}),
    stopTimeoutSec: def.stopTimeout ?? 30,
    ...(pid ? { pidMode: pid } : {}),
    ...(ipc ? { ipcMode: ipc } : {}),
    ...(def.dockerSecurityOptions ? { securityOpt: def.dockerSecurityOptions } : {}),
    // Output always goes to the engine's json-file driver (the agent ships awslogs from there);
    // a json-file log configuration brings its own options.
    ...(def.logConfiguration?.logDriver === "json-file" && def.logConfiguration.options
      ? { logOptions: def.logConfiguration.options }
      : {}),
  };
}
