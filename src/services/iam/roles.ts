/** IAM roles: CreateRole, GetRole, ListRoles, DeleteRole, updates, trust policies and tags. */
import type {
  CreateRoleRequest,
  CreateRoleResponse,
  DeleteRoleRequest,
  GetRoleRequest,
  GetRoleResponse,
  ListRolesRequest,
  ListRolesResponse,
  ListRoleTagsRequest,
  ListRoleTagsResponse,
  TagRoleRequest,
  UntagRoleRequest,
  UpdateAssumeRolePolicyRequest,
  UpdateRoleDescriptionRequest,
  UpdateRoleDescriptionResponse,
  UpdateRoleRequest,
} from "@aws-sdk/client-iam";
import {
  checkLength,
  checkName,
  checkPath,
  checkPathPrefix,
  checkRange,
  iamId,
  roleArn,
} from "../../domain/iam/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { IAM } from "../../state/iam/kinds.js";
import type { RoleRecord } from "../../state/iam/records.js";
import { deleteRole, getRole, listPrincipals, putRole } from "../../state/iam/users.js";
import type { Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import {
  decodeMarker,
  encodeMarker,
  maxItems,
  mergeTags,
  mustGetRole,
  page,
  removeTags,
  roleOut,
} from "./common.js";
import { checkTrustPolicy } from "./policy-checks.js";

export const DEFAULT_MAX_SESSION = 3600;
const MAX_SESSION_MIN = 3600;
const MAX_SESSION_MAX = 43200;

function checkDescription(d: string | undefined): void {
  checkLength("description", d, 0, 1000);
}

export function roleHandlers(store: Store): Record<string, Handler> {
  const create: Handler<CreateRoleRequest, CreateRoleResponse> = async (input, ctx) => {
    const name = input.RoleName!;
    checkName("roleName", name, 64);
    const path = checkPath("path", input.Path);
    checkDescription(input.Description);
    checkRange("maxSessionDuration", input.MaxSessionDuration, MAX_SESSION_MIN, MAX_SESSION_MAX);
    if (input.PermissionsBoundary !== undefined) {
      throw new AwsError(
        Errors.NotImplemented,
        "Berth does not implement permissions boundaries (PermissionsBoundary).",
      );
    }
    const tags = mergeTags([], input.Tags);
    const trust = input.AssumeRolePolicyDocument!;
    return store.write(async (tx) => {
      if (await getRole(tx, name)) {
        throw new AwsError(Errors.EntityAlreadyExists, `Role with name ${name} already exists.`);
      }
      await checkTrustPolicy(tx, trust, ctx.accountId);
      const rec: RoleRecord = {
        name,
        id: iamId("AROA"),
        arn: roleArn(ctx.accountId, path, name),
        path,
        createDate: ctx.now,
        tags,
        attached: [],
        inline: {},
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        maxSessionDuration: input.MaxSessionDuration ?? DEFAULT_MAX_SESSION,
        assumeRolePolicy: trust,
      };
      await putRole(tx, rec, 0);
      const out = roleOut(rec, false);
      return { Role: { ...out, ...(rec.tags.length > 0 ? { Tags: rec.tags } : {}) } };
    });
  };

  const get: Handler<GetRoleRequest, GetRoleResponse> = async (input) => {
    const rec = await store.read((tx) => mustGetRole(tx, input.RoleName!));
    return { Role: roleOut(rec.value, true) };
  };

  const list: Handler<ListRolesRequest, ListRolesResponse> = async (input) => {
    const prefix = checkPathPrefix("pathPrefix", input.PathPrefix);
    const limit = maxItems(input.MaxItems);
    const after = decodeMarker(input.Marker);
    const recs = await store.read((tx) =>
      listPrincipals<RoleRecord>(tx, IAM.role, {
        pathPrefix: prefix,
        ...(after ? { after } : {}),
        limit: limit + 1,
      }),
    );
    const shown = recs.slice(0, limit);
    const truncated = recs.length > limit;
    return {
      Roles: shown.map((r) => roleOut(r.value, false)),
      IsTruncated: truncated,
      ...(truncated ? { Marker: encodeMarker(shown[shown.length - 1]!.key) } : {}),
    };
  };

  const del: Handler<DeleteRoleRequest> = async (input) => {
    await store.write(async (tx) => {
      const rec = await mustGetRole(tx, input.RoleName!);
      if (Object.keys(rec.value.inline).length > 0) {
        throw new AwsError(Errors.DeleteConflict, "Cannot delete entity, must delete policies first.");
      }
      if (rec.value.attached.length > 0) {
        throw new AwsError(Errors.DeleteConflict, "Cannot delete entity, must detach all policies first.");
      }
      await deleteRole(tx, rec.value.name);
    });
    return {};
  };

  const update: Handler<UpdateRoleRequest> = async (input) => {
    checkDescription(input.Description);
    checkRange("maxSessionDuration", input.MaxSessionDuration, MAX_SESSION_MIN, MAX_SESSION_MAX);
    await store.write(async (tx) => {
      const rec = await mustGetRole(tx, input.RoleName!);
      await putRole(
        tx,
        {
          ...rec.value,
          ...(input.Description !== undefined ? { description: input.Description } : {}),
          ...(input.MaxSessionDuration !== undefined ? { maxSessionDuration: input.MaxSessionDuration } : {}),
        },
        rec.version,
      );
    });
    return {};
  };

  const updateDescription: Handler<UpdateRoleDescriptionRequest, UpdateRoleDescriptionResponse> = async (
    input,
  ) => {
    checkDescription(input.Description);
    return store.write(async (tx) => {
      const rec = await mustGetRole(tx, input.RoleName!);
      const next = { ...rec.value, description: input.Description! };
      await putRole(tx, next, rec.version);
      return { Role: roleOut(next, true) };
    });
  };

  const updateTrust: Handler<UpdateAssumeRolePolicyRequest> = async (input, ctx) => {
    await store.write(async (tx) => {
      const rec = await mustGetRole(tx, input.RoleName!);
      await checkTrustPolicy(tx, input.PolicyDocument!, ctx.accountId);
      await putRole(tx, { ...rec.value, assumeRolePolicy: input.PolicyDocument! }, rec.version);
    });
    return {};
  };

  const tag: Handler<TagRoleRequest> = async (input) => {
    await store.write(async (tx) => {
      const rec = await mustGetRole(tx, input.RoleName!);
      await putRole(tx, { ...rec.value, tags: mergeTags(rec.value.tags, input.Tags) }, rec.version);
    });
    return {};
  };

  const untag: Handler<UntagRoleRequest> = async (input) => {
    await store.write(async (tx) => {
      const rec = await mustGetRole(tx, input.RoleName!);
      await putRole(tx, { ...rec.value, tags: removeTags(rec.value.tags, input.TagKeys ?? []) }, rec.version);
    });
    return {};
  };

  const listTags: Handler<ListRoleTagsRequest, ListRoleTagsResponse> = async (input) => {
    const limit = maxItems(input.MaxItems);
    const rec = await store.read((tx) => mustGetRole(tx, input.RoleName!));
    const p = page(rec.value.tags, input.Marker, limit);
    return { Tags: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  };

  return {
    CreateRole: create,
    GetRole: get,
    ListRoles: list,
    DeleteRole: del,
    UpdateRole: update,
    UpdateRoleDescription: updateDescription,
    UpdateAssumeRolePolicy: updateTrust,
    TagRole: tag,
    UntagRole: untag,
    ListRoleTags: listTags,
  };
}
