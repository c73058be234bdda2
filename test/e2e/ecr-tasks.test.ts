/**
 * Tasks whose image lives in Berth's own registry (its ECR): pushed with the docker CLI, pulled by
 * the agent with the execution role's ECR login (or, without an execution role, the container
 * instance's), refused with ECS's reasons when the role may not pull or the image is not there.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateRepositoryCommand } from "@aws-sdk/client-ecr";
import {
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { AttachRolePolicyCommand, CreateRoleCommand } from "@aws-sdk/client-iam";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";
import { dockerConfigDir, ecr, loginPassword, run } from "../helpers/registry.js";

const DOCKER = "/usr/bin/docker";
const trust = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
  ],
});

describe("tasks pulling from Berth's registry", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let image = "";
  let cfg: Awaited<ReturnType<typeof dockerConfigDir>>;
  const roles: Record<string, string> = {};
  let family = 0;

  const docker = async (args: string[], input?: string) => {
    const r = await run(DOCKER, args, {
      env: { DOCKER_CONFIG: cfg.dir },
      ...(input !== undefined ? { input } : {}),
    });
    assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.stderr}`);
    return r;
  };
  /** Forget the pushed tag locally, so that a task must pull it. */
  const forget = () => run(DOCKER, ["rmi", image]);

  before(async () => {
    b = await startBerth({ agent: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
    cfg = await dockerConfigDir();
    const repo = await ecr(b).send(
      new CreateRepositoryCommand({ repositoryName: `tasks/app-${process.pid}` }),
    );
    image = `${repo.repository!.repositoryUri!}:v1`;
    const host = image.slice(0, image.indexOf("/"));
    await docker(["login", "-u", "AWS", "--password-stdin", host], await loginPassword(ecr(b)));
    await docker(["tag", "berth-test/busybox:latest", image]);
    await docker(["push", image]);
    const iam = b.iam();
    for (const [name, policy] of [
      ["pull-exec-role", "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"],
      ["no-ecr-exec-role", undefined],
    ] as const) {
      const r = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust }));
      if (policy) await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policy }));
      roles[name] = r.Role!.Arn!;
    }
  });

  after(async () => {
    await forget();
    await b.close();
    await cfg.cleanup();
  });

  async function runTask(img: string, executionRoleArn?: string): Promise<string> {
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `ecr-${process.pid}-${++family}`,
        containerDefinitions: [{ name: "app", image: img, memory: 32, command: ["sleep", "60"] }],
        ...(executionRoleArn ? { executionRoleArn } : {}),
      }),
    );
    const r = await ecs.send(new RunTaskCommand({ taskDefinition: td.taskDefinition!.taskDefinitionArn! }));
    assert.deepEqual(r.failures, []);
    return r.tasks![0]!.taskArn!;
  }

  const settled = (arn: string) =>
    eventually(
      async () => {
        const t = (await ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!;
        return t.lastStatus === "RUNNING" || t.lastStatus === "STOPPED" ? t : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: "task RUNNING or STOPPED" },
    );

  async function expectRunning(t: Task) {
    assert.equal(t.lastStatus, "RUNNING", t.stoppedReason);
    assert.equal(t.containers![0]!.image, image);
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
  }

  it("runs a task without an execution role: the container instance pulls it", async () => {
    await forget();
    await expectRunning(await settled(await runTask(image)));
    const inspect = await run(DOCKER, ["image", "inspect", "-f", "{{.Id}}", image]);
    assert.equal(inspect.code, 0, "the agent pulled the image");
  });

  it("pulls with the execution role when the role may read the registry", async () => {
    await forget();
    await expectRunning(await settled(await runTask(image, roles["pull-exec-role"])));
  });

  it("stops a task whose execution role may not get an ECR login, with ResourceInitializationError", async () => {
    await forget();
    const t = await settled(await runTask(image, roles["no-ecr-exec-role"]));
    assert.equal(t.lastStatus, "STOPPED");
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(
      t.stoppedReason!,
      /^ResourceInitializationError: unable to pull secrets or registry auth: .*ecr registry auth: .*AccessDeniedException: .*ecr:GetAuthorizationToken/,
    );
  });

  it("stops a task whose image is not in the repository with CannotPullContainerError", async () => {
    const missing = image.replace(/:v1$/, ":no-such-tag");
    const t = await settled(await runTask(missing));
    assert.equal(t.lastStatus, "STOPPED");
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason!, /^CannotPullContainerError: .*(manifest unknown|not found)/i);
  });
});
