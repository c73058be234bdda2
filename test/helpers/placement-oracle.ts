/**
 * A brute-force placement oracle for property tests: for one task, which instances are acceptable
 * choices, computed from scratch (no incremental state) by the rules docs/research/ecs-services.md §5
 * states. Candidates: ACTIVE, agent connected, required attributes present, memberOf satisfied,
 * distinctInstance respected, resources free. Among them the strategies rank lexicographically,
 * each breaking the previous one's ties — binpack: least of the resource left; spread: fewest
 * tasks of the group in the instance's value of the field (counted over the instances that pass
 * the static filters; instances without the attribute form one bucket) — then the lowest id. A
 * random strategy makes every candidate still tied at that point acceptable.
 */

export interface OracleNode {
  id: string;
  /** ACTIVE and connected, required attributes present and memberOf satisfied for this ask. */
  eligible: boolean;
  attributes: ReadonlyMap<string, string | undefined>;
  cpu: number;
  memory: number;
  ports: Set<number>;
  /** Non-stopped tasks per group. */
  groups: Map<string, number>;
}

export interface OracleAsk {
  cpu: number;
  memory: number;
  ports: number[];
  group: string;
  distinct: boolean;
  strategies: readonly (
    | { type: "binpack"; field: "cpu" | "memory" }
    | { type: "spread"; field: string }
    | { type: "random" }
  )[];
}

const fits = (n: OracleNode, a: OracleAsk) =>
  n.cpu >= a.cpu &&
  n.memory >= a.memory &&
  a.ports.every((p) => !n.ports.has(p)) &&
  new Set(a.ports).size === a.ports.length;

function bucket(n: OracleNode, field: string): string {
  if (field === "instanceId" || field === "host") return n.id;
  if (field.startsWith("attribute:")) return n.attributes.get(field.slice("attribute:".length)) ?? "";
  return "";
}

/** The ids the engine may choose for the next task of `ask` (empty: nothing fits). */
export function acceptable(nodes: readonly OracleNode[], ask: OracleAsk): Set<string> {
  const eligible = nodes.filter((n) => n.eligible);
  let candidates = eligible.filter(
    (n) => fits(n, ask) && !(ask.distinct && (n.groups.get(ask.group) ?? 0) > 0),
  );
  for (const s of ask.strategies) {
    if (candidates.length <= 1) break;
    if (s.type === "random") return new Set(candidates.map((n) => n.id));
    const score = (n: OracleNode) => {
      if (s.type === "binpack") return s.field === "cpu" ? n.cpu : n.memory;
      const b = bucket(n, s.field);
      return eligible
        .filter((m) => bucket(m, s.field) === b)
        .reduce((sum, m) => sum + (m.groups.get(ask.group) ?? 0), 0);
    };
    const best = Math.min(...candidates.map(score));
    candidates = candidates.filter((n) => score(n) === best);
  }
  if (candidates.length === 0) return new Set();
  const lowest = candidates.reduce((a, b) => (b.id < a.id ? b : a));
  return new Set([lowest.id]);
}

/** Record a task of `ask` placed on `n`. */
export function take(n: OracleNode, ask: OracleAsk): void {
  n.cpu -= ask.cpu;
  n.memory -= ask.memory;
  for (const p of ask.ports) n.ports.add(p);
  n.groups.set(ask.group, (n.groups.get(ask.group) ?? 0) + 1);
}
