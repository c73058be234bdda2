/**
 * ECS services behind Berth's load balancers, on the real Docker engine and the real HAProxy:
 * several copies of a service on one host, each on its own dynamic host port, found by the load
 * balancer; path rules send requests to the right service; a target that fails its health checks
 * is taken out and its task replaced; a rolling update under continuous load drops no request;
 * and a Network Load Balancer forwards TCP to an echo service.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  type Task,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";
import { freePort, load } from "../helpers/lb.js";

const docker = promisify(execFile);

/**
 * httpd on 8080: /<name>/ answers "<name> <hostname> <revision>", / the hostname, /health "ok".
 * The shell stays PID 1 to stop httpd on SIGTERM (httpd as PID 1 would ignore it).
 */
const HTTP_COMMAND = [
  "sh",
  "-c",
  'mkdir -p /www/$NAME && echo "$NAME $(hostname) $REVISION" > /www/$NAME/index.html && hostname > /www/index.html && echo ok > /www/health; httpd -f -p 8080 -h /www & pid=$!; trap "kill $pid; exit 0" TERM; wait $pid',
];

describe("services behind load balancers (Docker, HAProxy)", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;
  let port: number;
  let tgWeb: string;
  let tgApi: string;

  const service = async (name: string): Promise<Service> =>
    (await ecs.send(new DescribeServicesCommand({ services: [name] }))).services![0]!;
  const tasksOf = async (name: string, desiredStatus: "RUNNING" | "STOPPED" = "RUNNING"): Promise<Task[]> => {
    const arns = (await ecs.send(new ListTasksCommand({ serviceName: name, desiredStatus }))).taskArns ?? [];
    return arns.length === 0 ? [] : ((await ecs.send(new DescribeTasksCommand({ tasks: arns }))).tasks ?? []);
  };
  const steady = (name: string, count: number) =>
    eventually(
      async () => {
        const s = await service(name);
        return s.deployments?.length === 1 &&
          s.deployments[0]!.rolloutState === "COMPLETED" &&
          s.runningCount === count &&
          s.pendingCount === 0
          ? s
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `${name} steady with ${count} tasks` },
    );
  const healthy = (tg: string, count: number) =>
    eventually(
      async () => {
        const h = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg })))
          .TargetHealthDescriptions!;
        return h.length === count && h.every((d) => d.TargetHealth?.State === "healthy") ? h : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: `${count} healthy targets` },
    );
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.text()).trim() };
  };
  const register = async (family: string, env: Record<string, string>, extra: object = {}) =>
    (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: [
            {
              name: "web",
              image: "berth-test/http",
              memory: 32,
              command: HTTP_COMMAND,
              portMappings: [{ containerPort: 8080 }],
              environment: Object.entries(env).map(([name, value]) => ({ name, value })),
              ...extra,
            },
          ],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  const targetGroup = async (name: string) => {
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: name,
          Protocol: "HTTP",
          Port: 80,
          HealthCheckPath: "/health",
          HealthCheckIntervalSeconds: 5,
          HealthCheckTimeoutSeconds: 2,
          HealthyThresholdCount: 2,
          UnhealthyThresholdCount: 2,
        }),
      )
    ).TargetGroups![0]!.TargetGroupArn!;
    await elb.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: tg,
        Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "2" }],
      }),
    );
    return tg;
  };

  before(async () => {
    b = await startBerth({ agent: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
    elb = b.elbv2();
    await ecs.send(new CreateClusterCommand({ clusterName: "default" }));
    port = await freePort();
    const alb = (await elb.send(new CreateLoadBalancerCommand({ Name: "front" }))).LoadBalancers![0]!
      .LoadBalancerArn!;
    tgWeb = await targetGroup("web");
    tgApi = await targetGroup("api");
    const listener = (
      await elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: alb,
          Protocol: "HTTP",
          Port: port,
          DefaultActions: [{ Type: "forward", TargetGroupArn: tgWeb }],
        }),
      )
    ).Listeners![0]!.ListenerArn!;
    await elb.send(
      new CreateRuleCommand({
        ListenerArn: listener,
        Priority: 10,
        Conditions: [{ Field: "path-pattern", Values: ["/api/*"] }],
        Actions: [{ Type: "forward", TargetGroupArn: tgApi }],
      }),
    );
    const lb = (tg: string) => [{ targetGroupArn: tg, containerName: "web", containerPort: 8080 }];
    await ecs.send(
      new CreateServiceCommand({
        serviceName: "web",
        taskDefinition: await register("web", { NAME: "web", REVISION: "1" }),
        desiredCount: 1,
        loadBalancers: lb(tgWeb),
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        serviceName: "api",
        taskDefinition: await register("api", { NAME: "api", REVISION: "1" }),
        desiredCount: 1,
        loadBalancers: lb(tgApi),
      }),
    );
  });
  after(async () => {
    await b?.close();
  });

  it("sends requests to the right service by path", async () => {
    await steady("web", 1);
    await steady("api", 1);
    const [web] = await tasksOf("web");
    const webHost = web!.containers![0]!.runtimeId!.slice(0, 12);
    const api = await get("/api/");
    assert.equal(api.status, 200);
    assert.match(api.body, /^api [0-9a-f]{12} 1$/);
    assert.equal((await get("/")).body, webHost);
    assert.match((await get("/web/")).body, new RegExp(`^web ${webHost} 1$`));
    const s = await service("web");
    assert.ok(
      s.events!.some((e) => e.message === `(service web) registered 1 targets in (target-group ${tgWeb})`),
      JSON.stringify(s.events),
    );
    assert.equal(
      s.roleArn,
      "arn:aws:iam::000000000000:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
    );
  });

  it("scales to four copies on dynamic host ports, and spreads requests over all four", async () => {
    await ecs.send(new UpdateServiceCommand({ service: "web", desiredCount: 4 }));
    await steady("web", 4);
    const targets = await healthy(tgWeb, 4);
    const ports = new Set(targets.map((t) => t.Target!.Port));
    assert.equal(ports.size, 4, "each copy on its own host port");
    assert.equal(new Set(targets.map((t) => t.Target!.Id)).size, 1, "all on one container instance");
    const hosts = new Set((await tasksOf("web")).map((t) => t.containers![0]!.runtimeId!.slice(0, 12)));
    const seen = new Map<string, number>();
    for (let i = 0; i < 80; i++) {
      const r = await get("/");
      assert.equal(r.status, 200);
      seen.set(r.body, (seen.get(r.body) ?? 0) + 1);
    }
    assert.deepEqual(new Set(seen.keys()), hosts);
    for (const n of seen.values()) assert.ok(n >= 10, JSON.stringify([...seen]));
  });

  it("takes out a target that fails its health checks and replaces its task", async () => {
    const [victim] = await tasksOf("web");
    const container = victim!.containers![0]!.runtimeId!;
    await docker("/usr/bin/docker", ["exec", container, "rm", "/www/health"]);
    const stopped = await eventually(
      async () => (await tasksOf("web", "STOPPED")).find((t) => t.taskArn === victim!.taskArn),
      { timeoutMs: 40_000, intervalMs: 250, what: "the unhealthy task stopped" },
    );
    assert.equal(stopped.stopCode, "ServiceSchedulerInitiated");
    assert.equal(stopped.stoppedReason, `Task failed ELB health checks in (target-group ${tgWeb})`);
    const s = await steady("web", 4);
    assert.ok(
      s.events!.some((e) =>
        /^\(service web\) \(instance .+\) \(port \d+\) is unhealthy in \(target-group .+\) due to \(reason Health checks failed with these codes: \[404\]\)\.$/.test(
          e.message ?? "",
        ),
      ),
      JSON.stringify(s.events!.map((e) => e.message)),
    );
    assert.ok(
      s.events!.some((e) =>
        / Amazon ECS replaced 1 tasks due to an unhealthy status\.$/.test(e.message ?? ""),
      ),
    );
    await healthy(tgWeb, 4);
  });

  it("rolls a new revision out under continuous load without a failed request", async () => {
    let stop = false;
    const running = load(`http://127.0.0.1:${port}/web/`, {
      until: () => stop,
      max: 200_000,
      concurrency: 4,
    });
    await ecs.send(
      new UpdateServiceCommand({
        service: "web",
        taskDefinition: await register("web", { NAME: "web", REVISION: "2" }),
      }),
    );
    const s = await eventually(
      async () => {
        const svc = await service("web");
        return svc.taskDefinition?.endsWith(":2") &&
          svc.deployments?.length === 1 &&
          svc.deployments[0]!.rolloutState === "COMPLETED" &&
          svc.runningCount === 4
          ? svc
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: "the rolling update complete" },
    );
    // Let the last old tasks finish draining under load.
    await new Promise((r) => setTimeout(r, 2500));
    stop = true;
    const result = await running;
    assert.equal(result.failed, 0, result.errors.join("\n"));
    const revisions = [...result.bodies.keys()].map((k) => k.trim().split(" ")[2]);
    assert.ok(revisions.includes("1") && revisions.includes("2"), JSON.stringify([...result.bodies.keys()]));
    assert.ok(
      s.events!.some((e) =>
        /^\(service web\) has begun draining connections on \d+ tasks\.$/.test(e.message ?? ""),
      ),
    );
    assert.ok(
      s.events!.some((e) =>
        /^\(service web\) deregistered \d+ targets in \(target-group /.test(e.message ?? ""),
      ),
    );
    for (let i = 0; i < 8; i++) assert.match((await get("/web/")).body, / 2$/);
  });

  it("forwards TCP through a Network Load Balancer to an echo service", async () => {
    const nlb = (await elb.send(new CreateLoadBalancerCommand({ Name: "echo", Type: "network" })))
      .LoadBalancers![0]!;
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: "echo", Protocol: "TCP", Port: 7 })))
      .TargetGroups![0]!.TargetGroupArn!;
    const nlbPort = await freePort();
    await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: nlb.LoadBalancerArn,
        Protocol: "TCP",
        Port: nlbPort,
        DefaultActions: [{ Type: "forward", TargetGroupArn: tg }],
      }),
    );
    const td = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "echo",
          containerDefinitions: [
            {
              name: "echo",
              image: "berth-test/busybox",
              memory: 16,
              command: ["nc", "-ll", "-p", "7", "-e", "cat"],
              portMappings: [{ containerPort: 7 }],
            },
          ],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    await ecs.send(
      new CreateServiceCommand({
        serviceName: "echo",
        taskDefinition: td,
        desiredCount: 2,
        loadBalancers: [{ targetGroupArn: tg, containerName: "echo", containerPort: 7 }],
      }),
    );
    await steady("echo", 2);
    await healthy(tg, 2);
    for (const word of ["hello", "berth"]) {
      const reply = await new Promise<string>((resolve, reject) => {
        const s = connect(nlbPort, "127.0.0.1", () => s.write(`${word}\n`));
        s.setEncoding("utf8");
        s.once("data", (d: string) => {
          resolve(d);
          s.destroy();
        });
        s.once("error", reject);
      });
      assert.equal(reply, `${word}\n`);
    }
  });
});
