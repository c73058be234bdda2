/**
 * Task placement: which container instance each task goes to. Pure and allocation-light, because
 * the service scheduler places thousands of tasks per pass.
 *
 * For each task: candidates are filtered (instance ACTIVE, agent connected, required attributes,
 * memberOf constraints, distinctInstance, resources), then ranked by the strategies in order — each
 * one breaks the ties the previous left (binpack: least of the resource left; spread: fewest tasks
 * of the same group in the field's value; random) — and finally by instance id. Placing a task
 * takes its resources from the instance, so later tasks (and later asks on the same nodes) see it.
 */
import type { Query, QueryTarget } from "./query-language.js";
import { type Remaining, type ResourceNeeds, shortfall, take } from "./resources.js";

export type Strategy =
  | { type: "binpack"; field: "cpu" | "memory" }
  | { type: "spread"; field: string }
  | { type: "random" };
export type Constraint = { type: "distinctInstance" } | { type: "memberOf"; query: Query };

/** A container instance as placement sees it. `place` updates `remaining` and `groupCounts`. */
export interface PlacementNode {
  id: string;
  arn: string;
  status: string;
  connected: boolean;
  attributes: ReadonlyMap<string, string | undefined>;
  remaining: Remaining;
  /** Non-stopped tasks on the node, per task group (`service:web`, `family:api`, ...). */
  groupCounts: Map<string, number>;
  ec2InstanceId: string;
  registeredAt: number;
  agentVersion: string;
  runningTasksCount: number;
}

export interface PlacementAsk {
  count: number;
  needs: ResourceNeeds;
  requiredAttributes: readonly string[];
  group: string;
  constraints: readonly Constraint[];
  strategies: readonly Strategy[];
  /** A source of randomness in [0, 1) (seeded in tests). */
  random: () => number;
}

export interface PlacementFailure {
  arn: string;
  reason: string;
}

export interface PlacementResult {
  /** The node id for each placed task, in order; fewer than asked when the rest did not fit. */
  placed: string[];
  /** Why each node was refused for the first task that could not be placed (ECS reports these). */
  failures: PlacementFailure[];
}

export function queryTarget(n: PlacementNode): QueryTarget {
  const groups = new Set<string>();
  for (const [g, c] of n.groupCounts) if (c > 0) groups.add(g);
  return {
    agentConnected: n.connected,
    agentVersion: n.agentVersion,
    attributes: n.attributes,
    ec2InstanceId: n.ec2InstanceId,
    registeredAt: n.registeredAt,
    runningTasksCount: n.runningTasksCount,
    taskGroups: groups,
  };
}

/** Why a node can never take this ask (independent of what this ask places), or undefined. */
function staticRejection(n: PlacementNode, ask: PlacementAsk): string | undefined {
  if (n.status !== "ACTIVE") return n.status === "DRAINING" ? "DRAINING" : "INACTIVE";
  if (!n.connected) return "AGENT";
  for (const a of ask.requiredAttributes) if (!n.attributes.has(a)) return "ATTRIBUTE";
  let target: QueryTarget | undefined;
  for (const c of ask.constraints) {
    if (c.type !== "memberOf") continue;
    target ??= queryTarget(n);
    if (!c.query(target)) return "MemberOf placement constraint unsatisfied.";
  }
  return undefined;
}

function spreadValue(n: PlacementNode, field: string): string {
  if (field === "instanceId" || field === "host") return n.id;
  if (field.startsWith("attribute:")) return n.attributes.get(field.slice("attribute:".length)) ?? "";
  return "";
}

export function place(nodes: readonly PlacementNode[], ask: PlacementAsk): PlacementResult {
  const rejected = new Map<string, string>();
  const eligible: PlacementNode[] = [];
  for (const n of nodes) {
    const why = staticRejection(n, ask);
    if (why) rejected.set(n.arn, why);
    else eligible.push(n);
  }
  const distinct = ask.constraints.some((c) => c.type === "distinctInstance");
  const strategies = ask.strategies;
  const k = strategies.length;
  // Per spread strategy: the node's bucket and the group's task count per bucket.
  const buckets: (string[] | undefined)[] = [];
  const bucketCounts: (Map<string, number> | undefined)[] = [];
  for (const s of strategies) {
    if (s.type !== "spread") {
      buckets.push(undefined);
      bucketCounts.push(undefined);
      continue;
    }
    const b = eligible.map((n) => spreadValue(n, s.field));
    const counts = new Map<string, number>();
    for (let i = 0; i < eligible.length; i++) {
      counts.set(b[i]!, (counts.get(b[i]!) ?? 0) + (eligible[i]!.groupCounts.get(ask.group) ?? 0));
    }
    buckets.push(b);
    bucketCounts.push(counts);
  }
  const best = new Float64Array(k);
  const cur = new Float64Array(k);
  const placed: string[] = [];
  let lastFailures = new Map<string, string>();
  for (let t = 0; t < ask.count; t++) {
    let bestIndex = -1;
    const failures = new Map<string, string>();
    for (let i = 0; i < eligible.length; i++) {
      const n = eligible[i]!;
      if (distinct && (n.groupCounts.get(ask.group) ?? 0) > 0) {
        failures.set(n.arn, "DistinctInstance placement constraint unsatisfied.");
        continue;
      }
      const short = shortfall(n.remaining, ask.needs);
      if (short) {
        failures.set(n.arn, short);
        continue;
      }
      for (let s = 0; s < k; s++) {
        const st = strategies[s]!;
        cur[s] =
          st.type === "binpack"
            ? st.field === "cpu"
              ? n.remaining.cpu
              : n.remaining.memory
            : st.type === "spread"
              ? bucketCounts[s]!.get(buckets[s]![i]!)!
              : ask.random();
      }
      let better = bestIndex < 0;
      if (!better) {
        for (let s = 0; s < k; s++) {
          if (cur[s]! < best[s]!) {
            better = true;
            break;
          }
          if (cur[s]! > best[s]!) break;
          if (s === k - 1 && n.id < eligible[bestIndex]!.id) better = true;
        }
        if (k === 0 && n.id < eligible[bestIndex]!.id) better = true;
      }
      if (better) {
        bestIndex = i;
        best.set(cur);
      }
    }
    if (bestIndex < 0) {
      lastFailures = failures;
      break;
    }
    const chosen = eligible[bestIndex]!;
    take(chosen.remaining, ask.needs);
    chosen.groupCounts.set(ask.group, (chosen.groupCounts.get(ask.group) ?? 0) + 1);
    chosen.runningTasksCount++;
    for (let s = 0; s < k; s++) {
      const counts = bucketCounts[s];
      if (counts) {
        const b = buckets[s]![bestIndex]!;
        counts.set(b, counts.get(b)! + 1);
      }
    }
    placed.push(chosen.id);
  }
  if (placed.length === ask.count) return { placed, failures: [] };
  const failures = [...rejected, ...lastFailures].map(([arn, reason]) => ({ arn, reason }));
  return { placed, failures };
}

/** ECS's default strategies: RunTask places at random; services spread over zones, then instances. */
export const DEFAULT_RUN_TASK_STRATEGY: readonly Strategy[] = [{ type: "random" }];
export const DEFAULT_SERVICE_STRATEGY: readonly Strategy[] = [
  { type: "spread", field: "attribute:ecs.availability-zone" },
  { type: "spread", field: "instanceId" },
];
