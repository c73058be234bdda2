/**
 * Real clients against Berth's registry: the docker CLI and dockerd (login with
 * `aws ecr get-login-password`, push and pull of multi-layer images built locally), skopeo (copy
 * both ways), containerd's ctr (token flow), and anonymous pulls from public repositories. Each
 * docker login uses a throwaway DOCKER_CONFIG.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateRepositoryCommand } from "@aws-sdk/client-ecr";
import {
  CreateRepositoryCommand as CreatePublicRepositoryCommand,
  GetAuthorizationTokenCommand as GetPublicTokenCommand,
} from "@aws-sdk/client-ecr-public";
import { runAws, startBerth, type TestBerth } from "../helpers/berth.js";
import { dockerConfigDir, ecr, ecrPublic, loginPassword, run } from "../helpers/registry.js";

const DOCKER = "/usr/bin/docker";
const CONTAINERD = "/var/run/docker/containerd/containerd.sock";
const suffix = randomBytes(4).toString("hex");

/** Image ids this file built; removed (with every tag and repo digest) at the end. */
const builtIds: string[] = [];

/** Build a three-layer image on berth-test/busybox with random content; returns its tag. */
async function buildImage(name: string): Promise<string> {
  const ctx = await mkdtemp(join(tmpdir(), "berth-img-"));
  try {
    for (const f of ["a", "b", "c"]) await writeFile(join(ctx, f), randomBytes(150_000));
    await writeFile(
      join(ctx, "Dockerfile"),
      "FROM berth-test/busybox:latest\nCOPY a /a\nCOPY b /b\nCOPY c /c\n",
    );
    const tag = `berth-ecr-test/${name}-${suffix}:latest`;
    const r = await run(DOCKER, ["build", "-q", "-t", tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    builtIds.push(r.stdout.trim());
    return tag;
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

describe("registry with real clients", () => {
  let t: TestBerth;
  let host: string;
  let cfg: { dir: string; cleanup(): Promise<void> };
  let anonCfg: { dir: string; cleanup(): Promise<void> };
  const created: string[] = [];
  const docker = (args: string[], dir = cfg.dir, input?: string) =>
    run(DOCKER, args, { env: { DOCKER_CONFIG: dir }, ...(input !== undefined ? { input } : {}) });

  before(async () => {
    t = await startBerth();
    host = new URL(t.url).host;
    cfg = await dockerConfigDir();
    anonCfg = await dockerConfigDir();
    const client = ecr(t);
    for (const name of ["clients/app", "clients/locked", "clients/skopeo"]) {
      await client.send(
        new CreateRepositoryCommand({
          repositoryName: name,
          ...(name === "clients/locked" ? { imageTagMutability: "IMMUTABLE" } : {}),
        }),
      );
    }
    await ecrPublic(t).send(new CreatePublicRepositoryCommand({ repositoryName: "clients/open" }));
  });
  after(async () => {
    for (const ref of created) await run(DOCKER, ["rmi", "-f", ref]);
    for (const id of builtIds) await run(DOCKER, ["rmi", "-f", id]);
    await cfg.cleanup();
    await anonCfg.cleanup();
    await t.close();
  });

  it("logs in with get-login-password, pushes and pulls a multi-layer image, and describes it", async () => {
    const password = await runAws(t, ["ecr", "get-login-password"]);
    assert.equal(password.code, 0, password.stderr);
    const login = await docker(["login", "-u", "AWS", "--password-stdin", host], cfg.dir, password.stdout);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /Login Succeeded/);

    const local = await buildImage("app");
    created.push(local);
    const remote = `${host}/us-east-1/clients/app:v1`;
    created.push(remote);
    assert.equal((await docker(["tag", local, remote])).code, 0);
    const push = await docker(["push", remote]);
    assert.equal(push.code, 0, push.stderr);
    const pushedDigest = /digest: (sha256:[a-f0-9]{64})/.exec(push.stdout)?.[1];
    assert.ok(pushedDigest, push.stdout);

    const desc = await runAws(t, ["ecr", "describe-images", "--repository-name", "clients/app"]);
    assert.equal(desc.code, 0, desc.stderr);
    const detail = desc.json<{ imageDetails: Record<string, unknown>[] }>().imageDetails;
    assert.equal(detail.length, 1);
    assert.equal(detail[0]!.imageDigest, pushedDigest);
    assert.deepEqual(detail[0]!.imageTags, ["v1"]);
    assert.equal(detail[0]!.imageManifestMediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.equal(detail[0]!.artifactMediaType, "application/vnd.docker.container.image.v1+json");
    assert.ok((detail[0]!.imageSizeInBytes as number) > 450_000, "three 150 kB layers and the base");

    // Pull it back into an engine that no longer has it.
    const idBefore = (await docker(["image", "inspect", "-f", "{{.Id}}", local])).stdout.trim();
    assert.equal((await docker(["rmi", remote])).code, 0);
    const pull = await docker(["pull", remote]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.equal((await docker(["image", "inspect", "-f", "{{.Id}}", remote])).stdout.trim(), idBefore);
    const run1 = await docker(["run", "--rm", remote, "sh", "-c", "wc -c /a /b /c | tail -1"]);
    assert.match(run1.stdout, /450000 total/);
  });

  it("refuses to overwrite a tag in an immutable repository", async () => {
    const one = `${host}/us-east-1/clients/locked:release`;
    const a = await buildImage("locked-a");
    const b = await buildImage("locked-b");
    created.push(a, b, one);
    await docker(["tag", a, one]);
    assert.equal((await docker(["push", one])).code, 0);
    await docker(["tag", b, one]);
    const again = await docker(["push", one]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr + again.stdout, /tag invalid|cannot be overwritten/);
  });

  it("copies with skopeo in both directions", async () => {
    const password = await loginPassword(ecr(t));
    const creds = `AWS:${password}`;
    const local = await buildImage("skopeo");
    created.push(local);
    const dir = await mkdtemp(join(tmpdir(), "berth-skopeo-"));
    try {
      const up = await run("skopeo", [
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        creds,
        `docker-daemon:${local}`,
        `docker://${host}/us-east-1/clients/skopeo:from-daemon`,
      ]);
      assert.equal(up.code, 0, up.stderr);
      const down = await run("skopeo", [
        "copy",
        "--src-tls-verify=false",
        "--src-creds",
        creds,
        `docker://${host}/us-east-1/clients/skopeo:from-daemon`,
        `oci:${dir}:copy`,
      ]);
      assert.equal(down.code, 0, down.stderr);
      // And back up as an OCI image manifest under another tag.
      const oci = await run("skopeo", [
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        creds,
        `oci:${dir}:copy`,
        `docker://${host}/us-east-1/clients/skopeo:oci`,
      ]);
      assert.equal(oci.code, 0, oci.stderr);
      const inspect = await run("skopeo", [
        "inspect",
        "--tls-verify=false",
        "--creds",
        creds,
        "--raw",
        `docker://${host}/us-east-1/clients/skopeo:oci`,
      ]);
      assert.equal(inspect.code, 0, inspect.stderr);
      const manifest = JSON.parse(inspect.stdout) as { mediaType: string; layers: unknown[] };
      assert.equal(manifest.mediaType, "application/vnd.oci.image.manifest.v1+json");
      const layers = await docker(["image", "inspect", "-f", "{{len .RootFS.Layers}}", local]);
      assert.equal(manifest.layers.length, Number(layers.stdout.trim()));
      assert.ok(manifest.layers.length >= 4);
      const tags = await run("skopeo", [
        "list-tags",
        "--tls-verify=false",
        "--creds",
        creds,
        `docker://${host}/us-east-1/clients/skopeo`,
      ]);
      assert.deepEqual((JSON.parse(tags.stdout) as { Tags: string[] }).Tags, ["from-daemon", "oci"]);
      // Without credentials skopeo gets nothing from a private repository.
      const anon = await run("skopeo", [
        "inspect",
        "--tls-verify=false",
        "--no-creds",
        `docker://${host}/us-east-1/clients/skopeo:oci`,
      ]);
      assert.notEqual(anon.code, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("pulls anonymously from a public repository and never from a private one", async () => {
    const pubCfg = await dockerConfigDir();
    try {
      const tok = await ecrPublic(t).send(new GetPublicTokenCommand({}));
      const password = Buffer.from(tok.authorizationData!.authorizationToken!, "base64")
        .toString("utf8")
        .slice(4);
      const login = await docker(["login", "-u", "AWS", "--password-stdin", host], pubCfg.dir, password);
      assert.equal(login.code, 0, login.stderr);
      const local = await buildImage("open");
      const remote = `${host}/public/clients/open:v1`;
      created.push(local, remote);
      await docker(["tag", local, remote], pubCfg.dir);
      const push = await docker(["push", remote], pubCfg.dir);
      assert.equal(push.code, 0, push.stderr);
    } finally {
      await pubCfg.cleanup();
    }
    // A docker with no credentials at all.
    await docker(["rmi", `${host}/public/clients/open:v1`], anonCfg.dir);
    const pub = await docker(["pull", `${host}/public/clients/open:v1`], anonCfg.dir);
    assert.equal(pub.code, 0, pub.stderr);
    const priv = await docker(["pull", `${host}/us-east-1/clients/app:v1`], anonCfg.dir);
    assert.notEqual(priv.code, 0);
    assert.match(priv.stderr, /no basic auth credentials|unauthorized|authentication required/);
  });

  it("serves containerd's resolver (ctr pull with the token flow)", {
    skip: !existsSync(CONTAINERD),
  }, async () => {
    const password = await loginPassword(ecr(t));
    const ns = `berth-test-${suffix}`;
    const ctr = (args: string[]) => run("ctr", ["--address", CONTAINERD, "-n", ns, ...args]);
    try {
      const priv = await ctr([
        "images",
        "pull",
        "--plain-http",
        "--user",
        `AWS:${password}`,
        `${host}/us-east-1/clients/app:v1`,
      ]);
      assert.equal(priv.code, 0, priv.stderr);
      const pub = await ctr(["images", "pull", "--plain-http", `${host}/public/clients/open:v1`]);
      assert.equal(pub.code, 0, pub.stderr);
      const denied = await ctr([
        "images",
        "pull",
        "--plain-http",
        `${host}/us-east-1/clients/locked:release`,
      ]);
      assert.notEqual(denied.code, 0);
      const list = await ctr(["images", "ls", "-q"]);
      assert.deepEqual(list.stdout.trim().split("\n").sort(), [
        `${host}/public/clients/open:v1`,
        `${host}/us-east-1/clients/app:v1`,
      ]);
    } finally {
      // A namespace can only be removed once its images and content are gone.
      const lines = async (args: string[]) => (await ctr(args)).stdout.trim().split("\n").filter(Boolean);
      for (const ref of await lines(["images", "ls", "-q"])) await ctr(["images", "rm", ref]);
      for (const lease of await lines(["leases", "ls", "-q"])) await ctr(["leases", "rm", lease]);
      const content = await lines(["content", "ls", "-q"]);
      if (content.length > 0) await ctr(["content", "rm", ...content]);
      await run("ctr", ["--address", CONTAINERD, "namespaces", "rm", ns]);
    }
  });
});
