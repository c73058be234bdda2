import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { credentialsDocument, TaskCredentials } from "../../src/agent/credentials.js";
import type { CredentialsResponse } from "../../src/agentapi/protocol.js";
import { ManualClock } from "../../src/lib/clock.js";

const HOUR = 3_600_000;

function issuer(clock: ManualClock) {
  const calls: string[] = [];
  let fail = false;
  let n = 0;
  const fetch = async (taskArn: string, role: "task" | "execution"): Promise<CredentialsResponse> => {
    calls.push(`${role}|${taskArn}`);
    if (fail) throw new Error("control plane unreachable");
    n++;
    return {
      roleArn: `arn:aws:iam::000000000000:role/${role}`,
      accessKeyId: `ASIA${n}`,
      secretAccessKey: "s",
      sessionToken: "t",
      expiration: clock.now() + HOUR,
    };
  };
  return {
    fetch,
    calls,
    failNext: (v: boolean) => {
      fail = v;
    },
  };
}

describe("task credentials cache", () => {
  it("serves cached credentials until a quarter of their life is left, then fetches fresh ones", async () => {
    const clock = new ManualClock();
    const i = issuer(clock);
    const c = new TaskCredentials(i.fetch, clock);
    assert.equal((await c.get("t1", "task")).accessKeyId, "ASIA1");
    clock.advance(HOUR * 0.74);
    assert.equal((await c.get("t1", "task")).accessKeyId, "ASIA1");
    clock.advance(HOUR * 0.02);
    const fresh = await c.get("t1", "task");
    assert.equal(fresh.accessKeyId, "ASIA2");
    assert.ok(fresh.expiration > clock.now() + HOUR * 0.9);
    assert.equal(i.calls.length, 2);
  });

  it("keeps task and execution roles, and tasks, apart", async () => {
    const clock = new ManualClock();
    const i = issuer(clock);
    const c = new TaskCredentials(i.fetch, clock);
    const a = await c.get("t1", "task");
    const b = await c.get("t1", "execution");
    const other = await c.get("t2", "task");
    assert.notEqual(a.accessKeyId, b.accessKeyId);
    assert.notEqual(a.accessKeyId, other.accessKeyId);
    assert.equal(b.roleArn, "arn:aws:iam::000000000000:role/execution");
  });

  it("shares one fetch between concurrent callers and does not cache a failure", async () => {
    const clock = new ManualClock();
    const i = issuer(clock);
    const c = new TaskCredentials(i.fetch, clock);
    const [x, y] = await Promise.all([c.get("t1", "task"), c.get("t1", "task")]);
    assert.equal(x, y);
    assert.equal(i.calls.length, 1);
    c.forget("t1");
    i.failNext(true);
    await assert.rejects(c.get("t1", "task"), /unreachable/);
    i.failNext(false);
    assert.equal((await c.get("t1", "task")).accessKeyId, "ASIA2");
  });

  it("forgets a task's credentials", async () => {
    const clock = new ManualClock();
    const i = issuer(clock);
    const c = new TaskCredentials(i.fetch, clock);
    await c.get("t1", "task");
    c.forget("t1");
    await c.get("t1", "task");
    assert.equal(i.calls.length, 2);
  });

  it("renders the document the AWS SDKs' container credential provider reads", () => {
    const doc = credentialsDocument({
      roleArn: "arn:aws:iam::000000000000:role/app",
      accessKeyId: "ASIAX",
      secretAccessKey: "secret",
      sessionToken: "token",
      expiration: Date.UTC(2026, 10, 26, 12, 0, 0, 123),
    });
    assert.deepEqual(doc, {
      RoleArn: "arn:aws:iam::000000000000:role/app",
      AccessKeyId: "ASIAX",
      SecretAccessKey: "secret",
      Token: "token",
      Expiration: "2026-11-26T12:00:00Z",
    });
  });
});
