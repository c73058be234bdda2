/**
 * The service scheduler's health gate for tasks behind load balancers: a task counts as healthy
 * only when every target it registered is healthy, and as unhealthy (to be replaced) when one is
 * unhealthy. The scheduler plans synchronously, so the gate answers from memory: the registered
 * targets and their health, reloaded from the store whenever they change.
 */
import type { Logger } from "../../lib/log.js";
import type { ServiceRecord } from "../../state/ecs/services.js";
import type { TaskRecord } from "../../state/ecs/tasks.js";
import { targetKey } from "../../state/elbv2/access.js";
import { ELB } from "../../state/elbv2/kinds.js";
import type { TargetHealthRecord, TargetRecord, TaskTargetsRecord } from "../../state/elbv2/records.js";
import { WIPE_KIND } from "../../state/sqlite/sqlite-store.js";
import type { Store } from "../../state/store.js";
import { msg } from "../scheduler/events.js";
import type { GateVerdict, Health } from "../scheduler/types.js";

const WATCHED = new Set<string>([ELB.taskTargets, ELB.target, ELB.health, WIPE_KIND]);

export interface TargetHealthGate {
  gate(service: ServiceRecord, task: TaskRecord): Health | GateVerdict;
  start(): Promise<void>;
  stop(): void;
}

export function targetHealthGate(opts: {
  store: Store;
  log: Logger;
  onChange?: () => void;
}): TargetHealthGate {
  let byTask = new Map<string, TaskTargetsRecord>();
  let targets = new Map<string, TargetRecord>();
  let health = new Map<string, TargetHealthRecord>();
  let loading: Promise<void> | undefined;
  let again = false;
  let unsubscribe: (() => void) | undefined;

  async function load(): Promise<void> {
    const snap = await opts.store.read(async (tx) => ({
      tt: await tx.scan<TaskTargetsRecord>(ELB.taskTargets),
      targets: await tx.scan<TargetRecord>(ELB.target),
      health: await tx.scan<TargetHealthRecord>(ELB.health),
    }));
    byTask = new Map(snap.tt.map((r) => [r.value.taskArn, r.value]));
    targets = new Map(snap.targets.map((r) => [r.key, r.value]));
    health = new Map(snap.health.map((r) => [r.key, r.value]));
  }

  function refresh(): void {
    if (loading) {
      again = true;
      return;
    }
    loading = load()
      .then(() => opts.onChange?.())
      .catch((err) => opts.log.error("target health gate reload failed", { error: String(err) }))
      .finally(() => {
        loading = undefined;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  return {
    gate(service, task) {
      if (service.loadBalancers.length === 0) return "healthy";
      const tt = byTask.get(task.task.taskArn);
      if (!tt || tt.deregistered) return "unknown";
      const region = task.task.taskArn.split(":")[3]!;
      for (const t of tt.targets) {
        const tgName = t.tgArn.split("/")[1]!;
        const key = targetKey(region, tgName, t.id, t.port);
        const target = targets.get(key);
        if (!target || target.taskArn !== task.task.taskArn || target.drainUntil !== undefined)
          return "unknown";
        const h = health.get(key);
        if (!h || h.since < target.registeredAt) return "unknown";
        if (h.state === "unhealthy") {
          const why = h.description ?? "Health checks failed";
          const who = /^\d+\.\d+\.\d+\.\d+$/.test(t.id) ? `(task ${task.id})` : `(instance ${t.id})`;
          return {
            health: "unhealthy",
            reason: `Task failed ELB health checks in (target-group ${t.tgArn})`,
            event: msg.targetUnhealthy(service.name, who, t.port, t.tgArn, why),
          };
        }
        if (h.state !== "healthy") return "unknown";
      }
      return "healthy";
    },
    async start() {
      unsubscribe = opts.store.subscribe((changes) => {
        if (changes.some((c) => WATCHED.has(c.kind))) refresh();
      });
      await load();
    },
    stop() {
      unsubscribe?.();
    },
  };
}
