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
  /**
   * The definition's startTimeout: how long, from when this container started, others wait for it
   * to reach a COMPLETE, SUCCESS or HEALTHY condition before they give up. Undefined: no limit.
   */
  startTimeoutSec?: number;
  stopTimeoutSec: number;
  hasHealthCheck: boolean;
  /** Runtime id once created. */
  id?: string;
  status?: ContainerStatus;
  /** When the engine last started it (epoch ms). */
  startedAt?: number;
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
  cleanedUp: boolean;
  /** The task is stopping but must keep running a while (load balancer targets draining). */
  draining?: boolean;
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

/**
 * Is `c`'s dependency satisfied, not yet, or never going to be (the reason)? As in ECS, a
 * dependency waited on for COMPLETE, SUCCESS or HEALTHY gives up when the dependency's own
 * startTimeout has passed since it started; START waits have no limit.
 */
function dependency(
  c: ObservedContainer,
  d: { containerName: string; condition: Condition },
  all: Map<string, ObservedContainer>,
  now: number,
): "yes" | "wait" | string {
  const target = all.get(d.containerName);
  if (!target) return `dependency ${d.containerName} does not exist`;
  let r: "yes" | "wait" | string;
  switch (d.condition) {
    case "START":
      return isStarted(target) ? "yes" : "wait";
    case "COMPLETE":
      r = hasExited(target) ? "yes" : "wait";
      break;
    case "SUCCESS":
      r = !hasExited(target)
        ? "wait"
        : target.exitCode === 0
          ? "yes"
          : `dependency ${target.name} exited with code ${target.exitCode}, but ${c.name} needs it to succeed`;
      break;
    case "HEALTHY":
      r =
        target.health === "healthy"
          ? "yes"
          : hasExited(target)
            ? `dependency ${target.name} exited before it became healthy`
            : "wait";
      break;
  }
  const timeout = target.startTimeoutSec;
  if (
    r === "wait" &&
    isRunning(target) &&
    timeout !== undefined &&
    target.startedAt !== undefined &&
    now - target.startedAt > timeout * 1000
  ) {
    return `dependency ${target.name} did not reach ${d.condition} within its startTimeout of ${timeout}s`;
  }
  return r;
}

const cannotStart = (reason: string): Action[] => [
  { type: "fail", code: "TaskFailedToStart", reason: `CannotStartContainerError: ${reason}` },
];

export function decide(t: ObservedTask, now: number): Action[] {
  const all = new Map(t.containers.map((c) => [c.name, c]));
  if (isStopping(t)) {
    // Load balancer targets drain before the containers are asked to stop.
    if (t.draining && t.containers.some(isRunning)) return [];
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
  /** Containers that cannot move yet, and the containers each one waits on. */
  const waiting = new Map<string, string[]>();
  for (const c of t.containers) {
    if (c.id !== undefined) continue;
    const unknown = c.needsCreated.find((n) => !all.has(n));
    if (unknown !== undefined)
      return cannotStart(`container ${unknown}, which ${c.name} needs created, does not exist`);
    const missing = c.needsCreated.filter((n) => all.get(n)?.id === undefined);
    if (missing.length === 0) actions.push({ type: "create", name: c.name });
    else waiting.set(c.name, missing);
  }
  if (actions.length > 0) return actions;
  for (const c of t.containers) {
    if (c.status !== "created") continue;
    const waitsOn: string[] = [];
    for (const n of c.needsRunning) {
      const target = all.get(n);
      if (!target) return cannotStart(`container ${n}, which ${c.name} needs running, does not exist`);
      if (hasExited(target))
        return cannotStart(
          `container ${n} exited, but ${c.name} needs it running (links, pidMode or ipcMode task)`,
        );
      if (!isRunning(target)) waitsOn.push(n);
    }
    for (const d of c.dependsOn) {
      const r = dependency(c, d, all, now);
      if (r === "wait") waitsOn.push(d.containerName);
      else if (r !== "yes") return cannotStart(r);
    }
    if (waitsOn.length === 0) actions.push({ type: "start", name: c.name });
    else waiting.set(c.name, waitsOn);
  }
  // Only a running container can still change (exit, become healthy); when every container that
  // waits waits only on others that wait too, nothing ever will.
  if (
    actions.length === 0 &&
    waiting.size > 0 &&
    [...waiting.values()].every((w) => w.every((n) => waiting.has(n)))
  )
    return cannotStart(
      `containers ${[...waiting.keys()].join(", ")} wait on each other (dependsOn, links, volumesFrom, pidMode or ipcMode task) and can never start`,
    );
  return actions;
}

export type KnownStatus = "PENDING" | "RUNNING" | "DEACTIVATING" | "STOPPING" | "DEPROVISIONING" | "STOPPED";

/** The task status the agent reports. */
export function knownStatus(t: ObservedTask): KnownStatus {
  if (isStopping(t)) {
    if (t.draining && t.containers.some(isRunning)) return "DEACTIVATING";
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

/** A container's report; once its task is STOPPED, a container that never ran is STOPPED too. */
export function containerReport(
  c: ObservedContainer,
  taskStopped = false,
): Omit<ContainerReport, "networkBindings" | "runtimeId" | "imageDigest"> {
  const lastStatus = isRunning(c)
    ? "RUNNING"
    : hasExited(c) || c.error !== undefined || taskStopped
      ? "STOPPED"
      : "PENDING";
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
