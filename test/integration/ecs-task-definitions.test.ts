/**
 * ECS task definitions over the wire, against an in-process Berth, with @aws-sdk/client-ecs and the
 * AWS CLI v2. Expected behaviour is docs/research/ecs-taskdef.md and docs/research/ecs-clusters.md.
 *
 * State is per region, so the list tests each work in a region of their own and see only what
 * they registered; one server serves the whole file.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListTagsForResourceCommand,
  ListTaskDefinitionFamiliesCommand,
  type ListTaskDefinitionFamiliesRequest,
  ListTaskDefinitionsCommand,
  type ListTaskDefinitionsRequest,
  paginateListTaskDefinitions,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionRequest,
  RunTaskCommand,
  type Tag,
  TagResourceCommand,
  type TaskDefinition,
  UntagResourceCommand,
} from "@aws-sdk/client-ecs";
import { runAws, startBerth, type TestBerth } from "../helpers/berth.js";

const ACCOUNT = "000000000000";
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const tdArn = (family: string, revision: number, region = "us-east-1") =>
  `arn:aws:ecs:${region}:${ACCOUNT}:task-definition/${family}:${revision}`;

const INVALID_ID =
  "The specified task definition identifier is invalid. Specify a valid name or ARN and try again.";
const STILL_ACTIVE =
  "The specified task definition is still in ACTIVE status. Please deregister the target and try again.";
const NOT_EXIST =
  "The specified task definition does not exist. Specify a valid account, family, revision and try again.";

/** A response without the SDK's $metadata: exactly what the server sent. */
function body<T extends { $metadata?: unknown }>(res: T): Omit<T, "$metadata"> {
  const { $metadata: _metadata, ...rest } = res;
  return rest;
}

async function rejectsWith(p: Promise<unknown>, name: string, message?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof Error, `expected an Error, got ${String(err)}`);
    if (message === undefined) assert.equal(err.name, name);
    else assert.deepEqual({ name: err.name, message: err.message }, { name, message });
    return true;
  });
}

const minimal = (
  family: string,
  extra: Partial<RegisterTaskDefinitionRequest> = {},
): RegisterTaskDefinitionRequest => ({
  family,
  containerDefinitions: [{ name: "app", image: "nginx:1.27", memory: 128 }],
  ...extra,
});

let t: TestBerth;
const clients: ECSClient[] = [];
/** An ECS client for a region (us-east-1 unless told). */
function ecsIn(region?: string): ECSClient {
  const c = t.ecs(region ? { region } : {});
  clients.push(c);
  return c;
}

before(async () => {
  t = await startBerth();
});
after(async () => {
  for (const c of clients) c.destroy();
  await t.close();
});

async function register(ecs: ECSClient, req: RegisterTaskDefinitionRequest): Promise<TaskDefinition> {
  const res = await ecs.send(new RegisterTaskDefinitionCommand(req));
  return res.taskDefinition!;
}

async function listArns(ecs: ECSClient, req: ListTaskDefinitionsRequest = {}): Promise<string[]> {
  const res = await ecs.send(new ListTaskDefinitionsCommand(req));
  assert.equal(res.nextToken, undefined, "expected a single page");
  return res.taskDefinitionArns ?? [];
}

async function listFamilies(ecs: ECSClient, req: ListTaskDefinitionFamiliesRequest = {}): Promise<string[]> {
  const res = await ecs.send(new ListTaskDefinitionFamiliesCommand(req));
  assert.equal(res.nextToken, undefined, "expected a single page");
  return res.families ?? [];
}

describe("RegisterTaskDefinition and DescribeTaskDefinition", () => {
  let ecs: ECSClient;
  before(() => {
    ecs = ecsIn();
  });

  it("registers revision 1 and describes it by family, family:revision and ARN", async () => {
    const res = await ecs.send(new RegisterTaskDefinitionCommand(minimal("web")));
    assert.equal("tags" in res, false, "no tags were sent, so none are returned");
    const td = res.taskDefinition!;
    assert.equal(td.taskDefinitionArn, tdArn("web", 1));
    assert.equal(td.revision, 1);
    assert.equal(td.status, "ACTIVE");
    for (const ref of ["web", "web:1", tdArn("web", 1)]) {
      const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
      assert.deepEqual(body(d), { taskDefinition: td }, ref);
    }
  });

  it("returns tags only when asked to include them", async () => {
    const tags = [
      { key: "team", value: "web" },
      { key: "cost-center", value: "" },
    ];
    const res = await ecs.send(new RegisterTaskDefinitionCommand(minimal("tagged-web", { tags })));
    assert.deepEqual(res.tags, tags);
    const plain = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "tagged-web" }));
    assert.equal("tags" in plain, false);
    const withTags = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: "tagged-web:1", include: ["TAGS"] }),
    );
    assert.deepEqual(withTags.tags, tags);
    const untagged = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: "web", include: ["TAGS"] }),
    );
    assert.deepEqual(untagged.tags, []);
  });

  it("answers a missing task definition with ECS's errors", async () => {
    const describe = (taskDefinition: string) =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
    await rejectsWith(describe("never-registered"), "ClientException", "Unable to describe task definition.");
    await rejectsWith(describe("web:7"), "ClientException", "Unable to describe task definition.");
    await rejectsWith(describe(tdArn("web", 7)), "ClientException", "Unable to describe task definition.");
    await rejectsWith(
      describe("web:abc"),
      "InvalidParameterException",
      "Invalid revision number. Number: abc",
    );
    await rejectsWith(
      ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: "web", include: ["TAGS", "SETTINGS" as never] }),
      ),
      "InvalidParameterException",
      "include should be one of [TAGS]",
    );
  });

  it("rejects invalid definitions with ECS's error and wording", async () => {
    await rejectsWith(
      ecs.send(new RegisterTaskDefinitionCommand(minimal(""))),
      "ClientException",
      "Family can not be blank.",
    );
    await rejectsWith(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          containerDefinitions: minimal("x").containerDefinitions,
        } as never),
      ),
      "InvalidParameterException",
      "Family should not be null or empty.",
    );
    await rejectsWith(
      ecs.send(
        new RegisterTaskDefinitionCommand(
          minimal("fargate-bridge", { requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" }),
        ),
      ),
      "ClientException",
      "Fargate only supports network mode \u2018awsvpc\u2019.",
    );
    await rejectsWith(
      ecs.send(
        new RegisterTaskDefinitionCommand(
          minimal("fargate-size", {
            requiresCompatibilities: ["FARGATE"],
            networkMode: "awsvpc",
            cpu: "1 vCPU",
            memory: "1 GB",
          }),
        ),
      ),
      "ClientException",
      "No Fargate configuration exists for given values: 1024 CPU, 1024 memory. See the Amazon ECS documentation for the valid values.",
    );
    await rejectsWith(
      ecs.send(
        new RegisterTaskDefinitionCommand(minimal("bad-tags", { tags: [{ key: "aws:owner", value: "x" }] })),
      ),
      "InvalidParameterException",
    );
    // Nothing was registered by the failed calls.
    await rejectsWith(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "fargate-size" })),
      "ClientException",
      "Unable to describe task definition.",
    );
  });

  it("refuses, for FARGATE, the host-level features Fargate does not support, and RunTask/CreateService refuse FARGATE for a definition not registered for it", async () => {
    const fargate = (
      family: string,
      container: ContainerDefinition,
      volumes: RegisterTaskDefinitionRequest["volumes"] = [],
    ) =>
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          requiresCompatibilities: ["FARGATE"],
          networkMode: "awsvpc",
          cpu: "256",
          memory: "512",
          containerDefinitions: [{ name: "app", image: "nginx:1.27", ...container }],
          volumes,
        }),
      );
    const notSupported = (parameter: string) =>
      `Fargate compatible task definitions do not support ${parameter}`;
    const cases: [string, ContainerDefinition, RegisterTaskDefinitionRequest["volumes"], string][] = [
      [
        "fg-docker-volume",
        {},
        [{ name: "v", dockerVolumeConfiguration: { driver: "local" } }],
        notSupported("dockerVolumeConfiguration"),
      ],
      [
        "fg-cap-add",
        { linuxParameters: { capabilities: { add: ["SYS_ADMIN"] } } },
        [],
        "Fargate compatible task definitions only support adding the SYS_PTRACE Linux capability; container 'app' adds SYS_ADMIN.",
      ],
      [
        "fg-devices",
        { linuxParameters: { devices: [{ hostPath: "/dev/kmsg" }] } },
        [],
        notSupported("devices"),
      ],
      [
        "fg-security-options",
        { dockerSecurityOptions: ["apparmor:unconfined"] },
        [],
        notSupported("dockerSecurityOptions"),
      ],
      [
        "fg-extra-hosts",
        { extraHosts: [{ hostname: "db", ipAddress: "10.0.0.9" }] },
        [],
        notSupported("extraHosts"),
      ],
      ["fg-max-swap", { linuxParameters: { maxSwap: 1024, swappiness: 10 } }, [], notSupported("maxSwap")],
    ];
    for (const [family, container, volumes, message] of cases) {
      await rejectsWith(fargate(family, container, volumes), "ClientException", message);
      // Nothing was registered.
      await rejectsWith(
        ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family })),
        "ClientException",
        "Unable to describe task definition.",
      );
    }
    // What Fargate allows still registers.
    const ok = await fargate("fg-ptrace", {
      linuxParameters: { capabilities: { add: ["SYS_PTRACE"], drop: ["ALL"] } },
    });
    assert.deepEqual(ok.taskDefinition!.compatibilities, ["EC2", "FARGATE"]);

    // The same features on an EC2 definition register, but it cannot be launched on Fargate.
    const ec2 = await register(ecs, {
      family: "host-level",
      containerDefinitions: [
        {
          name: "app",
          image: "nginx:1.27",
          memory: 128,
          privileged: true,
          linuxParameters: { capabilities: { add: ["SYS_ADMIN"] }, devices: [{ hostPath: "/dev/kmsg" }] },
        },
      ],
      volumes: [{ name: "v", dockerVolumeConfiguration: { driver: "local" } }],
    });
    assert.deepEqual(ec2.compatibilities, ["EC2"]);
    await ecs.send(new CreateClusterCommand({ clusterName: "fg-refusals" }));
    const refused = "Task definition does not support launch_type FARGATE.";
    await rejectsWith(
      ecs.send(
        new RunTaskCommand({ cluster: "fg-refusals", taskDefinition: "host-level", launchType: "FARGATE" }),
      ),
      "InvalidParameterException",
      refused,
    );
    await rejectsWith(
      ecs.send(
        new CreateServiceCommand({
          cluster: "fg-refusals",
          serviceName: "host-level",
          taskDefinition: "host-level",
          launchType: "FARGATE",
          desiredCount: 1,
        }),
      ),
      "InvalidParameterException",
      refused,
    );
  });

  it("normalises task cpu and memory and fills hostPort for awsvpc", async () => {
    const td = await register(ecs, {
      family: "fargate-game",
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "0.25 vCPU",
      memory: "0.5 GB",
      containerDefinitions: [
        { name: "game", image: "spkane/quantum-game", portMappings: [{ containerPort: 8080 }] },
      ],
    });
    assert.equal(td.cpu, "256");
    assert.equal(td.memory, "512");
    assert.equal(td.networkMode, "awsvpc");
    assert.deepEqual(td.compatibilities, ["EC2", "FARGATE"]);
    assert.deepEqual(td.requiresCompatibilities, ["FARGATE"]);
    assert.deepEqual(td.containerDefinitions![0]!.portMappings, [
      { containerPort: 8080, hostPort: 8080, protocol: "tcp" },
    ]);
    assert.deepEqual(td.requiresAttributes!.map((a) => a.name).sort(), [
      "com.amazonaws.ecs.capability.docker-remote-api.1.18",
      "ecs.capability.task-eni",
    ]);
  });
});

describe("revision numbers", () => {
  it("increase per family and keep increasing after deregister and delete", async () => {
    const ecs = ecsIn();
    const revisions: number[] = [];
    for (let i = 0; i < 3; i++) revisions.push((await register(ecs, minimal("rev"))).revision!);
    revisions.push((await register(ecs, minimal("rev-other"))).revision!);
    assert.deepEqual(revisions, [1, 2, 3, 1]);

    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "rev:3" }));
    assert.equal((await register(ecs, minimal("rev"))).revision, 4);

    for (const r of [1, 2, 4])
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `rev:${r}` }));
    const del = await ecs.send(
      new DeleteTaskDefinitionsCommand({ taskDefinitions: ["rev:1", "rev:2", "rev:3", "rev:4"] }),
    );
    assert.deepEqual(del.failures, []);
    const again = await register(ecs, minimal("rev"));
    assert.equal(again.revision, 5);
    assert.equal(again.taskDefinitionArn, tdArn("rev", 5));
  });

  it("are unique and contiguous when a family is registered concurrently", async () => {
    const ecs = ecsIn();
    const all = await Promise.all(Array.from({ length: 20 }, () => register(ecs, minimal("rev-burst"))));
    assert.deepEqual(
      all.map((td) => td.revision).sort((a, b) => a! - b!),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "rev-burst" }));
    assert.equal(latest.taskDefinition!.revision, 20);
  });
});

describe("ListTaskDefinitions", () => {
  let ecs: ECSClient;
  const region = "us-west-2";
  const arn = (family: string, revision: number) => tdArn(family, revision, region);

  before(async () => {
    ecs = ecsIn(region);
    // Registered out of order so that listing order cannot be insertion order.
    for (const family of ["web-api", "web", "worker", "web", "web-api", "web"]) {
      await register(ecs, minimal(family));
    }
  });

  it("lists ACTIVE revisions ascending by family then revision by default", async () => {
    assert.deepEqual(await listArns(ecs), [
      arn("web", 1),
      arn("web", 2),
      arn("web", 3),
      arn("web-api", 1),
      arn("web-api", 2),
      arn("worker", 1),
    ]);
    assert.deepEqual(await listArns(ecs, { sort: "ASC" }), await listArns(ecs));
  });

  it("reverses both orders with sort DESC", async () => {
    assert.deepEqual(await listArns(ecs, { sort: "DESC" }), [
      arn("worker", 1),
      arn("web-api", 2),
      arn("web-api", 1),
      arn("web", 3),
      arn("web", 2),
      arn("web", 1),
    ]);
  });

  it("treats familyPrefix as an exact family name", async () => {
    assert.deepEqual(await listArns(ecs, { familyPrefix: "web" }), [
      arn("web", 1),
      arn("web", 2),
      arn("web", 3),
    ]);
    assert.deepEqual(await listArns(ecs, { familyPrefix: "web", sort: "DESC" }), [
      arn("web", 3),
      arn("web", 2),
      arn("web", 1),
    ]);
    assert.deepEqual(await listArns(ecs, { familyPrefix: "web-api" }), [
      arn("web-api", 1),
      arn("web-api", 2),
    ]);
    assert.deepEqual(await listArns(ecs, { familyPrefix: "we" }), []);
    assert.deepEqual(await listArns(ecs, { familyPrefix: "nobody" }), []);
  });

  it("filters by status", async () => {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "web:2" }));
    assert.deepEqual(await listArns(ecs, { familyPrefix: "web" }), [arn("web", 1), arn("web", 3)]);
    assert.deepEqual(await listArns(ecs, { status: "INACTIVE" }), [arn("web", 2)]);
    assert.deepEqual(await listArns(ecs, { status: "DELETE_IN_PROGRESS" }), []);

    await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["web:2"] }));
    assert.deepEqual(await listArns(ecs, { status: "INACTIVE" }), []);
    assert.deepEqual(await listArns(ecs, { status: "DELETE_IN_PROGRESS", familyPrefix: "web" }), [
      arn("web", 2),
    ]);
    assert.equal((await listArns(ecs)).length, 5);
  });

  it("rejects an unknown status or sort", async () => {
    await rejectsWith(
      ecs.send(new ListTaskDefinitionsCommand({ status: "ALL" as never })),
      "InvalidParameterException",
      "status should be one of [ACTIVE,INACTIVE,DELETE_IN_PROGRESS]",
    );
    await rejectsWith(
      ecs.send(new ListTaskDefinitionsCommand({ sort: "UP" as never })),
      "InvalidParameterException",
      "sort should be one of [ASC,DESC]",
    );
  });
});

describe("ListTaskDefinitions pagination", () => {
  let ecs: ECSClient;
  const region = "eu-central-1";
  const arn = (family: string, revision: number) => tdArn(family, revision, region);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  before(async () => {
    ecs = ecsIn(region);
    await register(ecs, minimal("other"));
    for (let i = 0; i < 25; i++) await register(ecs, minimal("paged"));
    await register(ecs, minimal("other"));
    await register(ecs, minimal("zeta"));
  });

  /** Every page of a listing, following nextToken. */
  async function pages(req: ListTaskDefinitionsRequest): Promise<string[][]> {
    const out: string[][] = [];
    let nextToken: string | undefined;
    do {
      const res = await ecs.send(
        new ListTaskDefinitionsCommand({ ...req, ...(nextToken ? { nextToken } : {}) }),
      );
      out.push(res.taskDefinitionArns ?? []);
      nextToken = res.nextToken;
      assert.ok(out.length <= 30, "pagination does not end");
    } while (nextToken);
    return out;
  }

  it("pages through 25 revisions with maxResults 10, without duplicates or omissions", async () => {
    const got = await pages({ familyPrefix: "paged", maxResults: 10 });
    assert.deepEqual(
      got.map((p) => p.length),
      [10, 10, 5],
    );
    assert.deepEqual(
      got.flat(),
      range(1, 25).map((r) => arn("paged", r)),
    );
  });

  it("pages in DESC order", async () => {
    const got = await pages({ familyPrefix: "paged", maxResults: 10, sort: "DESC" });
    assert.deepEqual(
      got.flat(),
      range(1, 25)
        .reverse()
        .map((r) => arn("paged", r)),
    );
  });

  it("pages across families, ending without an empty page when the last page is full", async () => {
    const all = [
      arn("other", 1),
      arn("other", 2),
      ...range(1, 25).map((r) => arn("paged", r)),
      arn("zeta", 1),
    ];
    const got = await pages({ maxResults: 7 });
    assert.deepEqual(
      got.map((p) => p.length),
      [7, 7, 7, 7],
    );
    assert.deepEqual(got.flat(), all);
    assert.deepEqual((await pages({ maxResults: 100 })).flat(), all);
    assert.deepEqual((await pages({})).flat(), all);
    assert.deepEqual((await pages({ sort: "DESC", maxResults: 3 })).flat(), [...all].reverse());
  });

  it("works with the SDK paginator", async () => {
    const seen: string[] = [];
    for await (const page of paginateListTaskDefinitions(
      { client: ecs, pageSize: 4 },
      { familyPrefix: "paged", sort: "DESC" },
    )) {
      assert.ok((page.taskDefinitionArns ?? []).length <= 4);
      seen.push(...(page.taskDefinitionArns ?? []));
    }
    assert.deepEqual(
      seen,
      range(1, 25)
        .reverse()
        .map((r) => arn("paged", r)),
    );
  });

  it("refuses a bad maxResults or nextToken", async () => {
    for (const maxResults of [0, -1, 101]) {
      await rejectsWith(
        ecs.send(new ListTaskDefinitionsCommand({ maxResults })),
        "InvalidParameterException",
        "maxResults must be between 1 and 100.",
      );
    }
    await rejectsWith(
      ecs.send(new ListTaskDefinitionsCommand({ nextToken: "not-a-token" })),
      "InvalidParameterException",
      "Invalid token: the nextToken is not valid.",
    );
    const families = await ecs.send(new ListTaskDefinitionFamiliesCommand({ maxResults: 1 }));
    assert.ok(families.nextToken);
    await rejectsWith(
      ecs.send(new ListTaskDefinitionsCommand({ nextToken: families.nextToken })),
      "InvalidParameterException",
      "Invalid token: the nextToken is not valid.",
    );
  });

  it("skips revisions of another status across page boundaries", async () => {
    for (const r of [5, 10, 15, 20, 25]) {
      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `paged:${r}` }));
    }
    const active = await pages({ familyPrefix: "paged", maxResults: 10 });
    assert.deepEqual(
      active.map((p) => p.length),
      [10, 10],
    );
    assert.deepEqual(
      active.flat(),
      range(1, 25)
        .filter((r) => r % 5 !== 0)
        .map((r) => arn("paged", r)),
    );
    const inactive = await pages({ familyPrefix: "paged", status: "INACTIVE", maxResults: 2 });
    assert.deepEqual(inactive, [
      [arn("paged", 5), arn("paged", 10)],
      [arn("paged", 15), arn("paged", 20)],
      [arn("paged", 25)],
    ]);
  });
});

describe("ListTaskDefinitionFamilies", () => {
  let ecs: ECSClient;
  before(async () => {
    ecs = ecsIn("ap-southeast-2");
    for (const family of ["delta", "alpha", "alpha-beta", "alphabet", "gamma", "alpha"]) {
      await register(ecs, minimal(family));
    }
    // alpha keeps one ACTIVE revision; alpha-beta has only an INACTIVE one; gamma's is being deleted.
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "alpha:1" }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "alpha-beta:1" }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "gamma:1" }));
    await ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ["gamma:1"] }));
  });

  it("lists ACTIVE and INACTIVE families, sorted, by default and with ALL", async () => {
    const all = ["alpha", "alpha-beta", "alphabet", "delta", "gamma"];
    assert.deepEqual(await listFamilies(ecs), all);
    assert.deepEqual(await listFamilies(ecs, { status: "ALL" }), all);
  });

  it("filters ACTIVE (some revision ACTIVE) and INACTIVE (none ACTIVE)", async () => {
    assert.deepEqual(await listFamilies(ecs, { status: "ACTIVE" }), ["alpha", "alphabet", "delta"]);
    assert.deepEqual(await listFamilies(ecs, { status: "INACTIVE" }), ["alpha-beta", "gamma"]);
  });

  it("matches familyPrefix as a real prefix", async () => {
    assert.deepEqual(await listFamilies(ecs, { familyPrefix: "alpha" }), ["alpha", "alpha-beta", "alphabet"]);
    assert.deepEqual(await listFamilies(ecs, { familyPrefix: "alp", status: "ACTIVE" }), [
      "alpha",
      "alphabet",
    ]);
    assert.deepEqual(await listFamilies(ecs, { familyPrefix: "alpha-", status: "INACTIVE" }), ["alpha-beta"]);
    assert.deepEqual(await listFamilies(ecs, { familyPrefix: "zzz" }), []);
  });

  /** Every page of a listing, following nextToken. */
  async function familyPages(req: ListTaskDefinitionFamiliesRequest): Promise<string[][]> {
    const out: string[][] = [];
    let nextToken: string | undefined;
    do {
      const res = await ecs.send(
        new ListTaskDefinitionFamiliesCommand({ ...req, ...(nextToken ? { nextToken } : {}) }),
      );
      out.push(res.families ?? []);
      nextToken = res.nextToken;
      assert.ok(out.length <= 10, "pagination does not end");
    } while (nextToken);
    return out;
  }

  it("paginates", async () => {
    assert.deepEqual(await familyPages({ maxResults: 2 }), [
      ["alpha", "alpha-beta"],
      ["alphabet", "delta"],
      ["gamma"],
    ]);
    assert.deepEqual(await familyPages({ status: "ACTIVE", maxResults: 1 }), [
      ["alpha"],
      ["alphabet"],
      ["delta"],
    ]);
    assert.deepEqual(await familyPages({ status: "INACTIVE", familyPrefix: "alpha", maxResults: 1 }), [
      ["alpha-beta"],
    ]);
  });

  it("follows a family from ACTIVE to INACTIVE and back", async () => {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "delta:1" }));
    assert.deepEqual(await listFamilies(ecs, { status: "INACTIVE" }), ["alpha-beta", "delta", "gamma"]);
    await register(ecs, minimal("delta"));
    assert.deepEqual(await listFamilies(ecs, { status: "INACTIVE" }), ["alpha-beta", "gamma"]);
    assert.deepEqual(await listFamilies(ecs, { status: "ACTIVE" }), ["alpha", "alphabet", "delta"]);
  });

  it("rejects a bad status, maxResults or nextToken", async () => {
    await rejectsWith(
      ecs.send(new ListTaskDefinitionFamiliesCommand({ status: "DELETE_IN_PROGRESS" as never })),
      "InvalidParameterException",
      "status should be one of [ACTIVE,INACTIVE,ALL]",
    );
    await rejectsWith(
      ecs.send(new ListTaskDefinitionFamiliesCommand({ maxResults: 101 })),
      "InvalidParameterException",
      "maxResults must be between 1 and 100.",
    );
    await rejectsWith(
      ecs.send(new ListTaskDefinitionFamiliesCommand({ nextToken: "bm90IGEgdG9rZW4" })),
      "InvalidParameterException",
      "Invalid token: the nextToken is not valid.",
    );
  });
});

describe("DeregisterTaskDefinition", () => {
  let ecs: ECSClient;
  let first: TaskDefinition;
  let second: TaskDefinition;
  before(async () => {
    ecs = ecsIn();
    first = await register(ecs, minimal("dereg"));
    second = await register(ecs, minimal("dereg", { tags: [{ key: "k", value: "v" }] }));
  });

  it("needs a revision", async () => {
    const dereg = (taskDefinition: string) =>
      ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition }));
    await rejectsWith(dereg("dereg"), "ClientException", "Revision is missing.");
    await rejectsWith(
      dereg(`arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/dereg`),
      "ClientException",
      "Revision is missing.",
    );
    await rejectsWith(
      dereg("dereg:abc"),
      "InvalidParameterException",
      "Invalid revision number. Number: abc",
    );
    await rejectsWith(dereg("dereg:9"), "ClientException", "Unable to describe task definition.");
    await rejectsWith(dereg("no-such-family:1"), "ClientException", "Unable to describe task definition.");
  });

  it("makes the revision INACTIVE with deregisteredAt, changing nothing else", async () => {
    const before = Date.now();
    const res = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: tdArn("dereg", 2) }));
    const afterCall = Date.now();
    const { status, deregisteredAt, ...rest } = res.taskDefinition!;
    assert.equal(status, "INACTIVE");
    assert.ok(deregisteredAt instanceof Date);
    assert.ok(deregisteredAt.getTime() >= before - 1 && deregisteredAt.getTime() <= afterCall + 1);
    const { status: _status, ...registered } = second;
    assert.deepEqual(rest, registered);
    assert.deepEqual(Object.keys(body(res)), ["taskDefinition"]);
  });

  it("is idempotent", async () => {
    const a = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "dereg:2" }));
    const b = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "dereg:2" }));
    assert.equal(b.taskDefinition!.status, "INACTIVE");
    assert.deepEqual(b.taskDefinition, a.taskDefinition);
  });

  it("leaves the revision describable by revision but not as the family's latest", async () => {
    const byRev = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: "dereg:2", include: ["TAGS"] }),
    );
    assert.equal(byRev.taskDefinition!.status, "INACTIVE");
    assert.deepEqual(byRev.tags, [{ key: "k", value: "v" }]);
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "dereg" }));
    assert.deepEqual(latest.taskDefinition, first);

    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "dereg:1" }));
    await rejectsWith(
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "dereg" })),
      "ClientException",
      "Unable to describe task definition.",
    );
  });
});

describe("DeleteTaskDefinitions", () => {
  let ecs: ECSClient;
  before(async () => {
    ecs = ecsIn();
    for (let i = 0; i < 3; i++) await register(ecs, minimal("del"));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "del:1" }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "del:2" }));
  });

  it("deletes INACTIVE revisions and reports the others as failures with ECS's reasons", async () => {
    const inactive = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "del:1" })))
      .taskDefinition!;
    const before = Date.now();
    const res = await ecs.send(
      new DeleteTaskDefinitionsCommand({
        taskDefinitions: ["del:1", tdArn("del", 2), "del:3", "del", "del:99", "never-registered:1"],
      }),
    );
    const afterCall = Date.now();
    assert.deepEqual(Object.keys(body(res)).sort(), ["failures", "taskDefinitions"]);
    assert.deepEqual(res.failures, [
      { arn: "del:3", reason: STILL_ACTIVE },
      { arn: "del", reason: INVALID_ID },
      { arn: "del:99", reason: NOT_EXIST },
      { arn: "never-registered:1", reason: NOT_EXIST },
    ]);
    const deleted = res.taskDefinitions!;
    assert.deepEqual(
      deleted.map((td) => [td.taskDefinitionArn, td.status]),
      [
        [tdArn("del", 1), "DELETE_IN_PROGRESS"],
        [tdArn("del", 2), "DELETE_IN_PROGRESS"],
      ],
    );
    for (const td of deleted) {
      assert.ok(td.deleteRequestedAt instanceof Date);
      assert.ok(
        td.deleteRequestedAt.getTime() >= before - 1 && td.deleteRequestedAt.getTime() <= afterCall + 1,
      );
      assert.ok(td.deregisteredAt instanceof Date, "deregisteredAt is kept");
    }
    const { status: _s, deleteRequestedAt: _d, ...rest } = deleted[0]!;
    const { status: _s2, ...was } = inactive;
    assert.deepEqual(rest, was);
  });

  it("keeps DELETE_IN_PROGRESS revisions visible by revision and in their own listing", async () => {
    const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "del:1" }));
    assert.equal(d.taskDefinition!.status, "DELETE_IN_PROGRESS");
    const list = await ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: "del", status: "DELETE_IN_PROGRESS" }),
    );
    assert.deepEqual(list.taskDefinitionArns, [tdArn("del", 1), tdArn("del", 2)]);
    const active = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "del" }));
    assert.deepEqual(active.taskDefinitionArns, [tdArn("del", 3)]);
  });

  it("refuses more than 10 references, or none", async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `del:${i + 1}`);
    await rejectsWith(
      ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: eleven })),
      "InvalidParameterException",
      "Size of TaskDefinition references list cannot exceed 10",
    );
    await rejectsWith(
      ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [] })),
      "InvalidParameterException",
      "size of TaskDefinition references list must be greater than 0",
    );
    // Nothing changed: del:3 is still ACTIVE.
    const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "del:3" }));
    assert.equal(d.taskDefinition!.status, "ACTIVE");
  });

  it("does not reuse revision numbers of deleted revisions", async () => {
    assert.equal((await register(ecs, minimal("del"))).revision, 4);
  });
});

describe("tagging a task definition", () => {
  let ecs: ECSClient;
  const arn = tdArn("tag-me", 1);
  const byKey = (tags: Tag[] | undefined) => [...(tags ?? [])].sort((a, b) => a.key!.localeCompare(b.key!));
  const tagsOf = async (resourceArn: string) =>
    byKey((await ecs.send(new ListTagsForResourceCommand({ resourceArn }))).tags);

  before(async () => {
    ecs = ecsIn();
    await register(ecs, minimal("tag-me", { tags: [{ key: "team", value: "a" }] }));
    await register(ecs, minimal("tag-me"));
  });

  it("adds and overwrites tags with TagResource", async () => {
    const res = await ecs.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: [
          { key: "team", value: "b" },
          { key: "env", value: "prod" },
        ],
      }),
    );
    assert.deepEqual(body(res), {});
    assert.deepEqual(await tagsOf(arn), [
      { key: "env", value: "prod" },
      { key: "team", value: "b" },
    ]);
  });

  it("removes tags with UntagResource, ignoring keys that are not there", async () => {
    const res = await ecs.send(
      new UntagResourceCommand({ resourceArn: arn, tagKeys: ["team", "not-there"] }),
    );
    assert.deepEqual(body(res), {});
    assert.deepEqual(await tagsOf(arn), [{ key: "env", value: "prod" }]);
    const d = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: "tag-me:1", include: ["TAGS"] }),
    );
    assert.deepEqual(d.tags, [{ key: "env", value: "prod" }]);
  });

  it("keeps each revision's tags apart", async () => {
    assert.deepEqual(await tagsOf(tdArn("tag-me", 2)), []);
  });

  it("answers for revisions that do not exist and refuses reserved keys", async () => {
    await rejectsWith(
      ecs.send(new ListTagsForResourceCommand({ resourceArn: tdArn("tag-me", 9) })),
      "ResourceNotFoundException",
    );
    await rejectsWith(
      ecs.send(new TagResourceCommand({ resourceArn: tdArn("nope", 1), tags: [{ key: "a", value: "b" }] })),
      "ResourceNotFoundException",
    );
    await rejectsWith(
      ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key: "aws:x", value: "b" }] })),
      "InvalidParameterException",
    );
    assert.deepEqual(await tagsOf(arn), [{ key: "env", value: "prod" }]);
  });
});

describe("regions", () => {
  it("keeps a region's task definitions invisible from another region", async () => {
    const east = ecsIn();
    const west = ecsIn("eu-west-1");
    const td = await register(east, minimal("iso", { tags: [{ key: "k", value: "v" }] }));
    assert.equal(td.taskDefinitionArn, tdArn("iso", 1));

    for (const ref of ["iso", "iso:1", tdArn("iso", 1)]) {
      await rejectsWith(
        west.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref })),
        "ClientException",
        "Unable to describe task definition.",
      );
    }
    assert.deepEqual((await west.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns, []);
    assert.deepEqual(
      (await west.send(new ListTaskDefinitionsCommand({ familyPrefix: "iso" }))).taskDefinitionArns,
      [],
    );
    assert.deepEqual((await west.send(new ListTaskDefinitionFamiliesCommand({}))).families, []);
    await rejectsWith(
      west.send(new DeregisterTaskDefinitionCommand({ taskDefinition: tdArn("iso", 1) })),
      "ClientException",
      "Unable to describe task definition.",
    );
    await rejectsWith(
      west.send(new ListTagsForResourceCommand({ resourceArn: tdArn("iso", 1) })),
      "ResourceNotFoundException",
    );
    const del = await west.send(
      new DeleteTaskDefinitionsCommand({ taskDefinitions: ["iso:1", tdArn("iso", 1)] }),
    );
    assert.deepEqual(del.failures, [
      { arn: "iso:1", reason: NOT_EXIST },
      { arn: tdArn("iso", 1), reason: NOT_EXIST },
    ]);

    // The same family name starts at revision 1 in the other region, and does not advance this one.
    const westTd = await register(west, minimal("iso"));
    assert.equal(westTd.taskDefinitionArn, tdArn("iso", 1, "eu-west-1"));
    assert.equal((await register(east, minimal("iso"))).revision, 2);
    const still = await east.send(new DescribeTaskDefinitionCommand({ taskDefinition: "iso:1" }));
    assert.equal(still.taskDefinition!.status, "ACTIVE");
  });
});

// ------------------------------------------------------------------------------------------------
// A large, realistic task definition: what goes in, and exactly what AWS gives back.

const ECR = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const TASK_ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-task`;
const EXEC_ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-execution`;
const DB_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:shop/db-Xy98Zw`;
const awslogs = (prefix: string, extra: Record<string, string> = {}) => ({
  logDriver: "awslogs" as const,
  options: {
    "awslogs-group": "/ecs/shop",
    "awslogs-region": "us-east-1",
    "awslogs-stream-prefix": prefix,
    ...extra,
  },
});

const web: ContainerDefinition = {
  name: "web",
  image: `${ECR}/shop/web:1.4.2`,
  cpu: 256,
  memory: 512,
  memoryReservation: 256,
  portMappings: [
    { containerPort: 8080, hostPort: 80, protocol: "tcp", name: "web-http", appProtocol: "http" },
    { containerPort: 8443, name: "web-grpc", appProtocol: "grpc" },
  ],
  essential: true,
  entryPoint: ["/bin/sh", "-c"],
  command: ["exec /app/web --listen :8080"],
  environment: [
    { name: "LOG_LEVEL", value: "info" },
    { name: "API_PORT", value: "9000" },
  ],
  mountPoints: [
    { sourceVolume: "static", containerPath: "/srv/static", readOnly: true },
    { sourceVolume: "uploads", containerPath: "/srv/uploads", readOnly: false },
  ],
  volumesFrom: [{ sourceContainer: "api", readOnly: true }],
  linuxParameters: {
    capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
    initProcessEnabled: true,
    tmpfs: [{ containerPath: "/tmp", size: 64, mountOptions: ["noexec", "nosuid"] }],
  },
  secrets: [
    { name: "SESSION_KEY", valueFrom: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/shop/session-key` },
    {
      name: "STRIPE_KEY",
      valueFrom: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:shop/stripe-Ab12Cd`,
    },
  ],
  dependsOn: [
    { containerName: "api", condition: "HEALTHY" },
    { containerName: "migrate", condition: "SUCCESS" },
  ],
  stopTimeout: 30,
  dockerLabels: { "com.example.service": "shop", "com.example.tier": "frontend" },
  ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
  logConfiguration: awslogs("web", { "awslogs-create-group": "true" }),
  healthCheck: {
    command: ["CMD-SHELL", "curl -fsS http://localhost:8080/healthz || exit 1"],
    interval: 15,
    startPeriod: 20,
  },
};

const api: ContainerDefinition = {
  name: "api",
  image: "ghcr.io/example/shop-api@sha256:9b2c4f61a0d3e8b7c5a4f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1",
  memory: 1024,
  portMappings: [
    { containerPort: 9000, hostPort: 9000, protocol: "tcp", name: "api", appProtocol: "http2" },
    { containerPort: 9125, protocol: "udp", name: "statsd" },
  ],
  essential: true,
  command: ["serve", "--port", "9000"],
  environment: [
    { name: "DB_HOST", value: "db.internal" },
    { name: "DB_NAME", value: "shop" },
  ],
  mountPoints: [{ sourceVolume: "uploads", containerPath: "/var/lib/shop/uploads", readOnly: false }],
  linuxParameters: { capabilities: { add: ["SYS_PTRACE"] }, initProcessEnabled: true },
  secrets: [{ name: "DB_PASSWORD", valueFrom: DB_SECRET }],
  ulimits: [{ name: "nproc", softLimit: 4096, hardLimit: 8192 }],
  logConfiguration: awslogs("api"),
  healthCheck: {
    command: ["CMD", "/app/healthcheck"],
    interval: 10,
    timeout: 3,
    retries: 5,
    startPeriod: 30,
  },
};

const migrate: ContainerDefinition = {
  name: "migrate",
  image: `${ECR}/shop/api:1.4.2`,
  memoryReservation: 128,
  essential: false,
  command: ["migrate", "up"],
  environment: [{ name: "DB_HOST", value: "db.internal" }],
  secrets: [{ name: "DB_PASSWORD", valueFrom: DB_SECRET }],
  dependsOn: [{ containerName: "api", condition: "START" }],
  logConfiguration: awslogs("migrate"),
};

const shop = (family: string) =>
  ({
    family,
    taskRoleArn: TASK_ROLE,
    executionRoleArn: EXEC_ROLE,
    networkMode: "bridge",
    containerDefinitions: [web, api, migrate],
    volumes: [
      { name: "static", host: { sourcePath: "/opt/shop/static" } },
      {
        name: "uploads",
        dockerVolumeConfiguration: {
          scope: "shared",
          autoprovision: true,
          driver: "local",
          driverOpts: { type: "none", device: "/mnt/shop-uploads", o: "bind" },
          labels: { "com.example.volume": "uploads" },
        },
      },
    ],
    placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.os-type == linux" }],
    requiresCompatibilities: ["EC2"],
    cpu: "1 vCPU",
    memory: "2 GB",
    tags: [
      { key: "team", value: "shop" },
      { key: "env", value: "staging" },
    ],
  }) satisfies RegisterTaskDefinitionRequest;

/** What AWS returns for shop(family): the input, its defaults, and the computed members (not registeredAt). */
function shopExpected(family: string) {
  const { tags: _tags, cpu: _cpu, memory: _memory, ...input } = shop(family);
  return {
    taskDefinitionArn: tdArn(family, 1),
    ...input,
    containerDefinitions: [
      {
        ...web,
        portMappings: [
          { containerPort: 8080, hostPort: 80, protocol: "tcp", name: "web-http", appProtocol: "http" },
          { containerPort: 8443, hostPort: 0, protocol: "tcp", name: "web-grpc", appProtocol: "grpc" },
        ],
        healthCheck: { ...web.healthCheck, timeout: 5, retries: 3 },
      },
      {
        ...api,
        cpu: 0,
        portMappings: [
          { containerPort: 9000, hostPort: 9000, protocol: "tcp", name: "api", appProtocol: "http2" },
          { containerPort: 9125, hostPort: 0, protocol: "udp", name: "statsd" },
        ],
        volumesFrom: [],
      },
      { ...migrate, cpu: 0, portMappings: [], mountPoints: [], volumesFrom: [] },
    ],
    revision: 1,
    status: "ACTIVE",
    compatibilities: ["EC2"],
    cpu: "1024",
    memory: "2048",
    registeredBy: ROOT,
    enableFaultInjection: false,
  };
}

/** Derived by hand from the trigger table in docs/research/ecs-taskdef.md §2.1. */
const SHOP_ATTRIBUTES = [
  "com.amazonaws.ecs.capability.task-iam-role", // taskRoleArn
  "com.amazonaws.ecs.capability.ecr-auth", // ECR images
  "ecs.capability.execution-role-ecr-pull", // ECR images + executionRoleArn
  "com.amazonaws.ecs.capability.logging-driver.awslogs",
  "com.amazonaws.ecs.capability.docker-remote-api.1.18", // logConfiguration, ulimits, dockerLabels
  "com.amazonaws.ecs.capability.docker-remote-api.1.19", // log options
  "ecs.capability.execution-role-awslogs", // awslogs + executionRoleArn
  "com.amazonaws.ecs.capability.docker-remote-api.1.29", // awslogs-create-group, healthCheck.startPeriod
  "com.amazonaws.ecs.capability.docker-remote-api.1.21", // memoryReservation
  "ecs.capability.container-health-check",
  "com.amazonaws.ecs.capability.docker-remote-api.1.25", // initProcessEnabled, stopTimeout
  "ecs.capability.container-ordering", // dependsOn, stopTimeout
  "ecs.capability.secrets.ssm.environment-variables",
  "ecs.capability.secrets.asm.environment-variables",
].sort();

/**
 * Check a returned task definition against shopExpected: registeredAt within the window (as a Date
 * from the SDK, an ISO string from the CLI), requiresAttributes as a set of {name} entries, and
 * everything else exactly.
 */
function assertShop(
  actual: Record<string, unknown>,
  family: string,
  window: { from: number; to: number },
  registeredAt: (v: unknown) => number,
) {
  const { registeredAt: at, requiresAttributes, ...rest } = actual;
  const ms = registeredAt(at);
  assert.ok(
    ms >= window.from - 1 && ms <= window.to + 1,
    `registeredAt ${ms} outside ${JSON.stringify(window)}`,
  );
  assert.ok(Array.isArray(requiresAttributes));
  for (const a of requiresAttributes) assert.deepEqual(Object.keys(a as object), ["name"]);
  assert.deepEqual(requiresAttributes.map((a) => (a as { name: string }).name).sort(), SHOP_ATTRIBUTES);
  assert.deepEqual(rest, shopExpected(family));
}

describe("a large realistic task definition round trip", () => {
  const sdkDate = (v: unknown) => {
    assert.ok(v instanceof Date, "registeredAt is a Date");
    return v.getTime();
  };
  const cliDate = (v: unknown) => {
    assert.equal(typeof v, "string");
    const ms = Date.parse(v as string);
    assert.ok(Number.isFinite(ms), `registeredAt ${String(v)} parses`);
    return ms;
  };

  it("through the SDK: register, then describe, returns exactly the input plus AWS's defaults", async () => {
    const ecs = ecsIn();
    const from = Date.now();
    const reg = await ecs.send(new RegisterTaskDefinitionCommand(shop("shop")));
    const to = Date.now();
    assert.deepEqual(Object.keys(body(reg)).sort(), ["tags", "taskDefinition"]);
    assert.deepEqual(reg.tags, shop("shop").tags);
    assertShop(reg.taskDefinition as Record<string, unknown>, "shop", { from, to }, sdkDate);

    for (const ref of ["shop", "shop:1", tdArn("shop", 1)]) {
      const d = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref }));
      assert.deepEqual(Object.keys(body(d)), ["taskDefinition"]);
      assertShop(d.taskDefinition as Record<string, unknown>, "shop", { from, to }, sdkDate);
      assert.deepEqual(d.taskDefinition, reg.taskDefinition);
    }
    const withTags = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: "shop:1", include: ["TAGS"] }),
    );
    assert.deepEqual(body(withTags), { taskDefinition: reg.taskDefinition, tags: shop("shop").tags });
  });

  it("through the AWS CLI v2: register-task-definition --cli-input-json and describe-task-definition", async () => {
    const family = "shop-cli";
    const from = Date.now();
    const reg = await runAws(t, [
      "ecs",
      "register-task-definition",
      "--cli-input-json",
      JSON.stringify(shop(family)),
    ]);
    const to = Date.now();
    assert.equal(reg.code, 0, reg.stderr);
    const regOut = reg.json<{ taskDefinition: Record<string, unknown>; tags: unknown }>();
    assert.deepEqual(Object.keys(regOut).sort(), ["tags", "taskDefinition"]);
    assert.deepEqual(regOut.tags, shop(family).tags);

    const desc = await runAws(t, [
      "ecs",
      "describe-task-definition",
      "--task-definition",
      `${family}:1`,
      "--include",
      "TAGS",
    ]);
    assert.equal(desc.code, 0, desc.stderr);
    const descOut = desc.json<{ taskDefinition: Record<string, unknown>; tags: unknown }>();
    assert.deepEqual(Object.keys(descOut).sort(), ["tags", "taskDefinition"]);
    assert.deepEqual(descOut.tags, shop(family).tags);

    for (const out of [regOut.taskDefinition, descOut.taskDefinition]) {
      // The CLI prints only members its own model knows; Debian's CLI 2.9 predates enableFaultInjection.
      const { enableFaultInjection, ...td } = out;
      if (enableFaultInjection !== undefined) assert.equal(enableFaultInjection, false);
      assertShop({ ...td, enableFaultInjection: false }, family, { from, to }, cliDate);
    }
    assert.deepEqual(descOut.taskDefinition, regOut.taskDefinition);
  });
});
