/**
 * Choosing container instances for tasks. Pure: candidates in, placements or reasons out.
 * Candidates are filtered (ACTIVE, agent connected, required attributes present, resources fit);
 * among the rest, each task goes to the instance running the fewest tasks (ties by id), which
 * spreads tasks across instances.
 */
import type { Remaining, ResourceNeeds } from "./resources.js";
import { shortfall, take } from "./resources.js";

export interface Candidate {
  id: string;
  arn: string;
  status: string;
  connected: boolean;
  attributes: ReadonlyMap<string, string | undefined>;
  remaining: Remaining;
  taskCount: number;
}

export interface PlacementFailure {
  arn: string;
  reason: string;
}

export interface PlacementResult {
  /** Instance id for each placed task, in order. */
  placed: string[];
  failures: PlacementFailure[];
}

export function placeTasks(
  count: number,
  needs: ResourceNeeds,
  requiredAttributes: readonly string[],
  candidates: readonly Candidate[],
): PlacementResult {
  const placed: string[] = [];
  const reasons = new Map<string, string>();
  const pool = candidates.map((c) => ({
    ...c,
    remaining: { ...c.remaining, tcp: new Set(c.remaining.tcp), udp: new Set(c.remaining.udp) },
  }));
  for (let i = 0; i < count; i++) {
    let best: (typeof pool)[number] | undefined;
    for (const c of pool) {
      const why = rejection(c, needs, requiredAttributes);
      if (why) {
        reasons.set(c.arn, why);
        continue;
      }
      if (!best || c.taskCount < best.taskCount || (c.taskCount === best.taskCount && c.id < best.id))
        best = c;
    }
    if (!best) break;
    take(best.remaining, needs);
    best.taskCount++;
    reasons.delete(best.arn);
    placed.push(best.id);
  }
  const failures = placed.length < count ? [...reasons].map(([arn, reason]) => ({ arn, reason })) : [];
  return { placed, failures };
}

function rejection(
  c: Candidate,
  needs: ResourceNeeds,
  requiredAttributes: readonly string[],
): string | undefined {
  if (c.status !== "ACTIVE") return "INACTIVE";
  if (!c.connected) return "AGENT";
  for (const a of requiredAttributes) if (!c.attributes.has(a)) return "ATTRIBUTE";
  return shortfall(c.remaining, needs);
}
