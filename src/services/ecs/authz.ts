/**
 * What ECS's operations act on, for IAM authorization (Service Authorization Reference, Amazon
 * ECS): clusters, task definitions (RunTask/StartTask resolve a family without revision to its
 * latest active revision first, as ECS has since March 2024), tasks and container instances by ARN,
 * with ecs:cluster in the context; cluster tags for aws:ResourceTag; request tags for
 * aws:RequestTag and aws:TagKeys. Operations not listed act on `*`.
 *
 * Resolvers never throw on malformed identifiers: they name what the request names, and the
 * handler reports the error after authorization.
 */
import type { Tag } from "@aws-sdk/client-ecs";
import { clusterArn, parseTaskDefinitionRef, type Scope, taskDefinitionArn } from "../../domain/ecs/arns.js";
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import { ECS_TASKS_PRINCIPAL } from "../../identity/task-roles.js";
import { clusterKey, getCluster } from "../../state/ecs/clusters.js";
import { K } from "../../state/ecs/kinds.js";
import { getTaskDefinitionByArn, latestActiveTaskDefinition } from "../../state/ecs/task-definitions.js";
import { recordCache } from "../../state/record-cache.js";
import type { Store } from "../../state/store.js";
import type { AuthzCheck, AuthzInfo, AuthzResolver, ServiceAuthorization } from "../service.js";

type Input = Record<string, unknown>;
/** A task definition reference as authorization resolved it. */
interface TdRef {
  arn: string;
  pinTo?: string;
  td?: StoredTaskDefinition;
}

const scopeOf = (info: AuthzInfo): Scope => ({ region: info.region, accountId: info.accountId });

const nameOf = (identifier: string): string => identifier.slice(identifier.lastIndexOf("/") + 1);

function clusterRef(info: AuthzInfo, identifier: unknown): string {
  const id = typeof identifier === "string" && identifier !== "" ? identifier : "default";
  return id.startsWith("arn:") ? id : clusterArn(scopeOf(info), id);
}

/** A task or container instance given by id or ARN, in a cluster. */
function inClusterRef(
  info: AuthzInfo,
  type: "task" | "container-instance",
  cluster: unknown,
  id: string,
): string {
  if (id.startsWith("arn:")) return id;
  const name = nameOf(clusterRef(info, cluster));
  return `arn:aws:ecs:${info.region}:${info.accountId}:${type}/${name}/${id}`;
}

function requestTags(tags: unknown): Record<string, string | string[]> {
  const list = (tags as Tag[] | undefined) ?? [];
  const out: Record<string, string | string[]> = { "aws:TagKeys": list.map((t) => t.key ?? "") };
  for (const t of list) out[`aws:RequestTag/${t.key}`] = t.value ?? "";
  return out;
}

export function ecsAuthorization(store: Store): ServiceAuthorization {
  // Clusters' tags, for aws:ResourceTag conditions, cached until the cluster record changes.
  const tagCache = recordCache<Record<string, string> | undefined>(store, K.cluster);
  const clusterTags = (info: AuthzInfo, arn: string) => () => {
    const name = nameOf(arn);
    return tagCache.get(clusterKey(info.region, name), async () => {
      const rec = await store.read((tx) => getCluster(tx, info.region, name));
      return rec ? Object.fromEntries(rec.value.tags.map((t) => [t.key ?? "", t.value ?? ""])) : undefined;
    });
  };
  const cluster =
    (member: string): AuthzResolver<Input> =>
    (input, info) => {
      const arn = clusterRef(info, input[member]);
      return [{ resource: arn, tags: clusterTags(info, arn) }];
    };
  const eachCluster: AuthzResolver<Input> = (input, info) => {
    const ids = (input.clusters as string[] | undefined) ?? ["default"];
    return ids.map((id) => {
      const arn = clusterRef(info, id);
      return { resource: arn, tags: clusterTags(info, arn) };
    });
  };
  const inCluster =
    (type: "task" | "container-instance", member: string): AuthzResolver<Input> =>
    (input, info) => {
      const value = input[member];
      const ids = Array.isArray(value) ? (value as string[]) : typeof value === "string" ? [value] : [];
      const context = { "ecs:cluster": clusterRef(info, input.cluster) };
      return ids.map(
        (id): AuthzCheck => ({ resource: inClusterRef(info, type, input.cluster, id), context }),
      );
    };
  /**
   * The task definition ARN a family, family:revision or ARN (with or without a revision) names: a
   * family alone names its latest active revision (`td`, as read). `pinTo`: for a reference without a
   * revision, what the input is pinned to (see `pin`).
   */
  const taskDefinitionRef = async (info: AuthzInfo, value: unknown): Promise<TdRef> => {
    const ref = String(value ?? "");
    let parsed: { family: string; revision?: number };
    try {
      parsed = parseTaskDefinitionRef(scopeOf(info), ref);
    } catch {
      // The handler answers the malformed reference; nothing runs.
      return {
        arn: ref.startsWith("arn:")
          ? ref
          : `arn:aws:ecs:${info.region}:${info.accountId}:task-definition/${ref}`,
      };
    }
    if (parsed.revision !== undefined)
      return { arn: taskDefinitionArn(scopeOf(info), parsed.family, parsed.revision) };
    const latest = await store.read((tx) => latestActiveTaskDefinition(tx, info.region, parsed.family));
    if (latest) {
      const arn = latest.value.td.taskDefinitionArn;
      return { arn, pinTo: arn, td: latest.value.td };
    }
    return {
      arn: `arn:aws:ecs:${info.region}:${info.accountId}:task-definition/${parsed.family}:*`,
      // A revision that cannot exist: the handler answers that the task definition does not.
      pinTo: taskDefinitionArn(scopeOf(info), parsed.family, Number.MAX_SAFE_INTEGER),
    };
  };
  /**
   * Pin a reference without a revision to the revision authorization saw, so that the handler runs
   * exactly the task definition whose roles were checked (a revision registered in between would
   * otherwise run with roles nobody passed). A family with no revision yet is pinned to one that
   * cannot exist, so the handler answers that it does not exist.
   */
  const pin = (input: Input, ref: TdRef) => {
    if (ref.pinTo) input.taskDefinition = ref.pinTo;
  };
  /** Launching a task hands its roles to ECS: iam:PassRole on each, as ECS checks it. */
  const passRoles = async (info: AuthzInfo, ref: TdRef, overrides: unknown): Promise<AuthzCheck[]> => {
    const o = (overrides ?? {}) as { taskRoleArn?: unknown; executionRoleArn?: unknown };
    const td =
      ref.td ??
      (ref.arn.endsWith(":*")
        ? undefined
        : (await store.read((tx) => getTaskDefinitionByArn(tx, info.region, ref.arn)))?.value.td);
    const roles = [o.taskRoleArn ?? td?.taskRoleArn, o.executionRoleArn ?? td?.executionRoleArn];
    return [...new Set(roles.filter((r): r is string => typeof r === "string" && r !== ""))].map(
      (resource) => ({
        action: "iam:PassRole",
        resource,
        context: { "iam:PassedToService": ECS_TASKS_PRINCIPAL },
      }),
    );
  };
  const launch: AuthzResolver<Input> = async (input, info) => {
    const ref = await taskDefinitionRef(info, input.taskDefinition);
    pin(input, ref);
    const resource = ref.arn;
    const context: Record<string, string | string[]> = {
      "ecs:cluster": clusterRef(info, input.cluster),
      ...requestTags(input.tags),
    };
    if (Array.isArray(input.containerInstances)) {
      context["ecs:container-instances"] = (input.containerInstances as string[]).map((id) =>
        inClusterRef(info, "container-instance", input.cluster, id),
      );
    }
    return [{ resource, context }, ...(await passRoles(info, ref, input.overrides))];
  };
  /** CreateService and UpdateService: their own action, and iam:PassRole on the task definition's roles. */
  const serviceLaunch: AuthzResolver<Input> = async (input, info) => {
    const clusterArnOf = clusterRef(info, input.cluster);
    const name = String(input.serviceName ?? input.service ?? "");
    const resource = name.startsWith("arn:")
      ? name
      : `arn:aws:ecs:${info.region}:${info.accountId}:service/${nameOf(clusterArnOf)}/${name}`;
    const own: AuthzCheck = {
      resource,
      context: { "ecs:cluster": clusterArnOf, ...requestTags(input.tags) },
    };
    if (input.taskDefinition === undefined) return [own];
    const ref = await taskDefinitionRef(info, input.taskDefinition);
    pin(input, ref);
    return [own, ...(await passRoles(info, ref, undefined))];
  };
  const anyInCluster: AuthzResolver<Input> = (input, info) => [
    { resource: "*", context: { "ecs:cluster": clusterRef(info, input.cluster) } },
  ];
  const taggable =
    (member: "tags" | "tagKeys"): AuthzResolver<Input> =>
    (input) => {
      const arn = String(input.resourceArn ?? "");
      const context =
        member === "tags"
          ? requestTags(input.tags)
          : { "aws:TagKeys": (input.tagKeys as string[] | undefined) ?? [] };
      return [{ resource: arn, context }];
    };
  const deleteTaskDefinitions: AuthzResolver<Input> = (input, info) =>
    ((input.taskDefinitions as string[] | undefined) ?? []).map((ref) => ({
      resource: ref.startsWith("arn:")
        ? ref
        : `arn:aws:ecs:${info.region}:${info.accountId}:task-definition/${ref}`,
    }));

  const operations: Record<string, AuthzResolver<Input>> = {
    CreateCluster: (input, info) => [
      {
        resource: clusterArn(scopeOf(info), String(input.clusterName ?? "default")),
        context: requestTags(input.tags),
      },
    ],
    DescribeClusters: eachCluster,
    DeleteCluster: cluster("cluster"),
    UpdateCluster: cluster("cluster"),
    UpdateClusterSettings: cluster("cluster"),
    PutClusterCapacityProviders: cluster("cluster"),
    ListContainerInstances: cluster("cluster"),
    DeregisterContainerInstance: cluster("cluster"),
    DescribeContainerInstances: inCluster("container-instance", "containerInstances"),
    RegisterTaskDefinition: (input) => [{ resource: "*", context: requestTags(input.tags) }],
    DeleteTaskDefinitions: deleteTaskDefinitions,
    RunTask: launch,
    CreateService: serviceLaunch,
    UpdateService: serviceLaunch,
    StartTask: launch,
    StopTask: inCluster("task", "task"),
    DescribeTasks: inCluster("task", "tasks"),
    ListTasks: anyInCluster,
    TagResource: taggable("tags"),
    UntagResource: taggable("tagKeys"),
    ListTagsForResource: (input) => [{ resource: String(input.resourceArn ?? "") }],
  };
  return { operations: operations as ServiceAuthorization["operations"] };
}
