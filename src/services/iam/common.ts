/** Shared by IAM handlers: lookups with IAM's not-found wording, paging, tags and output shapes. */
import type { AttachedPolicy, Role, Tag, User } from "@aws-sdk/client-iam";
import { awsManagedPolicy } from "../../domain/iam/aws-managed.js";
import { encodePolicy, parsePolicyArn } from "../../domain/iam/names.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getPolicy } from "../../state/iam/policies.js";
import type { IamTag, ManagedPolicyRecord, RoleRecord, UserRecord } from "../../state/iam/records.js";
import { getRole, getUser } from "../../state/iam/users.js";
import type { ReadTx, StoredRecord } from "../../state/store.js";
import type { RequestContext } from "../service.js";

export async function mustGetUser(tx: ReadTx, name: string): Promise<StoredRecord<UserRecord>> {
  const rec = await getUser(tx, name);
  if (!rec) throw new AwsError(Errors.NoSuchEntity, `The user with name ${name} cannot be found.`);
  return rec;
}

export async function mustGetRole(tx: ReadTx, name: string): Promise<StoredRecord<RoleRecord>> {
  const rec = await getRole(tx, name);
  if (!rec) throw new AwsError(Errors.NoSuchEntity, `The role with name ${name} cannot be found.`);
  return rec;
}

/** The user a request names, or the calling user when it names none (IAM's default). */
export function userNameOrCaller(name: string | undefined, ctx: RequestContext): string {
  if (name !== undefined) return name;
  if (ctx.principal.kind === "user" && ctx.principal.userName) return ctx.principal.userName;
  throw new AwsError(Errors.Validation, "Must specify userName when calling with non-User credentials");
}

/** A managed policy by ARN: customer managed from the store, or one of the AWS managed ones. */
export type ManagedPolicy =
  | { kind: "customer"; rec: StoredRecord<ManagedPolicyRecord> }
  | { kind: "aws"; arn: string; name: string };

export async function findPolicy(
  tx: ReadTx,
  arn: string,
  accountId: string,
): Promise<ManagedPolicy | undefined> {
  const aws = awsManagedPolicy(arn);
  if (aws) return { kind: "aws", arn: aws.arn, name: aws.name };
  const parsed = parsePolicyArn(arn);
  if (!parsed || parsed.accountId !== accountId) return undefined;
  const rec = await getPolicy(tx, parsed.name);
  return rec && rec.value.arn === arn ? { kind: "customer", rec } : undefined;
}

export async function mustGetCustomerPolicy(
  tx: ReadTx,
  arn: string,
  accountId: string,
): Promise<StoredRecord<ManagedPolicyRecord>> {
  const p = await findPolicy(tx, arn, accountId);
  if (p?.kind === "customer") return p.rec;
  if (p?.kind === "aws") {
    throw new AwsError(Errors.InvalidInput, `Policy ${arn} is an AWS managed policy; it cannot be changed.`);
  }
  throw new AwsError(Errors.NoSuchEntity, `Policy ${arn} was not found.`);
}

export function checkPolicyArn(arn: string): void {
  if (arn.length < 20 || arn.length > 2048 || !arn.startsWith("arn:")) {
    throw new AwsError(Errors.InvalidInput, `ARN ${arn} is not valid.`);
  }
}

// --- Paging: IAM's Marker / MaxItems / IsTruncated ---------------------------------------------

export function maxItems(n: number | undefined): number {
  if (n === undefined) return 100;
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new AwsError(
      Errors.Validation,
      `1 validation error detected: Value '${n}' at 'maxItems' failed to satisfy constraint: Member must have value ${n < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`,
    );
  }
  return n;
}

export const encodeMarker = (key: string) => Buffer.from(key).toString("base64url");

export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  const key = Buffer.from(marker, "base64url").toString("utf8");
  if (!key || encodeMarker(key) !== marker) throw new AwsError(Errors.Validation, "Invalid Marker.");
  return key;
}

/** One page of an in-memory list (lists that IAM's quotas keep small); the marker is an offset. */
export function page<T>(
  items: readonly T[],
  marker: string | undefined,
  limit: number,
): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const raw = decodeMarker(marker);
  const from = raw === undefined ? 0 : Number(raw);
  if (!Number.isInteger(from) || from < 0) throw new AwsError(Errors.Validation, "Invalid Marker.");
  const out = items.slice(from, from + limit);
  const truncated = from + limit < items.length;
  return {
    items: out,
    IsTruncated: truncated,
    ...(truncated ? { Marker: encodeMarker(String(from + limit)) } : {}),
  };
}

// --- Tags -------------------------------------------------------------------------------------

const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const MAX_TAGS = 50;

function checkTag(t: Tag): IamTag {
  const key = t.Key ?? "";
  const value = t.Value ?? "";
  if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key)) {
    throw new AwsError(
      Errors.Validation,
      `1 validation error detected: Value '${key}' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128 and match [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+`,
    );
  }
  if (value.length > 256 || !TAG_TEXT.test(value)) {
    throw new AwsError(
      Errors.Validation,
      `1 validation error detected: Value '${value}' at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256 and match [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`,
    );
  }
  return { Key: key, Value: value };
}

/** Validate tags and merge them over existing ones (tag keys are case-insensitive in IAM). */
export function mergeTags(existing: readonly IamTag[], added: readonly Tag[] | undefined): IamTag[] {
  const seen = new Set<string>();
  for (const t of added ?? []) {
    const k = (t.Key ?? "").toLowerCase();
    if (seen.has(k)) {
      throw new AwsError(
        Errors.InvalidInput,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
      );
    }
    seen.add(k);
  }
  const merged = new Map(existing.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of added ?? []) {
    const tag = checkTag(t);
    merged.set(tag.Key.toLowerCase(), tag);
  }
  if (merged.size > MAX_TAGS) {
    throw new AwsError(Errors.IamLimitExceeded, `Cannot exceed quota for TagsPerResource: ${MAX_TAGS}`);
  }
  return [...merged.values()];
}

export function removeTags(existing: readonly IamTag[], keys: readonly string[]): IamTag[] {
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  return existing.filter((t) => !drop.has(t.Key.toLowerCase()));
}

export const tagMap = (tags: readonly IamTag[]): Record<string, string> =>
  Object.fromEntries(tags.map((t) => [t.Key, t.Value]));

// --- Output shapes ----------------------------------------------------------------------------

export function userOut(u: UserRecord, withTags: boolean): User {
  return {
    Path: u.path,
    UserName: u.name,
    UserId: u.id,
    Arn: u.arn,
    CreateDate: new Date(u.createDate),
    ...(withTags && u.tags.length > 0 ? { Tags: u.tags } : {}),
  };
}

export function roleOut(r: RoleRecord, full: boolean): Role {
  return {
    Path: r.path,
    RoleName: r.name,
    RoleId: r.id,
    Arn: r.arn,
    CreateDate: new Date(r.createDate),
    AssumeRolePolicyDocument: encodePolicy(r.assumeRolePolicy),
    ...(r.description !== undefined ? { Description: r.description } : {}),
    MaxSessionDuration: r.maxSessionDuration,
    ...(full && r.tags.length > 0 ? { Tags: r.tags } : {}),
    ...(full ? { RoleLastUsed: {} } : {}),
  };
}

export function attachedOut(arn: string): AttachedPolicy {
  return { PolicyArn: arn, PolicyName: arn.slice(arn.lastIndexOf("/") + 1) };
}
