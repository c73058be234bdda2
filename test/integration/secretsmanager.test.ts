/** Secrets Manager (and the KMS calls around it) through the AWS SDK against a real in-process Berth. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  type KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
} from "@aws-sdk/client-kms";
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
} from "@aws-sdk/client-secrets-manager";
import { startBerth, type TestBerth } from "../helpers/berth.js";

async function rejectsWith(
  p: Promise<unknown>,
  name: string,
  message?: string | RegExp,
  status = 400,
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, status);
    if (typeof message === "string") assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";
const MARKED = "You can't perform this operation on the secret because it was marked for deletion.";

describe("Secrets Manager", () => {
  let t: TestBerth;
  let sm: SecretsManagerClient;
  before(async () => {
    t = await startBerth();
    sm = t.secretsManager();
  });
  after(async () => {
    await t.close();
  });

  it("creates string and binary secrets and reads them back by name, ARN and partial ARN", async () => {
    const c = await sm.send(
      new CreateSecretCommand({
        Name: "app/db",
        SecretString: "one",
        Description: "db",
        Tags: [{ Key: "team", Value: "core" }],
      }),
    );
    assert.match(c.ARN!, /^arn:aws:secretsmanager:us-east-1:000000000000:secret:app\/db-[A-Za-z0-9]{6}$/);
    assert.match(c.VersionId!, /^[0-9a-f-]{36}$/);
    for (const id of ["app/db", c.ARN!, "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db"]) {
      const v = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      assert.equal(v.SecretString, "one");
      assert.deepEqual(v.VersionStages, ["AWSCURRENT"]);
      assert.equal(v.ARN, c.ARN);
    }
    const bin = await sm.send(
      new CreateSecretCommand({ Name: "bin", SecretBinary: Buffer.from([0, 255, 7]) }),
    );
    const got = await sm.send(new GetSecretValueCommand({ SecretId: bin.ARN }));
    assert.deepEqual([...got.SecretBinary!], [0, 255, 7]);
    assert.equal(got.SecretString, undefined);
  });

  it("refuses duplicates, bad names and both kinds of value", async () => {
    await rejectsWith(
      sm.send(new CreateSecretCommand({ Name: "app/db", SecretString: "x" })),
      "ResourceExistsException",
      "The operation failed because the secret app/db already exists.",
    );
    await rejectsWith(
      sm.send(new CreateSecretCommand({ Name: "bad name", SecretString: "x" })),
      "ValidationException",
      "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
    );
    await rejectsWith(
      sm.send(new CreateSecretCommand({ Name: "both", SecretString: "x", SecretBinary: Buffer.from("y") })),
      "InvalidParameterException",
    );
    await rejectsWith(
      sm.send(new GetSecretValueCommand({ SecretId: "nope" })),
      "ResourceNotFoundException",
      NOT_FOUND,
    );
  });

  it("a retry with the same ClientRequestToken is idempotent; a different value is refused", async () => {
    const token = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    const a = await sm.send(
      new PutSecretValueCommand({ SecretId: "app/db", SecretString: "two", ClientRequestToken: token }),
    );
    const b = await sm.send(
      new PutSecretValueCommand({ SecretId: "app/db", SecretString: "two", ClientRequestToken: token }),
    );
    assert.equal(a.VersionId, token);
    assert.deepEqual(b.VersionStages, ["AWSCURRENT"]);
    await rejectsWith(
      sm.send(
        new PutSecretValueCommand({ SecretId: "app/db", SecretString: "other", ClientRequestToken: token }),
      ),
      "ResourceExistsException",
      "You can't modify an existing version, you can only create a new version.",
    );
  });

  it("moves AWSCURRENT, AWSPREVIOUS and AWSPENDING as AWS does", async () => {
    const first = await sm.send(
      new GetSecretValueCommand({ SecretId: "app/db", VersionStage: "AWSPREVIOUS" }),
    );
    assert.equal(first.SecretString, "one");
    const pending = await sm.send(
      new PutSecretValueCommand({ SecretId: "app/db", SecretString: "three", VersionStages: ["AWSPENDING"] }),
    );
    assert.deepEqual(pending.VersionStages, ["AWSPENDING"]);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "app/db" }))).SecretString, "two");
    const current = (await sm.send(new GetSecretValueCommand({ SecretId: "app/db" }))).VersionId!;
    await rejectsWith(
      sm.send(
        new UpdateSecretVersionStageCommand({
          SecretId: "app/db",
          VersionStage: "AWSCURRENT",
          MoveToVersionId: pending.VersionId,
        }),
      ),
      "InvalidParameterException",
      /Staging label AWSCURRENT is currently attached to version/,
    );
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: "app/db",
        VersionStage: "AWSCURRENT",
        MoveToVersionId: pending.VersionId,
        RemoveFromVersionId: current,
      }),
    );
    const desc = await sm.send(new DescribeSecretCommand({ SecretId: "app/db" }));
    assert.deepEqual(desc.VersionIdsToStages, {
      [current]: ["AWSPREVIOUS"],
      [pending.VersionId!]: ["AWSPENDING", "AWSCURRENT"],
    });
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "app/db" }))).SecretString, "three");
    await rejectsWith(
      sm.send(
        new GetSecretValueCommand({ SecretId: "app/db", VersionId: current, VersionStage: "AWSCURRENT" }),
      ),
      "InvalidRequestException",
      "You provided a VersionStage that is not associated to the provided VersionId.",
    );
    await rejectsWith(
      sm.send(new GetSecretValueCommand({ SecretId: "app/db", VersionStage: "NOPE" })),
      "ResourceNotFoundException",
      "Secrets Manager can't find the specified secret value for staging label: NOPE",
    );
    await rejectsWith(
      sm.send(
        new GetSecretValueCommand({ SecretId: "app/db", VersionId: "00000000-0000-0000-0000-000000000000" }),
      ),
      "ResourceNotFoundException",
      "Secrets Manager can't find the specified secret value for VersionId: 00000000-0000-0000-0000-000000000000",
    );
    const versions = (await sm.send(new ListSecretVersionIdsCommand({ SecretId: "app/db" }))).Versions!;
    assert.equal(versions.length, 2, "the version without labels is deprecated and not listed");
    const withDeprecated = (
      await sm.send(new ListSecretVersionIdsCommand({ SecretId: "app/db", IncludeDeprecated: true }))
    ).Versions!;
    assert.equal(withDeprecated.length, 3);
    assert.deepEqual(withDeprecated[0]!.KmsKeyIds, ["DefaultEncryptionKey"]);
  });

  it("UpdateSecret changes metadata, and with a value makes a new AWSCURRENT version", async () => {
    const meta = await sm.send(new UpdateSecretCommand({ SecretId: "app/db", Description: "primary db" }));
    assert.equal(meta.VersionId, undefined);
    const upd = await sm.send(new UpdateSecretCommand({ SecretId: "app/db", SecretString: "four" }));
    assert.ok(upd.VersionId);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "app/db" }))).SecretString, "four");
    assert.equal(
      (await sm.send(new DescribeSecretCommand({ SecretId: "app/db" }))).Description,
      "primary db",
    );
  });

  it("BatchGetSecretValue by ids (with per-secret errors) and by filters", async () => {
    const byId = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ["app/db", "missing"] }));
    assert.deepEqual(
      byId.SecretValues!.map((v) => v.SecretString),
      ["four"],
    );
    assert.deepEqual(byId.Errors, [
      { SecretId: "missing", ErrorCode: "ResourceNotFoundException", Message: NOT_FOUND },
    ]);
    const byFilter = await sm.send(
      new BatchGetSecretValueCommand({ Filters: [{ Key: "name", Values: ["app/"] }] }),
    );
    assert.deepEqual(
      byFilter.SecretValues!.map((v) => v.Name),
      ["app/db"],
    );
    await rejectsWith(
      sm.send(
        new BatchGetSecretValueCommand({ SecretIdList: ["a"], Filters: [{ Key: "name", Values: ["a"] }] }),
      ),
      "InvalidParameterException",
    );
  });

  it("ListSecrets filters, sorts and pages", async () => {
    for (const n of ["list/a", "list/b", "list/c"])
      await sm.send(
        new CreateSecretCommand({ Name: n, SecretString: "x", Tags: [{ Key: "kind", Value: "listed" }] }),
      );
    const names = (
      await sm.send(
        new ListSecretsCommand({
          Filters: [{ Key: "tag-value", Values: ["listed"] }],
          SortBy: "name",
          SortOrder: "desc",
        }),
      )
    ).SecretList!.map((s) => s.Name);
    assert.deepEqual(names, ["list/c", "list/b", "list/a"]);
    const page = await sm.send(
      new ListSecretsCommand({ Filters: [{ Key: "name", Values: ["list/"] }], MaxResults: 2 }),
    );
    assert.equal(page.SecretList!.length, 2);
    const rest = await sm.send(
      new ListSecretsCommand({
        Filters: [{ Key: "name", Values: ["list/"] }],
        MaxResults: 2,
        NextToken: page.NextToken,
      }),
    );
    assert.equal(rest.SecretList!.length, 1);
    const negated = (
      await sm.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: ["!list/"] }] }))
    ).SecretList!.map((s) => s.Name);
    assert.ok(!negated.some((n) => n!.startsWith("list/")));
    assert.ok(page.SecretList![0]!.SecretVersionsToStages);
  });

  it("tags and untags", async () => {
    await sm.send(new TagResourceCommand({ SecretId: "list/a", Tags: [{ Key: "env", Value: "prod" }] }));
    await sm.send(new UntagResourceCommand({ SecretId: "list/a", TagKeys: ["kind"] }));
    assert.deepEqual((await sm.send(new DescribeSecretCommand({ SecretId: "list/a" }))).Tags, [
      { Key: "env", Value: "prod" },
    ]);
  });

  it("deletes with a recovery window, restores, or deletes at once", async () => {
    await rejectsWith(
      sm.send(new DeleteSecretCommand({ SecretId: "list/b", RecoveryWindowInDays: 3 })),
      "InvalidParameterException",
      "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
    );
    await rejectsWith(
      sm.send(
        new DeleteSecretCommand({
          SecretId: "list/b",
          RecoveryWindowInDays: 7,
          ForceDeleteWithoutRecovery: true,
        }),
      ),
      "InvalidParameterException",
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
    const del = await sm.send(new DeleteSecretCommand({ SecretId: "list/b", RecoveryWindowInDays: 7 }));
    const days = (del.DeletionDate!.getTime() - Date.now()) / 86_400_000;
    assert.ok(days > 6.99 && days <= 7, `deletion in ${days} days`);
    await rejectsWith(
      sm.send(new GetSecretValueCommand({ SecretId: "list/b" })),
      "InvalidRequestException",
      MARKED,
    );
    await rejectsWith(
      sm.send(new PutSecretValueCommand({ SecretId: "list/b", SecretString: "y" })),
      "InvalidRequestException",
      MARKED,
    );
    await rejectsWith(
      sm.send(new CreateSecretCommand({ Name: "list/b", SecretString: "y" })),
      "InvalidRequestException",
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );
    assert.ok((await sm.send(new DescribeSecretCommand({ SecretId: "list/b" }))).DeletedDate);
    const listed = (await sm.send(new ListSecretsCommand({ Filters: [{ Key: "name", Values: ["list/b"] }] })))
      .SecretList!;
    assert.equal(listed.length, 0);
    const planned = (
      await sm.send(
        new ListSecretsCommand({
          IncludePlannedDeletion: true,
          Filters: [{ Key: "name", Values: ["list/b"] }],
        }),
      )
    ).SecretList!;
    assert.equal(planned.length, 1);
    await sm.send(new RestoreSecretCommand({ SecretId: "list/b" }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: "list/b" }))).SecretString, "x");

    await sm.send(new DeleteSecretCommand({ SecretId: "list/c", ForceDeleteWithoutRecovery: true }));
    await rejectsWith(
      sm.send(new DescribeSecretCommand({ SecretId: "list/c" })),
      "ResourceNotFoundException",
    );
  });

  it("answers rotation with NotImplemented and the reason", async () => {
    await rejectsWith(
      sm.send(new RotateSecretCommand({ SecretId: "app/db" })),
      "NotImplementedException",
      /RotateSecret: rotation runs a Lambda function and Berth has no function runtime/,
      501,
    );
  });

  it("GetRandomPassword honours the options", async () => {
    const p = (await sm.send(new GetRandomPasswordCommand({ PasswordLength: 20, ExcludePunctuation: true })))
      .RandomPassword!;
    assert.match(p, /^[A-Za-z0-9]{20}$/);
  });

  it("secrets under a customer KMS key; a missing key is EncryptionFailure", async () => {
    const kms = t.kms();
    const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/app", TargetKeyId: key.KeyId }));
    await sm.send(new CreateSecretCommand({ Name: "keyed", SecretString: "k", KmsKeyId: "alias/app" }));
    assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: "keyed" }))).KmsKeyId, "alias/app");
    await rejectsWith(
      sm.send(new CreateSecretCommand({ Name: "keyed2", SecretString: "k", KmsKeyId: "alias/none" })),
      "EncryptionFailure",
      /^Secrets Manager can't encrypt the secret value: Alias arn:aws:kms:us-east-1:000000000000:alias\/none is not found\./,
    );
  });
});

describe("KMS", () => {
  let t: TestBerth;
  let kms: KMSClient;
  before(async () => {
    t = await startBerth();
    kms = t.kms();
  });
  after(async () => {
    await t.close();
  });

  it("creates keys and aliases, encrypts and decrypts with encryption context", async () => {
    const key = (await kms.send(new CreateKeyCommand({ Description: "mine" }))).KeyMetadata!;
    assert.equal(key.KeyManager, "CUSTOMER");
    assert.equal(key.KeySpec, "SYMMETRIC_DEFAULT");
    await kms.send(new CreateAliasCommand({ AliasName: "alias/mine", TargetKeyId: key.Arn }));
    const enc = await kms.send(
      new EncryptCommand({
        KeyId: "alias/mine",
        Plaintext: Buffer.from("hello"),
        EncryptionContext: { a: "1" },
      }),
    );
    assert.equal(enc.KeyId, key.Arn);
    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { a: "1" } }),
    );
    assert.equal(Buffer.from(dec.Plaintext!).toString(), "hello");
    await rejectsWith(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
      "InvalidCiphertextException",
    );
    await rejectsWith(
      kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from("not ours") })),
      "InvalidCiphertextException",
    );
    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    await rejectsWith(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: enc.CiphertextBlob,
          EncryptionContext: { a: "1" },
          KeyId: other.KeyId,
        }),
      ),
      "IncorrectKeyException",
    );
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
    assert.equal(dk.Plaintext!.length, 32);
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
    assert.deepEqual(Buffer.from(back.Plaintext!), Buffer.from(dk.Plaintext!));
    const nop = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, NumberOfBytes: 16 }),
    );
    assert.equal(
      Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: nop.CiphertextBlob }))).Plaintext!)
        .length,
      16,
    );
  });

  it("resolves ids, ARNs and aliases; unknown ones get KMS's NotFoundException wording", async () => {
    await rejectsWith(
      kms.send(new DescribeKeyCommand({ KeyId: "alias/none" })),
      "NotFoundException",
      "Alias arn:aws:kms:us-east-1:000000000000:alias/none is not found.",
    );
    await rejectsWith(
      kms.send(new DescribeKeyCommand({ KeyId: "bogus" })),
      "NotFoundException",
      "Invalid keyId 'bogus'",
    );
    await rejectsWith(
      kms.send(new DescribeKeyCommand({ KeyId: "11111111-2222-3333-4444-555555555555" })),
      "NotFoundException",
      "Key 'arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555' does not exist",
    );
    const managed = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/ssm" }))).KeyMetadata!;
    assert.equal(managed.KeyManager, "AWS");
    const aliases = (await kms.send(new ListAliasesCommand({ KeyId: managed.KeyId }))).Aliases!;
    assert.deepEqual(
      aliases.map((a) => a.AliasName),
      ["alias/aws/ssm"],
    );
    const keys = (await kms.send(new ListKeysCommand({}))).Keys!;
    assert.ok(keys.some((k) => k.KeyId === managed.KeyId));
  });
});
