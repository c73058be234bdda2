/**
 * What DescribeTargetHealth reports for a target: AWS's states, reason codes and descriptions,
 * from the target's registration, whether its target group is in use, and the health the data
 * plane's own checks last recorded. Pure.
 */
import type { TargetHealth } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { TargetHealthRecord, TargetRecord } from "../../state/elbv2/records.js";

/** AWS's description for each reason code. */
export const REASONS = {
  "Elb.RegistrationInProgress": "Target registration is in progress",
  "Elb.InitialHealthChecking": "Initial health checks in progress",
  "Elb.InternalError": "Health checks failed due to an internal error",
  "Target.ResponseCodeMismatch": "Health checks failed",
  "Target.Timeout": "Request timed out",
  "Target.FailedHealthChecks": "Health checks failed",
  "Target.NotRegistered": "Target is not registered to the target group",
  "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
  "Target.DeregistrationInProgress": "Target deregistration is in progress",
  "Target.InvalidState": "Target is in an invalid state",
} as const;

export type Reason = keyof typeof REASONS;

const health = (state: string, reason?: Reason, description?: string): TargetHealth => ({
  State: state as TargetHealth["State"],
  ...(reason ? { Reason: reason, Description: description ?? REASONS[reason] } : {}),
});

export function describeTargetHealth(opts: {
  target: TargetRecord | undefined;
  /** Some listener or rule of a load balancer forwards to the target group. */
  inUse: boolean;
  health: TargetHealthRecord | undefined;
  now: number;
}): TargetHealth {
  const { target, inUse, health: h, now } = opts;
  if (!target) return health("unused", "Target.NotRegistered");
  if (target.drainUntil !== undefined) {
    return now < target.drainUntil
      ? health("draining", "Target.DeregistrationInProgress")
      : health("unused", "Target.NotRegistered");
  }
  if (!inUse) return health("unused", "Target.NotInUse");
  // Health written for an earlier registration of the same target does not count.
  if (!h || h.since < target.registeredAt) return health("initial", "Elb.RegistrationInProgress");
  if (h.state === "healthy") return health("healthy");
  if (h.state === "initial") return health("initial", "Elb.InitialHealthChecking");
  return health("unhealthy", (h.reason as Reason | undefined) ?? "Target.FailedHealthChecks", h.description);
}
