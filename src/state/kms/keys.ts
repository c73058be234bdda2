/**
 * KMS keys and aliases. A key's 256-bit material is sealed in the vault (`${region}/kms/${keyId}`);
 * the key record holds metadata only.
 */
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";

export const KMS = {
  /** `${region}/${keyId}` */
  key: "kms.key",
  /** `${region}/${aliasName}` (aliasName includes the `alias/` prefix) */
  alias: "kms.alias",
} as const;

export interface KmsTag {
  TagKey: string;
  TagValue: string;
}

export interface KmsKeyRecord {
  keyId: string;
  arn: string;
  accountId: string;
  createdAt: number;
  description: string;
  enabled: boolean;
  /** AWS for the service default keys (alias/aws/...), CUSTOMER for CreateKey's. */
  keyManager: "AWS" | "CUSTOMER";
  tags: KmsTag[];
}

export interface KmsAliasRecord {
  aliasName: string;
  aliasArn: string;
  targetKeyId: string;
  createdAt: number;
  updatedAt: number;
}

export const keyMaterialKey = (region: string, keyId: string) => `${region}/kms/${keyId}`;

export const getKey = (tx: ReadTx, region: string, keyId: string) =>
  tx.get<KmsKeyRecord>(KMS.key, `${region}/${keyId}`);

export const putKey = (tx: WriteTx, region: string, rec: KmsKeyRecord, expectVersion?: number) =>
  tx.put(KMS.key, `${region}/${rec.keyId}`, rec, expectVersion === undefined ? {} : { expectVersion });

export const getAlias = (tx: ReadTx, region: string, aliasName: string) =>
  tx.get<KmsAliasRecord>(KMS.alias, `${region}/${aliasName}`);

export const putAlias = (tx: WriteTx, region: string, rec: KmsAliasRecord) =>
  tx.put(KMS.alias, `${region}/${rec.aliasName}`, rec);

export const deleteAlias = (tx: WriteTx, region: string, aliasName: string) =>
  tx.delete(KMS.alias, `${region}/${aliasName}`);

export const listKeys = (tx: ReadTx, region: string, after: string | undefined, limit: number) =>
  tx.scan<KmsKeyRecord>(KMS.key, {
    prefix: `${region}/`,
    limit,
    ...(after !== undefined ? { after: `${region}/${after}` } : {}),
  });

export const listAliases = (
  tx: ReadTx,
  region: string,
  after: string | undefined,
  limit: number,
): Promise<StoredRecord<KmsAliasRecord>[]> =>
  tx.scan<KmsAliasRecord>(KMS.alias, {
    prefix: `${region}/`,
    limit,
    ...(after !== undefined ? { after: `${region}/${after}` } : {}),
  });
