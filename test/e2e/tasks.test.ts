/**
 * Tasks on the real Docker engine through the in-process agent, driven by the AWS CLI v2 and the
 * SDK: lifecycle, ports, metadata endpoint, essential exits, dependsOn, health, stop timeouts, OOM,
 * placement failures and pull failures.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  type ContainerDefinition,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { eventually, runAws, startBerth, type TestBerth } from "../helpers/berth.js";

const docker = promisify(execFile);
let family = 0;

async function dockerInspect(id: string): Promise<{
  State: { StartedAt: string; FinishedAt: string; ExitCode: number; OOMKilled: boolean; Status: string };
}> {
  const { stdout } = await docker("/usr/bin/docker", ["inspect", id]);
  return JSON.parse(stdout)[0];
}

describe("tasks on Docker", () => {
  let b: TestBerth;
  let ecs: ECSClient;

  before(async () => {
    b = await startBerth({ agent: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
  });
  after(async () => {
    await b.close();
  });

  async function register(
    containers: ContainerDefinition[],
    extra: Partial<RegisterTaskDefinitionCommandInput> = {},
  ): Promise<string> {
    const r = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `e2e-${process.pid}-${++family}`,
        containerDefinitions: containers,
        ...extra,
      }),
    );
    return r.taskDefinition!.taskDefinitionArn!;
  }

  async function run(taskDefinition: string, extra: Record<string, unknown> = {}): Promise<Task> {
    const r = await ecs.send(new RunTaskCommand({ taskDefinition, ...extra }));
    assert.deepEqual(r.failures, []);
    return r.tasks![0]!;
  }

  async function describe1(arn: string): Promise<Task> {
    return (await ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!;
  }

  async function until(
    arn: string,
    pred: (t: Task) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<Task> {
    return eventually(
      async () => {
        const t = await describe1(arn);
        return pred(t) ? t : undefined;
      },
      { timeoutMs, intervalMs: 100, what },
    );
  }

  it("runs the AWS CLI flow: register, run, wait running, curl the dynamic port, stop, wait stopped", async () => {
    const td = JSON.stringify([
      { name: "web", image: "berth-test/http", memory: 64, portMappings: [{ containerPort: 8080 }] },
    ]);
    const reg = await runAws(b, [
      "ecs",
      "register-task-definition",
      "--family",
      `cli-${process.pid}`,
      "--container-definitions",
      td,
    ]);
    assert.equal(reg.code, 0, reg.stderr);
    const ran = await runAws(b, ["ecs", "run-task", "--task-definition", `cli-${process.pid}`]);
    assert.equal(ran.code, 0, ran.stderr);
    const task = ran.json<{ tasks: Task[]; failures: unknown[] }>();
    assert.deepEqual(task.failures, []);
    const arn = task.tasks[0]!.taskArn!;
    assert.equal(task.tasks[0]!.lastStatus, "PROVISIONING");
    const waited = await runAws(b, ["ecs", "wait", "tasks-running", "--tasks", arn]);
    assert.equal(waited.code, 0, waited.stderr);
    const running = await describe1(arn);
    assert.equal(running.lastStatus, "RUNNING");
    assert.ok(running.startedAt && running.pullStartedAt && running.pullStoppedAt && running.createdAt);
    const binding = running.containers![0]!.networkBindings!.find((n) => n.bindIP === "0.0.0.0")!;
    assert.equal(binding.containerPort, 8080);
    assert.ok(binding.hostPort! >= 1024);
    const res = await fetch(`http://127.0.0.1:${binding.hostPort}/health`);
    assert.equal((await res.text()).trim(), "ok");
    assert.match(running.containers![0]!.runtimeId!, /^[0-9a-f]{64}$/);

    const stopped = await runAws(b, ["ecs", "stop-task", "--task", arn, "--reason", "deploying a fix"]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const waitStopped = await runAws(b, ["ecs", "wait", "tasks-stopped", "--tasks", arn]);
    assert.equal(waitStopped.code, 0, waitStopped.stderr);
    const t = await describe1(arn);
    assert.equal(t.lastStatus, "STOPPED");
    assert.equal(t.desiredStatus, "STOPPED");
    assert.equal(t.stopCode, "UserInitiated");
    assert.equal(t.stoppedReason, "deploying a fix");
    assert.equal(t.containers![0]!.lastStatus, "STOPPED");
    assert.equal(t.containers![0]!.exitCode, 0, "the server exits cleanly on SIGTERM");
    assert.ok(t.stoppingAt && t.executionStoppedAt && t.stoppedAt);
    assert.ok(t.stoppedAt! >= t.stoppingAt!);
  });

  it("ships awslogs output to CloudWatch Logs, readable with aws logs get-log-events and aws logs tail", async () => {
    const group = `/ecs/e2e-${process.pid}`;
    const td = await register([
      {
        name: "talker",
        image: "berth-test/busybox",
        memory: 32,
        command: [
          "sh",
          "-c",
          "echo hello from stdout; echo oops on stderr >&2; trap 'exit 0' TERM; sleep 300 & wait",
        ],
        logConfiguration: {
          logDriver: "awslogs",
          options: {
            "awslogs-group": group,
            "awslogs-stream-prefix": "app",
            "awslogs-create-group": "true",
            "awslogs-region": b.region,
          },
        },
      },
    ]);
    const t = await run(td);
    const taskId = t.taskArn!.slice(t.taskArn!.lastIndexOf("/") + 1);
    const stream = `app/talker/${taskId}`;
    const events = await eventually(
      async () => {
        const r = await runAws(b, [
          "logs",
          "get-log-events",
          "--log-group-name",
          group,
          "--log-stream-name",
          stream,
          "--start-from-head",
        ]);
        if (r.code !== 0) return undefined;
        const ev = r.json<{ events: { message: string; timestamp: number }[] }>().events;
        return ev.length >= 2 ? ev : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: "log events" },
    );
    assert.deepEqual(events.map((e) => e.message).sort(), ["hello from stdout", "oops on stderr"]);
    assert.ok(events.every((e) => e.timestamp > 0));
    const tail = await runAws(b, ["logs", "tail", group, "--since", "1h", "--format", "short"]);
    assert.equal(tail.code, 0, tail.stderr);
    assert.match(tail.stdout, /hello from stdout/);
    assert.match(tail.stdout, /oops on stderr/);
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
  });

  it("serves the task metadata endpoint v4 and v3 inside the container", async () => {
    const td = await register(
      [
        {
          name: "web",
          image: "berth-test/http",
          memory: 64,
          cpu: 128,
          portMappings: [{ containerPort: 8080 }],
        },
      ],
      {
        cpu: "256",
        memory: "128",
      },
    );
    const t = await run(td);
    const r = await until(t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
    const id = r.containers![0]!.runtimeId!;
    const get = async (path: string) => {
      const { stdout } = await docker("/usr/bin/docker", [
        "exec",
        id,
        "sh",
        "-c",
        `wget -qO- "$ECS_CONTAINER_METADATA_URI_V4${path}"`,
      ]);
      return JSON.parse(stdout);
    };
    const task = await get("/task");
    assert.equal(task.TaskARN, t.taskArn);
    assert.equal(task.Cluster, t.clusterArn);
    assert.equal(task.KnownStatus, "RUNNING");
    assert.equal(task.LaunchType, "EC2");
    assert.deepEqual(task.Limits, { CPU: 0.25, Memory: 128 });
    assert.equal(task.Containers[0].DockerId, id);
    assert.equal(task.Containers[0].Name, "web");
    assert.equal(task.Containers[0].ContainerARN, r.containers![0]!.containerArn);
    const me = await get("");
    assert.equal(me.Name, "web");
    assert.deepEqual(me.Limits, { CPU: 128, Memory: 64 });
    assert.ok(Array.isArray(me.Ports) && me.Ports[0].ContainerPort === 8080);
    const stats = await get("/stats");
    assert.ok(stats.memory_stats, "docker stats shape");
    const taskStats = await get("/task/stats");
    assert.ok(taskStats[id]);
    const { stdout: v3 } = await docker("/usr/bin/docker", [
      "exec",
      id,
      "sh",
      "-c",
      'wget -qO- "$ECS_CONTAINER_METADATA_URI/task"',
    ]);
    assert.equal(JSON.parse(v3).TaskARN, t.taskArn);
    const { stdout: env } = await docker("/usr/bin/docker", ["exec", id, "env"]);
    assert.match(env, /ECS_CONTAINER_METADATA_URI_V4=http:\/\/169\.254\.170\.2\/v4\//);
    assert.match(env, /AWS_EXECUTION_ENV=AWS_ECS_EC2/);
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
  });

  it("stops the task when an essential container exits, with ECS's stop code and reason", async () => {
    const td = await register([
      {
        name: "crash",
        image: "berth-test/crasher",
        memory: 32,
        environment: [
          { name: "CRASH_AFTER", value: "0" },
          { name: "EXIT_CODE", value: "3" },
        ],
      },
      { name: "web", image: "berth-test/http", memory: 32, essential: false },
    ]);
    const t = await run(td);
    const s = await until(t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
    assert.equal(s.stopCode, "EssentialContainerExited");
    assert.equal(s.stoppedReason, "Essential container in task exited");
    const crash = s.containers!.find((c) => c.name === "crash")!;
    assert.equal(crash.exitCode, 3);
    const web = s.containers!.find((c) => c.name === "web")!;
    assert.equal(web.lastStatus, "STOPPED", "the other containers are stopped too");
  });

  it("orders containers by dependsOn, and fails the task when a SUCCESS dependency fails", async () => {
    const td = await register([
      {
        name: "migrate",
        image: "berth-test/crasher",
        memory: 32,
        essential: false,
        environment: [
          { name: "CRASH_AFTER", value: "1" },
          { name: "EXIT_CODE", value: "0" },
        ],
      },
      {
        name: "web",
        image: "berth-test/http",
        memory: 32,
        dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }],
      },
    ]);
    const t = await run(td);
    const r = await until(t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
    const migrate = await dockerInspect(r.containers!.find((c) => c.name === "migrate")!.runtimeId!);
    const web = await dockerInspect(r.containers!.find((c) => c.name === "web")!.runtimeId!);
    assert.ok(
      Date.parse(web.State.StartedAt) >= Date.parse(migrate.State.FinishedAt),
      "web starts after migrate succeeded",
    );
    assert.equal(r.containers!.find((c) => c.name === "migrate")!.exitCode, 0);
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));

    const bad = await register([
      {
        name: "migrate",
        image: "berth-test/crasher",
        memory: 32,
        essential: false,
        environment: [
          { name: "CRASH_AFTER", value: "0" },
          { name: "EXIT_CODE", value: "1" },
        ],
      },
      {
        name: "web",
        image: "berth-test/http",
        memory: 32,
        dependsOn: [{ containerName: "migrate", condition: "SUCCESS" }],
      },
    ]);
    const t2 = await run(bad);
    const s = await until(t2.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
    assert.equal(s.stopCode, "TaskFailedToStart");
    assert.match(s.stoppedReason!, /migrate exited with code 1/);
    assert.equal(s.containers!.find((c) => c.name === "web")!.runtimeId !== undefined, true);
  });

  it("reports container and task health as the health check passes and then fails", async () => {
    const td = await register([
      {
        name: "app",
        image: "berth-test/flipper",
        memory: 32,
        environment: [{ name: "HEALTHY_FOR", value: "6" }],
        healthCheck: { command: ["CMD-SHELL", "test -f /tmp/healthy"], interval: 5, timeout: 2, retries: 1 },
      },
    ]);
    const t = await run(td);
    const healthy = await until(t.taskArn!, (x) => x.healthStatus === "HEALTHY", "HEALTHY", 30_000);
    assert.equal(healthy.containers![0]!.healthStatus, "HEALTHY");
    const unhealthy = await until(t.taskArn!, (x) => x.healthStatus === "UNHEALTHY", "UNHEALTHY", 30_000);
    assert.equal(unhealthy.containers![0]!.healthStatus, "UNHEALTHY");
    assert.equal(unhealthy.lastStatus, "RUNNING", "an unhealthy standalone task keeps running");
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
  });

  it("SIGKILLs a container that ignores SIGTERM once stopTimeout has passed", async () => {
    const td = await register([
      { name: "stubborn", image: "berth-test/ignore-term", memory: 32, stopTimeout: 2 },
    ]);
    const t = await run(td);
    await until(t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
    const started = Date.now();
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
    const s = await until(t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
    assert.ok(Date.now() - started >= 1900, "the agent waited for stopTimeout");
    assert.equal(s.containers![0]!.exitCode, 137);
  });

  it("reports an out-of-memory kill as exit 137 with the OutOfMemoryError reason", async () => {
    const td = await register([
      {
        name: "hog",
        image: "berth-test/busybox",
        memory: 24,
        command: ["sh", "-c", "head -c 200m /dev/zero | tail > /dev/null"],
      },
    ]);
    const t = await run(td);
    const s = await until(t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
    const c = s.containers![0]!;
    assert.equal(c.exitCode, 137);
    assert.equal(c.reason, "OutOfMemoryError: Container killed due to memory usage");
    assert.equal(s.stopCode, "EssentialContainerExited");
  });

  it("reports placement failures with ECS's reasons, and a pull failure as TaskFailedToStart", async () => {
    const instances = await ecs.send(new ListContainerInstancesCommand({}));
    const instanceArn = instances.containerInstanceArns![0]!;
    const huge = await register([
      { name: "big", image: "berth-test/busybox", memory: 10_000_000, command: ["sleep", "60"] },
    ]);
    const r = await ecs.send(new RunTaskCommand({ taskDefinition: huge }));
    assert.deepEqual(r.tasks, []);
    assert.deepEqual(r.failures, [{ arn: instanceArn, reason: "RESOURCE:MEMORY" }]);

    const port = 20000 + (process.pid % 10000);
    const fixed = await register([
      {
        name: "web",
        image: "berth-test/http",
        memory: 32,
        portMappings: [{ containerPort: 8080, hostPort: port }],
      },
    ]);
    const first = await run(fixed);
    const second = await ecs.send(new RunTaskCommand({ taskDefinition: fixed }));
    assert.deepEqual(second.failures, [{ arn: instanceArn, reason: "RESOURCE:PORTS" }]);
    await ecs.send(new StopTaskCommand({ task: first.taskArn! }));

    const missing = await register([
      { name: "x", image: "127.0.0.1:1/berth-test/does-not-exist:latest", memory: 16 },
    ]);
    const t = await run(missing);
    const s = await until(t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
    assert.equal(s.stopCode, "TaskFailedToStart");
    assert.match(s.stoppedReason!, /^CannotPullContainerError: /);
    assert.match(s.containers![0]!.reason!, /^CannotPullContainerError: /);
  });

  it("accounts resources on the container instance and starts tasks on a named instance", async () => {
    const list = await ecs.send(new ListContainerInstancesCommand({}));
    const arn = list.containerInstanceArns![0]!;
    const before = (await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: [arn] })))
      .containerInstances![0]!;
    assert.equal(before.agentConnected, true);
    assert.equal(before.status, "ACTIVE");
    const mem = (r: typeof before.remainingResources) => r!.find((x) => x.name === "MEMORY")!.integerValue!;
    const td = await register([
      {
        name: "s",
        image: "berth-test/busybox",
        memory: 100,
        cpu: 64,
        command: ["sh", "-c", "trap 'exit 0' TERM; sleep 300 & wait"],
      },
    ]);
    const started = await ecs.send(
      new StartTaskCommand({ taskDefinition: td, containerInstances: [arn], startedBy: "e2e-start" }),
    );
    assert.deepEqual(started.failures, []);
    const tArn = started.tasks![0]!.taskArn!;
    assert.equal(started.tasks![0]!.containerInstanceArn, arn);
    const during = (await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: [arn] })))
      .containerInstances![0]!;
    assert.equal(mem(before.remainingResources) - mem(during.remainingResources), 100);
    await until(tArn, (x) => x.lastStatus === "RUNNING", "RUNNING");
    const listed = await ecs.send(new ListTasksCommand({ startedBy: "e2e-start" }));
    assert.deepEqual(listed.taskArns, [tArn]);
    const byInstance = await ecs.send(new ListTasksCommand({ containerInstance: arn }));
    assert.ok(byInstance.taskArns!.includes(tArn));
    await ecs.send(new StopTaskCommand({ task: tArn }));
    await until(tArn, (x) => x.lastStatus === "STOPPED", "STOPPED");
    const stoppedList = await ecs.send(
      new ListTasksCommand({ startedBy: "e2e-start", desiredStatus: "STOPPED" }),
    );
    assert.deepEqual(stoppedList.taskArns, [tArn]);
    const afterStop = (await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: [arn] })))
      .containerInstances![0]!;
    assert.equal(mem(afterStop.remainingResources), mem(before.remainingResources));
  });
});
