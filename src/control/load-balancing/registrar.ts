/**
 * ECS service load balancing: registers a service task's targets when it is RUNNING, and
 * deregisters them when the task stops without the stop hook having done it (the task exited on
 * its own, or its instance went away). Follows the store's change feed, with a periodic sweep for
 * anything missed. Service events say what it did, in ECS's words.
 */
import type { Clock } from "../../lib/clock.js";
import type { Logger } from "../../lib/log.js";
import type { Component } from "../../main/build.js";
import { getInstance } from "../../state/ecs/container-instances.js";
import { K } from "../../state/ecs/kinds.js";
import { getService, putService } from "../../state/ecs/services.js";
import { getTaskDefinitionByArn } from "../../state/ecs/task-definitions.js";
import type { TaskRecord } from "../../state/ecs/tasks.js";
import { getTaskTargets, getTgByArn } from "../../state/elbv2/access.js";
import { ELB } from "../../state/elbv2/kinds.js";
import type { TargetGroupRecord, TaskTargetsRecord } from "../../state/elbv2/records.js";
import { registerTarget } from "../../state/elbv2/targets.js";
import { WIPE_KIND } from "../../state/sqlite/sqlite-store.js";
import { type Store, VersionConflict, type WriteTx } from "../../state/store.js";
import { drainEvents, withEvents } from "../scheduler/applier.js";
import { msg } from "../scheduler/events.js";
import { deregisterTaskTargets } from "./deregister.js";
import { taskTargets } from "./task-targets.js";

export interface RegistrarOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  sweepIntervalMs?: number;
}

export function serviceTargetRegistrar(opts: RegistrarOptions): Component & { kick(): Promise<void> } {
  const { store, log } = opts;
  const dirty = new Set<string>();
  let pumping: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  /** Add events to a task's service (in the same transaction). */
  async function serviceEvents(
    tx: WriteTx,
    region: string,
    task: TaskRecord,
    messages: string[],
    now: number,
  ) {
    if (messages.length === 0) return;
    const name = task.task.group!.slice("service:".length);
    const svc = await getService(tx, region, task.cluster, name);
    if (svc) await putService(tx, region, withEvents(svc.value, messages, now), svc.version);
  }

  async function processTask(key: string): Promise<void> {
    const now = opts.clock.now();
    const region = key.slice(0, key.indexOf("/"));
    await store.write(async (tx) => {
      const t = await tx.get<TaskRecord>(K.task, key);
      const tt = await getTaskTargets(tx, key);
      if (!t) {
        if (tt) {
          if (!tt.value.deregistered) await deregisterTaskTargets(tx, region, key, tt.value.taskArn, now);
          await tx.delete(ELB.taskTargets, key);
        }
        return;
      }
      const task = t.value.task;
      if (!task.group?.startsWith("service:")) return;
      if (task.desiredStatus === "STOPPED" || task.lastStatus === "STOPPED") {
        if (tt && !tt.value.deregistered) {
          const drain = await deregisterTaskTargets(tx, region, key, task.taskArn, now);
          if (drain) await serviceEvents(tx, region, t.value, drainEvents(tt.value.service, [drain]), now);
        }
        if (tt && task.lastStatus === "STOPPED") await tx.delete(ELB.taskTargets, key);
        return;
      }
      if (tt || task.lastStatus !== "RUNNING") return;
      const serviceName = task.group.slice("service:".length);
      const svc = await getService(tx, region, t.value.cluster, serviceName);
      if (!svc || svc.value.loadBalancers.length === 0) return;
      // A RunTask given the service's group is not the service's task.
      if (!svc.value.deployments.some((d) => d.id === task.startedBy)) return;
      const td = await getTaskDefinitionByArn(tx, region, task.taskDefinitionArn);
      if (!td) return;
      const groups = new Map<string, TargetGroupRecord>();
      for (const lb of svc.value.loadBalancers) {
        const tg = await getTgByArn(tx, region, lb.targetGroupArn ?? "");
        if (tg) groups.set(tg.value.arn, tg.value);
      }
      const instance = t.value.instanceId
        ? await getInstance(tx, region, t.value.cluster, t.value.instanceId)
        : undefined;
      const res = taskTargets({
        loadBalancers: svc.value.loadBalancers,
        task: t.value,
        taskDefinition: td.value.td,
        targetGroups: groups,
        instanceName: instance?.value.name,
      });
      if (!res.ok) {
        log.debug("task targets not ready", { task: task.taskArn, why: res.why });
        return;
      }
      const counts = new Map<string, number>();
      for (const target of res.targets) {
        const tg = groups.get(target.tgArn)!;
        const ok = await registerTarget(
          tx,
          region,
          tg,
          { id: target.id, port: target.port, address: target.address, taskArn: task.taskArn },
          now,
        );
        if (!ok)
          log.warn("target group is full; task not registered", { task: task.taskArn, targetGroup: tg.arn });
        else counts.set(tg.arn, (counts.get(tg.arn) ?? 0) + 1);
      }
      const rec: TaskTargetsRecord = {
        taskArn: task.taskArn,
        cluster: t.value.cluster,
        service: serviceName,
        targets: res.targets.map((x) => ({ tgArn: x.tgArn, id: x.id, port: x.port })),
        deregistered: false,
      };
      await tx.put(ELB.taskTargets, key, rec, { expectVersion: 0 });
      await serviceEvents(
        tx,
        region,
        t.value,
        [...counts].map(([arn, n]) => msg.registered(serviceName, n, arn)),
        now,
      );
    });
  }

  function pump(): Promise<void> {
    if (pumping) return pumping;
    pumping = (async () => {
      while (dirty.size > 0 && !stopped) {
        const key = dirty.values().next().value as string;
        dirty.delete(key);
        try {
          await processTask(key);
        } catch (err) {
          // Someone else wrote the task or service first: look again.
          if (err instanceof VersionConflict) dirty.add(key);
          else
            log.error("service load balancing failed", {
              task: key,
              error: err instanceof Error ? err : String(err),
            });
          if (err instanceof VersionConflict) await new Promise((r) => setTimeout(r, 10));
        }
      }
    })().finally(() => {
      pumping = undefined;
    });
    return pumping;
  }

  /** Every service task, and every task that has targets. */
  async function sweep(): Promise<void> {
    const keys = await store.read(async (tx) => {
      const out: string[] = [];
      for (const t of await tx.scan<TaskRecord>(K.task))
        if (t.value.task.group?.startsWith("service:")) out.push(t.key);
      for (const tt of await tx.scan(ELB.taskTargets)) out.push(tt.key);
      return out;
    });
    for (const k of keys) dirty.add(k);
    await pump();
  }

  const tick = () => {
    if (stopped) return;
    void sweep()
      .catch((err) => log.error("service load balancing sweep failed", { error: String(err) }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, opts.sweepIntervalMs ?? 5000).unref();
      });
  };

  return {
    name: "service-load-balancing",
    async start() {
      stopped = false;
      unsubscribe = store.subscribe((changes) => {
        let any = false;
        for (const c of changes) {
          if (c.kind === WIPE_KIND) dirty.clear();
          else if (c.kind === K.task) {
            dirty.add(c.key);
            any = true;
          }
        }
        if (any) setImmediate(() => void pump());
      });
      tick();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearTimeout(timer);
      await pumping;
    },
    async kick() {
      await sweep();
    },
  };
}
