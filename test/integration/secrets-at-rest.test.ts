/**
 * Secrets at rest and in logs: after storing SecureStrings, string and binary secrets (and using
 * KMS), no file under the data dir holds a plaintext value (state.db, its WAL and shared memory, the
 * key file, everything); and the log lines Berth writes at debug level never contain one, including
 * on error paths.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretCommand,
} from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, LabelParameterVersionCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { createLogger } from "../../src/lib/log.js";
import { signedFetch, startBerth } from "../helpers/berth.js";

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Every way a value could sit in a file: raw bytes, base64, hex. */
function needles(value: Buffer): Buffer[] {
  return [value, Buffer.from(value.toString("base64")), Buffer.from(value.toString("hex"))];
}

async function findIn(dir: string, values: Record<string, Buffer>): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await filesUnder(dir)) {
    const content = await readFile(file);
    for (const [label, value] of Object.entries(values)) {
      if (needles(value).some((n) => content.includes(n))) hits.push(`${label} in ${file}`);
    }
  }
  return hits;
}

const token = (what: string) => `${what}-${randomBytes(12).toString("hex")}`;

describe("secrets at rest", () => {
  it("no file in the data dir holds a SecureString, secret or KMS plaintext; plain Strings are there", async () => {
    const t = await startBerth();
    const secrets: Record<string, Buffer> = {
      secure1: Buffer.from(token("securestring-v1")),
      secure2: Buffer.from(token("securestring-v2")),
      secretString: Buffer.from(`{"password":"${token("secret-json")}"}`),
      secretString2: Buffer.from(token("secret-put")),
      secretUpdated: Buffer.from(token("secret-update")),
      secretBinary: randomBytes(48),
      kmsPlaintext: Buffer.from(token("kms-plaintext")),
    };
    const canary = token("plain-string-parameter");
    try {
      const ssm = t.ssm();
      const sm = t.secretsManager();
      await ssm.send(
        new PutParameterCommand({
          Name: "/rest/secure",
          Value: secrets.secure1!.toString(),
          Type: "SecureString",
        }),
      );
      await ssm.send(
        new PutParameterCommand({
          Name: "/rest/secure",
          Value: secrets.secure2!.toString(),
          Overwrite: true,
        }),
      );
      await ssm.send(
        new LabelParameterVersionCommand({ Name: "/rest/secure", ParameterVersion: 1, Labels: ["old"] }),
      );
      await ssm.send(new PutParameterCommand({ Name: "/rest/plain", Value: canary, Type: "String" }));
      await sm.send(
        new CreateSecretCommand({ Name: "rest/str", SecretString: secrets.secretString!.toString() }),
      );
      await sm.send(
        new PutSecretValueCommand({ SecretId: "rest/str", SecretString: secrets.secretString2!.toString() }),
      );
      await sm.send(
        new UpdateSecretCommand({ SecretId: "rest/str", SecretString: secrets.secretUpdated!.toString() }),
      );
      await sm.send(new CreateSecretCommand({ Name: "rest/bin", SecretBinary: secrets.secretBinary }));
      const kms = t.kms();
      const enc = await kms.send(
        new EncryptCommand({ KeyId: "alias/aws/ssm", Plaintext: secrets.kmsPlaintext }),
      );
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: "alias/aws/ssm", NumberOfBytes: 32 }));
      secrets.dataKey = Buffer.from(dk.Plaintext!);
      // Reads go through too, and must not leave anything behind.
      await ssm.send(new GetParameterCommand({ Name: "/rest/secure:old", WithDecryption: true }));
      await sm.send(new GetSecretValueCommand({ SecretId: "rest/bin" }));
      await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));

      // While running: the WAL holds the recent writes.
      const files = await filesUnder(t.dataDir);
      assert.ok(
        files.some((f) => f.endsWith("state.db-wal")),
        `expected a WAL among ${files.join(", ")}`,
      );
      assert.deepEqual(await findIn(t.dataDir, secrets), []);
      assert.deepEqual(
        await findIn(t.dataDir, { canary: Buffer.from(canary) }).then((h) => h.length > 0),
        true,
        "the scan finds plain values",
      );

      const keyFile = join(t.dataDir, "master.key");
      assert.equal((await stat(keyFile)).mode & 0o777, 0o600);

      // After shutdown: everything checkpointed into state.db.
      await t.berth.close();
      assert.deepEqual(await findIn(t.dataDir, secrets), []);
    } finally {
      await t.berth.close().catch(() => {});
      await rm(t.dataDir, { recursive: true, force: true });
    }
  });
});

describe("secrets in logs", () => {
  it("debug logs and error messages never carry a secret value, on success or failure", async () => {
    const lines: string[] = [];
    const t = await startBerth({ log: createLogger({ level: "debug", sink: (l) => lines.push(l) }) });
    const value = token("log-secret");
    const other = token("log-secret-other");
    const messages: string[] = [];
    const expectFailure = async (p: Promise<unknown>) => {
      await assert.rejects(p, (err: Error) => {
        messages.push(`${err.name}: ${err.message}`);
        return true;
      });
    };
    try {
      const ssm = t.ssm();
      const sm = t.secretsManager();
      await ssm.send(new PutParameterCommand({ Name: "/log/p", Value: value, Type: "SecureString" }));
      await ssm.send(new GetParameterCommand({ Name: "/log/p", WithDecryption: true }));
      await sm.send(new CreateSecretCommand({ Name: "log/s", SecretString: value }));
      await sm.send(new GetSecretValueCommand({ SecretId: "log/s" }));

      // Error paths that carry the value in the request.
      await expectFailure(
        ssm.send(new PutParameterCommand({ Name: "/log/p", Value: value, Type: "SecureString" })),
      );
      await expectFailure(
        ssm.send(
          new PutParameterCommand({
            Name: "/log/pat",
            Value: value,
            Type: "SecureString",
            AllowedPattern: "^\\d+$",
          }),
        ),
      );
      await expectFailure(
        ssm.send(
          new PutParameterCommand({ Name: "/log/big", Value: value.repeat(500), Type: "SecureString" }),
        ),
      );
      await expectFailure(sm.send(new CreateSecretCommand({ Name: "log/s", SecretString: value })));
      const tokenId = "99999999-9999-9999-9999-999999999999";
      await sm.send(
        new PutSecretValueCommand({ SecretId: "log/s", SecretString: other, ClientRequestToken: tokenId }),
      );
      await expectFailure(
        sm.send(
          new PutSecretValueCommand({ SecretId: "log/s", SecretString: value, ClientRequestToken: tokenId }),
        ),
      );
      await expectFailure(
        sm.send(
          new PutSecretValueCommand({
            SecretId: "log/s",
            SecretString: value,
            SecretBinary: Buffer.from(value),
          }),
        ),
      );
      await expectFailure(
        sm.send(new CreateSecretCommand({ Name: "log/k", SecretString: value, KmsKeyId: "alias/none" })),
      );
      await sm.send(new DeleteSecretCommand({ SecretId: "log/s", RecoveryWindowInDays: 7 }));
      await expectFailure(sm.send(new PutSecretValueCommand({ SecretId: "log/s", SecretString: value })));
      await expectFailure(
        t.kms().send(new EncryptCommand({ KeyId: "alias/none", Plaintext: Buffer.from(value) })),
      );

      // A wrong type for a sensitive member: the decoder must not echo it.
      const raw = await signedFetch(t.url, {
        service: "secretsmanager",
        credentials: t.credentials,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "secretsmanager.PutSecretValue",
        },
        body: JSON.stringify({ SecretId: "log/x", ClientRequestToken: tokenId, SecretString: { v: value } }),
      });
      assert.equal(raw.status, 400);
      messages.push(raw.text);
      const rawParam = await signedFetch(t.url, {
        service: "ssm",
        credentials: t.credentials,
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.PutParameter" },
        body: JSON.stringify({ Name: "/log/raw", Type: "SecureString", Value: [value] }),
      });
      assert.equal(rawParam.status, 400);
      messages.push(rawParam.text);
    } finally {
      await t.close();
    }
    assert.ok(
      lines.filter((l) => l.includes('"msg":"request"')).length >= 4,
      "debug request lines were written",
    );
    assert.equal(messages.length, 11);
    for (const m of messages) {
      assert.ok(!m.includes(value) && !m.includes(other), `error message carries the value: ${m}`);
    }
    for (const l of lines) {
      assert.ok(!l.includes(value) && !l.includes(other), `log line carries the value: ${l}`);
    }
  });
});
