/**
 * AWS KMS (awsJson1_1, target prefix TrentService): the part clients need around SSM SecureStrings
 * and Secrets Manager secrets: symmetric keys, aliases, Encrypt/Decrypt and data keys.
 */
import { randomBytes } from "node:crypto";
import type {
  CreateAliasRequest,
  CreateKeyRequest,
  CreateKeyResponse,
  DecryptRequest,
  DecryptResponse,
  DeleteAliasRequest,
  DescribeKeyRequest,
  DescribeKeyResponse,
  DisableKeyRequest,
  EnableKeyRequest,
  EncryptRequest,
  EncryptResponse,
  GenerateDataKeyRequest,
  GenerateDataKeyResponse,
  GenerateDataKeyWithoutPlaintextRequest,
  GenerateDataKeyWithoutPlaintextResponse,
  GenerateRandomRequest,
  GenerateRandomResponse,
  KeyMetadata,
  ListAliasesRequest,
  ListAliasesResponse,
  ListKeysRequest,
  ListKeysResponse,
} from "@aws-sdk/client-kms";
import * as sdk from "@aws-sdk/client-kms";
import type { KeyringSource } from "../../crypto/master-key.js";
import { Constraints, coralMissing } from "../../domain/constraints.js";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import {
  deleteAlias,
  getAlias,
  type KmsKeyRecord,
  type KmsTag,
  listAliases,
  listKeys,
  putAlias,
  putKey,
} from "../../state/kms/keys.js";
import type { Store, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext, ServiceDefinition } from "../service.js";
import { kmsAuthorization } from "./authz.js";
import { open, blobKeyId as readBlobKeyId, seal } from "./ciphertext.js";
import { aliasArn, createKey, keyMaterial, MANAGED_ALIASES, resolveKey } from "./keys.js";

export interface KmsDeps {
  store: Store;
  keyring: KeyringSource;
}

let model: ServiceModel | undefined;
export const kmsModel = () => (model ??= new ServiceModel(sdk));

export function renderKey(k: KmsKeyRecord): KeyMetadata {
  return {
    AWSAccountId: k.accountId,
    KeyId: k.keyId,
    Arn: k.arn,
    CreationDate: new Date(k.createdAt),
    Enabled: k.enabled,
    Description: k.description,
    KeyUsage: "ENCRYPT_DECRYPT",
    KeyState: k.enabled ? "Enabled" : "Disabled",
    Origin: "AWS_KMS",
    KeyManager: k.keyManager,
    CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
    KeySpec: "SYMMETRIC_DEFAULT",
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: false,
  };
}

const where = (ctx: RequestContext) => ({ region: ctx.region, accountId: ctx.accountId, now: ctx.now });

function validateTags(tags: readonly { TagKey?: string; TagValue?: string }[] | undefined): KmsTag[] {
  const c = new Constraints();
  (tags ?? []).forEach((t, i) => {
    c.length(`tags.${i + 1}.member.tagKey`, t.TagKey, 1, 128);
    c.length(`tags.${i + 1}.member.tagValue`, t.TagValue, 0, 256);
  });
  c.throwIfAny();
  const seen = new Set<string>();
  for (const t of tags ?? []) {
    if (t.TagKey!.toLowerCase().startsWith("aws:"))
      throw new AwsError(Errors.KmsTag, "Tags beginning with aws: are reserved");
    if (seen.has(t.TagKey!)) throw new AwsError(Errors.KmsTag, "Duplicate tag keys");
    seen.add(t.TagKey!);
  }
  if (seen.size > 50) throw new AwsError(Errors.KmsTag, "Too many tags");
  return (tags ?? []).map((t) => ({ TagKey: t.TagKey!, TagValue: t.TagValue! }));
}

function checkKeyId(c: Constraints, keyId: string | undefined, path = "keyId") {
  c.length(path, keyId, 1, 2048);
}

function dryRun(flag: boolean | undefined) {
  if (flag) {
    throw new AwsError(Errors.KmsDryRun, "The request would have succeeded, but the DryRun option is set.");
  }
}

function checkAlgorithm(alg: string | undefined) {
  if (alg !== undefined && alg !== "SYMMETRIC_DEFAULT") {
    const c = new Constraints();
    const all = ["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];
    c.oneOf("encryptionAlgorithm", alg, all);
    c.throwIfAny();
    throw new AwsError(
      Errors.InvalidKeyUsage,
      `The encryption algorithm ${alg} is not valid for a SYMMETRIC_DEFAULT key.`,
    );
  }
}

const PAGE_LIST = { keys: "kms-keys", aliases: "kms-aliases" };

function page(list: string, limit: number | undefined, marker: string | undefined) {
  const c = new Constraints();
  c.range("limit", limit, 1, 1000);
  c.length("marker", marker, 1, 1024);
  c.throwIfAny();
  let after: string | undefined;
  if (marker !== undefined) {
    after = decodeToken(list, marker);
    if (after === undefined) throw new AwsError(Errors.KmsInvalidMarker, "Invalid marker");
  }
  return { after, limit: limit ?? 100 };
}

export function kmsService(deps: KmsDeps): ServiceDefinition {
  const { store } = deps;
  const keyring = () => deps.keyring.get();

  async function dataKey(
    tx: WriteTx,
    ctx: RequestContext,
    input: GenerateDataKeyRequest,
  ): Promise<{ plaintext: Buffer; blob: Buffer; arn: string }> {
    const c = new Constraints();
    checkKeyId(c, input.KeyId);
    c.range("numberOfBytes", input.NumberOfBytes, 1, 1024);
    c.oneOf("keySpec", input.KeySpec, ["AES_256", "AES_128"]);
    c.throwIfAny();
    if ((input.NumberOfBytes === undefined) === (input.KeySpec === undefined)) {
      throw new AwsError(Errors.Validation, "Please specify either number of bytes or key spec.");
    }
    const key = await resolveKey(tx, keyring(), where(ctx), input.KeyId!, { requireEnabled: true });
    dryRun(input.DryRun);
    const bytes = input.NumberOfBytes ?? (input.KeySpec === "AES_128" ? 16 : 32);
    const plaintext = randomBytes(bytes);
    const material = await keyMaterial(tx, keyring(), ctx.region, key.value.keyId);
    try {
      return {
        plaintext,
        blob: seal(key.value.keyId, material, plaintext, input.EncryptionContext),
        arn: key.value.arn,
      };
    } finally {
      material.fill(0);
    }
  }

  const handlers = {
    CreateKey: (async (input, ctx) => {
      const c = new Constraints();
      c.length("description", input.Description, 0, 8192);
      c.length("policy", input.Policy, 1, 131072);
      c.throwIfAny();
      const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
      if (
        spec !== "SYMMETRIC_DEFAULT" ||
        (input.KeyUsage ?? "ENCRYPT_DECRYPT") !== "ENCRYPT_DECRYPT" ||
        (input.Origin ?? "AWS_KMS") !== "AWS_KMS" ||
        input.MultiRegion === true ||
        input.CustomKeyStoreId !== undefined
      ) {
        throw new AwsError(
          Errors.KmsUnsupportedOperation,
          "Berth supports symmetric encryption keys only: KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT, Origin AWS_KMS, single-Region.",
        );
      }
      const tags = validateTags(input.Tags);
      return store.write(async (tx) => {
        const rec = await createKey(tx, keyring(), where(ctx), {
          description: input.Description ?? "",
          keyManager: "CUSTOMER",
          tags,
        });
        return { KeyMetadata: renderKey(rec) };
      });
    }) as Handler<CreateKeyRequest, CreateKeyResponse>,

    DescribeKey: (async (input, ctx) => {
      const c = new Constraints();
      checkKeyId(c, input.KeyId);
      c.throwIfAny();
      // A write: describing alias/aws/ssm creates the AWS-managed key, as its first use does on AWS.
      return store.write(async (tx) => {
        const rec = await resolveKey(tx, keyring(), where(ctx), input.KeyId!);
        return { KeyMetadata: renderKey(rec.value) };
      });
    }) as Handler<DescribeKeyRequest, DescribeKeyResponse>,

    EnableKey: (async (input, ctx) => setEnabled(input, ctx, true)) as Handler<EnableKeyRequest, object>,
    DisableKey: (async (input, ctx) => setEnabled(input, ctx, false)) as Handler<DisableKeyRequest, object>,

    ListKeys: (async (input, ctx) => {
      const p = page(PAGE_LIST.keys, input.Limit, input.Marker);
      return store.read(async (tx) => {
        const recs = await listKeys(tx, ctx.region, p.after, p.limit + 1);
        const items = recs.slice(0, p.limit);
        const truncated = recs.length > p.limit;
        return {
          Keys: items.map((r) => ({ KeyId: r.value.keyId, KeyArn: r.value.arn })),
          Truncated: truncated,
          ...(truncated
            ? { NextMarker: encodeToken(PAGE_LIST.keys, items[items.length - 1]!.value.keyId) }
            : {}),
        };
      });
    }) as Handler<ListKeysRequest, ListKeysResponse>,

    ListAliases: (async (input, ctx) => {
      const c = new Constraints();
      c.length("keyId", input.KeyId, 1, 2048);
      c.throwIfAny();
      const p = page(PAGE_LIST.aliases, input.Limit, input.Marker);
      return store.write(async (tx) => {
        let target: string | undefined;
        if (input.KeyId !== undefined) {
          if (input.KeyId.startsWith("alias/") || input.KeyId.includes(":alias/")) {
            throw new AwsError(Errors.KmsNotFound, `Invalid keyId '${input.KeyId}'`);
          }
          target = (await resolveKey(tx, keyring(), where(ctx), input.KeyId)).value.keyId;
        }
        const out: ListAliasesResponse["Aliases"] = [];
        let after = p.after;
        let truncated = false;
        for (;;) {
          const recs = await listAliases(tx, ctx.region, after, 200);
          for (const r of recs) {
            if (target !== undefined && r.value.targetKeyId !== target) continue;
            if (out.length === p.limit) {
              truncated = true;
              break;
            }
            out.push({
              AliasName: r.value.aliasName,
              AliasArn: r.value.aliasArn,
              TargetKeyId: r.value.targetKeyId,
              CreationDate: new Date(r.value.createdAt),
              LastUpdatedDate: new Date(r.value.updatedAt),
            });
          }
          if (truncated || recs.length < 200) break;
          after = recs[recs.length - 1]!.value.aliasName;
        }
        return {
          Aliases: out,
          Truncated: truncated,
          ...(truncated
            ? { NextMarker: encodeToken(PAGE_LIST.aliases, out[out.length - 1]!.AliasName!) }
            : {}),
        };
      });
    }) as Handler<ListAliasesRequest, ListAliasesResponse>,

    CreateAlias: (async (input, ctx) => {
      const c = new Constraints();
      c.length("aliasName", input.AliasName, 1, 256);
      c.pattern("aliasName", input.AliasName, /^[a-zA-Z0-9:/_-]+$/, "^[a-zA-Z0-9:/_-]+$");
      checkKeyId(c, input.TargetKeyId, "targetKeyId");
      c.throwIfAny();
      const name = input.AliasName!;
      if (!name.startsWith("alias/")) {
        throw new AwsError(
          Errors.Validation,
          'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
        );
      }
      if (name.startsWith("alias/aws/")) {
        throw new AwsError(
          Errors.InvalidAliasName,
          `Alias ${name} is reserved: names that begin with alias/aws/ belong to AWS managed keys.`,
        );
      }
      return store.write(async (tx) => {
        const existing = await getAlias(tx, ctx.region, name);
        if (existing) {
          throw new AwsError(
            Errors.KmsAlreadyExists,
            `An alias with the name ${existing.value.aliasArn} already exists`,
          );
        }
        if (input.TargetKeyId!.startsWith("alias/") || input.TargetKeyId!.includes(":alias/")) {
          throw new AwsError(Errors.KmsNotFound, `Invalid keyId '${input.TargetKeyId}'`);
        }
        const key = await resolveKey(tx, keyring(), where(ctx), input.TargetKeyId!);
        await putAlias(tx, ctx.region, {
          aliasName: name,
          aliasArn: aliasArn(ctx, name),
          targetKeyId: key.value.keyId,
          createdAt: ctx.now,
          updatedAt: ctx.now,
        });
        return {};
      });
    }) as Handler<CreateAliasRequest, object>,

    DeleteAlias: (async (input, ctx) => {
      const c = new Constraints();
      c.length("aliasName", input.AliasName, 1, 256);
      c.pattern("aliasName", input.AliasName, /^[a-zA-Z0-9:/_-]+$/, "^[a-zA-Z0-9:/_-]+$");
      c.throwIfAny();
      const name = input.AliasName!;
      if (Object.hasOwn(MANAGED_ALIASES, name) || name.startsWith("alias/aws/")) {
        throw new AwsError(
          Errors.InvalidAliasName,
          `Alias ${name} belongs to an AWS managed key and cannot be deleted.`,
        );
      }
      return store.write(async (tx) => {
        if (!(await deleteAlias(tx, ctx.region, name))) {
          throw new AwsError(Errors.KmsNotFound, `Alias ${aliasArn(ctx, name)} is not found.`);
        }
        return {};
      });
    }) as Handler<DeleteAliasRequest, object>,

    Encrypt: (async (input, ctx) => {
      const c = new Constraints();
      checkKeyId(c, input.KeyId);
      c.length("plaintext", input.Plaintext, 1, 4096, true);
      c.throwIfAny();
      checkAlgorithm(input.EncryptionAlgorithm);
      return store.write(async (tx) => {
        const key = await resolveKey(tx, keyring(), where(ctx), input.KeyId!, { requireEnabled: true });
        dryRun(input.DryRun);
        const material = await keyMaterial(tx, keyring(), ctx.region, key.value.keyId);
        try {
          const blob = seal(
            key.value.keyId,
            material,
            Buffer.from(input.Plaintext!),
            input.EncryptionContext,
          );
          return { CiphertextBlob: blob, KeyId: key.value.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
        } finally {
          material.fill(0);
        }
      });
    }) as Handler<EncryptRequest, EncryptResponse>,

    Decrypt: (async (input, ctx) => {
      const c = new Constraints();
      c.length("ciphertextBlob", input.CiphertextBlob, 1, 6144);
      checkKeyId(c, input.KeyId);
      c.throwIfAny();
      checkAlgorithm(input.EncryptionAlgorithm);
      const blob = Buffer.from(input.CiphertextBlob!);
      const blobKeyId = readBlobKeyId(blob);
      if (blobKeyId === undefined) throw new AwsError(Errors.InvalidCiphertext, "");
      return store.write(async (tx) => {
        const w = where(ctx);
        if (input.KeyId !== undefined) {
          const named = await resolveKey(tx, keyring(), w, input.KeyId);
          if (named.value.keyId !== blobKeyId) {
            throw new AwsError(
              Errors.IncorrectKey,
              "The key ID in the request does not identify a CMK that can perform this operation.",
            );
          }
        }
        const key = await resolveKey(tx, keyring(), w, blobKeyId, { requireEnabled: true });
        dryRun(input.DryRun);
        const material = await keyMaterial(tx, keyring(), ctx.region, key.value.keyId);
        try {
          const plaintext = open(key.value.keyId, material, blob, input.EncryptionContext);
          if (!plaintext) throw new AwsError(Errors.InvalidCiphertext, "");
          return { KeyId: key.value.arn, Plaintext: plaintext, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
        } finally {
          material.fill(0);
        }
      });
    }) as Handler<DecryptRequest, DecryptResponse>,

    GenerateDataKey: (async (input, ctx) =>
      store.write(async (tx) => {
        const k = await dataKey(tx, ctx, input);
        return { CiphertextBlob: k.blob, Plaintext: k.plaintext, KeyId: k.arn };
      })) as Handler<GenerateDataKeyRequest, GenerateDataKeyResponse>,

    GenerateDataKeyWithoutPlaintext: (async (input, ctx) =>
      store.write(async (tx) => {
        const k = await dataKey(tx, ctx, input);
        k.plaintext.fill(0);
        return { CiphertextBlob: k.blob, KeyId: k.arn };
      })) as Handler<GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse>,

    GenerateRandom: ((input) => {
      if (input.NumberOfBytes === undefined)
        throw new AwsError(Errors.Validation, "NumberOfBytes is required.");
      const c = new Constraints();
      c.range("numberOfBytes", input.NumberOfBytes, 1, 1024);
      c.throwIfAny();
      if (input.CustomKeyStoreId !== undefined || input.Recipient !== undefined) {
        throw new AwsError(
          Errors.KmsUnsupportedOperation,
          "Berth has no custom key stores and no Nitro enclave recipients.",
        );
      }
      return { Plaintext: randomBytes(input.NumberOfBytes) };
    }) as Handler<GenerateRandomRequest, GenerateRandomResponse>,
  };

  async function setEnabled(input: { KeyId?: string | undefined }, ctx: RequestContext, enabled: boolean) {
    const c = new Constraints();
    checkKeyId(c, input.KeyId);
    c.throwIfAny();
    return store.write(async (tx) => {
      const rec = await resolveKey(tx, keyring(), where(ctx), input.KeyId!);
      if (rec.value.keyManager === "AWS") {
        throw new AwsError(
          Errors.KmsUnsupportedOperation,
          `${rec.value.arn} is an AWS managed key; its state cannot be changed.`,
        );
      }
      if (rec.value.enabled !== enabled) {
        await putKey(tx, ctx.region, { ...rec.value, enabled }, rec.version);
      }
      return {};
    });
  }

  return {
    id: "kms",
    title: "AWS KMS",
    signingName: "kms",
    protocol: "awsJson1_1",
    targetPrefix: "TrentService",
    model: kmsModel(),
    validationError: Errors.Validation,
    missingMessage: coralMissing,
    handlers,
    authorization: kmsAuthorization(store),
    notes: {
      CreateKey:
        "symmetric keys only (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, AWS_KMS origin); Policy is accepted but not enforced",
      Encrypt: "ciphertext blobs are Berth's own format; they decrypt only on the Berth that made them",
      Decrypt: "symmetric ciphertext from this Berth; EncryptionContext must match",
      ListAliases: "lists aliases that exist; AWS-managed aliases appear once their key is first used",
      DescribeKey: "alias/aws/ssm and alias/aws/secretsmanager create their AWS-managed key on first use",
    },
  };
}
