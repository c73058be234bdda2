/**
 * Task records (src/domain/ecs/task.ts): creating one from a task definition and a RunTask request,
 * folding agent reports into it (status only moves forward, timestamps are set once, a local stop
 * flips desiredStatus, containers merge by name, the version moves only on change) and StopTask.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest, TaskOverride } from "@aws-sdk/client-ecs";
import type { ContainerReport, TaskReport } from "../../src/agentapi/protocol.js";
import { applyReport, newTask, renderTask, requestStop } from "../../src/domain/ecs/task.js";
import { buildTaskDefinition, type StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import { TASK_STATUSES } from "../../src/domain/ecs/task-status.js";
import type { TaskRecord } from "../../src/state/ecs/tasks.js";
import { forSeeds } from "../helpers/random.js";

const NOW = 1_800_000_000_000;
const SCOPE = { region: "us-east-1", accountId: "000000000000" };

function taskDefinition(extra: Record<string, unknown> = {}): StoredTaskDefinition {
  return buildTaskDefinition(
    {
      family: "web",
      containerDefinitions: [
        { name: "web", image: "nginx", memory: 128, cpu: 256 },
        { name: "log", image: "busybox", memoryReservation: 32, essential: false },
      ],
      ...extra,
    } as unknown as RegisterTaskDefinitionRequest,
    {
      arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3",
      revision: 3,
      registeredAt: 0,
      registeredBy: "arn:aws:iam::000000000000:root",
    },
  );
}

function record(over: { td?: StoredTaskDefinition; overrides?: TaskOverride } = {}): TaskRecord {
  return newTask({
    id: "0123456789abcdef0123456789abcdef",
    scope: SCOPE,
    cluster: "default",
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
    taskDefinition: over.td ?? taskDefinition(),
    overrides: over.overrides,
    instance: { id: "inst1", arn: "arn:aws:ecs:us-east-1:000000000000:container-instance/default/inst1" },
    availabilityZone: "us-east-1a",
    launchType: "EC2",
    group: "family:web",
    startedBy: "me",
    tags: [{ key: "team", value: "a" }],
    now: NOW,
    containerIds: ["c-1", "c-2"],
  });
}

/** A report that is valid by default; `over` tweaks it. */
const report = (over: Partial<TaskReport> = {}): TaskReport => ({
  taskArn: record().task.taskArn,
  lastStatus: "PENDING",
  containers: [],
  ...over,
});
const container = (name: string, over: Partial<ContainerReport> = {}): ContainerReport => ({
  name,
  lastStatus: "RUNNING",
  ...over,
});

describe("newTask", () => {
  it("builds the ECS task shape: ARNs, statuses, group, overrides naming every container", () => {
    const rec = record();
    const t = rec.task;
    assert.equal(
      t.taskArn,
      "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef",
    );
    assert.equal(t.taskDefinitionArn, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3");
    assert.equal(
      t.containerInstanceArn,
      "arn:aws:ecs:us-east-1:000000000000:container-instance/default/inst1",
    );
    assert.deepEqual([t.lastStatus, t.desiredStatus, t.healthStatus], ["PROVISIONING", "RUNNING", "UNKNOWN"]);
    assert.deepEqual([t.createdAt, t.version, t.group, t.startedBy], [NOW, 1, "family:web", "me"]);
    assert.deepEqual(t.overrides, {
      containerOverrides: [{ name: "web" }, { name: "log" }],
      inferenceAcceleratorOverrides: [],
    });
    assert.deepEqual(
      t.containers.map((c) => [c.name, c.containerArn, c.lastStatus, c.cpu, c.memory, c.memoryReservation]),
      [
        [
          "web",
          "arn:aws:ecs:us-east-1:000000000000:container/default/0123456789abcdef0123456789abcdef/c-1",
          "PENDING",
          "256",
          "128",
          undefined,
        ],
        [
          "log",
          "arn:aws:ecs:us-east-1:000000000000:container/default/0123456789abcdef0123456789abcdef/c-2",
          "PENDING",
          "0",
          undefined,
          "32",
        ],
      ],
    );
    assert.deepEqual(
      [rec.id, rec.cluster, rec.instanceId],
      ["0123456789abcdef0123456789abcdef", "default", "inst1"],
    );
  });
  it("sizes the task from the containers when the definition has no task-level size", () => {
    const t = record().task;
    assert.deepEqual([t.cpu, t.memory], ["256", "160"]);
  });
  it("takes the task-level size from the definition, and an override over it", () => {
    const td = taskDefinition({ cpu: "1 vCPU", memory: "1GB" });
    assert.deepEqual([record({ td }).task.cpu, record({ td }).task.memory], ["1024", "1024"]);
    const o = record({ td, overrides: { cpu: "512", memory: "2048" } }).task;
    assert.deepEqual([o.cpu, o.memory], ["512", "2048"]);
  });
  it("applies container overrides to the containers it records", () => {
    const t = record({ overrides: { containerOverrides: [{ name: "web", cpu: 64, memory: 256 }] } }).task;
    assert.deepEqual([t.containers[0]!.cpu, t.containers[0]!.memory], ["64", "256"]);
    assert.deepEqual(t.overrides.containerOverrides, [
      { name: "web", cpu: 64, memory: 256 },
      { name: "log" },
    ]);
  });
  it("renders tags only when asked", () => {
    assert.equal(renderTask(record(), false).tags, undefined);
    assert.deepEqual(renderTask(record(), true).tags, [{ key: "team", value: "a" }]);
  });
});

describe("applyReport", () => {
  it("moves lastStatus forward and bumps the version", () => {
    const next = applyReport(record(), report({ lastStatus: "RUNNING" }), NOW + 1)!;
    assert.equal(next.task.lastStatus, "RUNNING");
    assert.equal(next.task.version, 2);
  });
  it("never moves lastStatus backwards", () => {
    const running = applyReport(record(), report({ lastStatus: "RUNNING" }), NOW + 1)!;
    assert.equal(applyReport(running, report({ lastStatus: "PENDING" }), NOW + 2), undefined);
    assert.equal(applyReport(running, report({ lastStatus: "NOT-A-STATUS" }), NOW + 2), undefined);
  });
  it("returns undefined when nothing changed (so the version stays)", () => {
    const pending = applyReport(record(), report(), NOW + 1)!;
    assert.equal(pending.task.version, 2);
    assert.equal(applyReport(pending, report(), NOW + 2), undefined);
  });
  it("sets each timestamp once", () => {
    const first = applyReport(
      record(),
      report({ lastStatus: "RUNNING", pullStartedAt: 1, pullStoppedAt: 2, startedAt: 3 }),
      NOW,
    )!;
    const again = applyReport(
      first,
      report({ lastStatus: "RUNNING", pullStartedAt: 10, pullStoppedAt: 20, startedAt: 30 }),
      NOW,
    );
    assert.equal(again, undefined);
    assert.deepEqual([first.task.pullStartedAt, first.task.pullStoppedAt, first.task.startedAt], [1, 2, 3]);
  });
  it("marks the task CONNECTED at its first report", () => {
    const t = applyReport(record(), report(), NOW + 5)!.task;
    assert.deepEqual([t.connectivity, t.connectivityAt], ["CONNECTED", NOW + 5]);
    const later = applyReport({ ...record(), task: t }, report({ lastStatus: "RUNNING" }), NOW + 9)!.task;
    assert.equal(later.connectivityAt, NOW + 5);
  });
  it("a report with a stopCode (the agent stopped the task) flips desiredStatus to STOPPED", () => {
    const t = applyReport(
      record(),
      report({
        lastStatus: "RUNNING",
        stopCode: "EssentialContainerExited",
        stoppedReason: "Essential container in task exited",
      }),
      NOW,
    )!.task;
    assert.deepEqual(
      [t.desiredStatus, t.stopCode, t.stoppedReason],
      ["STOPPED", "EssentialContainerExited", "Essential container in task exited"],
    );
  });
  it("a local stop does not replace the code of a stop the user asked for first", () => {
    const asked = requestStop(record(), "UserInitiated", "bye", NOW)!;
    const t = applyReport(
      asked,
      report({ lastStatus: "STOPPING", stopCode: "EssentialContainerExited" }),
      NOW,
    )!.task;
    assert.deepEqual([t.stopCode, t.stoppedReason], ["UserInitiated", "bye"]);
  });
  it("sets stoppingAt once the task stops, and stoppedAt and executionStoppedAt when STOPPED", () => {
    const stopping = applyReport(record(), report({ lastStatus: "STOPPING" }), NOW + 1)!;
    assert.equal(stopping.task.stoppingAt, NOW + 1);
    const stopped = applyReport(
      stopping,
      report({ lastStatus: "STOPPED", stoppedAt: NOW + 7 }),
      NOW + 8,
    )!.task;
    assert.deepEqual(
      [stopped.desiredStatus, stopped.stoppingAt, stopped.stoppedAt, stopped.executionStoppedAt],
      ["STOPPED", NOW + 1, NOW + 7, NOW + 7],
    );
  });
  it("fills stoppedAt from the time of the report when the agent gave none", () => {
    const t = applyReport(record(), report({ lastStatus: "STOPPED" }), NOW + 3)!.task;
    assert.deepEqual([t.stoppedAt, t.executionStoppedAt, t.stoppingAt], [NOW + 3, NOW + 3, NOW + 3]);
  });
  it("merges containers by name: status forward only, fields kept when absent, unknown names ignored", () => {
    const first = applyReport(
      record(),
      report({
        lastStatus: "RUNNING",
        containers: [
          container("log", {
            runtimeId: "r-log",
            networkBindings: [{ bindIP: "0.0.0.0", containerPort: 80, hostPort: 32768, protocol: "tcp" }],
          }),
          container("ghost"),
        ],
      }),
      NOW,
    )!;
    const [web, log] = first.task.containers;
    assert.equal(web!.lastStatus, "PENDING");
    assert.deepEqual(
      [log!.lastStatus, log!.runtimeId, log!.networkBindings?.[0]?.hostPort],
      ["RUNNING", "r-log", 32768],
    );
    assert.equal(first.task.containers.length, 2);
    const second = applyReport(
      first,
      report({
        lastStatus: "RUNNING",
        containers: [
          container("log", {
            lastStatus: "STOPPED",
            exitCode: 1,
            reason: "OutOfMemoryError: Container killed due to memory usage",
            healthStatus: "UNHEALTHY",
          }),
        ],
      }),
      NOW,
    )!;
    const log2 = second.task.containers[1]!;
    assert.deepEqual(
      [log2.lastStatus, log2.exitCode, log2.reason, log2.healthStatus, log2.runtimeId],
      ["STOPPED", 1, "OutOfMemoryError: Container killed due to memory usage", "UNHEALTHY", "r-log"],
    );
    const stale = applyReport(second, report({ lastStatus: "RUNNING", containers: [container("log")] }), NOW);
    assert.equal(stale, undefined, "a container's status does not move back either");
  });
  it("takes the task health from the report", () => {
    assert.equal(
      applyReport(record(), report({ healthStatus: "HEALTHY" }), NOW)!.task.healthStatus,
      "HEALTHY",
    );
  });
  it("does not touch the record it was given", () => {
    const rec = record();
    const before = JSON.stringify(rec);
    applyReport(
      rec,
      report({ lastStatus: "STOPPED", containers: [container("web", { lastStatus: "STOPPED" })] }),
      NOW,
    );
    assert.equal(JSON.stringify(rec), before);
  });

  it("property: over random report sequences, status never goes back, timestamps never change once set, version counts changes", () => {
    const statuses = [...TASK_STATUSES];
    const keys = [
      "pullStartedAt",
      "pullStoppedAt",
      "startedAt",
      "executionStoppedAt",
      "stoppedAt",
      "stoppingAt",
      "connectivityAt",
    ] as const;
    forSeeds(777, 300, (r) => {
      let rec = record();
      for (let i = 0; i < 12; i++) {
        const rep = report({
          lastStatus: r.pick(statuses),
          ...(r.chance(0.3) ? { startedAt: r.int(1, 100) } : {}),
          ...(r.chance(0.2) ? { stoppedAt: r.int(1, 100) } : {}),
          ...(r.chance(0.1) ? { stopCode: "EssentialContainerExited" } : {}),
          containers: [
            container(r.pick(["web", "log"]), {
              lastStatus: r.pick(["PENDING", "RUNNING", "STOPPED"] as const),
            }),
          ],
        });
        const next = applyReport(rec, rep, NOW + i);
        if (!next) continue;
        const rank = (s: string) => statuses.indexOf(s as (typeof statuses)[number]);
        assert.ok(
          rank(next.task.lastStatus) >= rank(rec.task.lastStatus),
          `${rec.task.lastStatus} → ${next.task.lastStatus}`,
        );
        for (const k of keys) if (rec.task[k] !== undefined) assert.equal(next.task[k], rec.task[k], k);
        assert.equal(next.task.version, (rec.task.version ?? 0) + 1);
        if (next.task.lastStatus === "STOPPED") assert.equal(next.task.desiredStatus, "STOPPED");
        rec = next;
      }
    });
  });
});

describe("requestStop", () => {
  it("sets desiredStatus, the code, the reason and stoppingAt, and bumps the version", () => {
    const t = requestStop(record(), "UserInitiated", "Task stopped by user", NOW + 4)!.task;
    assert.deepEqual(
      [t.desiredStatus, t.stopCode, t.stoppedReason, t.stoppingAt, t.version, t.lastStatus],
      ["STOPPED", "UserInitiated", "Task stopped by user", NOW + 4, 2, "PROVISIONING"],
    );
  });
  it("is a no-op for a task already asked to stop", () => {
    const once = requestStop(record(), "UserInitiated", "first", NOW)!;
    assert.equal(requestStop(once, "UserInitiated", "second", NOW + 1), undefined);
  });
});
