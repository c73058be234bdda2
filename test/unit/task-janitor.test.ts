/**
 * The task janitor's plan (src/control/task-janitor.ts): STOPPED tasks are purged after the
 * retention time; a task asked to stop whose instance is gone for good is settled as STOPPED.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { janitorPlan } from "../../src/control/task-janitor.js";
import type { ContainerInstanceRecord } from "../../src/state/ecs/container-instances.js";
import type { StoredTask, TaskRecord } from "../../src/state/ecs/tasks.js";
import type { StoredRecord } from "../../src/state/store.js";

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const OPTS = { retentionMs: HOUR, agentTimeoutMs: 60_000 };

/** A running task on instance i1 of cluster default; `over` tweaks the task. */
function task(
  id: string,
  over: Partial<StoredTask> = {},
  instanceId: string | undefined = "i1",
): StoredRecord<TaskRecord> {
  return {
    kind: "ecs.task",
    key: `us-east-1/default/${id}`,
    version: 4,
    value: {
      id,
      cluster: "default",
      ...(instanceId ? { instanceId } : {}),
      tags: [],
      task: {
        taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${id}`,
        clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
        taskDefinitionArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
        lastStatus: "RUNNING",
        desiredStatus: "RUNNING",
        containers: [
          {
            name: "web",
            containerArn: "arn:aws:ecs:us-east-1:000000000000:container/default/x/1",
            lastStatus: "RUNNING",
          },
        ],
        overrides: {},
        createdAt: NOW - 2 * HOUR,
        version: 4,
        ...over,
      },
    },
  };
}

/** An ACTIVE instance whose agent called a second ago; `over` tweaks it. */
function instance(
  id: string,
  over: Partial<ContainerInstanceRecord> = {},
): [string, ContainerInstanceRecord] {
  return [
    `default/${id}`,
    {
      id,
      arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/default/${id}`,
      cluster: "default",
      name: id,
      status: "ACTIVE",
      registeredAt: NOW - HOUR,
      lastSeenAt: NOW - 1000,
      tokenHash: "",
      resources: { cpu: 1024, memoryMiB: 1024, reservedPorts: [], reservedUdpPorts: [] },
      attributes: [],
      versionInfo: { agentVersion: "", agentHash: "", dockerVersion: "" },
      tags: [],
      ...over,
    },
  ];
}

const ids = (recs: StoredRecord<TaskRecord>[]) => recs.map((r) => r.value.id);

describe("janitorPlan", () => {
  it("purges STOPPED tasks once the retention time has passed since they stopped", () => {
    const plan = janitorPlan(
      [
        task("old", { lastStatus: "STOPPED", desiredStatus: "STOPPED", stoppedAt: NOW - HOUR }),
        task("young", { lastStatus: "STOPPED", desiredStatus: "STOPPED", stoppedAt: NOW - HOUR + 1 }),
        task("never-stamped", { lastStatus: "STOPPED", desiredStatus: "STOPPED", createdAt: NOW - HOUR }),
        task("running"),
      ],
      new Map([instance("i1")]),
      NOW,
      OPTS,
    );
    assert.deepEqual(ids(plan.purge), ["old", "never-stamped"]);
    assert.deepEqual(plan.settle, []);
  });

  it("settles a task asked to stop whose instance is deregistered and whose agent is gone", () => {
    const rec = task("t", { desiredStatus: "STOPPED", lastStatus: "RUNNING", stoppingAt: NOW - 5000 });
    const plan = janitorPlan(
      [rec],
      new Map([instance("i1", { status: "INACTIVE", lastSeenAt: NOW - 60_000 })]),
      NOW,
      OPTS,
    );
    assert.equal(plan.settle.length, 1);
    const { rec: from, next } = plan.settle[0]!;
    assert.equal(from, rec);
    assert.deepEqual(
      [
        next.task.lastStatus,
        next.task.stoppingAt,
        next.task.executionStoppedAt,
        next.task.stoppedAt,
        next.task.version,
      ],
      ["STOPPED", NOW - 5000, NOW, NOW, 5],
    );
    assert.deepEqual(
      next.task.containers.map((c) => c.lastStatus),
      ["STOPPED"],
    );
    assert.equal(rec.value.task.lastStatus, "RUNNING", "the record it was given is unchanged");
  });

  it("settles a task asked to stop whose instance no longer exists", () => {
    const plan = janitorPlan([task("t", { desiredStatus: "STOPPED" })], new Map(), NOW, OPTS);
    assert.deepEqual(ids(plan.settle.map((s) => s.rec)), ["t"]);
    assert.equal(plan.settle[0]!.next.task.stoppingAt, NOW);
  });

  it("leaves alone what an agent may still report", () => {
    const plan = janitorPlan(
      [
        task("running-on-gone-instance"),
        task("stopping-on-active", { desiredStatus: "STOPPED" }),
        task("stopping-on-disconnected-active", { desiredStatus: "STOPPED" }, "i2"),
        task("stopping-on-inactive-but-connected", { desiredStatus: "STOPPED" }, "i3"),
      ],
      new Map([
        instance("i1"),
        instance("i2", { lastSeenAt: NOW - 10 * HOUR }),
        instance("i3", { status: "INACTIVE", lastSeenAt: NOW - 59_999 }),
      ]),
      NOW,
      OPTS,
    );
    assert.deepEqual(plan, { purge: [], settle: [] });
  });

  it("looks instances up by cluster and id", () => {
    const other = task("t", { desiredStatus: "STOPPED" });
    const plan = janitorPlan([other], new Map([["elsewhere/i1", instance("i1")[1]]]), NOW, OPTS);
    assert.equal(plan.settle.length, 1);
  });
});
