/**
 * Listener rules: checking and normalising conditions and actions as CreateRule, ModifyRule,
 * CreateListener and ModifyListener receive them, into the shapes Describe* report. Pure; target
 * groups named by forward actions are checked against the store by the handler.
 *
 * Every value that later reaches the HAProxy configuration is checked here against a character set,
 * and the renderer encodes it again (src/lb/haproxy-config.ts), so user text never shapes the
 * configuration's syntax.
 */
import { isIP } from "node:net";
import type {
  Action,
  ForwardActionConfig,
  QueryStringKeyValuePair,
  RuleCondition,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { LbType } from "./arns.js";
import { invalid } from "./validate.js";

const badAction = (m: string) => new AwsError(Errors.InvalidLoadBalancerAction, m);

// --- Actions ----------------------------------------------------------------------------------

export const FIXED_CONTENT_TYPES = [
  "text/plain",
  "text/css",
  "text/html",
  "application/javascript",
  "application/json",
];

/** Redirect components: literal text or AWS's #{...} keywords. Quotes, spaces and backslashes are refused. */
const REDIRECT_TEXT = /^(?:[A-Za-z0-9\-._~!$&()*+,;=:@/?%[\]]|#\{(?:protocol|host|port|path|query)\})*$/;

/** Normalise a list of actions; returns the actions and the target group ARNs they forward to. */
export function normalizeActions(
  actions: readonly Action[] | undefined,
  lbType: LbType,
): { actions: Action[]; targetGroupArns: string[] } {
  const list = actions ?? [];
  if (list.length === 0) throw invalid("At least one action must be specified");
  const out: Action[] = [];
  const arns: string[] = [];
  for (const a of list) {
    const type = a.Type as string | undefined;
    if (type === "authenticate-oidc" || type === "authenticate-cognito" || type === "jwt-validation")
      throw badAction(`Berth does not support '${type}' actions (they need an identity provider)`);
    if (lbType === "network" && type !== "forward")
      throw badAction(`Network Load Balancer listeners support 'forward' actions only, not '${type}'`);
    switch (type) {
      case "forward": {
        const f = forward(a);
        if (lbType === "network" && f.ForwardConfig!.TargetGroups!.length > 1)
          throw badAction("Network Load Balancer listeners forward to one target group");
        arns.push(...f.ForwardConfig!.TargetGroups!.map((t) => t.TargetGroupArn!));
        out.push(f);
        break;
      }
      case "redirect":
        out.push(redirect(a));
        break;
      case "fixed-response":
        out.push(fixedResponse(a));
        break;
      default:
        throw badAction(`Action type '${type ?? ""}' is not valid`);
    }
  }
  if (out.length > 1)
    throw new AwsError(
      Errors.TooManyActions,
      "Only one forward, redirect or fixed-response action can be specified (Berth has no authenticate actions)",
    );
  return { actions: out, targetGroupArns: [...new Set(arns)] };
}

function forward(a: Action): Action {
  if (a.RedirectConfig || a.FixedResponseConfig)
    throw badAction("A forward action cannot have a redirect or fixed-response configuration");
  const cfg: ForwardActionConfig | undefined = a.ForwardConfig;
  let groups = (cfg?.TargetGroups ?? []).map((t) => ({
    TargetGroupArn: t.TargetGroupArn ?? "",
    Weight: t.Weight ?? 1,
  }));
  if (groups.length === 0) {
    if (!a.TargetGroupArn) throw badAction("A forward action must specify a target group");
    groups = [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }];
  } else if (a.TargetGroupArn !== undefined) {
    if (groups.length !== 1 || groups[0]!.TargetGroupArn !== a.TargetGroupArn)
      throw badAction(
        "TargetGroupArn and ForwardConfig must name the same single target group when both are given",
      );
  }
  if (groups.length > 5)
    throw new AwsError(Errors.TooManyTargetGroups, "A forward action can name at most 5 target groups");
  const seen = new Set<string>();
  for (const g of groups) {
    if (!g.TargetGroupArn) throw badAction("Each target group of a forward action needs a TargetGroupArn");
    if (seen.has(g.TargetGroupArn)) throw badAction(`Target group '${g.TargetGroupArn}' is named twice`);
    seen.add(g.TargetGroupArn);
    if (!Number.isInteger(g.Weight) || g.Weight < 0 || g.Weight > 999)
      throw badAction(`Target group weights must be between 0 and 999, got ${g.Weight}`);
  }
  if (cfg?.TargetGroupStickinessConfig?.Enabled)
    throw badAction("Berth does not support target group stickiness in forward actions");
  const d = cfg?.TargetGroupStickinessConfig?.DurationSeconds;
  if (d !== undefined && (!Number.isInteger(d) || d < 1 || d > 604800))
    throw badAction("Target group stickiness duration must be between 1 and 604800 seconds");
  return {
    Type: "forward",
    ...(groups.length === 1 ? { TargetGroupArn: groups[0]!.TargetGroupArn } : {}),
    ...(a.Order !== undefined ? { Order: order(a.Order) } : {}),
    ForwardConfig: { TargetGroups: groups, TargetGroupStickinessConfig: { Enabled: false } },
  };
}

function order(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 50000) throw badAction("Action order must be between 1 and 50000");
  return n;
}

function redirect(a: Action): Action {
  const r = a.RedirectConfig;
  if (!r) throw badAction("A redirect action must specify a RedirectConfig");
  if (a.TargetGroupArn || a.ForwardConfig || a.FixedResponseConfig)
    throw badAction("A redirect action cannot name target groups or a fixed response");
  if (r.StatusCode !== "HTTP_301" && r.StatusCode !== "HTTP_302")
    throw badAction(`Redirect status code must be HTTP_301 or HTTP_302, got '${r.StatusCode ?? ""}'`);
  const protocol = r.Protocol ?? "#{protocol}";
  if (!["HTTP", "HTTPS", "#{protocol}"].includes(protocol))
    throw badAction(`Redirect protocol must be HTTP, HTTPS or #{protocol}, got '${protocol}'`);
  const port = r.Port ?? "#{port}";
  if (port !== "#{port}" && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    throw badAction(`Redirect port must be between 1 and 65535 or #{port}, got '${port}'`);
  const host = r.Host ?? "#{host}";
  const path = r.Path ?? "/#{path}";
  const query = r.Query ?? "#{query}";
  const text = (what: string, v: string, allowed: string[]) => {
    if (v.length > 128) throw badAction(`Redirect ${what} can be at most 128 characters`);
    if (!REDIRECT_TEXT.test(v))
      throw badAction(`Redirect ${what} '${v}' may contain only URI characters and #{...} keywords`);
    for (const k of v.match(/#\{[a-z]+\}/g) ?? [])
      if (!allowed.includes(k)) throw badAction(`Redirect ${what} cannot use ${k}`);
  };
  text("host", host, ["#{host}"]);
  if (host.length === 0) throw badAction("Redirect host cannot be empty");
  text("path", path, ["#{host}", "#{path}", "#{port}"]);
  if (!path.startsWith("/")) throw badAction("Redirect path must start with '/'");
  text("query", query, ["#{host}", "#{path}", "#{port}", "#{query}"]);
  if (
    protocol === "#{protocol}" &&
    port === "#{port}" &&
    host === "#{host}" &&
    path === "/#{path}" &&
    query === "#{query}"
  )
    throw badAction("A redirect must change at least one of protocol, port, host, path or query");
  return {
    Type: "redirect",
    ...(a.Order !== undefined ? { Order: order(a.Order) } : {}),
    RedirectConfig: {
      Protocol: protocol,
      Port: port,
      Host: host,
      Path: path,
      Query: query,
      StatusCode: r.StatusCode,
    },
  };
}

function fixedResponse(a: Action): Action {
  const f = a.FixedResponseConfig;
  if (!f) throw badAction("A fixed-response action must specify a FixedResponseConfig");
  if (a.TargetGroupArn || a.ForwardConfig || a.RedirectConfig)
    throw badAction("A fixed-response action cannot name target groups or a redirect");
  if (!/^[245]\d\d$/.test(f.StatusCode ?? ""))
    throw badAction(`Fixed response status code must be 2XX, 4XX or 5XX, got '${f.StatusCode ?? ""}'`);
  if (f.ContentType !== undefined && !FIXED_CONTENT_TYPES.includes(f.ContentType))
    throw badAction(`Fixed response content type must be one of ${FIXED_CONTENT_TYPES.join(", ")}`);
  if (f.MessageBody !== undefined && f.MessageBody.length > 1024)
    throw badAction("Fixed response message body can be at most 1024 characters");
  return {
    Type: "fixed-response",
    ...(a.Order !== undefined ? { Order: order(a.Order) } : {}),
    FixedResponseConfig: {
      StatusCode: f.StatusCode,
      ...(f.ContentType !== undefined ? { ContentType: f.ContentType } : {}),
      ...(f.MessageBody !== undefined ? { MessageBody: f.MessageBody } : {}),
    },
  };
}

// --- Conditions -------------------------------------------------------------------------------

const PATH_VALUE = /^[A-Za-z0-9_\-.$/~"'@:+&*?]+$/;
const HOST_VALUE = /^[A-Za-z0-9\-.*?]+$/;
const METHOD_VALUE = /^[A-Z_-]+$/;
/** RFC 7230 token characters, without the quote (the name goes into HAProxy's configuration). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&*+.^_`|~-]+$/;
/** Header and query values: printable ASCII without spaces. */
const PRINTABLE = /^[\x21-\x7e]+$/;
const MAX_VALUES = 5;

function values(field: string, list: readonly string[] | undefined, re: RegExp, max = 128): string[] {
  const vs = [...(list ?? [])];
  if (vs.length === 0) throw invalid(`A '${field}' condition must have at least one value`);
  for (const v of vs) {
    if (v.length < 1 || v.length > max)
      throw invalid(`'${field}' condition values must be 1-${max} characters`);
    if (!re.test(v))
      throw invalid(`'${field}' condition value '${v}' contains characters that are not allowed`);
  }
  return vs;
}

/** A normalised condition and how many match evaluations it costs. */
function condition(c: RuleCondition): { condition: RuleCondition; count: number } {
  const field = c.Field ?? "";
  const regex =
    (c.RegexValues?.length ?? 0) > 0 ||
    [c.HostHeaderConfig, c.PathPatternConfig, c.HttpHeaderConfig].some(
      (x) => (x?.RegexValues?.length ?? 0) > 0,
    );
  if (regex) throw invalid("Berth does not support regular-expression rule conditions (RegexValues)");
  const legacy = c.Values;
  const configs = [
    c.HostHeaderConfig,
    c.PathPatternConfig,
    c.HttpHeaderConfig,
    c.QueryStringConfig,
    c.HttpRequestMethodConfig,
    c.SourceIpConfig,
  ].filter((x) => x !== undefined).length;
  if (configs > 1) throw invalid(`A '${field}' condition can have only one configuration`);
  const oneOf = (cfg: { Values?: string[] | undefined } | undefined): string[] | undefined => {
    if (legacy !== undefined && cfg !== undefined)
      throw invalid(`A '${field}' condition cannot have both Values and a ${field} configuration`);
    return cfg?.Values ?? legacy;
  };
  const noLegacy = () => {
    if (legacy !== undefined) throw invalid(`A '${field}' condition must use its configuration, not Values`);
  };
  switch (field) {
    case "path-pattern": {
      const vs = values(field, oneOf(c.PathPatternConfig), PATH_VALUE);
      return { condition: { Field: field, Values: vs, PathPatternConfig: { Values: vs } }, count: vs.length };
    }
    case "host-header": {
      const vs = values(field, oneOf(c.HostHeaderConfig), HOST_VALUE);
      return { condition: { Field: field, Values: vs, HostHeaderConfig: { Values: vs } }, count: vs.length };
    }
    case "http-header": {
      noLegacy();
      const name = c.HttpHeaderConfig?.HttpHeaderName ?? "";
      if (name.length < 1 || name.length > 40 || !HEADER_NAME.test(name))
        throw invalid(`HTTP header name '${name}' is not valid`);
      const vs = values(field, c.HttpHeaderConfig?.Values, PRINTABLE);
      return {
        condition: { Field: field, HttpHeaderConfig: { HttpHeaderName: name, Values: vs } },
        count: vs.length,
      };
    }
    case "http-request-method": {
      noLegacy();
      const vs = values(field, c.HttpRequestMethodConfig?.Values, METHOD_VALUE, 40);
      return { condition: { Field: field, HttpRequestMethodConfig: { Values: vs } }, count: vs.length };
    }
    case "query-string": {
      noLegacy();
      const pairs: QueryStringKeyValuePair[] = [...(c.QueryStringConfig?.Values ?? [])];
      if (pairs.length === 0) throw invalid("A 'query-string' condition must have at least one value");
      for (const p of pairs) {
        if (
          p.Value === undefined ||
          p.Value.length < 1 ||
          p.Value.length > 128 ||
          !PRINTABLE.test(p.Value) ||
          /[&=]/.test(p.Value)
        )
          throw invalid(`'query-string' condition value '${p.Value ?? ""}' is not valid`);
        if (
          p.Key !== undefined &&
          (p.Key.length < 1 || p.Key.length > 128 || !PRINTABLE.test(p.Key) || /[&=]/.test(p.Key))
        )
          throw invalid(`'query-string' condition key '${p.Key}' is not valid`);
      }
      const norm = pairs.map((p) => ({ ...(p.Key !== undefined ? { Key: p.Key } : {}), Value: p.Value! }));
      return { condition: { Field: field, QueryStringConfig: { Values: norm } }, count: norm.length };
    }
    case "source-ip": {
      noLegacy();
      const vs = [...(c.SourceIpConfig?.Values ?? [])];
      if (vs.length === 0) throw invalid("A 'source-ip' condition must have at least one value");
      for (const v of vs)
        if (!isCidr(v)) throw invalid(`'source-ip' condition value '${v}' is not a CIDR block`);
      return { condition: { Field: field, SourceIpConfig: { Values: vs } }, count: vs.length };
    }
    default:
      throw invalid(`Condition field '${field}' is not valid`);
  }
}

export function isCidr(v: string): boolean {
  // Bare addresses only: no IPv6 zone ids (`fe80::1%eth0`), which isIP accepts.
  const m = /^([0-9A-Fa-f.:]+)\/(\d{1,3})$/.exec(v);
  if (!m) return false;
  const family = isIP(m[1]!);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

/** Normalise a rule's conditions (CreateRule needs at least one; at most five values in all). */
export function normalizeConditions(conditions: readonly RuleCondition[] | undefined): RuleCondition[] {
  const list = conditions ?? [];
  if (list.length === 0) throw invalid("A rule must have at least one condition");
  const out: RuleCondition[] = [];
  let total = 0;
  const once = new Set<string>();
  for (const c of list) {
    const { condition: n, count } = condition(c);
    const f = n.Field!;
    if (f !== "http-header" && f !== "query-string") {
      if (once.has(f)) throw invalid(`A rule can have only one '${f}' condition`);
      once.add(f);
    }
    total += count;
    out.push(n);
  }
  if (total > MAX_VALUES) throw invalid(`A rule can only have '${MAX_VALUES}' condition values`);
  return out;
}

export function checkPriority(p: number | undefined): number {
  if (p === undefined || !Number.isInteger(p) || p < 1 || p > 50000)
    throw invalid("Priority must be between 1 and 50000");
  return p;
}
