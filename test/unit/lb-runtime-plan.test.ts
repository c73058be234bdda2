/**
 * Runtime API commands (src/lb/runtime-plan.ts): new targets are added held down at weight 0,
 * draining ones drained, deregistered ones removed after their sessions are shut.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend, DataPlane, Server } from "../../src/lb/model.js";
import { type ActualServer, parseServersState, runtimePlan } from "../../src/lb/runtime-plan.js";

const server = (name: string, over: Partial<Server["target"]> = {}, passed = false): Server => ({
  key: `k/${name}`,
  name,
  target: { tgArn: "tg", id: "127.0.0.1", port: 8000, address: "127.0.0.1", registeredAt: 10, ...over },
  health: passed ? { state: "healthy", since: 20, passedOnce: true } : undefined,
});

const backend = (servers: Server[], attributes: Record<string, string> = {}): Backend => ({
  name: "tg_a",
  tgArn: "tg",
  protocol: "HTTP",
  healthCheck: {
    enabled: true,
    protocol: "HTTP",
    port: "traffic-port",
    path: "/",
    intervalSeconds: 30,
    timeoutSeconds: 5,
    healthyThreshold: 5,
    unhealthyThreshold: 2,
    matcher: "200",
  },
  attributes,
  idleTimeoutSeconds: 60,
  lbType: "application",
  servers,
});

const plane = (b: Backend): DataPlane => ({ frontends: [], backends: [b], provisioning: [] });
const actual = (servers: Record<string, Partial<ActualServer>>) =>
  new Map([
    [
      "tg_a",
      new Map(
        Object.entries(servers).map(([n, s]) => [
          n,
          { opState: 2, adminState: 0, uweight: 1, checkStatus: "L7OK", ...s } as ActualServer,
        ]),
      ),
    ],
  ]);

describe("runtimePlan", () => {
  it("adds a new target at weight 0, holds it down, then gives it its weight", () => {
    const cmds = runtimePlan(plane(backend([server("s1")])), actual({}), 100);
    assert.deepEqual(
      cmds.map((c) => c.split(" ").slice(0, 3).join(" ")),
      [
        "add server tg_a/s1",
        "enable health tg_a/s1",
        "set server tg_a/s1",
        "set server tg_a/s1",
        "set server tg_a/s1",
      ],
    );
    assert.match(cmds[0]!, /^add server tg_a\/s1 127\.0\.0\.1:8000 check .* weight 0$/);
    assert.equal(cmds[2], "set server tg_a/s1 state ready");
    assert.equal(cmds[3], "set server tg_a/s1 health down");
    assert.equal(cmds[4], "set server tg_a/s1 weight 1");
  });

  it("drains a deregistered target until its delay ends, then removes it", () => {
    const b = backend([server("s1", { drainUntil: 500 }, true)]);
    assert.deepEqual(runtimePlan(plane(b), actual({ s1: {} }), 100), ["set server tg_a/s1 state drain"]);
    assert.deepEqual(runtimePlan(plane(b), actual({ s1: { adminState: 0x08 } }), 100), []);
    assert.deepEqual(runtimePlan(plane(b), actual({ s1: { adminState: 0x08 } }), 500), [
      "set server tg_a/s1 state maint",
      "shutdown sessions server tg_a/s1",
      "del server tg_a/s1",
    ]);
  });

  it("holds down a target HAProxy started up without checking it (after a fresh start)", () => {
    const cmds = runtimePlan(
      plane(backend([server("s1")])),
      actual({ s1: { checkStatus: "INI", uweight: 0 } }),
      100,
    );
    assert.deepEqual(cmds, ["set server tg_a/s1 health down", "set server tg_a/s1 weight 1"]);
    assert.deepEqual(runtimePlan(plane(backend([server("s1", {}, true)])), actual({ s1: {} }), 100), []);
  });

  it("re-enables dynamic cookies when a sticky backend gains a server", () => {
    const cmds = runtimePlan(
      plane(backend([server("s1")], { "stickiness.enabled": "true" })),
      actual({}),
      100,
    );
    assert.equal(cmds.at(-1), "enable dynamic-cookie backend tg_a");
  });

  it("leaves alone a backend the running configuration does not have yet", () => {
    assert.deepEqual(runtimePlan(plane(backend([server("s1")])), new Map(), 100), []);
  });
});

describe("parseServersState", () => {
  it("reads `show servers state`, and knows backends without servers", () => {
    const text = [
      "1",
      "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status",
      "3 tg_a 1 s1 127.0.0.1 2 8 1 1 4 15 3 3 6 0 0 0 - 32768 - 0 0 - - 0",
      "",
    ].join("\n");
    const m = parseServersState(text, new Map([["tg_a/s1", "L7OK"]]), ["tg_a", "tg_b"]);
    assert.deepEqual(m.get("tg_a")?.get("s1"), {
      opState: 2,
      adminState: 8,
      uweight: 1,
      checkStatus: "L7OK",
    });
    assert.equal(m.get("tg_b")?.size, 0);
  });
});
