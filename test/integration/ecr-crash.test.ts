/**
 * Crash safety of the registry: kill -9 a Berth process while a blob upload is streaming, restart
 * it on the same data dir, and find no trace of the half-written blob where blobs are read, the
 * upload resumable from the bytes that reached the disk, and every committed blob intact.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CreateRepositoryCommand } from "@aws-sdk/client-ecr";
import { eventually, tempDir } from "../helpers/berth.js";
import { spawnBerth } from "../helpers/process.js";
import { basic, ecr, loginPassword, oci, pushBlob, sha256 } from "../helpers/registry.js";

describe("registry crash safety", () => {
  it("leaves nothing half-written visible after kill -9 mid-upload, and the upload resumes", {
    timeout: 120_000,
  }, async () => {
    const dir = await tempDir();
    try {
      const first = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      const creds = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
      const t = { url: first.url, region: "us-east-1", credentials: creds };
      await ecr(t).send(new CreateRepositoryCommand({ repositoryName: "crash/app" }));
      const auth = basic(await loginPassword(ecr(t)));
      const repo = "us-east-1/crash/app";
      const committed = randomBytes(50_000);
      await pushBlob(first.url, repo, auth, committed);

      const data = randomBytes(4 * 1024 * 1024);
      const digest = sha256(data);
      const start = await oci(first.url, `/v2/${repo}/blobs/uploads/`, { method: "POST", auth });
      const loc = start.headers.get("location")!;
      const id = loc.slice(loc.lastIndexOf("/") + 1);
      const uploadFile = join(dir, "registry", "uploads", id);
      // Stream the first half of a PUT that declares the whole body, then kill Berth mid-request.
      const u = new URL(first.url);
      const req = request({
        host: u.hostname,
        port: u.port,
        method: "PUT",
        path: `${loc}?digest=${digest}`,
        headers: { authorization: auth, "content-length": String(data.length) },
      });
      req.on("error", () => undefined);
      req.write(data.subarray(0, 2 * 1024 * 1024));
      await eventually(async () => (await stat(uploadFile)).size > 0, { what: "upload bytes on disk" });
      await first.kill9();
      req.destroy();

      const blobPath = join(dir, "registry", "blobs", "sha256", digest.slice(7, 9), digest.slice(7));
      assert.equal(existsSync(blobPath), false, "no blob file for the interrupted upload");
      const onDisk = (await stat(uploadFile)).size;
      assert.ok(onDisk > 0 && onDisk <= 2 * 1024 * 1024);

      const second = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      try {
        // The scratch area is emptied at start; the upload's bytes stay in uploads/.
        assert.deepEqual(await readdir(join(dir, "registry", "tmp")), []);
        assert.equal(
          (await oci(second.url, `/v2/${repo}/blobs/${digest}`, { method: "HEAD", auth })).status,
          404,
        );
        // Tokens survive the restart (the signing key is in the data dir); committed blobs too.
        assert.deepEqual(
          (await oci(second.url, `/v2/${repo}/blobs/${sha256(committed)}`, { auth })).body,
          committed,
        );
        // Resume from what reached the disk.
        const status = await oci(second.url, loc, { auth });
        assert.equal(status.status, 204);
        assert.equal(status.headers.get("range"), `0-${onDisk - 1}`);
        // Claiming the whole blob now fails: the upload is incomplete.
        const early = await oci(second.url, `${loc}?digest=${digest}`, { method: "PUT", auth });
        assert.equal(early.status, 400);
        const rest = await oci(second.url, loc, {
          method: "PATCH",
          auth,
          body: data.subarray(onDisk),
          headers: { "content-range": `${onDisk}-${data.length - 1}` },
        });
        assert.equal(rest.status, 202);
        const put = await oci(second.url, `${loc}?digest=${digest}`, { method: "PUT", auth });
        assert.equal(put.status, 201);
        assert.deepEqual((await oci(second.url, `/v2/${repo}/blobs/${digest}`, { auth })).body, data);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
