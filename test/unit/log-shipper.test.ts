/**
 * The agent's awslogs shipper (src/agent/logs/shipper.ts) when the control plane refuses output
 * (403: no task of the instance names that log group): the refused lines are dropped, the lines of
 * other containers sent in the same request still arrive, and a failure that is not a refusal keeps
 * the lines for the next flush. Containers run on the in-memory runtime (which has its contract
 * suite); `send` records what the control plane is asked.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { LogShipper } from "../../src/agent/logs/shipper.js";
import { MemoryRuntime } from "../../src/agent/runtime/memory-runtime.js";
import type { DesiredTask, LogBatch } from "../../src/agentapi/protocol.js";
import { silentLogger } from "../../src/lib/log.js";

const task = { taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/0123abcd" } as DesiredTask;

const def = (name: string, group: string): ContainerDefinition => ({
  name,
  logConfiguration: {
    logDriver: "awslogs",
    options: { "awslogs-group": group, "awslogs-stream-prefix": "p" },
  },
});

async function container(runtime: MemoryRuntime, name: string, lines: string[]): Promise<string> {
  const id = await runtime.create({
    name,
    image: "busybox:latest",
    labels: {},
    env: {},
    command: ["fake:print", ...lines],
    networkMode: "none",
    ports: [],
  });
  await runtime.start(id);
  return id;
}

class Refusal extends Error {
  constructor(readonly status: number) {
    super(`agent API answered ${status}`);
  }
}

describe("LogShipper: output the control plane refuses", () => {
  it("drops the refused batches and delivers the others; retries what merely failed", async () => {
    const runtime = new MemoryRuntime();
    runtime.addLocalImage("busybox:latest");
    const mine = await container(runtime, "mine", ["one", "two"]);
    const theirs = await container(runtime, "theirs", ["secret"]);
    const delivered: LogBatch[] = [];
    const calls: string[][] = [];
    let down = false;
    const cursors: Record<string, string> = {};
    const shipper = new LogShipper({
      runtime,
      log: silentLogger,
      region: "us-east-1",
      cursors,
      saveCursors: () => {},
      send: async (batches) => {
        calls.push(batches.map((b) => b.logGroupName));
        if (down) throw new Error("connection refused");
        if (batches.some((b) => b.logGroupName === "/refused")) throw new Refusal(403);
        delivered.push(...batches);
      },
    });
    shipper.follow(task, def("mine", "/allowed"), mine);
    shipper.follow(task, def("theirs", "/refused"), theirs);

    await shipper.flush();
    assert.deepEqual(calls, [["/allowed", "/refused"], ["/allowed"], ["/refused"]]);
    assert.deepEqual(
      delivered.map((b) => [b.logGroupName, b.logStreamName, b.events.map((e) => e.message)]),
      [["/allowed", "p/mine/0123abcd", ["one", "two"]]],
    );
    assert.ok(cursors[theirs], "the refused lines are behind the cursor: never sent again");

    await shipper.flush();
    assert.equal(calls.length, 3, "nothing is left to send");

    // A failure that is not a refusal keeps the lines.
    const later = await container(runtime, "later", ["kept"]);
    shipper.follow(task, def("later", "/allowed"), later);
    down = true;
    await shipper.flush();
    assert.equal(calls.length, 4);
    assert.equal(cursors[later], undefined);
    down = false;
    await shipper.flush();
    assert.deepEqual(
      delivered.at(-1)?.events.map((e) => e.message),
      ["kept"],
    );
    await shipper.close();
  });
});
