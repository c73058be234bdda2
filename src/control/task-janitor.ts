/**
 * Keeps the task table tidy, as ECS does: STOPPED tasks stay describable for a while (an hour by
 * default) and then disappear; a task asked to stop on a container instance that was deregistered
 * and whose agent is gone is marked STOPPED, since no agent will ever report it.
 *
 * `janitorPlan` is pure; the loop applies its plan in one transaction, re-checking each record's
 * version so a concurrent change wins.
 */
import { networkStatus } from "../domain/ecs/task.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/log.js";
import { type Loop, startLoop } from "../lib/loop.js";
import type { Component } from "../main/build.js";
import { type ContainerInstanceRecord, isConnected } from "../state/ecs/container-instances.js";
import { FARGATE_POOL } from "../state/ecs/fargate-hosts.js";
import { K } from "../state/ecs/kinds.js";
import { dropTaskNetwork, syncTaskNetwork } from "../state/ecs/task-network.js";
import { deleteTask, putTask, type TaskRecord } from "../state/ecs/tasks.js";
import type { Store, StoredRecord } from "../state/store.js";

export interface JanitorOptions {
  retentionMs: number;
  agentTimeoutMs: number;
}

export interface JanitorPlan {
  purge: StoredRecord<TaskRecord>[];
  settle: { rec: StoredRecord<TaskRecord>; next: TaskRecord }[];
}

export function janitorPlan(
  tasks: readonly StoredRecord<TaskRecord>[],
  instances: ReadonlyMap<string, ContainerInstanceRecord>,
  now: number,
  opts: JanitorOptions,
): JanitorPlan {
  const plan: JanitorPlan = { purge: [], settle: [] };
  for (const rec of tasks) {
    const t = rec.value.task;
    if (t.lastStatus === "STOPPED") {
      if (now - (t.stoppedAt ?? t.createdAt) >= opts.retentionMs) plan.purge.push(rec);
      continue;
    }
    if (t.desiredStatus !== "STOPPED") continue;
    const inst = rec.value.instanceId
      ? instances.get(`${rec.value.cluster}/${rec.value.instanceId}`)
      : rec.value.fargateHost
        ? instances.get(`${FARGATE_POOL}/${rec.value.fargateHost}`)
        : undefined;
    const orphaned = !inst || (inst.status === "INACTIVE" && !isConnected(inst, now, opts.agentTimeoutMs));
    if (!orphaned) continue;
    const task = {
      ...t,
      lastStatus: "STOPPED",
      stoppingAt: t.stoppingAt ?? now,
      executionStoppedAt: t.executionStoppedAt ?? now,
      stoppedAt: now,
      containers: t.containers.map((c) => ({ ...c, lastStatus: "STOPPED" })),
      version: (t.version ?? 0) + 1,
    };
    if (rec.value.network) networkStatus(task, rec.value.network);
    plan.settle.push({ rec, next: { ...rec.value, task } });
  }
  return plan;
}

export function taskJanitor(
  opts: JanitorOptions & { store: Store; clock: Clock; log: Logger; intervalMs?: number },
): Component & { kick(): Promise<void> } {
  let loop: Loop | undefined;
  const tick = async (now: number) => {
    await opts.store.write(async (tx) => {
      const tasks = await tx.scan<TaskRecord>(K.task);
      const instances = new Map<string, ContainerInstanceRecord>();
      for (const i of await tx.scan<ContainerInstanceRecord>(K.containerInstance)) {
        instances.set(`${i.value.cluster}/${i.value.id}`, i.value);
      }
      const plan = janitorPlan(tasks, instances, now, opts);
      for (const rec of plan.purge) {
        const region = rec.key.slice(0, rec.key.indexOf("/"));
        await deleteTask(tx, region, rec.value);
        await dropTaskNetwork(tx, region, rec.value);
      }
      for (const { rec, next } of plan.settle) {
        const region = rec.key.slice(0, rec.key.indexOf("/"));
        await putTask(tx, region, next, rec.version);
        await syncTaskNetwork(tx, region, next);
      }
      if (plan.purge.length || plan.settle.length) {
        opts.log.debug("task janitor", { purged: plan.purge.length, settled: plan.settle.length });
      }
    });
  };
  return {
    name: "task-janitor",
    async start() {
      loop = startLoop({
        name: "task-janitor",
        intervalMs: opts.intervalMs ?? 60_000,
        clock: opts.clock,
        log: opts.log,
        tick,
        immediate: false,
      });
    },
    async stop() {
      await loop?.stop();
    },
    kick: () => loop?.kick() ?? tick(opts.clock.now()),
  };
}
