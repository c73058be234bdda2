/**
 * The HAProxy configuration renderer (src/lb/haproxy-config.ts): patterns match what ELBv2's
 * wildcards mean, user text never reaches the configuration unencoded, rules keep priority order,
 * and HAProxy itself accepts what Berth writes (`haproxy -c`).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { Action, RuleCondition } from "@aws-sdk/client-elastic-load-balancing-v2";
import { normalizeActions, normalizeConditions } from "../../src/domain/elbv2/rules.js";
import { literalRe, quote, renderConfig, serverLine, wildcardRe } from "../../src/lb/haproxy-config.js";
import type { Backend, DataPlane, Frontend, Server } from "../../src/lb/model.js";

const run = promisify(execFile);
const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";
/** Text HAProxy would expand inside double quotes; it must reach the body file untouched. */
const ENV_REF = "$" + "{HOME}";
const TG2 = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/fedcba9876543210";

/** A JS RegExp for an HAProxy pattern (PCRE and JS agree on \xHH, (?:), anchors and classes). */
const re = (pattern: string, flags = "") => new RegExp(pattern, flags);

function backend(over: Partial<Backend> = {}): Backend {
  return {
    name: "tg_0123456789abcdef",
    tgArn: TG,
    protocol: "HTTP",
    healthCheck: {
      enabled: true,
      protocol: "HTTP",
      port: "traffic-port",
      path: "/health",
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      matcher: "200-204",
    },
    attributes: {},
    idleTimeoutSeconds: 60,
    lbType: "application",
    servers: [],
    ...over,
  };
}

function frontend(
  rules: { priority: number; conditions: RuleCondition[]; actions: Action[] }[],
  def: Action[],
): Frontend {
  return {
    name: "l_00000000000000aa",
    listenerArn: "arn:listener",
    lbArn: "arn:lb",
    lbType: "application",
    bindAddress: "127.0.0.1",
    port: 18080,
    rules: rules.map((r) => ({
      priority: r.priority,
      conditions: normalizeConditions(r.conditions),
      actions: normalizeActions(r.actions, "application").actions,
    })),
    defaultActions: normalizeActions(def, "application").actions,
    attributes: { "idle_timeout.timeout_seconds": "60", "routing.http.xff_header_processing.mode": "append" },
  };
}

describe("patterns", () => {
  it("turn every byte but letters and digits into \\xHH", () => {
    assert.equal(literalRe("a/b'c d"), "a\\x2fb\\x27c\\x20d");
    assert.equal(literalRe("é"), "\\xc3\\xa9");
  });

  it("match ELBv2 wildcards: * any run, ? one character", () => {
    const p = re(`^${wildcardRe("/img/*.png")}$`);
    assert.ok(p.test("/img/a/b.png"));
    assert.ok(p.test("/img/.png"));
    assert.ok(!p.test("/imgx/a.png"));
    assert.ok(!p.test("/img/a.pngx"));
    const q = re(`^${wildcardRe("/v?/x")}$`);
    assert.ok(q.test("/v1/x"));
    assert.ok(!q.test("/v12/x"));
    // Regex metacharacters in a pattern are literal.
    assert.ok(re(`^${wildcardRe("/a.b+c$")}$`).test("/a.b+c$"));
    assert.ok(!re(`^${wildcardRe("/a.b")}$`).test("/axb"));
  });

  it("refuse to quote what would break out of the quotes", () => {
    assert.throws(() => quote("a'b"));
    assert.throws(() => quote("a\nb"));
    assert.equal(quote("a b"), "'a b'");
  });
});

describe("renderConfig", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "berth-lb-config-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const paths = () => ({ adminSocket: join(dir, "admin.sock"), stateFile: join(dir, "state"), bodies: dir });

  const server = (port: number, passed: boolean): Server => ({
    key: `us-east-1/web/10.0.0.1:${port}`,
    name: `t_${port}`,
    target: { tgArn: TG, id: "10.0.0.1", port, address: "10.0.0.1", registeredAt: 1 },
    health: passed ? { state: "healthy", since: 2, passedOnce: true } : undefined,
  });

  const plane = (): DataPlane => ({
    frontends: [
      frontend(
        [
          {
            priority: 5,
            conditions: [{ Field: "path-pattern", Values: ["/api/*"] }],
            actions: [{ Type: "forward", TargetGroupArn: TG2 }],
          },
          {
            priority: 10,
            conditions: [
              { Field: "host-header", Values: ["*.example.com"] },
              { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "X-Env", Values: ["a'b*"] } },
            ],
            actions: [
              {
                Type: "fixed-response",
                FixedResponseConfig: {
                  StatusCode: "418",
                  ContentType: "text/plain",
                  MessageBody: `it's 'quoted'\n%[path] ${ENV_REF}`,
                },
              },
            ],
          },
          {
            priority: 20,
            conditions: [
              {
                Field: "query-string",
                QueryStringConfig: { Values: [{ Key: "v", Value: "2*" }, { Value: "beta" }] },
              },
              { Field: "http-request-method", HttpRequestMethodConfig: { Values: ["GET"] } },
              { Field: "source-ip", SourceIpConfig: { Values: ["127.0.0.0/8", "::1/128"] } },
            ],
            actions: [
              {
                Type: "redirect",
                RedirectConfig: {
                  Host: "#{host}",
                  Path: "/v2/#{path}",
                  Query: "#{query}&from=%41",
                  StatusCode: "HTTP_301",
                },
              },
            ],
          },
          {
            priority: 30,
            conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/split"] } }],
            actions: [
              {
                Type: "forward",
                ForwardConfig: {
                  TargetGroups: [
                    { TargetGroupArn: TG, Weight: 30 },
                    { TargetGroupArn: TG2, Weight: 70 },
                  ],
                },
              },
            ],
          },
          {
            priority: 40,
            conditions: [{ Field: "path-pattern", Values: ["/plain"] }],
            // A body without a content type.
            actions: [
              { Type: "fixed-response", FixedResponseConfig: { StatusCode: "200", MessageBody: "hi" } },
            ],
          },
          {
            priority: 41,
            conditions: [{ Field: "path-pattern", Values: ["/empty"] }],
            // A 204 with a body (AWS takes it; HAProxy would refuse the body).
            actions: [
              { Type: "fixed-response", FixedResponseConfig: { StatusCode: "204", MessageBody: "x" } },
            ],
          },
        ],
        [{ Type: "forward", TargetGroupArn: TG }],
      ),
    ],
    backends: [
      backend({ servers: [server(1001, true), server(1002, false)] }),
      backend({ name: "tg_fedcba9876543210", tgArn: TG2, attributes: { "stickiness.enabled": "true" } }),
      // HTTPS to the targets (not verified, as ALB does), slow start and the other algorithms.
      backend({
        name: "tg_00000000000000ff",
        tgArn: "arn:https",
        protocol: "HTTPS",
        healthCheck: { ...backend().healthCheck, protocol: "HTTPS", port: "8443" },
        attributes: {
          "slow_start.duration_seconds": "30",
          "load_balancing.algorithm.type": "least_outstanding_requests",
        },
        servers: [server(1003, true)],
      }),
      backend({
        name: "tg_00000000000000fe",
        tgArn: "arn:tcp",
        protocol: "TCP",
        lbType: "network",
        healthCheck: {
          ...backend().healthCheck,
          protocol: "TCP",
          path: undefined,
          matcher: undefined,
        } as Backend["healthCheck"],
        attributes: { "stickiness.enabled": "true", "proxy_protocol_v2.enabled": "true" },
        servers: [server(1004, true)],
      }),
      // HTTP targets checked over HTTPS.
      backend({
        name: "tg_00000000000000fd",
        tgArn: "arn:http-checked-over-https",
        healthCheck: { ...backend().healthCheck, protocol: "HTTPS" },
        servers: [server(1005, true)],
      }),
    ],
    provisioning: [],
  });

  it("is accepted by HAProxy", async () => {
    const cfg = renderConfig(plane(), paths());
    for (const [p, body] of cfg.bodies) await writeFile(p, body);
    const file = join(dir, "haproxy.cfg");
    await writeFile(file, cfg.text);
    await run("/usr/sbin/haproxy", ["-c", "-q", "-f", file]);
  });

  it("records the first matching rule in priority order, then acts on it", () => {
    const text = renderConfig(plane(), paths()).text;
    const lines = text.split("\n");
    const sets = lines.filter((l) => l.includes("set-var(txn.rule)"));
    assert.deepEqual(
      sets.map((l) => /int\((\d)\)/.exec(l)?.[1]),
      ["1", "2", "3", "4", "5", "6"],
    );
    assert.ok(!sets[0]!.includes("!{ var(txn.rule) -m found }"));
    for (const l of sets.slice(1)) assert.ok(l.includes("!{ var(txn.rule) -m found }"));
    // Every action is conditioned on the rule that won, so a later rule never overrides an earlier one.
    assert.match(text, /use_backend tg_fedcba9876543210 if \{ var\(txn.rule\) -m int eq 1 \}/);
    assert.match(
      text,
      /http-request return status 418 content-type 'text\/plain' file '.*\.body' if \{ var\(txn.rule\) -m int eq 2 \}/,
    );
    assert.match(text, /http-request redirect location .* code 301 if \{ var\(txn.rule\) -m int eq 3 \}/);
    assert.match(text, /default_backend tg_0123456789abcdef/);
    // A body without a content type goes as text/plain; a 204 goes without its body.
    assert.match(
      text,
      /http-request return status 200 content-type 'text\/plain' file '.*\.body' if \{ var\(txn.rule\) -m int eq 5 \}/,
    );
    assert.match(text, /http-request return status 204 file '.*\.body' if \{ var\(txn.rule\) -m int eq 6 \}/);
  });

  it("keeps user text out of the configuration's syntax", () => {
    const cfg = renderConfig(plane(), paths());
    // The fixed-response body is a file; the header name and value are encoded.
    assert.ok(!cfg.text.includes("quoted"));
    assert.ok([...cfg.bodies.values()].includes(`it's 'quoted'\n%[path] ${ENV_REF}`));
    assert.ok(!cfg.text.includes("a'b"));
    assert.match(cfg.text, /'req\.hdr\(X-Env\)' -m reg -i '\^a\\x27b\.\*\$'/);
    // A literal % in a redirect is doubled for HAProxy's log-format.
    assert.match(cfg.text, /&from=%%41/);
  });

  it("weights forward actions with a random draw", () => {
    const text = renderConfig(plane(), paths()).text;
    assert.match(text, /http-request set-var\(txn.w4\) rand\(100\) if \{ var\(txn.rule\) -m int eq 4 \}/);
    assert.match(
      text,
      /use_backend tg_0123456789abcdef if \{ var\(txn.rule\) -m int eq 4 \} \{ var\(txn.w4\) -m int lt 30 \}/,
    );
    assert.match(text, /use_backend tg_fedcba9876543210 if \{ var\(txn.rule\) -m int eq 4 \}\n/);
  });

  it("holds back targets that have not passed a check, and reloads only for structure", () => {
    const p = plane();
    const b = p.backends[0]!;
    assert.match(
      serverLine(b, b.servers[0]!),
      /check inter 30s downinter 200 rise 5 fall 2 pool-max-conn -1 pool-purge-delay 5s weight 1$/,
    );
    const before = renderConfig(p, paths());
    // The target that has not passed a check is left to the Runtime API.
    assert.match(before.text, /server t_1001 /);
    assert.doesNotMatch(before.text, /server t_1002 /);
    b.servers.shift();
    const fewer = renderConfig(p, paths());
    assert.equal(fewer.structure, before.structure);
    assert.notEqual(fewer.text, before.text);
    b.healthCheck = { ...b.healthCheck, path: "/ready" };
    assert.notEqual(renderConfig(p, paths()).structure, before.structure);
  });

  it("speaks TLS to HTTPS targets, and renders NLB backends in TCP mode", () => {
    const text = renderConfig(plane(), paths()).text;
    assert.match(
      text,
      /server t_1003 10\.0\.0\.1:1003 check inter 30s .* port 8443 ssl verify none check-ssl slowstart 30s/,
    );
    assert.match(text, /backend tg_00000000000000ff\n {2}mode http\n {2}balance leastconn/);
    assert.match(
      text,
      /backend tg_00000000000000fe\n {2}mode tcp\n {2}balance source\n {2}hash-type consistent/,
    );
    assert.match(text, /server t_1004 .* send-proxy-v2 on-marked-down shutdown-sessions/);
    assert.match(text, /server t_1005 .* check-ssl verify none/);
  });

  it("checks health with ELB's user agent and the matcher's codes", () => {
    const text = renderConfig(plane(), paths()).text;
    assert.match(text, /http-check send meth GET uri '\/health' hdr User-Agent ELB-HealthChecker\/2.0/);
    assert.match(text, /http-check expect rstatus '\^\(\?:200\|201\|202\|203\|204\)\$'/);
    assert.match(text, /cookie AWSALB insert indirect nocache dynamic maxlife 86400s/);
  });
});
