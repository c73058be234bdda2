/**
 * The AWS CLI v2 flows for Parameter Store, Secrets Manager and KMS against an in-process Berth,
 * including version selectors and the JSON-key secret references tasks use.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveSecrets, SecretsError } from "../../src/agent/secrets.js";
import { type CliResult, runAws, startBerth, type TestBerth } from "../helpers/berth.js";

function ok(r: CliResult): Record<string, unknown> {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim() ? r.json() : {};
}

describe("AWS CLI: SSM, Secrets Manager, KMS", () => {
  let t: TestBerth;
  const aws = (...args: string[]) => runAws(t, args);
  before(async () => {
    t = await startBerth();
  });
  after(async () => {
    await t.close();
  });

  it("Parameter Store: put, overwrite, selectors, labels, history, by path, describe, delete", async () => {
    assert.equal(
      ok(
        await aws(
          "ssm",
          "put-parameter",
          "--name",
          "/cli/db/pw",
          "--value",
          "first-pw",
          "--type",
          "SecureString",
        ),
      ).Version,
      1,
    );
    ok(await aws("ssm", "put-parameter", "--name", "/cli/db/pw", "--value", "second-pw", "--overwrite"));
    ok(
      await aws("ssm", "put-parameter", "--name", "/cli/db/host", "--value", "db.local", "--type", "String"),
    );
    ok(
      await aws("ssm", "put-parameter", "--name", "/cli/ports", "--value", "80,443", "--type", "StringList"),
    );

    const cur = ok(await aws("ssm", "get-parameter", "--name", "/cli/db/pw", "--with-decryption")) as {
      Parameter: { Value: string; Version: number };
    };
    assert.deepEqual([cur.Parameter.Value, cur.Parameter.Version], ["second-pw", 2]);
    const v1 = ok(await aws("ssm", "get-parameter", "--name", "/cli/db/pw:1", "--with-decryption")) as {
      Parameter: { Value: string; Selector: string };
    };
    assert.deepEqual([v1.Parameter.Value, v1.Parameter.Selector], ["first-pw", ":1"]);
    const hidden = ok(await aws("ssm", "get-parameter", "--name", "/cli/db/pw")) as {
      Parameter: { Value: string };
    };
    assert.notEqual(hidden.Parameter.Value, "second-pw");

    const label = ok(
      await aws(
        "ssm",
        "label-parameter-version",
        "--name",
        "/cli/db/pw",
        "--parameter-version",
        "1",
        "--labels",
        "stable",
      ),
    ) as { InvalidLabels: string[] };
    assert.deepEqual(label.InvalidLabels, []);
    const many = ok(
      await aws("ssm", "get-parameters", "--names", "/cli/db/pw:stable", "/cli/missing", "--with-decryption"),
    ) as {
      Parameters: { Value: string }[];
      InvalidParameters: string[];
    };
    assert.deepEqual(
      many.Parameters.map((p) => p.Value),
      ["first-pw"],
    );
    assert.deepEqual(many.InvalidParameters, ["/cli/missing"]);

    const history = ok(
      await aws("ssm", "get-parameter-history", "--name", "/cli/db/pw", "--with-decryption"),
    ) as { Parameters: { Value: string; Labels: string[] }[] };
    assert.deepEqual(
      history.Parameters.map((p) => [p.Value, p.Labels]),
      [
        ["first-pw", ["stable"]],
        ["second-pw", []],
      ],
    );

    // The CLI pages GetParametersByPath itself (MaxResults is at most 10).
    const byPath = ok(
      await aws("ssm", "get-parameters-by-path", "--path", "/cli", "--recursive", "--page-size", "1"),
    ) as { Parameters: { Name: string }[] };
    assert.deepEqual(
      byPath.Parameters.map((p) => p.Name),
      ["/cli/db/host", "/cli/db/pw", "/cli/ports"],
    );
    const oneLevel = ok(await aws("ssm", "get-parameters-by-path", "--path", "/cli")) as {
      Parameters: { Name: string }[];
    };
    assert.deepEqual(
      oneLevel.Parameters.map((p) => p.Name),
      ["/cli/ports"],
    );

    const described = ok(
      await aws("ssm", "describe-parameters", "--parameter-filters", "Key=Type,Values=SecureString"),
    ) as { Parameters: { Name: string; KeyId: string }[] };
    assert.deepEqual(
      described.Parameters.map((p) => [p.Name, p.KeyId]),
      [["/cli/db/pw", "alias/aws/ssm"]],
    );

    const missing = await aws("ssm", "get-parameter", "--name", "/cli/nope");
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /\(ParameterNotFound\) when calling the GetParameter operation/);
    const version = await aws("ssm", "get-parameter", "--name", "/cli/db/pw:7");
    assert.match(version.stderr, /\(ParameterVersionNotFound\).*could not find version 7 of \/cli\/db\/pw/);

    ok(await aws("ssm", "delete-parameter", "--name", "/cli/ports"));
    const del = ok(await aws("ssm", "delete-parameters", "--names", "/cli/db/host", "/cli/none")) as {
      DeletedParameters: string[];
      InvalidParameters: string[];
    };
    assert.deepEqual([del.DeletedParameters, del.InvalidParameters], [["/cli/db/host"], ["/cli/none"]]);
  });

  it("Secrets Manager: create, put, stages, versions, describe, list, tags, delete and restore", async () => {
    const created = ok(
      await aws(
        "secretsmanager",
        "create-secret",
        "--name",
        "cli/db",
        "--secret-string",
        '{"username":"app","password":"p-one"}',
        "--tags",
        "Key=team,Value=core",
      ),
    ) as { ARN: string; VersionId: string };
    const put = ok(
      await aws(
        "secretsmanager",
        "put-secret-value",
        "--secret-id",
        "cli/db",
        "--secret-string",
        '{"username":"app","password":"p-two"}',
      ),
    ) as {
      VersionId: string;
      VersionStages: string[];
    };
    assert.deepEqual(put.VersionStages, ["AWSCURRENT"]);
    const prev = ok(
      await aws(
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        created.ARN,
        "--version-stage",
        "AWSPREVIOUS",
      ),
    ) as { SecretString: string; VersionId: string };
    assert.equal(JSON.parse(prev.SecretString).password, "p-one");
    assert.equal(prev.VersionId, created.VersionId);
    const byId = ok(
      await aws("secretsmanager", "get-secret-value", "--secret-id", "cli/db", "--version-id", put.VersionId),
    ) as { SecretString: string };
    assert.equal(JSON.parse(byId.SecretString).password, "p-two");

    const pending = ok(
      await aws(
        "secretsmanager",
        "put-secret-value",
        "--secret-id",
        "cli/db",
        "--secret-string",
        "{}",
        "--version-stages",
        "AWSPENDING",
      ),
    ) as { VersionId: string };
    ok(
      await aws(
        "secretsmanager",
        "update-secret-version-stage",
        "--secret-id",
        "cli/db",
        "--version-stage",
        "AWSCURRENT",
        "--move-to-version-id",
        pending.VersionId,
        "--remove-from-version-id",
        put.VersionId,
      ),
    );
    const described = ok(await aws("secretsmanager", "describe-secret", "--secret-id", "cli/db")) as {
      VersionIdsToStages: Record<string, string[]>;
      Tags: unknown[];
    };
    assert.deepEqual(described.VersionIdsToStages[put.VersionId], ["AWSPREVIOUS"]);
    assert.deepEqual(described.VersionIdsToStages[pending.VersionId], ["AWSPENDING", "AWSCURRENT"]);
    assert.equal(described.VersionIdsToStages[created.VersionId], undefined);
    const versions = ok(
      await aws("secretsmanager", "list-secret-version-ids", "--secret-id", "cli/db", "--include-deprecated"),
    ) as { Versions: unknown[] };
    assert.equal(versions.Versions.length, 3);

    const listed = ok(
      await aws("secretsmanager", "list-secrets", "--filters", "Key=tag-value,Values=core"),
    ) as { SecretList: { Name: string }[] };
    assert.deepEqual(
      listed.SecretList.map((s) => s.Name),
      ["cli/db"],
    );
    ok(await aws("secretsmanager", "tag-resource", "--secret-id", "cli/db", "--tags", "Key=env,Value=prod"));
    ok(await aws("secretsmanager", "untag-resource", "--secret-id", "cli/db", "--tag-keys", "team"));
    assert.deepEqual(
      (ok(await aws("secretsmanager", "describe-secret", "--secret-id", "cli/db")) as { Tags: unknown[] })
        .Tags,
      [{ Key: "env", Value: "prod" }],
    );

    const file = join(t.dataDir, "blob.bin");
    await writeFile(file, Buffer.from([1, 2, 3, 250]));
    ok(
      await aws(
        "secretsmanager",
        "create-secret",
        "--name",
        "cli/blob",
        "--secret-binary",
        `fileb://${file}`,
      ),
    );
    const blob = ok(await aws("secretsmanager", "get-secret-value", "--secret-id", "cli/blob")) as {
      SecretBinary: string;
    };
    assert.deepEqual([...Buffer.from(blob.SecretBinary, "base64")], [1, 2, 3, 250]);

    ok(
      await aws(
        "secretsmanager",
        "delete-secret",
        "--secret-id",
        "cli/blob",
        "--recovery-window-in-days",
        "7",
      ),
    );
    const gone = await aws("secretsmanager", "get-secret-value", "--secret-id", "cli/blob");
    assert.match(gone.stderr, /\(InvalidRequestException\).*marked for deletion/);
    ok(await aws("secretsmanager", "restore-secret", "--secret-id", "cli/blob"));
    ok(
      await aws(
        "secretsmanager",
        "delete-secret",
        "--secret-id",
        "cli/blob",
        "--force-delete-without-recovery",
      ),
    );
    const missing = await aws("secretsmanager", "describe-secret", "--secret-id", "cli/blob");
    assert.match(
      missing.stderr,
      /\(ResourceNotFoundException\).*Secrets Manager can't find the specified secret\./,
    );

    const rotate = await aws("secretsmanager", "rotate-secret", "--secret-id", "cli/db");
    assert.notEqual(rotate.code, 0);
    assert.match(rotate.stderr, /NotImplemented.*no function runtime/);
  });

  it("task secret references: JSON keys, stages and versions of a CLI-made secret; SSM selectors", async () => {
    const created = ok(
      await aws(
        "secretsmanager",
        "create-secret",
        "--name",
        "cli/ref",
        "--secret-string",
        '{"user":"u","password":"old-pass"}',
      ),
    ) as { ARN: string; VersionId: string };
    ok(
      await aws(
        "secretsmanager",
        "put-secret-value",
        "--secret-id",
        "cli/ref",
        "--secret-string",
        '{"user":"u","password":"new-pass"}',
      ),
    );
    // As the agent resolves a task's secrets: through the APIs, here with the root credentials.
    const resolve = async (valueFrom: string) => {
      const r = await resolveSecrets({
        endpoint: t.url,
        region: t.region,
        credentials: t.credentials,
        containers: [{ name: "c", secrets: [{ name: "V", valueFrom }] }],
      });
      return r.env.get("c")!.V!;
    };
    const reason = (valueFrom: string, want: string | RegExp) =>
      assert.rejects(resolve(valueFrom), (err: Error) => {
        assert.ok(err instanceof SecretsError, String(err));
        if (typeof want === "string") assert.equal(err.message, want);
        else assert.match(err.message, want);
        return true;
      });
    const PREFIX =
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed:";
    assert.equal(await resolve(`${created.ARN}:password::`), "new-pass");
    assert.equal(await resolve(`${created.ARN}:password:AWSPREVIOUS:`), "old-pass");
    assert.equal(await resolve(`${created.ARN}:password::${created.VersionId}`), "old-pass");
    assert.equal(JSON.parse(await resolve(created.ARN)).password, "new-pass");
    await reason(
      `${created.ARN}:nope::`,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key nope`,
    );
    await reason(
      `${created.ARN}:password:AWSPENDING:`,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${created.ARN} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret value for staging label: AWSPENDING`,
    );
    const missing = created.ARN.replace(/cli\/ref-[A-Za-z0-9]{6}$/, "nope-AbCdEf");
    await reason(
      missing,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
    );
    await reason(
      `${created.ARN}:password`,
      `${PREFIX} unable to retrieve secret from asm: service call has been retried 1 time(s): an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again.`,
    );
    ok(await aws("secretsmanager", "create-secret", "--name", "cli/text", "--secret-string", "just text"));
    const text = ok(await aws("secretsmanager", "describe-secret", "--secret-id", "cli/text")) as {
      ARN: string;
    };
    await reason(`${text.ARN}:k::`, /is not valid JSON, so json key k cannot be read from it$/);
    await assert.rejects(resolve(`${text.ARN}:k::`), (err: Error) => !err.message.includes("just text"));

    ok(await aws("ssm", "put-parameter", "--name", "/cli/ref", "--value", "one", "--type", "SecureString"));
    ok(await aws("ssm", "put-parameter", "--name", "/cli/ref", "--value", "two", "--overwrite"));
    assert.equal(await resolve("/cli/ref"), "two");
    assert.equal(await resolve("/cli/ref:1"), "one");
    assert.equal(await resolve("arn:aws:ssm:us-east-1:000000000000:parameter/cli/ref:1"), "one");
    await reason(
      "/cli/missing",
      `${PREFIX} unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: /cli/missing`,
    );
  });

  it("KMS: the AWS-managed keys, customer keys, encrypt and decrypt", async () => {
    const managed = ok(await aws("kms", "describe-key", "--key-id", "alias/aws/secretsmanager")) as {
      KeyMetadata: { KeyManager: string };
    };
    assert.equal(managed.KeyMetadata.KeyManager, "AWS");
    const key = ok(await aws("kms", "create-key", "--description", "cli")) as {
      KeyMetadata: { KeyId: string };
    };
    ok(
      await aws("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", key.KeyMetadata.KeyId),
    );
    const file = join(t.dataDir, "plain.txt");
    await writeFile(file, "attack at dawn");
    const enc = ok(
      await aws("kms", "encrypt", "--key-id", "alias/cli", "--plaintext", `fileb://${file}`),
    ) as { CiphertextBlob: string };
    const blob = join(t.dataDir, "blob.enc");
    await writeFile(blob, Buffer.from(enc.CiphertextBlob, "base64"));
    const dec = ok(await aws("kms", "decrypt", "--ciphertext-blob", `fileb://${blob}`)) as {
      Plaintext: string;
      KeyId: string;
    };
    assert.equal(Buffer.from(dec.Plaintext, "base64").toString(), "attack at dawn");
    const aliases = ok(await aws("kms", "list-aliases")) as { Aliases: { AliasName: string }[] };
    assert.ok(aliases.Aliases.some((a) => a.AliasName === "alias/cli"));
  });
});
