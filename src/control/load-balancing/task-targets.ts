/**
 * The load balancer targets of a service task: for each of the service's loadBalancers, the
 * target its container port becomes. Pure.
 *
 *   bridge   target type instance: the container instance's ec2InstanceId and the dynamic host port
 *   host     target type instance: the container instance and the container's port
 *   awsvpc   target type ip: the task's address and the container port
 */
import { isIPv4 } from "node:net";
import type { LoadBalancer } from "@aws-sdk/client-ecs";
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import type { TaskRecord } from "../../state/ecs/tasks.js";
import type { TargetGroupRecord } from "../../state/elbv2/records.js";

export interface TaskTarget {
  tgArn: string;
  id: string;
  port: number;
  /** Where HAProxy reaches it. */
  address: string;
}

export type TaskTargets = { ok: true; targets: TaskTarget[] } | { ok: false; why: string };

/** The address of an awsvpc task (its elastic network interface's private IPv4 address). */
export function taskAddress(t: TaskRecord): string | undefined {
  for (const a of t.task.attachments ?? []) {
    const ip = a.details?.find((d) => d.name === "privateIPv4Address")?.value;
    if (ip) return ip;
  }
  return undefined;
}

export function taskTargets(opts: {
  loadBalancers: readonly LoadBalancer[];
  task: TaskRecord;
  taskDefinition: StoredTaskDefinition;
  targetGroups: ReadonlyMap<string, TargetGroupRecord>;
  /** The ec2InstanceId of the task's container instance. */
  instanceName: string | undefined;
}): TaskTargets {
  const { task, taskDefinition: td } = opts;
  const mode = td.networkMode ?? "bridge";
  const out: TaskTarget[] = [];
  for (const lb of opts.loadBalancers) {
    const tg = opts.targetGroups.get(lb.targetGroupArn ?? "");
    if (!tg) return { ok: false, why: `target group ${lb.targetGroupArn} does not exist` };
    const container = task.task.containers.find((c) => c.name === lb.containerName);
    if (!container) return { ok: false, why: `the task has no container ${lb.containerName}` };
    if (mode === "awsvpc") {
      const ip = taskAddress(task);
      if (!ip || !isIPv4(ip)) return { ok: false, why: "the task has no IPv4 address yet" };
      out.push({ tgArn: tg.arn, id: ip, port: lb.containerPort!, address: ip });
      continue;
    }
    if (!opts.instanceName) return { ok: false, why: "the task has no container instance" };
    if (mode === "host") {
      const def = td.containerDefinitions.find((c) => c.name === lb.containerName);
      const m = def?.portMappings?.find((p) => p.containerPort === lb.containerPort);
      out.push({
        tgArn: tg.arn,
        id: opts.instanceName,
        port: m?.hostPort || lb.containerPort!,
        address: "127.0.0.1",
      });
      continue;
    }
    const b = (container.networkBindings ?? []).find(
      (n) => n.containerPort === lb.containerPort && (n.protocol ?? "tcp") === "tcp",
    );
    if (!b?.hostPort)
      return {
        ok: false,
        why: `container ${lb.containerName} has no binding for port ${lb.containerPort} yet`,
      };
    const bind = b.bindIP ?? "";
    // The address goes into HAProxy's configuration: only an IPv4 literal is taken from a report.
    if (bind !== "" && !isIPv4(bind)) return { ok: false, why: `binding address ${bind} is not IPv4` };
    out.push({
      tgArn: tg.arn,
      id: opts.instanceName,
      port: b.hostPort,
      address: bind === "" || bind === "0.0.0.0" ? "127.0.0.1" : bind,
    });
  }
  return { ok: true, targets: out };
}
