/**
 * The ECS clusters API through the AWS SDK against a real in-process Berth. Each group works in its
 * own region, so groups do not see each other's clusters.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Cluster,
  type ClusterField,
  CreateClusterCommand,
  type CreateClusterCommandInput,
  DeleteClusterCommand,
  DescribeClustersCommand,
  type ECSClient,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  PutAccountSettingCommand,
  PutClusterCapacityProvidersCommand,
  paginateListClusters,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateClusterCommand,
  UpdateClusterSettingsCommand,
} from "@aws-sdk/client-ecs";
import { signedFetch, startBerth, type TestBerth } from "../helpers/berth.js";

const ACCOUNT = "000000000000";
const INCONSISTENT =
  "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).";

async function rejectsWith(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, 400);
    if (typeof message === "string") assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

const arn = (region: string, name: string) => `arn:aws:ecs:${region}:${ACCOUNT}:cluster/${name}`;

describe("ECS clusters", () => {
  let t: TestBerth;
  before(async () => {
    t = await startBerth();
  });
  after(async () => {
    await t.close();
  });

  /** A client for a region of its own. */
  const client = (region: string): ECSClient => t.ecs({ region });
  const create = (c: ECSClient, input: CreateClusterCommandInput) =>
    c.send(new CreateClusterCommand(input)).then((r) => r.cluster!);
  const describeOne = async (c: ECSClient, name: string, include?: ClusterField[]) => {
    const out = await c.send(
      new DescribeClustersCommand({ clusters: [name], ...(include ? { include } : {}) }),
    );
    assert.equal(out.clusters?.length, 1, JSON.stringify(out.failures));
    return out.clusters![0]!;
  };

  describe("CreateCluster", () => {
    const region = "us-west-1";
    let ecs: ECSClient;
    before(() => {
      ecs = client(region);
    });

    it("names the cluster 'default' when no name is given, with AWS's defaults", async () => {
      const c = await create(ecs, {});
      assert.deepEqual(c, {
        clusterArn: arn(region, "default"),
        clusterName: "default",
        status: "ACTIVE",
        registeredContainerInstancesCount: 0,
        runningTasksCount: 0,
        pendingTasksCount: 0,
        activeServicesCount: 0,
        statistics: [],
        tags: [],
        settings: [{ name: "containerInsights", value: "disabled" }],
        capacityProviders: [],
        defaultCapacityProviderStrategy: [],
      });
    });

    it("puts exactly AWS's members on the wire, in model order", async () => {
      const res = await signedFetch(t.url, {
        service: "ecs",
        region,
        credentials: t.credentials,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "AmazonEC2ContainerServiceV20141113.CreateCluster",
        },
        body: JSON.stringify({ clusterName: "wire" }),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/x-amz-json-1.1");
      const cluster = (res.json() as { cluster: Record<string, unknown> }).cluster;
      assert.deepEqual(Object.keys(cluster), [
        "clusterArn",
        "clusterName",
        "status",
        "registeredContainerInstancesCount",
        "runningTasksCount",
        "pendingTasksCount",
        "activeServicesCount",
        "statistics",
        "tags",
        "settings",
        "capacityProviders",
        "defaultCapacityProviderStrategy",
      ]);
    });

    it("is idempotent: the same request returns the same cluster", async () => {
      const input: CreateClusterCommandInput = {
        clusterName: "same",
        settings: [{ name: "containerInsights", value: "enabled" }],
        tags: [{ key: "team", value: "a" }],
        configuration: { executeCommandConfiguration: { logging: "DEFAULT" } },
      };
      const first = await create(ecs, input);
      const second = await create(ecs, input);
      assert.deepEqual(second, first);
      // Omitting arguments is consistent with any previous request.
      const bare = await create(ecs, { clusterName: "same" });
      assert.equal(bare.clusterArn, first.clusterArn);
      assert.deepEqual(bare.settings, [{ name: "containerInsights", value: "enabled" }]);
    });

    it("refuses a repeat whose arguments differ, and leaves the cluster as it was", async () => {
      await create(ecs, {
        clusterName: "fixed",
        settings: [{ name: "containerInsights", value: "enabled" }],
      });
      await rejectsWith(
        create(ecs, { clusterName: "fixed", settings: [{ name: "containerInsights", value: "disabled" }] }),
        "InvalidParameterException",
        INCONSISTENT,
      );
      await rejectsWith(
        create(ecs, {
          clusterName: "fixed",
          configuration: { executeCommandConfiguration: { logging: "NONE" } },
        }),
        "InvalidParameterException",
        INCONSISTENT,
      );
      await rejectsWith(
        create(ecs, { clusterName: "fixed", capacityProviders: ["FARGATE"] }),
        "InvalidParameterException",
        INCONSISTENT,
      );
      const c = await describeOne(ecs, "fixed", ["SETTINGS", "CONFIGURATIONS"]);
      assert.deepEqual(c.settings, [{ name: "containerInsights", value: "enabled" }]);
      assert.equal(c.configuration, undefined);
      assert.deepEqual(c.capacityProviders, []);
    });

    it("refuses names that are not 1-255 letters, digits, hyphens and underscores", async () => {
      await create(ecs, { clusterName: "a".repeat(255) });
      for (const bad of ["a".repeat(256), "with space", "dots.in.name", "slash/name", "ünïcode"]) {
        await rejectsWith(create(ecs, { clusterName: bad }), "InvalidParameterException");
      }
      await rejectsWith(create(ecs, { clusterName: "" }), "InvalidParameterException");
    });

    it("re-creates a deleted cluster's name as a new ACTIVE cluster with the same ARN", async () => {
      await create(ecs, { clusterName: "phoenix", tags: [{ key: "gen", value: "1" }] });
      await ecs.send(new DeleteClusterCommand({ cluster: "phoenix" }));
      const again = await create(ecs, {
        clusterName: "phoenix",
        settings: [{ name: "containerInsights", value: "enhanced" }],
      });
      assert.equal(again.clusterArn, arn(region, "phoenix"));
      assert.equal(again.status, "ACTIVE");
      assert.deepEqual(again.tags, []);
      assert.deepEqual(again.settings, [{ name: "containerInsights", value: "enhanced" }]);
    });

    it("takes containerInsights from the account setting when settings are omitted", async () => {
      const own = client("ap-southeast-2");
      await own.send(new PutAccountSettingCommand({ name: "containerInsights", value: "enhanced" }));
      const c = await create(own, { clusterName: "insightful" });
      assert.deepEqual(c.settings, [{ name: "containerInsights", value: "enhanced" }]);
      const explicit = await create(own, {
        clusterName: "explicit",
        settings: [{ name: "containerInsights", value: "disabled" }],
      });
      assert.deepEqual(explicit.settings, [{ name: "containerInsights", value: "disabled" }]);
    });

    it("refuses settings other than containerInsights=enabled|disabled|enhanced", async () => {
      await rejectsWith(
        create(ecs, { clusterName: "s1", settings: [{ name: "containerInsights", value: "on" }] }),
        "InvalidParameterException",
      );
      await rejectsWith(
        create(ecs, {
          clusterName: "s2",
          settings: [{ name: "other" as "containerInsights", value: "enabled" }],
        }),
        "InvalidParameterException",
      );
    });
  });

  describe("DescribeClusters", () => {
    const region = "eu-central-1";
    let ecs: ECSClient;
    let full: Cluster;
    before(async () => {
      ecs = client(region);
      full = await create(ecs, {
        clusterName: "full",
        tags: [{ key: "team", value: "platform" }],
        settings: [{ name: "containerInsights", value: "enabled" }],
        configuration: {
          executeCommandConfiguration: { logging: "OVERRIDE", logConfiguration: { s3BucketName: "b" } },
        },
      });
    });

    it("leaves out tags, settings, configuration, statistics and attachments unless asked", async () => {
      const c = await describeOne(ecs, "full");
      assert.deepEqual(c.tags, []);
      assert.deepEqual(c.settings, []);
      assert.deepEqual(c.statistics, []);
      assert.equal(c.configuration, undefined);
      assert.equal(c.attachments, undefined);
      assert.equal(c.clusterArn, full.clusterArn);
      assert.equal(c.status, "ACTIVE");
    });

    it("includes each field it is asked for", async () => {
      assert.deepEqual((await describeOne(ecs, "full", ["TAGS"])).tags, [{ key: "team", value: "platform" }]);
      assert.deepEqual((await describeOne(ecs, "full", ["SETTINGS"])).settings, [
        { name: "containerInsights", value: "enabled" },
      ]);
      assert.deepEqual((await describeOne(ecs, "full", ["CONFIGURATIONS"])).configuration, {
        executeCommandConfiguration: { logging: "OVERRIDE", logConfiguration: { s3BucketName: "b" } },
      });
      const stats = (await describeOne(ecs, "full", ["STATISTICS"])).statistics ?? [];
      assert.deepEqual(
        stats.map((s) => s.name),
        [
          "runningEC2TasksCount",
          "runningFargateTasksCount",
          "pendingEC2TasksCount",
          "pendingFargateTasksCount",
          "activeEC2ServiceCount",
          "activeFargateServiceCount",
          "drainingEC2ServiceCount",
          "drainingFargateServiceCount",
        ],
      );
      assert.ok(stats.every((s) => s.value === "0"));
      assert.deepEqual((await describeOne(ecs, "full", ["ATTACHMENTS"])).attachments, []);
      const all = await describeOne(ecs, "full", ["TAGS", "SETTINGS", "CONFIGURATIONS"]);
      assert.equal(all.tags?.length, 1);
      assert.equal(all.settings?.length, 1);
      assert.ok(all.configuration);
    });

    it("refuses an include value that is not a ClusterField", async () => {
      for (const bad of ["ALL", "tags", "EVERYTHING"]) {
        await rejectsWith(
          ecs.send(new DescribeClustersCommand({ clusters: ["full"], include: [bad as ClusterField] })),
          "InvalidParameterException",
          "include should be one of [ATTACHMENTS,CONFIGURATIONS,SETTINGS,STATISTICS,TAGS]",
        );
      }
    });

    it("reports missing clusters as failures with their ARN, in request order", async () => {
      const out = await ecs.send(
        new DescribeClustersCommand({ clusters: ["nope", "full", arn(region, "gone"), "bad name!"] }),
      );
      assert.deepEqual(
        out.clusters?.map((c) => c.clusterName),
        ["full"],
      );
      assert.deepEqual(out.failures, [
        { arn: arn(region, "nope"), reason: "MISSING" },
        { arn: arn(region, "gone"), reason: "MISSING" },
        { arn: "bad name!", reason: "MISSING" },
      ]);
    });

    it("describes a cluster given by ARN", async () => {
      assert.equal((await describeOne(ecs, full.clusterArn!)).clusterName, "full");
    });

    it("describes 'default' when no cluster is named", async () => {
      const own = client("eu-north-1");
      const none = await own.send(new DescribeClustersCommand({}));
      assert.deepEqual(none.failures, [{ arn: arn("eu-north-1", "default"), reason: "MISSING" }]);
      await create(own, {});
      const out = await own.send(new DescribeClustersCommand({}));
      assert.equal(out.clusters?.[0]?.clusterName, "default");
    });

    it("still describes a deleted cluster, as INACTIVE", async () => {
      await create(ecs, { clusterName: "deleted" });
      await ecs.send(new DeleteClusterCommand({ cluster: "deleted" }));
      const c = await describeOne(ecs, "deleted");
      assert.equal(c.status, "INACTIVE");
    });

    it("refuses more than 100 clusters", async () => {
      const names = Array.from({ length: 101 }, (_, i) => `c${i}`);
      await rejectsWith(
        ecs.send(new DescribeClustersCommand({ clusters: names })),
        "InvalidParameterException",
      );
      const ok = await ecs.send(new DescribeClustersCommand({ clusters: names.slice(0, 100) }));
      assert.equal(ok.failures?.length, 100);
    });
  });

  describe("ListClusters", () => {
    const region = "ca-central-1";
    let ecs: ECSClient;
    const names = ["alpha", "bravo", "charlie", "delta", "echo"];
    before(async () => {
      ecs = client(region);
      for (const n of [...names].reverse()) await create(ecs, { clusterName: n });
      await create(ecs, { clusterName: "foxtrot" });
      await ecs.send(new DeleteClusterCommand({ cluster: "foxtrot" }));
    });

    it("lists ARNs of active clusters only", async () => {
      const out = await ecs.send(new ListClustersCommand({}));
      assert.deepEqual(
        out.clusterArns,
        names.map((n) => arn(region, n)),
      );
      assert.equal(out.nextToken, undefined);
    });

    it("pages with maxResults and nextToken, and omits nextToken on the last page", async () => {
      const p1 = await ecs.send(new ListClustersCommand({ maxResults: 2 }));
      assert.equal(p1.clusterArns?.length, 2);
      assert.ok(p1.nextToken);
      const p2 = await ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: p1.nextToken }));
      assert.equal(p2.clusterArns?.length, 2);
      const p3 = await ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: p2.nextToken }));
      assert.equal(p3.clusterArns?.length, 1);
      assert.equal(p3.nextToken, undefined);
      assert.deepEqual(
        [...p1.clusterArns!, ...p2.clusterArns!, ...p3.clusterArns!],
        names.map((n) => arn(region, n)),
      );
      const exact = await ecs.send(new ListClustersCommand({ maxResults: 5 }));
      assert.equal(exact.nextToken, undefined);
    });

    it("works with the SDK paginator", async () => {
      const seen: string[] = [];
      for await (const page of paginateListClusters({ client: ecs, pageSize: 1 }, {})) {
        seen.push(...(page.clusterArns ?? []));
      }
      assert.deepEqual(
        seen,
        names.map((n) => arn(region, n)),
      );
    });

    it("refuses maxResults outside 1-100 and tokens it did not issue", async () => {
      for (const maxResults of [0, -1, 101]) {
        await rejectsWith(ecs.send(new ListClustersCommand({ maxResults })), "InvalidParameterException");
      }
      await rejectsWith(
        ecs.send(new ListClustersCommand({ nextToken: "garbage" })),
        "InvalidParameterException",
      );
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "f",
          containerDefinitions: [{ name: "a", image: "nginx", memory: 64 }],
        }),
      );
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: "f",
          containerDefinitions: [{ name: "a", image: "nginx", memory: 64 }],
        }),
      );
      const other = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 1 }));
      assert.ok(other.nextToken);
      await rejectsWith(
        ecs.send(new ListClustersCommand({ nextToken: other.nextToken })),
        "InvalidParameterException",
      );
    });
  });

  describe("UpdateCluster and UpdateClusterSettings", () => {
    const region = "sa-east-1";
    let ecs: ECSClient;
    before(async () => {
      ecs = client(region);
      await create(ecs, {
        clusterName: "u",
        configuration: { executeCommandConfiguration: { logging: "DEFAULT" } },
      });
    });

    it("UpdateCluster changes what it is given and leaves the rest", async () => {
      const out = await ecs.send(
        new UpdateClusterCommand({
          cluster: "u",
          settings: [{ name: "containerInsights", value: "enabled" }],
        }),
      );
      assert.deepEqual(out.cluster?.settings, [{ name: "containerInsights", value: "enabled" }]);
      assert.deepEqual(out.cluster?.configuration, { executeCommandConfiguration: { logging: "DEFAULT" } });
      const conf = await ecs.send(
        new UpdateClusterCommand({
          cluster: arn(region, "u"),
          configuration: { executeCommandConfiguration: { logging: "NONE" } },
        }),
      );
      assert.deepEqual(conf.cluster?.configuration, { executeCommandConfiguration: { logging: "NONE" } });
      assert.deepEqual(conf.cluster?.settings, [{ name: "containerInsights", value: "enabled" }]);
    });

    it("UpdateCluster sets and removes the Service Connect default namespace", async () => {
      const set = await ecs.send(
        new UpdateClusterCommand({ cluster: "u", serviceConnectDefaults: { namespace: "ns" } }),
      );
      assert.deepEqual(set.cluster?.serviceConnectDefaults, { namespace: "ns" });
      const described = await describeOne(ecs, "u");
      assert.deepEqual(described.serviceConnectDefaults, { namespace: "ns" });
      const cleared = await ecs.send(
        new UpdateClusterCommand({ cluster: "u", serviceConnectDefaults: { namespace: "" } }),
      );
      assert.equal(cleared.cluster?.serviceConnectDefaults, undefined);
    });

    it("UpdateClusterSettings replaces containerInsights", async () => {
      const out = await ecs.send(
        new UpdateClusterSettingsCommand({
          cluster: "u",
          settings: [{ name: "containerInsights", value: "enhanced" }],
        }),
      );
      assert.deepEqual(out.cluster?.settings, [{ name: "containerInsights", value: "enhanced" }]);
      assert.deepEqual((await describeOne(ecs, "u", ["SETTINGS"])).settings, [
        { name: "containerInsights", value: "enhanced" },
      ]);
      await rejectsWith(
        ecs.send(
          new UpdateClusterSettingsCommand({
            cluster: "u",
            settings: [{ name: "containerInsights", value: "yes" }],
          }),
        ),
        "InvalidParameterException",
      );
    });

    it("refuses a cluster that does not exist, or was deleted: ClusterNotFoundException", async () => {
      await rejectsWith(
        ecs.send(new UpdateClusterCommand({ cluster: "never" })),
        "ClusterNotFoundException",
        "Cluster not found.",
      );
      await rejectsWith(
        ecs.send(new UpdateClusterSettingsCommand({ cluster: "never", settings: [] })),
        "ClusterNotFoundException",
        "Cluster not found.",
      );
      await create(ecs, { clusterName: "gone" });
      await ecs.send(new DeleteClusterCommand({ cluster: "gone" }));
      await rejectsWith(ecs.send(new UpdateClusterCommand({ cluster: "gone" })), "ClusterNotFoundException");
      // A cluster ARN from another region names no cluster here.
      await rejectsWith(
        ecs.send(new UpdateClusterCommand({ cluster: arn("us-east-1", "u") })),
        "ClusterNotFoundException",
      );
    });
  });

  describe("PutClusterCapacityProviders", () => {
    const region = "ap-northeast-1";
    let ecs: ECSClient;
    before(async () => {
      ecs = client(region);
      await create(ecs, { clusterName: "cp" });
    });
    const put = (
      capacityProviders: string[],
      defaultCapacityProviderStrategy: { capacityProvider: string; weight?: number; base?: number }[],
      cluster = "cp",
    ) =>
      ecs.send(
        new PutClusterCapacityProvidersCommand({
          cluster,
          capacityProviders,
          defaultCapacityProviderStrategy,
        }),
      );

    it("accepts FARGATE and FARGATE_SPOT with a strategy, filling in weight and base", async () => {
      const out = await put(
        ["FARGATE", "FARGATE_SPOT"],
        [
          { capacityProvider: "FARGATE", weight: 1, base: 2 },
          { capacityProvider: "FARGATE_SPOT", weight: 4 },
        ],
      );
      assert.deepEqual(out.cluster?.capacityProviders, ["FARGATE", "FARGATE_SPOT"]);
      assert.deepEqual(out.cluster?.defaultCapacityProviderStrategy, [
        { capacityProvider: "FARGATE", weight: 1, base: 2 },
        { capacityProvider: "FARGATE_SPOT", weight: 4, base: 0 },
      ]);
      const c = await describeOne(ecs, "cp");
      assert.deepEqual(c.capacityProviders, ["FARGATE", "FARGATE_SPOT"]);
      assert.equal(c.defaultCapacityProviderStrategy?.length, 2);
    });

    it("refuses a capacity provider that does not exist", async () => {
      await rejectsWith(
        put(["FARGATE", "my-asg-provider"], []),
        "InvalidParameterException",
        "The specified capacity provider was not found. Specify a valid capacity provider and try again.",
      );
    });

    it("enforces the strategy rules", async () => {
      await rejectsWith(
        put(["FARGATE"], [{ capacityProvider: "FARGATE_SPOT", weight: 1 }]),
        "InvalidParameterException",
        "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
      );
      await rejectsWith(
        put(
          ["FARGATE", "FARGATE_SPOT"],
          [
            { capacityProvider: "FARGATE", base: 1 },
            { capacityProvider: "FARGATE_SPOT", base: 1 },
          ],
        ),
        "InvalidParameterException",
        "Only one capacity provider in a strategy can have a base defined.",
      );
      await rejectsWith(
        put(["FARGATE"], [{ capacityProvider: "FARGATE", weight: 1001 }]),
        "InvalidParameterException",
        /weight/,
      );
      await rejectsWith(
        put(["FARGATE"], [{ capacityProvider: "FARGATE", weight: -1 }]),
        "InvalidParameterException",
        /weight/,
      );
      await rejectsWith(
        put(["FARGATE"], [{ capacityProvider: "FARGATE", base: 100001 }]),
        "InvalidParameterException",
        /base/,
      );
      await rejectsWith(
        put(
          ["FARGATE"],
          [
            { capacityProvider: "FARGATE", weight: 1 },
            { capacityProvider: "FARGATE", weight: 2 },
          ],
        ),
        "InvalidParameterException",
      );
      await put(["FARGATE"], [{ capacityProvider: "FARGATE", weight: 1000, base: 100000 }]);
    });

    it("a refused call leaves the providers as they were", async () => {
      await put(["FARGATE"], [{ capacityProvider: "FARGATE", weight: 1 }]);
      await rejectsWith(put(["FARGATE", "nope"], []), "InvalidParameterException");
      const c = await describeOne(ecs, "cp");
      assert.deepEqual(c.capacityProviders, ["FARGATE"]);
      assert.deepEqual(c.defaultCapacityProviderStrategy, [
        { capacityProvider: "FARGATE", weight: 1, base: 0 },
      ]);
    });

    it("empty lists remove every provider", async () => {
      const out = await put([], []);
      assert.deepEqual(out.cluster?.capacityProviders, []);
      assert.deepEqual(out.cluster?.defaultCapacityProviderStrategy, []);
    });

    it("refuses a cluster that does not exist", async () => {
      await rejectsWith(put(["FARGATE"], [], "never"), "ClusterNotFoundException", "Cluster not found.");
    });

    it("CreateCluster applies the same rules", async () => {
      const c = await create(ecs, {
        clusterName: "cp2",
        capacityProviders: ["FARGATE_SPOT"],
        defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
      });
      assert.deepEqual(c.capacityProviders, ["FARGATE_SPOT"]);
      await rejectsWith(
        create(ecs, { clusterName: "cp3", capacityProviders: ["EC2"] }),
        "InvalidParameterException",
      );
      await rejectsWith(
        create(ecs, {
          clusterName: "cp4",
          defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
        }),
        "InvalidParameterException",
      );
    });
  });

  describe("DeleteCluster", () => {
    const region = "ap-south-1";
    let ecs: ECSClient;
    before(() => {
      ecs = client(region);
    });

    it("marks the cluster INACTIVE; it stays describable but is no longer listed", async () => {
      await create(ecs, { clusterName: "doomed", tags: [{ key: "k", value: "v" }] });
      const out = await ecs.send(new DeleteClusterCommand({ cluster: "doomed" }));
      assert.equal(out.cluster?.status, "INACTIVE");
      assert.equal(out.cluster?.clusterArn, arn(region, "doomed"));
      assert.ok(!(await ecs.send(new ListClustersCommand({}))).clusterArns?.includes(arn(region, "doomed")));
      assert.equal((await describeOne(ecs, "doomed")).status, "INACTIVE");
    });

    it("deleting again returns the INACTIVE cluster", async () => {
      await create(ecs, { clusterName: "twice" });
      await ecs.send(new DeleteClusterCommand({ cluster: "twice" }));
      const again = await ecs.send(new DeleteClusterCommand({ cluster: arn(region, "twice") }));
      assert.equal(again.cluster?.status, "INACTIVE");
    });

    it("refuses a cluster that never existed: ClusterNotFoundException 'Cluster not found.'", async () => {
      await rejectsWith(
        ecs.send(new DeleteClusterCommand({ cluster: "never-existed" })),
        "ClusterNotFoundException",
        "Cluster not found.",
      );
      await rejectsWith(
        ecs.send(new DeleteClusterCommand({ cluster: arn(region, "never-existed") })),
        "ClusterNotFoundException",
        "Cluster not found.",
      );
    });
  });

  describe("cluster tags", () => {
    const region = "eu-west-3";
    let ecs: ECSClient;
    let clusterArn: string;
    before(async () => {
      ecs = client(region);
      clusterArn = (await create(ecs, { clusterName: "tagged", tags: [{ key: "a", value: "1" }] }))
        .clusterArn!;
    });
    const tagsOf = async (resourceArn = clusterArn) =>
      (await ecs.send(new ListTagsForResourceCommand({ resourceArn }))).tags;

    it("TagResource adds and overwrites, UntagResource removes, ListTagsForResource lists", async () => {
      assert.deepEqual(await tagsOf(), [{ key: "a", value: "1" }]);
      await ecs.send(
        new TagResourceCommand({
          resourceArn: clusterArn,
          tags: [
            { key: "a", value: "2" },
            { key: "b", value: "" },
            { key: "with space:and/chars=+-@_.", value: "ünïcode value" },
          ],
        }),
      );
      assert.deepEqual(await tagsOf(), [
        { key: "a", value: "2" },
        { key: "b", value: "" },
        { key: "with space:and/chars=+-@_.", value: "ünïcode value" },
      ]);
      await ecs.send(new UntagResourceCommand({ resourceArn: clusterArn, tagKeys: ["b", "not-there"] }));
      assert.deepEqual(
        (await tagsOf())?.map((t) => t.key),
        ["a", "with space:and/chars=+-@_."],
      );
      assert.deepEqual((await describeOne(ecs, "tagged", ["TAGS"])).tags, await tagsOf());
    });

    it("enforces the limits: 50 tags, keys of 1-128 and values of 0-256 characters", async () => {
      const many = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: "v" }));
      await rejectsWith(create(ecs, { clusterName: "too-many", tags: many }), "InvalidParameterException");
      await create(ecs, { clusterName: "fifty", tags: many.slice(0, 50) });
      await ecs.send(
        new TagResourceCommand({
          resourceArn: clusterArn,
          tags: [{ key: "k".repeat(128), value: "v".repeat(256) }],
        }),
      );
      for (const tag of [
        { key: "k".repeat(129), value: "v" },
        { key: "k", value: "v".repeat(257) },
        { key: "", value: "v" },
        { key: "bad<char>", value: "v" },
      ]) {
        await rejectsWith(
          ecs.send(new TagResourceCommand({ resourceArn: clusterArn, tags: [tag] })),
          "InvalidParameterException",
        );
      }
    });

    it("refuses keys with the reserved aws: prefix, in any case", async () => {
      for (const key of ["aws:owner", "AWS:owner", "Aws:x"]) {
        await rejectsWith(
          ecs.send(new TagResourceCommand({ resourceArn: clusterArn, tags: [{ key, value: "v" }] })),
          "InvalidParameterException",
        );
        await rejectsWith(
          create(ecs, { clusterName: "reserved", tags: [{ key, value: "v" }] }),
          "InvalidParameterException",
        );
      }
      await ecs.send(
        new TagResourceCommand({ resourceArn: clusterArn, tags: [{ key: "awsome", value: "v" }] }),
      );
    });

    it("refuses tagging a deleted cluster with AWS's message", async () => {
      const gone = (await create(ecs, { clusterName: "untaggable" })).clusterArn!;
      await ecs.send(new DeleteClusterCommand({ cluster: gone }));
      const message = "The specified cluster is inactive. Specify an active cluster and try again.";
      await rejectsWith(
        ecs.send(new ListTagsForResourceCommand({ resourceArn: gone })),
        "InvalidParameterException",
        message,
      );
      await rejectsWith(
        ecs.send(new TagResourceCommand({ resourceArn: gone, tags: [{ key: "k", value: "v" }] })),
        "InvalidParameterException",
        message,
      );
      await rejectsWith(
        ecs.send(new UntagResourceCommand({ resourceArn: gone, tagKeys: ["k"] })),
        "InvalidParameterException",
        message,
      );
    });

    it("refuses a resource type named like a JavaScript prototype key as it does any unknown type", async () => {
      for (const type of ["widget", "constructor", "__proto__", "toString", "hasOwnProperty"]) {
        const resourceArn = `arn:aws:ecs:${region}:${ACCOUNT}:${type}/x`;
        const message = `The ARN '${resourceArn}' names a resource type that cannot be tagged.`;
        await rejectsWith(
          ecs.send(new ListTagsForResourceCommand({ resourceArn })),
          "InvalidParameterException",
          message,
        );
        await rejectsWith(
          ecs.send(new TagResourceCommand({ resourceArn, tags: [{ key: "k", value: "v" }] })),
          "InvalidParameterException",
          message,
        );
        await rejectsWith(
          ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: ["k"] })),
          "InvalidParameterException",
          message,
        );
      }
    });

    it("refuses ARNs that name no ECS cluster", async () => {
      await assert.rejects(
        ecs.send(new ListTagsForResourceCommand({ resourceArn: arn(region, "never") })),
        (err: unknown) =>
          ["ClusterNotFoundException", "ResourceNotFoundException"].includes((err as Error).name),
      );
      await rejectsWith(
        ecs.send(
          new ListTagsForResourceCommand({ resourceArn: "arn:aws:ecr:eu-west-3:000000000000:repository/x" }),
        ),
        "InvalidParameterException",
      );
      await rejectsWith(
        ecs.send(new ListTagsForResourceCommand({ resourceArn: "not-an-arn" })),
        "InvalidParameterException",
      );
    });
  });
});
