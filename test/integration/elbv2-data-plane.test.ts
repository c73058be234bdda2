/**
 * Load balancers on the real HAProxy, with small local servers as targets (IP targets on
 * 127.0.0.1): rules route requests by priority, fixed responses and redirects answer, weights
 * split traffic, HAProxy's health checks become DescribeTargetHealth, deregistered targets drain,
 * an NLB forwards TCP, listener changes reload without dropping requests, and a Berth restart
 * leaves the listeners serving.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteRuleCommand,
  DeregisterTargetsCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  type TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ELB } from "../../src/state/elbv2/kinds.js";
import type { RuleRecord } from "../../src/state/elbv2/records.js";
import { eventually, startBerth, type TestBerth, tempDir } from "../helpers/berth.js";
import { echoServer, freePort, type HttpTarget, httpTarget, load } from "../helpers/lb.js";

describe("load balancer data plane (HAProxy)", () => {
  let b: TestBerth;
  let elb: ElasticLoadBalancingV2Client;
  let a: HttpTarget;
  let c: HttpTarget;
  let albArn: string;
  let tgA: string;
  let tgB: string;
  let listenerArn: string;
  let port: number;
  let dataDir: string;

  const health = async (tg: string): Promise<TargetHealthDescription[]> =>
    (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [];
  /** With a Host header of our choosing (fetch does not let one set it). */
  const getHost = (path: string, host: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, headers: { host } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          body += d;
        });
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      redirect: "manual",
      signal: AbortSignal.timeout(5000),
      ...init,
    });
    return { status: res.status, body: await res.text(), headers: res.headers };
  };
  const targetGroup = async (name: string, target: HttpTarget) => {
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: "HTTP",
          Port: 80,
          TargetType: "ip",
          HealthCheckPath: "/health",
          HealthCheckIntervalSeconds: 5,
          HealthCheckTimeoutSeconds: 2,
          HealthyThresholdCount: 2,
          UnhealthyThresholdCount: 2,
        }),
      )
    ).TargetGroups![0]!.TargetGroupArn!;
    await elb.send(
      new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: "127.0.0.1", Port: target.port }] }),
    );
    return tg;
  };

  before(async () => {
    dataDir = await tempDir();
    b = await startBerth({ dataDir });
    elb = b.elbv2();
    a = await httpTarget("A");
    c = await httpTarget("B");
    port = await freePort();
    albArn = (await elb.send(new CreateLoadBalancerCommand({ Name: "web", Scheme: "internal" })))
      .LoadBalancers![0]!.LoadBalancerArn!;
    tgA = await targetGroup("tg-a", a);
    tgB = await targetGroup("tg-b", c);
    listenerArn = (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: albArn,
          Protocol: "HTTP",
          Port: port,
          DefaultActions: [{ Type: "forward", TargetGroupArn: tgA }],
        }),
      )
    ).Listeners![0]!.ListenerArn!;
    const rule = (Priority: number, Conditions: object[], Actions: object[]) =>
      elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority, Conditions, Actions } as never));
    await rule(10, [{ Field: "path-pattern", Values: ["/b/*"] }], [{ Type: "forward", TargetGroupArn: tgB }]);
    // Lower priority number wins: /b/teapot is a fixed response, not B.
    await rule(
      5,
      [{ Field: "path-pattern", Values: ["/b/teapot"] }],
      [
        {
          Type: "fixed-response",
          FixedResponseConfig: {
            StatusCode: "418",
            ContentType: "application/json",
            MessageBody: '{"its":"a teapot"}',
          },
        },
      ],
    );
    await rule(
      20,
      [{ Field: "host-header", Values: ["*.b.example"] }],
      [{ Type: "forward", TargetGroupArn: tgB }],
    );
    await rule(
      30,
      [{ Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "X-Canary", Values: ["y*"] } }],
      [{ Type: "forward", TargetGroupArn: tgB }],
    );
    await rule(
      40,
      [
        { Field: "http-request-method", HttpRequestMethodConfig: { Values: ["DELETE"] } },
        { Field: "source-ip", SourceIpConfig: { Values: ["127.0.0.0/8"] } },
      ],
      [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "405" } }],
    );
    await rule(
      50,
      [{ Field: "query-string", QueryStringConfig: { Values: [{ Key: "old", Value: "*" }] } }],
      [
        {
          Type: "redirect",
          RedirectConfig: { Path: "/new/#{path}", Query: "moved=1", StatusCode: "HTTP_301" },
        },
      ],
    );
    await eventually(
      async () =>
        (await get("/p?old=1")).status === 301 &&
        (await get("/b/x")).body === "B /b/x" &&
        (await health(tgA))[0]?.TargetHealth?.State === "healthy",
      { timeoutMs: 10_000, what: "every rule applied and both targets serving" },
    );
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await c?.close();
  });

  it("routes by rule priority and condition", async () => {
    assert.deepEqual(await get("/x").then((r) => r.body), "A /x");
    assert.deepEqual(await get("/b/x").then((r) => r.body), "B /b/x");
    const teapot = await get("/b/teapot");
    assert.equal(teapot.status, 418);
    assert.equal(teapot.body, '{"its":"a teapot"}');
    assert.equal(teapot.headers.get("content-type"), "application/json");
    assert.equal(await getHost("/h", "api.b.example:8080"), "B /h");
    assert.equal(await getHost("/h", "API.B.EXAMPLE"), "B /h");
    assert.equal(await getHost("/h", "b.example"), "A /h");
    assert.equal(await get("/c", { headers: { "x-canary": "YES" } }).then((r) => r.body), "B /c");
    assert.equal(await get("/c", { method: "DELETE" }).then((r) => r.status), 405);
    const moved = await get("/p/q?old=1");
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.get("location"), `http://127.0.0.1:${port}/new/p/q?moved=1`);
  });

  it("sets ALB's forwarding headers", async () => {
    const h = JSON.parse((await get("/headers")).body) as Record<string, string>;
    assert.equal(h["x-forwarded-for"], "127.0.0.1");
    assert.equal(h["x-forwarded-proto"], "http");
    assert.equal(h["x-forwarded-port"], String(port));
  });

  it("reports the targets healthy, and the load balancer active", async () => {
    const hs = await health(tgA);
    assert.deepEqual(hs, [
      {
        Target: { Id: "127.0.0.1", Port: a.port },
        HealthCheckPort: String(a.port),
        TargetHealth: { State: "healthy" },
      },
    ]);
    const lb = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [albArn] })))
      .LoadBalancers![0]!;
    assert.equal(lb.State?.Code, "active");
  });

  it("changes rules with a hitless reload: no request fails", async () => {
    let stop = false;
    const running = load(`http://127.0.0.1:${port}/x`, { until: () => stop, max: 20_000 });
    for (let i = 0; i < 3; i++) {
      const r = await elb.send(
        new CreateRuleCommand({
          ListenerArn: listenerArn,
          Priority: 100 + i,
          Conditions: [{ Field: "path-pattern", Values: [`/reload-${i}`] }],
          Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "204" } }],
        }),
      );
      await eventually(async () => (await get(`/reload-${i}`)).status === 204, { what: `rule ${i} applied` });
      await elb.send(new DeleteRuleCommand({ RuleArn: r.Rules![0]!.RuleArn }));
      await eventually(async () => (await get(`/reload-${i}`)).status === 200, { what: `rule ${i} removed` });
    }
    stop = true;
    const result = await running;
    assert.equal(result.failed, 0, result.errors.join("\n"));
    assert.ok(result.ok > 0);
  });

  it("marks a target unhealthy from HAProxy's checks, with ELB's reason", async () => {
    c.setHealth(500);
    try {
      const hs = await eventually(
        async () => {
          const h = await health(tgB);
          return h[0]?.TargetHealth?.State === "unhealthy" ? h : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 250, what: "B unhealthy" },
      );
      assert.deepEqual(hs[0]!.TargetHealth, {
        State: "unhealthy",
        Reason: "Target.ResponseCodeMismatch",
        Description: "Health checks failed with these codes: [500]",
      });
    } finally {
      c.setHealth(200);
    }
    await eventually(async () => (await health(tgB))[0]?.TargetHealth?.State === "healthy", {
      timeoutMs: 20_000,
      intervalMs: 250,
      what: "B healthy again",
    });
  });

  it("drains a deregistered target, then forgets it", async () => {
    const extra = await httpTarget("A2");
    try {
      await elb.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: tgA,
          Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "2" }],
        }),
      );
      await elb.send(
        new RegisterTargetsCommand({ TargetGroupArn: tgA, Targets: [{ Id: "127.0.0.1", Port: extra.port }] }),
      );
      await eventually(
        async () => {
          await get("/");
          return extra.served() > 0;
        },
        { what: "the new target serving" },
      );
      // Named twice in one call (as a script might): deregistered once.
      await elb.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: tgA,
          Targets: [
            { Id: "127.0.0.1", Port: extra.port },
            { Id: "127.0.0.1", Port: extra.port },
          ],
        }),
      );
      const draining = (await health(tgA)).find((h) => h.Target?.Port === extra.port);
      assert.deepEqual(draining?.TargetHealth, {
        State: "draining",
        Reason: "Target.DeregistrationInProgress",
        Description: "Target deregistration is in progress",
      });
      // No new request reaches a draining target (once HAProxy has been told, a moment later).
      await eventually(async () => {
        const n = extra.served();
        for (let i = 0; i < 10; i++) await get("/");
        return extra.served() === n;
      });
      const n = extra.served();
      for (let i = 0; i < 20; i++) assert.equal((await get("/")).body, "A /");
      assert.equal(extra.served(), n);
      await eventually(async () => !(await health(tgA)).some((h) => h.Target?.Port === extra.port), {
        timeoutMs: 10_000,
        what: "the drained target gone",
      });
    } finally {
      await extra.close();
    }
  });

  it("splits traffic by forward weights", async () => {
    await elb.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 60,
        Conditions: [{ Field: "path-pattern", Values: ["/split"] }],
        Actions: [
          {
            Type: "forward",
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: tgA, Weight: 1 },
                { TargetGroupArn: tgB, Weight: 1 },
              ],
            },
          },
        ],
      }),
    );
    await eventually(async () => (await get("/split")).body === "B /split", {
      what: "the weighted rule applied",
    });
    const seen = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      const body = (await get("/split")).body;
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
    assert.ok((seen.get("A /split") ?? 0) > 10, JSON.stringify([...seen]));
    assert.ok((seen.get("B /split") ?? 0) > 10, JSON.stringify([...seen]));
  });

  it("forwards TCP through a Network Load Balancer", async () => {
    const echo = await echoServer();
    try {
      const nlb = (
        await elb.send(new CreateLoadBalancerCommand({ Name: "tcp", Type: "network", Scheme: "internal" }))
      ).LoadBalancers![0]!;
      const tg = (
        await elb.send(
          new CreateTargetGroupCommand({ Name: "echo", Protocol: "TCP", Port: 7, TargetType: "ip" }),
        )
      ).TargetGroups![0]!.TargetGroupArn!;
      await elb.send(
        new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: "127.0.0.1", Port: echo.port }] }),
      );
      const nlbPort = await freePort();
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: nlb.LoadBalancerArn,
          Protocol: "TCP",
          Port: nlbPort,
          DefaultActions: [{ Type: "forward", TargetGroupArn: tg }],
        }),
      );
      await eventually(async () => (await health(tg))[0]?.TargetHealth?.State === "healthy", {
        what: "echo target healthy",
      });
      const reply = await new Promise<string>((resolve, reject) => {
        const s = connect(nlbPort, "127.0.0.1", () => s.write("ping\n"));
        s.setEncoding("utf8");
        s.once("data", (d: string) => {
          resolve(d);
          s.destroy();
        });
        s.once("error", reject);
      });
      assert.equal(reply, "ping\n");
    } finally {
      await echo.close();
    }
  });

  it("keeps serving and applying target changes when HAProxy refuses a new configuration", async () => {
    // A rule the API would refuse (a source-ip with an IPv6 zone id), written to the store
    // directly: HAProxy refuses the configuration it makes.
    const rules = await b.berth.store.read((tx) => tx.scan<RuleRecord>(ELB.rule));
    const victim = rules.find((r) => r.value.priority === 10)!;
    await b.berth.store.write((tx) =>
      tx.put(
        ELB.rule,
        victim.key,
        {
          ...victim.value,
          conditions: [{ Field: "source-ip", SourceIpConfig: { Values: ["fe80::1%eth0/64"] } }],
        },
        { expectVersion: victim.version },
      ),
    );
    const extra = await httpTarget("A3");
    try {
      await elb.send(
        new RegisterTargetsCommand({ TargetGroupArn: tgA, Targets: [{ Id: "127.0.0.1", Port: extra.port }] }),
      );
      await eventually(
        async () => {
          for (let i = 0; i < 10; i++) assert.equal((await get("/")).status, 200);
          return extra.served() > 0;
        },
        { timeoutMs: 20_000, what: "the new target serving while the configuration is refused" },
      );
      // The running configuration is the last good one: the rule still routes as before.
      assert.equal((await get("/b/x")).body, "B /b/x");
    } finally {
      await b.berth.store.write(async (tx) => {
        const cur = (await tx.get<RuleRecord>(ELB.rule, victim.key))!;
        await tx.put(ELB.rule, victim.key, victim.value, { expectVersion: cur.version });
      });
      await elb.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: tgA,
          Targets: [{ Id: "127.0.0.1", Port: extra.port }],
        }),
      );
      await extra.close();
    }
  });

  it("keeps serving while Berth restarts, and picks HAProxy up again", async () => {
    let stop = false;
    const running = load(`http://127.0.0.1:${port}/x`, { until: () => stop, max: 50_000 });
    // Close Berth but leave HAProxy running (what `berth up` does on exit), then start again.
    await b.berth.close();
    await new Promise((r) => setTimeout(r, 200));
    b = await startBerth({ dataDir });
    elb = b.elbv2();
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    const result = await running;
    assert.equal(result.failed, 0, result.errors.join("\n"));
    assert.ok(result.ok > 20, `only ${result.ok} requests`);
    // The new Berth manages the same HAProxy: a rule change applies.
    await elb.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 70,
        Conditions: [{ Field: "path-pattern", Values: ["/after-restart"] }],
        Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "202" } }],
      }),
    );
    await eventually(async () => (await get("/after-restart")).status === 202);
  });
});
