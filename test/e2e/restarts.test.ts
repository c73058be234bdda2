/**
 * Restarts never stop a running task: the agent re-adopts its containers, a container that exits
 * while the agent is away is reported when it returns, and the control plane can be killed -9 and
 * restarted with tasks running. Also a standalone `berth agent` joining a control plane.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from "@aws-sdk/client-ec2";
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import type { Component } from "../../src/main/build.js";
import { eventually, startBerth, type TestBerth, tempDir } from "../helpers/berth.js";
import { ec2Client } from "../helpers/ec2.js";
import { removeAgentLeftovers, spawnAgent, spawnBerth } from "../helpers/process.js";

const docker = promisify(execFile);
const startedAt = async (id: string) =>
  (await docker("/usr/bin/docker", ["inspect", "-f", "{{.State.StartedAt}}", id])).stdout.trim();
const dockerStatus = async (id: string) =>
  (await docker("/usr/bin/docker", ["inspect", "-f", "{{.State.Status}}", id])).stdout.trim();

async function until(
  ecs: ECSClient,
  arn: string,
  pred: (t: Task) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<Task> {
  return eventually(
    async () => {
      const t = (await ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks?.[0];
      return t && pred(t) ? t : undefined;
    },
    { timeoutMs, intervalMs: 100, what },
  );
}

const http = (family: string) =>
  new RegisterTaskDefinitionCommand({
    family,
    containerDefinitions: [
      { name: "web", image: "berth-test/http", memory: 32, portMappings: [{ containerPort: 8080 }] },
    ],
  });

describe("agent restarts (in-process)", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let agent: Component;
  let fargateAgent: Component;

  before(async () => {
    b = await startBerth({ agent: { cleanupWaitMs: 0 }, fargate: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
    agent = b.berth.components.find((c) => c.name === "agent")!;
    fargateAgent = b.berth.components.find((c) => c.name === "fargate-agent")!;
  });
  after(async () => {
    await b.close();
  });

  it("re-adopts running containers without restarting them", async () => {
    await ecs.send(http("adopt"));
    const t = (await ecs.send(new RunTaskCommand({ taskDefinition: "adopt" }))).tasks![0]!;
    const running = await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
    const id = running.containers![0]!.runtimeId!;
    const before = await startedAt(id);
    const instance = b.berth.agent()!.containerInstanceArn;

    await agent.stop!();
    assert.equal(await dockerStatus(id), "running", "stopping the agent leaves the task running");
    await agent.start!();
    assert.equal(b.berth.agent()!.containerInstanceArn, instance, "the agent resumed its identity");

    const again = await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
    assert.equal(again.containers![0]!.runtimeId, id);
    assert.equal(await startedAt(id), before, "the container was not restarted");
    const binding = again.containers![0]!.networkBindings![0]!;
    assert.equal((await (await fetch(`http://127.0.0.1:${binding.hostPort}/health`)).text()).trim(), "ok");
    // The restarted agent still controls the task.
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
    const stopped = await until(ecs, t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
    assert.equal(stopped.containers![0]!.exitCode, 0);
  });

  it("re-adopts a Fargate (awsvpc) task: it keeps serving, and its security groups still follow the API", {
    timeout: 120_000,
  }, async () => {
    const ec2 = ec2Client(b);
    const subnet = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.find(
      (s) => s.AvailabilityZone === `${b.region}a`,
    )!;
    const group = (
      await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `restart-${process.pid}`,
          Description: "restart",
          VpcId: subnet.VpcId!,
        }),
      )
    ).GroupId!;
    const rule = { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [rule] }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "adopt-vpc",
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "256",
        memory: "512",
        containerDefinitions: [
          { name: "web", image: "berth-test/http", portMappings: [{ containerPort: 8080 }] },
        ],
      }),
    );
    const t = (
      await ecs.send(
        new RunTaskCommand({
          taskDefinition: "adopt-vpc",
          launchType: "FARGATE",
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: [subnet.SubnetId!],
              securityGroups: [group],
              assignPublicIp: "ENABLED",
            },
          },
        }),
      )
    ).tasks![0]!;
    const running = await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING", 60_000);
    const id = running.containers![0]!.runtimeId!;
    const eniId = running.attachments![0]!.details!.find((d) => d.name === "networkInterfaceId")!.value!;
    const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })))
      .NetworkInterfaces![0]!;
    const url = `http://${eni.Association!.PublicIp}:8080/health`;
    const answers = async () => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        return (await res.text()).trim() === "ok";
      } catch {
        return false;
      }
    };
    await eventually(answers, { timeoutMs: 10_000, what: "the task answering at its public address" });
    const before = await startedAt(id);

    await fargateAgent.stop!();
    assert.ok(await answers(), "the task serves while its agent is down");
    await fargateAgent.start!();

    await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
    assert.equal(await startedAt(id), before, "the container was not restarted");
    assert.ok(await answers(), "the task serves after the agent is back");
    // The restarted agent still applies the task's security groups.
    await ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: group, IpPermissions: [rule] }));
    await eventually(async () => !(await answers()), {
      timeoutMs: 10_000,
      what: "the revoked rule enforced",
    });
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
    await until(ecs, t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
  });

  it("reports a container that exited while the agent was down", async () => {
    await ecs.send(http("away"));
    const t = (await ecs.send(new RunTaskCommand({ taskDefinition: "away" }))).tasks![0]!;
    const running = await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
    const id = running.containers![0]!.runtimeId!;
    await agent.stop!();
    await docker("/usr/bin/docker", ["kill", id]);
    assert.equal(
      (await ecs.send(new DescribeTasksCommand({ tasks: [t.taskArn!] }))).tasks![0]!.lastStatus,
      "RUNNING",
      "nobody reported it yet",
    );
    await agent.start!();
    const s = await until(ecs, t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
    assert.equal(s.stopCode, "EssentialContainerExited");
    assert.equal(s.containers![0]!.exitCode, 137);
  });
});

describe("control plane and standalone agents as processes", () => {
  it("keeps tasks running across kill -9 of the control plane, then converges", {
    timeout: 120_000,
  }, async () => {
    const dir = await tempDir();
    try {
      const first = await spawnBerth(["--port", "0", "--data-dir", dir]);
      const creds = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
      const client = (url: string) =>
        new ECSClient({ endpoint: url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
      let ecs = client(first.url);
      await ecs.send(http("survivor"));
      const t = (await ecs.send(new RunTaskCommand({ taskDefinition: "survivor" }))).tasks![0]!;
      const running = await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
      const id = running.containers![0]!.runtimeId!;
      const before = await startedAt(id);
      // A Fargate task too, reached at its public address through its security group.
      const ec2 = new EC2Client({
        endpoint: first.url,
        region: "us-east-1",
        credentials: creds,
        maxAttempts: 1,
      });
      const subnet = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets![0]!;
      const group = (
        await ec2.send(
          new CreateSecurityGroupCommand({ GroupName: "survivor", Description: "web", VpcId: subnet.VpcId! }),
        )
      ).GroupId!;
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: group,
          IpPermissions: [
            { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
          ],
        }),
      );
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "survivor-vpc",
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          cpu: "256",
          memory: "512",
          containerDefinitions: [
            { name: "web", image: "berth-test/http", portMappings: [{ containerPort: 8080 }] },
          ],
        }),
      );
      const f = (
        await ecs.send(
          new RunTaskCommand({
            taskDefinition: "survivor-vpc",
            launchType: "FARGATE",
            networkConfiguration: {
              awsvpcConfiguration: {
                subnets: [subnet.SubnetId!],
                securityGroups: [group],
                assignPublicIp: "ENABLED",
              },
            },
          }),
        )
      ).tasks![0]!;
      const fRunning = await until(
        ecs,
        f.taskArn!,
        (x) => x.lastStatus === "RUNNING",
        "Fargate RUNNING",
        60_000,
      );
      const eniId = fRunning.attachments![0]!.details!.find((d) => d.name === "networkInterfaceId")!.value!;
      const eni = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })))
        .NetworkInterfaces![0]!;
      const answers = async () => {
        try {
          const res = await fetch(`http://${eni.Association!.PublicIp}:8080/health`, {
            signal: AbortSignal.timeout(1000),
          });
          return (await res.text()).trim() === "ok";
        } catch {
          return false;
        }
      };
      await eventually(answers, { timeoutMs: 10_000, what: "the Fargate task answering" });
      const fId = fRunning.containers![0]!.runtimeId!;
      const fBefore = await startedAt(fId);
      await first.kill9();
      assert.equal(await dockerStatus(id), "running");
      assert.ok(await answers(), "the Fargate task serves while Berth is down");

      const second = await spawnBerth(["--port", "0", "--data-dir", dir]);
      try {
        ecs = client(second.url);
        const again = await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");
        assert.equal(again.containers![0]!.runtimeId, id);
        assert.equal(await startedAt(id), before);
        await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
        await until(ecs, t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
        // The Fargate task was adopted, not restarted, and its security group is still Berth's to change.
        await until(ecs, f.taskArn!, (x) => x.lastStatus === "RUNNING", "Fargate RUNNING");
        assert.equal(await startedAt(fId), fBefore);
        assert.ok(await answers(), "the Fargate task serves after the restart");
        const ec2b = new EC2Client({
          endpoint: second.url,
          region: "us-east-1",
          credentials: creds,
          maxAttempts: 1,
        });
        await ec2b.send(
          new RevokeSecurityGroupIngressCommand({
            GroupId: group,
            IpPermissions: [
              { IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "0.0.0.0/0" }] },
            ],
          }),
        );
        await eventually(async () => !(await answers()), {
          timeoutMs: 10_000,
          what: "the revoked rule enforced",
        });
        await ecs.send(new StopTaskCommand({ task: f.taskArn! }));
        await until(ecs, f.taskArn!, (x) => x.lastStatus === "STOPPED", "Fargate STOPPED");
      } finally {
        await second.stop();
      }
    } finally {
      await removeAgentLeftovers(dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("joins a standalone agent with the join token; a vanished agent shows agentConnected false", {
    timeout: 120_000,
  }, async () => {
    const dir = await tempDir();
    const agentDir = await tempDir("berth-agent-");
    try {
      const cp = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"], {
        BERTH_AGENT_TIMEOUT_MS: "3000",
      });
      try {
        const creds = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
        const token = (await readFile(join(dir, "join-token"), "utf8")).trim();
        assert.ok(cp.stdout().includes(`--token ${token}`), "berth up prints how to join");
        const ecs = new ECSClient({
          endpoint: cp.url,
          region: "us-east-1",
          credentials: creds,
          maxAttempts: 1,
        });
        const args = [
          "--control-plane",
          cp.url,
          "--token",
          token,
          "--name",
          "worker-1",
          "--data-dir",
          agentDir,
          "--attribute",
          "color=blue",
          "--cpu",
          "1024",
          "--memory",
          "2048",
        ];
        const bad = await spawnAgent([...args.slice(0, 2), "--token", "wrong", ...args.slice(4)]).catch(
          (e: Error) => e,
        );
        assert.ok(bad instanceof Error && /wrong join token/.test(bad.message));
        let worker = await spawnAgent(args);
        const arn = worker.url;
        const described = async () =>
          (await ecs.send(new DescribeContainerInstancesCommand({ containerInstances: [arn] })))
            .containerInstances![0]!;
        const ci = await described();
        assert.equal(ci.ec2InstanceId, "worker-1");
        assert.equal(ci.agentConnected, true);
        assert.ok(ci.attributes!.some((a) => a.name === "color" && a.value === "blue"));
        assert.equal(ci.registeredResources!.find((r) => r.name === "CPU")!.integerValue, 1024);
        assert.equal(ci.registeredResources!.find((r) => r.name === "MEMORY")!.integerValue, 2048);
        assert.deepEqual((await ecs.send(new ListContainerInstancesCommand({}))).containerInstanceArns, [
          arn,
        ]);

        await ecs.send(http("remote"));
        const t = (await ecs.send(new RunTaskCommand({ taskDefinition: "remote" }))).tasks![0]!;
        assert.equal(t.containerInstanceArn, arn);
        await until(ecs, t.taskArn!, (x) => x.lastStatus === "RUNNING", "RUNNING");

        await worker.kill9();
        await eventually(async () => (await described()).agentConnected === false, {
          timeoutMs: 15_000,
          what: "agentConnected false",
        });
        worker = await spawnAgent(args);
        assert.equal(worker.url, arn, "the agent resumed as the same container instance");
        await eventually(async () => (await described()).agentConnected === true, {
          timeoutMs: 15_000,
          what: "agentConnected true",
        });
        await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
        await until(ecs, t.taskArn!, (x) => x.lastStatus === "STOPPED", "STOPPED");
        await worker.stop();
      } finally {
        await cp.stop();
      }
    } finally {
      await removeAgentLeftovers(dir, agentDir);
      await rm(dir, { recursive: true, force: true });
      await rm(agentDir, { recursive: true, force: true });
    }
  });
});
