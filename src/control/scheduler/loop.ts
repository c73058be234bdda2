/**
 * Runs the service scheduler: whenever tasks or services of a cluster change (the store's change
 * feed), and every second for what time alone changes (grace periods, throttles, steady-state
 * notices, agents connecting and disconnecting) and for container instance changes. One cluster at a time: read a snapshot, plan, apply.
 */
import type { Clock } from "../../lib/clock.js";
import { hexId, uuid } from "../../lib/ids.js";
import type { Logger } from "../../lib/log.js";
import type { Component } from "../../main/build.js";
import { K } from "../../state/ecs/kinds.js";
import type { ServiceRecord } from "../../state/ecs/services.js";
import type { TaskRecord } from "../../state/ecs/tasks.js";
import type { Store } from "../../state/store.js";
import { readClusterSnapshot, type SnapshotSource, snapshotSource } from "../cluster-snapshot.js";
import { applyPlan, type StopHook } from "./applier.js";
import { schedule } from "./schedule.js";
import type { GateVerdict, Health } from "./types.js";

export interface SchedulerLoopOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  accountId: string;
  agentTimeoutMs: number;
  /** RUNNING tasks without health checks count as healthy after this long (ECS: 40 s). */
  settleMs: number;
  intervalMs?: number;
  healthGate?: (service: ServiceRecord, task: TaskRecord) => Health | GateVerdict;
  /** Load balancer deregistration when a service task is asked to stop (see applier.ts). */
  beforeStop?: StopHook;
}

/**
 * Changes that wake a pass at once. Container instances are not among them: agents' heartbeats
 * rewrite them every few seconds, and the every-second pass sees status, attribute and
 * connectivity changes soon enough.
 */
const WATCHED = new Set<string>([K.task, K.service, K.taskOnInstance]);

export function serviceScheduler(opts: SchedulerLoopOptions): Component & { kick(): Promise<void> } {
  /** `${region}/${cluster}` of clusters that have (or had) services. */
  const clusters = new Set<string>();
  const dirty = new Set<string>();
  let pumping: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let stopped = true;
  /** Clusters as the last passes read them, kept current by the change feed (see mirror.ts). */
  let source: SnapshotSource | undefined;

  const clusterOfKey = (key: string) => {
    const [region, cluster] = key.split("/");
    return `${region}/${cluster}`;
  };

  async function runCluster(id: string): Promise<void> {
    const [region, cluster] = id.split("/") as [string, string];
    const now = opts.clock.now();
    const snapshot = await opts.store.read((tx) => readClusterSnapshot(tx, region, cluster, now, source));
    if (!snapshot.services.some((s) => s.value.status !== "INACTIVE")) {
      clusters.delete(id);
      source?.mirror.forget(`${region}/${cluster}/`);
      return;
    }
    const plan = schedule({
      snapshot,
      now,
      agentTimeoutMs: opts.agentTimeoutMs,
      settleMs: opts.settleMs,
      random: Math.random,
      newId: (kind) => (kind === "task" ? hexId(16) : uuid()),
      ...(opts.healthGate ? { healthGate: opts.healthGate } : {}),
    });
    if (
      !plan.services.some((s) => s.next || s.launches.length || s.stops.length || s.deploymentUpdates.length)
    )
      return;
    const r = await opts.store.write((tx) =>
      applyPlan(tx, plan, {
        accountId: opts.accountId,
        now,
        ...(opts.beforeStop ? { beforeStop: opts.beforeStop } : {}),
      }),
    );
    if (r.dropped > 0) dirty.add(id);
  }

  function pump(): Promise<void> {
    if (pumping) return pumping;
    pumping = (async () => {
      let passes = 0;
      while (dirty.size > 0 && !stopped && passes++ < 1000) {
        const id = dirty.values().next().value as string;
        dirty.delete(id);
        try {
          await runCluster(id);
        } catch (err) {
          opts.log.error("service scheduler pass failed", {
            cluster: id,
            error: err instanceof Error ? err : String(err),
            stack: (err as Error)?.stack,
          });
        }
      }
    })().finally(() => {
      pumping = undefined;
      if (dirty.size > 0 && !stopped) setImmediate(() => void pump());
    });
    return pumping;
  }

  return {
    name: "service-scheduler",
    async start() {
      source = snapshotSource(opts.store);
      stopped = false;
      for (const s of await opts.store.read((tx) => tx.scan<ServiceRecord>(K.service))) {
        if (s.value.status !== "INACTIVE") clusters.add(clusterOfKey(s.key));
      }
      unsubscribe = opts.store.subscribe((changes) => {
        let any = false;
        for (const c of changes) {
          if (c.kind === "_wipe") {
            clusters.clear();
            dirty.clear();
            continue;
          }
          if (!WATCHED.has(c.kind)) continue;
          const id = clusterOfKey(c.key);
          if (c.kind === K.service) clusters.add(id);
          if (clusters.has(id)) {
            dirty.add(id);
            any = true;
          }
        }
        if (any) setImmediate(() => void pump());
      });
      const tick = () => {
        if (stopped) return;
        for (const id of clusters) dirty.add(id);
        void pump().finally(() => {
          if (!stopped) timer = setTimeout(tick, opts.intervalMs ?? 1000).unref();
        });
      };
      tick();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      source?.stop();
      source = undefined;
      if (timer) clearTimeout(timer);
      await pumping;
    },
    async kick() {
      for (const id of clusters) dirty.add(id);
      await pump();
    },
  };
}
