/** Deregister the targets ECS registered for a task (the stop hook and the registrar share it). */
import { getTarget, getTaskTargets, getTgByArn, targetKey } from "../../state/elbv2/access.js";
import { ELB } from "../../state/elbv2/kinds.js";
import { deregisterTarget } from "../../state/elbv2/targets.js";
import { targetGroupUsage } from "../../state/elbv2/usage.js";
import type { WriteTx } from "../../state/store.js";
import type { StopDrain } from "../scheduler/applier.js";

/** Returns undefined when the task has no registered targets (none, or already deregistered). */
export async function deregisterTaskTargets(
  tx: WriteTx,
  region: string,
  key: string,
  taskArn: string,
  now: number,
): Promise<StopDrain | undefined> {
  const rec = await getTaskTargets(tx, key);
  if (!rec || rec.value.deregistered) return undefined;
  const usage = await targetGroupUsage(tx, region);
  const counts = new Map<string, number>();
  let until = now;
  for (const t of rec.value.targets) {
    const tg = await getTgByArn(tx, region, t.tgArn);
    if (!tg) continue;
    const target = await getTarget(tx, targetKey(region, tg.value.name, t.id, t.port));
    // A newer task may have registered the same address and port since; leave its target alone.
    if (!target || target.value.taskArn !== taskArn) continue;
    const end = await deregisterTarget(tx, tg.value, target, usage.has(tg.value.arn), now);
    if (end === undefined) continue;
    until = Math.max(until, end);
    counts.set(t.tgArn, (counts.get(t.tgArn) ?? 0) + 1);
  }
  await tx.put(ELB.taskTargets, key, { ...rec.value, deregistered: true }, { expectVersion: rec.version });
  return {
    ...(until > now ? { stopNotBefore: until } : {}),
    deregistered: [...counts].map(([targetGroupArn, count]) => ({ targetGroupArn, count })),
  };
}
