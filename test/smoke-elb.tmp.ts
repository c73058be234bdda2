import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { startBerth } from "./helpers/berth.js";
import { freePort, load } from "./helpers/lb.js";

const b = await startBerth({ agent: { cleanupWaitMs: 0 } });
const elb = b.elbv2();
const ecs = b.ecs();
const t0 = Date.now();
const log = (...a: unknown[]) => console.log(((Date.now() - t0) / 1000).toFixed(2), ...a);
const cmd = [
  "sh",
  "-c",
  'mkdir -p /www/$NAME && echo "$NAME $(hostname) $REVISION" > /www/$NAME/index.html && hostname > /www/index.html && echo ok > /www/health && exec httpd -f -p 8080 -h /www',
];
const reg = async (rev: string) =>
  (
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "web",
        containerDefinitions: [
          {
            name: "web",
            image: "berth-test/http",
            memory: 32,
            command: cmd,
            portMappings: [{ containerPort: 8080 }],
            environment: [
              { name: "NAME", value: "web" },
              { name: "REVISION", value: rev },
            ],
          },
        ],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;
try {
  await ecs.send(new CreateClusterCommand({ clusterName: "default" }));
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "web" }))).LoadBalancers![0]!;
  const tg = (
    await elb.send(
      new CreateTargetGroupCommand({
        Name: "web-tg",
        Protocol: "HTTP",
        Port: 80,
        HealthCheckPath: "/health",
        HealthCheckIntervalSeconds: 5,
        HealthCheckTimeoutSeconds: 2,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 2,
      }),
    )
  ).TargetGroups![0]!;
  await elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: tg.TargetGroupArn,
      Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "2" }],
    }),
  );
  const port = await freePort();
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn,
      Protocol: "HTTP",
      Port: port,
      DefaultActions: [{ Type: "forward", TargetGroupArn: tg.TargetGroupArn }],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      serviceName: "web",
      taskDefinition: await reg("1"),
      desiredCount: 4,
      loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: "web", containerPort: 8080 }],
    }),
  );
  for (;;) {
    const s = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services![0]!;
    if (s.deployments![0]!.rolloutState === "COMPLETED" && s.deployments!.length === 1) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  log("steady");
  let stop = false;
  const running = load(`http://127.0.0.1:${port}/web/`, { until: () => stop, max: 200000, concurrency: 4 });
  await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: await reg("2") }));
  for (let i = 0; i < 60; i++) {
    const h = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }));
    const s = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services![0]!;
    log(
      JSON.stringify(h.TargetHealthDescriptions!.map((d) => `${d.Target!.Port}=${d.TargetHealth!.State}`)),
      s
        .deployments!.map(
          (d) => `${d.status}:${d.rolloutState}:r${d.runningCount}:p${d.pendingCount}:d${d.desiredCount}`,
        )
        .join(","),
    );
    if (s.deployments!.length === 1 && s.deployments![0]!.rolloutState === "COMPLETED") break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  stop = true;
  const r = await running;
  log(r.ok, r.failed, r.errors);
  const s = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services![0]!;
  console.log(
    s
      .events!.slice(0, 25)
      .map((e) => e.message)
      .reverse()
      .join("\n"),
  );
} finally {
  await b.close();
}
