import type { ReadTx, WriteTx } from "../store.js";
import { GLOBAL, IAM, nameKey } from "./kinds.js";
import type { AccessKeyRecord } from "./records.js";

const keyKey = (id: string) => `${GLOBAL}${id}`;
const userKeyPrefix = (userName: string) => `${nameKey(userName)}/`;

export const getAccessKey = (tx: ReadTx, id: string) => tx.get<AccessKeyRecord>(IAM.accessKey, keyKey(id));

export async function putAccessKey(tx: WriteTx, rec: AccessKeyRecord): Promise<void> {
  await tx.put(IAM.accessKey, keyKey(rec.accessKeyId), rec);
  await tx.put(IAM.userAccessKey, `${userKeyPrefix(rec.userName)}${rec.accessKeyId}`, {});
}

export async function deleteAccessKey(tx: WriteTx, rec: AccessKeyRecord): Promise<void> {
  await tx.delete(IAM.accessKey, keyKey(rec.accessKeyId));
  await tx.delete(IAM.userAccessKey, `${userKeyPrefix(rec.userName)}${rec.accessKeyId}`);
}

/** A user's access keys, in id order. */
export async function userAccessKeys(tx: ReadTx, userName: string): Promise<AccessKeyRecord[]> {
  const prefix = userKeyPrefix(userName);
  const index = await tx.scan(IAM.userAccessKey, { prefix });
  const out: AccessKeyRecord[] = [];
  for (const r of index) {
    const rec = await getAccessKey(tx, r.key.slice(prefix.length));
    if (rec) out.push(rec.value);
  }
  return out;
}

export const countUserAccessKeys = (tx: ReadTx, userName: string) =>
  tx.count(IAM.userAccessKey, userKeyPrefix(userName));
