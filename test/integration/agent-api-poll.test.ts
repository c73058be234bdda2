/**
 * The agent API's long-poll (src/agentapi/server.ts) over HTTP, with no agent running: instances
 * are registered by hand with the join token, and RunTask/StartTask/StopTask (through the ECS SDK)
 * change what they are asked to run. A poll with the digest it last saw must wait until that
 * instance's tasks change, and then return at once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import type { PollResponse, RegisterRequest, RegisterResponse } from "../../src/agentapi/protocol.js";
import { AGENT_API_PREFIX } from "../../src/agentapi/protocol.js";
import { SqliteStore } from "../../src/state/sqlite/sqlite-store.js";
import type { ReadTx, Store } from "../../src/state/store.js";
import { startBerth, type TestBerth } from "../helpers/berth.js";

const JOIN = "join-token-for-poll-tests";
/** A poll that should end on a change is given this long to do so (the server would otherwise wait 20 s); generous, as the machine may be busy. */
const PROMPT_MS = 12_000;

async function call<T>(
  b: TestBerth,
  op: string,
  body: unknown,
  auth?: { arn: string; token: string },
): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(`${AGENT_API_PREFIX}${op}`, b.url), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(auth ? { authorization: `Bearer ${auth.token}`, "x-berth-instance": auth.arn } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

function registration(name: string, over: Partial<RegisterRequest> = {}): RegisterRequest {
  return {
    joinToken: JOIN,
    region: "us-east-1",
    cluster: "default",
    name,
    resources: { cpu: 4096, memoryMiB: 8192, reservedPorts: [22], reservedUdpPorts: [] },
    attributes: [],
    versionInfo: { agentVersion: "test", agentHash: "test", dockerVersion: "test" },
    ...over,
  };
}

interface Instance {
  arn: string;
  token: string;
  id: string;
}

async function register(b: TestBerth, name: string): Promise<Instance> {
  const res = await call<RegisterResponse>(b, "register", registration(name));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const arn = res.body.containerInstanceArn;
  return { arn, token: res.body.instanceToken, id: arn.slice(arn.lastIndexOf("/") + 1) };
}

async function poll(b: TestBerth, inst: Instance, since?: string, waitMs?: number): Promise<PollResponse> {
  const res = await call<PollResponse>(
    b,
    "poll",
    { ...(since ? { since } : {}), ...(waitMs !== undefined ? { waitMs } : {}) },
    inst,
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** `p`, or a failure if it has not settled within PROMPT_MS. */
async function promptly<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not return within ${PROMPT_MS} ms`)), PROMPT_MS);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function taskDefinition(ecs: ECSClient): Promise<string> {
  const res = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: "poll",
      containerDefinitions: [{ name: "app", image: "busybox", memory: 16 }],
    }),
  );
  return res.taskDefinition!.taskDefinitionArn!;
}

describe("agent API long-poll", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let td: string;
  let a: Instance;
  let other: Instance;

  before(async () => {
    b = await startBerth({ joinToken: JOIN });
    ecs = b.ecs();
    a = await register(b, "host-a");
    other = await register(b, "host-b");
    td = await taskDefinition(ecs);
  });
  after(async () => {
    ecs?.destroy();
    await b?.close();
  });

  it("refuses a wrong join token and wrong instance credentials with 401", async () => {
    const bad = await call<{ message: string }>(b, "register", registration("x", { joinToken: "nope" }));
    assert.deepEqual([bad.status, bad.body.message], [401, "wrong join token"]);
    const noToken = await call<{ message: string }>(
      b,
      "register",
      registration("x", { joinToken: undefined }),
    );
    assert.equal(noToken.status, 401);
    for (const auth of [
      { arn: a.arn, token: "wrong" },
      { arn: a.arn, token: other.token },
      { arn: `${a.arn}0`, token: a.token },
      { arn: "not-an-arn", token: a.token },
    ]) {
      const res = await call<{ message: string }>(b, "poll", { waitMs: 0 }, auth);
      assert.equal(res.status, 401, JSON.stringify(auth));
    }
    const none = await call<{ message: string }>(b, "poll", { waitMs: 0 });
    assert.equal(none.status, 401);
  });

  it("answers at once without a digest, and returns the same digest after waitMs when nothing changed", async () => {
    const first = await poll(b, a);
    assert.deepEqual([first.instanceStatus, first.tasks], ["ACTIVE", []]);
    assert.match(first.digest, /^[0-9a-f]{64}$/);
    const again = await poll(b, a, first.digest, 200);
    assert.deepEqual(again, first);
  });

  it("waits until RunTask gives the instance a task, then returns it", async () => {
    const { digest } = await poll(b, a);
    // A change on another instance of the same cluster must not end this poll.
    let settled = false;
    const waiting = poll(b, a, digest, 20_000).finally(() => {
      settled = true;
    });
    const onOther = await ecs.send(
      new StartTaskCommand({ taskDefinition: td, containerInstances: [other.arn], startedBy: "poll-test" }),
    );
    assert.equal(onOther.tasks?.length, 1);
    const otherSaw = await promptly(poll(b, other), "the other instance's poll");
    assert.equal(otherSaw.tasks.length, 1);
    assert.equal(settled, false, "the poll ended on another instance's change");

    const run = await ecs.send(
      new StartTaskCommand({ taskDefinition: td, containerInstances: [a.arn], startedBy: "poll-test" }),
    );
    const arn = run.tasks![0]!.taskArn!;
    const res = await promptly(waiting, "the poll");
    assert.notEqual(res.digest, digest);
    assert.deepEqual(
      res.tasks.map((t) => [t.taskArn, t.desiredStatus, t.taskDefinition.family]),
      [[arn, "RUNNING", "poll"]],
    );
    await ecs.send(new StopTaskCommand({ task: arn }));
    await ecs.send(new StopTaskCommand({ task: onOther.tasks![0]!.taskArn! }));
  });

  it("waits until StopTask asks a task to stop, then returns the stop", async () => {
    // RunTask places at random by default; spread by instance to have one task on each.
    const run = await ecs.send(
      new RunTaskCommand({
        taskDefinition: td,
        count: 2,
        placementStrategy: [{ type: "spread", field: "instanceId" }],
      }),
    );
    const mine = run.tasks!.find((t) => t.containerInstanceArn === a.arn)!;
    assert.ok(mine, "RunTask spreads two tasks over both instances");
    const { digest } = await poll(b, a);
    const waiting = poll(b, a, digest, 20_000);
    await ecs.send(new StopTaskCommand({ task: mine.taskArn!, reason: "poll test" }));
    const res = await promptly(waiting, "the poll");
    assert.notEqual(res.digest, digest);
    const t = res.tasks.find((x) => x.taskArn === mine.taskArn)!;
    assert.deepEqual(
      [t.desiredStatus, t.stopCode, t.stoppedReason],
      ["STOPPED", "UserInitiated", "poll test"],
    );
    for (const x of run.tasks!) await ecs.send(new StopTaskCommand({ task: x.taskArn! }));
  });
});

/**
 * A store that runs `hook` once, right after a read whose result is a poll response: the write the
 * hook makes commits after the poll read its state but before the poll starts waiting.
 */
class RacingStore implements Store {
  hook: (() => Promise<void>) | undefined;
  constructor(private readonly inner: Store) {}
  async read<R>(fn: (tx: ReadTx) => Promise<R>): Promise<R> {
    const r = await this.inner.read(fn);
    const hook = this.hook;
    if (hook && r && typeof r === "object" && "digest" in r) {
      this.hook = undefined;
      await hook();
    }
    return r;
  }
  write: Store["write"] = (fn) => this.inner.write(fn);
  changesSince: Store["changesSince"] = (after, limit) => this.inner.changesSince(after, limit);
  headSeq: Store["headSeq"] = () => this.inner.headSeq();
  subscribe: Store["subscribe"] = (listener) => this.inner.subscribe(listener);
  wipe: Store["wipe"] = () => this.inner.wipe();
  close: Store["close"] = () => this.inner.close();
}

describe("agent API long-poll: a change between the poll's read and its wait", () => {
  it("is not missed (the poll returns it at once instead of waiting out waitMs)", async () => {
    const store = new RacingStore(new SqliteStore({ path: ":memory:" }));
    const b = await startBerth({ joinToken: JOIN, store });
    const ecs = b.ecs();
    try {
      const inst = await register(b, "host-race");
      const td = await taskDefinition(ecs);
      const { digest } = await poll(b, inst);
      let arn = "";
      store.hook = async () => {
        const run = await ecs.send(new RunTaskCommand({ taskDefinition: td }));
        arn = run.tasks![0]!.taskArn!;
      };
      const res = await promptly(poll(b, inst, digest, 20_000), "the poll");
      assert.ok(arn, "the racing RunTask ran");
      assert.deepEqual(
        res.tasks.map((t) => t.taskArn),
        [arn],
      );
    } finally {
      ecs.destroy();
      await b.close();
    }
  });
});
