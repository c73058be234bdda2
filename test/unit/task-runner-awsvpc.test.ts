/**
 * The task runner with awsvpc tasks (src/agent/engine/task-runner.ts), on the in-memory runtime: the
 * task's network is attached once before its first container is created and detached once when it
 * stops; its containers join the pause container's namespace; security group changes reach the host;
 * an attach failure fails the task with ECS's reason.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest } from "@aws-sdk/client-ecs";
import { LABEL } from "../../src/agent/engine/container-spec.js";
import { type RunnerHost, TaskRunner } from "../../src/agent/engine/task-runner.js";
import { MemoryRuntime } from "../../src/agent/runtime/memory-runtime.js";
import type { ContainerSpec } from "../../src/agent/runtime/runtime.js";
import type { DesiredTask, TaskNetworkSpec, TaskReport } from "../../src/agentapi/protocol.js";
import { buildTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import { ManualClock } from "../../src/lib/clock.js";
import { silentLogger } from "../../src/lib/log.js";
import { eventually } from "../helpers/berth.js";

const network: TaskNetworkSpec = {
  eniId: "eni-0123456789abcdef0",
  attachmentId: "a1",
  macAddress: "0e:00:00:00:00:01",
  privateIp: "10.0.1.4",
  subnetId: "subnet-0123456789abcdef0",
  subnetCidr: "10.0.1.0/24",
  gateway: "10.0.1.1",
  vpcId: "vpc-0123456789abcdef0",
  vpcCidr: "10.0.0.0/16",
  dnsServer: "10.0.0.2",
  dnsSearch: "ec2.internal",
  privateDnsName: "ip-10-0-1-4.ec2.internal",
  ingress: [],
  egress: [{ protocol: "-1", fromPort: -1, toPort: -1, cidrs: ["0.0.0.0/0"] }],
};

function task(over: Partial<DesiredTask> = {}): DesiredTask {
  const td = buildTaskDefinition(
    {
      family: "web",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      containerDefinitions: [
        { name: "a", image: "fake/app:1", command: ["fake:run"] },
        { name: "b", image: "fake/app:1", command: ["fake:run"] },
      ],
    } as RegisterTaskDefinitionRequest,
    {
      arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
      revision: 1,
      registeredAt: 0,
      registeredBy: "x",
    },
  );
  return {
    taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef",
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
    desiredStatus: "RUNNING",
    lastStatus: "PROVISIONING",
    taskDefinition: td,
    overrides: {},
    containerArns: {},
    launchType: "FARGATE",
    availabilityZone: "us-east-1a",
    createdAt: 0,
    network,
    version: 1,
    ...over,
  };
}

function harness(attach?: RunnerHost["attachNetwork"]) {
  const clock = new ManualClock();
  const runtime = new MemoryRuntime(clock);
  runtime.addLocalImage("fake/app:1");
  const calls: string[] = [];
  const specs: ContainerSpec[] = [];
  const reports: TaskReport[] = [];
  const create = runtime.create.bind(runtime);
  runtime.create = async (spec) => {
    calls.push(`create ${spec.labels[LABEL.container]}`);
    specs.push(spec);
    return create(spec);
  };
  const host: RunnerHost = {
    runtime,
    clock,
    log: silentLogger,
    instanceId: "fargate",
    clusterName: "berth.fargate",
    region: "us-east-1",
    bridgeNetwork: "berth-test",
    bindIp: "",
    agentEnv: () => ({ env: {}, labels: {} }),
    resolveSecrets: async () => undefined,
    hostPortRange: async () => 40000,
    pullBehavior: "prefer-cached",
    pulled: new Set(),
    metadataUrls: (_t, c) => ({
      v3: `http://169.254.170.2/v3/${c}`,
      v4: `http://169.254.170.2/v4/${c}`,
      token: c,
    }),
    taskCgroup: async () => "/berth/task",
    removeTaskCgroup: async () => {
      calls.push("remove cgroup");
    },
    containerStarted: () => {},
    report: (r) => reports.push(structuredClone(r)),
    attachNetwork:
      attach ??
      (async (_t, cgroup) => {
        calls.push(`pause ${cgroup}`);
        return {
          container: "ecs-web-1-internalecspause-x",
          ready: Promise.resolve().then(() => {
            calls.push("attached");
          }),
        };
      }),
    updateNetwork: async (t) => {
      calls.push(`update ${t.network!.ingress.length}`);
    },
    detachNetwork: async () => {
      calls.push("detach");
    },
  };
  const until = (status: string) =>
    eventually(() => reports.find((r) => r.lastStatus === status), {
      timeoutMs: 5000,
      intervalMs: 5,
      what: status,
    });
  return { runtime, calls, specs, reports, host, until };
}

describe("TaskRunner with awsvpc tasks", () => {
  it("starts the pause container before the first create and attaches before containers start", async () => {
    const h = harness();
    const runner = new TaskRunner(task(), [], h.host);
    void runner.kick();
    await h.until("RUNNING");
    assert.equal(h.calls[0], "pause /berth/task");
    assert.deepEqual(
      h.calls.filter((c) => c.startsWith("create")),
      ["create a", "create b"],
    );
    assert.ok(h.calls.includes("attached"));
    assert.ok(h.specs.every((s) => s.networkMode === "container:ecs-web-1-internalecspause-x"));
    assert.ok(h.specs.every((s) => s.env.AWS_EXECUTION_ENV === "AWS_ECS_FARGATE"));
    assert.ok(h.specs.every((s) => s.ports.length === 0 && s.hostname === undefined));
  });

  it("passes security group changes to the host, and detaches once when the task stops", async () => {
    const h = harness();
    const spec = task();
    const runner = new TaskRunner(spec, [], h.host);
    void runner.kick();
    await h.until("RUNNING");
    runner.update({ ...spec, version: 2 });
    const admitted = {
      ...network,
      ingress: [{ protocol: "tcp", fromPort: 80, toPort: 80, cidrs: ["10.0.0.0/16"] }],
    };
    runner.update({ ...spec, network: admitted, version: 2 });
    await eventually(() => h.calls.includes("update 1"));
    assert.equal(h.calls.filter((c) => c.startsWith("update")).length, 1);
    runner.update({ ...spec, network: admitted, desiredStatus: "STOPPED", version: 3 });
    await h.until("STOPPED");
    const i = h.calls.indexOf("detach");
    assert.ok(i >= 0 && i < h.calls.indexOf("remove cgroup"), h.calls.join(", "));
    await runner.removeAll();
    assert.equal(h.calls.filter((c) => c === "detach").length, 1);
  });

  it("fails the task with ECS's reason when its interface cannot be attached", async () => {
    const h = harness(async () => ({
      container: "ecs-web-1-internalecspause-x",
      ready: Promise.reject(new Error("no route to the VPC")),
    }));
    void new TaskRunner(task(), [], h.host).kick();
    const stopped = await h.until("STOPPED");
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.equal(
      stopped.stoppedReason,
      "ResourceInitializationError: failed to configure ENI: no route to the VPC",
    );
    assert.ok(h.calls.includes("detach"));
  });

  it("refuses awsvpc tasks on a host that cannot attach interfaces", async () => {
    const h = harness();
    delete h.host.attachNetwork;
    void new TaskRunner(task(), [], h.host).kick();
    const stopped = await h.until("STOPPED");
    assert.equal(
      stopped.stoppedReason,
      "ResourceInitializationError: this agent cannot attach awsvpc network interfaces",
    );
  });
});
