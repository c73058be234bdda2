/** Small tools shared by the benchmarks: percentiles, fixed-rate (open-loop) drivers, reports. */
import { cpus, totalmem } from "node:os";
import {
  type ECSClient,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { K } from "../src/state/ecs/kinds.js";
import type { TaskRecord } from "../src/state/ecs/tasks.js";
import type { TestBerth } from "../test/helpers/berth.js";

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface LatencyStats {
  count: number;
  errors: number;
  /** Achieved completions per second. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function stats(latenciesMs: number[], errors: number, seconds: number): LatencyStats {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: s.length,
    errors,
    rps: s.length / seconds,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.at(-1) ?? Number.NaN,
  };
}

/**
 * Send `rate` requests per second for `seconds`, on schedule whether or not earlier ones have
 * finished. Latency counts from the scheduled start, so a stall is charged to every request it
 * delayed (no coordinated omission).
 */
export async function openLoop(
  rate: number,
  seconds: number,
  op: (i: number) => Promise<unknown>,
): Promise<LatencyStats> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      op(i).then(
        () => {
          latencies.push(performance.now() - scheduled);
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inflight);
  return stats(latencies, errors, (performance.now() - start) / 1000);
}

/** As many requests as `concurrency` workers can push for `seconds`: the throughput ceiling. */
export async function closedLoop(
  concurrency: number,
  seconds: number,
  op: (i: number) => Promise<unknown>,
): Promise<LatencyStats> {
  const latencies: number[] = [];
  let errors = 0;
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await op(n++);
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return stats(latencies, errors, (performance.now() - start) / 1000);
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : "-");

/** A table row of latencies in ms: n, the given percentiles (of `xs`, unsorted) and the maximum. */
export function latencyRow(
  name: string,
  xs: readonly number[],
  percentiles: readonly number[] = [50, 99],
): Record<string, string | number> {
  const s = [...xs].sort((a, b) => a - b);
  const row: Record<string, string | number> = { measure: name, n: s.length };
  for (const p of percentiles) row[`p${p} ms`] = fmt(percentile(s, p), 1);
  row["max ms"] = fmt(s.at(-1) ?? Number.NaN, 1);
  return row;
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

export function table(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return "";
  const cols = Object.keys(rows[0]!);
  const line = (vals: string[]) => `| ${vals.join(" | ")} |`;
  return [
    line(cols),
    line(cols.map(() => "---")),
    ...rows.map((r) => line(cols.map((c) => String(r[c])))),
  ].join("\n");
}

/**
 * RunTask → RUNNING on an in-process Berth, in ms: RUNNING is when the control plane records it
 * (its change feed), so no polling delay is counted. Each call runs one task, times it, stops it.
 */
export function runningTimer(b: TestBerth, ecs: ECSClient): (input: RunTaskCommandInput) => Promise<number> {
  const waiters = new Map<string, () => void>();
  /** RUNNING seen before RunTask's response named the task. */
  const early = new Set<string>();
  b.berth.store.subscribe((changes) => {
    for (const c of changes) {
      if (c.kind !== K.task) continue;
      void b.berth.store
        .read((tx) => tx.get<TaskRecord>(K.task, c.key))
        .then((rec) => {
          if (rec?.value.task.lastStatus !== "RUNNING") return;
          const arn = rec.value.task.taskArn;
          const wake = waiters.get(arn);
          if (wake) wake();
          else if (rec.value.task.desiredStatus === "RUNNING") early.add(arn);
        });
    }
  });
  return async (input) => {
    const t0 = performance.now();
    const r = await ecs.send(new RunTaskCommand(input));
    if (!r.tasks?.length) throw new Error(`RunTask failed: ${JSON.stringify(r.failures)}`);
    const arn = r.tasks[0]!.taskArn!;
    if (!early.delete(arn)) await new Promise<void>((resolve) => waiters.set(arn, resolve));
    const ms = performance.now() - t0;
    waiters.delete(arn);
    await ecs.send(new StopTaskCommand({ task: arn }));
    return ms;
  };
}
