import type {
  CapacityProviderStrategyItem,
  Cluster,
  ClusterSetting,
  CreateClusterRequest,
  CreateClusterResponse,
  DeleteClusterRequest,
  DeleteClusterResponse,
  DescribeClustersRequest,
  DescribeClustersResponse,
  ListClustersRequest,
  ListClustersResponse,
  PutClusterCapacityProvidersRequest,
  PutClusterCapacityProvidersResponse,
  UpdateClusterRequest,
  UpdateClusterResponse,
  UpdateClusterSettingsRequest,
  UpdateClusterSettingsResponse,
} from "@aws-sdk/client-ecs";
import { clusterArn, clusterName, NAME } from "../../domain/ecs/arns.js";
import { validateTags } from "../../domain/ecs/tags.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  type ClusterCounts,
  type ClusterRecord,
  clusterCounts,
  getCluster,
  listActiveClusters,
  putCluster,
} from "../../state/ecs/clusters.js";
import type { ReadTx, Store } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { effectiveAccountSetting } from "./account-settings.js";
import { cut, pageOf } from "./paging.js";

/** Capacity providers every account has. Auto Scaling group providers are not supported. */
export const BUILT_IN_CAPACITY_PROVIDERS = ["FARGATE", "FARGATE_SPOT"] as const;

const CONTAINER_INSIGHTS = ["enabled", "disabled", "enhanced"];

function validateSettings(settings: readonly ClusterSetting[] | undefined): ClusterSetting[] {
  const out = new Map<string, string>();
  for (const s of settings ?? []) {
    if (s.name !== "containerInsights") {
      throw new AwsError(
        Errors.InvalidParameter,
        `Cluster setting name '${s.name}' is invalid. The only valid name is containerInsights.`,
      );
    }
    if (!s.value || !CONTAINER_INSIGHTS.includes(s.value)) {
      throw new AwsError(
        Errors.InvalidParameter,
        `The value '${s.value ?? ""}' is invalid for containerInsights. Valid values are enabled, disabled and enhanced.`,
      );
    }
    out.set(s.name, s.value);
  }
  return [...out].map(([name, value]) => ({ name: name as ClusterSetting["name"], value }));
}

function validateProviders(providers: readonly string[] | undefined): string[] {
  const list = [...new Set(providers ?? [])];
  for (const p of list) {
    // Only FARGATE and FARGATE_SPOT exist; anything else is a provider ECS cannot find.
    if (!(BUILT_IN_CAPACITY_PROVIDERS as readonly string[]).includes(p)) {
      throw new AwsError(
        Errors.InvalidParameter,
        "The specified capacity provider was not found. Specify a valid capacity provider and try again.",
      );
    }
  }
  return list;
}

export function validateStrategy(
  strategy: readonly CapacityProviderStrategyItem[] | undefined,
  providers: readonly string[],
): CapacityProviderStrategyItem[] {
  const items = strategy ?? [];
  const seen = new Set<string>();
  let withBase = 0;
  for (const item of items) {
    const name = item.capacityProvider ?? "";
    if (!providers.includes(name)) {
      throw new AwsError(
        Errors.InvalidParameter,
        `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`,
      );
    }
    if (seen.has(name))
      throw new AwsError(Errors.InvalidParameter, `Duplicate capacity provider '${name}' in the strategy.`);
    seen.add(name);
    const weight = item.weight ?? 0;
    const base = item.base ?? 0;
    if (!Number.isInteger(weight) || weight < 0 || weight > 1000) {
      throw new AwsError(
        Errors.InvalidParameter,
        "The capacity provider strategy weight must be between 0 and 1000.",
      );
    }
    if (!Number.isInteger(base) || base < 0 || base > 100000) {
      throw new AwsError(
        Errors.InvalidParameter,
        "The capacity provider strategy base must be between 0 and 100000.",
      );
    }
    if (base > 0) withBase++;
  }
  if (withBase > 1) {
    throw new AwsError(
      Errors.InvalidParameter,
      "Only one capacity provider in a strategy can have a base defined.",
    );
  }
  return items.map((i) => ({
    capacityProvider: i.capacityProvider!,
    weight: i.weight ?? 0,
    base: i.base ?? 0,
  }));
}

const CLUSTER_FIELDS = ["ATTACHMENTS", "CONFIGURATIONS", "SETTINGS", "STATISTICS", "TAGS"] as const;
type Include = (typeof CLUSTER_FIELDS)[number];

/** DescribeClusters' `include`: only the model's ClusterField values (SDKs do not check enums). */
function includeOf(values: readonly string[] | undefined): ReadonlySet<Include> {
  for (const v of values ?? []) {
    if (!(CLUSTER_FIELDS as readonly string[]).includes(v)) {
      throw new AwsError(Errors.InvalidParameter, `include should be one of [${CLUSTER_FIELDS.join(",")}]`);
    }
  }
  return new Set(values as Include[] | undefined);
}

export function renderCluster(
  rec: ClusterRecord,
  counts: ClusterCounts,
  include: ReadonlySet<Include>,
): Cluster {
  const has = (i: Include) => include.has(i);
  const cluster: Cluster = {
    clusterArn: rec.arn,
    clusterName: rec.name,
    status: rec.status,
    ...counts,
    statistics: [],
    tags: has("TAGS") ? rec.tags : [],
    settings: has("SETTINGS") ? rec.settings : [],
    capacityProviders: rec.capacityProviders,
    defaultCapacityProviderStrategy: rec.defaultCapacityProviderStrategy,
  };
  if (has("CONFIGURATIONS") && rec.configuration) cluster.configuration = rec.configuration;
  if (rec.serviceConnectDefaults) cluster.serviceConnectDefaults = rec.serviceConnectDefaults;
  if (has("STATISTICS")) {
    cluster.statistics = [
      { name: "runningEC2TasksCount", value: "0" },
      { name: "runningFargateTasksCount", value: "0" },
      { name: "pendingEC2TasksCount", value: "0" },
      { name: "pendingFargateTasksCount", value: "0" },
      { name: "activeEC2ServiceCount", value: "0" },
      { name: "activeFargateServiceCount", value: "0" },
      { name: "drainingEC2ServiceCount", value: "0" },
      { name: "drainingFargateServiceCount", value: "0" },
    ];
  }
  if (has("ATTACHMENTS")) {
    cluster.attachments = [];
  }
  return cluster;
}

/** What Create/Update/Delete responses carry: everything but statistics and attachments. */
const ALL: ReadonlySet<Include> = new Set<Include>(["TAGS", "SETTINGS", "CONFIGURATIONS"]);

async function describeOne(tx: ReadTx, ctx: RequestContext, name: string, include: ReadonlySet<Include>) {
  const rec = await getCluster(tx, ctx.region, name);
  if (!rec) return undefined;
  return renderCluster(rec.value, await clusterCounts(tx, ctx.region, name), include);
}

async function requireActive(tx: ReadTx, ctx: RequestContext, identifier: string | undefined) {
  const name = clusterName(ctx, identifier);
  const rec = await getCluster(tx, ctx.region, name);
  if (rec?.value.status !== "ACTIVE") throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
  return rec;
}

export function clusterHandlers(store: Store) {
  const createCluster: Handler<CreateClusterRequest, CreateClusterResponse> = async (input, ctx) => {
    const name = input.clusterName ?? "default";
    if (!NAME.test(name)) {
      throw new AwsError(
        Errors.InvalidParameter,
        "Cluster name must be 1-255 characters: letters (upper and lower case), numbers, hyphens and underscores.",
      );
    }
    const tags = validateTags(input.tags);
    const settings = validateSettings(input.settings);
    const providers = validateProviders(input.capacityProviders);
    const strategy = validateStrategy(input.defaultCapacityProviderStrategy, providers);
    return store.write(async (tx) => {
      const existing = await getCluster(tx, ctx.region, name);
      if (existing && existing.value.status === "ACTIVE") {
        // CreateCluster is idempotent: an active cluster of that name is returned as it is, unless the
        // request asks for something different.
        const e = existing.value;
        const differs =
          (input.settings !== undefined && !sameJson(settings, e.settings)) ||
          (input.configuration !== undefined && !sameJson(input.configuration, e.configuration)) ||
          (input.capacityProviders !== undefined && !sameJson(providers, e.capacityProviders)) ||
          (input.defaultCapacityProviderStrategy !== undefined &&
            !sameJson(strategy, e.defaultCapacityProviderStrategy));
        if (differs) {
          throw new AwsError(
            Errors.InvalidParameter,
            "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
          );
        }
        return { cluster: renderCluster(e, await clusterCounts(tx, ctx.region, name), ALL) };
      }
      const rec: ClusterRecord = {
        name,
        arn: clusterArn(ctx, name),
        status: "ACTIVE",
        createdAt: ctx.now,
        settings: settings.length > 0 ? settings : await defaultSettings(tx, ctx),
        ...(input.configuration ? { configuration: input.configuration } : {}),
        ...(input.serviceConnectDefaults?.namespace
          ? { serviceConnectDefaults: { namespace: input.serviceConnectDefaults.namespace } }
          : {}),
        capacityProviders: providers,
        defaultCapacityProviderStrategy: strategy,
        tags,
      };
      await putCluster(tx, ctx.region, rec, existing?.version ?? 0);
      return { cluster: renderCluster(rec, await clusterCounts(tx, ctx.region, name), ALL) };
    });
  };

  const describeClusters: Handler<DescribeClustersRequest, DescribeClustersResponse> = async (input, ctx) => {
    const include = includeOf(input.include);
    const ids = input.clusters ?? ["default"];
    if (ids.length > 100) throw new AwsError(Errors.InvalidParameter, "clusters can have at most 100 items.");
    return store.read(async (tx) => {
      const clusters: Cluster[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (const id of ids) {
        let name: string;
        try {
          name = clusterName(ctx, id);
        } catch {
          failures.push({ arn: id, reason: "MISSING" });
          continue;
        }
        const c = await describeOne(tx, ctx, name, include);
        if (c) clusters.push(c);
        else failures.push({ arn: clusterArn(ctx, name), reason: "MISSING" });
      }
      return { clusters, failures };
    });
  };

  const listClustersH: Handler<ListClustersRequest, ListClustersResponse> = async (input, ctx) => {
    const page = pageOf("ListClusters", input);
    return store.read(async (tx) => {
      const recs = await listActiveClusters(tx, ctx.region, {
        ...(page.after !== undefined ? { afterName: page.after } : {}),
        limit: page.limit + 1,
      });
      const { items, nextToken } = cut("ListClusters", recs, page.limit, (r) => r.value.name);
      return { clusterArns: items.map((r) => r.value.arn), ...(nextToken ? { nextToken } : {}) };
    });
  };

  const updateCluster: Handler<UpdateClusterRequest, UpdateClusterResponse> = async (input, ctx) => {
    const settings = input.settings ? validateSettings(input.settings) : undefined;
    return store.write(async (tx) => {
      const rec = await requireActive(tx, ctx, input.cluster);
      const next: ClusterRecord = { ...rec.value };
      if (settings) next.settings = mergeSettings(next.settings, settings);
      if (input.configuration) next.configuration = input.configuration;
      if (input.serviceConnectDefaults) {
        if (input.serviceConnectDefaults.namespace)
          next.serviceConnectDefaults = { namespace: input.serviceConnectDefaults.namespace };
        else delete next.serviceConnectDefaults;
      }
      await putCluster(tx, ctx.region, next, rec.version);
      return { cluster: renderCluster(next, await clusterCounts(tx, ctx.region, next.name), ALL) };
    });
  };

  const updateClusterSettings: Handler<UpdateClusterSettingsRequest, UpdateClusterSettingsResponse> = async (
    input,
    ctx,
  ) => {
    const settings = validateSettings(input.settings);
    return store.write(async (tx) => {
      const rec = await requireActive(tx, ctx, input.cluster);
      const next: ClusterRecord = { ...rec.value, settings: mergeSettings(rec.value.settings, settings) };
      await putCluster(tx, ctx.region, next, rec.version);
      return { cluster: renderCluster(next, await clusterCounts(tx, ctx.region, next.name), ALL) };
    });
  };

  const putClusterCapacityProviders: Handler<
    PutClusterCapacityProvidersRequest,
    PutClusterCapacityProvidersResponse
  > = async (input, ctx) => {
    const providers = validateProviders(input.capacityProviders);
    const strategy = validateStrategy(input.defaultCapacityProviderStrategy, providers);
    return store.write(async (tx) => {
      const rec = await requireActive(tx, ctx, input.cluster);
      const next: ClusterRecord = {
        ...rec.value,
        capacityProviders: providers,
        defaultCapacityProviderStrategy: strategy,
      };
      await putCluster(tx, ctx.region, next, rec.version);
      return { cluster: renderCluster(next, await clusterCounts(tx, ctx.region, next.name), ALL) };
    });
  };

  const deleteCluster: Handler<DeleteClusterRequest, DeleteClusterResponse> = async (input, ctx) =>
    store.write(async (tx) => {
      const name = clusterName(ctx, input.cluster);
      const found = await getCluster(tx, ctx.region, name);
      if (!found) throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
      if (found.value.status === "INACTIVE") {
        return { cluster: renderCluster(found.value, await clusterCounts(tx, ctx.region, name), ALL) };
      }
      const rec = found;
      const counts = await clusterCounts(tx, ctx.region, rec.value.name);
      if (counts.activeServicesCount > 0) {
        throw new AwsError(
          Errors.ClusterContainsServices,
          "The Cluster cannot be deleted while Services are active.",
        );
      }
      if (counts.runningTasksCount + counts.pendingTasksCount > 0) {
        throw new AwsError(
          Errors.ClusterContainsTasks,
          "The Cluster cannot be deleted while Tasks are active.",
        );
      }
      if (counts.registeredContainerInstancesCount > 0) {
        throw new AwsError(
          Errors.ClusterContainsContainerInstances,
          "The Cluster cannot be deleted while Container Instances are active or draining.",
        );
      }
      const next: ClusterRecord = { ...rec.value, status: "INACTIVE" };
      await putCluster(tx, ctx.region, next, rec.version);
      return { cluster: renderCluster(next, counts, ALL) };
    });

  return {
    CreateCluster: createCluster,
    DescribeClusters: describeClusters,
    ListClusters: listClustersH,
    UpdateCluster: updateCluster,
    UpdateClusterSettings: updateClusterSettings,
    PutClusterCapacityProviders: putClusterCapacityProviders,
    DeleteCluster: deleteCluster,
  };
}

/** Without settings, Container Insights follows the caller's containerInsights account setting. */
async function defaultSettings(tx: ReadTx, ctx: RequestContext): Promise<ClusterSetting[]> {
  const { region, accountId, principal } = ctx;
  const insights = await effectiveAccountSetting(tx, region, accountId, principal.arn, "containerInsights");
  return [{ name: "containerInsights", value: insights.value }];
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function mergeSettings(
  current: readonly ClusterSetting[],
  updates: readonly ClusterSetting[],
): ClusterSetting[] {
  const m = new Map(current.map((s) => [s.name, s.value]));
  for (const s of updates) m.set(s.name, s.value);
  return [...m].map(([name, value]) => ({ name, value }));
}
