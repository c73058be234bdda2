/**
 * Tags of log groups: the deprecated TagLogGroup family (by name) and TagResource family (by the
 * log group ARN without `:*`). Destinations, the other taggable Logs resource, do not exist in Berth.
 */
import type {
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  ListTagsLogGroupRequest,
  ListTagsLogGroupResponse,
  TagLogGroupRequest,
  TagResourceRequest,
  UntagLogGroupRequest,
  UntagResourceRequest,
} from "@aws-sdk/client-cloudwatch-logs";
import { parseArn } from "../../domain/arn.js";
import { GROUP_NOT_FOUND } from "../../domain/logs/arns.js";
import { MAX_TAGS, validateTagKeys, validateTagMap, violations } from "../../domain/logs/constraints.js";
import { AwsError, type ErrorDef, Errors } from "../../errors/catalog.js";
import { putGroup } from "../../state/logs/groups.js";
import type { Store } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { requireGroup, type With } from "./common.js";

/** The log group a tagging ARN names. */
function groupOfArn(ctx: RequestContext, arnText: string): string {
  const arn = parseArn(arnText);
  if (arn?.service !== "logs") throw new AwsError(Errors.InvalidParameter, `Invalid ARN: ${arnText}`);
  if (arn.region !== ctx.region || arn.accountId !== ctx.accountId)
    throw new AwsError(Errors.ResourceNotFound, GROUP_NOT_FOUND);
  const m = /^log-group:([^:]+)$/.exec(arn.resource);
  if (!m) {
    if (arn.resource.startsWith("destination:"))
      throw new AwsError(Errors.ResourceNotFound, "The specified destination does not exist.");
    throw new AwsError(Errors.InvalidParameter, `Invalid ARN: ${arnText}`);
  }
  return m[1]!;
}

export function tagHandlers(store: Store) {
  const addTags = (ctx: RequestContext, group: string, tags: Record<string, string>, tooMany: ErrorDef) =>
    store.write(async (tx) => {
      const g = await requireGroup(tx, ctx.region, group);
      const merged = { ...g.value.tags, ...tags };
      if (Object.keys(merged).length > MAX_TAGS) {
        throw new AwsError(tooMany, `A resource can have no more than ${MAX_TAGS} tags.`, {
          ...(tooMany === Errors.TooManyTags ? { resourceName: group } : {}),
        });
      }
      await putGroup(tx, ctx.region, { ...g.value, tags: merged }, g.version);
    });

  const removeTags = (ctx: RequestContext, group: string, keys: readonly string[]) =>
    store.write(async (tx) => {
      const g = await requireGroup(tx, ctx.region, group);
      const tags = { ...g.value.tags };
      for (const k of keys) delete tags[k];
      await putGroup(tx, ctx.region, { ...g.value, tags }, g.version);
    });

  const listTags = (ctx: RequestContext, group: string) =>
    store.read(async (tx) => ({ tags: (await requireGroup(tx, ctx.region, group)).value.tags }));

  const tagLogGroup: Handler<With<TagLogGroupRequest, "logGroupName" | "tags">, object> = async (
    input,
    ctx,
  ) => {
    const v = violations().groupName("logGroupName", input.logGroupName);
    validateTagMap(v, "tags", input.tags);
    v.throwIfAny();
    await addTags(ctx, input.logGroupName, input.tags, Errors.InvalidParameter);
    return {};
  };

  const untagLogGroup: Handler<With<UntagLogGroupRequest, "logGroupName" | "tags">, object> = async (
    input,
    ctx,
  ) => {
    const v = violations().groupName("logGroupName", input.logGroupName).length("tags", input.tags, 1);
    validateTagKeys(v, "tags", input.tags);
    v.throwIfAny();
    await removeTags(ctx, input.logGroupName, input.tags);
    return {};
  };

  const listTagsLogGroup: Handler<
    With<ListTagsLogGroupRequest, "logGroupName">,
    ListTagsLogGroupResponse
  > = async (input, ctx) => {
    violations().groupName("logGroupName", input.logGroupName).throwIfAny();
    return listTags(ctx, input.logGroupName);
  };

  const tagResource: Handler<With<TagResourceRequest, "resourceArn" | "tags">, object> = async (
    input,
    ctx,
  ) => {
    const v = violations().resourceArn("resourceArn", input.resourceArn);
    validateTagMap(v, "tags", input.tags);
    v.throwIfAny();
    await addTags(ctx, groupOfArn(ctx, input.resourceArn), input.tags, Errors.TooManyTags);
    return {};
  };

  const untagResource: Handler<With<UntagResourceRequest, "resourceArn" | "tagKeys">, object> = async (
    input,
    ctx,
  ) => {
    const v = violations().resourceArn("resourceArn", input.resourceArn);
    validateTagKeys(v, "tagKeys", input.tagKeys);
    v.throwIfAny();
    await removeTags(ctx, groupOfArn(ctx, input.resourceArn), input.tagKeys);
    return {};
  };

  const listTagsForResource: Handler<
    With<ListTagsForResourceRequest, "resourceArn">,
    ListTagsForResourceResponse
  > = async (input, ctx) => {
    violations().resourceArn("resourceArn", input.resourceArn).throwIfAny();
    return listTags(ctx, groupOfArn(ctx, input.resourceArn));
  };

  return {
    TagLogGroup: tagLogGroup,
    UntagLogGroup: untagLogGroup,
    ListTagsLogGroup: listTagsLogGroup,
    TagResource: tagResource,
    UntagResource: untagResource,
    ListTagsForResource: listTagsForResource,
  };
}
