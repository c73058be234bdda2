/**
 * The secret itself: CreateSecret, UpdateSecret, DescribeSecret, DeleteSecret, RestoreSecret,
 * TagResource and UntagResource.
 */
import type {
  CreateSecretRequest,
  CreateSecretResponse,
  DeleteSecretRequest,
  DeleteSecretResponse,
  DescribeSecretRequest,
  DescribeSecretResponse,
  RestoreSecretRequest,
  RestoreSecretResponse,
  TagResourceRequest,
  UntagResourceRequest,
  UpdateSecretRequest,
  UpdateSecretResponse,
} from "@aws-sdk/client-secrets-manager";
import { AWSCURRENT } from "../../domain/secretsmanager/stages.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getSecret, purgeSecret, putSecret, type SecretRecord } from "../../state/secretsmanager/secrets.js";
import type { Handler } from "../service.js";
import {
  Constraints,
  checkName,
  checkSecretId,
  checkTags,
  checkToken,
  checkValue,
  DEFAULT_KEY,
  findSecret,
  liveSecret,
  mergeTags,
  newSecretArn,
  notFound,
  oneValue,
  purgeIfGone,
  requireToken,
  type SecretsManagerDeps,
  sameValue,
  sealVersion,
  secretKey,
} from "./common.js";
import { addVersion } from "./versions.js";

const DAY = 86_400_000;

/** DescribeSecret's view; also the basis of ListSecrets entries. */
export function describe(rec: SecretRecord): DescribeSecretResponse {
  const stages: Record<string, string[]> = {};
  for (const v of rec.versions) if (v.stages.length > 0) stages[v.id] = v.stages;
  return {
    ARN: rec.arn,
    Name: rec.name,
    ...(rec.type !== undefined ? { Type: rec.type } : {}),
    ...(rec.description !== undefined ? { Description: rec.description } : {}),
    ...(rec.kmsKeyRef !== undefined ? { KmsKeyId: rec.kmsKeyRef } : {}),
    LastChangedDate: new Date(rec.lastChanged),
    ...(rec.lastAccessed !== undefined ? { LastAccessedDate: new Date(rec.lastAccessed) } : {}),
    ...(rec.deletedAt !== undefined ? { DeletedDate: new Date(rec.deletedAt) } : {}),
    ...(rec.tags.length > 0 ? { Tags: rec.tags } : {}),
    ...(Object.keys(stages).length > 0 ? { VersionIdsToStages: stages } : {}),
    CreatedDate: new Date(rec.created),
  };
}

export function secretHandlers(deps: SecretsManagerDeps) {
  const { store } = deps;

  const createSecret: Handler<CreateSecretRequest, CreateSecretResponse> = async (input, ctx) => {
    const c = new Constraints();
    c.length("name", input.Name, 1, 512);
    checkToken(c, input.ClientRequestToken);
    c.length("description", input.Description, 0, 2048);
    c.length("kmsKeyId", input.KmsKeyId, 0, 2048);
    c.length("type", input.Type, 0, 256);
    checkValue(c, input);
    checkTags(c, input.Tags);
    c.throwIfAny();
    const name = input.Name!;
    checkName(name);
    if (input.AddReplicaRegions !== undefined) {
      throw new AwsError(
        Errors.InvalidRequest,
        "Berth does not replicate secrets to other Regions; create the secret in each Region instead.",
      );
    }
    const value = oneValue(input);
    const token = value ? requireToken(input.ClientRequestToken) : input.ClientRequestToken;
    const tags = mergeTags([], input.Tags ?? []);
    return store.write(async (tx) => {
      await purgeIfGone(tx, ctx, name);
      const existing = await getSecret(tx, ctx.region, name);
      if (existing) {
        if (existing.value.deletedAt !== undefined) {
          throw new AwsError(
            Errors.InvalidRequest,
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        }
        // A retry of the same create (same token, same value) answers as the first call did.
        const v = token === undefined ? undefined : existing.value.versions.find((x) => x.id === token);
        if (v && value && v.binary === value.binary) {
          if (await sameValue(tx, deps, ctx.region, name, v, value)) {
            return { ARN: existing.value.arn, Name: name, VersionId: v.id };
          }
        }
        throw new AwsError(
          Errors.ResourceExists,
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      // An empty KmsKeyId means the default key, as an absent one does.
      const kmsKeyId = await secretKey(tx, deps, ctx, input.KmsKeyId || undefined);
      const rec: SecretRecord = {
        name,
        arn: newSecretArn(ctx, name),
        ...(input.Description !== undefined ? { description: input.Description } : {}),
        ...(input.KmsKeyId && input.KmsKeyId !== DEFAULT_KEY ? { kmsKeyRef: input.KmsKeyId } : {}),
        kmsKeyId,
        ...(input.Type !== undefined ? { type: input.Type } : {}),
        tags,
        created: ctx.now,
        lastChanged: ctx.now,
        versions: [],
      };
      if (value) {
        await sealVersion(tx, deps, ctx, name, token!, value.bytes);
        rec.versions = [
          { id: token!, stages: [AWSCURRENT], created: ctx.now, binary: value.binary, kmsKeyId },
        ];
      }
      await putSecret(tx, ctx.region, rec, 0);
      return { ARN: rec.arn, Name: name, ...(value ? { VersionId: token! } : {}) };
    });
  };

  const updateSecret: Handler<UpdateSecretRequest, UpdateSecretResponse> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    checkToken(c, input.ClientRequestToken);
    c.length("description", input.Description, 0, 2048);
    c.length("kmsKeyId", input.KmsKeyId, 0, 2048);
    c.length("type", input.Type, 0, 256);
    checkValue(c, input);
    c.throwIfAny();
    const value = oneValue(input);
    const token = value ? requireToken(input.ClientRequestToken) : undefined;
    return store.write(async (tx) => {
      const found = await liveSecret(tx, ctx, input.SecretId!);
      let rec: SecretRecord = { ...found.value, lastChanged: ctx.now };
      if (input.Description !== undefined) rec.description = input.Description;
      if (input.Type !== undefined) rec.type = input.Type;
      if (input.KmsKeyId !== undefined) {
        rec.kmsKeyId = await secretKey(tx, deps, ctx, input.KmsKeyId || undefined);
        if (input.KmsKeyId === DEFAULT_KEY || input.KmsKeyId === "") delete rec.kmsKeyRef;
        else rec.kmsKeyRef = input.KmsKeyId;
      }
      let versionId: string | undefined;
      if (value) {
        const added = await addVersion(tx, deps, ctx, rec, token!, value, [AWSCURRENT]);
        rec = added.rec;
        versionId = added.created ? token : undefined;
      }
      await putSecret(tx, ctx.region, rec, found.version);
      return { ARN: rec.arn, Name: rec.name, ...(versionId !== undefined ? { VersionId: versionId } : {}) };
    });
  };

  const describeSecret: Handler<DescribeSecretRequest, DescribeSecretResponse> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    c.throwIfAny();
    return store.read(async (tx) => {
      const rec = await findSecret(tx, ctx, input.SecretId!);
      if (!rec) throw notFound();
      return describe(rec.value);
    });
  };

  const deleteSecret: Handler<DeleteSecretRequest, DeleteSecretResponse> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    c.throwIfAny();
    const force = input.ForceDeleteWithoutRecovery === true;
    if (force && input.RecoveryWindowInDays !== undefined) {
      throw new AwsError(
        Errors.InvalidParameter,
        "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
      );
    }
    const days = input.RecoveryWindowInDays ?? 30;
    if (!force && (days < 7 || days > 30 || !Number.isInteger(days))) {
      throw new AwsError(
        Errors.InvalidParameter,
        "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
      );
    }
    return store.write(async (tx) => {
      const found = await findSecret(tx, ctx, input.SecretId!);
      if (!found) throw notFound();
      const rec = found.value;
      if (force) {
        await purgeSecret(tx, ctx.region, rec.name);
        return { ARN: rec.arn, Name: rec.name, DeletionDate: new Date(ctx.now) };
      }
      if (rec.deletedAt !== undefined) {
        throw new AwsError(
          Errors.InvalidRequest,
          "You tried to perform the operation on a secret that's currently marked deleted.",
        );
      }
      const deletionDate = ctx.now + days * DAY;
      await putSecret(tx, ctx.region, { ...rec, deletedAt: ctx.now, deletionDate }, found.version);
      return { ARN: rec.arn, Name: rec.name, DeletionDate: new Date(deletionDate) };
    });
  };

  const restoreSecret: Handler<RestoreSecretRequest, RestoreSecretResponse> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    c.throwIfAny();
    return store.write(async (tx) => {
      const found = await findSecret(tx, ctx, input.SecretId!);
      if (!found) throw notFound();
      if (found.value.deletedAt !== undefined) {
        const { deletedAt: _a, deletionDate: _b, ...rest } = found.value;
        await putSecret(tx, ctx.region, { ...rest, lastChanged: ctx.now }, found.version);
      }
      return { ARN: found.value.arn, Name: found.value.name };
    });
  };

  const tagResource: Handler<TagResourceRequest, object> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    checkTags(c, input.Tags);
    c.throwIfAny();
    return store.write(async (tx) => {
      const found = await liveSecret(tx, ctx, input.SecretId!);
      const tags = mergeTags(found.value.tags, input.Tags ?? []);
      await putSecret(tx, ctx.region, { ...found.value, tags }, found.version);
      return {};
    });
  };

  const untagResource: Handler<UntagResourceRequest, object> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    c.throwIfAny();
    return store.write(async (tx) => {
      const found = await liveSecret(tx, ctx, input.SecretId!);
      const drop = new Set(input.TagKeys ?? []);
      const tags = found.value.tags.filter((t) => !drop.has(t.Key));
      await putSecret(tx, ctx.region, { ...found.value, tags }, found.version);
      return {};
    });
  };

  return {
    CreateSecret: createSecret,
    UpdateSecret: updateSecret,
    DescribeSecret: describeSecret,
    DeleteSecret: deleteSecret,
    RestoreSecret: restoreSecret,
    TagResource: tagResource,
    UntagResource: untagResource,
  };
}
