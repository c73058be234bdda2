/**
 * Target health from HAProxy's own health checks, in ELBv2's terms. Pure.
 *
 * HAProxy's checks decide; Berth translates, with one rule of its own for new targets: ELBv2 sends
 * a new target traffic once it passes one health check, while HAProxy would need `rise` passes.
 * So a new target is added down (health forced down, weight 0); its first check runs within
 * DOWN_INTERVAL_MS; when it passes, the controller forces it up. A new target that keeps failing
 * stays `initial` for as long as AWS would take to call it unhealthy (UnhealthyThresholdCount
 * intervals), so slow starters are not killed by quick first checks.
 */
import type { Reason } from "../domain/elbv2/target-health.js";
import type { HealthCheckSettings, TargetHealthRecord, TargetRecord } from "../state/elbv2/records.js";
import type { StatRow } from "./haproxy-socket.js";

const OK = new Set(["L4OK", "L6OK", "L7OK", "L7OKC"]);
const TIMEOUT = new Set(["L4TOUT", "L6TOUT", "L7TOUT"]);

export const checkStatus = (row: StatRow) => (row.check_status ?? "").replace(/^\* /, "");

/** Why a check failed, as ELBv2 says it (ResponseCodeMismatch and Timeout are ALB's only). */
export function failure(row: StatRow, alb: boolean): { reason: Reason; description?: string } {
  const status = checkStatus(row);
  if (alb && status === "L7STS" && /^\d{3}$/.test(row.check_code ?? ""))
    return {
      reason: "Target.ResponseCodeMismatch",
      description: `Health checks failed with these codes: [${row.check_code}]`,
    };
  if (alb && TIMEOUT.has(status)) return { reason: "Target.Timeout" };
  return { reason: "Target.FailedHealthChecks" };
}

export interface Observation {
  /** The health to record, when it differs from the recorded one. */
  next?: TargetHealthRecord;
  /** Force the server up in HAProxy: a new target passed its first check. */
  promote?: boolean;
}

export function observe(opts: {
  row: StatRow;
  target: TargetRecord;
  health: TargetHealthRecord | undefined;
  hc: HealthCheckSettings;
  alb: boolean;
  now: number;
}): Observation {
  const { row, target, hc, alb, now } = opts;
  // Health recorded for an earlier registration of the same target does not count.
  const health = opts.health && opts.health.since >= target.registeredAt ? opts.health : undefined;
  const status = row.status ?? "";
  const check = checkStatus(row);
  const same = (h: Omit<TargetHealthRecord, "since">) =>
    health !== undefined &&
    health.state === h.state &&
    health.reason === h.reason &&
    health.description === h.description &&
    health.passedOnce === h.passedOnce;
  const record = (h: Omit<TargetHealthRecord, "since">): Observation =>
    same(h) ? {} : { next: { ...h, since: now } };

  if (!health?.passedOnce) {
    // Up after a real check: promoted earlier, or back through HAProxy's own rise.
    if (status.startsWith("UP") && check !== "INI" && check !== "")
      return record({ state: "healthy", passedOnce: true });
    // A first pass promotes a new target; one already called unhealthy must rise as HAProxy says.
    if (OK.has(check) && health?.state !== "unhealthy")
      return { ...record({ state: "healthy", passedOnce: true }), promote: true };
    const due = target.registeredAt + hc.unhealthyThreshold * hc.intervalSeconds * 1000;
    if (check !== "INI" && check !== "" && !OK.has(check) && now >= due) {
      const f = failure(row, alb);
      return record({
        state: "unhealthy",
        reason: f.reason,
        ...(f.description ? { description: f.description } : {}),
        passedOnce: false,
      });
    }
    if (health?.state === "unhealthy") return {};
    return record({ state: "initial", reason: "Elb.InitialHealthChecking", passedOnce: false });
  }
  if (status.startsWith("UP") || status.startsWith("no check") || status === "DRAIN")
    return record({ state: "healthy", passedOnce: true });
  if (status.startsWith("DOWN") || status === "NOLB") {
    const f = failure(row, alb);
    return record({
      state: "unhealthy",
      reason: f.reason,
      ...(f.description ? { description: f.description } : {}),
      passedOnce: true,
    });
  }
  return {};
}
