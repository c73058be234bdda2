/**
 * The ECS API side of awsvpc and Fargate over the SDK (no Docker: the Fargate host runs on the
 * in-memory runtime, which cannot attach interfaces, so tasks are only launched, not run): task
 * definition sizes, launch types and capacity provider strategies, network configuration checks,
 * what a Fargate task and service look like, interface bookkeeping.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  PutClusterCapacityProvidersCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import type { AgentNetwork } from "../../src/agent/agent.js";
import { MemoryRuntime } from "../../src/agent/runtime/memory-runtime.js";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";
import { ec2Client } from "../helpers/ec2.js";

const noNetwork: AgentNetwork = {
  prepare: async () => ({ bridgeNetwork: "bridge", endpointAddress: "127.0.0.1" }),
  route: async () => {},
  teardown: async () => {},
};

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
  return "no error";
}

describe("Fargate and awsvpc over the ECS API", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let ec2: EC2Client;
  let subnets: { id: string; zone: string }[];
  let sg: string;
  const runtime = new MemoryRuntime();
  runtime.addLocalImage("app");

  before(async () => {
    b = await startBerth({
      fargate: { runtime, network: noNetwork, cgroups: false, name: "fargate-memory", memoryMiB: 4096 },
    });
    ecs = b.ecs();
    ec2 = ec2Client(b);
    await ecs.send(new CreateClusterCommand({ clusterName: "f" }));
    subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.map((s) => ({
      id: s.SubnetId!,
      zone: s.AvailabilityZone!,
    }));
    sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: "app", Description: "app" }))).GroupId!;
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "fg",
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "512",
        memory: "1024",
        containerDefinitions: [{ name: "app", image: "app" }],
      }),
    );
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "bridge",
        containerDefinitions: [{ name: "app", image: "app", memory: 64 }],
      }),
    );
  });
  after(async () => {
    await b.close();
  });

  const awsvpc = (extra: Record<string, unknown> = {}) => ({
    awsvpcConfiguration: { subnets: [subnets[0]!.id], securityGroups: [sg], ...extra },
  });
  const run = (input: Partial<RunTaskCommandInput>) =>
    ecs.send(new RunTaskCommand({ cluster: "f", taskDefinition: "fg", ...input } as RunTaskCommandInput));

  it("rejects Fargate sizes AWS does not offer at registration, with AWS's message", async () => {
    const register = (cpu: string, memory: string) =>
      code(
        ecs.send(
          new RegisterTaskDefinitionCommand({
            family: "bad-size",
            networkMode: "awsvpc",
            requiresCompatibilities: ["FARGATE"],
            cpu,
            memory,
            containerDefinitions: [{ name: "app", image: "app" }],
          }),
        ),
      );
    assert.equal(
      await register("256", "4096"),
      "ClientException: No Fargate configuration exists for given values: 256 CPU, 4096 memory. See the Amazon ECS documentation for the valid values.",
    );
    assert.equal(
      await register("1 vCPU", "1GB"),
      "ClientException: No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.",
    );
    assert.equal(await register("4096", "30 GB"), "no error");
  });

  it("launches a Fargate task on Berth-managed capacity, with its interface and Fargate's fields", async () => {
    const r = await run({
      launchType: "FARGATE",
      networkConfiguration: awsvpc({ assignPublicIp: "ENABLED" }),
    });
    assert.deepEqual(r.failures, []);
    const t = r.tasks![0]!;
    assert.equal(t.launchType, "FARGATE");
    assert.equal(t.capacityProviderName, "FARGATE");
    assert.equal(t.platformVersion, "1.4.0");
    assert.equal(t.platformFamily, "Linux");
    assert.equal(t.containerInstanceArn, undefined);
    assert.deepEqual(t.ephemeralStorage, { sizeInGiB: 20 });
    assert.equal(t.availabilityZone, subnets[0]!.zone);
    assert.equal(t.attachments![0]!.type, "ElasticNetworkInterface");
    assert.equal(t.attachments![0]!.status, "PRECREATED");
    assert.deepEqual(t.attachments![0]!.details, [{ name: "subnetId", value: subnets[0]!.id }]);
    // The interface exists on the EC2 side, with a local public address.
    const enis = (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces!;
    const eni = enis.find((n) => n.Description?.endsWith(t.attachments![0]!.id!))!;
    assert.equal(eni.SubnetId, subnets[0]!.id);
    assert.deepEqual(
      eni.Groups!.map((g) => g.GroupId),
      [sg],
    );
    assert.match(eni.Association!.PublicIp!, /^198\.1[89]\.\d+\.\d+$/);
    assert.equal(eni.RequesterManaged, true);
    // The in-memory host cannot plug interfaces: the task fails to start, and its interface goes.
    const stopped = await eventually(
      async () => {
        const d = (await ecs.send(new DescribeTasksCommand({ cluster: "f", tasks: [t.taskArn!] })))
          .tasks![0]!;
        return d.lastStatus === "STOPPED" ? d : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.match(stopped.stoppedReason!, /^ResourceInitializationError: /);
    assert.equal(stopped.attachments![0]!.status, "DELETED");
    await eventually(async () => {
      const left = (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces!;
      return !left.some((n) => n.NetworkInterfaceId === eni.NetworkInterfaceId);
    });
  });

  it("refuses what ECS refuses, with its words", async () => {
    const cases: [Partial<RunTaskCommandInput>, string][] = [
      [
        { launchType: "FARGATE" },
        "InvalidParameterException: Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      ],
      [
        { launchType: "FARGATE", networkConfiguration: { awsvpcConfiguration: { subnets: [] } } },
        "InvalidParameterException: subnets can not be empty.",
      ],
      [
        {
          launchType: "FARGATE",
          networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"] } },
        },
        "InvalidParameterException: Error retrieving subnet information for [subnet-0123456789abcdef0]: The subnet ID 'subnet-0123456789abcdef0' does not exist (ErrorCode: InvalidSubnetID.NotFound)",
      ],
      [
        { launchType: "FARGATE", networkConfiguration: awsvpc({ securityGroups: ["sg-0123456789abcdef0"] }) },
        "InvalidParameterException: Error retrieving security group information for [sg-0123456789abcdef0]: The security group 'sg-0123456789abcdef0' does not exist (ErrorCode: InvalidGroup.NotFound)",
      ],
      [
        { taskDefinition: "bridge", launchType: "FARGATE" },
        "InvalidParameterException: Task definition does not support launch_type FARGATE.",
      ],
      [
        { taskDefinition: "bridge", launchType: "EC2", networkConfiguration: awsvpc() },
        "InvalidParameterException: Network Configuration is not valid for the given networkMode of this task definition.",
      ],
      [
        {
          launchType: "FARGATE",
          capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
          networkConfiguration: awsvpc(),
        },
        "InvalidParameterException: Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
      ],
      [
        {
          capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
          networkConfiguration: awsvpc(),
        },
        "InvalidParameterException: The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
      ],
      [
        { launchType: "FARGATE", platformVersion: "9.9.9", networkConfiguration: awsvpc() },
        "PlatformUnknownException: The specified platform version (9.9.9) does not exist.",
      ],
      [
        { launchType: "EC2", platformVersion: "LATEST", networkConfiguration: awsvpc() },
        "InvalidParameterException: The platform version must be null when specifying an EC2 launch type.",
      ],
    ];
    for (const [input, want] of cases) assert.equal(await code(run(input)), want, JSON.stringify(input));
    // A subnet of another VPC than the group's.
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: "10.8.0.0/16" }))).Vpc!.VpcId!;
    const other = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: "10.8.1.0/24" }))).Subnet!
      .SubnetId!;
    assert.equal(
      await code(
        run({
          launchType: "FARGATE",
          networkConfiguration: { awsvpcConfiguration: { subnets: [other], securityGroups: [sg] } },
        }),
      ),
      `InvalidParameterException: Security group ${sg} and subnet ${other} belong to different networks.`,
    );
  });

  it("spreads a capacity provider strategy over FARGATE and FARGATE_SPOT, and runs out of capacity honestly", async () => {
    await ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: "f",
        capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy: [],
      }),
    );
    // The host registered 4096 MiB: four 1024-MiB tasks fit, the fifth finds no capacity.
    const r = await run({
      count: 5,
      capacityProviderStrategy: [
        { capacityProvider: "FARGATE", base: 1, weight: 1 },
        { capacityProvider: "FARGATE_SPOT", weight: 1 },
      ],
      networkConfiguration: awsvpc(),
    });
    assert.deepEqual(
      r.tasks!.map((t) => t.capacityProviderName),
      ["FARGATE", "FARGATE_SPOT", "FARGATE", "FARGATE_SPOT"],
    );
    assert.ok(r.tasks!.every((t) => t.launchType === "FARGATE"));
    assert.deepEqual(
      r.failures!.map((f) => f.reason),
      ["Capacity is unavailable at this time. Please try again later or in a different availability zone"],
    );
    for (const t of r.tasks!) await ecs.send(new StopTaskCommand({ cluster: "f", task: t.taskArn! }));
  });

  it("creates a Fargate service with its network configuration and platform", async () => {
    const { service } = await ecs.send(
      new CreateServiceCommand({
        cluster: "f",
        serviceName: "web",
        taskDefinition: "fg",
        desiredCount: 0,
        launchType: "FARGATE",
        networkConfiguration: {
          awsvpcConfiguration: { subnets: subnets.map((s) => s.id), securityGroups: [sg] },
        },
      }),
    );
    assert.equal(service!.launchType, "FARGATE");
    assert.equal(service!.platformVersion, "LATEST");
    assert.equal(service!.platformFamily, "Linux");
    assert.equal(service!.networkConfiguration!.awsvpcConfiguration!.assignPublicIp, "DISABLED");
    assert.equal(service!.deployments![0]!.platformVersion, "1.4.0");
    assert.match(service!.roleArn!, /AWSServiceRoleForECS$/);
    const viaStrategy = await ecs.send(
      new CreateServiceCommand({
        cluster: "f",
        serviceName: "spot",
        taskDefinition: "fg",
        desiredCount: 0,
        capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnets[1]!.id] } },
      }),
    );
    assert.equal(viaStrategy.service!.launchType, undefined);
    assert.deepEqual(viaStrategy.service!.capacityProviderStrategy, [
      { capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 },
    ]);
    assert.equal(
      await code(
        ecs.send(
          new CreateServiceCommand({
            cluster: "f",
            serviceName: "daemon",
            taskDefinition: "fg",
            schedulingStrategy: "DAEMON",
            launchType: "FARGATE",
            networkConfiguration: awsvpc(),
          }),
        ),
      ),
      "InvalidParameterException: The DAEMON scheduling strategy is not supported with the FARGATE launch type.",
    );
    const described = await ecs.send(
      new DescribeServicesCommand({ cluster: "f", services: ["web", "spot"] }),
    );
    assert.equal(described.services!.length, 2);
  });
});
