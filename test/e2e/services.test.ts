/**
 * Services end to end on the real Docker engine with two agents (container instances in two
 * zones): spread placement, replacement of a killed task, a rolling update that never drops below
 * the minimum healthy count, a circuit breaker that rolls back a broken revision, draining, and a
 * DAEMON service that follows instances as they join.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListContainerInstancesCommand,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  RunTaskCommand,
  type Service,
  StopTaskCommand,
  type Task,
  UpdateContainerInstancesStateCommand,
} from "@aws-sdk/client-ecs";
import { eventually, runAws, startBerth, type TestBerth, tempDir } from "../helpers/berth.js";
import { removeAgentLeftovers, spawnAgent } from "../helpers/process.js";

const docker = promisify(execFile);
const JOIN = `join-${process.pid}-services`;

describe("services on Docker with two agents", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let instances: string[];

  before(async () => {
    b = await startBerth({
      serviceSettleMs: 1500,
      joinToken: JOIN,
      agents: [
        {
          name: "agent-a",
          attributes: [{ name: "ecs.availability-zone", value: "us-east-1a" }],
          cleanupWaitMs: 0,
        },
        {
          name: "agent-b",
          attributes: [{ name: "ecs.availability-zone", value: "us-east-1b" }],
          cleanupWaitMs: 0,
        },
      ],
    });
    ecs = b.ecs();
    instances = (await ecs.send(new ListContainerInstancesCommand({}))).containerInstanceArns!;
    assert.equal(instances.length, 2);
    const td = (rev: string, image = "berth-test/http") =>
      JSON.stringify([
        {
          name: "web",
          image,
          memory: 32,
          portMappings: [{ containerPort: 8080 }],
          environment: [{ name: "REVISION", value: rev }],
          healthCheck: {
            command: ["CMD-SHELL", "wget -qO- localhost:8080/health || exit 1"],
            interval: 5,
            timeout: 2,
            retries: 1,
          },
        },
      ]);
    for (const [family, defs] of [
      ["web", td("1")],
      ["web", td("2")],
      ["web", td("3", "127.0.0.1:1/berth-test/broken:latest")],
    ] as const) {
      const r = await runAws(b, [
        "ecs",
        "register-task-definition",
        "--family",
        family,
        "--container-definitions",
        defs,
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await b.close();
  });

  const service = async (name: string): Promise<Service> =>
    (await ecs.send(new DescribeServicesCommand({ services: [name] }))).services![0]!;
  const tasksOf = async (name: string, desiredStatus: "RUNNING" | "STOPPED" = "RUNNING"): Promise<Task[]> => {
    const arns = (await ecs.send(new ListTasksCommand({ serviceName: name, desiredStatus }))).taskArns ?? [];
    if (arns.length === 0) return [];
    return (await ecs.send(new DescribeTasksCommand({ tasks: arns }))).tasks ?? [];
  };
  const steady = (name: string, count: number, taskDefinition?: string) =>
    eventually(
      async () => {
        const s = await service(name);
        const ok =
          s.deployments?.length === 1 &&
          s.deployments[0]!.rolloutState === "COMPLETED" &&
          s.runningCount === count &&
          s.pendingCount === 0 &&
          (taskDefinition === undefined || s.taskDefinition?.endsWith(taskDefinition));
        return ok ? s : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `${name} steady with ${count} tasks` },
    );

  it("keeps 3 tasks spread over both instances, and replaces one killed with docker kill", async () => {
    const r = await runAws(b, [
      "ecs",
      "create-service",
      "--service-name",
      "web",
      "--task-definition",
      "web:1",
      "--desired-count",
      "3",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const created = r.json<{ service: Service }>().service;
    assert.match(created.deployments![0]!.id!, /^ecs-svc\/\d{19}$/);
    assert.deepEqual(created.deploymentConfiguration!.maximumPercent, 200);
    await steady("web", 3);
    const waited = await runAws(b, ["ecs", "wait", "services-stable", "--services", "web"]);
    assert.equal(waited.code, 0, waited.stderr);
    const tasks = await tasksOf("web");
    assert.equal(tasks.length, 3);
    const perInstance = new Map<string, number>();
    for (const t of tasks)
      perInstance.set(t.containerInstanceArn!, (perInstance.get(t.containerInstanceArn!) ?? 0) + 1);
    assert.deepEqual([...perInstance.values()].sort(), [1, 2], "spread over both zones");
    for (const t of tasks) {
      assert.equal(t.group, "service:web");
      assert.equal(t.startedBy, created.deployments![0]!.id);
    }
    const events = (await service("web")).events!.map((e) => e.message!);
    assert.match(events[0]!, /has reached a steady state\.$/);
    assert.ok(
      events.some((m) =>
        /has started 3 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\./.test(m),
      ),
    );

    const victim = tasks[0]!;
    await docker("/usr/bin/docker", ["kill", victim.containers![0]!.runtimeId!]);
    await eventually(
      async () =>
        (await tasksOf("web")).filter((t) => t.taskArn !== victim.taskArn && t.lastStatus === "RUNNING")
          .length === 3,
      {
        timeoutMs: 60_000,
        what: "a replacement task",
      },
    );
    const stopped = (await ecs.send(new DescribeTasksCommand({ tasks: [victim.taskArn!] }))).tasks![0]!;
    assert.equal(stopped.lastStatus, "STOPPED");
    assert.equal(stopped.stopCode, "EssentialContainerExited");
  });

  it("rolls out a new revision with 100/200 without ever dropping below 3 healthy tasks", async () => {
    await steady("web", 3);
    // The replacement from the previous test may still be passing its first health check.
    await eventually(
      async () => (await tasksOf("web")).filter((t) => t.healthStatus === "HEALTHY").length === 3,
      {
        timeoutMs: 30_000,
        what: "3 healthy tasks",
      },
    );
    let minHealthy = Number.POSITIVE_INFINITY;
    let maxLive = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const all = [...(await tasksOf("web")), ...(await tasksOf("web", "STOPPED"))].filter(
          (t) => t.lastStatus !== "STOPPED",
        );
        const healthy = all.filter((t) => t.lastStatus === "RUNNING" && t.healthStatus === "HEALTHY").length;
        minHealthy = Math.min(minHealthy, healthy);
        maxLive = Math.max(maxLive, all.filter((t) => t.desiredStatus === "RUNNING").length);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const r = await runAws(b, ["ecs", "update-service", "--service", "web", "--task-definition", "web:2"]);
    assert.equal(r.code, 0, r.stderr);
    const s = await steady("web", 3, "web:2");
    sampling = false;
    await sampler;
    assert.ok(minHealthy >= 3, `healthy tasks dropped to ${minHealthy}`);
    assert.ok(maxLive <= 6, `more than maximumPercent: ${maxLive}`);
    const tasks = await tasksOf("web");
    assert.ok(tasks.every((t) => t.taskDefinitionArn!.endsWith("web:2")));
    assert.ok(
      s.events!.some((e) => /\(deployment ecs-svc\/\d{19}\) deployment completed\./.test(e.message!)),
    );
    const oldStopped = (await tasksOf("web", "STOPPED")).filter(
      (t) => t.taskDefinitionArn!.endsWith("web:1") && t.stopCode === "ServiceSchedulerInitiated",
    );
    assert.ok(oldStopped.length >= 3);
    assert.match(
      oldStopped[0]!.stoppedReason!,
      /^Scaling activity initiated by \(deployment ecs-svc\/\d{19}\)$/,
    );
  });

  it("fails a broken revision with the circuit breaker and rolls back", async () => {
    const good = (await service("web")).deployments![0]!.id!;
    const r = await runAws(b, [
      "ecs",
      "update-service",
      "--service",
      "web",
      "--task-definition",
      "web:3",
      "--deployment-configuration",
      "deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100",
    ]);
    assert.equal(r.code, 0, r.stderr);
    // The healthy tasks of the last good deployment never stopped, so the rollback may complete in the
    // same pass that trips the breaker; the events tell the story either way.
    await eventually(
      async () =>
        (await service("web")).events!.some(
          (e) => e.message === `(service web) rolling back to deployment ${good}.`,
        ),
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "the rollback event",
      },
    );
    const done = await steady("web", 3, "web:2");
    assert.equal(done.deployments![0]!.id, good, "the last completed deployment is PRIMARY again");
    const messages = done.events!.map((e) => e.message!);
    assert.ok(messages.some((m) => /deployment failed: tasks failed to start\.$/.test(m)));
    assert.ok(messages.some((m) => m === `(service web) rolling back to deployment ${good}.`));
    assert.ok(
      (await tasksOf("web")).every((t) => t.taskDefinitionArn!.endsWith("web:2")),
      "healthy tasks were never replaced",
    );
    // The Debian AWS CLI predates ListServiceDeployments; the SDK has it.
    const list = await ecs.send(new ListServiceDeploymentsCommand({ service: "web" }));
    assert.equal(list.serviceDeployments![0]!.status, "ROLLBACK_SUCCESSFUL");
    const detail = await ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [list.serviceDeployments![0]!.serviceDeploymentArn!],
      }),
    );
    assert.equal(detail.serviceDeployments![0]!.deploymentCircuitBreaker!.status, "TRIGGERED");
    assert.equal(detail.serviceDeployments![0]!.deploymentCircuitBreaker!.threshold, 3);
  });

  it("moves a service's tasks off a draining instance and leaves standalone tasks alone", async () => {
    await steady("web", 3);
    const standalone = (
      await ecs.send(
        new RunTaskCommand({
          taskDefinition: "web:2",
          placementConstraints: [
            { type: "memberOf", expression: "attribute:ecs.availability-zone == us-east-1a" },
          ],
        }),
      )
    ).tasks![0]!;
    const drainee = standalone.containerInstanceArn!;
    const other = instances.find((i) => i !== drainee)!;
    const d = await ecs.send(
      new UpdateContainerInstancesStateCommand({ containerInstances: [drainee], status: "DRAINING" }),
    );
    assert.equal(d.containerInstances![0]!.status, "DRAINING");
    await eventually(
      async () => {
        const tasks = (await tasksOf("web")).filter((t) => t.lastStatus === "RUNNING");
        return tasks.length === 3 && tasks.every((t) => t.containerInstanceArn === other);
      },
      { timeoutMs: 90_000, intervalMs: 250, what: "tasks moved off the draining instance" },
    );
    const still = (await ecs.send(new DescribeTasksCommand({ tasks: [standalone.taskArn!] }))).tasks![0]!;
    assert.equal(still.desiredStatus, "RUNNING", "standalone tasks stay on a draining instance");
    await ecs.send(new StopTaskCommand({ task: standalone.taskArn! }));
    await ecs.send(
      new UpdateContainerInstancesStateCommand({ containerInstances: [drainee], status: "ACTIVE" }),
    );
  });

  it("runs one DAEMON task per instance, including an instance that joins later", {
    timeout: 120_000,
  }, async () => {
    const r = await runAws(b, [
      "ecs",
      "create-service",
      "--service-name",
      "daemon",
      "--task-definition",
      "web:2",
      "--scheduling-strategy",
      "DAEMON",
    ]);
    assert.equal(r.code, 0, r.stderr);
    await eventually(
      async () => (await tasksOf("daemon")).filter((t) => t.lastStatus === "RUNNING").length === 2,
      { timeoutMs: 60_000, what: "2 daemon tasks" },
    );
    const agentDir = await tempDir("berth-agent-");
    const third = await spawnAgent([
      "--control-plane",
      b.url,
      "--token",
      JOIN,
      "--name",
      "agent-c",
      "--data-dir",
      agentDir,
      "--attribute",
      "ecs.availability-zone=us-east-1c",
    ]);
    try {
      const tasks = await eventually(
        async () => {
          const t = (await tasksOf("daemon")).filter((x) => x.lastStatus === "RUNNING");
          return t.length === 3 ? t : undefined;
        },
        { timeoutMs: 60_000, what: "a daemon task on the new instance" },
      );
      assert.equal(new Set(tasks.map((t) => t.containerInstanceArn)).size, 3, "one per instance");
      assert.ok(tasks.some((t) => t.containerInstanceArn === third.url));
      assert.equal((await service("daemon")).desiredCount, 3);
      const del = await runAws(b, ["ecs", "delete-service", "--service", "daemon"]);
      assert.equal(del.code, 0, del.stderr);
      await eventually(async () => (await service("daemon")).status === "INACTIVE", {
        timeoutMs: 60_000,
        what: "daemon INACTIVE",
      });
    } finally {
      await third.stop();
      await removeAgentLeftovers("", agentDir);
      await rm(agentDir, { recursive: true, force: true });
    }
  });
});
