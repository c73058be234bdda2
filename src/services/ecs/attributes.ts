/**
 * Custom attributes on container instances (PutAttributes, DeleteAttributes, ListAttributes), used
 * by memberOf constraints and spread strategies. The agent's own attributes (ecs.*,
 * com.amazonaws.ecs.*) are read-only here.
 */
import type {
  Attribute,
  DeleteAttributesRequest,
  DeleteAttributesResponse,
  ListAttributesRequest,
  ListAttributesResponse,
  PutAttributesRequest,
  PutAttributesResponse,
} from "@aws-sdk/client-ecs";
import { clusterName } from "../../domain/ecs/arns.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getCluster } from "../../state/ecs/clusters.js";
import {
  type ContainerInstanceRecord,
  getInstance,
  listInstances,
  putInstance,
} from "../../state/ecs/container-instances.js";
import type { ReadTx, Store, StoredRecord, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { parseInstanceRef } from "./container-instances.js";
import { cut, pageOf } from "./paging.js";

const NAME = /^[a-zA-Z0-9_.\-/]{1,128}$/;
const VALUE = /^[a-zA-Z0-9_.@\-/\\: ]{1,128}$/;
/** Custom attributes per container instance, as ECS limits them. */
export const MAX_CUSTOM_ATTRIBUTES = 10;

const isBuiltIn = (name: string) => name.startsWith("ecs.") || name.startsWith("com.amazonaws.ecs.");
const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

async function clusterOf(tx: ReadTx, ctx: RequestContext, id: string | undefined): Promise<string> {
  const name = clusterName(ctx, id);
  const c = await getCluster(tx, ctx.region, name);
  if (c?.value.status !== "ACTIVE") throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
  return name;
}

function checkAttributes(attrs: readonly Attribute[] | undefined): readonly Attribute[] {
  const list = attrs ?? [];
  if (list.length === 0) throw invalid("Attributes cannot be empty.");
  if (list.length > 10) throw invalid("attributes can have at most 10 items.");
  for (const a of list) {
    if (!a.name || !NAME.test(a.name))
      throw invalid(
        `Attribute name '${a.name ?? ""}' is invalid: up to 128 letters, numbers, hyphens, underscores, periods and slashes.`,
      );
    if (a.value !== undefined && !VALUE.test(a.value))
      throw invalid(`Attribute value '${a.value}' is invalid.`);
    if ((a.targetType ?? "container-instance") !== "container-instance")
      throw invalid("targetType should be one of [container-instance]");
    if (!a.targetId) throw invalid("Attribute targetId should not be null or empty.");
  }
  return list;
}

async function target(
  tx: WriteTx,
  ctx: RequestContext,
  cluster: string,
  a: Attribute,
): Promise<StoredRecord<ContainerInstanceRecord>> {
  const ref = parseInstanceRef(ctx, a.targetId!);
  const rec =
    ref && (!ref.cluster || ref.cluster === cluster)
      ? await getInstance(tx, ctx.region, cluster, ref.id)
      : undefined;
  if (!rec || rec.value.status === "INACTIVE") {
    throw new AwsError(Errors.EcsTargetNotFound, `Could not find resource ${a.targetId}`);
  }
  return rec;
}

export function attributeHandlers(store: Store) {
  const put: Handler<PutAttributesRequest, PutAttributesResponse> = (input, ctx) => {
    const attrs = checkAttributes(input.attributes);
    return store.write(async (tx) => {
      const cluster = await clusterOf(tx, ctx, input.cluster);
      for (const a of attrs) {
        const rec = await target(tx, ctx, cluster, a);
        const current = (await getInstance(tx, ctx.region, cluster, rec.value.id))!;
        const others = current.value.attributes.filter((x) => x.name !== a.name);
        const next = [...others, { name: a.name!, ...(a.value !== undefined ? { value: a.value } : {}) }];
        if (next.filter((x) => !isBuiltIn(x.name!)).length > MAX_CUSTOM_ATTRIBUTES) {
          throw new AwsError(
            Errors.EcsAttributeLimitExceeded,
            `You can have at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes per container instance.`,
          );
        }
        if (
          isBuiltIn(a.name!) &&
          !current.value.attributes.some((x) => x.name === a.name && x.value === a.value)
        ) {
          throw invalid(
            `Attributes with the ecs. prefix are managed by the agent and cannot be changed: ${a.name}`,
          );
        }
        await putInstance(tx, ctx.region, { ...current.value, attributes: next }, current.version);
      }
      return { attributes: attrs.map((a) => ({ ...a, targetType: "container-instance" })) };
    });
  };

  const del: Handler<DeleteAttributesRequest, DeleteAttributesResponse> = (input, ctx) => {
    const attrs = checkAttributes(input.attributes);
    return store.write(async (tx) => {
      const cluster = await clusterOf(tx, ctx, input.cluster);
      for (const a of attrs) {
        const rec = await target(tx, ctx, cluster, a);
        if (isBuiltIn(a.name!))
          throw invalid(
            `Attributes with the ecs. prefix are managed by the agent and cannot be deleted: ${a.name}`,
          );
        const current = (await getInstance(tx, ctx.region, cluster, rec.value.id))!;
        await putInstance(
          tx,
          ctx.region,
          { ...current.value, attributes: current.value.attributes.filter((x) => x.name !== a.name) },
          current.version,
        );
      }
      return { attributes: attrs.map((a) => ({ ...a, targetType: "container-instance" })) };
    });
  };

  const list: Handler<ListAttributesRequest, ListAttributesResponse> = (input, ctx) => {
    if (input.targetType !== "container-instance")
      throw invalid("targetType should be one of [container-instance]");
    if (input.attributeValue !== undefined && input.attributeName === undefined) {
      throw invalid("attributeName must be specified when attributeValue is.");
    }
    const listId = `ListAttributes|${input.attributeName ?? ""}|${input.attributeValue ?? ""}`;
    const page = pageOf(listId, input);
    return store.read(async (tx) => {
      const cluster = await clusterOf(tx, ctx, input.cluster);
      const all: (Attribute & { key: string })[] = [];
      for (const r of await listInstances(tx, ctx.region, cluster)) {
        if (r.value.status === "INACTIVE") continue;
        for (const a of r.value.attributes) {
          if (input.attributeName !== undefined && a.name !== input.attributeName) continue;
          if (input.attributeValue !== undefined && a.value !== input.attributeValue) continue;
          all.push({
            key: `${r.value.id}|${a.name}`,
            name: a.name!,
            ...(a.value !== undefined ? { value: a.value } : {}),
            targetType: "container-instance",
            targetId: r.value.arn,
          });
        }
      }
      all.sort((x, y) => (x.key < y.key ? -1 : 1));
      const rest = page.after === undefined ? all : all.filter((x) => x.key > page.after!);
      const { items, nextToken } = cut(listId, rest.slice(0, page.limit + 1), page.limit, (x) => x.key);
      return { attributes: items.map(({ key: _key, ...a }) => a), ...(nextToken ? { nextToken } : {}) };
    });
  };

  return { PutAttributes: put, DeleteAttributes: del, ListAttributes: list };
}
