/**
 * TagResource, UntagResource and ListTagsForResource. Each taggable ARN type registers how to
 * find its record; later resource types (tasks, services, container instances) add theirs.
 */
import type {
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  Tag,
  TagResourceRequest,
  TagResourceResponse,
  UntagResourceRequest,
  UntagResourceResponse,
} from "@aws-sdk/client-ecs";
import { parseArn } from "../../domain/arn.js";
import { mergeTags, removeTags } from "../../domain/ecs/tags.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { ReadTx, Store, StoredRecord, WriteTx } from "../../state/store.js";
import type { Handler } from "../service.js";

/** How to reach the tags of one ARN resource type (the part before the first slash). */
export interface TaggableType {
  /** The record holding the tags, or undefined when the resource does not exist. */
  find(tx: ReadTx, region: string, resourcePath: string): Promise<StoredRecord<{ tags: Tag[] }> | undefined>;
}

const notFound = (arn: string) =>
  new AwsError(Errors.ResourceNotFound, `The specified resource could not be found: ${arn}`);

export function tagHandlers(store: Store, types: Readonly<Record<string, TaggableType>>) {
  async function locate(tx: ReadTx, region: string, accountId: string, arn: string) {
    const parsed = parseArn(arn);
    if (parsed?.service !== "ecs") {
      throw new AwsError(Errors.InvalidParameter, `The ARN '${arn}' is not a valid ECS resource ARN.`);
    }
    if (parsed.region !== region || parsed.accountId !== accountId) throw notFound(arn);
    const slash = parsed.resource.indexOf("/");
    const name = slash < 0 ? parsed.resource : parsed.resource.slice(0, slash);
    const type = Object.hasOwn(types, name) ? types[name] : undefined; // never `constructor`
    if (!type)
      throw new AwsError(
        Errors.InvalidParameter,
        `The ARN '${arn}' names a resource type that cannot be tagged.`,
      );
    const rec = await type.find(tx, region, parsed.resource.slice(slash + 1));
    if (!rec) throw notFound(arn);
    return rec;
  }

  async function rewrite(tx: WriteTx, rec: StoredRecord<{ tags: Tag[] }>, tags: Tag[]) {
    await tx.put(rec.kind, rec.key, { ...rec.value, tags }, { expectVersion: rec.version });
  }

  const tagResource: Handler<TagResourceRequest, TagResourceResponse> = (input, ctx) =>
    store.write(async (tx) => {
      const rec = await locate(tx, ctx.region, ctx.accountId, input.resourceArn!);
      await rewrite(tx, rec, mergeTags(rec.value.tags ?? [], input.tags ?? []));
      return {};
    });

  const untagResource: Handler<UntagResourceRequest, UntagResourceResponse> = (input, ctx) =>
    store.write(async (tx) => {
      const rec = await locate(tx, ctx.region, ctx.accountId, input.resourceArn!);
      await rewrite(tx, rec, removeTags(rec.value.tags ?? [], input.tagKeys ?? []));
      return {};
    });

  const listTagsForResource: Handler<ListTagsForResourceRequest, ListTagsForResourceResponse> = (
    input,
    ctx,
  ) =>
    store.read(async (tx) => {
      const rec = await locate(tx, ctx.region, ctx.accountId, input.resourceArn!);
      return { tags: rec.value.tags ?? [] };
    });

  return { TagResource: tagResource, UntagResource: untagResource, ListTagsForResource: listTagsForResource };
}
