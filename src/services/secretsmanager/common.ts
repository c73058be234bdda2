/** What the Secrets Manager handlers share: finding a secret, its values, checks and errors. */
import { randomInt } from "node:crypto";
import { constantTimeEqual } from "../../crypto/constant-time.js";
import type { KeyringSource } from "../../crypto/master-key.js";
import { formatArn, parseArn } from "../../domain/arn.js";
import { Constraints } from "../../domain/constraints.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  getSecret,
  purgeSecret,
  type SecretRecord,
  type SecretVersionRecord,
  versionValueKey,
} from "../../state/secretsmanager/secrets.js";
import type { ReadTx, Store, StoredRecord, WriteTx } from "../../state/store.js";
import { openFrom, sealInto } from "../../state/vault.js";
import { kmsCause, resolveKey } from "../kms/keys.js";
import type { RequestContext } from "../service.js";

export interface SecretsManagerDeps {
  store: Store;
  keyring: KeyringSource;
}

export const DEFAULT_KEY = "alias/aws/secretsmanager";

const NAME = /^[A-Za-z0-9/_+=.@-]+$/;

export const notFound = () =>
  new AwsError(Errors.ResourceNotFound, "Secrets Manager can't find the specified secret.");

export const markedForDeletion = () =>
  new AwsError(
    Errors.InvalidRequest,
    "You can't perform this operation on the secret because it was marked for deletion.",
  );

export function invalidName(): AwsError {
  return new AwsError(
    Errors.Validation,
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
  );
}

export function checkSecretId(c: Constraints, id: string | undefined, path = "secretId") {
  c.length(path, id, 1, 2048);
}

/** A secret name or a (partial) ARN must be well-formed before it is looked up. */
export function checkIdShape(id: string) {
  if (!id.startsWith("arn:") && !NAME.test(id)) throw invalidName();
}

export function checkName(name: string) {
  if (!NAME.test(name)) throw invalidName();
}

const ARN_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A secret ARN: the name plus a hyphen and six random characters, new for every secret created. */
export function newSecretArn(ctx: Pick<RequestContext, "region" | "accountId">, name: string): string {
  let suffix = "";
  for (let i = 0; i < 6; i++) suffix += ARN_SUFFIX[randomInt(ARN_SUFFIX.length)];
  return formatArn({
    service: "secretsmanager",
    region: ctx.region,
    accountId: ctx.accountId,
    resource: `secret:${name}-${suffix}`,
  });
}

/** Whether a scheduled deletion has taken effect (the purge loop removes such records later). */
export const isGone = (rec: SecretRecord, now: number) =>
  rec.deletionDate !== undefined && rec.deletionDate <= now;

/**
 * Find a secret by name, full ARN or partial ARN (the ARN without its random suffix). A secret whose
 * deletion date has passed no longer exists.
 */
export async function findSecret(
  tx: ReadTx,
  ctx: Pick<RequestContext, "region" | "accountId" | "now">,
  id: string,
): Promise<StoredRecord<SecretRecord> | undefined> {
  checkIdShape(id);
  let rec: StoredRecord<SecretRecord> | undefined;
  if (id.startsWith("arn:")) {
    const arn = parseArn(id);
    if (arn?.service !== "secretsmanager" || !arn.resource.startsWith("secret:")) return undefined;
    if (arn.region !== ctx.region || arn.accountId !== ctx.accountId) return undefined;
    const rest = arn.resource.slice("secret:".length);
    if (rest.length > 7 && rest[rest.length - 7] === "-") {
      const full = await getSecret(tx, ctx.region, rest.slice(0, -7));
      if (full?.value.arn === id) rec = full;
    }
    rec ??= await getSecret(tx, ctx.region, rest);
  } else {
    rec = await getSecret(tx, ctx.region, id);
  }
  if (!rec || isGone(rec.value, ctx.now)) return undefined;
  return rec;
}

/** Find a secret that must exist and must not be scheduled for deletion. */
export async function liveSecret(
  tx: ReadTx,
  ctx: RequestContext,
  id: string,
): Promise<StoredRecord<SecretRecord>> {
  const rec = await findSecret(tx, ctx, id);
  if (!rec) throw notFound();
  if (rec.value.deletedAt !== undefined) throw markedForDeletion();
  return rec;
}

/** Drop a secret whose scheduled deletion has passed so its name can be used again. */
export async function purgeIfGone(tx: WriteTx, ctx: RequestContext, name: string): Promise<void> {
  const rec = await getSecret(tx, ctx.region, name);
  if (rec && isGone(rec.value, ctx.now)) await purgeSecret(tx, ctx.region, name);
}

/** Resolve the KMS key a secret names; KMS's refusal becomes Secrets Manager's EncryptionFailure. */
export async function secretKey(
  tx: WriteTx,
  deps: SecretsManagerDeps,
  ctx: RequestContext,
  ref: string | undefined,
): Promise<string> {
  try {
    const key = await resolveKey(tx, deps.keyring.get(), ctx, ref ?? DEFAULT_KEY, { requireEnabled: true });
    return key.value.keyId;
  } catch (err) {
    if (err instanceof AwsError) {
      throw new AwsError(
        Errors.EncryptionFailure,
        `Secrets Manager can't encrypt the secret value: ${kmsCause(err)}`,
      );
    }
    throw err;
  }
}

export interface SecretValueInput {
  SecretString?: string | undefined;
  SecretBinary?: Uint8Array | undefined;
}

/** Value members shared by CreateSecret, PutSecretValue and UpdateSecret. */
export function checkValue(c: Constraints, input: SecretValueInput, minLength = 1) {
  c.length("secretString", input.SecretString, minLength, 65536, true);
  c.length("secretBinary", input.SecretBinary, minLength, 65536, true);
}

export function oneValue(input: SecretValueInput): { bytes: Buffer; binary: boolean } | undefined {
  if (input.SecretString !== undefined && input.SecretBinary !== undefined) {
    throw new AwsError(
      Errors.InvalidParameter,
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  }
  if (input.SecretString !== undefined)
    return { bytes: Buffer.from(input.SecretString, "utf8"), binary: false };
  if (input.SecretBinary !== undefined) return { bytes: Buffer.from(input.SecretBinary), binary: true };
  return undefined;
}

export function checkToken(c: Constraints, token: string | undefined) {
  c.length("clientRequestToken", token, 32, 64);
}

export const requireToken = (token: string | undefined): string => {
  if (token === undefined) {
    throw new AwsError(
      Errors.InvalidRequest,
      "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
    );
  }
  return token;
};

export async function sealVersion(
  tx: WriteTx,
  deps: SecretsManagerDeps,
  ctx: RequestContext,
  name: string,
  versionId: string,
  bytes: Buffer,
): Promise<void> {
  await sealInto(tx, deps.keyring.get(), versionValueKey(ctx.region, name, versionId), bytes);
}

/** A version's value; DecryptionFailure (never the value) when the master key cannot open it. */
export async function openVersion(
  tx: ReadTx,
  deps: SecretsManagerDeps,
  region: string,
  name: string,
  v: SecretVersionRecord,
): Promise<Buffer> {
  let plain: Buffer | undefined;
  try {
    plain = await openFrom(tx, deps.keyring.get(), versionValueKey(region, name, v.id));
  } catch (err) {
    throw new AwsError(
      Errors.DecryptionFailure,
      `Secrets Manager can't decrypt the protected secret text using the provided KMS key: ${(err as Error).message}.`,
    );
  }
  if (!plain) throw new Error(`secret ${name} version ${v.id} has no sealed value`);
  return plain;
}

/**
 * Whether a stored version holds exactly this value (idempotent retries with the same token), compared
 * in constant time so that a caller cannot learn a stored secret byte by byte from response times.
 */
export async function sameValue(
  tx: ReadTx,
  deps: SecretsManagerDeps,
  region: string,
  name: string,
  v: SecretVersionRecord,
  value: { bytes: Buffer; binary: boolean },
): Promise<boolean> {
  if (v.binary !== value.binary) return false;
  const stored = await openVersion(tx, deps, region, name, v);
  try {
    return constantTimeEqual(stored, value.bytes);
  } finally {
    stored.fill(0);
  }
}

/** Midnight UTC of a time: Secrets Manager's LastAccessedDate has no time of day. */
export const dayOf = (ms: number) => Math.floor(ms / 86_400_000) * 86_400_000;

export function checkTags(c: Constraints, tags: readonly { Key?: string; Value?: string }[] | undefined) {
  (tags ?? []).forEach((t, i) => {
    c.length(`tags.${i + 1}.member.key`, t.Key, 1, 128);
    c.length(`tags.${i + 1}.member.value`, t.Value, 0, 256);
  });
}

export function mergeTags(
  current: readonly { Key: string; Value: string }[],
  add: readonly { Key?: string; Value?: string }[],
): { Key: string; Value: string }[] {
  const map = new Map(current.map((t) => [t.Key, t.Value]));
  for (const t of add) map.set(t.Key!, t.Value ?? "");
  if (map.size > 50) {
    throw new AwsError(Errors.InvalidParameter, "A secret can have at most 50 tags.");
  }
  return [...map].map(([Key, Value]) => ({ Key, Value }));
}

export { Constraints };
