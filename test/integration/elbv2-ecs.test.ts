/**
 * CreateService and UpdateService with loadBalancers: ECS's checks and wording, and no service
 * created or changed when a check fails. (Tasks behind load balancers run in test/e2e.)
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { startBerth, type TestBerth } from "../helpers/berth.js";
import { freePort } from "../helpers/lb.js";

async function failure(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error("the call succeeded");
}

describe("ECS services with loadBalancers", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;
  let td: string;
  let tg: string;
  let tgIp: string;
  let tgLoose: string;

  before(async () => {
    b = await startBerth();
    ecs = b.ecs();
    elb = b.elbv2();
    await ecs.send(new CreateClusterCommand({ clusterName: "default" }));
    td = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "web",
          containerDefinitions: [
            { name: "web", image: "busybox", memory: 32, portMappings: [{ containerPort: 8080 }] },
          ],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "lb" }))).LoadBalancers![0]!
      .LoadBalancerArn!;
    const mk = async (Name: string, TargetType: "instance" | "ip") =>
      (await elb.send(new CreateTargetGroupCommand({ Name, Protocol: "HTTP", Port: 80, TargetType })))
        .TargetGroups![0]!.TargetGroupArn!;
    tg = await mk("tg", "instance");
    tgIp = await mk("tg-ip", "ip");
    tgLoose = await mk("loose", "instance");
    await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb,
        Protocol: "HTTP",
        Port: await freePort(),
        DefaultActions: [
          {
            Type: "forward",
            ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg }, { TargetGroupArn: tgIp }] },
          },
        ],
      }),
    );
  });
  after(async () => {
    await b?.close();
  });

  it("refuses load balancers ECS would refuse, and creates nothing", async () => {
    const create = (loadBalancers: object[]) =>
      failure(
        ecs.send(
          new CreateServiceCommand({
            serviceName: "web",
            taskDefinition: td,
            desiredCount: 1,
            loadBalancers,
          } as never),
        ),
      );
    // (awsvpc services, whose target groups must be of type ip, wait for awsvpc networking.)
    const cases: [object[], string][] = [
      [
        [
          {
            targetGroupArn: tg.replace(/[0-9a-f]{16}$/, "0000000000000000"),
            containerName: "web",
            containerPort: 8080,
          },
        ],
        "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.",
      ],
      [
        [{ targetGroupArn: tgLoose, containerName: "web", containerPort: 8080 }],
        `The target group with targetGroupArn ${tgLoose} does not have an associated load balancer.`,
      ],
      [
        [{ targetGroupArn: tg, containerName: "nope", containerPort: 8080 }],
        "The container nope does not exist in the task definition.",
      ],
      [
        [{ targetGroupArn: tg, containerName: "web", containerPort: 9090 }],
        "The container web did not have a container port 9090 defined.",
      ],
      [
        [{ targetGroupArn: tgIp, containerName: "web", containerPort: 8080 }],
        `The provided target group ${tgIp} has target type ip, which is incompatible with the bridge network mode specified in the task definition.`,
      ],
      [
        [{ loadBalancerName: "classic", containerName: "web", containerPort: 8080 }],
        "Berth does not support Classic Load Balancers (loadBalancerName); use targetGroupArn.",
      ],
    ];
    for (const [lbs, message] of cases) {
      const e = await create(lbs);
      assert.equal(e.name, "InvalidParameterException", message);
      assert.equal(e.message, message);
    }
    assert.deepEqual((await ecs.send(new ListServicesCommand({}))).serviceArns, []);
  });

  it("records the load balancers and the service-linked role", async () => {
    const s = (
      await ecs.send(
        new CreateServiceCommand({
          serviceName: "web",
          taskDefinition: td,
          desiredCount: 0,
          loadBalancers: [{ targetGroupArn: tg, containerName: "web", containerPort: 8080 }],
        }),
      )
    ).service!;
    assert.deepEqual(s.loadBalancers, [{ targetGroupArn: tg, containerName: "web", containerPort: 8080 }]);
    assert.equal(
      s.roleArn,
      "arn:aws:iam::000000000000:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
    );
  });

  it("checks load balancers on UpdateService, and starts a deployment when they change", async () => {
    const e = await failure(
      ecs.send(
        new UpdateServiceCommand({
          service: "web",
          loadBalancers: [{ targetGroupArn: tg, containerName: "web", containerPort: 1 }],
        }),
      ),
    );
    assert.equal(e.message, "The container web did not have a container port 1 defined.");
    const before = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services![0]!;
    assert.equal(before.deployments!.length, 1);
    const after = (await ecs
      .send(
        new UpdateServiceCommand({
          service: "web",
          loadBalancers: [
            { targetGroupArn: tg, containerName: "web", containerPort: 8080 },
            { targetGroupArn: tgLoose, containerName: "web", containerPort: 8080 },
          ],
        }),
      )
      .catch((err: Error) => err)) as Error;
    assert.match(after.message, /does not have an associated load balancer/);
    const still = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services![0]!;
    assert.deepEqual(still.loadBalancers, before.loadBalancers);
    const changed = (await ecs.send(new UpdateServiceCommand({ service: "web", loadBalancers: [] })))
      .service!;
    assert.deepEqual(changed.loadBalancers, []);
    assert.equal(changed.deployments!.length, 2);
  });
});
