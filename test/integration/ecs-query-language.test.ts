/**
 * The cluster query language against hostile expressions, through the ECS SDK, on container
 * instances registered by hand with the join token (no agent runs): a catastrophic `=~` pattern
 * answers promptly and matches nothing, and a JavaScript prototype name as operator is refused.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from "@aws-sdk/client-ecs";
import type { RegisterResponse } from "../../src/agentapi/protocol.js";
import { AGENT_API_PREFIX } from "../../src/agentapi/protocol.js";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";

const JOIN = "join-token-for-query-tests";
/** Exponential on a backtracking engine: minutes to hours for each instance id below. */
const CATASTROPHIC = "'(.*)*(.*)*(.*)*(.*)*!'";

async function register(b: TestBerth, name: string): Promise<string> {
  const res = await fetch(new URL(`${AGENT_API_PREFIX}register`, b.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      joinToken: JOIN,
      region: b.region,
      cluster: "default",
      name,
      resources: { cpu: 4096, memoryMiB: 8192, reservedPorts: [], reservedUdpPorts: [] },
      attributes: [],
      versionInfo: { agentVersion: "test", agentHash: "test", dockerVersion: "test" },
    }),
  });
  const body = (await res.json()) as RegisterResponse;
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.containerInstanceArn;
}

async function refused(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(
    p,
    (err: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, "InvalidParameterException", err.message);
      assert.equal(err.$metadata?.httpStatusCode, 400);
      assert.match(err.message, message);
      return true;
    },
  );
}

describe("cluster query language: hostile expressions", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let instances: string[];
  let td: string;

  before(async () => {
    b = await startBerth({ joinToken: JOIN });
    ecs = b.ecs();
    instances = [
      await register(b, "i-0123456789abcdef0123456789"),
      await register(b, "i-0fedcba9876543210fedcba98"),
    ].sort();
    td = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "query",
          containerDefinitions: [{ name: "app", image: "busybox", memory: 16 }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  });
  after(async () => {
    ecs?.destroy();
    await b?.close();
  });

  const list = async (filter: string) =>
    ((await ecs.send(new ListContainerInstancesCommand({ filter }))).containerInstanceArns ?? []).sort();

  it("ListContainerInstances with a catastrophic pattern answers at once and lists nothing, for =~ and !~", async () => {
    // The filter is evaluated for these instances: an ordinary pattern lists both.
    assert.deepEqual(await list("ec2InstanceId =~ 'i-0.*'"), instances);
    assert.deepEqual(await list(`ec2InstanceId =~ ${CATASTROPHIC}`), []);
    assert.deepEqual(await list(`ec2InstanceId !~ ${CATASTROPHIC}`), []);
    assert.deepEqual(await list(`not(ec2InstanceId =~ ${CATASTROPHIC})`), []);
    // Berth still answers other requests.
    assert.deepEqual(await list("runningTasksCount == 0"), instances);
  });

  it("RunTask with a catastrophic memberOf pattern places nothing and reports the constraint", async () => {
    const run = await ecs.send(
      new RunTaskCommand({
        taskDefinition: td,
        placementConstraints: [{ type: "memberOf", expression: `ec2InstanceId !~ ${CATASTROPHIC}` }],
      }),
    );
    assert.deepEqual(run.tasks, []);
    assert.deepEqual(
      run.failures?.map((f) => [f.arn, f.reason]).sort(),
      instances.map((arn) => [arn, "MemberOf placement constraint unsatisfied."]),
    );
  });

  it("a service with a catastrophic memberOf pattern places no task, and the scheduler keeps serving others", async () => {
    await ecs.send(
      new CreateServiceCommand({
        serviceName: "stuck",
        taskDefinition: td,
        desiredCount: 1,
        placementConstraints: [{ type: "memberOf", expression: `ec2InstanceId =~ ${CATASTROPHIC}` }],
      }),
    );
    await ecs.send(new CreateServiceCommand({ serviceName: "fine", taskDefinition: td, desiredCount: 1 }));
    // Scheduler passes complete: the ordinary service gets its task, the other reports why it has none.
    await eventually(
      async () =>
        ((await ecs.send(new ListTasksCommand({ serviceName: "fine" }))).taskArns ?? []).length === 1,
      { what: "the task of service fine" },
    );
    const stuck = await eventually(
      async () => {
        const s = (await ecs.send(new DescribeServicesCommand({ services: ["stuck"] }))).services![0]!;
        return s.events?.some((e) => /was unable to place a task/.test(e.message ?? "")) ? s : undefined;
      },
      { what: "an unable-to-place event on service stuck" },
    );
    assert.equal(stuck.runningCount, 0);
    assert.equal(stuck.pendingCount, 0);
    assert.deepEqual((await ecs.send(new ListTasksCommand({ serviceName: "stuck" }))).taskArns, []);
  });

  it("a JavaScript prototype name as operator is an unknown operator: InvalidParameterException", async () => {
    for (const op of ["constructor", "__proto__", "toString"]) {
      const expression = `runningTasksCount ${op} 5`;
      const unknown = new RegExp(`unknown operator '${op}'`);
      await refused(ecs.send(new ListContainerInstancesCommand({ filter: expression })), unknown);
      await refused(
        ecs.send(
          new CreateServiceCommand({
            serviceName: `proto-${op.replace(/_/g, "")}`,
            taskDefinition: td,
            desiredCount: 1,
            placementConstraints: [{ type: "memberOf", expression }],
          }),
        ),
        unknown,
      );
      await refused(
        ecs.send(
          new RunTaskCommand({
            taskDefinition: td,
            placementConstraints: [{ type: "memberOf", expression }],
          }),
        ),
        unknown,
      );
    }
  });
});
