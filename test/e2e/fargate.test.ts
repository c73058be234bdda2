/**
 * Fargate on the real Docker engine: task sizes become cgroup limits (a task over its memory stops with
 * exit 137 and OutOfMemoryError), and the AWS CLI flow for a Fargate service — security groups, task
 * definition, service, its task's interface — ending with an HTTP request to the service's task from
 * another task, and from this host to the task's public address.
 */
import assert from "node:assert/strict";
import { access, readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { DescribeSubnetsCommand } from "@aws-sdk/client-ec2";
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { execIn } from "../helpers/awsvpc.js";
import { type CliResult, eventually, runAws, startBerth, type TestBerth } from "../helpers/berth.js";
import { ec2Client } from "../helpers/ec2.js";

const taskIdOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

/** The task cgroup's memory limit (bytes) and CPU quota (µs per 100 ms period), cgroup v1 or v2. */
async function cgroupLimits(taskId: string): Promise<{ memory: number; cpuQuota: number }> {
  const v2 = await access("/sys/fs/cgroup/cgroup.controllers").then(
    () => true,
    () => false,
  );
  if (v2) {
    const memory = Number((await readFile(`/sys/fs/cgroup/berth/${taskId}/memory.max`, "utf8")).trim());
    const cpuQuota = Number((await readFile(`/sys/fs/cgroup/berth/${taskId}/cpu.max`, "utf8")).split(" ")[0]);
    return { memory, cpuQuota };
  }
  const memory = Number(
    (await readFile(`/sys/fs/cgroup/memory/berth/${taskId}/memory.limit_in_bytes`, "utf8")).trim(),
  );
  const cpuQuota = Number(
    (await readFile(`/sys/fs/cgroup/cpu/berth/${taskId}/cpu.cfs_quota_us`, "utf8")).trim(),
  );
  return { memory, cpuQuota };
}

describe("Fargate tasks and services (real Docker, AWS CLI v2)", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let subnet: string;

  before(async () => {
    b = await startBerth({ fargate: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: "default" }));
    subnet = (await ec2Client(b).send(new DescribeSubnetsCommand({}))).Subnets!.find(
      (s) => s.AvailabilityZone === "us-east-1b",
    )!.SubnetId!;
  });
  after(async () => {
    await b.close();
  });

  async function until(arn: string, pred: (t: Task) => boolean, what: string): Promise<Task> {
    const cluster = arn.split("/")[1]!;
    return eventually(
      async () => {
        const t = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] }))).tasks![0]!;
        return pred(t) ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what },
    );
  }

  it("limits a task to its size: cgroup cpu and memory, OutOfMemoryError and exit 137 past the memory", async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `oom-${process.pid}`,
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "512",
        memory: "1024",
        containerDefinitions: [
          {
            name: "hog",
            image: "berth-test/busybox",
            // One 1200 MiB buffer, filled at once: over the task's 1024 MiB.
            command: ["sh", "-c", "sleep 1; dd if=/dev/zero of=/dev/null bs=1200M count=1"],
          },
        ],
      }),
    );
    const { tasks } = await ecs.send(
      new RunTaskCommand({
        taskDefinition: `oom-${process.pid}`,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
      }),
    );
    const arn = tasks![0]!.taskArn!;
    await until(arn, (t) => t.lastStatus === "RUNNING" || t.lastStatus === "STOPPED", "task started");
    // While it runs (its first second), the task's cgroup carries Fargate's size.
    assert.deepEqual(await cgroupLimits(taskIdOf(arn)), { memory: 1024 * 1024 * 1024, cpuQuota: 50_000 });
    const stopped = await until(arn, (t) => t.lastStatus === "STOPPED", "task stopped");
    const c = stopped.containers![0]!;
    assert.equal(c.exitCode, 137);
    assert.equal(c.reason, "OutOfMemoryError: Container killed due to memory usage");
    assert.equal(stopped.stopCode, "EssentialContainerExited");
    assert.equal(stopped.stoppedReason, "Essential container in task exited");
  });

  it("runs the AWS CLI flow for a Fargate service, from create-security-group to a request from another task", async () => {
    const aws = async (...args: string[]): Promise<CliResult> => {
      const r = await runAws(b, args);
      assert.equal(r.code, 0, `aws ${args.join(" ")}: ${r.stderr}`);
      return r;
    };
    const vpc = (await aws("ec2", "describe-vpcs", "--filters", "Name=is-default,Values=true")).json<{
      Vpcs: { VpcId: string }[];
    }>().Vpcs[0]!.VpcId;
    const web = (
      await aws(
        "ec2",
        "create-security-group",
        "--group-name",
        "web",
        "--description",
        "web tier",
        "--vpc-id",
        vpc,
      )
    ).json<{ GroupId: string }>().GroupId;
    const client = (
      await aws(
        "ec2",
        "create-security-group",
        "--group-name",
        "client",
        "--description",
        "clients",
        "--vpc-id",
        vpc,
      )
    ).json<{ GroupId: string }>().GroupId;
    await aws(
      "ec2",
      "authorize-security-group-ingress",
      "--group-id",
      web,
      "--protocol",
      "tcp",
      "--port",
      "8080",
      "--source-group",
      client,
    );
    // From outside the VPC (this host, through the task's public address): port 8080 too.
    await aws(
      "ec2",
      "authorize-security-group-ingress",
      "--group-id",
      web,
      "--protocol",
      "tcp",
      "--port",
      "8080",
      "--cidr",
      "0.0.0.0/0",
    );
    const rules = (
      await aws("ec2", "describe-security-group-rules", "--filters", `Name=group-id,Values=${web}`)
    ).json<{
      SecurityGroupRules: {
        IsEgress: boolean;
        ReferencedGroupInfo?: { GroupId: string };
        CidrIpv4?: string;
      }[];
    }>().SecurityGroupRules;
    assert.equal(rules.filter((r) => !r.IsEgress).length, 2);
    assert.ok(rules.some((r) => r.ReferencedGroupInfo?.GroupId === client));

    await aws("ecs", "create-cluster", "--cluster-name", "cli-fargate");
    const containers = (image: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify([{ name: "app", image, essential: true, stopTimeout: 2, ...extra }]);
    await aws(
      "ecs",
      "register-task-definition",
      "--family",
      "cli-web",
      "--network-mode",
      "awsvpc",
      "--requires-compatibilities",
      "FARGATE",
      "--cpu",
      "256",
      "--memory",
      "512",
      "--container-definitions",
      containers("berth-test/http", { portMappings: [{ containerPort: 8080 }] }),
    );
    await aws(
      "ecs",
      "register-task-definition",
      "--family",
      "cli-client",
      "--network-mode",
      "awsvpc",
      "--requires-compatibilities",
      "FARGATE",
      "--cpu",
      "256",
      "--memory",
      "512",
      "--container-definitions",
      containers("berth-test/busybox", { command: ["sleep", "3600"] }),
    );
    const created = await aws(
      "ecs",
      "create-service",
      "--cluster",
      "cli-fargate",
      "--service-name",
      "web",
      "--task-definition",
      "cli-web",
      "--desired-count",
      "1",
      "--launch-type",
      "FARGATE",
      "--network-configuration",
      `awsvpcConfiguration={subnets=[${subnet}],securityGroups=[${web}],assignPublicIp=ENABLED}`,
    );
    assert.equal(created.json<{ service: { platformVersion: string } }>().service.platformVersion, "LATEST");
    await eventually(
      async () => {
        const s = (
          await aws("ecs", "describe-services", "--cluster", "cli-fargate", "--services", "web")
        ).json<{
          services: { runningCount: number }[];
        }>();
        return s.services[0]!.runningCount === 1;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: "service running" },
    );
    const taskArn = (
      await aws("ecs", "list-tasks", "--cluster", "cli-fargate", "--service-name", "web")
    ).json<{
      taskArns: string[];
    }>().taskArns[0]!;
    const task = (await aws("ecs", "describe-tasks", "--cluster", "cli-fargate", "--tasks", taskArn)).json<{
      tasks: Task[];
    }>().tasks[0]!;
    assert.equal(task.launchType, "FARGATE");
    assert.equal(task.attachments![0]!.status, "ATTACHED");
    const eniId = task.attachments![0]!.details!.find((d) => d.name === "networkInterfaceId")!.value!;
    const eni = (await aws("ec2", "describe-network-interfaces", "--network-interface-ids", eniId)).json<{
      NetworkInterfaces: {
        PrivateIpAddress: string;
        Association?: { PublicIp: string };
        Groups: { GroupId: string }[];
      }[];
    }>().NetworkInterfaces[0]!;
    assert.deepEqual(
      eni.Groups.map((g) => g.GroupId),
      [web],
    );

    // A client task in the client group asks the service's task for a page (busybox nc as the HTTP client).
    const ran = await aws(
      "ecs",
      "run-task",
      "--cluster",
      "cli-fargate",
      "--task-definition",
      "cli-client",
      "--launch-type",
      "FARGATE",
      "--network-configuration",
      `awsvpcConfiguration={subnets=[${subnet}],securityGroups=[${client}]}`,
    );
    const clientArn = ran.json<{ tasks: Task[] }>().tasks[0]!.taskArn!;
    const running = await until(clientArn, (t) => t.lastStatus === "RUNNING", "client running");
    const request = `printf 'GET /health HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${eni.PrivateIpAddress} 8080`;
    const reply = await eventually(
      async () => {
        const out = await execIn(running.containers![0]!.runtimeId!, ["sh", "-c", request]);
        return out.includes("200 OK") ? out : undefined;
      },
      { timeoutMs: 10_000, what: "an answer from the service's task" },
    );
    assert.match(reply, /\r\n\r\nok\n$/);
    // This host reaches the task at its public address.
    const res = await fetch(`http://${eni.Association!.PublicIp}:8080/health`, {
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(await res.text(), "ok\n");

    // Clean up: the service, the client, the groups.
    await aws("ecs", "delete-service", "--cluster", "cli-fargate", "--service", "web", "--force");
    await aws("ecs", "stop-task", "--cluster", "cli-fargate", "--task", clientArn);
    await eventually(
      async () =>
        (await aws("ec2", "describe-network-interfaces")).json<{ NetworkInterfaces: unknown[] }>()
          .NetworkInterfaces.length === 0,
      { timeoutMs: 30_000, intervalMs: 250, what: "interfaces released" },
    );
    await aws(
      "ec2",
      "revoke-security-group-ingress",
      "--group-id",
      web,
      "--protocol",
      "tcp",
      "--port",
      "8080",
      "--source-group",
      client,
    );
    await aws("ec2", "delete-security-group", "--group-id", web);
    await aws("ec2", "delete-security-group", "--group-id", client);
  });
});
