/**
 * The task runner (src/agent/engine/task-runner.ts) against the in-memory runtime, which passes the
 * same contract suite as Docker (test/contract/runtime.case.ts), with a ManualClock and a host that
 * records what the runner reports. Engine events kick the runner, as the agent wires them.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest } from "@aws-sdk/client-ecs";
import { LABEL } from "../../src/agent/engine/container-spec.js";
import { type PullBehavior, type RunnerHost, TaskRunner } from "../../src/agent/engine/task-runner.js";
import { MemoryRuntime } from "../../src/agent/runtime/memory-runtime.js";
import type { ContainerSpec, ContainerState, Subscription } from "../../src/agent/runtime/runtime.js";
import type { DesiredTask, TaskReport } from "../../src/agentapi/protocol.js";
import { buildTaskDefinition, type StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import { statusRank } from "../../src/domain/ecs/task-status.js";
import { ManualClock } from "../../src/lib/clock.js";
import { hexId } from "../../src/lib/ids.js";
import { silentLogger } from "../../src/lib/log.js";
import { eventually } from "../helpers/berth.js";

const IMAGE = "fake/app:1";

type Container = Record<string, unknown>;

function taskDefinition(containers: Container[], extra: Record<string, unknown> = {}): StoredTaskDefinition {
  return buildTaskDefinition(
    { family: "web", containerDefinitions: containers, ...extra } as unknown as RegisterTaskDefinitionRequest,
    {
      arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
      revision: 1,
      registeredAt: 0,
      registeredBy: "arn:aws:iam::000000000000:root",
    },
  );
}

/** A container that runs until stopped; `over` tweaks it. */
const C = (name: string, over: Container = {}): Container => ({
  name,
  image: IMAGE,
  memory: 32,
  command: ["fake:run"],
  ...over,
});

function desired(td: StoredTaskDefinition, over: Partial<DesiredTask> = {}): DesiredTask {
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/default/${hexId(16)}`,
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
    desiredStatus: "RUNNING",
    lastStatus: "PROVISIONING",
    taskDefinition: td,
    overrides: {},
    containerArns: {},
    launchType: "EC2",
    availabilityZone: "us-east-1a",
    createdAt: 0,
    version: 1,
    ...over,
  };
}

interface Harness {
  clock: ManualClock;
  runtime: MemoryRuntime;
  reports: TaskReport[];
  /** Runtime calls, in order: "create <container>", "start <container>", "stop <container>", "pull <image>". */
  calls: string[];
  started: string[];
  host: RunnerHost;
  run(spec: DesiredTask, adopted?: readonly ContainerState[]): TaskRunner;
}

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const s of subscriptions.splice(0)) s.close();
});

function harness(opts: { pullBehavior?: PullBehavior; registry?: string[]; local?: string[] } = {}): Harness {
  const clock = new ManualClock();
  const runtime = new MemoryRuntime(clock);
  for (const i of opts.registry ?? [IMAGE]) runtime.addRegistryImage(i);
  for (const i of opts.local ?? []) runtime.addLocalImage(i);
  const reports: TaskReport[] = [];
  const calls: string[] = [];
  const started: string[] = [];
  const nameOf = async (id: string) => (await runtime.inspect(id))?.labels[LABEL.container];
  const create = runtime.create.bind(runtime);
  const start = runtime.start.bind(runtime);
  const stop = runtime.stop.bind(runtime);
  const pull = runtime.pullImage.bind(runtime);
  runtime.create = async (spec) => {
    calls.push(`create ${spec.labels[LABEL.container]}`);
    return create(spec);
  };
  runtime.start = async (id) => {
    calls.push(`start ${await nameOf(id)}`);
    return start(id);
  };
  runtime.stop = async (id, t) => {
    calls.push(`stop ${await nameOf(id)}`);
    return stop(id, t);
  };
  runtime.pullImage = async (ref) => {
    calls.push(`pull ${ref}`);
    return pull(ref);
  };
  const host: RunnerHost = {
    runtime,
    clock,
    log: silentLogger,
    instanceId: "0123456789abcdef",
    clusterName: "default",
    region: "us-east-1",
    bridgeNetwork: "berth-test",
    bindIp: "",
    pullBehavior: opts.pullBehavior ?? "default",
    pulled: new Set(),
    metadataUrls: (_task, container) => ({
      v3: `http://169.254.170.2/v3/${container}`,
      v4: `http://169.254.170.2/v4/${container}`,
      token: `token-${container}`,
    }),
    taskCgroup: async () => undefined,
    removeTaskCgroup: async () => {},
    agentEnv: () => ({ env: {}, labels: {} }),
    resolveSecrets: async () => undefined,
    hostPortRange: async () => 40000,
    containerStarted: (_task, def) => started.push(def.name!),
    report: (r) => reports.push(structuredClone(r)),
  };
  return {
    clock,
    runtime,
    reports,
    calls,
    started,
    host,
    run(spec, adopted = []) {
      const runner = new TaskRunner(spec, adopted, host);
      // As the agent does: engine events about a task's containers kick its runner.
      subscriptions.push(
        runtime.events(LABEL.instance, (e) => {
          if (runner.owns(e.id)) void runner.kick();
        }),
      );
      void runner.kick();
      return runner;
    },
  };
}

const statuses = (reports: TaskReport[]) => reports.map((r) => r.lastStatus);
const last = (reports: TaskReport[]) => reports[reports.length - 1]!;
const containerIdOf = (runner: TaskRunner, name: string) =>
  runner.view().containers.find((c) => c.observed.name === name)!.observed.id!;

async function until(h: Harness, status: string, what = status): Promise<TaskReport> {
  return eventually(() => h.reports.find((r) => r.lastStatus === status), {
    what,
    timeoutMs: 5000,
    intervalMs: 5,
  });
}

function assertInOrder(reports: TaskReport[]): void {
  for (let i = 1; i < reports.length; i++) {
    assert.ok(
      statusRank(reports[i]!.lastStatus) >= statusRank(reports[i - 1]!.lastStatus),
      `status went backwards: ${statuses(reports).join(" → ")}`,
    );
  }
}

describe("TaskRunner on the in-memory runtime", () => {
  it("takes a task from PENDING to RUNNING, reporting in order", async () => {
    const h = harness();
    const spec = desired(
      taskDefinition([C("web", { portMappings: [{ containerPort: 80 }] }), C("side", { essential: false })]),
    );
    const runner = h.run(spec);
    const running = await until(h, "RUNNING");
    assert.equal(h.reports[0]!.lastStatus, "PENDING");
    assert.deepEqual([...new Set(statuses(h.reports))], ["PENDING", "RUNNING"]);
    assertInOrder(h.reports);
    assert.equal(running.taskArn, spec.taskArn);
    assert.equal(running.startedAt, h.clock.now());
    assert.equal(running.pullStartedAt, h.clock.now());
    assert.equal(running.pullStoppedAt, h.clock.now());
    assert.equal(running.stopCode, undefined);
    assert.deepEqual(
      running.containers.map((c) => [c.name, c.lastStatus, c.runtimeId === containerIdOf(runner, c.name)]),
      [
        ["web", "RUNNING", true],
        ["side", "RUNNING", true],
      ],
    );
    const web = running.containers.find((c) => c.name === "web")!;
    assert.equal(web.networkBindings?.length, 1);
    assert.equal(web.networkBindings![0]!.containerPort, 80);
    assert.ok((web.networkBindings![0]!.hostPort ?? 0) > 0);
    assert.deepEqual(
      h.calls.filter((c) => c.startsWith("pull")),
      [`pull ${IMAGE}`],
    );
    assert.deepEqual([...h.started].sort(), ["side", "web"]);
    assert.equal(runner.view().known, "RUNNING");
    // Nothing changes, nothing is reported again.
    const count = h.reports.length;
    await runner.kick();
    assert.equal(h.reports.length, count);
  });

  it("fails with CannotPullContainerError when no registry has the image and it is not local", async () => {
    const h = harness({ registry: [] });
    h.run(desired(taskDefinition([C("web")])));
    const stopped = await until(h, "STOPPED");
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.match(
      stopped.stoppedReason!,
      /^CannotPullContainerError: Error response from daemon: pull access denied for fake\/app:1/,
    );
    assert.equal(stopped.containers[0]!.lastStatus, "STOPPED");
    assert.match(stopped.containers[0]!.reason!, /^CannotPullContainerError: /);
    assert.ok(stopped.pullStartedAt !== undefined && stopped.pullStoppedAt !== undefined);
    assert.ok(!h.calls.some((c) => c.startsWith("create")));
    assertInOrder(h.reports);
  });

  it("marks every container STOPPED when the pull of another container's image fails", async () => {
    const h = harness({ registry: [IMAGE] });
    h.run(desired(taskDefinition([C("web"), C("sidecar", { image: "fake/missing:1", essential: false })])));
    const stopped = await until(h, "STOPPED");
    assert.deepEqual(
      stopped.containers.map((c) => [c.name, c.lastStatus]),
      [
        ["web", "STOPPED"],
        ["sidecar", "STOPPED"],
      ],
    );
    assert.match(stopped.containers[1]!.reason!, /^CannotPullContainerError: /);
  });

  it("falls back to a cached image when the pull fails (the default behaviour)", async () => {
    const h = harness({ registry: [], local: [IMAGE] });
    h.run(desired(taskDefinition([C("web")])));
    await until(h, "RUNNING");
    assert.deepEqual(
      h.calls.filter((c) => c.startsWith("pull")),
      [`pull ${IMAGE}`],
    );
  });

  it("does not fall back to a cached image with the 'always' behaviour", async () => {
    const h = harness({ registry: [], local: [IMAGE], pullBehavior: "always" });
    h.run(desired(taskDefinition([C("web")])));
    const stopped = await until(h, "STOPPED");
    assert.match(stopped.stoppedReason!, /^CannotPullContainerError: /);
  });

  it("does not pull a cached image with 'prefer-cached', nor an image it pulled before with 'once'", async () => {
    const cached = harness({ registry: [], local: [IMAGE], pullBehavior: "prefer-cached" });
    cached.run(desired(taskDefinition([C("web")])));
    await until(cached, "RUNNING");
    assert.deepEqual(
      cached.calls.filter((c) => c.startsWith("pull")),
      [],
    );

    const once = harness({ pullBehavior: "once" });
    once.run(desired(taskDefinition([C("web")])));
    await until(once, "RUNNING");
    once.reports.length = 0;
    once.run(desired(taskDefinition([C("web")])));
    await until(once, "RUNNING");
    assert.deepEqual(
      once.calls.filter((c) => c.startsWith("pull")),
      [`pull ${IMAGE}`],
    );
  });

  it("stops the task with EssentialContainerExited when an essential container exits", async () => {
    const h = harness();
    const runner = h.run(desired(taskDefinition([C("web"), C("side", { essential: false })])));
    await until(h, "RUNNING");
    h.clock.advance(5000);
    h.runtime.exit(containerIdOf(runner, "web"), 3);
    const stopped = await until(h, "STOPPED");
    assert.equal(stopped.stopCode, "EssentialContainerExited");
    assert.equal(stopped.stoppedReason, "Essential container in task exited");
    const web = stopped.containers.find((c) => c.name === "web")!;
    assert.deepEqual([web.lastStatus, web.exitCode], ["STOPPED", 3]);
    const side = stopped.containers.find((c) => c.name === "side")!;
    assert.deepEqual([side.lastStatus, side.exitCode], ["STOPPED", 143]);
    assert.ok(h.calls.includes("stop side"));
    assert.ok(!h.calls.includes("stop web"), "an exited container is not stopped again");
    assert.equal(stopped.executionStoppedAt, h.clock.now());
    assert.equal(stopped.stoppedAt, h.clock.now());
    assertInOrder(h.reports);
    assert.ok(runner.finished);
  });

  it("keeps the task RUNNING when a non-essential container exits", async () => {
    const h = harness();
    const runner = h.run(desired(taskDefinition([C("web"), C("job", { essential: false })])));
    await until(h, "RUNNING");
    h.runtime.exit(containerIdOf(runner, "job"), 1);
    await eventually(() => last(h.reports).containers.find((c) => c.name === "job")?.exitCode === 1, {
      what: "job's exit reported",
    });
    assert.equal(last(h.reports).lastStatus, "RUNNING");
    assert.equal(runner.view().known, "RUNNING");
  });

  it("reports an out-of-memory kill with ECS's reason", async () => {
    const h = harness();
    const runner = h.run(desired(taskDefinition([C("web")])));
    await until(h, "RUNNING");
    h.runtime.exit(containerIdOf(runner, "web"), 137, true);
    const stopped = await until(h, "STOPPED");
    assert.equal(stopped.containers[0]!.reason, "OutOfMemoryError: Container killed due to memory usage");
    assert.equal(stopped.containers[0]!.exitCode, 137);
  });

  it("stops every container when asked to (desiredStatus STOPPED), dependents first, and ends STOPPED", async () => {
    const h = harness();
    const td = taskDefinition([
      C("app", { dependsOn: [{ containerName: "db", condition: "START" }] }),
      C("db"),
    ]);
    const spec = desired(td);
    const runner = h.run(spec);
    await until(h, "RUNNING");
    assert.deepEqual(
      h.calls.filter((c) => c.startsWith("start")),
      ["start db", "start app"],
    );
    h.clock.advance(1000);
    runner.update({ ...spec, desiredStatus: "STOPPED", version: 2 });
    const stopped = await until(h, "STOPPED");
    assert.deepEqual(
      h.calls.filter((c) => c.startsWith("stop")),
      ["stop app", "stop db"],
    );
    assert.equal(stopped.stopCode, undefined, "the control plane's stop carries its own code");
    assert.deepEqual(
      stopped.containers.map((c) => [c.name, c.lastStatus, c.exitCode]),
      [
        ["app", "STOPPED", 143],
        ["db", "STOPPED", 143],
      ],
    );
    assert.equal(stopped.executionStoppedAt, h.clock.now());
    assertInOrder(h.reports);
    assert.ok(runner.finished);
  });

  it("starts containers in dependsOn order: SUCCESS of a one-shot container, HEALTHY of a checked one", async () => {
    const h = harness();
    const td = taskDefinition([
      C("app", {
        dependsOn: [
          { containerName: "migrate", condition: "SUCCESS" },
          { containerName: "db", condition: "HEALTHY" },
        ],
      }),
      C("migrate", { essential: false, command: ["fake:print", "migrated", "exit:0"] }),
      C("db", { healthCheck: { command: ["CMD-SHELL", "true"] } }),
    ]);
    const runner = h.run(desired(td));
    await eventually(
      () => h.calls.includes("start db") && h.reports.some((r) => r.containers[1]!.exitCode === 0),
      {
        what: "migrate done and db started",
      },
    );
    assert.ok(!h.calls.includes("start app"), "app waits for db to be healthy");
    h.runtime.setHealth(containerIdOf(runner, "db"), "healthy");
    const running = await until(h, "RUNNING");
    assert.equal(h.calls.filter((c) => c.startsWith("start")).pop(), "start app");
    assert.equal(running.healthStatus, "HEALTHY");
  });

  it("gives up when a dependency does not become healthy within its startTimeout", async () => {
    const h = harness();
    const td = taskDefinition([
      C("app", { dependsOn: [{ containerName: "db", condition: "HEALTHY" }] }),
      C("db", { startTimeout: 5, healthCheck: { command: ["CMD-SHELL", "true"] } }),
    ]);
    const runner = h.run(desired(td));
    await eventually(() => h.calls.includes("start db"), { what: "db started" });
    await runner.kick();
    assert.equal(runner.view().known, "PENDING");
    h.clock.advance(5001);
    await runner.kick();
    const stopped = await until(h, "STOPPED");
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.equal(
      stopped.stoppedReason,
      "CannotStartContainerError: dependency db did not reach HEALTHY within its startTimeout of 5s",
    );
    assert.ok(!h.calls.includes("start app"));
  });

  it("fails to start when a SUCCESS dependency exits non-zero", async () => {
    const h = harness();
    const td = taskDefinition([
      C("app", { dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }] }),
      C("migrate", { essential: false, command: ["fake:print", "exit:2"] }),
    ]);
    h.run(desired(td));
    const stopped = await until(h, "STOPPED");
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.match(
      stopped.stoppedReason!,
      /dependency migrate exited with code 2, but app needs it to succeed/,
    );
    assert.ok(!h.calls.includes("start app"));
  });

  it("adopts a task's containers after an agent restart without creating or starting anything", async () => {
    const h = harness();
    const spec = desired(taskDefinition([C("web"), C("side", { essential: false })]));
    const first = h.run(spec);
    await until(h, "RUNNING");
    const ids = first.containerIds().sort();
    for (const s of subscriptions.splice(0)) s.close();

    h.calls.length = 0;
    h.reports.length = 0;
    const adopted = await h.runtime.list({ [LABEL.taskArn]: spec.taskArn });
    const second = h.run({ ...spec, lastStatus: "RUNNING" }, adopted);
    const report = await until(h, "RUNNING");
    assert.deepEqual(h.calls, [], "no pull, create or start");
    assert.deepEqual(second.containerIds().sort(), ids);
    assert.deepEqual(
      report.containers.map((c) => [c.name, c.lastStatus]),
      [
        ["web", "RUNNING"],
        ["side", "RUNNING"],
      ],
    );
    // The adopted runner still follows the containers.
    h.runtime.exit(containerIdOf(second, "web"), 0);
    const stopped = await until(h, "STOPPED");
    assert.equal(stopped.stopCode, "EssentialContainerExited");
  });

  it("reports an essential container that exited while the agent was away", async () => {
    const h = harness();
    const spec = desired(taskDefinition([C("web")]));
    const first = h.run(spec);
    await until(h, "RUNNING");
    for (const s of subscriptions.splice(0)) s.close();
    h.runtime.exit(containerIdOf(first, "web"), 9);
    h.reports.length = 0;
    h.calls.length = 0;
    h.run({ ...spec, lastStatus: "RUNNING" }, await h.runtime.list({ [LABEL.taskArn]: spec.taskArn }));
    const stopped = await until(h, "STOPPED");
    assert.equal(stopped.stopCode, "EssentialContainerExited");
    assert.equal(stopped.containers[0]!.exitCode, 9);
    assert.ok(!h.calls.some((c) => c.startsWith("create") || c.startsWith("start")));
  });

  it("removeAll removes the task's containers and its task-scoped volumes", async () => {
    const h = harness();
    const td = taskDefinition(
      [C("web", { mountPoints: [{ sourceVolume: "scratch", containerPath: "/scratch" }] })],
      { volumes: [{ name: "scratch", dockerVolumeConfiguration: { scope: "task", driver: "local" } }] },
    );
    const spec = desired(td);
    const runner = h.run(spec);
    await until(h, "RUNNING");
    const ids = runner.containerIds();
    assert.equal((await h.runtime.listVolumes({ [LABEL.taskVolume]: spec.taskArn })).length, 1);
    runner.update({ ...spec, desiredStatus: "STOPPED" });
    await until(h, "STOPPED");
    await runner.removeAll();
    for (const id of ids) assert.equal(await h.runtime.inspect(id), undefined);
    assert.deepEqual(runner.containerIds(), []);
    assert.deepEqual(await h.runtime.listVolumes({ [LABEL.taskVolume]: spec.taskArn }), []);
  });

  it("prepares the task's volumes and cgroup once, though its containers are created together", async () => {
    const h = harness();
    const volumes: string[] = [];
    const createVolume = h.runtime.createVolume.bind(h.runtime);
    h.runtime.createVolume = async (name, opts) => {
      volumes.push(name);
      return createVolume(name, opts);
    };
    let cgroups = 0;
    h.host.taskCgroup = async () => {
      cgroups++;
      return "/berth/task";
    };
    const td = taskDefinition(
      [
        C("a", { mountPoints: [{ sourceVolume: "scratch", containerPath: "/s" }] }),
        C("b", { mountPoints: [{ sourceVolume: "scratch", containerPath: "/s" }] }),
        C("c"),
      ],
      { volumes: [{ name: "scratch", dockerVolumeConfiguration: { scope: "task", driver: "local" } }] },
    );
    h.run(desired(td));
    await until(h, "RUNNING");
    assert.equal(h.calls.filter((c) => c.startsWith("create")).length, 3);
    assert.equal(volumes.length, 1, `volumes created: ${volumes.join(", ")}`);
    assert.equal(cgroups, 1);
  });

  it("after a restart that adopted only some containers, creates the rest under the task's cgroup", async () => {
    const h = harness();
    const specs: ContainerSpec[] = [];
    const create = h.runtime.create.bind(h.runtime);
    h.runtime.create = async (spec) => {
      specs.push(spec);
      return create(spec);
    };
    h.host.taskCgroup = async () => "/berth/task";
    const spec = desired(taskDefinition([C("a"), C("b")]));
    const first = h.run(spec);
    await until(h, "RUNNING");
    for (const s of subscriptions.splice(0)) s.close();
    // As if the agent had died after creating "a" only.
    await h.runtime.remove(containerIdOf(first, "b"));
    h.calls.length = 0;
    h.reports.length = 0;
    specs.length = 0;
    h.run({ ...spec, lastStatus: "PENDING" }, await h.runtime.list({ [LABEL.taskArn]: spec.taskArn }));
    await until(h, "RUNNING");
    assert.deepEqual(
      h.calls.filter((c) => c.startsWith("create") || c.startsWith("start")),
      ["create b", "start b"],
    );
    assert.equal(specs[0]!.cgroupParent, "/berth/task");
  });

  it("a task the control plane already considers STOPPED is not started", async () => {
    const h = harness();
    const runner = h.run(
      desired(taskDefinition([C("web")]), { desiredStatus: "STOPPED", lastStatus: "STOPPED" }),
    );
    await runner.kick();
    assert.deepEqual(h.calls, []);
    assert.ok(runner.finished);
  });
});
