/**
 * ECS task lifecycle. lastStatus only moves forward along this order; desiredStatus is RUNNING or
 * STOPPED.
 */
export const TASK_STATUSES = [
  "PROVISIONING",
  "PENDING",
  "ACTIVATING",
  "RUNNING",
  "DEACTIVATING",
  "STOPPING",
  "DEPROVISIONING",
  "STOPPED",
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

const rank = new Map<string, number>(TASK_STATUSES.map((s, i) => [s, i]));

export const statusRank = (s: string): number => rank.get(s) ?? -1;

/** Whether a task may move from `from` to `to` (forward only; staying put is allowed). */
export const canAdvance = (from: string, to: string): boolean =>
  statusRank(to) >= statusRank(from) && statusRank(to) >= 0;

export const isStopped = (s: string) => s === "STOPPED";

/** Statuses a task holds resources in. */
export const holdsResources = (lastStatus: string, desiredStatus: string) =>
  !(lastStatus === "STOPPED" || (desiredStatus === "STOPPED" && lastStatus === "PROVISIONING"));

export const STOP_CODES = [
  "TaskFailedToStart",
  "EssentialContainerExited",
  "UserInitiated",
  "ServiceSchedulerInitiated",
  "SpotInterruption",
  "TerminationNotice",
] as const;
export type StopCode = (typeof STOP_CODES)[number];
