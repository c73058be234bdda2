/**
 * What a task reserves on a container instance — CPU units, MiB of memory, static host ports — and
 * what an instance has left. ECS reserves the task-level size when set, otherwise the sum over
 * containers (memory: the soft reservation when set, else the hard limit).
 */
import type { ContainerDefinition, Resource, TaskOverride } from "@aws-sdk/client-ecs";
import type { StoredTaskDefinition } from "./task-definition.js";
import { parseTaskCpu, parseTaskMemory } from "./task-size.js";

export interface ResourceNeeds {
  cpu: number;
  memory: number;
  tcpPorts: number[];
  udpPorts: number[];
}

export interface InstanceResources {
  cpu: number;
  memory: number;
  /** Ports nothing else may use (ECS reserves 22, 2375, 2376, 51678, 51679 by default). */
  reservedTcp: number[];
  reservedUdp: number[];
}

export const DEFAULT_RESERVED_PORTS = [22, 2375, 2376, 51678, 51679];

/** A container definition with a ContainerOverride applied (cpu, memory, reservation). */
export function withContainerOverride(
  c: ContainerDefinition,
  overrides: TaskOverride | undefined,
): ContainerDefinition {
  const o = overrides?.containerOverrides?.find((x) => x.name === c.name);
  if (!o) return c;
  return {
    ...c,
    ...(o.cpu !== undefined ? { cpu: o.cpu } : {}),
    ...(o.memory !== undefined ? { memory: o.memory } : {}),
    ...(o.memoryReservation !== undefined ? { memoryReservation: o.memoryReservation } : {}),
  };
}

export function taskNeeds(td: StoredTaskDefinition, overrides?: TaskOverride): ResourceNeeds {
  const containers = td.containerDefinitions.map((c) => withContainerOverride(c, overrides));
  const taskCpu = overrides?.cpu ?? td.cpu;
  const taskMemory = overrides?.memory ?? td.memory;
  const cpu =
    taskCpu !== undefined ? (parseTaskCpu(taskCpu) ?? 0) : containers.reduce((s, c) => s + (c.cpu ?? 0), 0);
  const memory =
    taskMemory !== undefined
      ? (parseTaskMemory(taskMemory) ?? 0)
      : containers.reduce((s, c) => s + (c.memoryReservation ?? c.memory ?? 0), 0);
  const tcpPorts: number[] = [];
  const udpPorts: number[] = [];
  if (td.networkMode !== "awsvpc") {
    for (const c of containers) {
      for (const p of c.portMappings ?? []) {
        if (!p.hostPort) continue;
        (p.protocol === "udp" ? udpPorts : tcpPorts).push(p.hostPort);
      }
    }
  }
  return { cpu, memory, tcpPorts, udpPorts };
}

export interface Remaining {
  cpu: number;
  memory: number;
  tcp: Set<number>;
  udp: Set<number>;
}

/** What is left on an instance after the given tasks' needs. */
export function remaining(instance: InstanceResources, used: readonly ResourceNeeds[]): Remaining {
  const r: Remaining = {
    cpu: instance.cpu,
    memory: instance.memory,
    tcp: new Set(instance.reservedTcp),
    udp: new Set(instance.reservedUdp),
  };
  for (const n of used) take(r, n);
  return r;
}

export function take(r: Remaining, n: ResourceNeeds): void {
  r.cpu -= n.cpu;
  r.memory -= n.memory;
  for (const p of n.tcpPorts) r.tcp.add(p);
  for (const p of n.udpPorts) r.udp.add(p);
}

export type Shortfall = "RESOURCE:CPU" | "RESOURCE:MEMORY" | "RESOURCE:PORTS";

/** Why `n` does not fit in `r`, or undefined when it does. */
export function shortfall(r: Remaining, n: ResourceNeeds): Shortfall | undefined {
  if (n.cpu > r.cpu) return "RESOURCE:CPU";
  if (n.memory > r.memory) return "RESOURCE:MEMORY";
  if (n.tcpPorts.some((p) => r.tcp.has(p)) || n.udpPorts.some((p) => r.udp.has(p))) return "RESOURCE:PORTS";
  const dup = (ports: number[]) => new Set(ports).size !== ports.length;
  if (dup(n.tcpPorts) || dup(n.udpPorts)) return "RESOURCE:PORTS";
  return undefined;
}

/** ECS's Resource list form, as DescribeContainerInstances reports registered and remaining resources. */
export function resourceList(
  cpu: number,
  memory: number,
  tcp: Iterable<number>,
  udp: Iterable<number>,
): Resource[] {
  const ints = (name: string, v: number): Resource => ({
    name,
    type: "INTEGER",
    integerValue: v,
    longValue: 0,
    doubleValue: 0,
  });
  const set = (name: string, ports: Iterable<number>): Resource => ({
    name,
    type: "STRINGSET",
    integerValue: 0,
    longValue: 0,
    doubleValue: 0,
    stringSetValue: [...ports].sort((a, b) => a - b).map(String),
  });
  return [ints("CPU", cpu), ints("MEMORY", memory), set("PORTS", tcp), set("PORTS_UDP", udp)];
}
