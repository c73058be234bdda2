/**
 * Finding and creating KMS keys: shared by KMS itself and by the services that name a KMS key
 * (SSM SecureString KeyId, Secrets Manager KmsKeyId).
 *
 * A key reference is a key id (UUID), a key ARN, an alias name (`alias/x`) or an alias ARN. The
 * AWS-managed aliases `alias/aws/ssm` and `alias/aws/secretsmanager` get their key the first time
 * they are used, as on AWS; other `alias/aws/...` names are reserved.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Keyring } from "../../crypto/keyring.js";
import { formatArn, parseArn } from "../../domain/arn.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  getAlias,
  getKey,
  type KmsKeyRecord,
  keyMaterialKey,
  putAlias,
  putKey,
} from "../../state/kms/keys.js";
import type { ReadTx, StoredRecord, WriteTx } from "../../state/store.js";
import { openFrom, sealInto } from "../../state/vault.js";

/** The AWS-managed keys Berth creates on first use, with AWS's descriptions. */
export const MANAGED_ALIASES: Readonly<Record<string, string>> = {
  "alias/aws/ssm": "Default key that protects my SSM parameters when no other key is defined",
  "alias/aws/secretsmanager":
    "Default key that protects my Secrets Manager data when no other key is defined",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface Where {
  region: string;
  accountId: string;
  now: number;
}

export const keyArn = (w: Pick<Where, "region" | "accountId">, keyId: string) =>
  formatArn({ service: "kms", region: w.region, accountId: w.accountId, resource: `key/${keyId}` });

export const aliasArn = (w: Pick<Where, "region" | "accountId">, aliasName: string) =>
  formatArn({ service: "kms", region: w.region, accountId: w.accountId, resource: aliasName });

/** Create a key with fresh material sealed in the vault. */
export async function createKey(
  tx: WriteTx,
  keyring: Keyring,
  w: Where,
  opts: { description: string; keyManager: "AWS" | "CUSTOMER"; tags?: KmsKeyRecord["tags"] },
): Promise<KmsKeyRecord> {
  const keyId = randomUUID();
  const rec: KmsKeyRecord = {
    keyId,
    arn: keyArn(w, keyId),
    accountId: w.accountId,
    createdAt: w.now,
    description: opts.description,
    enabled: true,
    keyManager: opts.keyManager,
    tags: opts.tags ?? [],
  };
  await putKey(tx, w.region, rec, 0);
  const material = randomBytes(32);
  await sealInto(tx, keyring, keyMaterialKey(w.region, keyId), material);
  material.fill(0);
  return rec;
}

const notFound = (message: string) => new AwsError(Errors.KmsNotFound, message);

/**
 * Resolve any kind of key reference to its key record, creating an AWS-managed key on first use of
 * its alias. Throws KMS's own errors (NotFoundException, DisabledException) with KMS's wording;
 * callers in other services wrap them as their service does.
 */
export async function resolveKey(
  tx: WriteTx,
  keyring: Keyring,
  w: Where,
  ref: string,
  opts: { requireEnabled?: boolean } = {},
): Promise<StoredRecord<KmsKeyRecord>> {
  let keyId: string;
  let shownArn: string | undefined;
  if (ref.startsWith("arn:")) {
    const arn = parseArn(ref);
    const resource = arn?.resource ?? "";
    if (arn?.service !== "kms" || !(resource.startsWith("key/") || resource.startsWith("alias/"))) {
      throw notFound(`Invalid arn ${ref}`);
    }
    if (arn.region !== w.region) throw notFound(`Invalid arn ${arn.region}`);
    if (resource.startsWith("alias/")) {
      if (arn.accountId !== w.accountId) throw notFound(`Alias ${ref} is not found.`);
      return resolveKey(tx, keyring, w, resource, opts);
    }
    keyId = resource.slice("key/".length);
    shownArn = ref;
    if (arn.accountId !== w.accountId) throw notFound(`Key '${ref}' does not exist`);
  } else if (ref.startsWith("alias/")) {
    const alias = await getAlias(tx, w.region, ref);
    if (alias) {
      keyId = alias.value.targetKeyId;
    } else {
      const description = Object.hasOwn(MANAGED_ALIASES, ref) ? MANAGED_ALIASES[ref] : undefined;
      if (description === undefined) throw notFound(`Alias ${aliasArn(w, ref)} is not found.`);
      const rec = await createKey(tx, keyring, w, { description, keyManager: "AWS" });
      await putAlias(tx, w.region, {
        aliasName: ref,
        aliasArn: aliasArn(w, ref),
        targetKeyId: rec.keyId,
        createdAt: w.now,
        updatedAt: w.now,
      });
      keyId = rec.keyId;
    }
  } else {
    keyId = ref;
  }
  if (!UUID.test(keyId)) throw notFound(`Invalid keyId '${keyId}'`);
  const rec = await getKey(tx, w.region, keyId);
  if (!rec) throw notFound(`Key '${shownArn ?? keyArn(w, keyId)}' does not exist`);
  if (opts.requireEnabled && !rec.value.enabled) {
    throw new AwsError(Errors.KmsDisabled, `${rec.value.arn} is disabled.`);
  }
  return rec;
}

/** The 32-byte material of a key (callers zero it when done). */
export async function keyMaterial(
  tx: ReadTx,
  keyring: Keyring,
  region: string,
  keyId: string,
): Promise<Buffer> {
  const material = await openFrom(tx, keyring, keyMaterialKey(region, keyId));
  if (!material) throw new Error(`KMS key ${keyId} has no material in the vault`);
  return material;
}

/**
 * The message another service (SSM, Secrets Manager) gives when KMS refuses a key: KMS's own message
 * followed by the AWS Java SDK's description of the KMS error, as those services pass it on.
 */
export function kmsCause(err: AwsError): string {
  return `${err.message} (Service: AWSKMS; Status Code: 400; Error Code: ${err.def.code}; Request ID: ${randomUUID()}; Proxy: null)`;
}
