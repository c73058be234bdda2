/**
 * How an ECS container definition becomes a container on the engine
 * (src/agent/engine/container-spec.ts). Definitions go through buildTaskDefinition first, so the
 * mapping sees what RegisterTaskDefinition stores (defaults filled in), as the agent does.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest, TaskOverride } from "@aws-sdk/client-ecs";
import {
  containerSpec,
  dockerName,
  effectiveContainer,
  LABEL,
  type SpecContext,
  taskVolumeName,
} from "../../src/agent/engine/container-spec.js";
import type { ContainerSpec } from "../../src/agent/runtime/runtime.js";
import type { DesiredTask } from "../../src/agentapi/protocol.js";
import { buildTaskDefinition } from "../../src/domain/ecs/task-definition.js";

const TASK_ID = "0123456789abcdef0123456789abcdef";
const TASK_ARN = `arn:aws:ecs:us-east-1:000000000000:task/default/${TASK_ID}`;
const MiB = 1024 * 1024;

type Req = Record<string, unknown>;

function task(containers: Req[], extra: Req = {}, overrides: TaskOverride = {}): DesiredTask {
  const td = buildTaskDefinition(
    {
      family: "shop",
      containerDefinitions: containers,
      ...extra,
    } as unknown as RegisterTaskDefinitionRequest,
    {
      arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/shop:7",
      revision: 7,
      registeredAt: 0,
      registeredBy: "arn:aws:iam::000000000000:root",
    },
  );
  return {
    taskArn: TASK_ARN,
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
    desiredStatus: "RUNNING",
    lastStatus: "PENDING",
    taskDefinition: td,
    overrides,
    containerArns: {},
    launchType: "EC2",
    availabilityZone: "us-east-1a",
    createdAt: 0,
    version: 1,
  };
}

function ctx(t: DesiredTask, over: Partial<SpecContext> = {}): SpecContext {
  return {
    task: t,
    instanceId: "inst-1",
    clusterName: "default",
    region: "eu-west-1",
    bridgeNetwork: "berth-inst-1",
    bindIp: "127.0.0.1",
    metadataV3: "http://169.254.170.2/v3/tok",
    metadataV4: "http://169.254.170.2/v4/tok",
    metadataToken: "tok",
    names: new Map(t.taskDefinition.containerDefinitions.map((d) => [d.name!, dockerName(t, d.name!)])),
    ...over,
  };
}

/** The spec of container `name` (default: the first) of a task. */
function spec(t: DesiredTask, name?: string, over: Partial<SpecContext> = {}): ContainerSpec {
  const def = name
    ? t.taskDefinition.containerDefinitions.find((d) => d.name === name)!
    : t.taskDefinition.containerDefinitions[0]!;
  return containerSpec(def, ctx(t, over));
}

const C = (name: string, over: Req = {}): Req => ({ name, image: "nginx:1.27", memory: 64, ...over });

describe("containerSpec", () => {
  it("maps a minimal container: name, image, labels, injected environment, bridge network", () => {
    const s = spec(task([C("web")]));
    assert.deepEqual(s, {
      name: `ecs-shop-7-web-${TASK_ID}`,
      image: "nginx:1.27",
      labels: {
        [LABEL.instance]: "inst-1",
        "com.amazonaws.ecs.cluster": "default",
        "com.amazonaws.ecs.task-arn": TASK_ARN,
        "com.amazonaws.ecs.container-name": "web",
        "com.amazonaws.ecs.task-definition-family": "shop",
        "com.amazonaws.ecs.task-definition-version": "7",
        [LABEL.metadataToken]: "tok",
      },
      env: {
        ECS_CONTAINER_METADATA_URI: "http://169.254.170.2/v3/tok",
        ECS_CONTAINER_METADATA_URI_V4: "http://169.254.170.2/v4/tok",
        AWS_EXECUTION_ENV: "AWS_ECS_EC2",
        AWS_REGION: "eu-west-1",
        AWS_DEFAULT_REGION: "eu-west-1",
      },
      tty: false,
      openStdin: false,
      networkMode: "berth-inst-1",
      ports: [],
      cpuShares: 2,
      memoryBytes: 64 * MiB,
      privileged: false,
      readonlyRootfs: false,
      stopTimeoutSec: 30,
    });
  });

  it("keeps Berth's and ECS's labels over docker labels that try to set them", () => {
    const s = spec(
      task([
        C("web", {
          dockerLabels: { team: "a", [LABEL.instance]: "spoof", "com.amazonaws.ecs.cluster": "x" },
        }),
      ]),
    );
    assert.equal(s.labels.team, "a");
    assert.equal(s.labels[LABEL.instance], "inst-1");
    assert.equal(s.labels["com.amazonaws.ecs.cluster"], "default");
  });

  it("environment: the definition's, then the override's, then the metadata variables; a region set by the user stays", () => {
    const t = task(
      [
        C("web", {
          environment: [
            { name: "A", value: "1" },
            { name: "B", value: "2" },
            { name: "AWS_REGION", value: "us-west-2" },
            { name: "ECS_CONTAINER_METADATA_URI", value: "spoof" },
          ],
        }),
      ],
      {},
      {
        containerOverrides: [
          {
            name: "web",
            environment: [
              { name: "B", value: "override" },
              { name: "C", value: "3" },
            ],
          },
        ],
      },
    );
    assert.deepEqual(spec(t).env, {
      A: "1",
      B: "override",
      AWS_REGION: "us-west-2",
      ECS_CONTAINER_METADATA_URI: "http://169.254.170.2/v3/tok",
      C: "3",
      ECS_CONTAINER_METADATA_URI_V4: "http://169.254.170.2/v4/tok",
      AWS_EXECUTION_ENV: "AWS_ECS_EC2",
      AWS_DEFAULT_REGION: "eu-west-1",
    });
  });

  it("overrides: command, cpu, memory and memoryReservation of the named container only", () => {
    const t = task(
      [C("web", { command: ["a"], cpu: 100 }), C("side", { command: ["b"] })],
      {},
      {
        containerOverrides: [
          { name: "web", command: ["x", "y"], cpu: 300, memory: 128, memoryReservation: 32 },
        ],
      },
    );
    const web = spec(t, "web");
    assert.deepEqual(
      [web.command, web.cpuShares, web.memoryBytes, web.memoryReservationBytes],
      [["x", "y"], 300, 128 * MiB, 32 * MiB],
    );
    assert.deepEqual(spec(t, "side").command, ["b"]);
    assert.deepEqual(effectiveContainer(t.taskDefinition.containerDefinitions[1]!, t.overrides).command, [
      "b",
    ]);
  });

  it("process fields: entryPoint, command, workingDirectory, user, tty, interactive, privileged, read-only root", () => {
    const s = spec(
      task([
        C("web", {
          entryPoint: ["/bin/sh", "-c"],
          command: ["echo hi"],
          workingDirectory: "/srv",
          user: "1000:1000",
          pseudoTerminal: true,
          interactive: true,
          privileged: true,
          readonlyRootFilesystem: true,
          dockerSecurityOptions: ["no-new-privileges"],
        }),
      ]),
    );
    assert.deepEqual(
      [
        s.entryPoint,
        s.command,
        s.workingDir,
        s.user,
        s.tty,
        s.openStdin,
        s.privileged,
        s.readonlyRootfs,
        s.securityOpt,
      ],
      [["/bin/sh", "-c"], ["echo hi"], "/srv", "1000:1000", true, true, true, true, ["no-new-privileges"]],
    );
  });

  it("ports in bridge mode: static, dynamic and a containerPortRange, on the bind address", () => {
    const s = spec(
      task([
        C("web", {
          portMappings: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 53, protocol: "udp" },
            { containerPortRange: "9000-9002" },
          ],
        }),
      ]),
    );
    assert.deepEqual(s.ports, [
      { containerPort: 80, hostPort: 8080, protocol: "tcp", hostIp: "127.0.0.1" },
      { containerPort: 53, hostPort: 0, protocol: "udp", hostIp: "127.0.0.1" },
      { containerPort: 9000, hostPort: 0, protocol: "tcp", hostIp: "127.0.0.1" },
      { containerPort: 9001, hostPort: 0, protocol: "tcp", hostIp: "127.0.0.1" },
      { containerPort: 9002, hostPort: 0, protocol: "tcp", hostIp: "127.0.0.1" },
    ]);
  });

  it("network modes: host publishes no ports and keeps its hostname; none and disableNetworking have no network", () => {
    const host = spec(
      task([C("web", { hostname: "h", portMappings: [{ containerPort: 80 }] })], { networkMode: "host" }),
    );
    assert.deepEqual([host.networkMode, host.ports, host.hostname], ["host", [], "h"]);
    const none = spec(task([C("web")], { networkMode: "none" }));
    assert.deepEqual([none.networkMode, none.ports], ["none", []]);
    const off = spec(
      task([C("web", { disableNetworking: true, hostname: "h", portMappings: [{ containerPort: 80 }] })]),
    );
    assert.deepEqual([off.networkMode, off.ports, off.hostname], ["none", [], "h"]);
    const bridge = spec(task([C("web", { hostname: "h" })], { networkMode: "bridge" }));
    assert.deepEqual([bridge.networkMode, bridge.hostname], ["berth-inst-1", "h"]);
  });

  it("cpu shares: the container's cpu units, at least 2", () => {
    assert.equal(spec(task([C("web", { cpu: 0 })])).cpuShares, 2);
    assert.equal(spec(task([C("web", { cpu: 1 })])).cpuShares, 2);
    assert.equal(spec(task([C("web", { cpu: 512 })])).cpuShares, 512);
  });

  it("memory in bytes: hard limit and reservation; neither with only a task-level size", () => {
    const s = spec(task([C("web", { memory: 256, memoryReservation: 128 })]));
    assert.deepEqual([s.memoryBytes, s.memoryReservationBytes], [256 * MiB, 128 * MiB]);
    const taskLevel = spec(
      task([{ name: "web", image: "nginx" }], { memory: "512", cpu: "256" }),
      undefined,
      { cgroupParent: "/berth/t" },
    );
    assert.deepEqual(
      [taskLevel.memoryBytes, taskLevel.memoryReservationBytes, taskLevel.cgroupParent],
      [undefined, undefined, "/berth/t"],
    );
  });

  it("ulimits", () => {
    const s = spec(task([C("web", { ulimits: [{ name: "nofile", softLimit: 1024, hardLimit: 4096 }] })]));
    assert.deepEqual(s.ulimits, [{ name: "nofile", soft: 1024, hard: 4096 }]);
  });

  it("mounts: host path, task-scoped and shared docker volumes, an empty volume, tmpfs", () => {
    const t = task(
      [
        C("web", {
          mountPoints: [
            { sourceVolume: "host", containerPath: "/host", readOnly: true },
            { sourceVolume: "scratch", containerPath: "/scratch" },
            { sourceVolume: "cache", containerPath: "/cache" },
            { sourceVolume: "empty", containerPath: "/empty" },
          ],
          linuxParameters: { tmpfs: [{ containerPath: "/run", size: 64, mountOptions: ["noexec"] }] },
        }),
      ],
      {
        volumes: [
          { name: "host", host: { sourcePath: "/srv/data" } },
          { name: "scratch", dockerVolumeConfiguration: { scope: "task", driver: "local" } },
          { name: "cache", dockerVolumeConfiguration: { scope: "shared", autoprovision: true } },
          { name: "empty" },
        ],
      },
    );
    assert.deepEqual(spec(t).mounts, [
      { type: "bind", source: "/srv/data", target: "/host", readOnly: true },
      { type: "volume", source: taskVolumeName(t, "scratch"), target: "/scratch", readOnly: false },
      { type: "volume", source: "cache", target: "/cache", readOnly: false },
      { type: "volume", source: taskVolumeName(t, "empty"), target: "/empty", readOnly: false },
      { type: "tmpfs", target: "/run", tmpfsSizeBytes: 64 * MiB, tmpfsOptions: ["noexec"] },
    ]);
    assert.equal(taskVolumeName(t, "scratch"), `ecs-shop-7-scratch-${TASK_ID}`);
  });

  it("volumesFrom by docker name, read-only with :ro", () => {
    const t = task([
      C("web", { volumesFrom: [{ sourceContainer: "data", readOnly: true }, { sourceContainer: "logs" }] }),
      C("data"),
      C("logs"),
    ]);
    assert.deepEqual(spec(t).volumesFrom, [`ecs-shop-7-data-${TASK_ID}:ro`, `ecs-shop-7-logs-${TASK_ID}`]);
  });

  it("links by docker name, aliased to the ECS name unless given an alias", () => {
    const t = task([C("web", { links: ["db", "cache:redis"] }), C("db"), C("cache")], {
      networkMode: "bridge",
    });
    assert.deepEqual(spec(t).links, [`ecs-shop-7-db-${TASK_ID}:db`, `ecs-shop-7-cache-${TASK_ID}:redis`]);
  });

  it("linux parameters: devices with permissions, capabilities, init, shared memory", () => {
    const s = spec(
      task([
        C("web", {
          linuxParameters: {
            devices: [
              { hostPath: "/dev/fuse" },
              { hostPath: "/dev/kvm", containerPath: "/dev/k", permissions: ["read"] },
            ],
            capabilities: { add: ["SYS_ADMIN"], drop: ["NET_RAW"] },
            initProcessEnabled: true,
            sharedMemorySize: 128,
          },
        }),
      ]),
    );
    assert.deepEqual(
      [s.devices, s.capAdd, s.capDrop, s.init, s.shmSizeBytes],
      [
        [
          { hostPath: "/dev/fuse", permissions: "rwm" },
          { hostPath: "/dev/kvm", containerPath: "/dev/k", permissions: "r" },
        ],
        ["SYS_ADMIN"],
        ["NET_RAW"],
        true,
        128 * MiB,
      ],
    );
  });

  it("dns, search domains, extra hosts and sysctls", () => {
    const s = spec(
      task([
        C("web", {
          dnsServers: ["10.0.0.2"],
          dnsSearchDomains: ["corp"],
          extraHosts: [{ hostname: "db.local", ipAddress: "10.0.0.9" }],
          systemControls: [{ namespace: "net.core.somaxconn", value: "1024" }],
        }),
      ]),
    );
    assert.deepEqual(
      [s.dns, s.dnsSearch, s.extraHosts, s.sysctls],
      [["10.0.0.2"], ["corp"], ["db.local:10.0.0.9"], { "net.core.somaxconn": "1024" }],
    );
  });

  it("health check with ECS's defaults filled in, and the stop timeout", () => {
    const s = spec(
      task([C("web", { healthCheck: { command: ["CMD-SHELL", "curl -f localhost"] }, stopTimeout: 5 })]),
    );
    assert.deepEqual(s.healthCheck, {
      test: ["CMD-SHELL", "curl -f localhost"],
      intervalSec: 30,
      timeoutSec: 5,
      retries: 3,
      startPeriodSec: 0,
    });
    assert.equal(s.stopTimeoutSec, 5);
    const custom = spec(
      task([
        C("web", {
          healthCheck: { command: ["CMD", "true"], interval: 5, timeout: 2, retries: 1, startPeriod: 10 },
        }),
      ]),
    );
    assert.deepEqual(custom.healthCheck, {
      test: ["CMD", "true"],
      intervalSec: 5,
      timeoutSec: 2,
      retries: 1,
      startPeriodSec: 10,
    });
  });

  it("pidMode and ipcMode task: later containers share the first container's namespaces; host shares the host's", () => {
    const t = task([C("first"), C("second")], { pidMode: "task", ipcMode: "host" });
    const first = spec(t, "first");
    const second = spec(t, "second");
    assert.deepEqual([first.pidMode, first.ipcMode], [undefined, "host"]);
    assert.deepEqual([second.pidMode, second.ipcMode], [`container:ecs-shop-7-first-${TASK_ID}`, "host"]);
  });

  it("json-file log options go to the engine; awslogs options do not", () => {
    const json = spec(
      task([C("web", { logConfiguration: { logDriver: "json-file", options: { "max-size": "1m" } } })]),
    );
    assert.deepEqual(json.logOptions, { "max-size": "1m" });
    const aws = spec(
      task([C("web", { logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "g" } } })]),
    );
    assert.equal(aws.logOptions, undefined);
  });
});
