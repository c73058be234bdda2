/** Which load balancers use which target groups (through listeners and rules). */
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ReadTx } from "../store.js";
import { listListeners, listRules } from "./access.js";

/** Target group ARNs an action list forwards to. */
export function forwardedGroups(actions: readonly Action[]): string[] {
  return actions.flatMap((a) =>
    a.Type === "forward" ? (a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn!) : [],
  );
}

/** Which load balancers use each target group of a region (through listeners and rules). */
export async function targetGroupUsage(tx: ReadTx, region: string): Promise<Map<string, Set<string>>> {
  const usage = new Map<string, Set<string>>();
  const add = (tg: string, lb: string) => {
    const s = usage.get(tg) ?? new Set<string>();
    s.add(lb);
    usage.set(tg, s);
  };
  const listeners = await listListeners(tx, region);
  const lbOf = new Map(listeners.map((l) => [l.value.arn, l.value.lbArn]));
  for (const l of listeners) for (const tg of forwardedGroups(l.value.defaultActions)) add(tg, l.value.lbArn);
  const lbNames = new Set(listeners.map((l) => l.value.lbName));
  for (const name of lbNames) {
    for (const r of await listRules(tx, region, name)) {
      const lb = lbOf.get(r.value.listenerArn);
      if (lb) for (const tg of forwardedGroups(r.value.actions)) add(tg, lb);
    }
  }
  return usage;
}
