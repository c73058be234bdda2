/**
 * Renders the HAProxy configuration from the data plane model. Pure.
 *
 * User text never shapes the configuration's syntax: names come from ids Berth generates, match
 * patterns become regular expressions in which every byte but letters and digits is written as
 * `\xHH` inside single quotes, redirect texts are checked at the API (no quotes, spaces or
 * backslashes) and have `%` doubled for HAProxy's log-format, and fixed-response bodies are files.
 *
 * Listener rules keep ELBv2's priority order: the first matching rule (by priority) is recorded in
 * the variable txn.rule, and every action is conditioned on it, so a redirect or fixed response of a
 * later rule never wins over an earlier forward.
 */
import { createHash } from "node:crypto";
import type { Action, RuleCondition } from "@aws-sdk/client-elastic-load-balancing-v2";
import { successCodes } from "../domain/elbv2/health-check.js";
import { type Backend, backendName, type DataPlane, type Frontend, type Server } from "./model.js";

export interface ConfigPaths {
  /** The stats/runtime socket of the workers. */
  adminSocket: string;
  /** Server states saved before a reload and loaded by the new worker. */
  stateFile: string;
  /** Folder of fixed-response bodies. */
  bodies: string;
}

export interface RenderedConfig {
  text: string;
  /** A hash of everything but the server lines: when it changes, HAProxy must reload. */
  structure: string;
  /** Fixed-response bodies to write before loading: path → content. */
  bodies: Map<string, string>;
  /** The ports the configuration binds. */
  ports: number[];
}

/** The interval of health checks of a server that is down: the first check of a new target runs this soon. */
export const DOWN_INTERVAL_MS = 200;

/** Single-quote a token; the caller guarantees it holds no quote (all inputs are checked or encoded). */
export function quote(s: string): string {
  if (s.includes("'") || /[\r\n]/.test(s)) throw new Error(`cannot quote ${JSON.stringify(s)} for HAProxy`);
  return `'${s}'`;
}

/** A regular expression matching `s` byte for byte, with every non-alphanumeric byte as \xHH. */
export function literalRe(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9]/.test(c) ? c : `\\x${b.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/** ELBv2 wildcards (`*` any run of characters, `?` one character) as a regular expression. */
export function wildcardRe(pattern: string, any = ".*", one = "."): string {
  return pattern
    .split(/([*?])/)
    .map((part) => (part === "*" ? any : part === "?" ? one : literalRe(part)))
    .join("");
}

const seconds = (n: number) => `${n}s`;
const lfLiteral = (s: string) => s.replace(/%/g, "%%");

/** The server keywords of a backend's servers (checks, TLS, slow start, proxy protocol). */
export function serverOptions(b: Backend): string {
  const hc = b.healthCheck;
  const opts = [
    "check",
    `inter ${seconds(hc.intervalSeconds)}`,
    `downinter ${DOWN_INTERVAL_MS}`,
    `rise ${hc.healthyThreshold}`,
    `fall ${hc.unhealthyThreshold}`,
    // Servers added through the Runtime API do not inherit these defaults of configured ones, and
    // without them HAProxy opens a new connection for every request instead of reusing idle ones.
    "pool-max-conn -1",
    "pool-purge-delay 5s",
  ];
  if (hc.port !== "traffic-port") opts.push(`port ${Number(hc.port)}`);
  if (b.protocol === "HTTPS") opts.push("ssl", "verify none");
  // Health checks over TLS are not verified either (HAProxy would otherwise want a CA file).
  if (hc.protocol === "HTTPS") opts.push("check-ssl", ...(b.protocol === "HTTPS" ? [] : ["verify none"]));
  else if (b.protocol === "HTTPS") opts.push("no-check-ssl");
  const slow = Number(b.attributes["slow_start.duration_seconds"] ?? "0");
  if (slow > 0) opts.push(`slowstart ${seconds(slow)}`);
  if (b.attributes["proxy_protocol_v2.enabled"] === "true") opts.push("send-proxy-v2");
  if (
    b.lbType === "network" &&
    b.attributes["target_health_state.unhealthy.connection_termination.enabled"] !== "false"
  )
    opts.push("on-marked-down shutdown-sessions");
  return opts.join(" ");
}

/** The target has passed a health check since it was registered. */
export const hasPassed = (s: Server) =>
  s.health?.passedOnce === true && s.health.since >= s.target.registeredAt;

/**
 * The address:port and keywords of a server, as the config file and `add server` both take them.
 * `add server` adds at weight 0, so that no request reaches a new server before it is held down.
 */
export function serverLine(b: Backend, s: Server, weight: 0 | 1 = 1): string {
  return `${s.target.address}:${s.target.port} ${serverOptions(b)} weight ${weight}`;
}

function balance(b: Backend): string {
  if (b.lbType === "network")
    return b.attributes["stickiness.enabled"] === "true"
      ? "balance source\n  hash-type consistent"
      : "balance roundrobin";
  switch (b.attributes["load_balancing.algorithm.type"]) {
    case "least_outstanding_requests":
      return "balance leastconn";
    case "weighted_random":
      return "balance random";
    default:
      return "balance roundrobin";
  }
}

function renderBackend(b: Backend, out: string[]): void {
  const hc = b.healthCheck;
  out.push(`backend ${b.name}`);
  out.push(`  mode ${b.lbType === "network" ? "tcp" : "http"}`);
  out.push(`  ${balance(b)}`);
  out.push(`  timeout server ${seconds(b.idleTimeoutSeconds)}`);
  out.push(`  timeout check ${seconds(hc.timeoutSeconds)}`);
  if (hc.protocol !== "TCP") {
    out.push("  option httpchk");
    out.push(`  http-check send meth GET uri ${quote(hc.path ?? "/")} hdr User-Agent ELB-HealthChecker/2.0`);
    out.push(`  http-check expect rstatus ${quote(`^(?:${successCodes(hc.matcher ?? "200").join("|")})$`)}`);
  }
  if (b.lbType === "application") {
    // A connection refused by one target is retried on another (HAProxy's default retries count).
    out.push("  option redispatch 1");
    if (b.attributes["stickiness.enabled"] === "true") {
      const life = Number(b.attributes["stickiness.lb_cookie.duration_seconds"] ?? "86400");
      out.push(`  cookie AWSALB insert indirect nocache dynamic maxlife ${seconds(life)}`);
      out.push(`  dynamic-cookie-key ${b.name}`);
    }
  }
  // The keywords every server of the backend carries; part of the structure, so a change reloads.
  out.push(`  # server-options ${serverOptions(b)}`);
  // Only targets that have passed a check: HAProxy would start the others up, and would not check
  // them for up to an interval. The Runtime API adds those after a reload, held down.
  for (const s of b.servers) if (hasPassed(s)) out.push(`  server ${s.name} ${serverLine(b, s)}`);
  out.push("");
}

// --- Frontends --------------------------------------------------------------------------------

/** HAProxy ACL lines for a rule's conditions; returns the ACL names to AND together. */
function conditionAcls(prefix: string, conditions: readonly RuleCondition[], out: string[]): string[] {
  const names: string[] = [];
  conditions.forEach((c, i) => {
    const name = `${prefix}c${i + 1}`;
    names.push(name);
    switch (c.Field) {
      case "path-pattern": {
        const res = (c.PathPatternConfig?.Values ?? c.Values ?? []).map((v) => quote(`^${wildcardRe(v)}$`));
        out.push(`  acl ${name} path -m reg ${res.join(" ")}`);
        break;
      }
      case "host-header": {
        const res = (c.HostHeaderConfig?.Values ?? c.Values ?? []).map((v) =>
          quote(`^${wildcardRe(v)}(?::[0-9]+)?$`),
        );
        out.push(`  acl ${name} req.hdr(host) -m reg -i ${res.join(" ")}`);
        break;
      }
      case "http-header": {
        const h = c.HttpHeaderConfig!;
        const res = (h.Values ?? []).map((v) => quote(`^${wildcardRe(v)}$`));
        out.push(`  acl ${name} ${quote(`req.hdr(${h.HttpHeaderName})`)} -m reg -i ${res.join(" ")}`);
        break;
      }
      case "http-request-method": {
        const res = (c.HttpRequestMethodConfig?.Values ?? []).map((v) => quote(`^${literalRe(v)}$`));
        out.push(`  acl ${name} method -m reg ${res.join(" ")}`);
        break;
      }
      case "query-string": {
        const res = (c.QueryStringConfig?.Values ?? []).map((p) => {
          const value = wildcardRe(p.Value ?? "", "[^&]*", "[^&]");
          const key = p.Key === undefined ? "(?:[^&=]*=)?" : `${wildcardRe(p.Key, "[^&=]*", "[^&=]")}=`;
          return quote(`(?:^|&)${key}${value}(?:&|$)`);
        });
        out.push(`  acl ${name} query -m reg -i ${res.join(" ")}`);
        break;
      }
      case "source-ip":
        out.push(`  acl ${name} src ${(c.SourceIpConfig?.Values ?? []).join(" ")}`);
        break;
      default:
        throw new Error(`unknown condition field ${c.Field}`);
    }
  });
  return names;
}

/** A redirect's Location as a log-format string; `#{query}` alone makes the `?` conditional. */
function redirectLines(a: Action, port: number, cond: string, out: string[]): void {
  const r = a.RedirectConfig!;
  const code = r.StatusCode === "HTTP_301" ? 301 : 302;
  const protocol = r.Protocol === "#{protocol}" ? "http" : (r.Protocol ?? "HTTP").toLowerCase();
  const targetPort = r.Port === "#{port}" || r.Port === undefined ? String(port) : r.Port;
  const keywords: Record<string, string> = {
    "#{protocol}": "http",
    "#{host}": "%[req.hdr(host),field(1,:)]",
    "#{port}": String(port),
    "#{path}": "%[path,regsub(^/,)]",
    "#{query}": "%[query]",
  };
  const expand = (text: string) =>
    text
      .split(/(#\{[a-z]+\})/)
      .map((part) => keywords[part] ?? lfLiteral(part))
      .join("");
  const defaultPort =
    (protocol === "http" && targetPort === "80") || (protocol === "https" && targetPort === "443");
  const base = `${protocol}://${expand(r.Host ?? "#{host}")}${defaultPort ? "" : `:${targetPort}`}${expand(r.Path ?? "/#{path}")}`;
  const query = r.Query ?? "#{query}";
  if (query === "#{query}") {
    out.push(
      `  http-request redirect location ${quote(`${base}?%[query]`)} code ${code} if ${cond} { query -m len gt 0 }`,
    );
    out.push(`  http-request redirect location ${quote(base)} code ${code} if ${cond}`);
  } else if (query === "") {
    out.push(`  http-request redirect location ${quote(base)} code ${code} if ${cond}`);
  } else {
    out.push(`  http-request redirect location ${quote(`${base}?${expand(query)}`)} code ${code} if ${cond}`);
  }
}

const bodyPath = (paths: ConfigPaths, body: string) =>
  `${paths.bodies}/${createHash("sha256").update(body).digest("hex")}.body`;

interface Routed {
  /** `use_backend` lines, added after every http-request rule. */
  useBackend: string[];
  defaultBackend?: string;
}

/** One action (of a rule, or the default one) under a condition. */
function actionLines(
  f: Frontend,
  a: Action,
  cond: string,
  label: string,
  paths: ConfigPaths,
  bodies: Map<string, string>,
  out: string[],
  routed: Routed,
  isDefault: boolean,
): void {
  switch (a.Type) {
    case "fixed-response": {
      const fr = a.FixedResponseConfig!;
      // A 204 carries no body (HAProxy refuses one); a body without a content type is sent as
      // text/plain (HAProxy wants one whenever there is a payload).
      const body = Number(fr.StatusCode) === 204 ? "" : (fr.MessageBody ?? "");
      const path = bodyPath(paths, body);
      bodies.set(path, body);
      const ct = body.length > 0 ? ` content-type ${quote(fr.ContentType ?? "text/plain")}` : "";
      out.push(`  http-request return status ${Number(fr.StatusCode)}${ct} file ${quote(path)} if ${cond}`);
      break;
    }
    case "redirect":
      redirectLines(a, f.port, cond, out);
      break;
    case "forward": {
      const groups = (a.ForwardConfig?.TargetGroups ?? []).filter((g) => (g.Weight ?? 1) > 0);
      const backend = (arn: string) => backendName(arn.slice(arn.lastIndexOf("/") + 1));
      if (groups.length === 0) {
        // Every group weighs zero: nothing may receive the request.
        out.push(`  http-request return status 503 if ${cond}`);
        break;
      }
      if (groups.length === 1) {
        if (isDefault) routed.defaultBackend = backend(groups[0]!.TargetGroupArn!);
        else routed.useBackend.push(`  use_backend ${backend(groups[0]!.TargetGroupArn!)} if ${cond}`);
        break;
      }
      const total = groups.reduce((n, g) => n + (g.Weight ?? 1), 0);
      const v = `txn.w${label}`;
      out.push(`  http-request set-var(${v}) rand(${total}) if ${cond}`);
      let from = 0;
      for (const [i, g] of groups.entries()) {
        const to = from + (g.Weight ?? 1);
        const last = i === groups.length - 1;
        const pick = last ? "" : ` { var(${v}) -m int lt ${to} }`;
        if (last && isDefault) routed.defaultBackend = backend(g.TargetGroupArn!);
        else routed.useBackend.push(`  use_backend ${backend(g.TargetGroupArn!)} if ${cond}${pick}`);
        from = to;
      }
      break;
    }
    default:
      throw new Error(`unknown action type ${a.Type}`);
  }
}

function renderFrontend(f: Frontend, paths: ConfigPaths, bodies: Map<string, string>, out: string[]): void {
  out.push(`frontend ${f.name}`);
  out.push(`  bind ${f.bindAddress}:${f.port}`);
  if (f.lbType === "network") {
    out.push("  mode tcp");
    out.push(`  timeout client ${seconds(350)}`);
    const tg = f.defaultActions[0]?.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
    if (tg) out.push(`  default_backend ${backendName(tg.slice(tg.lastIndexOf("/") + 1))}`);
    out.push("");
    return;
  }
  out.push("  mode http");
  out.push(`  timeout client ${seconds(Number(f.attributes["idle_timeout.timeout_seconds"] ?? "60"))}`);
  out.push(
    `  timeout http-keep-alive ${seconds(Number(f.attributes["idle_timeout.timeout_seconds"] ?? "60"))}`,
  );
  const xff = f.attributes["routing.http.xff_header_processing.mode"] ?? "append";
  if (xff === "append") out.push("  option forwardfor");
  else if (xff === "remove") out.push("  http-request del-header X-Forwarded-For");
  out.push("  http-request set-header X-Forwarded-Proto http");
  out.push(`  http-request set-header X-Forwarded-Port ${f.port}`);
  // Which rule matched first, in priority order.
  f.rules.forEach((r, i) => {
    const acls = conditionAcls(`r${i + 1}`, r.conditions, out);
    const first = i === 0 ? "" : "!{ var(txn.rule) -m found } ";
    out.push(`  http-request set-var(txn.rule) int(${i + 1}) if ${first}${acls.join(" ")}`);
  });
  const routed: Routed = { useBackend: [] };
  f.rules.forEach((r, i) => {
    for (const a of r.actions)
      actionLines(
        f,
        a,
        `{ var(txn.rule) -m int eq ${i + 1} }`,
        String(i + 1),
        paths,
        bodies,
        out,
        routed,
        false,
      );
  });
  const none = f.rules.length > 0 ? "!{ var(txn.rule) -m found }" : "TRUE";
  for (const a of f.defaultActions) actionLines(f, a, none, "d", paths, bodies, out, routed, true);
  out.push(...routed.useBackend);
  if (routed.defaultBackend) out.push(`  default_backend ${routed.defaultBackend}`);
  out.push("");
}

export function renderConfig(plane: DataPlane, paths: ConfigPaths): RenderedConfig {
  const out: string[] = [
    "# Generated by Berth from its load balancer state; do not edit (it is rewritten on every change).",
    "global",
    "  master-worker",
    `  stats socket ${quote(paths.adminSocket)} mode 600 level admin expose-fd listeners`,
    `  server-state-file ${quote(paths.stateFile)}`,
    "  hard-stop-after 60s",
    "",
    "defaults",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout http-request 60s",
    "  timeout queue 10s",
    "  load-server-state-from-file global",
    "  retries 3",
    // On a reload, idle keep-alive connections of the old worker close after their next response
    // (with Connection: close) instead of at once, so clients never race a closing connection.
    "  option idle-close-on-response",
    "",
  ];
  const bodies = new Map<string, string>();
  for (const f of plane.frontends) renderFrontend(f, paths, bodies, out);
  for (const b of plane.backends) renderBackend(b, out);
  const text = `${out.join("\n")}\n`;
  const structure = createHash("sha256")
    .update(out.filter((l) => !l.startsWith("  server ")).join("\n"))
    .digest("hex")
    .slice(0, 32);
  return { text, structure, bodies, ports: plane.frontends.map((f) => f.port) };
}
