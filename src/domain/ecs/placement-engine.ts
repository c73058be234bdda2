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
  const inOrder: PlacementNode[] = [];
  for (const n of nodes) {
    const why = staticRejection(n, ask);
    if (why) rejected.set(n.arn, why);
    else inOrder.push(n);
  }
  // Scanned by id, so that on a tie the first candidate seen (the lowest id) wins.
  const eligible = [...inOrder].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const count = eligible.length;
  const needs = ask.needs;
  const distinct = ask.constraints.some((c) => c.type === "distinctInstance");
  const strategies = ask.strategies;
  const k = strategies.length;
  // Per node: the group's tasks on it. Per spread strategy: the node's bucket and each bucket's count.
  const groupCount = new Int32Array(count);
  for (let i = 0; i < count; i++) groupCount[i] = eligible[i]!.groupCounts.get(ask.group) ?? 0;
  const bucketOf: (Int32Array | undefined)[] = [];
  const bucketCount: (Float64Array | undefined)[] = [];
  for (const st of strategies) {
    if (st.type !== "spread") {
      bucketOf.push(undefined);
      bucketCount.push(undefined);
      continue;
    }
    const index = new Map<string, number>();
    const of = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const v = spreadValue(eligible[i]!, st.field);
      let b = index.get(v);
      if (b === undefined) {
        b = index.size;
        index.set(v, b);
      }
      of[i] = b;
    }
    const counts = new Float64Array(index.size);
    for (let i = 0; i < count; i++) counts[of[i]!]! += groupCount[i]!;
    bucketOf.push(of);
    bucketCount.push(counts);
  }
  const hasPorts = needs.tcpPorts.length > 0 || needs.udpPorts.length > 0;
  const fits = (n: PlacementNode, i: number) =>
    !(distinct && groupCount[i]! > 0) &&
    needs.cpu <= n.remaining.cpu &&
    needs.memory <= n.remaining.memory &&
    !(hasPorts && shortfall(n.remaining, needs));
  const best = new Float64Array(k);
  const cur = new Float64Array(k);
  const placed: string[] = [];
  for (let t = 0; t < ask.count; t++) {
    let bestIndex = -1;
    for (let i = 0; i < count; i++) {
      const n = eligible[i]!;
      if (!fits(n, i)) continue;
      if (k === 0) {
        bestIndex = i;
        break;
      }
      for (let s = 0; s < k; s++) {
        const st = strategies[s]!;
        cur[s] =
          st.type === "binpack"
            ? st.field === "cpu"
              ? n.remaining.cpu
              : n.remaining.memory
            : st.type === "spread"
              ? bucketCount[s]![bucketOf[s]![i]!]!
              : ask.random();
      }
      let better = bestIndex < 0;
      for (let s = 0; !better && s < k; s++) {
        if (cur[s]! < best[s]!) better = true;
        else if (cur[s]! > best[s]!) break;
      }
      if (better) {
        bestIndex = i;
        best.set(cur);
      }
    }
    if (bestIndex < 0) break;
    const chosen = eligible[bestIndex]!;
    take(chosen.remaining, needs);
    groupCount[bestIndex]!++;
    chosen.groupCounts.set(ask.group, groupCount[bestIndex]!);
    chosen.runningTasksCount++;
    for (let s = 0; s < k; s++) {
      const counts = bucketCount[s];
      if (counts) counts[bucketOf[s]![bestIndex]!]!++;
    }
    placed.push(chosen.id);
  }
  if (placed.length === ask.count) return { placed, failures: [] };
  // Why each candidate refused the task that did not fit, in the instances' order.
  const failures = [...rejected].map(([arn, reason]) => ({ arn, reason }));
  const position = new Map(eligible.map((n, i) => [n, i]));
  for (const n of inOrder) {
    const i = position.get(n)!;
    const reason =
      distinct && groupCount[i]! > 0
        ? "DistinctInstance placement constraint unsatisfied."
        : shortfall(n.remaining, needs);
    if (reason) failures.push({ arn: n.arn, reason });
  }
  return { placed, failures };
}

/** ECS's default strategies: RunTask places at random; services spread over zones, then instances. */
export const DEFAULT_RUN_TASK_STRATEGY: readonly Strategy[] = [{ type: "random" }];
export const DEFAULT_SERVICE_STRATEGY: readonly Strategy[] = [
  { type: "spread", field: "attribute:ecs.availability-zone" },
  { type: "spread", field: "instanceId" },
];
