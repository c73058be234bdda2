/**
 * resolveSecretReference: task `valueFrom` references to SSM parameters and Secrets Manager secrets,
 * with ECS's reasons on failure. State is made through the services' own handlers on an in-memory
 * store (no HTTP), so these run in milliseconds.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { Berth } from "../../src/main/build.js";
import { SecretReferenceError } from "../../src/secrets/resolve.js";
import { ACCOUNT, type HandlerBerth, handlerBerth } from "../helpers/handlers.js";

const REGION = "us-east-1";
const PREFIX =
  "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed:";

describe("resolveSecretReference", () => {
  let berth: Berth;
  let secretArn = "";
  let binaryArn = "";
  const versions: Record<string, string> = {};

  let call: HandlerBerth["call"];
  const resolve = (valueFrom: string, region = REGION) =>
    berth.secrets.resolveSecretReference(region, ACCOUNT, valueFrom);
  const rejects = (valueFrom: string, reason: string) =>
    assert.rejects(resolve(valueFrom), (err: Error) => {
      assert.ok(err instanceof SecretReferenceError, String(err));
      assert.equal(err.message, reason);
      return true;
    });

  before(async () => {
    const h = handlerBerth();
    berth = h.berth;
    call = h.call;
    await call("ssm", "PutParameter", { Name: "/app/db/password", Value: "pw-one", Type: "SecureString" });
    await call("ssm", "PutParameter", {
      Name: "/app/db/password",
      Value: "pw-two",
      Type: "SecureString",
      Overwrite: true,
    });
    await call("ssm", "LabelParameterVersion", {
      Name: "/app/db/password",
      ParameterVersion: 1,
      Labels: ["stable"],
    });
    await call("ssm", "PutParameter", { Name: "plain", Value: "a,b", Type: "StringList" });
    await call(
      "ssm",
      "PutParameter",
      { Name: "/west/only", Value: "w", Type: "String" },
      { region: "us-west-2" },
    );
    const created = await call("secretsmanager", "CreateSecret", {
      Name: "prod/db",
      SecretString: JSON.stringify({ username: "admin", password: "s3cr3t", port: 5432, tls: true }),
      ClientRequestToken: "11111111-1111-1111-1111-111111111111",
    });
    secretArn = created.ARN as string;
    versions.first = created.VersionId as string;
    const put = await call("secretsmanager", "PutSecretValue", {
      SecretId: "prod/db",
      SecretString: JSON.stringify({ username: "admin", password: "n3w" }),
      ClientRequestToken: "22222222-2222-2222-2222-222222222222",
    });
    versions.second = put.VersionId as string;
    const bin = await call("secretsmanager", "CreateSecret", {
      Name: "blob",
      SecretBinary: Buffer.from([0, 1, 2]),
      ClientRequestToken: "33333333-3333-3333-3333-333333333333",
    });
    binaryArn = bin.ARN as string;
    await call("secretsmanager", "CreateSecret", {
      Name: "notjson",
      SecretString: "just text",
      ClientRequestToken: "44444444-4444-4444-4444-444444444444",
    });
  });

  it("reads SSM parameters by name, ARN, version and label, decrypting SecureStrings", async () => {
    assert.equal(await resolve("/app/db/password"), "pw-two");
    assert.equal(await resolve(`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/db/password`), "pw-two");
    assert.equal(await resolve("/app/db/password:1"), "pw-one");
    assert.equal(await resolve("/app/db/password:stable"), "pw-one");
    assert.equal(await resolve("plain"), "a,b");
  });

  it("reads an SSM ARN in the ARN's region", async () => {
    assert.equal(await resolve(`arn:aws:ssm:us-west-2:${ACCOUNT}:parameter/west/only`), "w");
    await rejects(
      "/west/only",
      `${PREFIX} unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /west/only`,
    );
  });

  it("reports a missing parameter as ECS does", async () => {
    await rejects(
      "/app/missing",
      `${PREFIX} unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /app/missing`,
    );
    await rejects(
      "/app/db/password:9",
      `${PREFIX} unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid parameters: /app/db/password:9`,
    );
  });

  it("reads whole secrets by full and partial ARN", async () => {
    assert.equal(JSON.parse(await resolve(secretArn)).password, "n3w");
    assert.equal(
      JSON.parse(await resolve(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db`)).password,
      "n3w",
    );
  });

  it("picks JSON keys, version stages and version ids from the ARN suffix", async () => {
    assert.equal(await resolve(`${secretArn}:password::`), "n3w");
    assert.equal(await resolve(`${secretArn}:password:AWSPREVIOUS:`), "s3cr3t");
    assert.equal(await resolve(`${secretArn}:password::${versions.first}`), "s3cr3t");
    assert.equal(
      await resolve(`${secretArn}::AWSPREVIOUS:`),
      JSON.stringify({ username: "admin", password: "s3cr3t", port: 5432, tls: true }),
    );
    assert.equal(await resolve(`${secretArn}:port:AWSPREVIOUS:`), "5432");
    assert.equal(await resolve(`${secretArn}:tls:AWSPREVIOUS:`), "true");
  });

  it("gives ECS's reasons for secrets that cannot be read", async () => {
    const missing = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:nope-AbCdEf`;
    await rejects(
      missing,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
    );
    await rejects(
      `${secretArn}:nokey::`,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key nokey`,
    );
    await rejects(
      `${secretArn}:password:AWSPENDING:`,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${secretArn} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret value for staging label: AWSPENDING`,
    );
    await rejects(
      `${secretArn}:password`,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.`,
    );
  });

  it("never puts the value in a failure reason", async () => {
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:notjson`;
    await assert.rejects(resolve(`${arn}:k::`), (err: Error) => {
      assert.ok(err instanceof SecretReferenceError);
      assert.ok(!err.message.includes("just text"), err.message);
      return true;
    });
  });

  it("gives a binary secret as an empty string, as ECS reads SecretString", async () => {
    assert.equal(await resolve(binaryArn), "");
  });

  it("fails for a secret scheduled for deletion", async () => {
    await call("secretsmanager", "DeleteSecret", { SecretId: "notjson", RecoveryWindowInDays: 7 });
    await assert.rejects(
      resolve(`arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:notjson`),
      /InvalidRequestException: You can't perform this operation on the secret because it was marked for deletion\./,
    );
  });
});
