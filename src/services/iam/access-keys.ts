/**
 * IAM access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey. The secret
 * is returned once, by CreateAccessKey, and stored only sealed.
 */
import type {
  CreateAccessKeyRequest,
  CreateAccessKeyResponse,
  DeleteAccessKeyRequest,
  ListAccessKeysRequest,
  ListAccessKeysResponse,
  UpdateAccessKeyRequest,
} from "@aws-sdk/client-iam";
import { AwsError, Errors } from "../../errors/catalog.js";
import { ACCESS_KEY_PURPOSE } from "../../identity/access-keys.js";
import type { Sealer } from "../../identity/sealer.js";
import { accessKeyId, secretAccessKey } from "../../lib/ids.js";
import {
  countUserAccessKeys,
  deleteAccessKey,
  getAccessKey,
  putAccessKey,
  userAccessKeys,
} from "../../state/iam/access-keys.js";
import type { AccessKeyRecord } from "../../state/iam/records.js";
import type { Store, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { maxItems, mustGetUser, page } from "./common.js";

export const MAX_ACCESS_KEYS = 2;

export function accessKeyHandlers(store: Store, sealer: Sealer): Record<string, Handler> {
  /** The calling user's name when the request names none; root keys come from configuration. */
  function owner(name: string | undefined, ctx: RequestContext): string {
    if (name !== undefined) return name;
    if (ctx.principal.kind === "user" && ctx.principal.userName) return ctx.principal.userName;
    if (ctx.principal.kind === "root") {
      throw new AwsError(
        Errors.NotImplemented,
        "Berth's root credentials come from its configuration; access keys are managed for IAM users only (give UserName).",
      );
    }
    throw new AwsError(Errors.Validation, "Must specify userName when calling with non-User credentials");
  }

  async function mustGetKey(tx: WriteTx, id: string, userName: string): Promise<AccessKeyRecord> {
    const user = await mustGetUser(tx, userName);
    const key = await getAccessKey(tx, id);
    if (!key || key.value.userName.toLowerCase() !== user.value.name.toLowerCase()) {
      throw new AwsError(Errors.NoSuchEntity, `The Access Key with id ${id} cannot be found.`);
    }
    return key.value;
  }

  const create: Handler<CreateAccessKeyRequest, CreateAccessKeyResponse> = async (input, ctx) => {
    const userName = owner(input.UserName, ctx);
    const secret = secretAccessKey();
    return store.write(async (tx) => {
      const user = await mustGetUser(tx, userName);
      if ((await countUserAccessKeys(tx, user.value.name)) >= MAX_ACCESS_KEYS) {
        throw new AwsError(
          Errors.IamLimitExceeded,
          `Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS}`,
        );
      }
      const rec: AccessKeyRecord = {
        accessKeyId: accessKeyId("AKIA"),
        userName: user.value.name,
        status: "Active",
        createDate: ctx.now,
        sealedSecret: sealer.seal(Buffer.from(secret), ACCESS_KEY_PURPOSE),
      };
      await putAccessKey(tx, rec);
      return {
        AccessKey: {
          UserName: rec.userName,
          AccessKeyId: rec.accessKeyId,
          Status: rec.status,
          SecretAccessKey: secret,
          CreateDate: new Date(rec.createDate),
        },
      };
    });
  };

  const list: Handler<ListAccessKeysRequest, ListAccessKeysResponse> = async (input, ctx) => {
    const userName = owner(input.UserName, ctx);
    const limit = maxItems(input.MaxItems);
    const keys = await store.read(async (tx) => {
      const user = await mustGetUser(tx, userName);
      return userAccessKeys(tx, user.value.name);
    });
    const p = page(keys, input.Marker, limit);
    return {
      AccessKeyMetadata: p.items.map((k) => ({
        UserName: k.userName,
        AccessKeyId: k.accessKeyId,
        Status: k.status,
        CreateDate: new Date(k.createDate),
      })),
      IsTruncated: p.IsTruncated,
      ...(p.Marker ? { Marker: p.Marker } : {}),
    };
  };

  const update: Handler<UpdateAccessKeyRequest> = async (input, ctx) => {
    const userName = owner(input.UserName, ctx);
    const status = input.Status!;
    if (status !== "Active" && status !== "Inactive") {
      throw new AwsError(
        Errors.Validation,
        `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
      );
    }
    await store.write(async (tx) => {
      const key = await mustGetKey(tx, input.AccessKeyId!, userName);
      await putAccessKey(tx, { ...key, status });
    });
    return {};
  };

  const del: Handler<DeleteAccessKeyRequest> = async (input, ctx) => {
    const userName = owner(input.UserName, ctx);
    await store.write(async (tx) => deleteAccessKey(tx, await mustGetKey(tx, input.AccessKeyId!, userName)));
    return {};
  };

  return { CreateAccessKey: create, ListAccessKeys: list, UpdateAccessKey: update, DeleteAccessKey: del };
}
