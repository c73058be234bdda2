/**
 * Target health from HAProxy's checks (src/lb/health.ts): a new target is promoted on its first
 * passing check, stays initial while it fails for less than AWS's unhealthy time, and afterwards
 * follows HAProxy's rise and fall, with ELBv2's reason codes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { observe } from "../../src/lb/health.js";
import type { HealthCheckSettings, TargetHealthRecord, TargetRecord } from "../../src/state/elbv2/records.js";

const hc: HealthCheckSettings = {
  enabled: true,
  protocol: "HTTP",
  port: "traffic-port",
  path: "/",
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 5,
  unhealthyThreshold: 2,
  matcher: "200",
};
const target: TargetRecord = {
  tgArn: "tg",
  id: "10.0.0.1",
  port: 80,
  address: "10.0.0.1",
  registeredAt: 1000,
};
const row = (status: string, check: string, code = "") => ({ status, check_status: check, check_code: code });
const healthy: TargetHealthRecord = { state: "healthy", since: 2000, passedOnce: true };

describe("observe", () => {
  const at = (now: number, r: Record<string, string>, health?: TargetHealthRecord, alb = true) =>
    observe({ row: r, target, health, hc, alb, now });

  it("keeps a new target initial until its first check, then promotes it on a pass", () => {
    assert.deepEqual(at(1100, row("DOWN", "INI")).next, {
      state: "initial",
      reason: "Elb.InitialHealthChecking",
      passedOnce: false,
      since: 1100,
    });
    const pass = at(1300, row("DOWN 1/5", "L7OK", "200"));
    assert.equal(pass.promote, true);
    assert.deepEqual(pass.next, { state: "healthy", passedOnce: true, since: 1300 });
  });

  it("treats a server HAProxy started up but never checked as not yet checked", () => {
    assert.equal(at(1100, row("UP", "INI")).next?.state, "initial");
  });

  it("keeps a failing new target initial for UnhealthyThresholdCount intervals", () => {
    const early = at(1000 + 19_000, row("DOWN", "L4CON"));
    assert.equal(early.next?.state, "initial");
    const late = at(1000 + 20_000, row("DOWN", "L7STS", "404"));
    assert.deepEqual(late.next, {
      state: "unhealthy",
      reason: "Target.ResponseCodeMismatch",
      description: "Health checks failed with these codes: [404]",
      passedOnce: false,
      since: 21_000,
    });
    // Once unhealthy, a pass does not promote: HAProxy's rise decides.
    const rising = at(30_000, row("DOWN 1/5", "L7OK"), late.next);
    assert.equal(rising.promote, undefined);
    assert.equal(rising.next, undefined);
    assert.equal(at(40_000, row("UP", "L7OK"), late.next).next?.state, "healthy");
  });

  it("follows HAProxy after the first pass, with ELBv2's reasons", () => {
    assert.deepEqual(at(5000, row("UP", "L7OK"), healthy), {});
    assert.deepEqual(at(5000, row("UP 1/2", "L7TOUT"), healthy), {});
    assert.deepEqual(at(5000, row("DOWN", "L7TOUT"), healthy).next, {
      state: "unhealthy",
      reason: "Target.Timeout",
      passedOnce: true,
      since: 5000,
    });
    assert.equal(at(5000, row("DOWN", "L4CON"), healthy).next?.reason, "Target.FailedHealthChecks");
    // Network Load Balancers report neither ResponseCodeMismatch nor Timeout.
    assert.equal(
      at(5000, row("DOWN", "L7STS", "500"), healthy, false).next?.reason,
      "Target.FailedHealthChecks",
    );
    assert.equal(at(5000, row("DOWN", "L4TOUT"), healthy, false).next?.reason, "Target.FailedHealthChecks");
  });

  it("ignores health recorded for an earlier registration of the same target", () => {
    const old: TargetHealthRecord = { state: "healthy", since: 500, passedOnce: true };
    assert.equal(at(1100, row("DOWN", "INI"), old).next?.state, "initial");
  });
});
