/**
 * The ELBv2 API through the AWS SDK and the AWS CLI v2: shapes and defaults as AWS reports them,
 * AWS's error codes for bad input, and nothing half-applied when a request fails.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  AddTagsCommand,
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
  ModifyRuleCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  RemoveTagsCommand,
  SetRulePrioritiesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { eventually, runAws, startBerth, type TestBerth } from "../helpers/berth.js";
import { freePort } from "../helpers/lb.js";

/** The error a call fails with: its code (Query `<Code>`) and message. */
async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as {
      name: string;
      Code?: string;
      message: string;
      $metadata?: { httpStatusCode?: number };
    };
    return {
      code: e.Code ?? e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}),
    };
  }
  throw new Error("the call succeeded");
}

describe("ELBv2 API", () => {
  let b: TestBerth;
  let elb: ElasticLoadBalancingV2Client;
  let alb: string;
  let tgHttp: string;
  let tgTcp: string;

  before(async () => {
    b = await startBerth();
    elb = b.elbv2();
    alb = (
      await elb.send(new CreateLoadBalancerCommand({ Name: "app", Subnets: ["subnet-1a", "subnet-1b"] }))
    ).LoadBalancers![0]!.LoadBalancerArn!;
    tgHttp = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: "http-tg",
          Protocol: "HTTP",
          Port: 80,
          VpcId: "vpc-0abc",
          TargetType: "ip",
        }),
      )
    ).TargetGroups![0]!.TargetGroupArn!;
    tgTcp = (await elb.send(new CreateTargetGroupCommand({ Name: "tcp-tg", Protocol: "TCP", Port: 7 })))
      .TargetGroups![0]!.TargetGroupArn!;
  });
  after(async () => {
    await b?.close();
  });

  describe("load balancers", () => {
    it("look as AWS prints them, and become active", async () => {
      const lb = (await elb.send(new DescribeLoadBalancersCommand({ Names: ["app"] }))).LoadBalancers![0]!;
      assert.match(
        lb.LoadBalancerArn!,
        /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/app\/[0-9a-f]{16}$/,
      );
      assert.match(lb.DNSName!, /^app-\d{10}\.us-east-1\.elb\.amazonaws\.com$/);
      assert.equal(lb.CanonicalHostedZoneId, "Z35SXDOTRQ7X7K");
      assert.equal(lb.Scheme, "internet-facing");
      assert.equal(lb.Type, "application");
      assert.equal(lb.IpAddressType, "ipv4");
      assert.deepEqual(lb.AvailabilityZones, [
        { ZoneName: "us-east-1a", SubnetId: "subnet-1a" },
        { ZoneName: "us-east-1b", SubnetId: "subnet-1b" },
      ]);
      await eventually(
        async () =>
          (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [alb] }))).LoadBalancers![0]!
            .State?.Code === "active",
      );
      const nlb = (
        await elb.send(new CreateLoadBalancerCommand({ Name: "net", Type: "network", Scheme: "internal" }))
      ).LoadBalancers![0]!;
      assert.match(nlb.DNSName!, /^internal-net-[0-9a-f]{16}\.elb\.us-east-1\.amazonaws\.com$/);
      assert.equal(nlb.CanonicalHostedZoneId, "Z26RNL4JYFTOTI");
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: nlb.LoadBalancerArn }));
    });

    it("are created idempotently, and refuse a name taken with other settings", async () => {
      const again = (
        await elb.send(new CreateLoadBalancerCommand({ Name: "app", Subnets: ["subnet-1a", "subnet-1b"] }))
      ).LoadBalancers![0]!;
      assert.equal(again.LoadBalancerArn, alb);
      const e = await failure(elb.send(new CreateLoadBalancerCommand({ Name: "app", Scheme: "internal" })));
      assert.deepEqual(e, {
        code: "DuplicateLoadBalancerName",
        message: "A load balancer with the same name 'app' exists, but with different settings",
        status: 400,
      });
      assert.equal(
        (await failure(elb.send(new CreateLoadBalancerCommand({ Name: "-bad-" })))).code,
        "ValidationError",
      );
      assert.equal(
        (await failure(elb.send(new CreateLoadBalancerCommand({ Name: "internal-x" })))).code,
        "ValidationError",
      );
    });

    it("answer LoadBalancerNotFound for names and ARNs that do not exist, and page", async () => {
      assert.deepEqual(
        await failure(elb.send(new DescribeLoadBalancersCommand({ Names: ["nope", "app"] }))),
        {
          code: "LoadBalancerNotFound",
          message: "Load balancers '[nope]' not found",
          status: 400,
        },
      );
      const missing = alb.replace(/[0-9a-f]{16}$/, "0000000000000000");
      assert.equal(
        (await failure(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [missing] })))).code,
        "LoadBalancerNotFound",
      );
      assert.equal(
        (await failure(elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: ["not-an-arn"] }))))
          .code,
        "ValidationError",
      );
      await elb.send(new CreateLoadBalancerCommand({ Name: "zzz" }));
      const first = await elb.send(new DescribeLoadBalancersCommand({ PageSize: 1 }));
      assert.equal(first.LoadBalancers!.length, 1);
      assert.ok(first.NextMarker);
      const second = await elb.send(
        new DescribeLoadBalancersCommand({ PageSize: 1, Marker: first.NextMarker }),
      );
      assert.equal(second.LoadBalancers![0]!.LoadBalancerName, "zzz");
    });

    it("have AWS's attributes, refuse the ones Berth cannot honour, and honour deletion protection", async () => {
      const attrs = (await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: alb })))
        .Attributes!;
      const map = Object.fromEntries(attrs.map((a) => [a.Key, a.Value]));
      assert.equal(map["idle_timeout.timeout_seconds"], "60");
      assert.equal(map["deletion_protection.enabled"], "false");
      assert.equal(map["routing.http2.enabled"], "true");
      const e = await failure(
        elb.send(
          new ModifyLoadBalancerAttributesCommand({
            LoadBalancerArn: alb,
            Attributes: [
              { Key: "idle_timeout.timeout_seconds", Value: "30" },
              { Key: "access_logs.s3.enabled", Value: "true" },
            ],
          }),
        ),
      );
      assert.equal(e.code, "ValidationError");
      // Nothing half-applied: the valid attribute of the refused request did not change.
      const after1 = (await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: alb })))
        .Attributes!;
      assert.equal(after1.find((a) => a.Key === "idle_timeout.timeout_seconds")?.Value, "60");
      // A key named like a JavaScript prototype key is unknown like any other.
      for (const key of ["constructor", "__proto__", "toString", "nonsense"]) {
        const bad = await failure(
          elb.send(
            new ModifyLoadBalancerAttributesCommand({
              LoadBalancerArn: alb,
              Attributes: [{ Key: key, Value: "x" }],
            }),
          ),
        );
        assert.deepEqual(bad, {
          code: "ValidationError",
          message: `Load balancer attribute key '${key}' is not recognized`,
          status: 400,
        });
      }
      const zzz = (await elb.send(new DescribeLoadBalancersCommand({ Names: ["zzz"] }))).LoadBalancers![0]!
        .LoadBalancerArn!;
      await elb.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerArn: zzz,
          Attributes: [{ Key: "deletion_protection.enabled", Value: "true" }],
        }),
      );
      assert.equal(
        (await failure(elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: zzz })))).code,
        "OperationNotPermitted",
      );
      await elb.send(
        new ModifyLoadBalancerAttributesCommand({
          LoadBalancerArn: zzz,
          Attributes: [{ Key: "deletion_protection.enabled", Value: "false" }],
        }),
      );
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: zzz }));
      // Deleting again succeeds, as on AWS.
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: zzz }));
    });
  });

  describe("target groups", () => {
    it("have AWS's defaults per protocol", async () => {
      const [http, tcp] = (
        await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgHttp, tgTcp] }))
      ).TargetGroups!;
      assert.deepEqual(
        {
          ...http,
          TargetGroupArn: undefined,
        },
        {
          TargetGroupArn: undefined,
          TargetGroupName: "http-tg",
          Protocol: "HTTP",
          Port: 80,
          VpcId: "vpc-0abc",
          HealthCheckProtocol: "HTTP",
          HealthCheckPort: "traffic-port",
          HealthCheckEnabled: true,
          HealthCheckIntervalSeconds: 30,
          HealthCheckTimeoutSeconds: 5,
          HealthyThresholdCount: 5,
          UnhealthyThresholdCount: 2,
          HealthCheckPath: "/",
          Matcher: { HttpCode: "200" },
          LoadBalancerArns: [],
          TargetType: "ip",
          ProtocolVersion: "HTTP1",
          IpAddressType: "ipv4",
        },
      );
      assert.equal(tcp!.HealthCheckProtocol, "TCP");
      assert.equal(tcp!.HealthCheckTimeoutSeconds, 10);
      assert.equal(tcp!.HealthCheckPath, undefined);
      assert.equal(tcp!.TargetType, "instance");
      const attrs = (await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgHttp })))
        .Attributes!;
      const map = Object.fromEntries(attrs.map((a) => [a.Key, a.Value]));
      assert.equal(map["deregistration_delay.timeout_seconds"], "300");
      assert.equal(map["stickiness.type"], "lb_cookie");
      assert.equal(map["load_balancing.algorithm.type"], "round_robin");
      assert.equal(map["slow_start.duration_seconds"], "0");
    });

    it("check health settings and attributes", async () => {
      assert.equal(
        (
          await failure(
            elb.send(new ModifyTargetGroupCommand({ TargetGroupArn: tgHttp, HealthCheckIntervalSeconds: 4 })),
          )
        ).code,
        "ValidationError",
      );
      assert.match(
        (
          await failure(
            elb.send(
              new ModifyTargetGroupCommand({
                TargetGroupArn: tgHttp,
                HealthCheckIntervalSeconds: 10,
                HealthCheckTimeoutSeconds: 10,
              }),
            ),
          )
        ).message,
        /must be smaller than the interval/,
      );
      assert.equal(
        (
          await failure(
            elb.send(
              new ModifyTargetGroupCommand({ TargetGroupArn: tgHttp, Matcher: { HttpCode: "200-600" } }),
            ),
          )
        ).code,
        "ValidationError",
      );
      const ok = await elb.send(
        new ModifyTargetGroupCommand({
          TargetGroupArn: tgHttp,
          HealthCheckPath: "/health",
          Matcher: { HttpCode: "200,204" },
        }),
      );
      assert.equal(ok.TargetGroups![0]!.HealthCheckPath, "/health");
      assert.equal(
        (
          await failure(
            elb.send(
              new ModifyTargetGroupAttributesCommand({
                TargetGroupArn: tgHttp,
                Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "3601" }],
              }),
            ),
          )
        ).code,
        "ValidationError",
      );
      const set = await elb.send(
        new ModifyTargetGroupAttributesCommand({
          TargetGroupArn: tgHttp,
          Attributes: [
            { Key: "deregistration_delay.timeout_seconds", Value: "5" },
            { Key: "stickiness.enabled", Value: "true" },
          ],
        }),
      );
      assert.equal(set.Attributes!.find((a) => a.Key === "deregistration_delay.timeout_seconds")?.Value, "5");
      assert.equal(
        (await failure(elb.send(new CreateTargetGroupCommand({ Name: "udp", Protocol: "UDP", Port: 53 }))))
          .code,
        "UnsupportedProtocol",
      );
      assert.equal(
        (
          await failure(
            elb.send(new CreateTargetGroupCommand({ Name: "http-tg", Protocol: "HTTP", Port: 81 })),
          )
        ).code,
        "DuplicateTargetGroupName",
      );
      assert.deepEqual(await failure(elb.send(new DescribeTargetGroupsCommand({ Names: ["nope"] }))), {
        code: "TargetGroupNotFound",
        message: "One or more target groups not found",
        status: 400,
      });
    });
  });

  describe("targets", () => {
    it("register by IP, refuse bad and unknown targets as a whole", async () => {
      const e = await failure(
        elb.send(
          new RegisterTargetsCommand({
            TargetGroupArn: tgHttp,
            Targets: [{ Id: "10.0.0.5", Port: 8080 }, { Id: "not-an-ip" }],
          }),
        ),
      );
      assert.equal(e.code, "InvalidTarget");
      assert.deepEqual(
        (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgHttp })))
          .TargetHealthDescriptions,
        [],
      );
      const i = await failure(
        elb.send(
          new RegisterTargetsCommand({ TargetGroupArn: tgTcp, Targets: [{ Id: "i-0123456789abcdef0" }] }),
        ),
      );
      assert.equal(i.code, "InvalidTarget");
      assert.match(i.message, /not in a running state/);
      const unknown = tgHttp.replace(/[0-9a-f]{16}$/, "0000000000000000");
      assert.equal(
        (
          await failure(
            elb.send(new RegisterTargetsCommand({ TargetGroupArn: unknown, Targets: [{ Id: "10.0.0.5" }] })),
          )
        ).code,
        "TargetGroupNotFound",
      );
      await elb.send(
        new RegisterTargetsCommand({ TargetGroupArn: tgHttp, Targets: [{ Id: "10.0.0.5", Port: 8080 }] }),
      );
      // The target group is not used by a load balancer yet.
      assert.deepEqual(
        (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgHttp })))
          .TargetHealthDescriptions,
        [
          {
            Target: { Id: "10.0.0.5", Port: 8080 },
            HealthCheckPort: "8080",
            TargetHealth: {
              State: "unused",
              Reason: "Target.NotInUse",
              Description: "Target group is not configured to receive traffic from the load balancer",
            },
          },
        ],
      );
      const named = await elb.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: tgHttp, Targets: [{ Id: "10.0.0.6", Port: 80 }] }),
      );
      assert.deepEqual(named.TargetHealthDescriptions![0]!.TargetHealth, {
        State: "unused",
        Reason: "Target.NotRegistered",
        Description: "Target is not registered to the target group",
      });
      assert.equal(
        (
          await failure(
            elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tgHttp, Targets: [{ Id: "10.0.0.6" }] })),
          )
        ).code,
        "InvalidTarget",
      );
      // Not in use: deregistration is immediate.
      await elb.send(
        new DeregisterTargetsCommand({ TargetGroupArn: tgHttp, Targets: [{ Id: "10.0.0.5", Port: 8080 }] }),
      );
      assert.deepEqual(
        (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgHttp })))
          .TargetHealthDescriptions,
        [],
      );
    });
  });

  describe("ip target ranges", () => {
    const RANGES = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, 127.0.0.0/8, 198.18.0.0/15";
    it("refuses link-local (cloud metadata), public, multicast and reserved addresses as a whole, with InvalidTarget", async () => {
      for (const ip of [
        "169.254.169.254",
        "169.254.0.1",
        "8.8.8.8",
        "52.94.76.10",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "172.32.0.1",
        "100.128.0.1",
        "192.169.0.1",
      ]) {
        const e = await failure(
          elb.send(
            new RegisterTargetsCommand({
              TargetGroupArn: tgHttp,
              Targets: [{ Id: "10.0.0.7", Port: 8080 }, { Id: ip }],
            }),
          ),
        );
        assert.deepEqual(
          e,
          {
            code: "InvalidTarget",
            message: `The IP address '${ip}' is not in a valid range for targets; use an address in ${RANGES}`,
            status: 400,
          },
          ip,
        );
      }
      // Nothing was registered, not even the valid target of the same call.
      assert.deepEqual(
        (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgHttp })))
          .TargetHealthDescriptions,
        [],
      );
    });

    it("accepts the private ranges, loopback and Berth's awsvpc public range, edges included", async () => {
      const ips = [
        "10.0.0.0",
        "10.255.255.255",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.10",
        "100.64.0.1",
        "100.127.255.254",
        "127.0.0.1",
        "127.8.9.10",
        "198.18.0.5",
        "198.19.255.254",
      ];
      await elb.send(
        new RegisterTargetsCommand({
          TargetGroupArn: tgHttp,
          Targets: ips.map((Id) => ({ Id, Port: 9000 })),
        }),
      );
      const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgHttp }));
      assert.deepEqual(health.TargetHealthDescriptions!.map((d) => d.Target!.Id).sort(), [...ips].sort());
      await elb.send(
        new DeregisterTargetsCommand({
          TargetGroupArn: tgHttp,
          Targets: ips.map((Id) => ({ Id, Port: 9000 })),
        }),
      );
    });
  });

  describe("listeners and rules", () => {
    let port: number;
    let listener: string;
    before(async () => {
      port = await freePort();
    });

    it("refuse bad listeners and leave nothing behind", async () => {
      const cases: [object, string][] = [
        [
          {
            Protocol: "HTTP",
            DefaultActions: [
              { Type: "forward", TargetGroupArn: tgHttp.replace(/[0-9a-f]{16}$/, "0000000000000000") },
            ],
          },
          "TargetGroupNotFound",
        ],
        [
          { Protocol: "HTTP", DefaultActions: [{ Type: "forward", TargetGroupArn: tgTcp }] },
          "IncompatibleProtocols",
        ],
        [
          { Protocol: "TCP", DefaultActions: [{ Type: "forward", TargetGroupArn: tgTcp }] },
          "UnsupportedProtocol",
        ],
        [
          {
            Protocol: "HTTPS",
            Certificates: [{ CertificateArn: "arn:aws:acm:us-east-1:000000000000:certificate/x" }],
            DefaultActions: [{ Type: "forward", TargetGroupArn: tgHttp }],
          },
          "CertificateNotFound",
        ],
        [{ Protocol: "HTTP", DefaultActions: [{ Type: "authenticate-oidc" }] }, "InvalidLoadBalancerAction"],
        [{ Protocol: "HTTP", DefaultActions: [] }, "ValidationError"],
      ];
      for (const [input, code] of cases) {
        const e = await failure(
          elb.send(new CreateListenerCommand({ LoadBalancerArn: alb, Port: port, ...input } as never)),
        );
        assert.equal(e.code, code, JSON.stringify(input));
      }
      assert.deepEqual(
        (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: alb }))).Listeners,
        [],
      );
    });

    it("refuse a port another process holds on this machine", async () => {
      const holder: Server = createServer();
      const taken = await freePort();
      await new Promise<void>((r) => holder.listen(taken, "0.0.0.0", () => r()));
      try {
        const e = await failure(
          elb.send(
            new CreateListenerCommand({
              LoadBalancerArn: alb,
              Protocol: "HTTP",
              Port: taken,
              DefaultActions: [{ Type: "forward", TargetGroupArn: tgHttp }],
            }),
          ),
        );
        assert.deepEqual(e, {
          code: "InvalidConfigurationRequest",
          message: `Port ${taken} is already in use on this machine`,
          status: 400,
        });
      } finally {
        holder.close();
      }
      assert.deepEqual(
        (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: alb }))).Listeners,
        [],
      );
    });

    it("create one listener per port, across load balancers", async () => {
      const l = await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: alb,
          Protocol: "HTTP",
          Port: port,
          DefaultActions: [{ Type: "forward", TargetGroupArn: tgHttp }],
        }),
      );
      listener = l.Listeners![0]!.ListenerArn!;
      assert.deepEqual(l.Listeners![0]!.DefaultActions, [
        {
          Type: "forward",
          TargetGroupArn: tgHttp,
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: tgHttp, Weight: 1 }],
            TargetGroupStickinessConfig: { Enabled: false },
          },
        },
      ]);
      const tg = (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgHttp] })))
        .TargetGroups![0]!;
      assert.deepEqual(tg.LoadBalancerArns, [alb]);
      const dup = await failure(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: alb,
            Protocol: "HTTP",
            Port: port,
            DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }],
          }),
        ),
      );
      assert.deepEqual(dup, {
        code: "DuplicateListener",
        message: `A listener already exists on this port for this load balancer '${alb}'`,
        status: 400,
      });
      const other = (await elb.send(new CreateLoadBalancerCommand({ Name: "other" }))).LoadBalancers![0]!
        .LoadBalancerArn!;
      const clash = await failure(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: other,
            Protocol: "HTTP",
            Port: port,
            DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }],
          }),
        ),
      );
      assert.equal(clash.code, "InvalidConfigurationRequest");
      // A target group belongs to one load balancer.
      const assoc = await failure(
        elb.send(
          new CreateListenerCommand({
            LoadBalancerArn: other,
            Protocol: "HTTP",
            Port: await freePort(),
            DefaultActions: [{ Type: "forward", TargetGroupArn: tgHttp }],
          }),
        ),
      );
      assert.equal(assoc.code, "TargetGroupAssociationLimit");
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: other }));
      assert.deepEqual(await failure(elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: tgHttp }))), {
        code: "ResourceInUse",
        message: `Target group '${tgHttp}' is currently in use by a listener or a rule`,
        status: 400,
      });
    });

    it("keep rule priorities unique, and change them all or none", async () => {
      const rule = (Priority: number, path: string) =>
        elb.send(
          new CreateRuleCommand({
            ListenerArn: listener,
            Priority,
            Conditions: [{ Field: "path-pattern", Values: [path] }],
            Actions: [
              { Type: "fixed-response", FixedResponseConfig: { StatusCode: "200", MessageBody: path } },
            ],
          }),
        );
      const r10 = (await rule(10, "/a")).Rules![0]!;
      const r20 = (await rule(20, "/b")).Rules![0]!;
      assert.equal(r10.Priority, "10");
      assert.deepEqual(r10.Conditions, [
        { Field: "path-pattern", Values: ["/a"], PathPatternConfig: { Values: ["/a"] } },
      ]);
      assert.deepEqual(await failure(rule(10, "/c")), {
        code: "PriorityInUse",
        message: "Priority '10' is currently in use",
        status: 400,
      });
      // SetRulePriorities: a batch that would collide changes nothing.
      const clash = await failure(
        elb.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: r10.RuleArn, Priority: 20 }] })),
      );
      assert.equal(clash.code, "PriorityInUse");
      const swap = await elb.send(
        new SetRulePrioritiesCommand({
          RulePriorities: [
            { RuleArn: r10.RuleArn, Priority: 20 },
            { RuleArn: r20.RuleArn, Priority: 10 },
          ],
        }),
      );
      assert.equal(swap.Rules!.length, 2);
      const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener }))).Rules!;
      assert.deepEqual(
        rules.map((r) => [r.Priority, r.IsDefault, r.Conditions?.[0]?.Values?.[0]]),
        [
          ["10", false, "/b"],
          ["20", false, "/a"],
          ["default", true, undefined],
        ],
      );
      const def = rules[2]!;
      assert.equal(
        (await failure(elb.send(new DeleteRuleCommand({ RuleArn: def.RuleArn })))).code,
        "OperationNotPermitted",
      );
      assert.equal(
        (await failure(elb.send(new ModifyRuleCommand({ RuleArn: def.RuleArn, Conditions: [] })))).code,
        "OperationNotPermitted",
      );
      const bad = await failure(
        elb.send(
          new ModifyRuleCommand({
            RuleArn: r10.RuleArn,
            Conditions: [{ Field: "path-pattern", Values: ["/x y"] }],
            Actions: [{ Type: "forward", TargetGroupArn: tgHttp }],
          }),
        ),
      );
      assert.equal(bad.code, "ValidationError");
      const unchanged = (await elb.send(new DescribeRulesCommand({ RuleArns: [r10.RuleArn!] }))).Rules![0]!;
      assert.equal(unchanged.Conditions![0]!.Values![0], "/a");
      const tooMany = await failure(
        elb.send(
          new CreateRuleCommand({
            ListenerArn: listener,
            Priority: 30,
            Conditions: [{ Field: "path-pattern", Values: ["/1", "/2", "/3", "/4", "/5", "/6"] }],
            Actions: [{ Type: "forward", TargetGroupArn: tgHttp }],
          }),
        ),
      );
      assert.equal(tooMany.code, "ValidationError");
      // A source-ip value must be a bare CIDR block: an IPv6 zone id is refused, not passed on.
      for (const value of ["fe80::1%eth0/64", "10.0.0.0/33", "10.0.0.1"]) {
        const zoned = await failure(
          elb.send(
            new CreateRuleCommand({
              ListenerArn: listener,
              Priority: 31,
              Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: [value] } }],
              Actions: [{ Type: "forward", TargetGroupArn: tgHttp }],
            }),
          ),
        );
        assert.equal(zoned.code, "ValidationError", value);
      }
      const ok = await elb.send(
        new CreateRuleCommand({
          ListenerArn: listener,
          Priority: 31,
          Conditions: [{ Field: "source-ip", SourceIpConfig: { Values: ["fe80::/64", "10.0.0.0/8"] } }],
          Actions: [{ Type: "forward", TargetGroupArn: tgHttp }],
        }),
      );
      await elb.send(new DeleteRuleCommand({ RuleArn: ok.Rules![0]!.RuleArn }));
    });

    it("free the port when the listener goes", async () => {
      await elb.send(new DeleteListenerCommand({ ListenerArn: listener }));
      assert.equal(
        (await failure(elb.send(new DeleteListenerCommand({ ListenerArn: listener })))).code,
        "ListenerNotFound",
      );
      const again = await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: alb,
          Protocol: "HTTP",
          Port: port,
          DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "204" } }],
        }),
      );
      listener = again.Listeners![0]!.ListenerArn!;
      await eventually(
        async () =>
          (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })).status === 204,
      );
    });
  });

  describe("tags", () => {
    it("add, describe and remove tags on every kind of resource", async () => {
      await elb.send(
        new AddTagsCommand({
          ResourceArns: [alb, tgHttp],
          Tags: [
            { Key: "team", Value: "web" },
            { Key: "env", Value: "dev" },
          ],
        }),
      );
      await elb.send(new RemoveTagsCommand({ ResourceArns: [alb], TagKeys: ["env"] }));
      const d = await elb.send(new DescribeTagsCommand({ ResourceArns: [alb, tgHttp] }));
      assert.deepEqual(
        d.TagDescriptions!.map((t) => [t.ResourceArn, t.Tags]),
        [
          [alb, [{ Key: "team", Value: "web" }]],
          [
            tgHttp,
            [
              { Key: "team", Value: "web" },
              { Key: "env", Value: "dev" },
            ],
          ],
        ],
      );
      assert.equal(
        (
          await failure(
            elb.send(new AddTagsCommand({ ResourceArns: [alb], Tags: [{ Key: "aws:x", Value: "y" }] })),
          )
        ).code,
        "ValidationError",
      );
      const many = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
      assert.equal(
        (await failure(elb.send(new AddTagsCommand({ ResourceArns: [alb], Tags: many })))).code,
        "TooManyTags",
      );
      assert.equal(
        (await elb.send(new DescribeTagsCommand({ ResourceArns: [alb] }))).TagDescriptions![0]!.Tags!.length,
        1,
      );
    });
  });

  describe("AWS CLI v2", () => {
    it("creates and describes load balancers and answers errors the CLI understands", async () => {
      const tg = await runAws(b, [
        "elbv2",
        "create-target-group",
        "--name",
        "cli-tg",
        "--protocol",
        "HTTP",
        "--port",
        "80",
        "--target-type",
        "ip",
        "--health-check-path",
        "/ping",
        "--matcher",
        "HttpCode=200-299",
      ]);
      assert.equal(tg.code, 0, tg.stderr);
      const created = tg.json<{
        TargetGroups: { HealthCheckPath: string; Matcher: { HttpCode: string } }[];
      }>();
      assert.equal(created.TargetGroups[0]!.HealthCheckPath, "/ping");
      assert.equal(created.TargetGroups[0]!.Matcher.HttpCode, "200-299");
      const lbs = await runAws(b, ["elbv2", "describe-load-balancers", "--names", "app"]);
      assert.equal(lbs.code, 0, lbs.stderr);
      assert.equal(
        lbs.json<{ LoadBalancers: { LoadBalancerArn: string }[] }>().LoadBalancers[0]!.LoadBalancerArn,
        alb,
      );
      const missing = await runAws(b, ["elbv2", "describe-target-groups", "--names", "nope"]);
      assert.notEqual(missing.code, 0);
      assert.match(
        missing.stderr,
        /An error occurred \(TargetGroupNotFound\) when calling the DescribeTargetGroups operation.*: One or more target groups not found/,
      );
    });
  });
});
