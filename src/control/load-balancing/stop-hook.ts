/**
 * Deregistering a stopping service task's targets, inside the transaction that asks the task to
 * stop: the targets start draining, and the task may stop once the longest deregistration delay
 * has passed (TaskRecord.stopNotBefore, which the agent honours).
 */
import { taskTargetsKey } from "../../state/elbv2/access.js";
import type { StopHook } from "../scheduler/applier.js";
import { deregisterTaskTargets } from "./deregister.js";

export const deregisterOnStop: StopHook = async (tx, region, task, now) => {
  const r = await deregisterTaskTargets(
    tx,
    region,
    taskTargetsKey(region, task.cluster, task.id),
    task.task.taskArn,
    now,
  );
  return r ?? { deregistered: [] };
};
