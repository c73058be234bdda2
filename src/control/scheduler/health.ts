/** When a service task counts as healthy: RUNNING, its essential health checks passing, and the gate. */
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import type { ServiceRecord } from "../../state/ecs/services.js";
import type { TaskRecord } from "../../state/ecs/tasks.js";
import type { GateVerdict, Health } from "./types.js";

export type TaskHealth = "starting" | "waiting" | "healthy" | "unhealthy";

export function hasHealthChecks(td: StoredTaskDefinition | undefined): boolean {
  return td?.containerDefinitions.some((c) => c.essential !== false && c.healthCheck !== undefined) ?? false;
}

/**
 * starting: not RUNNING yet. waiting: RUNNING, health not yet known (or unhealthy within the grace
 * period). healthy / unhealthy: as the checks and the gate say.
 */
export function taskHealth(
  service: ServiceRecord,
  t: TaskRecord,
  td: StoredTaskDefinition | undefined,
  now: number,
  gate?: (s: ServiceRecord, t: TaskRecord) => Health | GateVerdict,
): TaskHealth {
  if (t.task.lastStatus !== "RUNNING") return "starting";
  const grace = (service.healthCheckGracePeriodSeconds ?? 0) * 1000;
  const inGrace = now < (t.task.startedAt ?? now) + grace;
  if (hasHealthChecks(td)) {
    if (t.task.healthStatus === "UNHEALTHY") return inGrace ? "waiting" : "unhealthy";
    if (t.task.healthStatus !== "HEALTHY") return "waiting";
  }
  const v = gate?.(service, t) ?? "healthy";
  const g = typeof v === "string" ? v : v.health;
  if (g === "unhealthy") return inGrace ? "waiting" : "unhealthy";
  if (g === "unknown") return "waiting";
  return "healthy";
}
