/**
 * The targets a service task registers (src/control/load-balancing/task-targets.ts): bridge tasks
 * by container instance and dynamic host port, host-mode tasks by the container port, awsvpc tasks
 * by address; nothing until the task has what the target needs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { taskTargets } from "../../src/control/load-balancing/task-targets.js";
import type { StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import type { TaskRecord } from "../../src/state/ecs/tasks.js";
import type { TargetGroupRecord } from "../../src/state/elbv2/records.js";

const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";
const tg = { arn: TG } as TargetGroupRecord;
const lbs = [{ targetGroupArn: TG, containerName: "web", containerPort: 8080 }];
const td = (networkMode?: string): StoredTaskDefinition =>
  ({
    family: "web",
    networkMode,
    containerDefinitions: [
      { name: "web", portMappings: [{ containerPort: 8080, hostPort: networkMode === "host" ? 8080 : 0 }] },
    ],
  }) as unknown as StoredTaskDefinition;
const task = (bindings: object[] | undefined, attachments: object[] = []): TaskRecord =>
  ({
    id: "t",
    cluster: "default",
    task: {
      taskArn: "arn:t",
      containers: [{ name: "web", networkBindings: bindings }],
      attachments,
    },
  }) as unknown as TaskRecord;

const run = (t: TaskRecord, mode?: string) =>
  taskTargets({
    loadBalancers: lbs,
    task: t,
    taskDefinition: td(mode),
    targetGroups: new Map([[TG, tg]]),
    instanceName: "host-a",
  });

describe("taskTargets", () => {
  it("uses the dynamic host port of a bridge task, on its binding's address", () => {
    assert.deepEqual(
      run(task([{ bindIP: "0.0.0.0", containerPort: 8080, hostPort: 32768, protocol: "tcp" }])),
      {
        ok: true,
        targets: [{ tgArn: TG, id: "host-a", port: 32768, address: "127.0.0.1" }],
      },
    );
    assert.deepEqual(
      run(task([{ bindIP: "127.0.0.3", containerPort: 8080, hostPort: 32769, protocol: "tcp" }])),
      {
        ok: true,
        targets: [{ tgArn: TG, id: "host-a", port: 32769, address: "127.0.0.3" }],
      },
    );
  });

  it("waits for the binding, and refuses an address that is not IPv4", () => {
    assert.equal(run(task(undefined)).ok, false);
    assert.equal(
      run(task([{ bindIP: "0.0.0.0", containerPort: 9000, hostPort: 1, protocol: "tcp" }])).ok,
      false,
    );
    assert.equal(run(task([{ bindIP: "x;y", containerPort: 8080, hostPort: 1, protocol: "tcp" }])).ok, false);
  });

  it("uses the container port in host mode, and the task address in awsvpc mode", () => {
    assert.deepEqual(run(task(undefined), "host"), {
      ok: true,
      targets: [{ tgArn: TG, id: "host-a", port: 8080, address: "127.0.0.1" }],
    });
    const eni = [
      { type: "ElasticNetworkInterface", details: [{ name: "privateIPv4Address", value: "10.0.1.5" }] },
    ];
    assert.deepEqual(run(task(undefined, eni), "awsvpc"), {
      ok: true,
      targets: [{ tgArn: TG, id: "10.0.1.5", port: 8080, address: "10.0.1.5" }],
    });
    assert.equal(run(task(undefined), "awsvpc").ok, false);
  });
});
