/**
 * What a container instance's token lets its agent do through the agent API, beyond running its
 * own tasks (src/agentapi/server.ts): a registry login that only pulls its task's images, for
 * minutes; container output only into the log groups (and streams) its tasks name; and, once the
 * instance is deregistered, only polls and reports. Instances are registered by hand with the join
 * token (no agent runs) and tasks are placed on them with StartTask.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  GetLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateRepositoryCommand } from "@aws-sdk/client-ecr";
import {
  DeregisterContainerInstanceCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
} from "@aws-sdk/client-ecs";
import type {
  LogBatch,
  PollResponse,
  RegisterResponse,
  RegistryAuthResponse,
} from "../../src/agentapi/protocol.js";
import { AGENT_API_PREFIX } from "../../src/agentapi/protocol.js";
import { ManualClock } from "../../src/lib/clock.js";
import { PULL_TOKEN_TTL_MS } from "../../src/registry/tokens.js";
import { startBerth, type TestBerth } from "../helpers/berth.js";
import { basic, ecr, loginPassword, oci, pushTinyImage, type TinyImage } from "../helpers/registry.js";

/** The capabilities an instance needs for tasks that log with awslogs (an agent registers them). */
const AWSLOGS_CAPABILITIES = [
  ...Array.from({ length: 25 }, (_, i) => ({
    name: `com.amazonaws.ecs.capability.docker-remote-api.1.${17 + i}`,
  })),
  { name: "com.amazonaws.ecs.capability.logging-driver.awslogs" },
  { name: "com.amazonaws.ecs.capability.ecr-auth" },
];

const JOIN = "join-token-for-authority-tests";

interface Instance {
  arn: string;
  token: string;
}

async function call<T>(
  b: TestBerth,
  op: string,
  body: unknown,
  auth: Instance,
): Promise<{ status: number; body: T }> {
  const res = await fetch(new URL(`${AGENT_API_PREFIX}${op}`, b.url), {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${auth.token}`,
      "x-berth-instance": auth.arn,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function register(b: TestBerth, name: string): Promise<Instance> {
  const res = await fetch(new URL(`${AGENT_API_PREFIX}register`, b.url), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      joinToken: JOIN,
      region: b.region,
      cluster: "default",
      name,
      resources: { cpu: 4096, memoryMiB: 8192, reservedPorts: [], reservedUdpPorts: [] },
      // What the awslogs task definitions below require of an instance.
      attributes: AWSLOGS_CAPABILITIES,
      versionInfo: { agentVersion: "test", agentHash: "test", dockerVersion: "test" },
    }),
  });
  assert.equal(res.status, 200);
  const r = (await res.json()) as RegisterResponse;
  return { arn: r.containerInstanceArn, token: r.instanceToken };
}

const batch = (logGroupName: string, logStreamName: string, message: string): LogBatch => ({
  logGroupName,
  logStreamName,
  createGroup: true,
  events: [{ timestamp: Date.now(), message }],
});

describe("agent API: what an instance token allows", () => {
  let b: TestBerth;
  let clock: ManualClock;
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;
  let a: Instance;
  let other: Instance;
  let taskArn = "";
  let taskId = "";
  let otherTaskArn = "";
  let app: TinyImage;
  let rootAuth = "";

  before(async () => {
    clock = new ManualClock(Date.now());
    b = await startBerth({ joinToken: JOIN, clock });
    ecs = b.ecs();
    logs = new CloudWatchLogsClient({
      endpoint: b.url,
      region: b.region,
      credentials: b.credentials,
      maxAttempts: 1,
    });
    const client = ecr(b);
    const uris: Record<string, string> = {};
    for (const name of ["agent/app", "agent/other"]) {
      const r = await client.send(new CreateRepositoryCommand({ repositoryName: name }));
      uris[name] = r.repository!.repositoryUri!;
    }
    rootAuth = basic(await loginPassword(client));
    client.destroy();
    app = await pushTinyImage(b.url, `${b.region}/agent/app`, rootAuth, "v1");
    await pushTinyImage(b.url, `${b.region}/agent/other`, rootAuth, "v1");
    a = await register(b, "host-a");
    other = await register(b, "host-b");
    const awslogs = (group: string, prefix?: string) => ({
      logDriver: "awslogs" as const,
      options: {
        "awslogs-group": group,
        "awslogs-region": b.region,
        "awslogs-create-group": "true",
        ...(prefix ? { "awslogs-stream-prefix": prefix } : {}),
      },
    });
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "authority",
        containerDefinitions: [
          {
            name: "app",
            image: `${uris["agent/app"]}:v1`,
            memory: 16,
            logConfiguration: awslogs("/ecs/authority", "web"),
          },
          { name: "side", image: "busybox", memory: 16, logConfiguration: awslogs("/ecs/authority-side") },
        ],
      }),
    );
    const start = async (inst: Instance) => {
      const r = await ecs.send(
        new StartTaskCommand({
          taskDefinition: td.taskDefinition!.taskDefinitionArn!,
          containerInstances: [inst.arn],
        }),
      );
      assert.deepEqual(r.failures, []);
      return r.tasks![0]!.taskArn!;
    };
    taskArn = await start(a);
    taskId = taskArn.slice(taskArn.lastIndexOf("/") + 1);
    otherTaskArn = await start(other);
  });
  after(async () => {
    ecs?.destroy();
    logs?.destroy();
    await b?.close();
  });

  describe("registry-auth", () => {
    let auth = "";
    before(async () => {
      const r = await call<RegistryAuthResponse>(b, "registry-auth", { taskArn, region: b.region }, a);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.username, "AWS");
      auth = basic(r.body.password);
    });

    it("pulls the task's image: its manifest and its blobs", async () => {
      const m = await oci(b.url, `/v2/${b.region}/agent/app/manifests/v1`, {
        auth,
        headers: { accept: "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(m.status, 200, m.body.toString());
      assert.equal(m.body.toString(), app.manifest);
      const layer = app.layers[0]!;
      const digest = JSON.parse(app.manifest).layers[0].digest as string;
      const blob = await oci(b.url, `/v2/${b.region}/agent/app/blobs/${digest}`, { auth });
      assert.equal(blob.status, 200);
      assert.deepEqual(blob.body, layer);
      const head = await oci(b.url, `/v2/${b.region}/agent/app/blobs/${digest}`, { method: "HEAD", auth });
      assert.equal(head.status, 200);
    });

    it("cannot push, overwrite or delete, in the task's repository or any other", async () => {
      for (const repo of ["agent/app", "agent/other", "agent/new"]) {
        const upload = await oci(b.url, `/v2/${b.region}/${repo}/blobs/uploads/`, { method: "POST", auth });
        assert.equal(upload.status, 403, `${repo}: ${upload.body}`);
        assert.equal(upload.json<{ errors: { code: string }[] }>().errors[0]!.code, "DENIED");
      }
      const put = await oci(b.url, `/v2/${b.region}/agent/app/manifests/v1`, {
        method: "PUT",
        auth,
        body: app.manifest,
        headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(put.status, 403);
      const del = await oci(b.url, `/v2/${b.region}/agent/app/manifests/${app.digest}`, {
        method: "DELETE",
        auth,
      });
      assert.equal(del.status, 403);
      const tags = await oci(b.url, `/v2/${b.region}/agent/app/tags/list`, { auth });
      assert.equal(tags.status, 403, "listing is not pulling");
      // The image is untouched, and the root login still may push (the refusals are the token's).
      const still = await oci(b.url, `/v2/${b.region}/agent/app/manifests/v1`, { method: "HEAD", auth });
      assert.equal(still.status, 200);
      const rootUpload = await oci(b.url, `/v2/${b.region}/agent/app/blobs/uploads/`, {
        method: "POST",
        auth: rootAuth,
      });
      assert.equal(rootUpload.status, 202);
    });

    it("cannot pull a repository the task's images do not name", async () => {
      const m = await oci(b.url, `/v2/${b.region}/agent/other/manifests/v1`, { auth });
      assert.equal(m.status, 403, m.body.toString());
    });

    it("keeps its limits as a bearer token from /v2/token", async () => {
      const t = await oci(b.url, `/v2/token?scope=repository:${b.region}/agent/app:pull,push`, { auth });
      assert.equal(t.status, 200);
      const bearer = `Bearer ${t.json<{ token: string }>().token}`;
      const pull = await oci(b.url, `/v2/${b.region}/agent/app/manifests/v1`, {
        method: "HEAD",
        auth: bearer,
      });
      assert.equal(pull.status, 200);
      const push = await oci(b.url, `/v2/${b.region}/agent/app/blobs/uploads/`, {
        method: "POST",
        auth: bearer,
      });
      assert.equal(push.status, 403);
    });

    it("is refused for a registry no image of the task is in, and for another instance's task", async () => {
      const west = await call(b, "registry-auth", { taskArn, region: "us-west-2" }, a);
      assert.equal(west.status, 403);
      const theirs = await call(b, "registry-auth", { taskArn: otherTaskArn, region: b.region }, a);
      assert.equal(theirs.status, 404);
    });

    it("expires within minutes, not hours", async () => {
      clock.advance(PULL_TOKEN_TTL_MS + 1000);
      try {
        assert.ok(PULL_TOKEN_TTL_MS <= 60 * 60 * 1000);
        const m = await oci(b.url, `/v2/${b.region}/agent/app/manifests/v1`, { method: "HEAD", auth });
        assert.equal(m.status, 401);
      } finally {
        clock.advance(-(PULL_TOKEN_TTL_MS + 1000));
      }
    });
  });

  describe("logs", () => {
    const messages = async (group: string, stream: string) =>
      (
        await logs.send(
          new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }),
        )
      ).events!.map((e) => e.message);

    it("takes output for the log groups and streams of the instance's tasks", async () => {
      const ok = await call(
        b,
        "logs",
        {
          batches: [
            batch("/ecs/authority", `web/app/${taskId}`, "from app"),
            // No awslogs-stream-prefix: the stream is the container's runtime id.
            batch("/ecs/authority-side", "0123456789abcdef", "from side"),
          ],
        },
        a,
      );
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(await messages("/ecs/authority", `web/app/${taskId}`), ["from app"]);
      assert.deepEqual(await messages("/ecs/authority-side", "0123456789abcdef"), ["from side"]);
      const explicit = await call(
        b,
        "logs",
        { region: b.region, batches: [batch("/ecs/authority", `web/app/${taskId}`, "again")] },
        a,
      );
      assert.equal(explicit.status, 200);
    });

    it("refuses a log group no task on the instance names, and writes nothing of the request", async () => {
      const r = await call<{ message: string }>(
        b,
        "logs",
        {
          batches: [
            batch("/ecs/authority", `web/app/${taskId}`, "must not land"),
            batch("/ecs/someone-else", "stream", "intruder"),
          ],
        },
        a,
      );
      assert.equal(r.status, 403);
      assert.match(r.body.message, /someone-else/);
      assert.deepEqual(await messages("/ecs/authority", `web/app/${taskId}`), ["from app", "again"]);
      const { logGroups } = await logs.send(
        new DescribeLogGroupsCommand({ logGroupNamePrefix: "/ecs/someone-else" }),
      );
      assert.deepEqual(logGroups, [], "the group was not created");
    });

    it("refuses another task's stream, another region, and a group only another instance's task names", async () => {
      const refused = async (body: unknown, inst = a) => {
        const r = await call(b, "logs", body, inst);
        assert.equal(r.status, 403, JSON.stringify(body));
      };
      await refused({ batches: [batch("/ecs/authority", "web/app/not-my-task", "x")] });
      await refused({ batches: [batch("/ecs/authority", `web/side/${taskId}`, "x")] });
      await refused({ region: "us-west-2", batches: [batch("/ecs/authority", `web/app/${taskId}`, "x")] });
      const otherId = otherTaskArn.slice(otherTaskArn.lastIndexOf("/") + 1);
      await refused({ batches: [batch("/ecs/authority", `web/app/${otherId}`, "x")] });
      // The other instance may write its own task's stream.
      const theirs = await call(
        b,
        "logs",
        { batches: [batch("/ecs/authority", `web/app/${otherId}`, "b")] },
        other,
      );
      assert.equal(theirs.status, 200);
    });
  });

  describe("a deregistered instance", () => {
    it("still polls and reports, but gets no credentials, registry login or log writes", async () => {
      // Run last in this file: it deregisters `other`.
      await ecs.send(new DeregisterContainerInstanceCommand({ containerInstance: other.arn, force: true }));
      const poll = await call<PollResponse>(b, "poll", { waitMs: 0 }, other);
      assert.equal(poll.status, 200);
      assert.equal(poll.body.instanceStatus, "INACTIVE");
      assert.deepEqual(
        poll.body.tasks.map((t) => [t.taskArn, t.desiredStatus]),
        [[otherTaskArn, "STOPPED"]],
      );
      const report = await call<{ accepted: number }>(
        b,
        "report",
        { tasks: [{ taskArn: otherTaskArn, lastStatus: "STOPPED", containers: [] }] },
        other,
      );
      assert.equal(report.status, 200, JSON.stringify(report.body));
      assert.equal(report.body.accepted, 1);
      const otherId = otherTaskArn.slice(otherTaskArn.lastIndexOf("/") + 1);
      for (const [op, body] of [
        ["registry-auth", { taskArn: otherTaskArn, region: b.region }],
        ["credentials", { taskArn: otherTaskArn, role: "task" }],
        ["logs", { batches: [batch("/ecs/authority", `web/app/${otherId}`, "late")] }],
      ] as const) {
        const r = await call<{ message: string }>(b, op, body, other);
        assert.equal(r.status, 403, `${op}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.message, /deregistered/);
      }
    });
  });
});
