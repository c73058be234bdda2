/**
 * The agent's pure decisions (src/agent/engine/decide.ts): what to do next for a task, its known
 * status, its health and each container's report. Table-driven cases for every branch, then a
 * seeded property test that drives random container graphs through random observation sequences.
 * Expectations follow ECS (dependsOn conditions, startTimeout belonging to the dependency, shutdown
 * order), not the implementation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Action,
  type Condition,
  containerReport,
  decide,
  isStopping,
  knownStatus,
  type ObservedContainer,
  type ObservedTask,
  taskHealth,
} from "../../src/agent/engine/decide.js";
import { forSeeds, type Random } from "../helpers/random.js";

const NOW = 1_800_000_000_000;

/** A container that is valid and not yet created; `over` tweaks it. */
const C = (name: string, over: Partial<ObservedContainer> = {}): ObservedContainer => ({
  name,
  essential: true,
  dependsOn: [],
  needsRunning: [],
  needsCreated: [],
  stopTimeoutSec: 30,
  hasHealthCheck: false,
  stopRequested: false,
  ...over,
});
const created = (name: string, over: Partial<ObservedContainer> = {}) =>
  C(name, { id: `id-${name}`, status: "created", ...over });
const running = (name: string, over: Partial<ObservedContainer> = {}) =>
  C(name, { id: `id-${name}`, status: "running", startedAt: NOW - 1000, ...over });
const exited = (name: string, exitCode: number, over: Partial<ObservedContainer> = {}) =>
  C(name, { id: `id-${name}`, status: "exited", startedAt: NOW - 1000, exitCode, ...over });
const dep = (containerName: string, condition: Condition) => ({ containerName, condition });

/** A task the agent wants running, images pulled; `over` tweaks it. */
const T = (containers: ObservedContainer[], over: Partial<ObservedTask> = {}): ObservedTask => ({
  desiredStatus: "RUNNING",
  images: "done",
  containers,
  cleanedUp: false,
  ...over,
});
const stopping = (containers: ObservedContainer[], over: Partial<ObservedTask> = {}) =>
  T(containers, { desiredStatus: "STOPPED", ...over });

const names = (actions: Action[], type: Action["type"]) =>
  actions.flatMap((a) => (a.type === type && "name" in a ? [a.name] : [])).sort();

function failsWith(actions: Action[], code: string, reason: RegExp): void {
  assert.equal(actions.length, 1, `expected one fail action, got ${JSON.stringify(actions)}`);
  const a = actions[0]!;
  assert.equal(a.type, "fail", JSON.stringify(a));
  if (a.type !== "fail") return;
  assert.equal(a.code, code);
  assert.match(a.reason, reason);
}

describe("decide: images", () => {
  it("pulls first", () => {
    assert.deepEqual(decide(T([C("a")], { images: "pending" }), NOW), [{ type: "pull" }]);
  });
  it("waits while pulling", () => {
    assert.deepEqual(decide(T([C("a")], { images: "pulling" }), NOW), []);
  });
  it("fails to start when the pull failed, with the pull error as reason", () => {
    const t = T([C("a")], { images: "failed", pullError: "CannotPullContainerError: denied" });
    failsWith(decide(t, NOW), "TaskFailedToStart", /^CannotPullContainerError: denied$/);
  });
  it("names CannotPullContainerError when the failure had no message", () => {
    failsWith(
      decide(T([C("a")], { images: "failed" }), NOW),
      "TaskFailedToStart",
      /^CannotPullContainerError/,
    );
  });
});

describe("decide: create", () => {
  it("creates every container whose prerequisites exist, all at once", () => {
    const t = T([C("a"), C("b"), C("c")]);
    assert.deepEqual(names(decide(t, NOW), "create"), ["a", "b", "c"]);
  });
  it("creates a container only after what it needs created (links, volumesFrom, namespaces)", () => {
    const t = T([C("app", { needsCreated: ["data"] }), C("data")]);
    assert.deepEqual(names(decide(t, NOW), "create"), ["data"]);
    const next = T([C("app", { needsCreated: ["data"] }), created("data")]);
    assert.deepEqual(decide(next, NOW), [{ type: "create", name: "app" }]);
  });
  it("does not start anything while something can still be created", () => {
    const t = T([created("a"), C("b")]);
    assert.deepEqual(decide(t, NOW), [{ type: "create", name: "b" }]);
  });
  it("fails to start when a container it needs does not exist", () => {
    failsWith(
      decide(T([C("app", { needsCreated: ["ghost"] })]), NOW),
      "TaskFailedToStart",
      /^CannotStartContainerError: container ghost, which app needs created, does not exist$/,
    );
    failsWith(
      decide(T([created("app", { needsRunning: ["ghost"] })]), NOW),
      "TaskFailedToStart",
      /^CannotStartContainerError: container ghost, which app needs running, does not exist$/,
    );
  });
  it("fails to start when containers need each other created (a volumesFrom cycle)", () => {
    const t = T([C("a", { needsCreated: ["b"] }), C("b", { needsCreated: ["a"] })]);
    failsWith(
      decide(t, NOW),
      "TaskFailedToStart",
      /^CannotStartContainerError: containers a, b wait on each other/,
    );
  });
});

describe("decide: start", () => {
  it("starts every created container without dependencies", () => {
    const t = T([created("a"), created("b")]);
    assert.deepEqual(names(decide(t, NOW), "start"), ["a", "b"]);
  });
  it("starts a container after what it needs running, and not before", () => {
    const app = created("app", { needsRunning: ["db"], needsCreated: ["db"] });
    assert.deepEqual(decide(T([app, created("db")]), NOW), [{ type: "start", name: "db" }]);
    assert.deepEqual(decide(T([app, running("db")]), NOW), [{ type: "start", name: "app" }]);
  });
  it("does not start a container twice, nor one that is running or exited", () => {
    const t = T([running("a"), exited("b", 0, { essential: false })]);
    assert.deepEqual(decide(t, NOW), []);
  });

  const conditions: {
    condition: Condition;
    target: ObservedContainer;
    want: "start" | "wait" | RegExp;
  }[] = [
    { condition: "START", target: created("d"), want: "wait" },
    { condition: "START", target: running("d"), want: "start" },
    { condition: "START", target: exited("d", 1, { essential: false }), want: "start" },
    { condition: "COMPLETE", target: running("d", { essential: false }), want: "wait" },
    { condition: "COMPLETE", target: exited("d", 0, { essential: false }), want: "start" },
    { condition: "COMPLETE", target: exited("d", 7, { essential: false }), want: "start" },
    { condition: "SUCCESS", target: created("d", { essential: false }), want: "wait" },
    { condition: "SUCCESS", target: running("d", { essential: false }), want: "wait" },
    { condition: "SUCCESS", target: exited("d", 0, { essential: false }), want: "start" },
    {
      condition: "SUCCESS",
      target: exited("d", 2, { essential: false }),
      want: /^CannotStartContainerError: dependency d exited with code 2, but app needs it to succeed$/,
    },
    {
      condition: "HEALTHY",
      target: running("d", { hasHealthCheck: true, health: "starting" }),
      want: "wait",
    },
    {
      condition: "HEALTHY",
      target: running("d", { hasHealthCheck: true, health: "unhealthy" }),
      want: "wait",
    },
    {
      condition: "HEALTHY",
      target: running("d", { hasHealthCheck: true, health: "healthy" }),
      want: "start",
    },
    {
      condition: "HEALTHY",
      target: exited("d", 0, { hasHealthCheck: true, essential: false }),
      want: /^CannotStartContainerError: dependency d exited before it became healthy$/,
    },
  ];
  for (const c of conditions) {
    const state = c.target.status === "exited" ? `exited ${c.target.exitCode}` : c.target.status;
    const what = c.want instanceof RegExp ? "fails" : c.want === "start" ? "starts" : "waits";
    it(`dependsOn ${c.condition}, dependency ${state}${c.target.health ? ` (${c.target.health})` : ""}: ${what}`, () => {
      const t = T([created("app", { dependsOn: [dep("d", c.condition)] }), c.target]);
      const actions = decide(t, NOW).filter((a) => !(a.type === "start" && a.name === "d"));
      if (c.want instanceof RegExp) failsWith(actions, "TaskFailedToStart", c.want);
      else if (c.want === "start") assert.deepEqual(actions, [{ type: "start", name: "app" }]);
      else assert.deepEqual(actions, []);
    });
  }

  it("fails to start when a dependency does not exist", () => {
    const t = T([created("app", { dependsOn: [dep("ghost", "START")] })]);
    failsWith(
      decide(t, NOW),
      "TaskFailedToStart",
      /^CannotStartContainerError: dependency ghost does not exist$/,
    );
  });
  it("waits for every dependency, then starts", () => {
    const app = created("app", { dependsOn: [dep("a", "START"), dep("b", "SUCCESS")] });
    const b = (s: ObservedContainer) => ({ ...s, name: "b", id: "id-b", essential: false });
    assert.deepEqual(decide(T([app, running("a"), b(running("b"))]), NOW), []);
    assert.deepEqual(decide(T([app, running("a"), b(exited("b", 0))]), NOW), [
      { type: "start", name: "app" },
    ]);
  });
  it("fails to start when a container it needs running has exited", () => {
    const t = T([
      created("app", { needsRunning: ["side"] }),
      exited("side", 0, { essential: false }),
      running("main"),
    ]);
    failsWith(
      decide(t, NOW),
      "TaskFailedToStart",
      /^CannotStartContainerError: container side exited, but app needs it running/,
    );
  });
  it("fails to start when containers wait on each other (namespace holder depends on a sharer)", () => {
    // pidMode task: every container needs the first running; here the first waits for the second.
    const t = T([
      created("first", { dependsOn: [dep("second", "START")] }),
      created("second", { needsRunning: ["first"], needsCreated: ["first"] }),
    ]);
    failsWith(
      decide(t, NOW),
      "TaskFailedToStart",
      /^CannotStartContainerError: containers first, second wait on each other .* and can never start$/,
    );
  });
  it("keeps waiting on a chain whose head runs and may still become healthy", () => {
    const t = T([
      created("c", { dependsOn: [dep("b", "START")] }),
      created("b", { dependsOn: [dep("a", "HEALTHY")] }),
      running("a", { hasHealthCheck: true, health: "starting" }),
    ]);
    assert.deepEqual(decide(t, NOW), []);
  });
});

describe("decide: startTimeout (the dependency's own, counted from when it started)", () => {
  const waitOn = (condition: Condition, target: ObservedContainer) =>
    T([created("app", { dependsOn: [dep("d", condition)] }), target]);
  const slow = (over: Partial<ObservedContainer> = {}) =>
    running("d", {
      essential: false,
      hasHealthCheck: true,
      health: "starting",
      startTimeoutSec: 10,
      startedAt: NOW,
      ...over,
    });

  it("waits until the dependency's startTimeout has passed", () => {
    assert.deepEqual(decide(waitOn("HEALTHY", slow()), NOW + 10_000), []);
  });
  for (const condition of ["COMPLETE", "SUCCESS", "HEALTHY"] as const) {
    it(`gives up on ${condition} once it has passed`, () => {
      failsWith(
        decide(waitOn(condition, slow()), NOW + 10_001),
        "TaskFailedToStart",
        new RegExp(
          `^CannotStartContainerError: dependency d did not reach ${condition} within its startTimeout of 10s$`,
        ),
      );
    });
  }
  it("never times out a START dependency", () => {
    const t = waitOn("START", created("d", { startTimeoutSec: 1, startedAt: NOW }));
    assert.deepEqual(names(decide(t, NOW + 3_600_000), "start"), ["d"]);
  });
  it("has no limit when the dependency has no startTimeout", () => {
    assert.deepEqual(decide(waitOn("HEALTHY", slow({ startTimeoutSec: undefined })), NOW + 86_400_000), []);
  });
  it("uses the dependency's startTimeout, not the waiting container's", () => {
    const t = T([
      created("app", { dependsOn: [dep("d", "HEALTHY")], startTimeoutSec: 1 }),
      slow({ startTimeoutSec: 600 }),
    ]);
    assert.deepEqual(decide(t, NOW + 60_000), []);
  });
  it("does not time out a dependency that reached its condition", () => {
    assert.deepEqual(decide(waitOn("HEALTHY", slow({ health: "healthy" })), NOW + 60_000), [
      { type: "start", name: "app" },
    ]);
  });
});

describe("decide: failures while starting or running", () => {
  it("an essential container that exits stops the task with EssentialContainerExited", () => {
    const t = T([exited("web", 3), running("side", { essential: false })]);
    failsWith(decide(t, NOW), "EssentialContainerExited", /^Essential container in task exited$/);
  });
  it("a non-essential container that exits leaves the task running", () => {
    const t = T([running("web"), exited("migrate", 1, { essential: false })]);
    assert.deepEqual(decide(t, NOW), []);
    assert.equal(knownStatus(t), "RUNNING");
  });
  it("a create error fails the task with the error as reason", () => {
    const t = T([C("a", { error: "CannotCreateContainerError: no space" }), C("b")]);
    failsWith(decide(t, NOW), "TaskFailedToStart", /^CannotCreateContainerError: no space$/);
  });
  it("a start error fails the task, even for a non-essential container", () => {
    const t = T([
      running("a"),
      created("b", { essential: false, error: "CannotStartContainerError: port in use" }),
    ]);
    failsWith(decide(t, NOW), "TaskFailedToStart", /^CannotStartContainerError: port in use$/);
  });
});

describe("decide: stopping", () => {
  it("stops every running container that nothing running depends on", () => {
    const t = stopping([running("a"), running("b"), exited("c", 0, { essential: false }), created("d")]);
    assert.deepEqual(decide(t, NOW), [
      { type: "stop", name: "a", timeoutSec: 30 },
      { type: "stop", name: "b", timeoutSec: 30 },
    ]);
  });
  it("passes each container's stopTimeout", () => {
    assert.deepEqual(decide(stopping([running("a", { stopTimeoutSec: 2 })]), NOW), [
      { type: "stop", name: "a", timeoutSec: 2 },
    ]);
  });
  it("stops dependents before what they depend on (dependsOn)", () => {
    const containers = [running("app", { dependsOn: [dep("db", "START")] }), running("db")];
    assert.deepEqual(names(decide(stopping(containers), NOW), "stop"), ["app"]);
    const later = [
      exited("app", 143, { stopRequested: true, dependsOn: [dep("db", "START")] }),
      running("db"),
    ];
    assert.deepEqual(names(decide(stopping(later), NOW), "stop"), ["db"]);
  });
  it("stops dependents before what they depend on (links and namespace sharing)", () => {
    const containers = [running("app", { needsRunning: ["db"] }), running("db")];
    assert.deepEqual(names(decide(stopping(containers), NOW), "stop"), ["app"]);
  });
  it("waits while a dependent's stop is under way", () => {
    const containers = [
      running("app", { stopRequested: true, dependsOn: [dep("db", "START")] }),
      running("db"),
    ];
    assert.deepEqual(decide(stopping(containers), NOW), []);
  });
  it("never stops a container twice", () => {
    assert.deepEqual(decide(stopping([running("a", { stopRequested: true })]), NOW), []);
  });
  it("cleans up only once nothing runs, and only once", () => {
    assert.deepEqual(decide(stopping([exited("a", 143), created("b"), C("c")]), NOW), [{ type: "cleanup" }]);
    assert.deepEqual(decide(stopping([exited("a", 143)], { cleanedUp: true }), NOW), []);
    assert.ok(
      !decide(stopping([running("a", { stopRequested: true })]), NOW).some((a) => a.type === "cleanup"),
    );
  });
  it("a local stop stops the task as a desired STOPPED does", () => {
    const t = T([running("a")], { localStop: { code: "EssentialContainerExited", reason: "x" } });
    assert.ok(isStopping(t));
    assert.deepEqual(decide(t, NOW), [{ type: "stop", name: "a", timeoutSec: 30 }]);
  });
  it("neither pulls, creates nor starts while stopping", () => {
    assert.deepEqual(decide(stopping([C("a")], { images: "pending" }), NOW), [{ type: "cleanup" }]);
    assert.deepEqual(decide(stopping([created("a"), C("b")]), NOW), [{ type: "cleanup" }]);
  });
});

describe("knownStatus", () => {
  const cases: { name: string; t: ObservedTask; want: string }[] = [
    { name: "nothing created yet", t: T([C("a")], { images: "pending" }), want: "PENDING" },
    { name: "created, not started", t: T([created("a")]), want: "PENDING" },
    { name: "one of two essentials running", t: T([running("a"), created("b")]), want: "PENDING" },
    {
      name: "essential running, non-essential still waiting",
      t: T([running("a"), created("b", { essential: false })]),
      want: "PENDING",
    },
    {
      name: "every container running",
      t: T([running("a"), running("b", { essential: false })]),
      want: "RUNNING",
    },
    {
      name: "essential running, non-essential exited",
      t: T([running("a"), exited("b", 0, { essential: false })]),
      want: "RUNNING",
    },
    {
      name: "restarting and paused count as running",
      t: T([running("a", { status: "restarting" }), running("b", { status: "paused" })]),
      want: "RUNNING",
    },
    { name: "stopping, something still runs", t: stopping([running("a"), exited("b", 0)]), want: "STOPPING" },
    {
      name: "stopping, nothing runs, not cleaned up",
      t: stopping([exited("a", 143)]),
      want: "DEPROVISIONING",
    },
    { name: "stopping, cleaned up", t: stopping([exited("a", 143)], { cleanedUp: true }), want: "STOPPED" },
    {
      name: "local stop, cleaned up",
      t: T([exited("a", 1)], {
        localStop: { code: "EssentialContainerExited", reason: "x" },
        cleanedUp: true,
      }),
      want: "STOPPED",
    },
    {
      name: "stopped before anything was created",
      t: stopping([C("a")], { cleanedUp: true }),
      want: "STOPPED",
    },
  ];
  for (const c of cases) it(`${c.name}: ${c.want}`, () => assert.equal(knownStatus(c.t), c.want));
});

describe("taskHealth", () => {
  const hc = (name: string, health: ObservedContainer["health"], over: Partial<ObservedContainer> = {}) =>
    running(name, { hasHealthCheck: true, ...(health ? { health } : {}), ...over });
  const cases: { name: string; containers: ObservedContainer[]; want: string }[] = [
    { name: "no health checks", containers: [running("a")], want: "UNKNOWN" },
    {
      name: "only a non-essential container is checked",
      containers: [running("a"), hc("b", "unhealthy", { essential: false })],
      want: "UNKNOWN",
    },
    {
      name: "every checked essential is healthy",
      containers: [hc("a", "healthy"), hc("b", "healthy"), running("c")],
      want: "HEALTHY",
    },
    {
      name: "one checked essential still starting",
      containers: [hc("a", "healthy"), hc("b", "starting")],
      want: "UNKNOWN",
    },
    {
      name: "one checked essential unhealthy",
      containers: [hc("a", "healthy"), hc("b", "unhealthy")],
      want: "UNHEALTHY",
    },
    {
      name: "unhealthy wins over starting",
      containers: [hc("a", "starting"), hc("b", "unhealthy")],
      want: "UNHEALTHY",
    },
    {
      name: "a checked essential that is not running is unknown",
      containers: [hc("a", "healthy", { status: "exited", exitCode: 0 })],
      want: "UNKNOWN",
    },
    {
      name: "a non-essential unhealthy one does not count",
      containers: [hc("a", "healthy"), hc("b", "unhealthy", { essential: false })],
      want: "HEALTHY",
    },
  ];
  for (const c of cases) it(`${c.name}: ${c.want}`, () => assert.equal(taskHealth(T(c.containers)), c.want));
});

describe("containerReport", () => {
  it("PENDING before it runs, without exit code or reason", () => {
    assert.deepEqual(containerReport(created("a")), {
      name: "a",
      lastStatus: "PENDING",
      healthStatus: "UNKNOWN",
    });
    assert.deepEqual(containerReport(C("a")), { name: "a", lastStatus: "PENDING", healthStatus: "UNKNOWN" });
  });
  it("RUNNING with its health when checked", () => {
    assert.deepEqual(containerReport(running("a", { hasHealthCheck: true, health: "healthy" })), {
      name: "a",
      lastStatus: "RUNNING",
      healthStatus: "HEALTHY",
    });
    assert.equal(
      containerReport(running("a", { hasHealthCheck: true, health: "unhealthy" })).healthStatus,
      "UNHEALTHY",
    );
    assert.equal(
      containerReport(running("a", { hasHealthCheck: true, health: "starting" })).healthStatus,
      "UNKNOWN",
    );
    assert.equal(containerReport(running("a", { health: "healthy" })).healthStatus, "UNKNOWN");
  });
  it("STOPPED with its exit code once exited", () => {
    assert.deepEqual(containerReport(exited("a", 3)), {
      name: "a",
      lastStatus: "STOPPED",
      exitCode: 3,
      healthStatus: "UNKNOWN",
    });
    assert.equal(containerReport(C("a", { id: "x", status: "dead", exitCode: 255 })).exitCode, 255);
  });
  it("an out-of-memory kill gives ECS's OutOfMemoryError reason", () => {
    assert.deepEqual(containerReport(exited("a", 137, { oomKilled: true })), {
      name: "a",
      lastStatus: "STOPPED",
      exitCode: 137,
      reason: "OutOfMemoryError: Container killed due to memory usage",
      healthStatus: "UNKNOWN",
    });
  });
  it("a create or start error makes it STOPPED with the error as reason", () => {
    assert.deepEqual(containerReport(C("a", { error: "CannotCreateContainerError: boom" })), {
      name: "a",
      lastStatus: "STOPPED",
      reason: "CannotCreateContainerError: boom",
      healthStatus: "UNKNOWN",
    });
  });
  it("a container that never ran is STOPPED once its task is STOPPED", () => {
    assert.equal(containerReport(C("a"), true).lastStatus, "STOPPED");
    assert.equal(containerReport(created("a"), true).lastStatus, "STOPPED");
    assert.equal(containerReport(created("a"), false).lastStatus, "PENDING");
  });
  it("the error wins over the OOM reason", () => {
    const c = exited("a", 137, { oomKilled: true, error: "CannotInspectContainerError: gone" });
    assert.equal(containerReport(c).reason, "CannotInspectContainerError: gone");
  });
});

/**
 * Property test. A random task: up to six containers with dependsOn edges to earlier containers
 * (conditions as task definition validation allows them), links and volumesFrom in any direction
 * (cycles included), random health checks and startTimeouts. A random world then answers decide's
 * actions (sometimes with errors), lets containers exit, changes health, moves time and sometimes
 * asks the task to stop. Every decision is checked against the invariants; finally a cooperative
 * world (health checks pass, non-essential containers finish) must let the task settle as RUNNING
 * or STOPPED — never stuck.
 */
describe("decide: properties over random tasks and observation sequences", () => {
  function randomTask(r: Random): ObservedTask {
    const n = r.int(1, 6);
    const containers: ObservedContainer[] = [];
    for (let i = 0; i < n; i++) {
      containers.push(
        C(`c${i}`, {
          essential: i === 0 || r.chance(0.5),
          hasHealthCheck: r.chance(0.4),
          stopTimeoutSec: r.int(0, 30),
          ...(r.chance(0.3) ? { startTimeoutSec: r.int(1, 120) } : {}),
        }),
      );
    }
    for (let i = 0; i < n; i++) {
      const c = containers[i]!;
      for (let j = 0; j < i; j++) {
        if (!r.chance(0.35)) continue;
        const target = containers[j]!;
        const allowed: Condition[] = ["START"];
        if (!target.essential) allowed.push("COMPLETE", "SUCCESS");
        if (target.hasHealthCheck) allowed.push("HEALTHY");
        c.dependsOn.push(dep(target.name, r.pick(allowed)));
      }
      for (let j = 0; j < n; j++) {
        if (j === i || !r.chance(0.12)) continue;
        const target = containers[j]!.name;
        c.needsCreated.push(target);
        if (r.chance(0.6)) c.needsRunning.push(target); // a link; otherwise volumesFrom
      }
    }
    return T(containers, { images: "pending" });
  }

  const isRunning = (c: ObservedContainer) => c.status === "running";
  const hasExited = (c: ObservedContainer) => c.status === "exited";
  const satisfied = (d: { containerName: string; condition: Condition }, all: ObservedContainer[]) => {
    const t = all.find((c) => c.name === d.containerName)!;
    switch (d.condition) {
      case "START":
        return isRunning(t) || hasExited(t);
      case "COMPLETE":
        return hasExited(t);
      case "SUCCESS":
        return hasExited(t) && t.exitCode === 0;
      case "HEALTHY":
        return t.health === "healthy";
    }
  };

  function checkInvariants(t: ObservedTask, actions: Action[]): void {
    const byName = new Map(t.containers.map((c) => [c.name, c]));
    const state = JSON.stringify(t);
    if (actions.some((a) => a.type === "fail")) assert.equal(actions.length, 1, `fail comes alone: ${state}`);
    if (isStopping(t)) {
      for (const a of actions)
        assert.ok(a.type === "stop" || a.type === "cleanup", `${a.type} while stopping: ${state}`);
    }
    for (const a of actions) {
      if (a.type === "create") {
        const c = byName.get(a.name)!;
        assert.equal(c.id, undefined, `create of an existing container: ${state}`);
        for (const n of c.needsCreated)
          assert.ok(byName.get(n)!.id, `create ${a.name} before ${n}: ${state}`);
      }
      if (a.type === "start") {
        const c = byName.get(a.name)!;
        assert.equal(c.status, "created", `start of ${a.name} in status ${c.status}: ${state}`);
        for (const n of c.needsRunning)
          assert.ok(isRunning(byName.get(n)!), `start ${a.name} before ${n} runs: ${state}`);
        for (const d of c.dependsOn)
          assert.ok(
            satisfied(d, t.containers),
            `start ${a.name} with ${d.containerName} ${d.condition} unmet: ${state}`,
          );
      }
      if (a.type === "stop") {
        const c = byName.get(a.name)!;
        assert.ok(isRunning(c) && !c.stopRequested, `stop of ${a.name} twice or not running: ${state}`);
        for (const o of t.containers) {
          const dependent =
            o.dependsOn.some((d) => d.containerName === a.name) || o.needsRunning.includes(a.name);
          if (dependent) assert.ok(!isRunning(o), `stop ${a.name} while dependent ${o.name} runs: ${state}`);
        }
      }
      if (a.type === "cleanup") {
        assert.ok(!t.containers.some(isRunning), `cleanup while running: ${state}`);
        assert.ok(!t.cleanedUp, `cleanup twice: ${state}`);
      }
    }
  }

  /** The world's answer to an action (what the runner and the engine would do). */
  function apply(t: ObservedTask, a: Action, now: number, r: Random, flaky: boolean): void {
    const c = "name" in a ? t.containers.find((x) => x.name === a.name)! : undefined;
    switch (a.type) {
      case "pull":
        if (flaky && r.chance(0.05)) {
          t.images = "failed";
          t.pullError = "CannotPullContainerError: denied";
        } else t.images = "done";
        return;
      case "create":
        if (flaky && r.chance(0.05)) c!.error = "CannotCreateContainerError: boom";
        else Object.assign(c!, { id: `id-${c!.name}`, status: "created" });
        return;
      case "start":
        if (flaky && r.chance(0.05)) c!.error = "CannotStartContainerError: boom";
        else {
          Object.assign(c!, { status: "running", startedAt: now });
          if (c!.hasHealthCheck) c!.health = "starting";
        }
        return;
      case "stop":
        Object.assign(c!, { stopRequested: true, status: "exited", exitCode: 143 });
        return;
      case "fail":
        t.localStop = { code: a.code, reason: a.reason };
        return;
      case "cleanup":
        t.cleanedUp = true;
        return;
    }
  }

  /** Things that happen without the agent: exits, health changes, a StopTask. */
  function chaos(t: ObservedTask, r: Random): void {
    for (const c of t.containers) {
      if (!isRunning(c)) continue;
      if (r.chance(0.08))
        Object.assign(c, { status: "exited", exitCode: r.pick([0, 0, 1, 137]), oomKilled: r.chance(0.2) });
      else if (c.hasHealthCheck && r.chance(0.3))
        c.health = r.pick(["healthy", "healthy", "unhealthy", "starting"] as const);
    }
    if (r.chance(0.03)) t.desiredStatus = "STOPPED";
  }

  /** A world where checks pass and one-shot (non-essential) containers finish successfully. */
  function cooperate(t: ObservedTask): void {
    for (const c of t.containers) {
      if (!isRunning(c)) continue;
      if (c.hasHealthCheck) c.health = "healthy";
      if (!c.essential) Object.assign(c, { status: "exited", exitCode: 0 });
    }
  }

  it("holds the invariants and always settles, over 500 random tasks", () => {
    forSeeds(20260101, 500, (r) => {
      const t = randomTask(r);
      let now = NOW;
      const steps = r.int(0, 40);
      for (let i = 0; i < steps; i++) {
        const actions = decide(t, now);
        checkInvariants(t, actions);
        // The runner carries out a batch together; sometimes only part of it lands before a change.
        for (const a of actions) if (r.chance(0.9)) apply(t, a, now, r, true);
        chaos(t, r);
        now += r.int(0, 60_000);
      }
      let settled = false;
      for (let i = 0; i < 60 && !settled; i++) {
        const actions = decide(t, now);
        checkInvariants(t, actions);
        for (const a of actions) apply(t, a, now, r, false);
        cooperate(t);
        now += 1000;
        settled = actions.length === 0 && decide(t, now).length === 0;
      }
      const status = knownStatus(t);
      assert.ok(
        settled && (status === "RUNNING" || status === "STOPPED"),
        `stuck in ${status}: ${JSON.stringify(t)}`,
      );
      if (status === "STOPPED")
        assert.ok(!t.containers.some(isRunning), `STOPPED with running containers: ${JSON.stringify(t)}`);
    });
  });
});
