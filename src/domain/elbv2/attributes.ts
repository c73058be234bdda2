/**
 * Load balancer and target group attributes: AWS's names and defaults per load balancer type, and
 * what values Berth accepts. An attribute Berth's data plane honours accepts every valid value; one
 * that needs AWS infrastructure Berth does not have (S3 access logs, WAF, zonal shift) accepts only
 * its default value, so nothing is silently ignored. Pure.
 */
import type { LbType } from "./arns.js";
import { invalid } from "./validate.js";

type Check = (value: string) => boolean;

interface AttributeDef {
  /** The default, or a function of the target type for defaults that depend on it. */
  default: string | ((targetType: string) => string);
  /** Values Berth accepts; undefined: only the default. */
  accepts?: Check;
  /** How the value is checked, for the error message. */
  expect: string;
}

const bool: Check = (v) => v === "true" || v === "false";
const int =
  (lo: number, hi: number): Check =>
  (v) =>
    /^\d+$/.test(v) && Number(v) >= lo && Number(v) <= hi;
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    values.includes(v);

const defaultOnly = (value: string): AttributeDef => ({ default: value, expect: `'${value}' (Berth)` });

const ALB_ATTRIBUTES: Record<string, AttributeDef> = {
  "access_logs.s3.enabled": defaultOnly("false"),
  "access_logs.s3.bucket": defaultOnly(""),
  "access_logs.s3.prefix": defaultOnly(""),
  "client_keep_alive.seconds": defaultOnly("3600"),
  "connection_logs.s3.enabled": defaultOnly("false"),
  "connection_logs.s3.bucket": defaultOnly(""),
  "connection_logs.s3.prefix": defaultOnly(""),
  "deletion_protection.enabled": { default: "false", accepts: bool, expect: "true or false" },
  "idle_timeout.timeout_seconds": { default: "60", accepts: int(1, 4000), expect: "1-4000" },
  "load_balancing.cross_zone.enabled": defaultOnly("true"),
  "routing.http.desync_mitigation_mode": defaultOnly("defensive"),
  "routing.http.drop_invalid_header_fields.enabled": defaultOnly("false"),
  "routing.http.preserve_host_header.enabled": defaultOnly("false"),
  "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": defaultOnly("false"),
  "routing.http.xff_client_port.enabled": defaultOnly("false"),
  "routing.http.xff_header_processing.mode": {
    default: "append",
    accepts: oneOf("append", "preserve", "remove"),
    expect: "append, preserve or remove",
  },
  // HTTP/2 applies to HTTPS listeners only, which Berth does not have.
  "routing.http2.enabled": { default: "true", accepts: bool, expect: "true or false" },
  "waf.fail_open.enabled": defaultOnly("false"),
  "zonal_shift.config.enabled": defaultOnly("false"),
};

const NLB_ATTRIBUTES: Record<string, AttributeDef> = {
  "access_logs.s3.enabled": defaultOnly("false"),
  "access_logs.s3.bucket": defaultOnly(""),
  "access_logs.s3.prefix": defaultOnly(""),
  "deletion_protection.enabled": { default: "false", accepts: bool, expect: "true or false" },
  // One machine is one zone: cross-zone balancing changes nothing.
  "load_balancing.cross_zone.enabled": { default: "false", accepts: bool, expect: "true or false" },
  "dns_record.client_routing_policy": defaultOnly("any_availability_zone"),
  "zonal_shift.config.enabled": defaultOnly("false"),
};

const TG_COMMON: Record<string, AttributeDef> = {
  "deregistration_delay.timeout_seconds": { default: "300", accepts: int(0, 3600), expect: "0-3600" },
  "stickiness.enabled": { default: "false", accepts: bool, expect: "true or false" },
  "load_balancing.cross_zone.enabled": {
    default: "use_load_balancer_configuration",
    accepts: oneOf("true", "false", "use_load_balancer_configuration"),
    expect: "true, false or use_load_balancer_configuration",
  },
  "target_group_health.dns_failover.minimum_healthy_targets.count": defaultOnly("1"),
  "target_group_health.dns_failover.minimum_healthy_targets.percentage": defaultOnly("off"),
  "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": defaultOnly("1"),
  "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": defaultOnly("off"),
};

const TG_HTTP: Record<string, AttributeDef> = {
  ...TG_COMMON,
  "stickiness.type": defaultOnly("lb_cookie"),
  "stickiness.lb_cookie.duration_seconds": { default: "86400", accepts: int(1, 604800), expect: "1-604800" },
  // Used only with stickiness.type app_cookie; valid values are accepted as AWS accepts them.
  "stickiness.app_cookie.cookie_name": {
    default: "",
    accepts: (v) => /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{0,256}$/.test(v),
    expect: "a cookie name",
  },
  "stickiness.app_cookie.duration_seconds": { default: "86400", accepts: int(1, 604800), expect: "1-604800" },
  "slow_start.duration_seconds": {
    default: "0",
    accepts: (v) => v === "0" || int(30, 900)(v),
    expect: "0 or 30-900",
  },
  "load_balancing.algorithm.type": {
    default: "round_robin",
    accepts: oneOf("round_robin", "least_outstanding_requests", "weighted_random"),
    expect: "round_robin, least_outstanding_requests or weighted_random",
  },
  "load_balancing.algorithm.anomaly_mitigation": defaultOnly("off"),
};

const TG_TCP: Record<string, AttributeDef> = {
  ...TG_COMMON,
  "stickiness.type": defaultOnly("source_ip"),
  // Berth closes a deregistered target's connections when its delay ends.
  "deregistration_delay.connection_termination.enabled": {
    default: "false",
    accepts: bool,
    expect: "true or false",
  },
  // HAProxy connects from this machine, so targets see its address unless proxy protocol is on.
  "preserve_client_ip.enabled": {
    default: (targetType) => (targetType === "instance" ? "true" : "false"),
    accepts: bool,
    expect: "true or false",
  },
  "proxy_protocol_v2.enabled": { default: "false", accepts: bool, expect: "true or false" },
  "target_health_state.unhealthy.connection_termination.enabled": {
    default: "true",
    accepts: bool,
    expect: "true or false",
  },
  "target_health_state.unhealthy.draining_interval_seconds": defaultOnly("0"),
};

const lbTable = (type: LbType) => (type === "network" ? NLB_ATTRIBUTES : ALB_ATTRIBUTES);
const tgTable = (protocol: string) => (protocol === "TCP" ? TG_TCP : TG_HTTP);

const defaults = (table: Record<string, AttributeDef>, targetType = "") =>
  Object.fromEntries(
    Object.entries(table).map(([k, d]) => [
      k,
      typeof d.default === "string" ? d.default : d.default(targetType),
    ]),
  );

export const defaultLbAttributes = (type: LbType): Record<string, string> => defaults(lbTable(type));
export const defaultTgAttributes = (protocol: string, targetType: string): Record<string, string> =>
  defaults(tgTable(protocol), targetType);

/** Apply requested attributes over current ones; every key must exist and every value be accepted. */
function apply(
  table: Record<string, AttributeDef>,
  current: Record<string, string>,
  requested: readonly { Key?: string | undefined; Value?: string | undefined }[],
  what: string,
): Record<string, string> {
  if (requested.length === 0) throw invalid("At least one attribute must be specified");
  const next = { ...current };
  for (const a of requested) {
    const key = a.Key ?? "";
    const value = a.Value ?? "";
    const def = Object.hasOwn(table, key) ? table[key] : undefined; // never `constructor`
    if (!def) throw invalid(`${what} attribute key '${key}' is not recognized`);
    const dflt = typeof def.default === "string" ? def.default : current[key];
    const ok = def.accepts ? def.accepts(value) : value === dflt;
    if (!ok) {
      throw invalid(
        def.accepts
          ? `${what} attribute '${key}' value '${value}' is not valid: expected ${def.expect}`
          : `${what} attribute '${key}' can only be '${dflt}' in Berth (it needs AWS infrastructure Berth does not have)`,
      );
    }
    next[key] = value;
  }
  return next;
}

export const applyLbAttributes = (
  type: LbType,
  current: Record<string, string>,
  requested: readonly { Key?: string | undefined; Value?: string | undefined }[],
) => apply(lbTable(type), current, requested, "Load balancer");

export const applyTgAttributes = (
  protocol: string,
  current: Record<string, string>,
  requested: readonly { Key?: string | undefined; Value?: string | undefined }[],
) => apply(tgTable(protocol), current, requested, "Target group");
