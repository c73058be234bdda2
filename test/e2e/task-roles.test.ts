/**
 * Secrets and IAM roles of tasks on the real Docker engine: `secrets` from SSM Parameter Store and
 * Secrets Manager resolved with the execution role, task role credentials served at 169.254.170.2
 * and used by the AWS SDK inside a container (through the agent's pass-through to Berth), one task
 * refused another's credentials, and RunTask refusing roles ECS could not assume or pass.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { DescribeSubnetsCommand } from "@aws-sdk/client-ec2";
import {
  type ContainerDefinition,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  type IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { eventually, startBerth, type TestBerth } from "../helpers/berth.js";
import { ec2Client } from "../helpers/ec2.js";

const docker = promisify(execFile);
const nodeModules = resolve(import.meta.dirname, "../../../node_modules");

const trust = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
const allow = (action: string | string[], resource: string | string[] = "*") =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: action, Resource: resource }],
  });

describe("task secrets and IAM roles", () => {
  let b: TestBerth;
  let ecs: ECSClient;
  let iam: IAMClient;
  let out: string;
  let family = 0;
  const roles: Record<string, string> = {};
  let secretArn = "";
  let paramArn = "";

  async function role(name: string, service: string, policy?: string): Promise<string> {
    const r = await iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(service) }),
    );
    if (policy)
      await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: policy }));
    return r.Role!.Arn!;
  }

  before(async () => {
    b = await startBerth({ agent: { cleanupWaitMs: 0 }, fargate: { cleanupWaitMs: 0 } });
    ecs = b.ecs();
    iam = b.iam();
    out = await mkdtemp(join(tmpdir(), "berth-roles-"));
    await chmod(out, 0o777);
    roles.exec = await role(
      "exec-role",
      "ecs-tasks.amazonaws.com",
      allow(["ssm:GetParameters", "secretsmanager:GetSecretValue", "kms:Decrypt"]),
    );
    roles.bare = await role("bare-exec-role", "ecs-tasks.amazonaws.com");
    roles.app = await role(
      "app-role",
      "ecs-tasks.amazonaws.com",
      allow("ssm:GetParameter", `arn:aws:ssm:${b.region}:*:parameter/e2e/allowed`),
    );
    roles.ec2 = await role("ec2-only-role", "ec2.amazonaws.com");
    const ssm = b.ssm();
    const p = await ssm.send(
      new PutParameterCommand({ Name: "/e2e/db-password", Value: "s3cr3t pa55", Type: "SecureString" }),
    );
    assert.ok(p.Version);
    await ssm.send(
      new PutParameterCommand({ Name: "/e2e/allowed", Value: "you may read me", Type: "String" }),
    );
    paramArn = `arn:aws:ssm:${b.region}:${roles.exec.split(":")[4]}:parameter/e2e/allowed`;
    const s = await b.secretsManager().send(
      new CreateSecretCommand({
        Name: "e2e/db",
        SecretString: JSON.stringify({ user: "admin", port: 5432 }),
      }),
    );
    secretArn = s.ARN!;
  });

  after(async () => {
    await b.close();
    await rm(out, { recursive: true, force: true });
  });

  async function register(
    containers: ContainerDefinition[],
    extra: Partial<RegisterTaskDefinitionCommandInput> = {},
  ): Promise<string> {
    const r = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `roles-${process.pid}-${++family}`,
        containerDefinitions: containers,
        ...extra,
      }),
    );
    return r.taskDefinition!.taskDefinitionArn!;
  }

  async function run(taskDefinition: string, extra: Record<string, unknown> = {}): Promise<Task> {
    const r = await ecs.send(new RunTaskCommand({ taskDefinition, ...extra }));
    assert.deepEqual(r.failures, []);
    return r.tasks![0]!;
  }

  async function until(arn: string, status: "RUNNING" | "STOPPED", timeoutMs = 30_000): Promise<Task> {
    return eventually(
      async () => {
        const t = (await ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!;
        if (t.lastStatus === status) return t;
        if (t.lastStatus === "STOPPED") throw new Error(`task stopped: ${t.stoppedReason}`);
        return undefined;
      },
      { timeoutMs, intervalMs: 100, what: `task ${status}` },
    );
  }

  const hostPort = (t: Task) =>
    t.containers![0]!.networkBindings!.find((n) => n.bindIP === "0.0.0.0")!.hostPort!;

  it("gives a container its secrets: a SecureString parameter decrypted, a Secrets Manager secret whole and by JSON key", async () => {
    const td = await register(
      [
        {
          name: "web",
          image: "berth-test/http",
          memory: 64,
          portMappings: [{ containerPort: 8080 }],
          environment: [{ name: "PLAIN", value: "visible" }],
          secrets: [
            { name: "DB_PASSWORD", valueFrom: "/e2e/db-password" },
            { name: "ALLOWED", valueFrom: paramArn },
            { name: "DB_USER", valueFrom: `${secretArn}:user::` },
            { name: "DB_PORT", valueFrom: `${secretArn}:port::` },
            { name: "DB_JSON", valueFrom: secretArn },
          ],
        },
      ],
      { executionRoleArn: roles.exec },
    );
    const t = await until((await run(td)).taskArn!, "RUNNING");
    const env = await (await fetch(`http://127.0.0.1:${hostPort(t)}/env`)).text();
    const vars = new Map(
      env.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    assert.equal(vars.get("DB_PASSWORD"), "s3cr3t pa55");
    assert.equal(vars.get("ALLOWED"), "you may read me");
    assert.equal(vars.get("DB_USER"), "admin");
    assert.equal(vars.get("DB_PORT"), "5432");
    assert.deepEqual(JSON.parse(vars.get("DB_JSON")!), { user: "admin", port: 5432 });
    assert.equal(vars.get("PLAIN"), "visible");
    const described = JSON.stringify(t);
    assert.ok(!described.includes("s3cr3t"), "DescribeTasks never shows a secret's value");
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
  });

  it("stops a task whose secret does not exist with ResourceInitializationError, naming the parameter", async () => {
    const td = await register(
      [
        {
          name: "app",
          image: "berth-test/busybox",
          memory: 32,
          command: ["sleep", "60"],
          secrets: [
            { name: "OK", valueFrom: "/e2e/db-password" },
            { name: "MISSING", valueFrom: "/e2e/no-such-parameter" },
          ],
        },
      ],
      { executionRoleArn: roles.exec },
    );
    const stopped = await stoppedTask((await run(td)).taskArn!);
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.match(
      stopped.stoppedReason!,
      /^ResourceInitializationError: unable to pull secrets or registry auth/,
    );
    assert.match(stopped.stoppedReason!, /\/e2e\/no-such-parameter/);
    assert.ok(!stopped.stoppedReason!.includes("s3cr3t"));
  });

  it("stops a task whose execution role may not read its secret, with the AccessDenied reason", async () => {
    const td = await register(
      [
        {
          name: "app",
          image: "berth-test/busybox",
          memory: 32,
          command: ["sleep", "60"],
          secrets: [{ name: "DB", valueFrom: `${secretArn}:user::` }],
        },
      ],
      { executionRoleArn: roles.bare },
    );
    const t = await stoppedTask((await run(td)).taskArn!);
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason!, /^ResourceInitializationError: .*AccessDeniedException/);
    assert.ok(
      t.containers!.every((c) => c.runtimeId === undefined),
      "no container was created",
    );
  });

  async function stoppedTask(arn: string): Promise<Task> {
    return eventually(
      async () => {
        const t = (await ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!;
        return t.lastStatus === "STOPPED" ? t : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "task STOPPED" },
    );
  }

  it("refuses RunTask with a role that does not exist or does not trust ecs-tasks.amazonaws.com", async () => {
    const missing = `${roles.app!.slice(0, roles.app!.lastIndexOf("/"))}/no-such-role`;
    for (const arn of [roles.ec2!, missing]) {
      const td = await register([{ name: "a", image: "berth-test/busybox", memory: 16 }], {
        taskRoleArn: arn,
      });
      await assert.rejects(ecs.send(new RunTaskCommand({ taskDefinition: td })), (err: Error) => {
        assert.equal(err.name, "ClientException");
        assert.equal(
          err.message,
          `ECS was unable to assume the role '${arn}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`,
        );
        return true;
      });
    }
    // Overrides are checked too.
    const td = await register([{ name: "a", image: "berth-test/busybox", memory: 16 }]);
    await assert.rejects(
      ecs.send(new RunTaskCommand({ taskDefinition: td, overrides: { executionRoleArn: roles.ec2 } })),
      { name: "ClientException" },
    );
  });

  it("reports a service that cannot assume its task role in its events and starts no task", async () => {
    const td = await register(
      [{ name: "a", image: "berth-test/busybox", memory: 16, command: ["sleep", "60"] }],
      {
        taskRoleArn: roles.ec2,
      },
    );
    const name = `roles-svc-${process.pid}`;
    await ecs.send(new CreateServiceCommand({ serviceName: name, taskDefinition: td, desiredCount: 1 }));
    const svc = await eventually(
      async () => {
        const s = (await ecs.send(new DescribeServicesCommand({ services: [name] }))).services![0]!;
        return s.events?.some((e) => e.message?.includes("failed to launch a task")) ? s : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: "launch failure event" },
    );
    assert.equal(
      svc.events!.find((e) => e.message?.includes("failed to launch"))!.message,
      `service ${name} failed to launch a task with (error ECS was unable to assume the role '${roles.ec2}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.).`,
    );
    assert.equal(svc.runningCount, 0);
    assert.equal(svc.pendingCount, 0);
    await ecs.send(new DeleteServiceCommand({ service: name, force: true }));
  });

  it("requires iam:PassRole on a task's roles to run it", async () => {
    const user = "launcher";
    await iam.send(new CreateUserCommand({ UserName: user }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: user, PolicyName: "ecs", PolicyDocument: allow("ecs:*") }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
    const asUser = b.ecs({
      credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! },
    });
    const td = await register([{ name: "a", image: "berth-test/busybox", memory: 16, command: ["true"] }], {
      taskRoleArn: roles.app,
    });
    await assert.rejects(asUser.send(new RunTaskCommand({ taskDefinition: td })), (err: Error) => {
      assert.equal(err.name, "AccessDeniedException");
      assert.match(err.message, /iam:PassRole/);
      assert.ok(err.message.includes(roles.app!));
      return true;
    });
    // However the task definition is named: an ARN without its revision, or the family alone.
    const revisionless = td.slice(0, td.lastIndexOf(":"));
    const family = revisionless.slice(revisionless.lastIndexOf("/") + 1);
    for (const taskDefinition of [revisionless, family]) {
      await assert.rejects(asUser.send(new RunTaskCommand({ taskDefinition })), {
        name: "AccessDeniedException",
      });
      await assert.rejects(
        asUser.send(new CreateServiceCommand({ serviceName: "no-pass", taskDefinition, desiredCount: 0 })),
        { name: "AccessDeniedException" },
      );
    }
    // Passing the role to another service is not enough.
    const passTo = (service: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: roles.app,
            Condition: { StringEquals: { "iam:PassedToService": service } },
          },
        ],
      });
    await iam.send(
      new PutUserPolicyCommand({
        UserName: user,
        PolicyName: "pass",
        PolicyDocument: passTo("lambda.amazonaws.com"),
      }),
    );
    await assert.rejects(asUser.send(new RunTaskCommand({ taskDefinition: td })), {
      name: "AccessDeniedException",
    });
    await iam.send(
      new PutUserPolicyCommand({
        UserName: user,
        PolicyName: "pass",
        PolicyDocument: passTo("ecs-tasks.amazonaws.com"),
      }),
    );
    const ran = await asUser.send(new RunTaskCommand({ taskDefinition: td }));
    assert.equal(ran.tasks!.length, 1);
  });

  /** A node task running `script` with the SDK; it writes its result to result-<tag>.json in `out`. */
  async function nodeProbe(
    tag: string,
    script: string,
    extra: Partial<RegisterTaskDefinitionCommandInput>,
    env: Record<string, string> = {},
    runExtra: Record<string, unknown> = {},
  ) {
    await writeFile(join(out, `${tag}.js`), script);
    const td = await register(
      [
        {
          name: "probe",
          image: "berth-test/node",
          memory: 256,
          command: ["node", `/app/${tag}.js`],
          environment: [{ name: "OUT", value: `/app/result-${tag}.json` }],
          mountPoints: [
            { sourceVolume: "app", containerPath: "/app" },
            { sourceVolume: "modules", containerPath: "/app/node_modules", readOnly: true },
          ],
        },
      ],
      {
        volumes: [
          { name: "app", host: { sourcePath: out } },
          { name: "modules", host: { sourcePath: nodeModules } },
        ],
        ...extra,
      },
    );
    const environment = Object.entries(env).map(([name, value]) => ({ name, value }));
    const overrides = { containerOverrides: [{ name: "probe", environment }] };
    const t = await stoppedTask((await run(td, { overrides, ...runExtra })).taskArn!);
    assert.equal(t.containers![0]!.exitCode, 0, t.stoppedReason);
    return { task: t, result: JSON.parse(await readFile(join(out, `result-${tag}.json`), "utf8")) };
  }

  const probeScript = `
const { SSMClient, GetParameterCommand } = require("@aws-sdk/client-ssm");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const fs = require("node:fs");
(async () => {
  const result = { env: { endpoint: process.env.AWS_ENDPOINT_URL, relative: process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, full: process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI } };
  result.identity = (await new STSClient({}).send(new GetCallerIdentityCommand({}))).Arn;
  const ssm = new SSMClient({});
  for (const name of ["/e2e/allowed", "/e2e/db-password"]) {
    try { result[name] = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter.Value; }
    catch (err) { result[name] = err.name; }
  }
  fs.writeFileSync(process.env.OUT, JSON.stringify(result));
})().catch((err) => { fs.writeFileSync(process.env.OUT, JSON.stringify({ error: String(err) })); });
`;

  for (const networkMode of ["bridge", "host", "awsvpc"] as const) {
    it(`lets the AWS SDK in a ${networkMode}-mode task use its task role, as the role's policy allows`, async () => {
      // awsvpc: the default VPC's subnet in the agent's zone, and its default security group.
      const runExtra =
        networkMode === "awsvpc"
          ? {
              networkConfiguration: {
                awsvpcConfiguration: {
                  subnets: [
                    (await ec2Client(b).send(new DescribeSubnetsCommand({}))).Subnets!.find(
                      (s) => s.AvailabilityZone === `${b.region}a`,
                    )!.SubnetId!,
                  ],
                },
              },
            }
          : {};
      const { task, result } = await nodeProbe(
        `sdk-${networkMode}`,
        probeScript,
        { taskRoleArn: roles.app, networkMode },
        {},
        runExtra,
      );
      const taskId = task.taskArn!.slice(task.taskArn!.lastIndexOf("/") + 1);
      assert.equal(result.error, undefined);
      assert.match(result.identity, new RegExp(`:assumed-role/app-role/${taskId}$`));
      assert.equal(result["/e2e/allowed"], "you may read me");
      assert.equal(result["/e2e/db-password"], "AccessDeniedException");
      if (networkMode !== "host") {
        assert.equal(result.env.endpoint, "http://169.254.170.2");
        assert.match(result.env.relative, /^\/v2\/credentials\/[0-9a-f-]{36}$/);
      } else {
        assert.equal(result.env.endpoint, b.url);
        assert.match(result.env.full, /^http:\/\/127\.0\.0\.1:\d+\/v2\/credentials\/[0-9a-f-]{36}$/);
      }
    });
  }

  it("gives a Fargate task its secret (execution role) and its task role's credentials", async () => {
    const script = `
const http = require("node:http");
process.on("SIGTERM", () => process.exit(0));
const done = (r) => { console.log("RESULT " + JSON.stringify(r)); setInterval(() => {}, 1000); };
http.get({ host: "169.254.170.2", path: process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI }, (res) => {
  let body = "";
  res.on("data", (d) => (body += d));
  res.on("end", () => {
    let role;
    try { role = JSON.parse(body).RoleArn; } catch {}
    done({ status: res.statusCode, role, db: process.env.DB });
  });
}).on("error", (err) => done({ error: String(err) }));`;
    const td = await register(
      [
        {
          name: "probe",
          image: "berth-test/node",
          command: ["node", "-e", script],
          secrets: [{ name: "DB", valueFrom: "/e2e/db-password" }],
        },
      ],
      {
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        taskRoleArn: roles.app,
        executionRoleArn: roles.exec,
      },
    );
    const subnet = (await ec2Client(b).send(new DescribeSubnetsCommand({}))).Subnets![0]!.SubnetId!;
    const t = await run(td, {
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
    });
    const running = await until(t.taskArn!, "RUNNING");
    const id = running.containers![0]!.runtimeId!;
    const line = await eventually(
      async () => {
        const { stdout } = await docker("/usr/bin/docker", ["logs", id]);
        return stdout.split("\n").find((l) => l.startsWith("RESULT "));
      },
      { timeoutMs: 20_000, intervalMs: 200, what: "the probe's result" },
    );
    const result = JSON.parse(line.slice("RESULT ".length));
    assert.deepEqual(result, { status: 200, role: roles.app, db: "s3cr3t pa55" });
    await ecs.send(new StopTaskCommand({ task: t.taskArn! }));
    await until(t.taskArn!, "STOPPED");
  });

  it("serves a task only its own credentials: another task's id is refused", async () => {
    const holder = await register(
      [{ name: "h", image: "berth-test/busybox", memory: 16, command: ["sleep", "120"] }],
      { taskRoleArn: roles.app },
    );
    const h = await until((await run(holder)).taskArn!, "RUNNING");
    const { stdout } = await docker("/usr/bin/docker", [
      "inspect",
      "-f",
      "{{json .Config.Env}}",
      h.containers![0]!.runtimeId!,
    ]);
    const theirs = (JSON.parse(stdout) as string[])
      .find((e) => e.startsWith("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="))!
      .split("=")[1]!;
    const script = `
const http = require("node:http");
const fs = require("node:fs");
const get = (path) => new Promise((resolve) => {
  http.get({ host: "169.254.170.2", path }, (res) => {
    let body = "";
    res.on("data", (c) => (body += c));
    res.on("end", () => resolve({ status: res.statusCode, body }));
  }).on("error", (err) => resolve({ error: String(err) }));
});
(async () => {
  const mine = await get(process.env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
  const theirs = await get(process.env.THEIRS);
  fs.writeFileSync(process.env.OUT, JSON.stringify({ mine, theirs }));
})();
`;
    const { result } = await nodeProbe("thief", script, { taskRoleArn: roles.app }, { THEIRS: theirs });
    assert.equal(result.mine.status, 200);
    const mine = JSON.parse(result.mine.body);
    assert.equal(mine.RoleArn, roles.app);
    assert.match(mine.AccessKeyId, /^ASIA/);
    assert.ok(mine.SecretAccessKey && mine.Token);
    assert.ok(Date.parse(mine.Expiration) > Date.now());
    assert.equal(result.theirs.status, 403, "another task's credentials are refused");
    assert.ok(!result.theirs.body.includes("SecretAccessKey"));
    await ecs.send(new StopTaskCommand({ task: h.taskArn! }));
  });
});
