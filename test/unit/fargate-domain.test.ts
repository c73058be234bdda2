/**
 * Fargate and awsvpc rules that are pure: which launch a request asks for, how a capacity provider
 * strategy spreads tasks, platform versions, ephemeral storage, the awsvpc configuration against the
 * network mode, and how an awsvpc task's attachment follows its status.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NetworkConfiguration, RegisterTaskDefinitionRequest, Volume } from "@aws-sdk/client-ecs";
import { awsvpcChoice } from "../../src/domain/ecs/awsvpc.js";
import {
  chooseLaunch,
  ephemeralGiB,
  nextProvider,
  resolvePlatformVersion,
  unsupportedOnFargate,
} from "../../src/domain/ecs/fargate.js";
import { applyReport, newTask } from "../../src/domain/ecs/task.js";
import { buildTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import { AwsError } from "../../src/errors/catalog.js";
import type { TaskNetworkRecord } from "../../src/state/ecs/tasks.js";

const err = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return e instanceof AwsError ? `${e.def.code}: ${e.message}` : String(e);
  }
  return "no error";
};

const td = (extra: Partial<RegisterTaskDefinitionRequest> = {}, container: Record<string, unknown> = {}) =>
  buildTaskDefinition(
    {
      family: "f",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "app", image: "app", ...container }],
      ...extra,
    } as RegisterTaskDefinitionRequest,
    {
      arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/f:1",
      revision: 1,
      registeredAt: 0,
      registeredBy: "x",
    },
  );

describe("choosing a launch", () => {
  it("takes the launch type, else the strategy, else the cluster's default strategy, else EC2", () => {
    assert.deepEqual(chooseLaunch("FARGATE", undefined, []), { launchType: "FARGATE" });
    assert.deepEqual(chooseLaunch(undefined, undefined, []), { launchType: "EC2" });
    const spot = [{ capacityProvider: "FARGATE_SPOT", weight: 1 }];
    assert.deepEqual(chooseLaunch(undefined, spot, []), { launchType: "FARGATE", strategy: spot });
    assert.deepEqual(chooseLaunch(undefined, [], spot), { launchType: "FARGATE", strategy: spot });
    assert.equal(
      err(() => chooseLaunch("EC2", spot, [])),
      "InvalidParameterException: Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
    );
    assert.match(
      err(() => chooseLaunch("EXTERNAL", undefined, [])),
      /does not support launchType EXTERNAL/,
    );
    assert.match(
      err(() => chooseLaunch(undefined, [{ capacityProvider: "FARGATE", weight: 0 }], [])),
      /at least one capacity provider with a weight greater than zero/,
    );
  });

  it("fills the base first, then keeps the split closest to the weights", () => {
    const strategy = [
      { capacityProvider: "FARGATE", base: 2, weight: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 3 },
    ];
    const counts = new Map<string, number>();
    const picks: string[] = [];
    for (let i = 0; i < 10; i++) {
      const p = nextProvider(strategy, counts);
      counts.set(p, (counts.get(p) ?? 0) + 1);
      picks.push(p);
    }
    assert.deepEqual(picks.slice(0, 2), ["FARGATE", "FARGATE"]);
    assert.equal(counts.get("FARGATE_SPOT"), 7);
    assert.equal(nextProvider(undefined, new Map()), "FARGATE");
  });

  it("resolves platform versions as Fargate does", () => {
    assert.equal(resolvePlatformVersion("FARGATE", undefined), "1.4.0");
    assert.equal(resolvePlatformVersion("FARGATE", "LATEST"), "1.4.0");
    assert.equal(resolvePlatformVersion("EC2", undefined), undefined);
    assert.match(
      err(() => resolvePlatformVersion("FARGATE", "1.3.0")),
      /runs Fargate platform version 1\.4\.0 only/,
    );
    assert.equal(
      err(() => resolvePlatformVersion("FARGATE", "2.0.0")),
      "PlatformUnknownException: The specified platform version (2.0.0) does not exist.",
    );
  });

  it("knows what Fargate runs and how much ephemeral storage a task gets", () => {
    assert.equal(unsupportedOnFargate(td()), undefined);
    assert.equal(
      unsupportedOnFargate(td({ requiresCompatibilities: ["EC2"], cpu: "128" })),
      "Task definition does not support launch_type FARGATE.",
    );
    // A definition stored before registration enforced every Fargate rule is still refused at launch.
    const stored = (container: Record<string, unknown>, volumes: Volume[] = []) => {
      const d = td();
      return { ...d, volumes, containerDefinitions: [{ ...d.containerDefinitions[0]!, ...container }] };
    };
    assert.equal(
      unsupportedOnFargate(stored({ linuxParameters: { capabilities: { add: ["NET_ADMIN"] } } })),
      "Fargate compatible task definitions only support adding the SYS_PTRACE Linux capability; container 'app' adds NET_ADMIN.",
    );
    assert.equal(
      unsupportedOnFargate(stored({ privileged: true })),
      "Fargate does not support privileged containers (container 'app').",
    );
    assert.equal(
      unsupportedOnFargate(stored({ linuxParameters: { devices: [{ hostPath: "/dev/mem" }] } })),
      "Fargate compatible task definitions do not support devices",
    );
    assert.equal(
      unsupportedOnFargate(stored({ dockerSecurityOptions: ["seccomp:unconfined"] })),
      "Fargate compatible task definitions do not support dockerSecurityOptions",
    );
    assert.equal(
      unsupportedOnFargate(stored({}, [{ name: "v", dockerVolumeConfiguration: { driver: "local" } }])),
      "Fargate compatible task definitions do not support dockerVolumeConfiguration",
    );
    assert.equal(
      unsupportedOnFargate(stored({}, [{ name: "v", host: { sourcePath: "/" } }])),
      "host.sourcePath should not be set for volumes in Fargate.",
    );
    assert.equal(
      unsupportedOnFargate(td({}, { linuxParameters: { capabilities: { add: ["SYS_PTRACE"] } } })),
      undefined,
    );
    assert.equal(ephemeralGiB(td(), undefined), 20);
    assert.equal(ephemeralGiB(td({ ephemeralStorage: { sizeInGiB: 50 } }), undefined), 50);
    assert.equal(ephemeralGiB(td(), 100), 100);
    assert.match(
      err(() => ephemeralGiB(td(), 201)),
      /between 21 and 200 GiB/,
    );
  });
});

describe("the awsvpc configuration", () => {
  const nc = (c: Record<string, unknown>) => ({ awsvpcConfiguration: c }) as unknown as NetworkConfiguration;

  it("is required for awsvpc tasks and refused for others, with ECS's words", () => {
    assert.equal(
      err(() => awsvpcChoice("awsvpc", undefined, "FARGATE")),
      "InvalidParameterException: Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    );
    assert.equal(
      err(() => awsvpcChoice("bridge", nc({ subnets: ["s"] }), "EC2")),
      "InvalidParameterException: Network Configuration is not valid for the given networkMode of this task definition.",
    );
    assert.equal(awsvpcChoice("bridge", undefined, "EC2"), undefined);
    assert.equal(
      err(() => awsvpcChoice("awsvpc", nc({ subnets: [] }), "FARGATE")),
      "InvalidParameterException: subnets can not be empty.",
    );
    assert.equal(
      err(() => awsvpcChoice("awsvpc", nc({ subnets: ["s"], assignPublicIp: "ENABLED" }), "EC2")),
      "InvalidParameterException: Assign public IP is not supported for this launch type.",
    );
    assert.deepEqual(
      awsvpcChoice("awsvpc", nc({ subnets: ["s", "s"], assignPublicIp: "ENABLED" }), "FARGATE"),
      {
        subnets: ["s"],
        securityGroups: [],
        assignPublicIp: true,
      },
    );
  });
});

describe("an awsvpc task's attachment", () => {
  const network: TaskNetworkRecord = {
    attachmentId: "att-1",
    eniId: "eni-0123456789abcdef0",
    subnetId: "subnet-1",
    vpcId: "vpc-1",
    privateIp: "10.0.1.4",
    macAddress: "0e:00:00:00:00:01",
    groupIds: ["sg-1"],
  };
  const rec = newTask({
    id: "0123456789abcdef0123456789abcdef",
    scope: { region: "us-east-1", accountId: "000000000000" },
    cluster: "default",
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
    taskDefinition: td(),
    overrides: undefined,
    availabilityZone: "us-east-1a",
    launchType: "FARGATE",
    group: "family:f",
    tags: [],
    now: 0,
    containerIds: ["c1"],
    network,
    fargate: { hostId: "h1", capacityProviderName: "FARGATE", platformVersion: "1.4.0", ephemeralGiB: 20 },
  });
  const report = (lastStatus: string) => ({
    taskArn: rec.task.taskArn,
    lastStatus,
    containers: [
      { name: "app", lastStatus: lastStatus === "RUNNING" ? ("RUNNING" as const) : ("PENDING" as const) },
    ],
  });

  it("is PRECREATED with the subnet, ATTACHED with the interface once up, DELETED once stopped", () => {
    assert.deepEqual(rec.task.attachments, [
      {
        id: "att-1",
        type: "ElasticNetworkInterface",
        status: "PRECREATED",
        details: [{ name: "subnetId", value: "subnet-1" }],
      },
    ]);
    assert.equal(rec.fargateHost, "h1");
    assert.equal(rec.task.platformFamily, "Linux");
    const pending = applyReport(rec, report("PENDING"), 1)!;
    assert.equal(pending.task.attachments![0]!.status, "ATTACHED");
    assert.deepEqual(
      pending.task.attachments![0]!.details!.map((d) => d.name),
      ["subnetId", "networkInterfaceId", "macAddress", "privateDnsName", "privateIPv4Address"],
    );
    assert.deepEqual(pending.task.containers[0]!.networkInterfaces, [
      { attachmentId: "att-1", privateIpv4Address: "10.0.1.4" },
    ]);
    const stopped = applyReport(pending, { ...report("STOPPED"), stopCode: "EssentialContainerExited" }, 2)!;
    assert.equal(stopped.task.attachments![0]!.status, "DELETED");
  });
});
