/**
 * kms:Decrypt that Parameter Store and Secrets Manager ask of KMS for their caller when they open a
 * value (AWS calls this a forward access session: the caller's own permissions, with
 * `kms:ViaService` set to the service's endpoint and the value's encryption context).
 *
 * Berth evaluates it only for customer managed keys. Berth keeps no key policies and treats every
 * customer managed key as having the default key policy, which lets IAM policies decide. An AWS
 * managed key (`alias/aws/ssm`, `alias/aws/secretsmanager`) has a key policy that allows every
 * principal of the account through its service, so reading a value under it needs no kms:Decrypt.
 */
import type { AwsError } from "../../errors/catalog.js";
import { getKey } from "../../state/kms/keys.js";
import type { ReadTx } from "../../state/store.js";
import type { RequestContext } from "../service.js";

/**
 * The refusal of kms:Decrypt on `keyId` for the caller of `ctx` through `service`, or undefined when
 * allowed (or when the key is AWS managed or gone: the value's own errors apply then).
 */
export async function decryptRefusal(
  tx: ReadTx,
  ctx: RequestContext,
  service: "ssm" | "secretsmanager",
  keyId: string,
  encryptionContext: Readonly<Record<string, string>>,
): Promise<AwsError | undefined> {
  if (!ctx.authorize) return undefined;
  const key = await getKey(tx, ctx.region, keyId);
  if (key?.value.keyManager !== "CUSTOMER") return undefined;
  const context: Record<string, string | string[]> = {
    "kms:ViaService": `${service}.${ctx.region}.amazonaws.com`,
    "kms:CallerAccount": ctx.accountId,
    "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    "kms:EncryptionContextKeys": Object.keys(encryptionContext),
  };
  for (const [k, v] of Object.entries(encryptionContext)) context[`kms:EncryptionContext:${k}`] = v;
  const tags = Object.fromEntries(key.value.tags.map((t) => [t.TagKey, t.TagValue]));
  return ctx.authorize([{ action: "kms:Decrypt", resource: key.value.arn, context, tags: async () => tags }]);
}
