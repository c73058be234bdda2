/**
 * Target group health checks: AWS's defaults per protocol, the ranges CreateTargetGroup and
 * ModifyTargetGroup accept, and success-code matchers. Pure.
 */
import type {
  CreateTargetGroupInput,
  ModifyTargetGroupInput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { HealthCheckSettings, TargetGroupRecord } from "../../state/elbv2/records.js";
import { invalid } from "./validate.js";

type HcInput = Pick<
  CreateTargetGroupInput & ModifyTargetGroupInput,
  | "HealthCheckProtocol"
  | "HealthCheckPort"
  | "HealthCheckEnabled"
  | "HealthCheckPath"
  | "HealthCheckIntervalSeconds"
  | "HealthCheckTimeoutSeconds"
  | "HealthyThresholdCount"
  | "UnhealthyThresholdCount"
  | "Matcher"
>;

/** Characters a health check path may hold (RFC 3986 path and query characters, no quotes or spaces). */
const PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;

function range(name: string, v: number | undefined, lo: number, hi: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw invalid(`${name} must be between ${lo} and ${hi}, got ${v}`);
  return v;
}

/**
 * Health check settings from a request, over the current ones (ModifyTargetGroup) or AWS's defaults
 * for the target group's protocol (CreateTargetGroup).
 */
export function healthCheckSettings(
  tg: Pick<TargetGroupRecord, "protocol" | "targetType">,
  input: HcInput,
  current?: HealthCheckSettings,
): HealthCheckSettings {
  const alb = tg.protocol === "HTTP" || tg.protocol === "HTTPS";
  const protocol = (input.HealthCheckProtocol ?? current?.protocol ?? (alb ? "HTTP" : "TCP")) as string;
  if (protocol !== "HTTP" && protocol !== "HTTPS" && protocol !== "TCP")
    throw invalid(`Health check protocol '${protocol}' is not supported`);
  if (alb && protocol === "TCP")
    throw invalid(
      `Health check protocol 'TCP' is not supported for target groups with the '${tg.protocol}' protocol`,
    );
  const http = protocol !== "TCP";
  const protocolChanged = current !== undefined && current.protocol !== protocol;
  if (input.HealthCheckEnabled === false)
    throw invalid(`Health check enabled must be true for target groups with target type '${tg.targetType}'`);
  const port = input.HealthCheckPort ?? current?.port ?? "traffic-port";
  if (port !== "traffic-port") {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535)
      throw invalid(`Health check port '${port}' must be 'traffic-port' or a port between 1 and 65535`);
  }
  if (!http && input.HealthCheckPath !== undefined)
    throw invalid("Health check path cannot be set with the 'TCP' health check protocol");
  if (!http && input.Matcher !== undefined)
    throw invalid("Health check matcher cannot be set with the 'TCP' health check protocol");
  const path = http
    ? (input.HealthCheckPath ?? (protocolChanged ? undefined : current?.path) ?? "/")
    : undefined;
  if (path !== undefined && (path.length > 1024 || !PATH.test(path)))
    throw invalid(
      `Health check path '${path}' must start with '/', be at most 1024 characters, and contain only URI characters (letters, digits and -._~!$&()*+,;=:@/?%)`,
    );
  const intervalSeconds = range(
    "Health check interval",
    input.HealthCheckIntervalSeconds,
    5,
    300,
    current?.intervalSeconds ?? 30,
  );
  // AWS: 5 s for HTTP/HTTPS target groups; for TCP ones 10 s with TCP or HTTPS checks, 6 s with HTTP.
  const defaultTimeout = alb ? 5 : protocol === "HTTP" ? 6 : 10;
  const timeoutSeconds = range(
    "Health check timeout",
    input.HealthCheckTimeoutSeconds,
    2,
    120,
    protocolChanged ? defaultTimeout : (current?.timeoutSeconds ?? defaultTimeout),
  );
  if (timeoutSeconds >= intervalSeconds)
    throw invalid(
      `Health check timeout '${timeoutSeconds}' must be smaller than the interval '${intervalSeconds}'`,
    );
  const healthyThreshold = range(
    "Healthy threshold count",
    input.HealthyThresholdCount,
    2,
    10,
    current?.healthyThreshold ?? 5,
  );
  const unhealthyThreshold = range(
    "Unhealthy threshold count",
    input.UnhealthyThresholdCount,
    2,
    10,
    current?.unhealthyThreshold ?? 2,
  );
  let matcher: string | undefined;
  if (http) {
    if (input.Matcher?.GrpcCode !== undefined)
      throw invalid("Berth supports HTTP health check matchers only (GrpcCode needs gRPC target groups)");
    matcher =
      input.Matcher?.HttpCode ??
      (protocolChanged ? undefined : current?.matcher) ??
      (alb ? "200" : "200-399");
    successCodes(matcher, alb ? 499 : 599);
  }
  return {
    enabled: true,
    protocol: protocol as HealthCheckSettings["protocol"],
    port,
    ...(path !== undefined ? { path } : {}),
    intervalSeconds,
    timeoutSeconds,
    healthyThreshold,
    unhealthyThreshold,
    ...(matcher !== undefined ? { matcher } : {}),
  };
}

/** The status codes a matcher accepts ("200", "200,202", "200-299"), checked against 200..max. */
export function successCodes(matcher: string, max = 599): number[] {
  const bad = () =>
    invalid(
      `Health check matcher HTTP code '${matcher}' must be codes from 200 to ${max}, separated by commas, or a range such as '200-299'`,
    );
  const out = new Set<number>();
  for (const part of matcher.split(",")) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part.trim());
    if (!m) throw bad();
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 200 || hi > max || hi < lo) throw bad();
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  if (out.size === 0) throw bad();
  return [...out].sort((a, b) => a - b);
}
