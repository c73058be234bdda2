import type { ReadTx, WriteTx } from "../store.js";
import { GLOBAL, IAM, nameKey } from "./kinds.js";
import type { ManagedPolicyRecord, PolicyAttachments } from "./records.js";

export const getPolicy = (tx: ReadTx, name: string) => tx.get<ManagedPolicyRecord>(IAM.policy, nameKey(name));

export const putPolicy = (tx: WriteTx, rec: ManagedPolicyRecord, expectVersion?: number) =>
  tx.put(IAM.policy, nameKey(rec.name), rec, expectVersion === undefined ? {} : { expectVersion });

export const deletePolicy = (tx: WriteTx, name: string) => tx.delete(IAM.policy, nameKey(name));

export const scanPolicies = (tx: ReadTx) => tx.scan<ManagedPolicyRecord>(IAM.policy, { prefix: GLOBAL });

const attachmentKey = (policyArn: string) => `${GLOBAL}${policyArn}`;

export async function getAttachments(tx: ReadTx, policyArn: string): Promise<PolicyAttachments> {
  return (
    (await tx.get<PolicyAttachments>(IAM.attachments, attachmentKey(policyArn)))?.value ?? {
      users: [],
      roles: [],
    }
  );
}

export async function putAttachments(tx: WriteTx, policyArn: string, a: PolicyAttachments): Promise<void> {
  if (a.users.length === 0 && a.roles.length === 0)
    await tx.delete(IAM.attachments, attachmentKey(policyArn));
  else await tx.put(IAM.attachments, attachmentKey(policyArn), a);
}

export const deleteAttachments = (tx: WriteTx, policyArn: string) =>
  tx.delete(IAM.attachments, attachmentKey(policyArn));
