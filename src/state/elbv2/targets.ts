/**
 * Registering and deregistering targets inside a write transaction: used by the RegisterTargets and
 * DeregisterTargets handlers and by ECS service load balancing alike.
 */
import type { StoredRecord, WriteTx } from "../store.js";
import { deleteTarget, getTarget, listTargets, targetKey } from "./access.js";
import { ELB } from "./kinds.js";
import type { TargetGroupRecord, TargetRecord } from "./records.js";

export const MAX_TARGETS = 1000;

/**
 * Register a target. A target already registered stays as it is; one that is draining is
 * registered afresh. Returns false when the target group is full.
 */
export async function registerTarget(
  tx: WriteTx,
  region: string,
  tg: TargetGroupRecord,
  t: Omit<TargetRecord, "tgArn" | "registeredAt">,
  now: number,
): Promise<boolean> {
  const key = targetKey(region, tg.name, t.id, t.port);
  const existing = await getTarget(tx, key);
  if (existing && existing.value.drainUntil === undefined) {
    if (t.taskArn !== undefined && existing.value.taskArn !== t.taskArn)
      await tx.put(
        ELB.target,
        key,
        { ...existing.value, taskArn: t.taskArn },
        { expectVersion: existing.version },
      );
    return true;
  }
  if (!existing && (await tx.count(ELB.target, `${region}/${tg.name}/`)) >= MAX_TARGETS) return false;
  const rec: TargetRecord = {
    tgArn: tg.arn,
    id: t.id,
    port: t.port,
    ...(t.availabilityZone ? { availabilityZone: t.availabilityZone } : {}),
    address: t.address,
    registeredAt: now,
    ...(t.taskArn ? { taskArn: t.taskArn } : {}),
  };
  await tx.put(ELB.target, key, rec, existing ? { expectVersion: existing.version } : { expectVersion: 0 });
  return true;
}

/** The deregistration delay of a target group, in milliseconds. */
export const deregistrationDelayMs = (tg: TargetGroupRecord) =>
  Number(tg.attributes["deregistration_delay.timeout_seconds"] ?? "300") * 1000;

/**
 * Deregister a target: it drains for the target group's deregistration delay when a load balancer
 * uses the group, and goes at once otherwise. Returns when draining ends (epoch ms), or undefined
 * when the target was not registered (or already draining).
 */
export async function deregisterTarget(
  tx: WriteTx,
  tg: TargetGroupRecord,
  rec: StoredRecord<TargetRecord>,
  inUse: boolean,
  now: number,
): Promise<number | undefined> {
  if (rec.value.drainUntil !== undefined) return undefined;
  const delay = inUse ? deregistrationDelayMs(tg) : 0;
  if (delay === 0) {
    await deleteTarget(tx, rec.key);
    return now;
  }
  await tx.put(
    ELB.target,
    rec.key,
    { ...rec.value, drainUntil: now + delay },
    { expectVersion: rec.version },
  );
  return now + delay;
}

export { listTargets };
