/**
 * `berth up` killed with -9 under load: HAProxy, a daemon of its own, keeps serving the listeners
 * without a failed request, and the next `berth up` picks it up again (rebuilding its state from
 * the store) and applies new changes to it. The test stops HAProxy itself at the end, since Berth
 * leaves it running on purpose.
 */
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { HaproxyProcess, haproxyPaths } from "../../src/lb/haproxy-process.js";
import { eventually, tempDir } from "../helpers/berth.js";
import { freePort, httpTarget, load } from "../helpers/lb.js";
import { spawnBerth } from "../helpers/process.js";

describe("load balancers across kill -9 of berth up", () => {
  it("keep serving, and are managed again after the restart", { timeout: 120_000 }, async () => {
    const dir = await tempDir();
    const a = await httpTarget("A");
    const c = await httpTarget("B");
    try {
      const first = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      const creds = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
      const client = (url: string) =>
        new ElasticLoadBalancingV2Client({
          endpoint: url,
          region: "us-east-1",
          credentials: creds,
          maxAttempts: 1,
        });
      let elb = client(first.url);
      const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "web", Scheme: "internal" })))
        .LoadBalancers![0]!;
      const tg = (
        await elb.send(
          new CreateTargetGroupCommand({
            Name: "web",
            Protocol: "HTTP",
            Port: 80,
            TargetType: "ip",
            HealthCheckPath: "/health",
            HealthCheckIntervalSeconds: 5,
            HealthCheckTimeoutSeconds: 2,
          }),
        )
      ).TargetGroups![0]!.TargetGroupArn!;
      await elb.send(
        new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: "127.0.0.1", Port: a.port }] }),
      );
      const port = await freePort();
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: "HTTP",
          Port: port,
          DefaultActions: [{ Type: "forward", TargetGroupArn: tg }],
        }),
      );
      await eventually(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })).status === 200,
        {
          what: "the listener serving",
        },
      );

      let stop = false;
      const running = load(`http://127.0.0.1:${port}/`, { until: () => stop, max: 100_000 });
      await first.kill9();
      const served = a.served();
      await eventually(() => a.served() > served + 50, { what: "requests served with Berth down" });
      const second = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      try {
        elb = client(second.url);
        // A registration after the restart reaches the same HAProxy, through its Runtime API.
        await elb.send(
          new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: "127.0.0.1", Port: c.port }] }),
        );
        await eventually(() => c.served() > 0, { what: "the new target serving" });
        stop = true;
        const result = await running;
        assert.equal(result.failed, 0, result.errors.join("\n"));
        const health = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg })))
          .TargetHealthDescriptions!;
        assert.deepEqual(
          health.map((h) => [h.Target!.Port, h.TargetHealth!.State]).sort(),
          [
            [a.port, "healthy"],
            [c.port, "healthy"],
          ].sort(),
        );
      } finally {
        stop = true;
        await running;
        await second.stop();
      }
    } finally {
      await new HaproxyProcess(haproxyPaths(join(dir, "lb"))).stop();
      await a.close();
      await c.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
