/** AddTagsToResource, RemoveTagsFromResource and ListTagsForResource, for parameters. */
import type {
  AddTagsToResourceRequest,
  AddTagsToResourceResult,
  ListTagsForResourceRequest,
  ListTagsForResourceResult,
  RemoveTagsFromResourceRequest,
  RemoveTagsFromResourceResult,
} from "@aws-sdk/client-ssm";
import { parseReference } from "../../domain/ssm/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getParameter, putParameter } from "../../state/ssm/parameters.js";
import type { ReadTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { Constraints, mergeTags, type SsmDeps, validateTags } from "./common.js";

const RESOURCE_TYPES = [
  "Document",
  "ManagedInstance",
  "MaintenanceWindow",
  "Parameter",
  "PatchBaseline",
  "OpsItem",
  "OpsMetadata",
  "Automation",
  "Association",
];

const invalidId = () =>
  new AwsError(
    Errors.InvalidResourceId,
    "The resource ID is not valid. Verify that you entered the correct ID and try again.",
  );

/** The parameter a tagging call names. Berth has no other taggable SSM resources, so others do not exist. */
async function locate(tx: ReadTx, ctx: RequestContext, type: string | undefined, id: string) {
  const c = new Constraints();
  c.oneOf("resourceType", type, RESOURCE_TYPES);
  c.throwIfAny();
  if (type !== "Parameter") throw invalidId();
  const ref = parseReference(id, ctx.region, ctx.accountId);
  const rec = ref && !ref.selector ? await getParameter(tx, ctx.region, ref.name) : undefined;
  if (!rec) throw invalidId();
  return rec;
}

export function tagHandlers(deps: SsmDeps) {
  const { store } = deps;

  const add: Handler<AddTagsToResourceRequest, AddTagsToResourceResult> = async (input, ctx) => {
    const c = new Constraints();
    validateTags(c, input.Tags);
    c.throwIfAny();
    return store.write(async (tx) => {
      const rec = await locate(tx, ctx, input.ResourceType, input.ResourceId!);
      const tags = mergeTags(rec.value.tags, input.Tags ?? []);
      await putParameter(tx, ctx.region, { ...rec.value, tags }, rec.version);
      return {};
    });
  };

  const remove: Handler<RemoveTagsFromResourceRequest, RemoveTagsFromResourceResult> = async (input, ctx) =>
    store.write(async (tx) => {
      const rec = await locate(tx, ctx, input.ResourceType, input.ResourceId!);
      const drop = new Set(input.TagKeys ?? []);
      const tags = rec.value.tags.filter((t) => !drop.has(t.Key));
      await putParameter(tx, ctx.region, { ...rec.value, tags }, rec.version);
      return {};
    });

  const list: Handler<ListTagsForResourceRequest, ListTagsForResourceResult> = async (input, ctx) =>
    store.read(async (tx) => {
      const rec = await locate(tx, ctx, input.ResourceType, input.ResourceId!);
      return { TagList: rec.value.tags };
    });

  return { AddTagsToResource: add, RemoveTagsFromResource: remove, ListTagsForResource: list };
}
