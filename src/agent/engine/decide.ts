/**
 * The agent's decisions for one task, as pure functions of what it observes and `now`:
 * what to do next (pull, create, start, stop, give up, clean up) and what status to report.
 * The task runner executes the actions and calls again; nothing here does I/O.
 *
 * Glossary: *desired* status comes from the control plane (RUNNING or STOPPED); *known* status is
 * what the agent derives from the containers; a *local stop* is the agent's own decision to stop a
 * task (an essential container exited, a container could not start).
 */
import type { ContainerReport } from "../../agentapi/protocol.js";
import type { ContainerStatus } from "../runtime/runtime.js";

export type Condition = "START" | "COMPLETE" | "SUCCESS" | "HEALTHY";

export interface ObservedContainer {
  name: string;
  essential: boolean;
  dependsOn: { containerName: string; condition: Condition }[];
  /** Containers that must be running before this one starts (links, volumesFrom, pid/ipc sharing). */
  needsRunning: string[];
  /** Containers that must exist before this one is created (links, volumesFrom, pid/ipc sharing). */
  needsCreated: string[];
  startTimeoutSec: number;
  stopTimeoutSec: number;
  hasHealthCheck: boolean;
  /** Runtime id once created. */
  id?: string;
  status?: ContainerStatus;
  exitCode?: number;
  oomKilled?: boolean;
  health?: "starting" | "healthy" | "unhealthy";
  /** Why the agent could not create or start it (becomes the container's reason). */
  error?: string;
  stopRequested: boolean;
}

export interface ObservedTask {
  desiredStatus: "RUNNING" | "STOPPED";
  /** The agent's own decision to stop the task. */
  localStop?: { code: string; reason: string };
  images: "pending" | "pulling" | "done" | "failed";
  pullError?: string;
  containers: ObservedContainer[];
  /** When the agent began starting containers (for startTimeout). */
  startingSince?: number;
  cleanedUp: boolean;
}

export type Action =
  | { type: "pull" }
  | { type: "create"; name: string }
  | { type: "start"; name: string }
  | { type: "stop"; name: string; timeoutSec: number }
  | { type: "fail"; code: "TaskFailedToStart" | "EssentialContainerExited"; reason: string }
  | { type: "cleanup" };

const isRunning = (c: ObservedContainer) =>
  c.status === "running" || c.status === "restarting" || c.status === "paused";
const hasExited = (c: ObservedContainer) => c.status === "exited" || c.status === "dead";
const isStarted = (c: ObservedContainer) => isRunning(c) || hasExited(c);

export const isStopping = (t: ObservedTask) => t.desiredStatus === "STOPPED" || t.localStop !== undefined;

/** Is `c`'s dependency satisfied, not yet, or never going to be? */
function dependency(
  c: ObservedContainer,
  d: { containerName: string; condition: Condition },
  all: Map<string, ObservedContainer>,
): "yes" | "wait" | string {
  const target = all.get(d.containerName);
  if (!target) return `dependency ${d.containerName} does not exist`;
  switch (d.condition) {
    case "START":
      return isStarted(target) ? "yes" : "wait";
    case "COMPLETE":
      return hasExited(target) ? "yes" : "wait";
    case "SUCCESS":
      if (!hasExited(target)) return "wait";
      return target.exitCode === 0
        ? "yes"
        : `dependency ${target.name} exited with code ${target.exitCode}, but ${c.name} needs it to succeed`;
    case "HEALTHY":
      if (target.health === "healthy") return "yes";
      if (hasExited(target)) return `dependency ${target.name} exited before it became healthy`;
      return "wait";
  }
}

export function decide(t: ObservedTask, now: number): Action[] {
  const all = new Map(t.containers.map((c) => [c.name, c]));
  if (isStopping(t)) {
    const actions: Action[] = [];
    for (const c of t.containers) {
      if (!isRunning(c) || c.stopRequested) continue;
      // Stop dependents before what they depend on.
      const dependents = t.containers.filter(
        (o) =>
          o !== c && (o.dependsOn.some((d) => d.containerName === c.name) || o.needsRunning.includes(c.name)),
      );
      if (dependents.every((o) => !isRunning(o)))
        actions.push({ type: "stop", name: c.name, timeoutSec: c.stopTimeoutSec });
    }
    if (actions.length === 0 && !t.containers.some(isRunning) && !t.cleanedUp)
      actions.push({ type: "cleanup" });
    return actions;
  }
  if (t.images === "pending") return [{ type: "pull" }];
  if (t.images === "pulling") return [];
  if (t.images === "failed")
    return [{ type: "fail", code: "TaskFailedToStart", reason: t.pullError ?? "CannotPullContainerError" }];
  for (const c of t.containers) {
    if (c.error) return [{ type: "fail", code: "TaskFailedToStart", reason: c.error }];
    if (c.essential && hasExited(c))
      return [
        { type: "fail", code: "EssentialContainerExited", reason: "Essential container in task exited" },
      ];
  }
  const actions: Action[] = [];
  for (const c of t.containers) {
    if (c.id !== undefined) continue;
    if (c.needsCreated.every((n) => all.get(n)?.id !== undefined))
      actions.push({ type: "create", name: c.name });
  }
  if (actions.length > 0) return actions;
  for (const c of t.containers) {
    if (c.status !== "created") continue;
    let ready = c.needsRunning.every((n) => {
      const target = all.get(n);
      return target !== undefined && isRunning(target);
    });
    for (const d of c.dependsOn) {
      const r = dependency(c, d, all);
      if (r === "wait") ready = false;
      else if (r !== "yes")
        return [{ type: "fail", code: "TaskFailedToStart", reason: `CannotStartContainerError: ${r}` }];
    }
    if (ready) actions.push({ type: "start", name: c.name });
    else if (t.startingSince !== undefined && now - t.startingSince > c.startTimeoutSec * 1000) {
      return [
        {
          type: "fail",
          code: "TaskFailedToStart",
          reason: `CannotStartContainerError: timed out after ${c.startTimeoutSec}s waiting for the dependencies of container ${c.name}`,
        },
      ];
    }
  }
  return actions;
}

export type KnownStatus = "PENDING" | "RUNNING" | "STOPPING" | "DEPROVISIONING" | "STOPPED";

/** The task status the agent reports. */
export function knownStatus(t: ObservedTask): KnownStatus {
  if (isStopping(t)) {
    if (t.containers.some(isRunning)) return "STOPPING";
    return t.cleanedUp ? "STOPPED" : "DEPROVISIONING";
  }
  const essentialRunning = t.containers.filter((c) => c.essential).every(isRunning);
  const settled = t.containers.every((c) => isRunning(c) || (hasExited(c) && !c.essential));
  return essentialRunning && settled ? "RUNNING" : "PENDING";
}

const healthOf = (c: ObservedContainer): "HEALTHY" | "UNHEALTHY" | "UNKNOWN" =>
  !c.hasHealthCheck || !isRunning(c)
    ? "UNKNOWN"
    : c.health === "healthy"
      ? "HEALTHY"
      : c.health === "unhealthy"
        ? "UNHEALTHY"
        : "UNKNOWN";

/** Task health: UNHEALTHY if an essential container is; HEALTHY when every checked essential one is. */
export function taskHealth(t: ObservedTask): "HEALTHY" | "UNHEALTHY" | "UNKNOWN" {
  const checked = t.containers.filter((c) => c.essential && c.hasHealthCheck);
  if (checked.length === 0) return "UNKNOWN";
  const states = checked.map(healthOf);
  if (states.includes("UNHEALTHY")) return "UNHEALTHY";
  return states.every((s) => s === "HEALTHY") ? "HEALTHY" : "UNKNOWN";
}

export function containerReport(
  c: ObservedContainer,
): Omit<ContainerReport, "networkBindings" | "runtimeId" | "imageDigest"> {
  const lastStatus = isRunning(c) ? "RUNNING" : hasExited(c) || c.error !== undefined ? "STOPPED" : "PENDING";
  const reason =
    c.error ?? (c.oomKilled ? "OutOfMemoryError: Container killed due to memory usage" : undefined);
  return {
    name: c.name,
    lastStatus,
    ...(hasExited(c) && c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
    ...(reason ? { reason } : {}),
    healthStatus: healthOf(c),
  };
}
