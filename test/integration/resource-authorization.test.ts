/**
 * Resource-level authorization of SSM Parameter Store, Secrets Manager, KMS and CloudWatch Logs: an
 * IAM user (and a role session) with resource-scoped policies calls them through the SDK and the
 * AWS CLI v2; allowed requests succeed, others answer AccessDeniedException with AWS's wording
 * naming the action and the resource ARN Berth evaluated. Also the condition keys these services
 * add, and kms:Decrypt through Parameter Store and Secrets Manager for customer managed keys.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  TagResourceCommand as TagLogsResourceCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteUserPolicyCommand,
  type IAMClient,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListKeysCommand,
} from "@aws-sdk/client-kms";
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  TagResourceCommand as TagSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import {
  AddTagsToResourceCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
} from "@aws-sdk/client-ssm";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { type Credentials, runAws, startBerth, type TestBerth } from "../helpers/berth.js";

const ACCT = "000000000000";
const ALICE = `arn:aws:iam::${ACCT}:user/alice`;

interface SdkError {
  name: string;
  message: string;
}

async function sdkError(fn: () => Promise<unknown>): Promise<SdkError> {
  try {
    await fn();
  } catch (err) {
    return err as SdkError;
  }
  assert.fail("expected the call to fail");
}

const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (action: unknown, resource: unknown = "*", extra: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
  ...extra,
});
const deny = (action: unknown, resource: unknown = "*", extra: Record<string, unknown> = {}) => ({
  Effect: "Deny",
  Action: action,
  Resource: resource,
  ...extra,
});

const noAllow = (action: string, resource: string, who = ALICE) =>
  `User: ${who} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
const explicitDeny = (action: string, resource: string) =>
  `User: ${ALICE} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in an identity-based policy`;

async function denied(fn: () => Promise<unknown>, message: string): Promise<void> {
  const err = await sdkError(fn);
  assert.equal(err.name, "AccessDeniedException", err.message);
  assert.equal(err.message, message);
}

describe("resource-level authorization: SSM, Secrets Manager, KMS, CloudWatch Logs", () => {
  let t: TestBerth;
  let iam: IAMClient;
  let alice: Credentials;
  let region: string;

  before(async () => {
    t = await startBerth();
    region = t.region;
    iam = t.iam();
    await iam.send(new CreateUserCommand({ UserName: "alice" }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    alice = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
  });
  after(async () => {
    await t.close();
  });

  /** Alice starts every test with no policies. */
  beforeEach(async () => {
    const names = await iam.send(new ListUserPoliciesCommand({ UserName: "alice" }));
    for (const name of names.PolicyNames ?? []) {
      await iam.send(new DeleteUserPolicyCommand({ UserName: "alice", PolicyName: name }));
    }
  });
  const inline = (document: string, name = "inline") =>
    iam.send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: name, PolicyDocument: document }));

  const logsClient = (credentials: Credentials = t.credentials) =>
    new CloudWatchLogsClient({ endpoint: t.url, region, credentials, maxAttempts: 1 });

  describe("SSM Parameter Store", () => {
    const param = (name: string) => `arn:aws:ssm:${region}:${ACCT}:parameter/${name.replace(/^\//, "")}`;
    const ssm = () => t.ssm({ credentials: alice });

    before(async () => {
      const root = t.ssm();
      await root.send(new PutParameterCommand({ Name: "/app/db/host", Value: "db.local", Type: "String" }));
      await root.send(new PutParameterCommand({ Name: "/app/db/port", Value: "5432", Type: "String" }));
      await root.send(new PutParameterCommand({ Name: "/other/token", Value: "t", Type: "String" }));
      await root.send(
        new PutParameterCommand({
          Name: "/tagged/blue",
          Value: "b",
          Type: "String",
          Tags: [{ Key: "team", Value: "blue" }],
        }),
      );
      await root.send(new PutParameterCommand({ Name: "/tagged/red", Value: "r", Type: "String" }));
    });

    it("GetParameter acts on the parameter's ARN, whatever form the request names it in", async () => {
      await inline(doc(allow("ssm:GetParameter", `arn:aws:ssm:${region}:${ACCT}:parameter/app/*`)));
      for (const ref of ["/app/db/host", param("/app/db/host"), "/app/db/host:1"]) {
        const out = await ssm().send(new GetParameterCommand({ Name: ref }));
        assert.equal(out.Parameter?.Value, "db.local");
      }
      await denied(
        () => ssm().send(new GetParameterCommand({ Name: "/other/token" })),
        noAllow("ssm:GetParameter", param("/other/token")),
      );
      // A parameter that does not exist is authorized on its ARN too: allowed → ParameterNotFound.
      const missing = await sdkError(() => ssm().send(new GetParameterCommand({ Name: "/app/missing" })));
      assert.equal(missing.name, "ParameterNotFound");
    });

    it("GetParameters checks every name: one refused parameter refuses the call, naming it", async () => {
      await inline(doc(allow("ssm:GetParameters", `arn:aws:ssm:${region}:${ACCT}:parameter/app/*`)));
      const out = await ssm().send(new GetParametersCommand({ Names: ["/app/db/host", "/app/nope"] }));
      assert.deepEqual(
        out.Parameters?.map((p) => p.Name),
        ["/app/db/host"],
      );
      assert.deepEqual(out.InvalidParameters, ["/app/nope"]);
      await denied(
        () => ssm().send(new GetParametersCommand({ Names: ["/app/db/host", "/other/token"] })),
        noAllow("ssm:GetParameters", param("/other/token")),
      );
      // ssm:GetParameter does not grant GetParameters (each operation has its own action).
      await inline(doc(allow("ssm:GetParameter", "*")));
      await denied(
        () => ssm().send(new GetParametersCommand({ Names: ["/app/db/host"] })),
        noAllow("ssm:GetParameters", param("/app/db/host")),
      );
    });

    it("GetParametersByPath is authorized on the path, with ssm:Recursive", async () => {
      await inline(
        doc(
          allow("ssm:GetParametersByPath", param("/app")),
          deny("ssm:GetParametersByPath", "*", { Condition: { StringEquals: { "ssm:Recursive": "true" } } }),
        ),
      );
      const out = await ssm().send(new GetParametersByPathCommand({ Path: "/app/" }));
      assert.deepEqual(out.Parameters, []);
      await denied(
        () => ssm().send(new GetParametersByPathCommand({ Path: "/app", Recursive: true })),
        explicitDeny("ssm:GetParametersByPath", param("/app")),
      );
      // A policy on the parameters under the path does not cover the path itself.
      await inline(doc(allow("ssm:GetParametersByPath", `${param("/app")}/*`)));
      await denied(
        () => ssm().send(new GetParametersByPathCommand({ Path: "/app" })),
        noAllow("ssm:GetParametersByPath", param("/app")),
      );
      const nested = await ssm().send(new GetParametersByPathCommand({ Path: "/app/db" }));
      assert.equal(nested.Parameters?.length, 2);
    });

    it("PutParameter: ssm:Overwrite and request tags; DescribeParameters acts on *", async () => {
      await inline(
        doc(
          allow("ssm:PutParameter", `arn:aws:ssm:${region}:${ACCT}:parameter/mine/*`, {
            Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["owner"] } },
          }),
          deny("ssm:PutParameter", "*", { Condition: { StringEquals: { "ssm:Overwrite": "true" } } }),
        ),
      );
      await ssm().send(
        new PutParameterCommand({
          Name: "/mine/a",
          Value: "1",
          Type: "String",
          Tags: [{ Key: "owner", Value: "alice" }],
        }),
      );
      await denied(
        () => ssm().send(new PutParameterCommand({ Name: "/mine/a", Value: "2", Overwrite: true })),
        explicitDeny("ssm:PutParameter", param("/mine/a")),
      );
      await denied(
        () =>
          ssm().send(
            new PutParameterCommand({
              Name: "/mine/b",
              Value: "1",
              Type: "String",
              Tags: [{ Key: "cost", Value: "1" }],
            }),
          ),
        noAllow("ssm:PutParameter", param("/mine/b")),
      );
      await denied(
        () => ssm().send(new PutParameterCommand({ Name: "/app/x", Value: "1", Type: "String" })),
        noAllow("ssm:PutParameter", param("/app/x")),
      );
      await denied(
        () => ssm().send(new DescribeParametersCommand({})),
        noAllow("ssm:DescribeParameters", "*"),
      );
    });

    it("a parameter's tags: aws:ResourceTag and ssm:resourceTag, and retagging takes effect at once", async () => {
      await inline(
        doc(
          allow("ssm:GetParameter", "*", { Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } } }),
          allow("ssm:GetParameterHistory", "*", {
            Condition: { StringEquals: { "ssm:resourceTag/team": "blue" } },
          }),
        ),
      );
      await ssm().send(new GetParameterCommand({ Name: "/tagged/blue" }));
      await denied(
        () => ssm().send(new GetParameterCommand({ Name: "/tagged/red" })),
        noAllow("ssm:GetParameter", param("/tagged/red")),
      );
      await t.ssm().send(
        new AddTagsToResourceCommand({
          ResourceType: "Parameter",
          ResourceId: "/tagged/red",
          Tags: [{ Key: "team", Value: "blue" }],
        }),
      );
      await ssm().send(new GetParameterCommand({ Name: "/tagged/red" }));
      const history = await runAws({ url: t.url, region, credentials: alice }, [
        "ssm",
        "get-parameter-history",
        "--name",
        "/tagged/blue",
      ]);
      assert.equal(history.code, 0, history.stderr);
    });

    it("AddTagsToResource acts on the parameter, with the request's tag keys", async () => {
      await inline(
        doc(
          allow("ssm:AddTagsToResource", `${param("/app")}/*`, {
            Condition: { "ForAllValues:StringLike": { "aws:TagKeys": ["app-*"] } },
          }),
        ),
      );
      await ssm().send(
        new AddTagsToResourceCommand({
          ResourceType: "Parameter",
          ResourceId: "/app/db/host",
          Tags: [{ Key: "app-tier", Value: "db" }],
        }),
      );
      await denied(
        () =>
          ssm().send(
            new AddTagsToResourceCommand({
              ResourceType: "Parameter",
              ResourceId: "/app/db/host",
              Tags: [{ Key: "owner", Value: "me" }],
            }),
          ),
        noAllow("ssm:AddTagsToResource", param("/app/db/host")),
      );
    });

    it("a SecureString under a customer managed key also needs kms:Decrypt through SSM", async () => {
      const kmsKey = await t.kms().send(new CreateKeyCommand({ Description: "app" }));
      const keyArn = kmsKey.KeyMetadata!.Arn!;
      const root = t.ssm();
      await root.send(
        new PutParameterCommand({
          Name: "/sec/cmk",
          Value: "s3cret",
          Type: "SecureString",
          KeyId: kmsKey.KeyMetadata!.KeyId,
        }),
      );
      await root.send(new PutParameterCommand({ Name: "/sec/default", Value: "pw", Type: "SecureString" }));
      await inline(doc(allow("ssm:GetParameter", `${param("/sec")}/*`)));
      // The AWS managed key's policy lets every principal of the account decrypt through SSM.
      const plain = await ssm().send(new GetParameterCommand({ Name: "/sec/default", WithDecryption: true }));
      assert.equal(plain.Parameter?.Value, "pw");
      // Without decryption no KMS permission is needed.
      await ssm().send(new GetParameterCommand({ Name: "/sec/cmk" }));
      const err = await sdkError(() =>
        ssm().send(new GetParameterCommand({ Name: "/sec/cmk", WithDecryption: true })),
      );
      assert.equal(err.name, "AccessDeniedException");
      assert.ok(
        err.message.startsWith(
          `${noAllow("kms:Decrypt", keyArn)} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: `,
        ),
        err.message,
      );
      assert.ok(!err.message.includes("s3cret"));
      await inline(
        doc(
          allow("kms:Decrypt", keyArn, {
            Condition: {
              StringEquals: {
                "kms:ViaService": `ssm.${region}.amazonaws.com`,
                "kms:EncryptionContext:PARAMETER_ARN": param("/sec/cmk"),
              },
            },
          }),
        ),
        "kms",
      );
      const out = await ssm().send(new GetParameterCommand({ Name: "/sec/cmk", WithDecryption: true }));
      assert.equal(out.Parameter?.Value, "s3cret");
      // The same permission does not let alice decrypt the value with KMS directly: kms:ViaService
      // is absent then.
      const sealed = await ssm().send(new GetParameterCommand({ Name: "/sec/cmk" }));
      await denied(
        () =>
          t.kms({ credentials: alice }).send(
            new DecryptCommand({
              CiphertextBlob: Buffer.from(sealed.Parameter!.Value!, "base64"),
              EncryptionContext: { PARAMETER_ARN: param("/sec/cmk") },
            }),
          ),
        noAllow("kms:Decrypt", keyArn),
      );
    });

    it("a role session is refused with its assumed-role ARN; the AWS CLI v2 shows the same message", async () => {
      await iam.send(
        new CreateRoleCommand({
          RoleName: "reader",
          AssumeRolePolicyDocument: doc({
            Effect: "Allow",
            Principal: { AWS: ALICE },
            Action: "sts:AssumeRole",
          }),
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: "reader",
          PolicyName: "read-app",
          PolicyDocument: doc(allow("ssm:GetParameter", `${param("/app")}/*`)),
        }),
      );
      await inline(doc(allow("sts:AssumeRole", `arn:aws:iam::${ACCT}:role/reader`)));
      const session = await t
        .sts({ credentials: alice })
        .send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/reader`, RoleSessionName: "s1" }));
      const creds = {
        accessKeyId: session.Credentials!.AccessKeyId!,
        secretAccessKey: session.Credentials!.SecretAccessKey!,
        sessionToken: session.Credentials!.SessionToken!,
      };
      const asRole = t.ssm({ credentials: creds });
      await asRole.send(new GetParameterCommand({ Name: "/app/db/port" }));
      const who = `arn:aws:sts::${ACCT}:assumed-role/reader/s1`;
      await denied(
        () => asRole.send(new GetParameterCommand({ Name: "/other/token" })),
        noAllow("ssm:GetParameter", param("/other/token"), who),
      );
      const cli = await runAws({ url: t.url, region, credentials: creds }, [
        "ssm",
        "get-parameter",
        "--name",
        "/other/token",
      ]);
      assert.notEqual(cli.code, 0);
      assert.match(
        cli.stderr,
        /An error occurred \(AccessDeniedException\) when calling the GetParameter operation/,
      );
      assert.ok(cli.stderr.includes(noAllow("ssm:GetParameter", param("/other/token"), who)), cli.stderr);
    });
  });

  describe("Secrets Manager", () => {
    const sm = () => t.secretsManager({ credentials: alice });
    const pattern = (name: string) => `arn:aws:secretsmanager:${region}:${ACCT}:secret:${name}-??????`;
    let appDb = "";
    let otherKey = "";

    before(async () => {
      const root = t.secretsManager();
      appDb = (await root.send(new CreateSecretCommand({ Name: "app/db", SecretString: "pw-app" }))).ARN!;
      otherKey = (await root.send(new CreateSecretCommand({ Name: "other/key", SecretString: "pw-other" })))
        .ARN!;
      await root.send(
        new CreateSecretCommand({
          Name: "tagged/blue",
          SecretString: "pw-blue",
          Tags: [{ Key: "team", Value: "blue" }],
        }),
      );
    });

    it("acts on the secret's ARN: by name, partial ARN or full ARN; ??????-patterns match", async () => {
      await inline(doc(allow("secretsmanager:GetSecretValue", pattern("app/db"))));
      const partial = appDb.slice(0, -7);
      for (const id of ["app/db", partial, appDb]) {
        const out = await sm().send(new GetSecretValueCommand({ SecretId: id }));
        assert.equal(out.SecretString, "pw-app");
      }
      await denied(
        () => sm().send(new GetSecretValueCommand({ SecretId: "other/key" })),
        noAllow("secretsmanager:GetSecretValue", otherKey),
      );
      await denied(
        () => sm().send(new DescribeSecretCommand({ SecretId: "app/db" })),
        noAllow("secretsmanager:DescribeSecret", appDb),
      );
    });

    it("a secret that does not exist is secret:<name>-??????: allowed → not found, else denied", async () => {
      await inline(
        doc(allow("secretsmanager:GetSecretValue", `arn:aws:secretsmanager:${region}:${ACCT}:secret:app/*`)),
      );
      const missing = await sdkError(() => sm().send(new GetSecretValueCommand({ SecretId: "app/missing" })));
      assert.equal(missing.name, "ResourceNotFoundException");
      await denied(
        () => sm().send(new GetSecretValueCommand({ SecretId: "nope/missing" })),
        noAllow("secretsmanager:GetSecretValue", pattern("nope/missing")),
      );
    });

    it("CreateSecret acts on the new secret's ARN pattern; with Tags it also needs TagResource", async () => {
      await inline(
        doc(allow("secretsmanager:CreateSecret", `arn:aws:secretsmanager:${region}:${ACCT}:secret:team/*`)),
      );
      const made = await sm().send(new CreateSecretCommand({ Name: "team/one", SecretString: "x" }));
      assert.match(made.ARN!, /:secret:team\/one-[A-Za-z0-9]{6}$/);
      await denied(
        () => sm().send(new CreateSecretCommand({ Name: "elsewhere/one", SecretString: "x" })),
        noAllow("secretsmanager:CreateSecret", pattern("elsewhere/one")),
      );
      await denied(
        () =>
          sm().send(
            new CreateSecretCommand({
              Name: "team/two",
              SecretString: "x",
              Tags: [{ Key: "k", Value: "v" }],
            }),
          ),
        noAllow("secretsmanager:TagResource", pattern("team/two")),
      );
    });

    it("condition keys: secretsmanager:ResourceTag, aws:ResourceTag, secretsmanager:SecretId, request tags", async () => {
      await inline(
        doc(
          allow("secretsmanager:GetSecretValue", "*", {
            Condition: { StringEquals: { "secretsmanager:ResourceTag/team": "blue" } },
          }),
          allow("secretsmanager:DescribeSecret", "*", {
            Condition: { ArnLike: { "secretsmanager:SecretId": `arn:aws:secretsmanager:*:*:secret:app/*` } },
          }),
          allow("secretsmanager:TagResource", "*", {
            Condition: { StringEquals: { "aws:ResourceTag/team": "blue", "aws:RequestTag/env": "dev" } },
          }),
        ),
      );
      assert.equal(
        (await sm().send(new GetSecretValueCommand({ SecretId: "tagged/blue" }))).SecretString,
        "pw-blue",
      );
      await denied(
        () => sm().send(new GetSecretValueCommand({ SecretId: "app/db" })),
        noAllow("secretsmanager:GetSecretValue", appDb),
      );
      await sm().send(new DescribeSecretCommand({ SecretId: "app/db" }));
      await sm().send(
        new TagSecretCommand({ SecretId: "tagged/blue", Tags: [{ Key: "env", Value: "dev" }] }),
      );
      const wrong = await sdkError(() =>
        sm().send(new TagSecretCommand({ SecretId: "tagged/blue", Tags: [{ Key: "env", Value: "prod" }] })),
      );
      assert.equal(wrong.name, "AccessDeniedException");
    });

    it("BatchGetSecretValue reports a refused GetSecretValue per secret", async () => {
      await inline(
        doc(
          allow("secretsmanager:BatchGetSecretValue"),
          allow("secretsmanager:GetSecretValue", pattern("app/db")),
        ),
      );
      const out = await sm().send(new BatchGetSecretValueCommand({ SecretIdList: ["app/db", "other/key"] }));
      assert.deepEqual(
        out.SecretValues?.map((v) => v.SecretString),
        ["pw-app"],
      );
      assert.deepEqual(out.Errors, [
        {
          SecretId: "other/key",
          ErrorCode: "AccessDeniedException",
          Message: noAllow("secretsmanager:GetSecretValue", otherKey),
        },
      ]);
      // With filters it also needs secretsmanager:ListSecrets.
      await denied(
        () => sm().send(new BatchGetSecretValueCommand({ Filters: [{ Key: "name", Values: ["app"] }] })),
        noAllow("secretsmanager:ListSecrets", "*"),
      );
      await inline(doc(allow("secretsmanager:ListSecrets")), "list");
      const filtered = await sm().send(
        new BatchGetSecretValueCommand({ Filters: [{ Key: "name", Values: ["app", "other"] }] }),
      );
      assert.deepEqual(
        filtered.SecretValues?.map((v) => v.Name),
        ["app/db"],
      );
      assert.deepEqual(
        filtered.Errors?.map((e) => [e.SecretId, e.ErrorCode]),
        [[otherKey, "AccessDeniedException"]],
      );
    });

    it("a secret under a customer managed key also needs kms:Decrypt through Secrets Manager", async () => {
      const key = await t.kms().send(new CreateKeyCommand({}));
      const keyArn = key.KeyMetadata!.Arn!;
      const made = await t
        .secretsManager()
        .send(new CreateSecretCommand({ Name: "cmk/db", SecretString: "pw-cmk", KmsKeyId: keyArn }));
      await inline(doc(allow("secretsmanager:GetSecretValue", pattern("cmk/db"))));
      await denied(
        () => sm().send(new GetSecretValueCommand({ SecretId: "cmk/db" })),
        "Access to KMS is not allowed",
      );
      await inline(
        doc(
          allow("kms:Decrypt", keyArn, {
            Condition: {
              StringEquals: {
                "kms:ViaService": `secretsmanager.${region}.amazonaws.com`,
                "kms:EncryptionContext:SecretARN": made.ARN!,
              },
            },
          }),
        ),
        "kms",
      );
      assert.equal(
        (await sm().send(new GetSecretValueCommand({ SecretId: "cmk/db" }))).SecretString,
        "pw-cmk",
      );
    });
  });

  describe("KMS", () => {
    const kms = () => t.kms({ credentials: alice });
    let k1 = "";
    let k1Arn = "";
    let k2Arn = "";
    const aliasArn = (name: string) => `arn:aws:kms:${region}:${ACCT}:${name}`;

    before(async () => {
      const root = t.kms();
      const a = (await root.send(new CreateKeyCommand({ Description: "one" }))).KeyMetadata!;
      const b = (await root.send(new CreateKeyCommand({ Description: "two" }))).KeyMetadata!;
      k1 = a.KeyId!;
      k1Arn = a.Arn!;
      k2Arn = b.Arn!;
      await root.send(new CreateAliasCommand({ AliasName: "alias/one", TargetKeyId: k1 }));
    });

    it("acts on the key: by id, ARN or alias; Decrypt on the key the ciphertext names", async () => {
      await inline(doc(allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], k1Arn)));
      for (const id of [k1, k1Arn, "alias/one", aliasArn("alias/one")]) {
        await kms().send(new DescribeKeyCommand({ KeyId: id }));
      }
      const blob = await kms().send(new EncryptCommand({ KeyId: "alias/one", Plaintext: Buffer.from("hi") }));
      const plain = await kms().send(new DecryptCommand({ CiphertextBlob: blob.CiphertextBlob }));
      assert.equal(Buffer.from(plain.Plaintext!).toString(), "hi");
      await denied(
        () => kms().send(new EncryptCommand({ KeyId: k2Arn, Plaintext: Buffer.from("hi") })),
        noAllow("kms:Encrypt", k2Arn),
      );
      const other = await t.kms().send(new EncryptCommand({ KeyId: k2Arn, Plaintext: Buffer.from("x") }));
      await denied(
        () => kms().send(new DecryptCommand({ CiphertextBlob: other.CiphertextBlob })),
        noAllow("kms:Decrypt", k2Arn),
      );
      await denied(() => kms().send(new ListKeysCommand({})), noAllow("kms:ListKeys", "*"));
    });

    it("kms:RequestAlias, kms:ResourceAliases and kms:EncryptionContext conditions", async () => {
      await inline(
        doc(
          allow("kms:DescribeKey", "*", { Condition: { StringEquals: { "kms:RequestAlias": "alias/one" } } }),
          allow("kms:Encrypt", "*", {
            Condition: { "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/one" } },
          }),
          allow("kms:Decrypt", "*", { Condition: { StringEquals: { "kms:EncryptionContext:app": "web" } } }),
        ),
      );
      await kms().send(new DescribeKeyCommand({ KeyId: "alias/one" }));
      await denied(
        () => kms().send(new DescribeKeyCommand({ KeyId: k1 })),
        noAllow("kms:DescribeKey", k1Arn),
      );
      const blob = await kms().send(
        new EncryptCommand({ KeyId: k1, Plaintext: Buffer.from("x"), EncryptionContext: { app: "web" } }),
      );
      await denied(
        () => kms().send(new EncryptCommand({ KeyId: k2Arn, Plaintext: Buffer.from("x") })),
        noAllow("kms:Encrypt", k2Arn),
      );
      await kms().send(
        new DecryptCommand({ CiphertextBlob: blob.CiphertextBlob, EncryptionContext: { app: "web" } }),
      );
    });

    it("CreateAlias and DeleteAlias need the permission on the alias and on the key", async () => {
      await inline(doc(allow(["kms:CreateAlias", "kms:DeleteAlias"], aliasArn("alias/app-*"))));
      await denied(
        () => kms().send(new CreateAliasCommand({ AliasName: "alias/app-x", TargetKeyId: k1 })),
        noAllow("kms:CreateAlias", k1Arn),
      );
      await denied(
        () => kms().send(new CreateAliasCommand({ AliasName: "alias/else", TargetKeyId: k1 })),
        noAllow("kms:CreateAlias", aliasArn("alias/else")),
      );
      await inline(doc(allow(["kms:CreateAlias", "kms:DeleteAlias"], k1Arn)), "key");
      await kms().send(new CreateAliasCommand({ AliasName: "alias/app-x", TargetKeyId: k1 }));
      await kms().send(new DeleteAliasCommand({ AliasName: "alias/app-x" }));
    });

    it("DeleteAlias of a name like a JavaScript prototype key is NotFound like any unknown alias", async () => {
      for (const name of ["constructor", "toString", "__proto__", "nonsense"]) {
        const err = (await sdkError(() =>
          t.kms().send(new DeleteAliasCommand({ AliasName: name })),
        )) as SdkError & {
          $metadata: { httpStatusCode?: number };
        };
        assert.equal(err.name, "NotFoundException", err.message);
        assert.equal(err.$metadata.httpStatusCode, 400);
        assert.equal(err.message, `Alias arn:aws:kms:${region}:${ACCT}:${name} is not found.`);
      }
    });
  });

  describe("CloudWatch Logs", () => {
    const group = (name: string) => `arn:aws:logs:${region}:${ACCT}:log-group:${name}`;
    const stream = (g: string, s: string) => `${group(g)}:log-stream:${s}`;

    before(async () => {
      const root = logsClient();
      await root.send(new CreateLogGroupCommand({ logGroupName: "/app/web", tags: { team: "blue" } }));
      await root.send(new CreateLogGroupCommand({ logGroupName: "/other" }));
      await root.send(new CreateLogStreamCommand({ logGroupName: "/other", logStreamName: "s" }));
    });

    it("streams act on the stream ARN; a group's actions on log-group:<name>:log-stream:", async () => {
      await inline(
        doc(
          allow(
            [
              "logs:CreateLogStream",
              "logs:PutLogEvents",
              "logs:GetLogEvents",
              "logs:DescribeLogStreams",
              "logs:FilterLogEvents",
            ],
            `${group("/app/web")}:*`,
          ),
        ),
      );
      const logs = logsClient(alice);
      await logs.send(new CreateLogStreamCommand({ logGroupName: "/app/web", logStreamName: "a" }));
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: "/app/web",
          logStreamName: "a",
          logEvents: [{ timestamp: Date.now(), message: "hello" }],
        }),
      );
      const events = await logs.send(
        new GetLogEventsCommand({ logGroupName: "/app/web", logStreamName: "a" }),
      );
      assert.deepEqual(
        events.events?.map((e) => e.message),
        ["hello"],
      );
      await logs.send(new DescribeLogStreamsCommand({ logGroupIdentifier: group("/app/web") }));
      await logs.send(new FilterLogEventsCommand({ logGroupName: "/app/web" }));
      await denied(
        () =>
          logs.send(
            new PutLogEventsCommand({
              logGroupName: "/other",
              logStreamName: "s",
              logEvents: [{ timestamp: Date.now(), message: "x" }],
            }),
          ),
        noAllow("logs:PutLogEvents", stream("/other", "s")),
      );
      await denied(
        () => logs.send(new DescribeLogStreamsCommand({ logGroupName: "/other" })),
        noAllow("logs:DescribeLogStreams", stream("/other", "")),
      );
    });

    it("CreateLogGroup: `log-group:<name>` alone does not cover it, `log-group:<name>:*` does", async () => {
      const logs = logsClient(alice);
      await inline(doc(allow(["logs:CreateLogGroup", "logs:PutRetentionPolicy"], group("/new/one"))));
      await denied(
        () => logs.send(new CreateLogGroupCommand({ logGroupName: "/new/one" })),
        noAllow("logs:CreateLogGroup", stream("/new/one", "")),
      );
      await inline(doc(allow(["logs:CreateLogGroup", "logs:PutRetentionPolicy"], `${group("/new/*")}:*`)));
      await logs.send(new CreateLogGroupCommand({ logGroupName: "/new/one" }));
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: "/new/one", retentionInDays: 7 }));
      // With tags it also needs logs:TagResource (on the group's ARN).
      await denied(
        () => logs.send(new CreateLogGroupCommand({ logGroupName: "/new/two", tags: { a: "b" } })),
        noAllow("logs:TagResource", group("/new/two")),
      );
    });

    it("DescribeLogGroups acts on log-group::log-stream:; TagResource on the ARN given; resource tags", async () => {
      const logs = logsClient(alice);
      await denied(
        () => logs.send(new DescribeLogGroupsCommand({})),
        noAllow("logs:DescribeLogGroups", `arn:aws:logs:${region}:${ACCT}:log-group::log-stream:`),
      );
      await inline(
        doc(
          allow("logs:DescribeLogGroups", `arn:aws:logs:${region}:${ACCT}:log-group:*`),
          allow("logs:TagResource", group("/app/web")),
          allow("logs:FilterLogEvents", "*", {
            Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } },
          }),
        ),
      );
      const all = await logs.send(new DescribeLogGroupsCommand({}));
      assert.ok((all.logGroups?.length ?? 0) >= 2);
      await logs.send(new TagLogsResourceCommand({ resourceArn: group("/app/web"), tags: { env: "dev" } }));
      await denied(
        () => logs.send(new TagLogsResourceCommand({ resourceArn: group("/other"), tags: { env: "dev" } })),
        noAllow("logs:TagResource", group("/other")),
      );
      await logs.send(new FilterLogEventsCommand({ logGroupName: "/app/web" }));
      await denied(
        () => logs.send(new FilterLogEventsCommand({ logGroupName: "/other" })),
        noAllow("logs:FilterLogEvents", stream("/other", "")),
      );
    });
  });
});
