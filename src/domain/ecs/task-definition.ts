/**
 * RegisterTaskDefinition's rules, as pure functions: validate the request the way ECS does (first
 * violation wins, with ECS's wording), then build the task definition ECS would return — defaults
 * filled in, cpu/memory strings normalised, requiresAttributes and compatibilities derived.
 */
import {
  Compatibility,
  ContainerCondition,
  type ContainerDefinition,
  IpcMode,
  LogDriver,
  NetworkMode,
  PidMode,
  type PortMapping,
  type RegisterTaskDefinitionRequest,
  type TaskDefinition,
  TransportProtocol,
  UlimitName,
} from "@aws-sdk/client-ecs";
import { AwsError, Errors } from "../../errors/catalog.js";
import { NAME } from "./arns.js";
import { fargateRefusal } from "./fargate-compat.js";
import { requiredAttributes } from "./requires-attributes.js";
import { EC2_TASK_CPU, isFargateSize, parseTaskCpu, parseTaskMemory } from "./task-size.js";

/** A task definition as stored: the API shape with timestamps in epoch milliseconds. */
export type StoredTaskDefinition = Omit<
  TaskDefinition,
  "registeredAt" | "deregisteredAt" | "deleteRequestedAt"
> & {
  family: string;
  revision: number;
  taskDefinitionArn: string;
  status: "ACTIVE" | "INACTIVE" | "DELETE_IN_PROGRESS";
  containerDefinitions: ContainerDefinition[];
  registeredAt: number;
  deregisteredAt?: number;
  deleteRequestedAt?: number;
};

export const MAX_CONTAINERS = 10;
/** ECS refuses task definitions larger than 64 KiB. */
export const MAX_TASK_DEFINITION_BYTES = 64 * 1024;

const client = (message: string) => new AwsError(Errors.EcsClient, message);
const invalid = (message: string) => new AwsError(Errors.InvalidParameter, message);

function oneOf<T extends string>(
  field: string,
  value: string | undefined,
  allowed: Record<string, T>,
): T | undefined {
  if (value === undefined) return undefined;
  const values = Object.values(allowed) as string[];
  if (!values.includes(value)) throw invalid(`${field} should be one of [${values.join(",")}]`);
  return value as T;
}

const IMAGE = /^[A-Za-z0-9._:/@#-]{1,1024}$/;
const ULIMITS = Object.values(UlimitName) as string[];

/** What register needs besides the request. */
export interface RegistrationFacts {
  arn: string;
  revision: number;
  registeredAt: number;
  registeredBy: string;
}

/** Validate a RegisterTaskDefinition request and build the stored task definition. Throws ECS's errors. */
export function buildTaskDefinition(
  req: RegisterTaskDefinitionRequest,
  facts: RegistrationFacts,
): StoredTaskDefinition {
  const family = req.family ?? "";
  if (family.length === 0) throw client("Family can not be blank.");
  if (!NAME.test(family)) throw client("Family contains invalid characters.");
  if (Buffer.byteLength(JSON.stringify(req)) > MAX_TASK_DEFINITION_BYTES) {
    throw client("Task definition size exceeds the maximum of 64 KiB.");
  }

  const networkMode = oneOf("networkMode", req.networkMode, NetworkMode);
  const pidMode = oneOf("pidMode", req.pidMode, PidMode);
  const ipcMode = oneOf("ipcMode", req.ipcMode, IpcMode);
  const requires = (req.requiresCompatibilities ?? []).map(
    (c) => oneOf("requiresCompatibilities", c, Compatibility)!,
  );
  const fargate = requires.includes("FARGATE");
  const mode = networkMode ?? "bridge";

  // Task size.
  let taskCpu: number | undefined;
  let taskMemory: number | undefined;
  if (req.cpu !== undefined) {
    taskCpu = parseTaskCpu(req.cpu);
    if (taskCpu === undefined) throw invalid("Invalid 'cpu' setting for task.");
    if (!fargate && (taskCpu < EC2_TASK_CPU.min || taskCpu > EC2_TASK_CPU.max))
      throw client("Invalid 'cpu' setting for task.");
  }
  if (req.memory !== undefined) {
    taskMemory = parseTaskMemory(req.memory);
    if (taskMemory === undefined) throw invalid("Invalid 'memory' setting for task.");
    if (taskMemory < 6) throw client("Invalid 'memory' setting for task.");
  }

  // Containers.
  const defs = req.containerDefinitions ?? [];
  if (defs.length === 0) throw client("Container list cannot be empty.");
  if (defs.length > MAX_CONTAINERS) throw client("Too many containers.");
  const names = new Set<string>();
  for (const c of defs) {
    if (!c.name) throw client("Container.name should not be null or empty.");
    if (!NAME.test(c.name)) throw client("Container.name contains invalid characters.");
    if (names.has(c.name)) throw client("Container names must be unique within a Task Definition.");
    names.add(c.name);
    if (!c.image) throw client("Container.image should not be null or empty.");
    if (!IMAGE.test(c.image)) throw client(`Invalid image name for container '${c.name}': ${c.image}`);
  }
  if (!defs.some((c) => c.essential !== false))
    throw client("Task definition doesn't have any essential container.");

  if (fargate) validateFargate(req, mode, taskCpu, taskMemory);

  const volumeNames = new Set<string>();
  for (const v of req.volumes ?? []) {
    if (!v.name || !NAME.test(v.name)) throw client("Volume.name contains invalid characters.");
    if (volumeNames.has(v.name)) throw client("Volume names must be unique within a Task Definition.");
    volumeNames.add(v.name);
    const kinds = [
      v.host,
      v.dockerVolumeConfiguration,
      v.efsVolumeConfiguration,
      v.fsxWindowsFileServerVolumeConfiguration,
    ].filter((x) => x !== undefined);
    if (kinds.length > 1)
      throw client(
        `Volume '${v.name}' may set only one of host, dockerVolumeConfiguration, efsVolumeConfiguration and fsxWindowsFileServerVolumeConfiguration.`,
      );
    if (v.dockerVolumeConfiguration?.scope !== undefined) {
      oneOf("dockerVolumeConfiguration.scope", v.dockerVolumeConfiguration.scope, {
        task: "task",
        shared: "shared",
      });
    }
  }

  const hostPorts = new Map<string, string>();
  let cpuSum = 0;
  let reservationSum = 0;
  const containers = defs.map((c) => {
    const name = c.name!;
    validateMemory(c, taskMemory);
    cpuSum += c.cpu ?? 0;
    reservationSum += c.memoryReservation ?? c.memory ?? 0;
    if (c.links && c.links.length > 0 && mode !== "bridge")
      throw client(`Links are not supported when networkMode=${mode}.`);
    const portMappings = (c.portMappings ?? []).map((p) => normalizePort(name, p, mode, hostPorts));
    for (const m of c.mountPoints ?? []) {
      if (!m.sourceVolume || !volumeNames.has(m.sourceVolume)) {
        throw client(
          `Invalid 'mountPoints' setting for container '${name}'. Unknown volume '${m.sourceVolume ?? ""}'.`,
        );
      }
      if (!m.containerPath)
        throw client(
          `Invalid 'mountPoints' setting for container '${name}'. containerPath should not be null or empty.`,
        );
    }
    for (const v of c.volumesFrom ?? []) {
      if (!v.sourceContainer || !names.has(v.sourceContainer) || v.sourceContainer === name) {
        throw client(
          `Invalid 'volumesFrom' setting for container '${name}'. Unknown container '${v.sourceContainer ?? ""}'.`,
        );
      }
    }
    for (const u of c.ulimits ?? []) {
      if (!ULIMITS.includes(u.name ?? "")) throw client(`Unrecognized ulimit name ${u.name ?? ""}`);
    }
    if (c.logConfiguration) oneOf("logConfiguration.logDriver", c.logConfiguration.logDriver, LogDriver);
    if (c.healthCheck) validateHealthCheck(name, c.healthCheck);
    for (const s of c.secrets ?? []) {
      if (!s.name || !s.valueFrom)
        throw client(`Invalid 'secrets' setting for container '${name}'. name and valueFrom are required.`);
    }
    for (const e of c.environment ?? []) {
      if (!e.name)
        throw client(
          `Invalid 'environment' setting for container '${name}'. Environment variable names should not be null or empty.`,
        );
    }
    return normalizeContainer(c, portMappings);
  });

  for (const c of containers) validateDependsOn(c, containers);

  if (taskCpu !== undefined && cpuSum > taskCpu) {
    throw client("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.");
  }
  if (taskMemory !== undefined && reservationSum > taskMemory) {
    throw client(
      "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.",
    );
  }
  if ((req.placementConstraints ?? []).length > 10) throw client("Too many placement constraints.");
  for (const pc of req.placementConstraints ?? []) {
    if (pc.type !== "memberOf") throw invalid("placementConstraints.type should be one of [memberOf]");
  }
  if (req.ephemeralStorage !== undefined) {
    const size = req.ephemeralStorage.sizeInGiB ?? 0;
    if (!Number.isInteger(size) || size < 21 || size > 200) {
      throw client("The ephemeral storage size must be between 21 and 200 GiB.");
    }
  }

  const taskRoleArn = req.taskRoleArn || undefined;
  const executionRoleArn = req.executionRoleArn || undefined;
  const td: StoredTaskDefinition = {
    taskDefinitionArn: facts.arn,
    containerDefinitions: containers,
    family,
    ...(taskRoleArn ? { taskRoleArn } : {}),
    ...(executionRoleArn ? { executionRoleArn } : {}),
    ...(networkMode ? { networkMode } : {}),
    revision: facts.revision,
    volumes: (req.volumes ?? []).map((v) =>
      v.efsVolumeConfiguration && v.efsVolumeConfiguration.rootDirectory === undefined
        ? { ...v, efsVolumeConfiguration: { ...v.efsVolumeConfiguration, rootDirectory: "/" } }
        : v,
    ),
    status: "ACTIVE",
    placementConstraints: req.placementConstraints ?? [],
    // EC2 always; EXTERNAL and FARGATE when requested (and validated), in the model's enum order.
    compatibilities: [
      "EC2",
      ...(requires.includes("EXTERNAL") ? (["EXTERNAL"] as const) : []),
      ...(fargate ? (["FARGATE"] as const) : []),
    ],
    ...(req.runtimePlatform ? { runtimePlatform: req.runtimePlatform } : {}),
    ...(req.requiresCompatibilities ? { requiresCompatibilities: requires } : {}),
    ...(taskCpu !== undefined ? { cpu: String(taskCpu) } : {}),
    ...(taskMemory !== undefined ? { memory: String(taskMemory) } : {}),
    ...(req.inferenceAccelerators ? { inferenceAccelerators: req.inferenceAccelerators } : {}),
    ...(pidMode ? { pidMode } : {}),
    ...(ipcMode ? { ipcMode } : {}),
    ...(req.proxyConfiguration ? { proxyConfiguration: req.proxyConfiguration } : {}),
    registeredAt: facts.registeredAt,
    registeredBy: facts.registeredBy,
    ...(req.ephemeralStorage ? { ephemeralStorage: req.ephemeralStorage } : {}),
    enableFaultInjection: req.enableFaultInjection ?? false,
  };
  const attrs = requiredAttributes(td);
  if (attrs.length > 0) td.requiresAttributes = attrs.map((name) => ({ name }));
  return td;
}

/** Fargate's rules: awsvpc, a task size Fargate offers, none of the host-level features it refuses. */
function validateFargate(
  req: RegisterTaskDefinitionRequest,
  mode: string,
  cpu: number | undefined,
  memory: number | undefined,
): void {
  if (mode !== "awsvpc") throw client("Fargate only supports network mode \u2018awsvpc\u2019.");
  if (cpu === undefined) throw client("Fargate requires that 'cpu' be defined at the task level.");
  if (memory === undefined) throw client("Fargate requires that 'memory' be defined at the task level.");
  if (!isFargateSize(cpu, memory)) {
    throw client(
      `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. See the Amazon ECS documentation for the valid values.`,
    );
  }
  const why = fargateRefusal(req);
  if (why) throw client(why);
}

function validateMemory(c: ContainerDefinition, taskMemory: number | undefined): void {
  const name = c.name!;
  if (taskMemory === undefined && c.memory === undefined && c.memoryReservation === undefined) {
    throw client(
      `Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`,
    );
  }
  if (c.memory !== undefined && (!Number.isInteger(c.memory) || c.memory < 6)) {
    throw client(`Invalid 'memory' setting for container '${name}'. The minimum is 6 MiB.`);
  }
  if (
    c.memoryReservation !== undefined &&
    (!Number.isInteger(c.memoryReservation) || c.memoryReservation < 6)
  ) {
    throw client(`Invalid 'memoryReservation' setting for container '${name}'. The minimum is 6 MiB.`);
  }
  if (c.memory !== undefined && c.memoryReservation !== undefined && c.memory < c.memoryReservation) {
    throw client(
      `Invalid setting for container '${name}'. 'memory' must be greater than or equal to 'memoryReservation'.`,
    );
  }
  if (taskMemory !== undefined && c.memory !== undefined && c.memory > taskMemory) {
    throw client(`The 'memory' setting for container '${name}' is greater than for the task.`);
  }
  if (c.cpu !== undefined && (!Number.isInteger(c.cpu) || c.cpu < 0)) {
    throw client(`Invalid 'cpu' setting for container '${name}'.`);
  }
}

const PORT_RANGE = /^(\d{1,5})-(\d{1,5})$/;

function normalizePort(
  container: string,
  p: PortMapping,
  mode: string,
  seen: Map<string, string>,
): PortMapping {
  if (mode === "none")
    throw client(`Port mappings are not supported when networkMode=none (container '${container}').`);
  const protocol = oneOf("portMappings.protocol", p.protocol ?? "tcp", TransportProtocol)!;
  if (p.appProtocol !== undefined)
    oneOf("portMappings.appProtocol", p.appProtocol, { http: "http", http2: "http2", grpc: "grpc" });
  if (p.containerPortRange !== undefined) {
    if (mode !== "bridge" && mode !== "awsvpc") {
      throw client(
        `containerPortRange is only supported when networkMode=bridge or networkMode=awsvpc (container '${container}').`,
      );
    }
    const m = PORT_RANGE.exec(p.containerPortRange);
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2]);
    if (!m || lo < 1 || hi > 65535 || lo >= hi) {
      throw client(`Invalid 'containerPortRange' setting for container '${container}'.`);
    }
    if (p.containerPort !== undefined || p.hostPort !== undefined) {
      throw client(
        `When containerPortRange is set, containerPort and hostPort must not be set (container '${container}').`,
      );
    }
    return {
      containerPortRange: p.containerPortRange,
      protocol,
      ...(p.name ? { name: p.name } : {}),
      ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
    };
  }
  const cport = p.containerPort;
  if (cport === undefined || !Number.isInteger(cport) || cport < 1 || cport > 65535) {
    throw client(`Invalid 'containerPort' setting for container '${container}'.`);
  }
  let hostPort = p.hostPort;
  if (mode === "awsvpc" || mode === "host") {
    if (hostPort !== undefined && hostPort !== 0 && hostPort !== cport) {
      throw client(
        `When networkMode=${mode}, the host ports and container ports in port mappings must match.`,
      );
    }
    hostPort = cport;
  } else {
    hostPort ??= 0;
    if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) {
      throw client(`Invalid 'hostPort' setting for container '${container}'.`);
    }
  }
  if (hostPort !== 0) {
    const key = `${protocol}/${hostPort}`;
    if (seen.has(key))
      throw client(`${protocol.toUpperCase()} host port '${hostPort}' is mapped multiple times in task.`);
    seen.set(key, container);
  }
  return {
    containerPort: cport,
    hostPort,
    protocol,
    ...(p.name ? { name: p.name } : {}),
    ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
  };
}

function validateHealthCheck(container: string, h: NonNullable<ContainerDefinition["healthCheck"]>): void {
  if (!h.command || h.command.length === 0) {
    throw client(
      `Invalid 'healthCheck' setting for container '${container}'. command should not be null or empty.`,
    );
  }
  const inRange = (v: number | undefined, lo: number, hi: number) =>
    v === undefined || (Number.isInteger(v) && v >= lo && v <= hi);
  if (!inRange(h.interval, 5, 300))
    throw client(
      `Invalid 'healthCheck.interval' for container '${container}'. It must be between 5 and 300 seconds.`,
    );
  if (!inRange(h.timeout, 2, 60))
    throw client(
      `Invalid 'healthCheck.timeout' for container '${container}'. It must be between 2 and 60 seconds.`,
    );
  if (!inRange(h.retries, 1, 10))
    throw client(`Invalid 'healthCheck.retries' for container '${container}'. It must be between 1 and 10.`);
  if (!inRange(h.startPeriod, 0, 300))
    throw client(
      `Invalid 'healthCheck.startPeriod' for container '${container}'. It must be between 0 and 300 seconds.`,
    );
}

function validateDependsOn(c: ContainerDefinition, all: readonly ContainerDefinition[]): void {
  for (const d of c.dependsOn ?? []) {
    const target = all.find((x) => x.name === d.containerName);
    if (!target || target.name === c.name) {
      throw client(
        `Invalid 'dependsOn' setting for container '${c.name}'. Unknown container '${d.containerName ?? ""}'.`,
      );
    }
    const condition = oneOf("dependsOn.condition", d.condition, ContainerCondition);
    if ((condition === "SUCCESS" || condition === "COMPLETE") && target.essential !== false) {
      throw client(
        "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container",
      );
    }
    if (condition === "HEALTHY" && !target.healthCheck) {
      throw client(
        `Container '${c.name}' depends on '${target.name}' being HEALTHY, but '${target.name}' has no healthCheck.`,
      );
    }
  }
  // Cycles would deadlock the task at start.
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (visiting.has(name))
      throw client(
        `Invalid 'dependsOn' setting: containers depend on each other in a cycle involving '${name}'.`,
      );
    visiting.add(name);
    for (const d of all.find((x) => x.name === name)?.dependsOn ?? []) visit(d.containerName!);
    visiting.delete(name);
  };
  visit(c.name!);
}

/** Fill in the defaults ECS adds to a container definition. */
function normalizeContainer(c: ContainerDefinition, portMappings: PortMapping[]): ContainerDefinition {
  const out: ContainerDefinition = {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings,
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
  };
  if (c.healthCheck) {
    out.healthCheck = {
      ...c.healthCheck,
      interval: c.healthCheck.interval ?? 30,
      timeout: c.healthCheck.timeout ?? 5,
      retries: c.healthCheck.retries ?? 3,
    };
  }
  return out;
}
