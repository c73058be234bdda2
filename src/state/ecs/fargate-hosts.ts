/**
 * Berth-managed Fargate capacity. A Fargate host is an agent that registered into the reserved pool
 * `berth.fargate` instead of a cluster: it is a container instance record under that pseudo-cluster
 * (a name no ECS cluster can have, so no API call lists it), and it runs the FARGATE tasks of every
 * cluster of its region, found through the ecs.task-on-fargate-host index.
 */

import { parseTaskMemory } from "../../domain/ecs/task-size.js";
import { holdsResources } from "../../domain/ecs/task-status.js";
import type { ReadTx } from "../store.js";
import { isConnected, listInstances } from "./container-instances.js";
import { tasksOnFargateHost } from "./tasks.js";

/** The pseudo-cluster Fargate hosts register into ("." is not allowed in cluster names). */
export const FARGATE_POOL = "berth.fargate";

export interface FargateHost {
  id: string;
  arn: string;
  connected: boolean;
  lastSeenAt: number;
  active: boolean;
  memoryMiB: number;
  /** Memory the host's running and pending tasks reserve. */
  usedMiB: number;
}

export async function readFargateHosts(
  tx: ReadTx,
  region: string,
  now: number,
  agentTimeoutMs: number,
): Promise<FargateHost[]> {
  const out: FargateHost[] = [];
  for (const h of await listInstances(tx, region, FARGATE_POOL)) {
    let used = 0;
    for (const t of await tasksOnFargateHost(tx, region, h.value.id)) {
      const task = t.value.task;
      if (holdsResources(task.lastStatus, task.desiredStatus))
        used += parseTaskMemory(task.memory ?? "0") ?? 0;
    }
    out.push({
      id: h.value.id,
      arn: h.value.arn,
      connected: isConnected(h.value, now, agentTimeoutMs),
      lastSeenAt: h.value.lastSeenAt,
      active: h.value.status === "ACTIVE",
      memoryMiB: h.value.resources.memoryMiB,
      usedMiB: used,
    });
  }
  return out;
}

/** The connected host with the most free memory that fits `memoryMiB`, if any. */
export function pickFargateHost(hosts: readonly FargateHost[], memoryMiB: number): FargateHost | undefined {
  return hosts
    .filter((h) => h.connected && h.active && h.memoryMiB - h.usedMiB >= memoryMiB)
    .sort((a, b) => b.memoryMiB - b.usedMiB - (a.memoryMiB - a.usedMiB))[0];
}

/** The failure reason RunTask reports when no Fargate capacity can take a task. */
export const NO_FARGATE_CAPACITY =
  "Capacity is unavailable at this time. Please try again later or in a different availability zone";
