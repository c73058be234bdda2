import type {
  DeleteTaskDefinitionsRequest,
  DeleteTaskDefinitionsResponse,
  DeregisterTaskDefinitionRequest,
  DeregisterTaskDefinitionResponse,
  DescribeTaskDefinitionRequest,
  DescribeTaskDefinitionResponse,
  Failure,
  ListTaskDefinitionFamiliesRequest,
  ListTaskDefinitionFamiliesResponse,
  ListTaskDefinitionsRequest,
  ListTaskDefinitionsResponse,
  RegisterTaskDefinitionRequest,
  RegisterTaskDefinitionResponse,
  TaskDefinition,
} from "@aws-sdk/client-ecs";
import { parseArn } from "../../domain/arn.js";
import { parseTaskDefinitionRef, type Scope, taskDefinitionArn } from "../../domain/ecs/arns.js";
import { validateTags } from "../../domain/ecs/tags.js";
import { buildTaskDefinition, type StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { K } from "../../state/ecs/kinds.js";
import {
  type FamilyRecord,
  familyKey,
  familyPrefix,
  getFamily,
  getTaskDefinition,
  latestActiveTaskDefinition,
  putFamily,
  setTaskDefinitionStatus,
  type TaskDefinitionRecord,
  taskDefinitionKey,
} from "../../state/ecs/task-definitions.js";
import { scanWhere } from "../../state/scan.js";
import type { ReadTx, Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import { cut, pageOf } from "./paging.js";
import type { TaggableType } from "./tags.js";

/** The stored form carries epoch-ms timestamps; the encoder renders them as the API's timestamps. */
const render = (td: StoredTaskDefinition) => td as unknown as TaskDefinition;

const notFound = () => new AwsError(Errors.EcsClient, "Unable to describe task definition.");

/** Find a task definition by family (latest ACTIVE), family:revision, or ARN. */
export async function resolveTaskDefinition(tx: ReadTx, scope: Scope, ref: string) {
  const { family, revision } = parseTaskDefinitionRef(scope, ref);
  return revision === undefined
    ? latestActiveTaskDefinition(tx, scope.region, family)
    : getTaskDefinition(tx, scope.region, family, revision);
}

export const taskDefinitionTaggable: TaggableType = {
  async find(tx, region, path) {
    const colon = path.lastIndexOf(":");
    const revision = Number(path.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(revision)) return undefined;
    return getTaskDefinition(tx, region, path.slice(0, colon), revision);
  },
};

const STATUSES = ["ACTIVE", "INACTIVE", "DELETE_IN_PROGRESS"];

const DOES_NOT_EXIST =
  "The specified task definition does not exist. Specify a valid account, family, revision and try again.";

/** A task definition ARN with a revision, in another region or account than `scope`. */
function isForeignRevisionArn(scope: Scope, ref: string): boolean {
  const arn = parseArn(ref);
  if (arn?.service !== "ecs" || (arn.region === scope.region && arn.accountId === scope.accountId))
    return false;
  try {
    return (
      parseTaskDefinitionRef({ region: arn.region, accountId: arn.accountId }, ref).revision !== undefined
    );
  } catch {
    return false;
  }
}

export function taskDefinitionHandlers(store: Store) {
  const register: Handler<RegisterTaskDefinitionRequest, RegisterTaskDefinitionResponse> = async (
    input,
    ctx,
  ) => {
    const tags = validateTags(input.tags);
    // Validate before taking the write lock; the revision is assigned inside the transaction.
    const draft = buildTaskDefinition(input, {
      arn: "",
      revision: 0,
      registeredAt: ctx.now,
      registeredBy: ctx.principal.arn,
    });
    const td = await store.write(async (tx) => {
      const fam = await getFamily(tx, ctx.region, draft.family);
      const revision = (fam?.value.lastRevision ?? 0) + 1;
      const next: FamilyRecord = fam
        ? { ...fam.value, lastRevision: revision, active: fam.value.active + 1 }
        : { family: draft.family, lastRevision: revision, active: 1, inactive: 0, deleting: 0 };
      await putFamily(tx, ctx.region, next, fam?.version ?? 0);
      const stored: StoredTaskDefinition = {
        ...draft,
        revision,
        taskDefinitionArn: taskDefinitionArn(ctx, draft.family, revision),
      };
      await tx.put<TaskDefinitionRecord>(
        K.taskDefinition,
        taskDefinitionKey(ctx.region, draft.family, revision),
        { td: stored, tags },
        { expectVersion: 0 },
      );
      return stored;
    });
    return { taskDefinition: render(td), ...(input.tags !== undefined ? { tags } : {}) };
  };

  const describe: Handler<DescribeTaskDefinitionRequest, DescribeTaskDefinitionResponse> = (input, ctx) => {
    // ECS refuses an unknown include value rather than ignoring it (DescribeClusters words it this way).
    for (const field of input.include ?? []) {
      if (field !== "TAGS") throw new AwsError(Errors.InvalidParameter, "include should be one of [TAGS]");
    }
    return store.read(async (tx) => {
      const rec = await resolveTaskDefinition(tx, ctx, input.taskDefinition!);
      if (!rec) throw notFound();
      const withTags = (input.include ?? []).includes("TAGS");
      return { taskDefinition: render(rec.value.td), ...(withTags ? { tags: rec.value.tags } : {}) };
    });
  };

  const list: Handler<ListTaskDefinitionsRequest, ListTaskDefinitionsResponse> = (input, ctx) => {
    const status = input.status ?? "ACTIVE";
    if (!STATUSES.includes(status))
      throw new AwsError(Errors.InvalidParameter, `status should be one of [${STATUSES.join(",")}]`);
    if (input.sort !== undefined && input.sort !== "ASC" && input.sort !== "DESC") {
      throw new AwsError(Errors.InvalidParameter, "sort should be one of [ASC,DESC]");
    }
    // A token only continues the listing it came from (same filters and order).
    const listId = `ListTaskDefinitions|${status}|${input.familyPrefix ?? ""}|${input.sort ?? "ASC"}`;
    const page = pageOf(listId, input);
    const reverse = input.sort === "DESC";
    const prefix = input.familyPrefix ? familyPrefix(ctx.region, input.familyPrefix) : `${ctx.region}/`;
    return store.read(async (tx) => {
      const recs = await scanWhere<TaskDefinitionRecord>(
        tx,
        K.taskDefinition,
        { prefix, reverse, ...(page.after !== undefined ? { after: page.after } : {}) },
        (r) => r.td.status === status,
        page.limit + 1,
      );
      const { items, nextToken } = cut(listId, recs, page.limit, (r) => r.key);
      return {
        taskDefinitionArns: items.map((r) => r.value.td.taskDefinitionArn),
        ...(nextToken ? { nextToken } : {}),
      };
    });
  };

  const listFamilies: Handler<ListTaskDefinitionFamiliesRequest, ListTaskDefinitionFamiliesResponse> = (
    input,
    ctx,
  ) => {
    const status = input.status ?? "ALL";
    if (!["ACTIVE", "INACTIVE", "ALL"].includes(status)) {
      throw new AwsError(Errors.InvalidParameter, "status should be one of [ACTIVE,INACTIVE,ALL]");
    }
    const listId = `ListTaskDefinitionFamilies|${status}|${input.familyPrefix ?? ""}`;
    const page = pageOf(listId, input);
    const match = (f: FamilyRecord) => {
      if (status === "ACTIVE") return f.active > 0;
      if (status === "INACTIVE") return f.active === 0 && f.inactive + f.deleting > 0;
      return f.active + f.inactive + f.deleting > 0;
    };
    return store.read(async (tx) => {
      const recs = await scanWhere<FamilyRecord>(
        tx,
        K.family,
        {
          prefix: familyKey(ctx.region, input.familyPrefix ?? ""),
          ...(page.after !== undefined ? { after: page.after } : {}),
        },
        match,
        page.limit + 1,
      );
      const { items, nextToken } = cut(listId, recs, page.limit, (r) => r.key);
      return { families: items.map((r) => r.value.family), ...(nextToken ? { nextToken } : {}) };
    });
  };

  const deregister: Handler<DeregisterTaskDefinitionRequest, DeregisterTaskDefinitionResponse> = (
    input,
    ctx,
  ) => {
    const { family, revision } = parseTaskDefinitionRef(ctx, input.taskDefinition!);
    if (revision === undefined) throw new AwsError(Errors.EcsClient, "Revision is missing.");
    return store.write(async (tx) => {
      const rec = await getTaskDefinition(tx, ctx.region, family, revision);
      if (!rec) throw notFound();
      if (rec.value.td.status !== "ACTIVE") return { taskDefinition: render(rec.value.td) };
      const next: StoredTaskDefinition = { ...rec.value.td, status: "INACTIVE", deregisteredAt: ctx.now };
      await setTaskDefinitionStatus(tx, ctx.region, rec, next);
      return { taskDefinition: render(next) };
    });
  };

  const deleteMany: Handler<DeleteTaskDefinitionsRequest, DeleteTaskDefinitionsResponse> = (input, ctx) => {
    const refs = input.taskDefinitions ?? [];
    if (refs.length === 0)
      throw new AwsError(
        Errors.InvalidParameter,
        "size of TaskDefinition references list must be greater than 0",
      );
    if (refs.length > 10)
      throw new AwsError(Errors.InvalidParameter, "Size of TaskDefinition references list cannot exceed 10");
    return store.write(async (tx) => {
      const taskDefinitions: TaskDefinition[] = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        // A well-formed ARN of another region or account names a revision that does not exist here.
        if (isForeignRevisionArn(ctx, ref)) {
          failures.push({ arn: ref, reason: DOES_NOT_EXIST });
          continue;
        }
        let parsed: { family: string; revision?: number };
        try {
          parsed = parseTaskDefinitionRef(ctx, ref);
        } catch {
          parsed = { family: "" };
        }
        if (parsed.revision === undefined) {
          failures.push({
            arn: ref,
            reason:
              "The specified task definition identifier is invalid. Specify a valid name or ARN and try again.",
          });
          continue;
        }
        const rec = await getTaskDefinition(tx, ctx.region, parsed.family, parsed.revision);
        if (!rec) {
          failures.push({ arn: ref, reason: DOES_NOT_EXIST });
          continue;
        }
        if (rec.value.td.status === "ACTIVE") {
          failures.push({
            arn: ref,
            reason:
              "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
          });
          continue;
        }
        if (rec.value.td.status === "DELETE_IN_PROGRESS") {
          taskDefinitions.push(render(rec.value.td));
          continue;
        }
        const next: StoredTaskDefinition = {
          ...rec.value.td,
          status: "DELETE_IN_PROGRESS",
          deleteRequestedAt: ctx.now,
        };
        await setTaskDefinitionStatus(tx, ctx.region, rec, next);
        taskDefinitions.push(render(next));
      }
      return { taskDefinitions, failures };
    });
  };

  return {
    RegisterTaskDefinition: register,
    DescribeTaskDefinition: describe,
    ListTaskDefinitions: list,
    ListTaskDefinitionFamilies: listFamilies,
    DeregisterTaskDefinition: deregister,
    DeleteTaskDefinitions: deleteMany,
  };
}
