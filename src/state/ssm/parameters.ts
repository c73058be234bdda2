/**
 * SSM parameters: one record per parameter holding every kept version (at most 100), so that a new
 * version, a label move or a delete is a single write. SecureString values are not here: each such
 * version's value is sealed in the vault under `${region}/ssm/${name}#${version padded to 10}`.
 */
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { dropPrefix } from "../vault.js";

export const SSM = {
  /** `${region}/${name}`: path names keep their leading slash, so `${region}//a/b`. */
  parameter: "ssm.parameter",
} as const;

export type ParameterType = "String" | "StringList" | "SecureString";
export type StoredTier = "Standard" | "Advanced";

export interface ParameterVersionRecord {
  version: number;
  type: ParameterType;
  /** The value of a String or StringList version; absent for SecureString (see the vault). */
  value?: string;
  description?: string;
  allowedPattern?: string;
  /** SecureString: the KMS key as the caller named it (default `alias/aws/ssm`). */
  keyId?: string;
  /** SecureString: the id of the KMS key that reference resolved to. */
  kmsKeyId?: string;
  dataType: string;
  tier: StoredTier;
  labels: string[];
  lastModified: number;
  lastModifiedUser: string;
}

export interface ParameterRecord {
  name: string;
  /** The tier of the parameter (an Advanced parameter never goes back to Standard). */
  tier: StoredTier;
  tags: { Key: string; Value: string }[];
  /** Oldest first; the last is the current version. */
  versions: ParameterVersionRecord[];
}

export const parameterKey = (region: string, name: string) => `${region}/${name}`;

export const secureValueKey = (region: string, name: string, version: number) =>
  `${region}/ssm/${name}#${String(version).padStart(10, "0")}`;

export const getParameter = (tx: ReadTx, region: string, name: string) =>
  tx.get<ParameterRecord>(SSM.parameter, parameterKey(region, name));

export const putParameter = (tx: WriteTx, region: string, rec: ParameterRecord, expectVersion: number) =>
  tx.put(SSM.parameter, parameterKey(region, rec.name), rec, { expectVersion });

/** Delete a parameter and every sealed value of it. */
export async function deleteParameter(tx: WriteTx, region: string, name: string): Promise<boolean> {
  const deleted = await tx.delete(SSM.parameter, parameterKey(region, name));
  if (deleted) await dropPrefix(tx, `${region}/ssm/${name}#`);
  return deleted;
}

/** Parameters in name order after `afterName`, at most `limit`. */
export const scanParameters = (
  tx: ReadTx,
  region: string,
  opts: { prefix?: string; afterName?: string; limit: number },
): Promise<StoredRecord<ParameterRecord>[]> =>
  tx.scan<ParameterRecord>(SSM.parameter, {
    prefix: `${region}/${opts.prefix ?? ""}`,
    limit: opts.limit,
    ...(opts.afterName !== undefined ? { after: parameterKey(region, opts.afterName) } : {}),
  });

export const current = (rec: ParameterRecord): ParameterVersionRecord =>
  rec.versions[rec.versions.length - 1]!;
