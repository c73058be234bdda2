/**
 * Secret values and their versions: GetSecretValue, BatchGetSecretValue, PutSecretValue,
 * UpdateSecretVersionStage and ListSecretVersionIds.
 */
import type {
  APIErrorType,
  BatchGetSecretValueRequest,
  BatchGetSecretValueResponse,
  GetSecretValueRequest,
  GetSecretValueResponse,
  ListSecretVersionIdsRequest,
  ListSecretVersionIdsResponse,
  PutSecretValueRequest,
  PutSecretValueResponse,
  SecretValueEntry,
  UpdateSecretVersionStageRequest,
  UpdateSecretVersionStageResponse,
} from "@aws-sdk/client-secrets-manager";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { matchesFilters, validateSecretFilters } from "../../domain/secretsmanager/filters.js";
import {
  AWSCURRENT,
  attachStages,
  detachStage,
  holderOf,
  overflow,
} from "../../domain/secretsmanager/stages.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  dropVersionValue,
  getSecret,
  putSecret,
  type SecretRecord,
  type SecretVersionRecord,
  scanSecrets,
} from "../../state/secretsmanager/secrets.js";
import type { ReadTx, StoredRecord, WriteTx } from "../../state/store.js";
import { decryptRefusal } from "../kms/via-service.js";
import type { Handler, RequestContext } from "../service.js";
import { absentSecretArn, getSecretValueCheck } from "./authz.js";
import {
  Constraints,
  checkSecretId,
  checkToken,
  checkValue,
  dayOf,
  findSecret,
  isGone,
  liveSecret,
  markedForDeletion,
  notFound,
  oneValue,
  openVersion,
  requireToken,
  type SecretsManagerDeps,
  sameValue,
  sealVersion,
} from "./common.js";

/**
 * Store a new version with `stages` (or recognise a retry of the same one): the body of
 * PutSecretValue and of UpdateSecret with a value. Returns the updated record, not yet written.
 */
export async function addVersion(
  tx: WriteTx,
  deps: SecretsManagerDeps,
  ctx: RequestContext,
  rec: SecretRecord,
  versionId: string,
  value: { bytes: Buffer; binary: boolean },
  stages: readonly string[],
): Promise<{ rec: SecretRecord; version: SecretVersionRecord; created: boolean }> {
  const existing = rec.versions.find((v) => v.id === versionId);
  if (existing) {
    if (await sameValue(tx, deps, ctx.region, rec.name, existing, value)) {
      return { rec, version: existing, created: false };
    }
    throw new AwsError(
      Errors.ResourceExists,
      "You can't modify an existing version, you can only create a new version.",
    );
  }
  // The first version of a secret is AWSCURRENT whatever the caller asked.
  const labels = rec.versions.length === 0 && !stages.includes(AWSCURRENT) ? [...stages, AWSCURRENT] : stages;
  const version: SecretVersionRecord = {
    id: versionId,
    stages: [],
    created: ctx.now,
    binary: value.binary,
    kmsKeyId: rec.kmsKeyId,
  };
  await sealVersion(tx, deps, ctx, rec.name, versionId, value.bytes);
  let versions = attachStages(rec.versions, version, labels);
  for (const old of overflow(versions)) {
    await dropVersionValue(tx, ctx.region, rec.name, old.id);
    versions = versions.filter((v) => v.id !== old.id);
  }
  const next = { ...rec, versions, lastChanged: ctx.now };
  return { rec: next, version: versions.find((v) => v.id === versionId)!, created: true };
}

/** Pick the version a GetSecretValue asks for, with Secrets Manager's errors. */
export function pickVersion(rec: SecretRecord, versionId?: string, stage?: string): SecretVersionRecord {
  if (versionId !== undefined) {
    const v = rec.versions.find((x) => x.id === versionId);
    if (!v) {
      throw new AwsError(
        Errors.ResourceNotFound,
        `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
      );
    }
    if (stage !== undefined && !v.stages.includes(stage)) {
      throw new AwsError(
        Errors.InvalidRequest,
        "You provided a VersionStage that is not associated to the provided VersionId.",
      );
    }
    return v;
  }
  const label = stage ?? AWSCURRENT;
  const v = holderOf(rec.versions, label);
  if (!v) {
    throw new AwsError(
      Errors.ResourceNotFound,
      `Secrets Manager can't find the specified secret value for staging label: ${label}`,
    );
  }
  return v;
}

async function valueEntry(
  tx: ReadTx,
  deps: SecretsManagerDeps,
  ctx: RequestContext,
  rec: SecretRecord,
  v: SecretVersionRecord,
): Promise<SecretValueEntry> {
  const plain = await openVersion(tx, deps, ctx.region, rec.name, v);
  return {
    ARN: rec.arn,
    Name: rec.name,
    VersionId: v.id,
    ...(v.binary ? { SecretBinary: plain } : { SecretString: plain.toString("utf8") }),
    VersionStages: v.stages,
    CreatedDate: new Date(v.created),
  };
}

/** Record the day of access on the secret and the version (written only when the day changes). */
export async function touch(
  tx: WriteTx,
  ctx: RequestContext,
  seen: StoredRecord<SecretRecord>,
  versionId: string,
) {
  const day = dayOf(ctx.now);
  // Re-read: one request may touch the same secret twice (BatchGetSecretValue by name and by ARN).
  const found = (await getSecret(tx, ctx.region, seen.value.name))!;
  const v = found.value.versions.find((x) => x.id === versionId)!;
  if (found.value.lastAccessed === day && v.lastAccessed === day) return;
  const versions = found.value.versions.map((x) => (x.id === versionId ? { ...x, lastAccessed: day } : x));
  await putSecret(tx, ctx.region, { ...found.value, lastAccessed: day, versions }, found.version);
}

/**
 * Secrets Manager decrypts with the caller's kms:Decrypt on a customer managed key (encryption
 * context SecretARN and SecretVersionId); without it the caller gets Secrets Manager's own message.
 */
async function kmsRefusal(
  tx: ReadTx,
  ctx: RequestContext,
  rec: SecretRecord,
  v: SecretVersionRecord,
): Promise<AwsError | undefined> {
  const refused = await decryptRefusal(tx, ctx, "secretsmanager", v.kmsKeyId, {
    SecretARN: rec.arn,
    SecretVersionId: v.id,
  });
  return refused ? new AwsError(Errors.AccessDenied, "Access to KMS is not allowed") : undefined;
}

async function requireKmsDecrypt(
  tx: ReadTx,
  ctx: RequestContext,
  rec: SecretRecord,
  v: SecretVersionRecord,
): Promise<void> {
  const refused = await kmsRefusal(tx, ctx, rec, v);
  if (refused) throw refused;
}

export function versionHandlers(deps: SecretsManagerDeps) {
  const { store } = deps;

  const getSecretValue: Handler<GetSecretValueRequest, GetSecretValueResponse> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    c.length("versionId", input.VersionId, 32, 64);
    c.length("versionStage", input.VersionStage, 1, 256);
    c.throwIfAny();
    return store.write(async (tx) => {
      const found = await liveSecret(tx, ctx, input.SecretId!);
      const v = pickVersion(found.value, input.VersionId, input.VersionStage);
      await requireKmsDecrypt(tx, ctx, found.value, v);
      const entry = await valueEntry(tx, deps, ctx, found.value, v);
      await touch(tx, ctx, found, v.id);
      return entry;
    });
  };

  const batchGetSecretValue: Handler<BatchGetSecretValueRequest, BatchGetSecretValueResponse> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    c.length("secretIdList", input.SecretIdList, 1, 20);
    for (const [i, id] of (input.SecretIdList ?? []).entries())
      checkSecretId(c, id, `secretIdList.${i + 1}.member`);
    c.range("maxResults", input.MaxResults, 1, 20);
    c.length("nextToken", input.NextToken, 1, 4096);
    c.throwIfAny();
    const hasIds = input.SecretIdList !== undefined;
    const hasFilters = input.Filters !== undefined;
    if (hasIds === hasFilters) {
      throw new AwsError(
        Errors.InvalidParameter,
        "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
      );
    }
    if (input.MaxResults !== undefined && !hasFilters) {
      throw new AwsError(
        Errors.InvalidParameter,
        "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
      );
    }
    validateSecretFilters(input.Filters);
    return store.write(async (tx) => {
      const values: SecretValueEntry[] = [];
      const errors: APIErrorType[] = [];
      if (hasIds) {
        for (const id of input.SecretIdList!) {
          try {
            // secretsmanager:GetSecretValue on each secret; a refusal is this secret's error.
            const found = await findSecret(tx, ctx, id);
            const refused = await ctx.authorize?.([
              getSecretValueCheck(found?.value ?? { arn: absentSecretArn(ctx, id), tags: [] }),
            ]);
            if (refused) throw refused;
            if (!found) throw notFound();
            if (found.value.deletedAt !== undefined) throw markedForDeletion();
            const v = pickVersion(found.value, undefined, AWSCURRENT);
            await requireKmsDecrypt(tx, ctx, found.value, v);
            values.push(await valueEntry(tx, deps, ctx, found.value, v));
            await touch(tx, ctx, found, v.id);
          } catch (err) {
            if (!(err instanceof AwsError)) throw err;
            errors.push({ SecretId: id, ErrorCode: err.def.code, Message: err.message });
          }
        }
        return { SecretValues: values, Errors: errors };
      }
      const list = "sm-batch";
      let after: string | undefined;
      if (input.NextToken !== undefined) {
        after = decodeToken(list, input.NextToken);
        if (after === undefined) throw new AwsError(Errors.SmInvalidNextToken, "The nextToken is not valid.");
      }
      const limit = input.MaxResults ?? 20;
      let more = false;
      let last: string | undefined;
      for (;;) {
        const page = await scanSecrets(tx, {
          prefix: `${ctx.region}/`,
          limit: 200,
          ...(after !== undefined ? { after } : {}),
        });
        for (const r of page) {
          const rec = r.value;
          if (rec.deletedAt !== undefined || isGone(rec, ctx.now) || !matchesFilters(input.Filters, rec))
            continue;
          const v = holderOf(rec.versions, AWSCURRENT);
          if (!v) continue;
          if (values.length + errors.length === limit) {
            more = true;
            break;
          }
          last = r.key;
          const refused =
            (await ctx.authorize?.([getSecretValueCheck(rec)])) ?? (await kmsRefusal(tx, ctx, rec, v));
          if (refused) {
            errors.push({ SecretId: rec.arn, ErrorCode: refused.def.code, Message: refused.message });
            continue;
          }
          values.push(await valueEntry(tx, deps, ctx, rec, v));
          await touch(tx, ctx, r, v.id);
        }
        if (more || page.length < 200) break;
        after = page[page.length - 1]!.key;
      }
      return {
        SecretValues: values,
        Errors: errors,
        ...(more ? { NextToken: encodeToken(list, last!) } : {}),
      };
    });
  };

  const putSecretValue: Handler<PutSecretValueRequest, PutSecretValueResponse> = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    checkToken(c, input.ClientRequestToken);
    checkValue(c, input);
    c.length("versionStages", input.VersionStages, 1, 20);
    for (const [i, s] of (input.VersionStages ?? []).entries())
      c.length(`versionStages.${i + 1}.member`, s, 1, 256);
    c.length("rotationToken", input.RotationToken, 36, 256, true);
    c.throwIfAny();
    const value = oneValue(input);
    if (!value)
      throw new AwsError(Errors.InvalidRequest, "You must provide either SecretString or SecretBinary.");
    const token = requireToken(input.ClientRequestToken);
    return store.write(async (tx) => {
      const found = await liveSecret(tx, ctx, input.SecretId!);
      const added = await addVersion(
        tx,
        deps,
        ctx,
        found.value,
        token,
        value,
        input.VersionStages ?? [AWSCURRENT],
      );
      if (added.created) await putSecret(tx, ctx.region, added.rec, found.version);
      return {
        ARN: added.rec.arn,
        Name: added.rec.name,
        VersionId: added.version.id,
        VersionStages: added.version.stages,
      };
    });
  };

  const updateSecretVersionStage: Handler<
    UpdateSecretVersionStageRequest,
    UpdateSecretVersionStageResponse
  > = async (input, ctx) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    c.length("versionStage", input.VersionStage, 1, 256);
    c.length("removeFromVersionId", input.RemoveFromVersionId, 32, 64);
    c.length("moveToVersionId", input.MoveToVersionId, 32, 64);
    c.throwIfAny();
    const stage = input.VersionStage!;
    return store.write(async (tx) => {
      const found = await liveSecret(tx, ctx, input.SecretId!);
      const rec = found.value;
      const byId = (id: string) => {
        const v = rec.versions.find((x) => x.id === id);
        if (!v) throw new AwsError(Errors.InvalidParameter, `Not a valid version: ${id}`);
        return v;
      };
      const from = input.RemoveFromVersionId !== undefined ? byId(input.RemoveFromVersionId) : undefined;
      const to = input.MoveToVersionId !== undefined ? byId(input.MoveToVersionId) : undefined;
      if (from && !from.stages.includes(stage)) {
        throw new AwsError(
          Errors.InvalidParameter,
          `The staging label ${stage} is not attached to version ${from.id}, so you can't remove it.`,
        );
      }
      const holder = holderOf(rec.versions, stage);
      if (to && holder && holder.id !== to.id && holder.id !== from?.id) {
        throw new AwsError(
          Errors.InvalidParameter,
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, so you must explicitly reference that version in RemoveFromVersionId.`,
        );
      }
      let versions = rec.versions;
      if (to) versions = attachStages(versions, to, [stage]);
      else if (from) versions = detachStage(versions, from.id, stage);
      for (const old of overflow(versions)) {
        await dropVersionValue(tx, ctx.region, rec.name, old.id);
        versions = versions.filter((v) => v.id !== old.id);
      }
      await putSecret(tx, ctx.region, { ...rec, versions, lastChanged: ctx.now }, found.version);
      return { ARN: rec.arn, Name: rec.name };
    });
  };

  const listSecretVersionIds: Handler<ListSecretVersionIdsRequest, ListSecretVersionIdsResponse> = async (
    input,
    ctx,
  ) => {
    const c = new Constraints();
    checkSecretId(c, input.SecretId);
    c.range("maxResults", input.MaxResults, 1, 100);
    c.length("nextToken", input.NextToken, 1, 4096);
    c.throwIfAny();
    return store.read(async (tx) => {
      const found = await findSecret(tx, ctx, input.SecretId!);
      if (!found) throw notFound();
      if (found.value.deletedAt !== undefined) throw markedForDeletion();
      const rec = found.value;
      const list = `sm-versions:${rec.arn}`;
      let after: string | undefined;
      if (input.NextToken !== undefined) {
        after = decodeToken(list, input.NextToken);
        if (after === undefined) throw new AwsError(Errors.SmInvalidNextToken, "The nextToken is not valid.");
      }
      const all = rec.versions
        .filter((v) => v.stages.length > 0 || input.IncludeDeprecated === true)
        .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
      const start = after === undefined ? 0 : all.findIndex((v) => v.id === after) + 1;
      const limit = input.MaxResults ?? 100;
      const page = all.slice(start, start + limit);
      const defaultKey = rec.kmsKeyRef === undefined;
      return {
        ARN: rec.arn,
        Name: rec.name,
        Versions: page.map((v) => ({
          VersionId: v.id,
          ...(v.stages.length > 0 ? { VersionStages: v.stages } : {}),
          ...(v.lastAccessed !== undefined ? { LastAccessedDate: new Date(v.lastAccessed) } : {}),
          CreatedDate: new Date(v.created),
          KmsKeyIds: [defaultKey ? "DefaultEncryptionKey" : rec.kmsKeyRef!],
        })),
        ...(start + limit < all.length ? { NextToken: encodeToken(list, page[page.length - 1]!.id) } : {}),
      };
    });
  };

  return {
    GetSecretValue: getSecretValue,
    BatchGetSecretValue: batchGetSecretValue,
    PutSecretValue: putSecretValue,
    UpdateSecretVersionStage: updateSecretVersionStage,
    ListSecretVersionIds: listSecretVersionIds,
  };
}
