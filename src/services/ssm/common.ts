/** What the SSM handlers share: reading a version's value, rendering, token and tag checks. */
import type { Parameter, ParameterHistory, ParameterMetadata } from "@aws-sdk/client-ssm";
import type { KeyringSource } from "../../crypto/master-key.js";
import { Constraints } from "../../domain/constraints.js";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { parameterArn } from "../../domain/ssm/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  type ParameterRecord,
  type ParameterVersionRecord,
  secureValueKey,
} from "../../state/ssm/parameters.js";
import type { ReadTx, Store } from "../../state/store.js";
import { openFrom } from "../../state/vault.js";
import { seal } from "../kms/ciphertext.js";
import { keyMaterial, kmsCause } from "../kms/keys.js";
import { decryptRefusal } from "../kms/via-service.js";
import type { RequestContext } from "../service.js";

export interface SsmDeps {
  store: Store;
  keyring: KeyringSource;
}

/**
 * The Value a caller sees: plaintext, or for a SecureString read without decryption the value as
 * a KMS ciphertext blob (base64) under the parameter's KMS key with encryption context
 * `PARAMETER_ARN`, as Parameter Store hands it out; `kms decrypt` with that context opens it.
 */
export async function parameterValue(
  tx: ReadTx,
  deps: SsmDeps,
  ctx: RequestContext,
  name: string,
  v: ParameterVersionRecord,
  decrypt: boolean,
): Promise<string> {
  if (v.type !== "SecureString") return v.value ?? "";
  const keyring = deps.keyring.get();
  let plain: Buffer | undefined;
  try {
    plain = await openFrom(tx, keyring, secureValueKey(ctx.region, name, v.version));
  } catch (err) {
    throw new AwsError(
      Errors.SsmInternalServerError,
      `Berth could not decrypt parameter ${name} version ${v.version}: ${(err as Error).message}.`,
    );
  }
  if (!plain) throw new Error(`SecureString ${name}:${v.version} has no sealed value`);
  const arn = parameterArn(ctx.region, ctx.accountId, name);
  if (decrypt) {
    // Parameter Store decrypts with the caller's kms:Decrypt on a customer managed key.
    const refused = await decryptRefusal(tx, ctx, "ssm", v.kmsKeyId!, { PARAMETER_ARN: arn });
    if (refused) {
      plain.fill(0);
      throw new AwsError(Errors.AccessDenied, kmsCause(refused));
    }
    return plain.toString("utf8");
  }
  const material = await keyMaterial(tx, keyring, ctx.region, v.kmsKeyId!);
  try {
    return seal(v.kmsKeyId!, material, plain, { PARAMETER_ARN: arn }).toString("base64");
  } finally {
    material.fill(0);
    plain.fill(0);
  }
}

export async function renderParameter(
  tx: ReadTx,
  deps: SsmDeps,
  ctx: RequestContext,
  rec: ParameterRecord,
  v: ParameterVersionRecord,
  decrypt: boolean,
  selectorText?: string,
): Promise<Parameter> {
  return {
    Name: rec.name,
    Type: v.type,
    Value: await parameterValue(tx, deps, ctx, rec.name, v, decrypt),
    Version: v.version,
    ...(selectorText !== undefined ? { Selector: selectorText } : {}),
    LastModifiedDate: new Date(v.lastModified),
    ARN: parameterArn(ctx.region, ctx.accountId, rec.name),
    DataType: v.dataType,
  };
}

export function renderMetadata(ctx: RequestContext, rec: ParameterRecord): ParameterMetadata {
  const v = rec.versions[rec.versions.length - 1]!;
  return {
    Name: rec.name,
    ARN: parameterArn(ctx.region, ctx.accountId, rec.name),
    Type: v.type,
    ...(v.keyId !== undefined ? { KeyId: v.keyId } : {}),
    LastModifiedDate: new Date(v.lastModified),
    LastModifiedUser: v.lastModifiedUser,
    ...(v.description !== undefined ? { Description: v.description } : {}),
    ...(v.allowedPattern !== undefined ? { AllowedPattern: v.allowedPattern } : {}),
    Version: v.version,
    Tier: rec.tier,
    Policies: [],
    DataType: v.dataType,
  };
}

export async function renderHistory(
  tx: ReadTx,
  deps: SsmDeps,
  ctx: RequestContext,
  rec: ParameterRecord,
  v: ParameterVersionRecord,
  decrypt: boolean,
): Promise<ParameterHistory> {
  return {
    Name: rec.name,
    Type: v.type,
    ...(v.keyId !== undefined ? { KeyId: v.keyId } : {}),
    LastModifiedDate: new Date(v.lastModified),
    LastModifiedUser: v.lastModifiedUser,
    ...(v.description !== undefined ? { Description: v.description } : {}),
    Value: await parameterValue(tx, deps, ctx, rec.name, v, decrypt),
    ...(v.allowedPattern !== undefined ? { AllowedPattern: v.allowedPattern } : {}),
    Version: v.version,
    Labels: v.labels,
    Tier: v.tier,
    Policies: [],
    DataType: v.dataType,
  };
}

/** SSM's empty-message ParameterNotFound, as AWS answers GetParameter for a missing name. */
export const parameterNotFound = () => new AwsError(Errors.ParameterNotFound, "");

export const versionNotFound = (name: string, version: number | string) =>
  new AwsError(
    Errors.ParameterVersionNotFound,
    `Systems Manager could not find version ${version} of ${name}. Verify the version and try again.`,
  );

/** The resume key of a NextToken from the same listing, or InvalidNextToken. */
export function afterToken(list: string, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const after = decodeToken(list, token);
  if (after === undefined) throw new AwsError(Errors.SsmInvalidNextToken, "The nextToken is not valid.");
  return after;
}

export const nextToken = (list: string, last: string) => encodeToken(list, last);

export const MAX_TAGS = 50;

/** Tag shape checks common to PutParameter and AddTagsToResource. */
export function validateTags(c: Constraints, tags: readonly { Key?: string; Value?: string }[] | undefined) {
  c.length("tags", tags, 0, 1000);
  const pattern = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;
  (tags ?? []).forEach((t, i) => {
    const at = `tags.${i + 1}.member`;
    c.length(`${at}.key`, t.Key, 1, 128);
    c.pattern(`${at}.key`, t.Key, pattern, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    c.length(`${at}.value`, t.Value, 0, 256);
    c.pattern(`${at}.value`, t.Value, pattern, "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
  });
}

export function mergeTags(
  current: readonly { Key: string; Value: string }[],
  add: readonly { Key?: string; Value?: string }[],
): { Key: string; Value: string }[] {
  const map = new Map(current.map((t) => [t.Key, t.Value]));
  for (const t of add) map.set(t.Key!, t.Value ?? "");
  if (map.size > MAX_TAGS) {
    throw new AwsError(
      Errors.TooManyTagsError,
      `A resource can have at most ${MAX_TAGS} tags. Remove one or more tags and try again.`,
    );
  }
  return [...map].map(([Key, Value]) => ({ Key, Value }));
}

export { Constraints };
