/**
 * What KMS's operations act on, for IAM authorization (Service Authorization Reference, AWS Key
 * Management Service):
 *
 * - A key is `arn:aws:kms:<region>:<account>:key/<key-id>`. A KeyId given as an alias name or
 *   alias ARN is resolved to its target key, with `kms:RequestAlias` set to the alias; an alias that
 *   does not exist (the AWS managed `alias/aws/ssm` before its first use, say) is the resource
 *   itself. Decrypt acts on the key the ciphertext names.
 * - CreateAlias and DeleteAlias act on the alias ARN and on its key (on AWS the key half is the key
 *   policy's: Berth has no key policies and treats every key as having the default one, which lets
 *   IAM decide).
 * - CreateKey, ListKeys, ListAliases and GenerateRandom act on `*`; CreateKey with Tags also needs
 *   kms:TagResource.
 * - Condition keys: `kms:CallerAccount`; `kms:RequestAlias`; `kms:ResourceAliases` (the aliases of
 *   the key); `kms:EncryptionContext:<key>`, `kms:EncryptionContextKeys` and
 *   `kms:EncryptionAlgorithm` on the cryptographic operations; `kms:KeySpec`, `kms:KeyUsage`,
 *   `kms:KeyOrigin` and `kms:MultiRegion` (the request's on CreateKey, the key's otherwise; Berth's
 *   keys are all symmetric, single-Region and of AWS_KMS origin); the key's tags.
 *
 * Key records and each region's aliases are cached until the store's change feed says they
 * changed. Resolvers never throw on malformed input: the handler reports it after authorization.
 */
import { parseArn } from "../../domain/arn.js";
import { getKey, KMS, listAliases } from "../../state/kms/keys.js";
import { kindCache, recordCache } from "../../state/record-cache.js";
import type { Store } from "../../state/store.js";
import type { AuthzCheck, AuthzInfo, AuthzResolver, ServiceAuthorization } from "../service.js";
import { blobKeyId } from "./ciphertext.js";
import { aliasArn, keyArn } from "./keys.js";

type Input = Record<string, unknown>;
type Context = Record<string, string | string[]>;

interface KnownKey {
  arn: string;
  tags: Record<string, string>;
}

interface Aliases {
  /** alias name → target key id */
  target: Map<string, string>;
  /** key id → its alias names */
  byKey: Map<string, string[]>;
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");

/** The resource properties of every Berth key, as kms:KeySpec and friends report them. */
const KEY_PROPERTIES: Context = {
  "kms:KeySpec": "SYMMETRIC_DEFAULT",
  "kms:KeyUsage": "ENCRYPT_DECRYPT",
  "kms:KeyOrigin": "AWS_KMS",
  "kms:MultiRegion": "false",
};

function requestTags(tags: unknown): Context {
  const list = Array.isArray(tags) ? (tags as { TagKey?: string; TagValue?: string }[]) : [];
  const out: Context = { "aws:TagKeys": list.map((t) => t.TagKey ?? "") };
  for (const t of list) out[`aws:RequestTag/${t.TagKey}`] = t.TagValue ?? "";
  return out;
}

/** kms:EncryptionContext:<key>, kms:EncryptionContextKeys and kms:EncryptionAlgorithm. */
function cryptoContext(input: Input): Context {
  const ec =
    input.EncryptionContext && typeof input.EncryptionContext === "object"
      ? (input.EncryptionContext as Record<string, unknown>)
      : {};
  const out: Context = {
    "kms:EncryptionContextKeys": Object.keys(ec),
    "kms:EncryptionAlgorithm": text(input.EncryptionAlgorithm) || "SYMMETRIC_DEFAULT",
  };
  for (const [k, v] of Object.entries(ec)) out[`kms:EncryptionContext:${k}`] = text(v);
  return out;
}

export function kmsAuthorization(store: Store): ServiceAuthorization {
  const keys = recordCache<KnownKey | undefined>(store, KMS.key);
  const aliasIndex = kindCache<Aliases>(store, KMS.alias);

  const keyRecord = (info: AuthzInfo, keyId: string) =>
    keys.get(`${info.region}/${keyId}`, async () => {
      const rec = await store.read((tx) => getKey(tx, info.region, keyId));
      return rec
        ? { arn: rec.value.arn, tags: Object.fromEntries(rec.value.tags.map((t) => [t.TagKey, t.TagValue])) }
        : undefined;
    });

  const aliasesOf = (info: AuthzInfo) =>
    aliasIndex.get(info.region, async () => {
      const out: Aliases = { target: new Map(), byKey: new Map() };
      await store.read(async (tx) => {
        let after: string | undefined;
        for (;;) {
          const page = await listAliases(tx, info.region, after, 500);
          for (const r of page) {
            out.target.set(r.value.aliasName, r.value.targetKeyId);
            const list = out.byKey.get(r.value.targetKeyId) ?? [];
            list.push(r.value.aliasName);
            out.byKey.set(r.value.targetKeyId, list);
          }
          if (page.length < 500) break;
          after = page[page.length - 1]!.value.aliasName;
        }
      });
      return out;
    });

  /** The check of a key by id; `requestAlias` when the request named it by an alias. */
  async function keyCheck(info: AuthzInfo, keyId: string, extra: Context, requestAlias?: string) {
    const [known, aliases] = await Promise.all([keyRecord(info, keyId), aliasesOf(info)]);
    const tags = known?.tags;
    const check: AuthzCheck = {
      resource: known?.arn ?? keyArn(info, keyId),
      context: {
        ...KEY_PROPERTIES,
        "kms:CallerAccount": info.accountId,
        "kms:ResourceAliases": aliases.byKey.get(keyId) ?? [],
        ...(requestAlias !== undefined ? { "kms:RequestAlias": requestAlias } : {}),
        ...extra,
      },
      ...(tags ? { tags: async () => tags } : {}),
    };
    return check;
  }

  /** What a KeyId (key id, key ARN, alias name, alias ARN) names. */
  async function keyRef(info: AuthzInfo, ref: string, extra: Context = {}): Promise<AuthzCheck> {
    let alias: string | undefined;
    if (ref.startsWith("arn:")) {
      const arn = parseArn(ref);
      const mine = arn?.service === "kms" && arn.region === info.region && arn.accountId === info.accountId;
      if (mine && arn.resource.startsWith("key/")) return keyCheck(info, arn.resource.slice(4), extra);
      if (!mine || !arn.resource.startsWith("alias/")) {
        return { resource: ref, context: { "kms:CallerAccount": info.accountId, ...extra } };
      }
      alias = arn.resource;
    } else if (ref.startsWith("alias/")) {
      alias = ref;
    } else {
      return keyCheck(info, ref, extra);
    }
    const target = (await aliasesOf(info)).target.get(alias);
    if (target !== undefined) return keyCheck(info, target, extra, alias);
    return {
      resource: aliasArn(info, alias),
      context: { "kms:CallerAccount": info.accountId, "kms:RequestAlias": alias, ...extra },
    };
  }

  const byKeyId =
    (extra?: (input: Input) => Context): AuthzResolver<Input> =>
    async (input, info) => [await keyRef(info, text(input.KeyId), extra?.(input))];

  const operations: Record<string, AuthzResolver<Input>> = {
    CreateKey: (input, info) => {
      const tags = requestTags(input.Tags);
      const checks: AuthzCheck[] = [
        {
          resource: "*",
          context: {
            "kms:CallerAccount": info.accountId,
            "kms:KeySpec": text(input.KeySpec) || text(input.CustomerMasterKeySpec) || "SYMMETRIC_DEFAULT",
            "kms:KeyUsage": text(input.KeyUsage) || "ENCRYPT_DECRYPT",
            "kms:KeyOrigin": text(input.Origin) || "AWS_KMS",
            "kms:MultiRegion": String(input.MultiRegion === true),
            ...tags,
          },
        },
      ];
      // "To use the Tags parameter, kms:TagResource (IAM policy)."
      if (Array.isArray(input.Tags) && input.Tags.length > 0) {
        checks.push({ action: "kms:TagResource", resource: "*", context: tags });
      }
      return checks;
    },
    DescribeKey: byKeyId(),
    EnableKey: byKeyId(),
    DisableKey: byKeyId(),
    Encrypt: byKeyId(cryptoContext),
    GenerateDataKey: byKeyId(cryptoContext),
    GenerateDataKeyWithoutPlaintext: byKeyId(cryptoContext),
    Decrypt: async (input, info) => {
      const blob = input.CiphertextBlob instanceof Uint8Array ? Buffer.from(input.CiphertextBlob) : undefined;
      const keyId = blob ? blobKeyId(blob) : undefined;
      // A blob that names no key is refused by the handler (InvalidCiphertextException) before any
      // key is used, so there is nothing to authorize.
      if (keyId === undefined) return [];
      return [await keyCheck(info, keyId, cryptoContext(input))];
    },
    CreateAlias: async (input, info) => [
      { resource: aliasArn(info, text(input.AliasName)), context: { "kms:CallerAccount": info.accountId } },
      await keyRef(info, text(input.TargetKeyId)),
    ],
    DeleteAlias: async (input, info) => {
      const name = text(input.AliasName);
      const checks: AuthzCheck[] = [
        { resource: aliasArn(info, name), context: { "kms:CallerAccount": info.accountId } },
      ];
      const target = (await aliasesOf(info)).target.get(name);
      if (target !== undefined) checks.push(await keyCheck(info, target, {}));
      return checks;
    },
  };
  return { operations: operations as ServiceAuthorization["operations"] };
}
