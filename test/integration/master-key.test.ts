/**
 * Rotating the master key with `berth master-key`: the new key seals everything, the old one leaves
 * the key file, and a Berth started afterwards still reads every secret.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CreateSecretCommand, GetSecretValueCommand } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { generateMasterKey, masterKeyId, parseKeyList } from "../../src/crypto/keyring.js";
import { startBerth, tempDir } from "../helpers/berth.js";
import { repoRoot } from "../helpers/process.js";

function berthCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`${repoRoot}dist/src/main/cli.js`, ...args],
      // Port 1: nothing listens there, so the "is Berth running" check passes.
      { env: { PATH: process.env.PATH ?? "", BERTH_PORT: "1", ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function seed(dataDir: string, env: Record<string, string> = {}) {
  const t = await startBerth({ dataDir, env });
  await t.ssm().send(new PutParameterCommand({ Name: "/mk/p", Value: "param-value", Type: "SecureString" }));
  await t.secretsManager().send(new CreateSecretCommand({ Name: "mk/s", SecretString: "secret-value" }));
  await t.berth.close();
}

async function readBack(dataDir: string, env: Record<string, string> = {}) {
  const t = await startBerth({ dataDir, env });
  try {
    const p = await t.ssm().send(new GetParameterCommand({ Name: "/mk/p", WithDecryption: true }));
    const s = await t.secretsManager().send(new GetSecretValueCommand({ SecretId: "mk/s" }));
    return [p.Parameter!.Value, s.SecretString];
  } finally {
    await t.berth.close();
  }
}

describe("berth master-key", () => {
  it("rotate: reseals every value under a new key and drops the old key from the file", async () => {
    const dir = await tempDir();
    try {
      await seed(dir);
      const keyFile = join(dir, "master.key");
      const [oldKey] = parseKeyList(await readFile(keyFile, "utf8"), keyFile);
      const oldId = masterKeyId(oldKey!);
      const before = await berthCli(["master-key", "status", "--data-dir", dir]);
      assert.equal(before.code, 0, before.stderr);
      assert.match(before.stdout, new RegExp(`${oldId}: [34] sealed values`));

      const rotated = await berthCli(["master-key", "rotate", "--data-dir", dir]);
      assert.equal(rotated.code, 0, rotated.stderr);
      const keys = parseKeyList(await readFile(keyFile, "utf8"), keyFile);
      assert.equal(keys.length, 1);
      const newId = masterKeyId(keys[0]!);
      assert.notEqual(newId, oldId);
      const after = await berthCli(["master-key", "status", "--data-dir", dir]);
      assert.ok(!after.stdout.includes(oldId), after.stdout);
      assert.match(after.stdout, new RegExp(`${newId}: [34] sealed values`));

      assert.deepEqual(await readBack(dir), ["param-value", "secret-value"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rewrap: with BERTH_MASTER_KEY=new,old everything moves to the new key, which then suffices", async () => {
    const dir = await tempDir();
    const oldKey = generateMasterKey().toString("base64");
    const newKey = generateMasterKey().toString("base64");
    try {
      await seed(dir, { BERTH_MASTER_KEY: oldKey });
      const refused = await berthCli(["master-key", "rotate", "--data-dir", dir], {
        BERTH_MASTER_KEY: oldKey,
      });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /BERTH_MASTER_KEY/);
      const res = await berthCli(["master-key", "rewrap", "--data-dir", dir], {
        BERTH_MASTER_KEY: `${newKey},${oldKey}`,
      });
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /resealed [34] of [34] values/);
      assert.deepEqual(await readBack(dir, { BERTH_MASTER_KEY: newKey }), ["param-value", "secret-value"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a Berth without the key that sealed a value reports it without the value", async () => {
    const dir = await tempDir();
    try {
      await seed(dir, { BERTH_MASTER_KEY: generateMasterKey().toString("base64") });
      const t = await startBerth({
        dataDir: dir,
        env: { BERTH_MASTER_KEY: generateMasterKey().toString("base64") },
      });
      try {
        await assert.rejects(
          t.secretsManager().send(new GetSecretValueCommand({ SecretId: "mk/s" })),
          (err: Error) => {
            assert.equal(err.name, "DecryptionFailure");
            assert.ok(!err.message.includes("secret-value"));
            return true;
          },
        );
      } finally {
        await t.berth.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
