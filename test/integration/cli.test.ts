import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateClusterCommand, ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs";
import { runAws, tempDir } from "../helpers/berth.js";
import { type BerthProcess, removeAgentLeftovers, repoRoot, spawnBerth } from "../helpers/process.js";

function berthCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      `${repoRoot}bin/berth`,
      args,
      { cwd: repoRoot, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("bin/berth up", () => {
  let dir: string;
  let berth: BerthProcess;
  let creds: { accessKeyId: string; secretAccessKey: string };

  before(async () => {
    dir = await tempDir();
    berth = await spawnBerth(["--port", "0", "--data-dir", dir]);
    creds = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
  });
  after(async () => {
    await berth.stop();
    await removeAgentLeftovers(dir);
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the endpoint, the generated credentials and ready-to-paste aws examples", () => {
    const out = berth.stdout();
    assert.match(out, /region us-east-1, account 000000000000/);
    assert.ok(out.includes(`export AWS_ACCESS_KEY_ID=${creds.accessKeyId}`));
    assert.ok(out.includes(`export AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}`));
    assert.ok(out.includes(`aws --endpoint-url ${berth.url} ecs create-cluster`));
    assert.match(out, /Credentials \(generated\)/);
  });

  it("answers /_berth/health with 200 and a small JSON body", async () => {
    const res = await fetch(`${berth.url}/_berth/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; version: string };
    assert.equal(body.status, "ok");
    assert.match(body.version, /^\d+\.\d+\.\d+/);
    assert.ok(res.headers.get("x-amzn-requestid"));
  });

  it("serves the AWS CLI with the printed credentials", async () => {
    const r = await runAws({ url: berth.url, credentials: creds, region: "us-east-1" }, [
      "sts",
      "get-caller-identity",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json<{ Arn: string }>().Arn, "arn:aws:iam::000000000000:root");
  });

  it("`berth reset` wipes all state, and refuses credentials that are not root", async () => {
    const ecs = new ECSClient({
      endpoint: berth.url,
      region: "us-east-1",
      credentials: creds,
      maxAttempts: 1,
    });
    await ecs.send(new CreateClusterCommand({ clusterName: "before-reset" }));
    const names = async () =>
      ((await ecs.send(new ListClustersCommand({}))).clusterArns ?? [])
        .map((a) => a.slice(a.lastIndexOf("/") + 1))
        .sort();
    // The in-process agent joined the default cluster (creating it) when Berth started.
    assert.deepEqual(await names(), ["before-reset", "default"]);

    const bad = await berthCli(["reset", "--endpoint", berth.url, "--data-dir", dir], {
      BERTH_ACCESS_KEY_ID: "AKIAWRONGWRONGWRONG0",
      BERTH_SECRET_ACCESS_KEY: "nope",
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /UnrecognizedClientException/);
    assert.deepEqual(await names(), ["before-reset", "default"]);

    const ok = await berthCli(["reset", "--endpoint", berth.url, "--data-dir", dir]);
    assert.equal(ok.code, 0, ok.stderr);
    // Everything is gone; the agent has joined again as a new instance of a new default cluster.
    assert.deepEqual(await names(), ["default"]);
  });
});

describe("berth configuration", () => {
  it("reuses the credentials stored in the data dir across restarts", async () => {
    const dir = await tempDir();
    try {
      const first = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      await first.stop();
      const stored = await readFile(join(dir, "credentials.json"), "utf8");
      const second = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      await second.stop();
      assert.equal(await readFile(join(dir, "credentials.json"), "utf8"), stored);
      assert.match(second.stdout(), /Credentials \(data-dir\)/);
      assert.ok(second.stdout().includes(JSON.parse(stored).accessKeyId));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("takes credentials, region, account and port from the environment", async () => {
    const dir = await tempDir();
    try {
      const b = await spawnBerth(["--no-agent"], {
        BERTH_PORT: "0",
        BERTH_DATA_DIR: dir,
        BERTH_REGION: "eu-west-2",
        BERTH_ACCOUNT_ID: "123456789012",
        BERTH_ACCESS_KEY_ID: "AKIAENVENVENVENV0001",
        BERTH_SECRET_ACCESS_KEY: "env-secret",
      });
      try {
        assert.match(b.stdout(), /region eu-west-2, account 123456789012/);
        assert.match(b.stdout(), /Credentials \(environment\)/);
        const r = await runAws(
          {
            url: b.url,
            credentials: { accessKeyId: "AKIAENVENVENVENV0001", secretAccessKey: "env-secret" },
            region: "eu-west-2",
          },
          ["sts", "get-caller-identity"],
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.json<{ Account: string }>().Account, "123456789012");
      } finally {
        await b.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects bad configuration with exit code 2 and a clear message", async () => {
    const r = await berthCli(["up", "--port", "99999"], { BERTH_SKIP_SETUP: "1" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid port: 99999/);
    const u = await berthCli(["frobnicate"]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown command 'frobnicate'/);
  });
});
