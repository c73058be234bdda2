/**
 * A task whose container uses the awslogs driver, end to end: RunTask → the in-process agent runs it
 * (on the in-memory container runtime, which has its own contract suite) → the agent ships the
 * output over the agent API → CloudWatch Logs → FilterLogEvents and GetLogEvents.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { RegisterTaskDefinitionCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import type { AgentNetwork } from "../../src/agent/agent.js";
import { MemoryRuntime } from "../../src/agent/runtime/memory-runtime.js";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";

/** No bridge network: the in-memory runtime's containers need none. */
const noNetwork: AgentNetwork = {
  prepare: async () => ({ bridgeNetwork: "none", endpointAddress: "127.0.0.1" }),
  route: async () => {},
  teardown: async () => {},
};

describe("awslogs: container output of a task reaches CloudWatch Logs", () => {
  let t: TestBerth;
  let logs: CloudWatchLogsClient;

  before(async () => {
    const runtime = new MemoryRuntime();
    runtime.addLocalImage("busybox:latest");
    t = await startBerth({ agent: { runtime, network: noNetwork, name: "memory-host", cgroups: false } });
    logs = new CloudWatchLogsClient({
      endpoint: t.url,
      region: t.region,
      credentials: t.credentials,
      maxAttempts: 1,
    });
  });
  after(async () => {
    await t.close();
  });

  it("ships each line to <prefix>/<container>/<task id> in the task's group", async () => {
    const ecs = t.ecs();
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "printer",
        containerDefinitions: [
          {
            name: "app",
            image: "busybox:latest",
            memory: 64,
            command: ["fake:print", "hello from awslogs", '{"level":"error","code":500}', "exit:0"],
            logConfiguration: {
              logDriver: "awslogs",
              options: {
                "awslogs-group": "/ecs/printer",
                "awslogs-region": t.region,
                "awslogs-stream-prefix": "web",
                "awslogs-create-group": "true",
              },
            },
          },
        ],
      }),
    );
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: "printer", cluster: "default" }));
    assert.deepEqual(run.failures, []);
    const taskId = run.tasks![0]!.taskArn!.split("/").at(-1)!;
    const events = await eventually(
      async () => {
        const r = await logs.send(new FilterLogEventsCommand({ logGroupName: "/ecs/printer" }));
        return r.events!.length >= 2 ? r.events! : undefined;
      },
      { timeoutMs: 20_000, what: "the task's output in CloudWatch Logs" },
    );
    assert.deepEqual(
      events.map((e) => [e.logStreamName, e.message]),
      [
        [`web/app/${taskId}`, "hello from awslogs"],
        [`web/app/${taskId}`, '{"level":"error","code":500}'],
      ],
    );
    const json = await logs.send(
      new FilterLogEventsCommand({ logGroupName: "/ecs/printer", filterPattern: "{ $.code = 500 }" }),
    );
    assert.deepEqual(
      json.events!.map((e) => e.message),
      ['{"level":"error","code":500}'],
    );
    const got = await logs.send(
      new GetLogEventsCommand({
        logGroupName: "/ecs/printer",
        logStreamName: `web/app/${taskId}`,
        startFromHead: true,
      }),
    );
    assert.equal(got.events?.length, 2);
  });
});
