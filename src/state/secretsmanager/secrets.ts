/**
 * Secrets Manager secrets: one record per secret with its versions' metadata. Each version's value
 * is sealed in the vault under `${region}/secretsmanager/${name}#${versionId}` (`#` cannot appear in
 * a secret name, so one secret's prefix never covers another's).
 */
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { dropFrom, dropPrefix } from "../vault.js";

export const SM = {
  /** `${region}/${name}` */
  secret: "secretsmanager.secret",
} as const;

export interface SecretVersionRecord {
  id: string;
  stages: string[];
  created: number;
  /** Midnight UTC of the day the version was last read. */
  lastAccessed?: number;
  /** The value is bytes (SecretBinary) rather than text. */
  binary: boolean;
  /** The KMS key id the secret named when this version was stored. */
  kmsKeyId: string;
}

export interface SecretRecord {
  name: string;
  arn: string;
  description?: string;
  /** The caller's KmsKeyId as given; absent means the default key alias/aws/secretsmanager. */
  kmsKeyRef?: string;
  /** The KMS key id the reference resolved to. */
  kmsKeyId: string;
  /** The secret's Type (CreateSecret's free-form type), when given. */
  type?: string;
  tags: { Key: string; Value: string }[];
  created: number;
  lastChanged: number;
  lastAccessed?: number;
  /** When DeleteSecret was called; the secret is scheduled for deletion. */
  deletedAt?: number;
  /** When a scheduled deletion takes effect. */
  deletionDate?: number;
  versions: SecretVersionRecord[];
}

export const secretKey = (region: string, name: string) => `${region}/${name}`;

export const versionValueKey = (region: string, name: string, versionId: string) =>
  `${region}/secretsmanager/${name}#${versionId}`;

export const getSecret = (tx: ReadTx, region: string, name: string) =>
  tx.get<SecretRecord>(SM.secret, secretKey(region, name));

export const putSecret = (tx: WriteTx, region: string, rec: SecretRecord, expectVersion: number) =>
  tx.put(SM.secret, secretKey(region, rec.name), rec, { expectVersion });

/** Remove a secret and all its sealed values. */
export async function purgeSecret(tx: WriteTx, region: string, name: string): Promise<void> {
  await tx.delete(SM.secret, secretKey(region, name));
  await dropPrefix(tx, `${region}/secretsmanager/${name}#`);
}

export const dropVersionValue = (tx: WriteTx, region: string, name: string, versionId: string) =>
  dropFrom(tx, versionValueKey(region, name, versionId));

export const scanSecrets = (
  tx: ReadTx,
  opts: { prefix: string; after?: string; limit: number },
): Promise<StoredRecord<SecretRecord>[]> =>
  tx.scan<SecretRecord>(SM.secret, {
    prefix: opts.prefix,
    limit: opts.limit,
    ...(opts.after !== undefined ? { after: opts.after } : {}),
  });
