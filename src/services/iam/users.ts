/** IAM users: CreateUser, GetUser, ListUsers, DeleteUser and their tags. */
import type {
  CreateUserRequest,
  CreateUserResponse,
  DeleteUserRequest,
  GetUserRequest,
  GetUserResponse,
  ListUsersRequest,
  ListUsersResponse,
  ListUserTagsRequest,
  ListUserTagsResponse,
  TagUserRequest,
  UntagUserRequest,
} from "@aws-sdk/client-iam";
import { checkName, checkPath, checkPathPrefix, iamId, userArn } from "../../domain/iam/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { countUserAccessKeys } from "../../state/iam/access-keys.js";
import { IAM } from "../../state/iam/kinds.js";
import type { UserRecord } from "../../state/iam/records.js";
import { deleteUser, getUser, listPrincipals, putUser } from "../../state/iam/users.js";
import type { Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import {
  decodeMarker,
  encodeMarker,
  maxItems,
  mergeTags,
  mustGetUser,
  page,
  removeTags,
  userNameOrCaller,
  userOut,
} from "./common.js";

export function userHandlers(store: Store): Record<string, Handler> {
  const createUser: Handler<CreateUserRequest, CreateUserResponse> = async (input, ctx) => {
    const name = input.UserName!;
    checkName("userName", name, 64);
    const path = checkPath("path", input.Path);
    if (input.PermissionsBoundary !== undefined) {
      throw new AwsError(
        Errors.NotImplemented,
        "Berth does not implement permissions boundaries (PermissionsBoundary).",
      );
    }
    const tags = mergeTags([], input.Tags);
    return store.write(async (tx) => {
      if (await getUser(tx, name)) {
        throw new AwsError(Errors.EntityAlreadyExists, `User with name ${name} already exists.`);
      }
      const rec: UserRecord = {
        name,
        id: iamId("AIDA"),
        arn: userArn(ctx.accountId, path, name),
        path,
        createDate: ctx.now,
        tags,
        attached: [],
        inline: {},
      };
      await putUser(tx, rec, 0);
      return { User: userOut(rec, true) };
    });
  };

  const getUserH: Handler<GetUserRequest, GetUserResponse> = async (input, ctx) => {
    const name = userNameOrCaller(input.UserName, ctx);
    const rec = await store.read((tx) => mustGetUser(tx, name));
    return { User: userOut(rec.value, true) };
  };

  const listUsers: Handler<ListUsersRequest, ListUsersResponse> = async (input) => {
    const prefix = checkPathPrefix("pathPrefix", input.PathPrefix);
    const limit = maxItems(input.MaxItems);
    const after = decodeMarker(input.Marker);
    const recs = await store.read((tx) =>
      listPrincipals<UserRecord>(tx, IAM.user, {
        pathPrefix: prefix,
        ...(after ? { after } : {}),
        limit: limit + 1,
      }),
    );
    const shown = recs.slice(0, limit);
    const truncated = recs.length > limit;
    return {
      Users: shown.map((r) => userOut(r.value, false)),
      IsTruncated: truncated,
      ...(truncated ? { Marker: encodeMarker(shown[shown.length - 1]!.key) } : {}),
    };
  };

  const deleteUserH: Handler<DeleteUserRequest> = async (input) => {
    const name = input.UserName!;
    await store.write(async (tx) => {
      const rec = await mustGetUser(tx, name);
      if ((await countUserAccessKeys(tx, name)) > 0) {
        throw new AwsError(Errors.DeleteConflict, "Cannot delete entity, must delete access keys first.");
      }
      if (Object.keys(rec.value.inline).length > 0) {
        throw new AwsError(Errors.DeleteConflict, "Cannot delete entity, must delete policies first.");
      }
      if (rec.value.attached.length > 0) {
        throw new AwsError(Errors.DeleteConflict, "Cannot delete entity, must detach all policies first.");
      }
      await deleteUser(tx, name);
    });
    return {};
  };

  const tagUser: Handler<TagUserRequest> = async (input) => {
    await store.write(async (tx) => {
      const rec = await mustGetUser(tx, input.UserName!);
      await putUser(tx, { ...rec.value, tags: mergeTags(rec.value.tags, input.Tags) }, rec.version);
    });
    return {};
  };

  const untagUser: Handler<UntagUserRequest> = async (input) => {
    await store.write(async (tx) => {
      const rec = await mustGetUser(tx, input.UserName!);
      await putUser(tx, { ...rec.value, tags: removeTags(rec.value.tags, input.TagKeys ?? []) }, rec.version);
    });
    return {};
  };

  const listUserTags: Handler<ListUserTagsRequest, ListUserTagsResponse> = async (input) => {
    const limit = maxItems(input.MaxItems);
    const rec = await store.read((tx) => mustGetUser(tx, input.UserName!));
    const p = page(rec.value.tags, input.Marker, limit);
    return { Tags: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  };

  return {
    CreateUser: createUser,
    GetUser: getUserH,
    ListUsers: listUsers,
    DeleteUser: deleteUserH,
    TagUser: tagUser,
    UntagUser: untagUser,
    ListUserTags: listUserTags,
  };
}
