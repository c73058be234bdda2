/**
 * The service scheduler, case by case: each case builds a cluster from fixtures, runs the pure
 * scheduler through passes with the in-memory simulator and checks what ECS does (research
 * ecs-services.md §2 events, §3 rolling updates, §4 circuit breaker, §5 placement, §6 throttle).
 * Expectations come from the research notes, not from the implementation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failureThreshold, throttleDelayMs } from "../../src/control/scheduler/circuit-breaker.js";
import { schedule } from "../../src/control/scheduler/schedule.js";
import type { Plan } from "../../src/control/scheduler/types.js";
import { serviceNameOf } from "../../src/domain/ecs/service.js";
import type { StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import type { ContainerInstanceRecord } from "../../src/state/ecs/container-instances.js";
import type { ServiceRecord } from "../../src/state/ecs/services.js";
import type { TaskRecord } from "../../src/state/ecs/tasks.js";
import {
  azOf,
  containerInstance,
  SETTLE_MS,
  schedulerInput,
  service,
  snapshot,
  T0,
  task,
  taskDefinition,
} from "../fixtures/ecs.js";
import { type Fate, Sim } from "../helpers/scheduler-sim.js";

const MIN = 60_000;
const HOUR = 3_600_000;
const MORE = "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.";
const STUCK =
  "(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.";

const AZ = ["us-east-1a", "us-east-1b", "us-east-1c"];
/** Instances with fixed, sorted ids (i1, i2, ...) in the given zones. */
function instances(zones: string[], o: Partial<Parameters<typeof containerInstance>[0]> = {}) {
  return zones.map((az, n) => containerInstance({ id: `i${n + 1}`, az, ...o }));
}

/** A task of `svc`'s primary deployment, RUNNING and healthy since an hour before T0. */
function running(
  svc: ServiceRecord,
  td: StoredTaskDefinition,
  instance: ContainerInstanceRecord,
  id?: string,
) {
  return task({ td, service: svc, instance, ...(id ? { id } : {}) });
}

const sp = (p: Plan, name = "web") => {
  const s = p.services.find((x) => x.serviceKey.endsWith(`/${name}`));
  if (!s) throw new Error(`no plan for ${name}`);
  return s;
};

const healthy = (sim: Sim, t: TaskRecord) =>
  t.task.lastStatus === "RUNNING" &&
  t.task.desiredStatus === "RUNNING" &&
  (sim.td(t.task.taskDefinitionArn)?.containerDefinitions.some((c) => c.healthCheck)
    ? t.task.healthStatus === "HEALTHY"
    : sim.now >= (t.task.startedAt ?? Number.POSITIVE_INFINITY) + SETTLE_MS);

/**
 * Run passes every `dt` until the service settles (no launches, stops or changes for passes
 * spanning two minutes, longer than any settle time here) or `limit` passes. Returns the passes.
 */
function runUntilSteady(
  sim: Sim,
  o: { dt?: number; limit?: number; name?: string; onPass?: (p: Plan) => void } = {},
): number {
  const { dt = 15_000, limit = 200, name = "web" } = o;
  let quiet = 0;
  for (let n = 1; n <= limit; n++) {
    const p = sim.pass();
    o.onPass?.(p);
    const s = sp(p, name);
    quiet = s.launches.length + s.stops.length === 0 && !s.next ? quiet + 1 : 0;
    if (quiet * dt >= 2 * MIN) return n;
    sim.advance(dt);
  }
  throw new Error(`service ${name} did not settle in ${limit} passes: ${sim.messages(name).join("\n")}`);
}

/** Bounds tracked over a run: most tasks RUNNING or PENDING, fewest healthy. */
function boundsTracker(sim: Sim, name = "web") {
  const seen = { maxActive: 0, minHealthy: Number.POSITIVE_INFINITY };
  return {
    seen,
    onPass: () => {
      const active = sim.activeOf(name);
      seen.maxActive = Math.max(seen.maxActive, active.length);
      seen.minHealthy = Math.min(seen.minHealthy, active.filter((t) => healthy(sim, t)).length);
    },
  };
}

describe("scheduler: initial scale-up", () => {
  it("starts desiredCount tasks spread over zones, then instances, and reports one started event", () => {
    const td = taskDefinition();
    const svc = service({ td, desiredCount: 4 });
    const sim = new Sim({
      instances: instances([AZ[0]!, AZ[0]!, AZ[1]!]),
      services: [svc],
      taskDefinitions: [td],
      now: T0,
    });
    const p = sp(sim.pass());
    assert.equal(p.launches.length, 4);
    const perInstance = new Map<string, number>();
    for (const l of p.launches) perInstance.set(l.instanceId, (perInstance.get(l.instanceId) ?? 0) + 1);
    // Two per zone; within us-east-1a one per instance.
    assert.deepEqual(Object.fromEntries(perInstance), { i1: 1, i2: 1, i3: 2 });
    assert.ok(p.launches.every((l) => l.deploymentId === svc.deployments[0]!.id));
    const ids = p.launches.map((l) => l.taskId);
    assert.deepEqual(sim.messages(), [
      `(service web) has started 4 tasks: ${ids.map((i) => `(task ${i})`).join(" ")}.`,
    ]);
    const d = sim.service().deployments[0]!;
    assert.deepEqual([d.desiredCount, d.pendingCount, d.runningCount], [4, 4, 0]);
    for (const t of sim.activeOf()) {
      assert.equal(t.task.group, "service:web");
      assert.equal(t.task.startedBy, svc.deployments[0]!.id);
    }
  });

  it("completes the deployment, then reports the steady state, once every task is healthy", () => {
    const td = taskDefinition();
    const svc = service({ td, desiredCount: 2 });
    const sim = new Sim({
      instances: instances([AZ[0]!, AZ[1]!]),
      services: [svc],
      taskDefinitions: [td],
      now: T0,
    });
    runUntilSteady(sim);
    const id = svc.deployments[0]!.id;
    assert.deepEqual(sim.messages().slice(1), [
      `(service web) (deployment ${id}) deployment completed.`,
      "(service web) has reached a steady state.",
    ]);
    const d = sim.service().deployments[0]!;
    assert.deepEqual(
      [d.status, d.rolloutState, d.rolloutStateReason, d.desiredCount, d.runningCount, d.pendingCount],
      ["PRIMARY", "COMPLETED", `ECS deployment ${id} completed.`, 2, 2, 0],
    );
    assert.equal(sim.serviceDeployments.get(d.serviceDeploymentKey)?.status, "SUCCESSFUL");
    // Not before the tasks count as healthy: ECS waits 40 s after RUNNING without health checks.
    const events = sim.service().events;
    const completedAt = events.find((e) => e.message.includes("deployment completed"))!.createdAt;
    const startedAt = Math.max(...sim.activeOf().map((t) => t.task.startedAt!));
    assert.ok(completedAt >= startedAt + SETTLE_MS);
  });

  it("desiredCount 0 completes at once with no task", () => {
    const td = taskDefinition();
    const sim = new Sim({
      instances: instances([AZ[0]!]),
      services: [service({ td, desiredCount: 0 })],
      taskDefinitions: [td],
      now: T0,
    });
    const p = sp(sim.pass());
    assert.equal(p.launches.length, 0);
    assert.equal(sim.service().deployments[0]!.rolloutState, "COMPLETED");
  });

  const cases: {
    name: string;
    instances: () => ContainerInstanceRecord[];
    td: () => StoredTaskDefinition;
    event: (ids: string[]) => string;
  }[] = [
    {
      name: "no container instance",
      instances: () => [],
      td: () => taskDefinition(),
      event: () =>
        `(service web) was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. ${MORE}`,
    },
    {
      name: "not enough memory",
      instances: () => instances([AZ[0]!], { memory: 100 }),
      td: () => taskDefinition(),
      event: (ids) =>
        `(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${ids[0]}) has insufficient memory available. ${MORE}`,
    },
    {
      name: "not enough CPU",
      instances: () => instances([AZ[0]!], { cpu: 64 }),
      td: () => taskDefinition(),
      event: (ids) =>
        `(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance ${ids[0]}) has insufficient CPU units available. ${MORE}`,
    },
  ];
  for (const c of cases) {
    it(`reports a placement failure once within 6 h: ${c.name}`, () => {
      const td = c.td();
      const inst = c.instances();
      const sim = new Sim({
        instances: inst,
        services: [service({ td, desiredCount: 1 })],
        taskDefinitions: [td],
        now: T0,
      });
      for (let n = 0; n < 5; n++) {
        assert.equal(sp(sim.pass()).launches.length, 0);
        sim.advance(MIN);
      }
      assert.deepEqual(sim.messages(), [c.event(inst.map((i) => i.id))]);
    });
  }

  it("a static host port fits once per instance", () => {
    const td = taskDefinition({ hostPort: 8080 });
    const sim = new Sim({
      instances: instances([AZ[0]!, AZ[1]!]),
      services: [service({ td, desiredCount: 3 })],
      taskDefinitions: [td],
      now: T0,
    });
    const p = sp(sim.pass());
    assert.deepEqual(p.launches.map((l) => l.instanceId).sort(), ["i1", "i2"]);
    assert.ok(
      sim
        .messages()
        .some((m) =>
          m.endsWith(`(container-instance i1) is already using a port required by your task. ${MORE}`),
        ),
      sim.messages().join("\n"),
    );
  });
});

describe("scheduler: placement strategies and constraints", () => {
  /** Where a first pass puts `desired` tasks of 512 CPU units / 512 MiB on the given instances. */
  function firstPass(inst: ContainerInstanceRecord[], desired: number, o: Partial<ServiceRecord> = {}) {
    const td = taskDefinition({ cpu: 512, memoryMiB: 512 });
    const sim = new Sim({
      instances: inst,
      services: [service({ td, desiredCount: desired, ...o })],
      taskDefinitions: [td],
      now: T0,
    });
    return { placed: sp(sim.pass()).launches.map((l) => l.instanceId), sim };
  }
  const mem = (id: string, memory: number, az = AZ[0]!, attrs: Record<string, string> = {}) =>
    containerInstance({ id, memory, az, attrs });

  const cases: {
    name: string;
    inst: () => ContainerInstanceRecord[];
    desired: number;
    o: Partial<ServiceRecord>;
    placed: string[];
  }[] = [
    {
      name: "binpack memory fills the instance with the least memory left first",
      inst: () => [mem("i1", 4096), mem("i2", 1024), mem("i3", 2048)],
      desired: 3,
      o: { placementStrategy: [{ type: "binpack", field: "memory" }] },
      placed: ["i2", "i2", "i3"],
    },
    {
      name: "spread over a custom attribute, then instances",
      inst: () => [
        mem("i1", 4096, AZ[0], { rack: "r1" }),
        mem("i2", 4096, AZ[0], { rack: "r1" }),
        mem("i3", 4096, AZ[0], { rack: "r2" }),
      ],
      desired: 4,
      o: {
        placementStrategy: [
          { type: "spread", field: "attribute:rack" },
          { type: "spread", field: "instanceId" },
        ],
      },
      placed: ["i1", "i3", "i2", "i3"],
    },
    {
      name: "the default spreads over zones, then instances",
      inst: () => [mem("i1", 4096, AZ[0]), mem("i2", 4096, AZ[0]), mem("i3", 4096, AZ[1])],
      desired: 4,
      o: {},
      placed: ["i1", "i3", "i2", "i3"],
    },
    {
      name: "memberOf places only on matching instances",
      inst: () => [
        mem("i1", 4096, AZ[0], { stack: "dev" }),
        mem("i2", 4096, AZ[1], { stack: "prod" }),
        mem("i3", 4096, AZ[2]),
      ],
      desired: 2,
      o: { placementConstraints: [{ type: "memberOf", expression: "attribute:stack == prod" }] },
      placed: ["i2", "i2"],
    },
    {
      name: "distinctInstance places one task per instance and no more",
      inst: () => [mem("i1", 4096), mem("i2", 4096)],
      desired: 3,
      o: { placementConstraints: [{ type: "distinctInstance" }] },
      placed: ["i1", "i2"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(firstPass(c.inst(), c.desired, c.o).placed, c.placed);
    });
  }

  it("a memberOf no instance satisfies: nothing placed, and an event names the closest instance", () => {
    const { placed, sim } = firstPass(instances([AZ[0]!]), 1, {
      placementConstraints: [{ type: "memberOf", expression: "attribute:stack == prod" }],
    });
    assert.deepEqual(placed, []);
    assert.deepEqual(sim.messages(), [
      `(service web) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance i1) does not satisfy the memberOf placement constraint. ${MORE}`,
    ]);
  });
});

describe("scheduler: scale-in", () => {
  /** Which instances' tasks a scale-in from `layout` (tasks per instance) to `desired` stops. */
  function scaleIn(zones: string[], layout: number[], desired: number, notHealthy: string[] = []) {
    const td = taskDefinition();
    const inst = instances(zones);
    const svc = service({ td, desiredCount: desired });
    svc.deployments[0]!.rolloutState = "COMPLETED";
    const tasks: TaskRecord[] = [];
    layout.forEach((n, i) => {
      for (let k = 0; k < n; k++) {
        const id = `t${i + 1}${String.fromCharCode(97 + k)}`;
        tasks.push(
          notHealthy.includes(id)
            ? task({ td, service: svc, instance: inst[i]!, id, startedAt: T0 - 5_000 })
            : running(svc, td, inst[i]!, id),
        );
      }
    });
    const p = sp(
      schedule(schedulerInput(snapshot({ instances: inst, tasks, services: [svc], taskDefinitions: [td] }))),
    );
    assert.equal(p.launches.length, 0);
    const stopped = p.stops.map((s) => s.key.slice(s.key.lastIndexOf("/") + 1));
    const left = tasks.filter((t) => !stopped.includes(t.id));
    const perZone = new Map<string, number>();
    for (const t of left)
      perZone.set(t.task.availabilityZone!, (perZone.get(t.task.availabilityZone!) ?? 0) + 1);
    const perInstance = new Map<string, number>();
    for (const t of left) perInstance.set(t.instanceId!, (perInstance.get(t.instanceId!) ?? 0) + 1);
    return {
      stopped,
      perZone: Object.fromEntries(perZone),
      perInstance: Object.fromEntries(perInstance),
      p,
      svc,
    };
  }

  it("stops the task that is not healthy yet first", () => {
    const r = scaleIn([AZ[0]!, AZ[1]!], [2, 1], 2, ["t2a"]);
    assert.deepEqual(r.stopped, ["t2a"]);
    assert.equal(
      r.p.stops[0]!.reason,
      `Scaling activity initiated by (deployment ${r.svc.deployments[0]!.id})`,
    );
  });

  it("stops from the zone with the most tasks, then the instance with the most", () => {
    assert.deepEqual(
      scaleIn([AZ[0]!, AZ[0]!, AZ[1]!], [3, 1, 1], 4).stopped.map((s) => s[1]),
      ["1"],
    );
  });

  const balance: [string, string[], number[], number, Record<string, number>][] = [
    [
      "6 → 2 over two zones keeps one per zone",
      [AZ[0]!, AZ[0]!, AZ[1]!],
      [2, 2, 2],
      2,
      { "us-east-1a": 1, "us-east-1b": 1 },
    ],
    [
      "6 → 3 over three zones keeps one per zone",
      [AZ[0]!, AZ[1]!, AZ[2]!],
      [4, 1, 1],
      3,
      { "us-east-1a": 1, "us-east-1b": 1, "us-east-1c": 1 },
    ],
    ["5 → 4 over two zones", [AZ[0]!, AZ[1]!], [3, 2], 4, { "us-east-1a": 2, "us-east-1b": 2 }],
    ["8 → 2 in one zone keeps one per instance", [AZ[0]!, AZ[0]!], [4, 4], 2, { "us-east-1a": 2 }],
  ];
  for (const [name, zones, layout, desired, perZone] of balance) {
    it(`keeps zones balanced: ${name}`, () => {
      const r = scaleIn(zones, layout, desired);
      assert.deepEqual(r.perZone, perZone);
      const counts = Object.values(r.perInstance);
      if (name.includes("per instance")) assert.deepEqual(counts, [1, 1]);
    });
  }
});

/** A service whose first deployment (td1) has completed with `desired` tasks on `inst`, then updated to td2. */
function deployed(o: {
  desired: number;
  min: number;
  max: number;
  zones?: string[];
  td2?: StoredTaskDefinition;
  circuitBreaker?: ServiceRecord["deploymentConfiguration"]["deploymentCircuitBreaker"];
  memory?: number;
}) {
  const td1 = taskDefinition({ revision: 1 });
  const td2 = o.td2 ?? taskDefinition({ revision: 2 });
  const inst = instances(o.zones ?? [AZ[0]!, AZ[1]!], o.memory ? { memory: o.memory } : {});
  const svc = service({
    td: td1,
    desiredCount: o.desired,
    minimumHealthyPercent: o.min,
    maximumPercent: o.max,
    ...(o.circuitBreaker ? { circuitBreaker: o.circuitBreaker } : {}),
    now: T0 - HOUR,
  });
  const sim = new Sim({ instances: inst, services: [svc], taskDefinitions: [td1, td2], now: T0 - HOUR });
  runUntilSteady(sim);
  assert.equal(sim.service().deployments[0]!.rolloutState, "COMPLETED");
  const first = sim.service().deployments[0]!;
  sim.advance(T0 - sim.now);
  sim.updateService("web", { td: td2 });
  return { sim, td1, td2, first, second: sim.service().deployments[0]! };
}

describe("scheduler: rolling updates", () => {
  const table: { min: number; max: number; desired: number; firstLaunches: number; firstStops: number }[] = [
    { min: 100, max: 200, desired: 4, firstLaunches: 4, firstStops: 0 },
    { min: 50, max: 100, desired: 4, firstLaunches: 0, firstStops: 2 },
    { min: 0, max: 100, desired: 2, firstLaunches: 0, firstStops: 2 },
    { min: 50, max: 150, desired: 4, firstLaunches: 2, firstStops: 2 },
    { min: 75, max: 125, desired: 4, firstLaunches: 1, firstStops: 1 },
  ];
  for (const c of table) {
    it(`${c.min}/${c.max} with desired ${c.desired}: stays within the bounds and replaces every task`, () => {
      const { sim, first, second, td2 } = deployed({ desired: c.desired, min: c.min, max: c.max });
      const p = sp(sim.plan());
      assert.equal(p.launches.length, c.firstLaunches, "launches of the first pass");
      assert.equal(p.stops.length, c.firstStops, "stops of the first pass");
      for (const s of p.stops)
        assert.equal(s.reason, `Scaling activity initiated by (deployment ${first.id})`);
      const track = boundsTracker(sim);
      let sawOldActive = false;
      runUntilSteady(sim, {
        onPass: () => {
          track.onPass();
          sawOldActive ||= sim.service().deployments.some((d) => d.id === first.id && d.status === "ACTIVE");
        },
      });
      assert.ok(
        track.seen.maxActive <= Math.floor((c.desired * c.max) / 100),
        `max active ${track.seen.maxActive}`,
      );
      assert.ok(
        track.seen.minHealthy >= Math.ceil((c.desired * c.min) / 100),
        `min healthy ${track.seen.minHealthy}`,
      );
      assert.ok(sawOldActive, "the old deployment is ACTIVE while it drains");
      const svc = sim.service();
      assert.equal(svc.deployments.length, 1);
      assert.deepEqual([svc.deployments[0]!.id, svc.deployments[0]!.rolloutState], [second.id, "COMPLETED"]);
      assert.equal(sim.activeOf().length, c.desired);
      assert.ok(sim.activeOf().every((t) => t.task.taskDefinitionArn === td2.taskDefinitionArn));
      // A rolling update that moves is never reported as held by its configuration.
      assert.ok(!sim.messages().includes(STUCK), sim.messages().join("\n"));
      // The old deployment's stopped tasks name it.
      for (const t of sim.tasksOf().filter((x) => x.task.startedBy === first.id))
        assert.deepEqual(
          [t.task.stopCode, t.task.stoppedReason],
          ["ServiceSchedulerInitiated", `Scaling activity initiated by (deployment ${first.id})`],
        );
      // ListServiceDeployments: the first stays SUCCESSFUL, the second becomes SUCCESSFUL.
      assert.equal(sim.serviceDeployments.get(first.serviceDeploymentKey)?.status, "SUCCESSFUL");
      assert.equal(sim.serviceDeployments.get(second.serviceDeploymentKey)?.status, "SUCCESSFUL");
    });
  }

  const stuck: { name: string; desired: number; min: number; max: number }[] = [
    { name: "100/100", desired: 2, min: 100, max: 100 },
    { name: "desired 1 with 50/150", desired: 1, min: 50, max: 150 },
    { name: "desired 2 with 75/125", desired: 2, min: 75, max: 125 },
  ];
  for (const c of stuck) {
    it(`${c.name} cannot move: no launch, no stop, and the deployment-configuration event (not repeated within 6 h)`, () => {
      const { sim, first } = deployed({ desired: c.desired, min: c.min, max: c.max });
      for (let n = 0; n < 10; n++) {
        const p = sp(sim.pass());
        assert.equal(p.launches.length + p.stops.length, 0);
        sim.advance(10 * MIN);
      }
      assert.equal(sim.messages().filter((m) => m === STUCK).length, 1);
      assert.ok(sim.activeOf().every((t) => t.task.startedBy === first.id));
      assert.equal(sim.service().deployments[1]!.rolloutState, "COMPLETED");
      sim.advance(6 * HOUR);
      sim.pass();
      assert.equal(sim.messages().filter((m) => m === STUCK).length, 2);
    });
  }

  it("scaling during a deployment: the primary's target follows the new desired count", () => {
    const { sim, second } = deployed({ desired: 2, min: 100, max: 200 });
    sim.pass();
    sim.updateService("web", { desiredCount: 4 });
    runUntilSteady(sim);
    assert.equal(sim.activeOf().filter((t) => t.task.startedBy === second.id).length, 4);
    assert.equal(sim.service().deployments.length, 1);
  });

  it("a deployment superseded mid-flight is STOPPED once drained", () => {
    const { sim, second } = deployed({ desired: 2, min: 100, max: 200 });
    sim.pass();
    sim.advance(15_000);
    const td3 = taskDefinition({ revision: 3 });
    sim.updateService("web", { td: td3 });
    assert.equal(sim.serviceDeployments.get(second.serviceDeploymentKey)?.status, "STOP_REQUESTED");
    runUntilSteady(sim);
    assert.equal(sim.serviceDeployments.get(second.serviceDeploymentKey)?.status, "STOPPED");
    assert.deepEqual(
      sim.service().deployments.map((d) => d.taskDefinition),
      [td3.taskDefinitionArn],
    );
  });
});

describe("scheduler: deployment counts", () => {
  it("counts each deployment's tasks and drops a drained deployment from the list", () => {
    const { sim, first, second } = deployed({ desired: 2, min: 100, max: 200 });
    sim.pass();
    let [p, o] = sim.service().deployments;
    assert.deepEqual(
      [p!.id, p!.status, p!.desiredCount, p!.pendingCount, p!.runningCount],
      [second.id, "PRIMARY", 2, 2, 0],
    );
    assert.deepEqual(
      [o!.id, o!.status, o!.desiredCount, o!.pendingCount, o!.runningCount],
      [first.id, "ACTIVE", 2, 0, 2],
    );
    sim.advance(15_000);
    sim.pass();
    [p, o] = sim.service().deployments;
    assert.deepEqual([p!.pendingCount, p!.runningCount], [0, 2]);
    // Old tasks stop once the new ones are healthy (40 s after RUNNING).
    sim.advance(SETTLE_MS);
    const stopping = sp(sim.pass());
    assert.equal(stopping.stops.length, 2);
    [p, o] = sim.service().deployments;
    assert.deepEqual([o!.desiredCount, o!.runningCount], [0, 0], "stopping tasks count for neither");
    assert.equal(sim.service().deployments.length, 2, "kept while its tasks are stopping");
    sim.advance(15_000);
    sim.pass();
    assert.deepEqual(
      sim.service().deployments.map((d) => d.id),
      [second.id],
    );
  });
});

describe("scheduler: which tasks are the service's", () => {
  it("a RunTask given the service's group is neither counted nor stopped", () => {
    const td = taskDefinition();
    const inst = instances([AZ[0]!, AZ[1]!]);
    const svc = service({ td, desiredCount: 1 });
    const standalone = task({ td, instance: inst[0]!, group: "service:web", startedBy: "me" });
    const sim = new Sim({
      instances: inst,
      tasks: [standalone],
      services: [svc],
      taskDefinitions: [td],
      now: T0,
    });
    const p = sp(sim.pass());
    assert.equal(p.launches.length, 1, "the service still starts its own task");
    runUntilSteady(sim);
    assert.equal(sim.service().desiredCount, 1);
    assert.deepEqual(sim.activeOf().filter((t) => t.id !== standalone.id).length, 1);
    assert.equal(
      sim.tasksOf().find((t) => t.id === standalone.id)?.task.desiredStatus,
      "RUNNING",
      "the standalone task is left alone",
    );
    assert.equal(serviceNameOf(standalone.task), undefined);
    assert.equal(serviceNameOf({ group: "service:web", startedBy: "ecs-svc/0123456789012345678" }), "web");
  });
});

describe("scheduler: DAEMON", () => {
  const daemonWorld = (
    zones: string[],
    o: {
      constraints?: ServiceRecord["placementConstraints"];
      attrs?: (i: number) => Record<string, string>;
    } = {},
  ) => {
    const td = taskDefinition({ family: "agent" });
    const inst = zones.map((az, n) => containerInstance({ id: `i${n + 1}`, az, attrs: o.attrs?.(n) ?? {} }));
    const svc = service({
      td,
      name: "agent",
      schedulingStrategy: "DAEMON",
      ...(o.constraints ? { constraints: o.constraints } : {}),
    });
    return {
      td,
      inst,
      svc,
      sim: new Sim({ instances: inst, services: [svc], taskDefinitions: [td], now: T0 }),
    };
  };
  const placed = (sim: Sim) =>
    sim
      .activeOf("agent")
      .map((t) => t.instanceId)
      .sort();

  it("runs one task per ACTIVE instance and none on a draining one", () => {
    const { sim } = daemonWorld([AZ[0]!, AZ[1]!, AZ[2]!]);
    sim.setInstanceStatus("i2", "DRAINING");
    runUntilSteady(sim, { name: "agent" });
    assert.deepEqual(placed(sim), ["i1", "i3"]);
    assert.equal(sim.service("agent").desiredCount, 2);
    assert.equal(sim.service("agent").deployments[0]!.rolloutState, "COMPLETED");
  });

  it("starts a task on an instance that joins later, and stops the one on an instance that starts draining", () => {
    const { sim } = daemonWorld([AZ[0]!, AZ[1]!]);
    runUntilSteady(sim, { name: "agent" });
    sim.putInstance(containerInstance({ id: "i3", az: AZ[2]!, registeredAt: sim.now, lastSeenAt: sim.now }));
    runUntilSteady(sim, { name: "agent" });
    assert.deepEqual(placed(sim), ["i1", "i2", "i3"]);
    sim.setInstanceStatus("i1", "DRAINING");
    runUntilSteady(sim, { name: "agent" });
    assert.deepEqual(placed(sim), ["i2", "i3"]);
    assert.equal(sim.service("agent").desiredCount, 2);
  });

  it("reports an instance without room for the daemon's task, once, and runs it everywhere else", () => {
    const td = taskDefinition({ family: "agent" });
    const small = containerInstance({ id: "i2", az: AZ[1]!, memory: 100 });
    const inst = [containerInstance({ id: "i1", az: AZ[0]! }), small];
    const svc = service({ td, name: "agent", schedulingStrategy: "DAEMON" });
    const sim = new Sim({ instances: inst, services: [svc], taskDefinitions: [td], now: T0 });
    assert.deepEqual(
      sp(sim.pass(), "agent").launches.map((l) => l.instanceId),
      ["i1"],
    );
    for (let n = 0; n < 5; n++) {
      sim.advance(MIN);
      sim.pass();
    }
    const event = `(service agent) was unable to place a task because no container instance met all of its requirements. The closest matching (container-instance i2) has insufficient memory available. ${MORE}`;
    assert.equal(
      sim.messages("agent").filter((m) => m === event).length,
      1,
      sim.messages("agent").join("\n"),
    );
    assert.deepEqual(placed(sim), ["i1"]);
  });

  it("honours a memberOf constraint", () => {
    const { sim } = daemonWorld([AZ[0]!, AZ[1]!, AZ[2]!], {
      constraints: [{ type: "memberOf", expression: "attribute:role == edge" }],
      attrs: (n) => (n === 1 ? { role: "batch" } : { role: "edge" }),
    });
    runUntilSteady(sim, { name: "agent" });
    assert.deepEqual(placed(sim), ["i1", "i3"]);
  });

  it("keeps its task on an instance whose agent briefly stopped calling", () => {
    const { sim } = daemonWorld([AZ[0]!, AZ[1]!]);
    runUntilSteady(sim, { name: "agent" });
    sim.silent.add("i2");
    sim.advance(2 * MIN);
    const p = sp(sim.pass(), "agent");
    assert.deepEqual(p.stops, []);
    sim.silent.delete("i2");
    runUntilSteady(sim, { name: "agent" });
    assert.deepEqual(placed(sim), ["i1", "i2"]);
  });

  it("a new deployment replaces the task on every instance, stopping before starting", () => {
    const { sim } = daemonWorld([AZ[0]!, AZ[1]!]);
    runUntilSteady(sim, { name: "agent" });
    const td2 = taskDefinition({ family: "agent", revision: 2 });
    sim.updateService("agent", { td: td2 });
    let maxPerInstance = 0;
    runUntilSteady(sim, {
      name: "agent",
      onPass: () => {
        const live = sim
          .tasksOf("agent")
          .filter((t) => t.task.lastStatus !== "STOPPED" && t.task.desiredStatus === "RUNNING");
        for (const i of ["i1", "i2"])
          maxPerInstance = Math.max(maxPerInstance, live.filter((t) => t.instanceId === i).length);
      },
    });
    assert.equal(maxPerInstance, 1);
    assert.ok(sim.activeOf("agent").every((t) => t.task.taskDefinitionArn === td2.taskDefinitionArn));
    assert.deepEqual(placed(sim), ["i1", "i2"]);
  });
});

describe("scheduler: draining instances", () => {
  function onDraining(o: { min: number; max: number; desired: number }) {
    const td = taskDefinition();
    const inst = instances([AZ[0]!, AZ[1]!]);
    const svc = service({ td, desiredCount: o.desired, minimumHealthyPercent: o.min, maximumPercent: o.max });
    svc.deployments[0]!.rolloutState = "COMPLETED";
    const tasks = Array.from({ length: o.desired }, () => running(svc, td, inst[0]!));
    const standalone = task({ td, instance: inst[0]! });
    const sim = new Sim({
      instances: inst,
      tasks: [...tasks, standalone],
      services: [svc],
      taskDefinitions: [td],
      now: T0,
    });
    sim.setInstanceStatus("i1", "DRAINING");
    return { sim, standalone };
  }

  it("100/200: replacements start elsewhere first, then the draining tasks stop", () => {
    const { sim, standalone } = onDraining({ min: 100, max: 200, desired: 2 });
    const p = sp(sim.pass());
    assert.deepEqual([p.launches.map((l) => l.instanceId), p.stops.length], [["i2", "i2"], 0]);
    const track = boundsTracker(sim);
    runUntilSteady(sim, { onPass: track.onPass });
    assert.ok(track.seen.minHealthy >= 2);
    assert.deepEqual(
      sim.activeOf().map((t) => t.instanceId),
      ["i2", "i2"],
    );
    const alone = [...sim.tasks.values()].find((r) => r.value.id === standalone.id)!.value;
    assert.equal(alone.task.desiredStatus, "RUNNING", "standalone tasks stay");
  });

  it("50/100: stops half first, then starts their replacements", () => {
    const { sim } = onDraining({ min: 50, max: 100, desired: 2 });
    const p = sp(sim.pass());
    assert.deepEqual([p.launches.length, p.stops.length], [0, 1]);
    const track = boundsTracker(sim);
    runUntilSteady(sim, { onPass: track.onPass });
    assert.ok(track.seen.maxActive <= 2 && track.seen.minHealthy >= 1);
    assert.deepEqual(
      sim.activeOf().map((t) => t.instanceId),
      ["i2", "i2"],
    );
  });

  it("100/100: nothing moves and the deployment-configuration event says why", () => {
    const { sim } = onDraining({ min: 100, max: 100, desired: 2 });
    const p = sp(sim.pass());
    assert.deepEqual([p.launches.length, p.stops.length], [0, 0]);
    assert.deepEqual(sim.messages(), [STUCK]);
  });

  it("PENDING service tasks on a draining instance stop at once", () => {
    const td = taskDefinition();
    const inst = instances([AZ[0]!, AZ[1]!]);
    const svc = service({ td, desiredCount: 1, minimumHealthyPercent: 100, maximumPercent: 100 });
    const pending = task({ td, service: svc, instance: inst[0]!, lastStatus: "PENDING" });
    const sim = new Sim({
      instances: inst,
      tasks: [pending],
      services: [svc],
      taskDefinitions: [td],
      now: T0,
    });
    sim.setInstanceStatus("i1", "DRAINING");
    assert.equal(sp(sim.pass()).stops.length, 1);
  });
});

describe("scheduler: unhealthy tasks", () => {
  function unhealthyWorld(
    graceSeconds: number,
    o: { maximumPercent?: number; rolloutState?: "COMPLETED" | "IN_PROGRESS" } = {},
  ) {
    const td = taskDefinition({ healthCheck: true });
    const inst = instances([AZ[0]!, AZ[1]!]);
    const svc = service({
      td,
      desiredCount: 1,
      healthCheckGracePeriodSeconds: graceSeconds,
      ...(o.maximumPercent !== undefined ? { maximumPercent: o.maximumPercent } : {}),
    });
    svc.deployments[0]!.rolloutState = o.rolloutState ?? "COMPLETED";
    const sick = task({
      td,
      service: svc,
      instance: inst[0]!,
      startedAt: T0 - 30_000,
      healthStatus: "UNHEALTHY",
    });
    return {
      sick,
      sim: new Sim({ instances: inst, tasks: [sick], services: [svc], taskDefinitions: [td], now: T0 }),
    };
  }

  it("are left alone within the grace period", () => {
    const { sim } = unhealthyWorld(60);
    const p = sp(sim.pass());
    assert.deepEqual([p.launches.length, p.stops.length], [0, 0]);
  });

  it("after it, get a replacement first, and stop once it is healthy (room under maximumPercent)", () => {
    const { sim, sick } = unhealthyWorld(60);
    sim.now += 31_000;
    const p = sp(sim.pass());
    assert.deepEqual(p.stops, [], "kept running while its replacement starts");
    assert.equal(p.launches.length, 1);
    const fresh = p.launches[0]!.taskId;
    assert.deepEqual(sp(sim.pass()).stops, [], "the same again: nothing more to do yet");
    sim.advance(5_000); // the replacement is RUNNING, its health not known yet
    assert.deepEqual(sp(sim.pass()).stops, []);
    sim.advance(5_000); // ... and now HEALTHY
    const q = sp(sim.pass());
    assert.deepEqual(
      q.stops.map((s) => [s.key.slice(s.key.lastIndexOf("/") + 1), s.reason]),
      [[sick.id, "Task failed container health checks"]],
    );
    assert.equal(q.launches.length, 0);
    assert.deepEqual(sim.messages(), [
      `(service web) (task ${sick.id}) failed container health checks.`,
      `(service web) has started 1 tasks: (task ${fresh}). Amazon ECS replaced 1 tasks due to an unhealthy status.`,
      `(service web) has stopped 1 running tasks: (task ${sick.id}).`,
    ]);
    runUntilSteady(sim);
    assert.deepEqual(
      sim.activeOf().map((t) => t.id),
      [fresh],
    );
  });

  it("with no room under maximumPercent, stop first, one at a time, then get a replacement", () => {
    const { sim, sick } = unhealthyWorld(0, { maximumPercent: 100 });
    const p = sp(sim.pass());
    assert.deepEqual(
      p.stops.map((s) => s.reason),
      ["Task failed container health checks"],
    );
    assert.equal(p.launches.length, 0);
    sim.advance(5_000); // stopped
    const q = sp(sim.pass());
    assert.equal(q.launches.length, 1);
    assert.deepEqual(sim.messages(), [
      `(service web) (task ${sick.id}) failed container health checks.`,
      `(service web) has stopped 1 running tasks: (task ${sick.id}).`,
      `(service web) has started 1 tasks: (task ${q.launches[0]!.taskId}). Amazon ECS replaced 1 tasks due to an unhealthy status.`,
    ]);
  });

  it("during a deployment, are stopped at once (their failures feed the circuit breaker)", () => {
    const { sim } = unhealthyWorld(0, { rolloutState: "IN_PROGRESS" });
    const p = sp(sim.pass());
    assert.deepEqual(
      p.stops.map((s) => s.reason),
      ["Task failed container health checks"],
    );
    assert.equal(p.launches.length, 1);
  });
});

describe("scheduler: circuit breaker", () => {
  it("the threshold is clamp(ceil(desired / 2), 3, 200)", () => {
    for (const [desired, threshold] of [
      [0, 3],
      [1, 3],
      [6, 3],
      [7, 4],
      [8, 4],
      [25, 13],
      [399, 200],
      [400, 200],
      [800, 200],
    ]) {
      assert.equal(failureThreshold(desired!), threshold, `desired ${desired}`);
    }
  });

  /** Tasks of `td` fail to start, one per agent step (the others wait), so failures can be counted one by one. */
  const failNew = (td: StoredTaskDefinition): Fate => {
    let lastFailure = -1;
    return {
      starts: (t, now) => {
        if (t.task.taskDefinitionArn !== td.taskDefinitionArn) return true;
        if (lastFailure === now) return "wait";
        lastFailure = now;
        return false;
      },
    };
  };

  for (const resetOnHealthyTask of [undefined, false]) {
    it(`a healthy task of the deployment ${resetOnHealthyTask === false ? "does not reset" : "resets"} the failure count (resetOnHealthyTask ${resetOnHealthyTask})`, () => {
      const { sim, second, td2 } = deployed({
        desired: 4,
        min: 100,
        max: 200,
        circuitBreaker: {
          enable: true,
          rollback: false,
          ...(resetOnHealthyTask === false ? { resetOnHealthyTask } : {}),
        },
      });
      // The new revision's first task starts and turns healthy (40 s later); every other one waits
      // until then, and fails to start.
      let good: { id: string; at: number } | undefined;
      sim.fate = {
        starts: (t, now) => {
          if (t.task.taskDefinitionArn !== td2.taskDefinitionArn) return true;
          good ??= { id: t.id, at: now };
          if (t.id === good.id) return true;
          return now < good.at + 45_000 ? "wait" : false;
        },
      };
      runUntilSteady(sim, { limit: 120 });
      const d = sim.service().deployments.find((x) => x.id === second.id)!;
      if (resetOnHealthyTask === false) {
        assert.equal(d.rolloutState, "FAILED");
        assert.equal(d.failedTasks, failureThreshold(4));
      } else {
        assert.equal(d.rolloutState, "IN_PROGRESS", "failures keep being reset by the healthy task");
        assert.equal(d.status, "PRIMARY");
      }
    });
  }

  for (const desired of [1, 8]) {
    it(`trips after ${failureThreshold(desired)} failed starts (desired ${desired}) and rolls back to the last completed deployment`, () => {
      const { sim, first, second, td1, td2 } = deployed({
        desired,
        min: 100,
        max: 200,
        circuitBreaker: { enable: true, rollback: true },
        zones: [AZ[0]!, AZ[1]!, AZ[2]!],
      });
      sim.fate = failNew(td2);
      let trippedAfter = -1;
      runUntilSteady(sim, {
        limit: 400,
        onPass: () => {
          const failed = sim
            .tasksOf()
            .filter((t) => t.task.startedBy === second.id && t.task.stopCode === "TaskFailedToStart").length;
          if (trippedAfter < 0 && sim.service().deployments[0]!.id === first.id) trippedAfter = failed;
        },
      });
      assert.equal(trippedAfter, failureThreshold(desired));
      const svc = sim.service();
      assert.deepEqual(
        svc.deployments.map((d) => [d.id, d.status, d.rolloutState]),
        [[first.id, "PRIMARY", "COMPLETED"]],
      );
      assert.equal(svc.taskDefinition, td1.taskDefinitionArn);
      assert.equal(sim.activeOf().length, desired);
      const m = sim.messages();
      const failedAt = m.indexOf(
        `(service web) (deployment ${second.id}) deployment failed: tasks failed to start.`,
      );
      assert.ok(failedAt >= 0, m.join("\n"));
      assert.equal(m[failedAt + 1], `(service web) rolling back to deployment ${first.id}.`);
      assert.ok(m.slice(failedAt).includes(`(service web) (deployment ${first.id}) deployment completed.`));
      assert.equal(sim.serviceDeployments.get(second.serviceDeploymentKey)?.status, "ROLLBACK_SUCCESSFUL");
    });
  }

  it("while rolling back, the old deployment is PRIMARY again with its id and ECS's reason; the failed one is ACTIVE and FAILED", () => {
    // 0/100: the old tasks stop first, so the rollback has to start them again; one failed task is still PENDING.
    const { sim, first, second, td2 } = deployed({
      desired: 4,
      min: 0,
      max: 100,
      circuitBreaker: { enable: true, rollback: true },
    });
    sim.fate = failNew(td2);
    for (let n = 0; n < 100 && sim.service().deployments[0]!.id !== first.id; n++) {
      sim.pass();
      sim.advance(15_000);
    }
    const [p, f] = sim.service().deployments;
    assert.deepEqual(
      [p!.id, p!.status, p!.rolloutState, p!.rolloutStateReason],
      [
        first.id,
        "PRIMARY",
        "IN_PROGRESS",
        `ECS deployment circuit breaker: rolling back to deploymentId ${first.id}.`,
      ],
    );
    assert.deepEqual(
      [f!.id, f!.status, f!.rolloutState, f!.rolloutStateReason],
      [second.id, "ACTIVE", "FAILED", "ECS deployment circuit breaker: tasks failed to start."],
    );
    assert.equal(sim.serviceDeployments.get(second.serviceDeploymentKey)?.status, "ROLLBACK_IN_PROGRESS");
    runUntilSteady(sim);
    assert.equal(sim.serviceDeployments.get(second.serviceDeploymentKey)?.status, "ROLLBACK_SUCCESSFUL");
    assert.deepEqual(
      sim.service().deployments.map((d) => [d.id, d.rolloutState, d.rolloutStateReason]),
      [[first.id, "COMPLETED", `ECS deployment ${first.id} completed.`]],
    );
  });

  it("without rollback: the deployment FAILS, stays PRIMARY, launches nothing more and keeps the old tasks", () => {
    const { sim, first, second, td2 } = deployed({
      desired: 2,
      min: 50,
      max: 200,
      circuitBreaker: { enable: true, rollback: false },
    });
    sim.fate = failNew(td2);
    for (let n = 0; n < 200 && sim.service().deployments[0]!.rolloutState !== "FAILED"; n++) {
      sim.pass();
      sim.advance(15_000);
    }
    assert.deepEqual(
      sim.service().deployments.map((d) => [d.id, d.status, d.rolloutState]),
      [
        [second.id, "PRIMARY", "FAILED"],
        [first.id, "ACTIVE", "COMPLETED"],
      ],
    );
    assert.equal(sim.serviceDeployments.get(second.serviceDeploymentKey)?.status, "STOPPED");
    const oldLeft = sim.activeOf().filter((t) => t.task.startedBy === first.id).length;
    assert.ok(oldLeft >= 1, "never below minimumHealthyPercent");
    for (let n = 0; n < 20; n++) {
      const p = sp(sim.pass());
      assert.deepEqual([p.launches.length, p.stops.length], [0, 0]);
      sim.advance(MIN);
    }
    assert.equal(sim.activeOf().filter((t) => t.task.startedBy === first.id).length, oldLeft);
  });

  it("a task of the rolled-back-to deployment that failed long ago does not count against the rollback", () => {
    const { sim, first, td2 } = deployed({
      desired: 1,
      min: 0,
      max: 100,
      circuitBreaker: { enable: true, rollback: true },
    });
    // Three old failures of the first deployment, still describable (stopped within the hour).
    const inst = sim.instance("i1");
    for (const id of ["f1", "f2", "f3"]) {
      sim.putTask(
        task({
          td: sim.td(first.taskDefinition)!,
          instance: inst,
          group: "service:web",
          startedBy: first.id,
          id,
          lastStatus: "STOPPED",
          stoppedAt: sim.now - 10 * MIN,
          stopCode: "EssentialContainerExited",
          startedAt: sim.now - 20 * MIN,
        }),
      );
    }
    sim.fate = failNew(td2);
    runUntilSteady(sim, { limit: 300 });
    const svc = sim.service();
    assert.deepEqual(
      svc.deployments.map((d) => [d.id, d.rolloutState]),
      [[first.id, "COMPLETED"]],
    );
  });
});

describe("scheduler: start throttle", () => {
  it("follows the research schedule: none for 3 failures, then 1, 2, 4, 8 and 15 minutes", () => {
    const table: [number, number][] = [
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 2],
      [5, 4],
      [6, 8],
      [7, 15],
      [8, 15],
      [50, 15],
    ];
    for (const [failures, minutes] of table)
      assert.equal(throttleDelayMs(failures), minutes * MIN, `${failures} failures`);
  });

  it("delays launches after repeated start failures, says so once, and resets on UpdateService", () => {
    const td = taskDefinition();
    const svc = service({ td, desiredCount: 1 });
    const sim = new Sim({
      instances: instances([AZ[0]!]),
      services: [svc],
      taskDefinitions: [td],
      now: T0,
      fate: { starts: () => false },
    });
    const launches: number[] = [];
    const stops: number[] = [];
    // Three hours: longer than the hour stopped tasks stay describable, so the throttle cannot
    // rely on them to remember how many starts failed.
    for (let n = 0; n < (3 * HOUR) / 15_000; n++) {
      if (sp(sim.pass()).launches.length > 0) launches.push(sim.now);
      const before = new Set(
        sim
          .tasksOf()
          .filter((t) => t.task.lastStatus === "STOPPED")
          .map((t) => t.id),
      );
      sim.advance(15_000);
      for (const t of sim.tasksOf())
        if (t.task.lastStatus === "STOPPED" && !before.has(t.id)) stops.push(t.task.stoppedAt!);
    }
    // Gap between failure k's stop and the next launch.
    const gaps = launches.slice(1).map((l, k) => Math.round((l - stops[k]!) / 1000));
    assert.deepEqual(gaps.slice(0, 6), [0, 0, 60, 120, 240, 480]);
    assert.ok(gaps.length >= 12, `${gaps.length} launches`);
    assert.deepEqual(new Set(gaps.slice(6)), new Set([900]));
    const throttled = `(service web) is unable to consistently start tasks successfully. ${MORE}`;
    assert.equal(sim.messages().filter((m) => m === throttled).length, 1);
    // UpdateService with a new task definition: back to normal at once.
    const td2 = taskDefinition({ revision: 2 });
    sim.fate = {};
    sim.updateService("web", { td: td2 });
    assert.equal(sp(sim.pass()).launches.length, 1);
  });

  it("a task that starts resets the count: the next failures wait only after three more", () => {
    const td = taskDefinition();
    const svc = service({ td, desiredCount: 1 });
    // Attempts 1-4 fail to start, attempt 5 runs and later exits, attempts 6 on fail again.
    const attempt = new Map<string, number>();
    const nth = (t: TaskRecord) => {
      if (!attempt.has(t.id)) attempt.set(t.id, attempt.size + 1);
      return attempt.get(t.id)!;
    };
    const sim = new Sim({
      instances: instances([AZ[0]!]),
      services: [svc],
      taskDefinitions: [td],
      now: T0,
      fate: {
        starts: (t) => nth(t) === 5,
        crashes: (t, now) => nth(t) === 5 && now - t.task.startedAt! >= 5 * MIN,
      },
    });
    const launches: number[] = [];
    for (let n = 0; n < (2 * HOUR) / 15_000 && launches.length < 9; n++) {
      if (sp(sim.pass()).launches.length > 0) launches.push(sim.now);
      sim.advance(15_000);
    }
    const stoppedAt = (k: number) => sim.tasksOf().find((t) => attempt.get(t.id) === k)!.task.stoppedAt!;
    const gap = (k: number) => Math.round((launches[k]! - stoppedAt(k)) / 1000);
    // After failures 3 and 4: 1 and 2 minutes. Attempt 5 started, so failures 6, 7 relaunch at
    // once and failure 8 (the third in a row) waits a minute.
    assert.deepEqual([3, 4, 5, 6, 7, 8].map(gap), [60, 120, 0, 0, 0, 60]);
  });
});

describe("scheduler: events", () => {
  it("keeps at most 100, newest first", () => {
    const td = taskDefinition();
    const svc = service({ td, desiredCount: 2 });
    svc.events = Array.from({ length: 100 }, (_, n) => ({
      id: `e${n}`,
      createdAt: T0 - 1000 - n,
      message: `old ${n}`,
    }));
    const sim = new Sim({ instances: instances([AZ[0]!]), services: [svc], taskDefinitions: [td], now: T0 });
    sim.pass();
    const events = sim.service().events;
    assert.equal(events.length, 100);
    assert.match(events[0]!.message, /has started 2 tasks/);
    assert.equal(events[1]!.message, "old 0");
    assert.equal(events[99]!.message, "old 98");
    for (let n = 1; n < events.length; n++) assert.ok(events[n - 1]!.createdAt > events[n]!.createdAt);
  });

  it("repeats the steady state every 6 hours, not sooner", () => {
    const td = taskDefinition();
    const sim = new Sim({
      instances: instances([AZ[0]!]),
      services: [service({ td, desiredCount: 1 })],
      taskDefinitions: [td],
      now: T0,
    });
    runUntilSteady(sim);
    const steady = () =>
      sim.messages().filter((m) => m === "(service web) has reached a steady state.").length;
    assert.equal(steady(), 1);
    const at = sim.service().events[0]!.createdAt;
    sim.advance(at + 6 * HOUR - MIN - sim.now);
    sim.pass();
    assert.equal(steady(), 1);
    sim.advance(2 * MIN);
    sim.pass();
    assert.equal(steady(), 2);
    sim.pass();
    assert.equal(steady(), 2);
  });

  it("reports the steady state again after a change, and not twice for one", () => {
    const td = taskDefinition();
    const sim = new Sim({
      instances: instances([AZ[0]!, AZ[1]!]),
      services: [service({ td, desiredCount: 1 })],
      taskDefinitions: [td],
      now: T0,
    });
    runUntilSteady(sim);
    sim.updateService("web", { desiredCount: 2 });
    runUntilSteady(sim);
    const m = sim.messages();
    assert.equal(m.filter((x) => x === "(service web) has reached a steady state.").length, 2);
    assert.equal(m.at(-1), "(service web) has reached a steady state.");
  });
});

describe("scheduler: DeleteService", () => {
  it("a draining service stops its tasks, then becomes INACTIVE; standalone tasks stay", () => {
    const td = taskDefinition();
    const inst = instances([AZ[0]!]);
    const svc = service({ td, desiredCount: 2 });
    const tasks = [running(svc, td, inst[0]!), running(svc, td, inst[0]!)];
    const alone = task({ td, instance: inst[0]! });
    const sim = new Sim({
      instances: inst,
      tasks: [...tasks, alone],
      services: [svc],
      taskDefinitions: [td],
      now: T0,
    });
    sim.deleteService("web");
    const p = sp(sim.pass());
    assert.equal(p.stops.length, 2);
    assert.ok(
      p.stops.every(
        (s) => s.reason === `Scaling activity initiated by (deployment ${svc.deployments[0]!.id})`,
      ),
    );
    assert.equal(p.launches.length, 0);
    assert.equal(sim.service().status, "DRAINING");
    sp(sim.pass());
    assert.equal(sim.service().status, "INACTIVE");
    // An INACTIVE service is not planned any more.
    assert.deepEqual(sim.plan().services, []);
    const a = [...sim.tasks.values()].find((r) => r.value.id === alone.id)!;
    assert.equal(a.value.task.desiredStatus, "RUNNING");
  });

  it("a service with no tasks becomes INACTIVE in one pass", () => {
    const td = taskDefinition();
    const sim = new Sim({
      instances: instances([AZ[0]!]),
      services: [service({ td, desiredCount: 0 })],
      taskDefinitions: [td],
      now: T0,
    });
    sim.deleteService("web");
    sim.pass();
    assert.equal(sim.service().status, "INACTIVE");
  });
});

describe("scheduler: several services share the instances", () => {
  it("never places more than an instance holds across services in one pass", () => {
    const td = taskDefinition({ memoryMiB: 1024 });
    const inst = instances([AZ[0]!, AZ[1]!], { memory: 3072 });
    const a = service({ td, name: "a", desiredCount: 4 });
    const b = service({ td, name: "b", desiredCount: 4 });
    const sim = new Sim({ instances: inst, services: [a, b], taskDefinitions: [td], now: T0 });
    const p = sim.pass();
    assert.equal(sp(p, "a").launches.length + sp(p, "b").launches.length, 6);
    const perInstance = new Map<string, number>();
    for (const t of [...sim.activeOf("a"), ...sim.activeOf("b")])
      perInstance.set(t.instanceId!, (perInstance.get(t.instanceId!) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(perInstance), { i1: 3, i2: 3 });
    void azOf;
  });
});
