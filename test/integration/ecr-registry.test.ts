/**
 * The OCI Distribution API under /v2/, driven with raw HTTP: uploads (monolithic, chunked,
 * resumable, Content-Range rules), digest verification, names, manifests and their references,
 * cross-repository mounts, referrers, tag pagination, deletes, credentials and their scope, public
 * and private access, and garbage collection.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  SetRepositoryPolicyCommand,
} from "@aws-sdk/client-ecr";
import {
  CreateRepositoryCommand as CreatePublicRepositoryCommand,
  GetAuthorizationTokenCommand as GetPublicTokenCommand,
} from "@aws-sdk/client-ecr-public";
import { ManualClock } from "../../src/lib/clock.js";
import { signedFetch, startBerth, type TestBerth } from "../helpers/berth.js";
import {
  basic,
  ecr,
  ecrPublic,
  loginPassword,
  oci,
  pushBlob,
  pushTinyImage,
  sha256,
  tinyImage,
} from "../helpers/registry.js";

/** Send a request whose path is exactly `path` (fetch would normalise dot segments). */
function rawRequest(
  url: string,
  method: string,
  path: string,
  auth: string,
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, method, path, headers: { authorization: auth } },
      (res) => {
        let body = "";
        res.on("data", (c) => {
          body += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("OCI registry (/v2/)", () => {
  let t: TestBerth;
  let clock: ManualClock;
  let auth: string;
  const repo = "us-east-1/reg/app";

  before(async () => {
    clock = new ManualClock(Date.now());
    t = await startBerth({ clock });
    const client = ecr(t);
    for (const name of ["reg/app", "reg/other", "reg/private"]) {
      await client.send(new CreateRepositoryCommand({ repositoryName: name }));
    }
    auth = basic(await loginPassword(client));
  });
  after(async () => {
    await t.close();
  });

  it("answers /v2/ with a challenge offering Bearer and Basic, and 200 with credentials", async () => {
    const anon = await oci(t.url, "/v2/");
    assert.equal(anon.status, 401);
    const challenge = anon.headers.get("www-authenticate") ?? "";
    assert.match(challenge, /^Bearer realm="http:\/\/[^"]+\/v2\/token",service="[^"]+"/);
    assert.match(challenge, /Basic realm=/);
    assert.equal(anon.json<{ errors: { code: string }[] }>().errors[0]!.code, "UNAUTHORIZED");
    const ok = await oci(t.url, "/v2/", { auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("docker-distribution-api-version"), "registry/2.0");
    assert.equal((await oci(t.url, "/v2/", { auth: basic("forged.token") })).status, 401);
    assert.equal(
      (await oci(t.url, "/v2/", { auth: `Basic ${Buffer.from("root:x").toString("base64")}` })).status,
      401,
    );
  });

  it("exchanges credentials for a bearer token at the realm, and accepts it", async () => {
    const r = await oci(t.url, `/v2/token?service=berth&scope=repository:${repo}:pull,push`, { auth });
    assert.equal(r.status, 200);
    const { token, expires_in } = r.json<{ token: string; expires_in: number }>();
    assert.ok(expires_in > 11 * 3600 && expires_in <= 12 * 3600, `expires_in ${expires_in}`);
    assert.equal((await oci(t.url, "/v2/", { auth: `Bearer ${token}` })).status, 200);
    assert.equal((await oci(t.url, `/v2/${repo}/tags/list`, { auth: `Bearer ${token}` })).status, 200);
    // containerd's OAuth2 form: a password grant, then a refresh grant with what it returned.
    const form = (fields: Record<string, string>) =>
      oci(t.url, "/v2/token", {
        method: "POST",
        body: new URLSearchParams(fields).toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });
    const password = Buffer.from(auth.slice(6), "base64").toString("utf8").slice(4);
    const granted = await form({ grant_type: "password", username: "AWS", password, service: "berth" });
    assert.equal(granted.status, 200);
    const refresh = granted.json<{ refresh_token: string; access_token: string }>();
    assert.equal((await oci(t.url, "/v2/", { auth: `Bearer ${refresh.access_token}` })).status, 200);
    assert.equal(
      (await form({ grant_type: "refresh_token", refresh_token: refresh.refresh_token })).status,
      200,
    );
    assert.equal(
      (await form({ grant_type: "password", username: "AWS", password: "wrong.wrong" })).status,
      401,
    );
    assert.equal((await form({ grant_type: "password", username: "root", password })).status, 401);
    assert.equal((await form({ grant_type: "client_credentials" })).status, 400);
    // Bad credentials at the realm get no token.
    assert.equal((await oci(t.url, "/v2/token", { auth: basic("nope.nope") })).status, 401);
  });

  it("pushes a blob monolithically and serves it whole, by range, and by HEAD", async () => {
    const data = randomBytes(10_000);
    const digest = await pushBlob(t.url, repo, auth, data);
    const head = await oci(t.url, `/v2/${repo}/blobs/${digest}`, { method: "HEAD", auth });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), "10000");
    assert.equal(head.headers.get("docker-content-digest"), digest);
    const got = await oci(t.url, `/v2/${repo}/blobs/${digest}`, { auth });
    assert.deepEqual(got.body, data);
    const part = await oci(t.url, `/v2/${repo}/blobs/${digest}`, {
      auth,
      headers: { range: "bytes=100-199" },
    });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, data.subarray(100, 200));
    // A single POST carrying the digest and the body also works.
    const other = randomBytes(500);
    const mono = await oci(t.url, `/v2/${repo}/blobs/uploads/?digest=${sha256(other)}`, {
      method: "POST",
      auth,
      body: other,
      headers: { "content-type": "application/octet-stream" },
    });
    assert.equal(mono.status, 201);
    assert.equal(mono.headers.get("location"), `/v2/${repo}/blobs/${sha256(other)}`);
  });

  it("takes chunked uploads in order only, reports progress, and resumes", async () => {
    const data = randomBytes(30_000);
    const start = await oci(t.url, `/v2/${repo}/blobs/uploads/`, { method: "POST", auth });
    assert.equal(start.status, 202);
    assert.equal(start.headers.get("range"), "0-0");
    const loc = start.headers.get("location")!;
    const chunk = (from: number, to: number) =>
      oci(t.url, loc, {
        method: "PATCH",
        auth,
        body: data.subarray(from, to),
        headers: { "content-type": "application/octet-stream", "content-range": `${from}-${to - 1}` },
      });
    const first = await chunk(0, 10_000);
    assert.equal(first.status, 202);
    assert.equal(first.headers.get("range"), "0-9999");
    // Out of order: skips bytes.
    const gap = await chunk(20_000, 30_000);
    assert.equal(gap.status, 416);
    // Overlapping: repeats bytes.
    assert.equal((await chunk(5_000, 15_000)).status, 416);
    // Content-Length that disagrees with Content-Range.
    const lying = await oci(t.url, loc, {
      method: "PATCH",
      auth,
      body: data.subarray(10_000, 10_010),
      headers: { "content-range": "10000-10099" },
    });
    assert.equal(lying.status, 400);
    // Resume: ask where the upload stands, continue from there.
    const status = await oci(t.url, loc, { auth });
    assert.equal(status.status, 204);
    assert.equal(status.headers.get("range"), "0-9999");
    assert.equal((await chunk(10_000, 20_000)).status, 202);
    // The last chunk rides on the closing PUT.
    const put = await oci(t.url, `${loc}?digest=${sha256(data)}`, {
      method: "PUT",
      auth,
      body: data.subarray(20_000),
      headers: { "content-range": "20000-29999" },
    });
    assert.equal(put.status, 201);
    assert.deepEqual((await oci(t.url, `/v2/${repo}/blobs/${sha256(data)}`, { auth })).body, data);
    // The finished upload is gone.
    assert.equal((await oci(t.url, loc, { auth })).status, 404);
  });

  it("rejects a blob whose digest does not match, and makes nothing visible", async () => {
    const data = randomBytes(1000);
    const claimed = sha256(randomBytes(1000));
    const start = await oci(t.url, `/v2/${repo}/blobs/uploads/`, { method: "POST", auth });
    const loc = start.headers.get("location")!;
    const put = await oci(t.url, `${loc}?digest=${claimed}`, { method: "PUT", auth, body: data });
    assert.equal(put.status, 400);
    assert.equal(put.json<{ errors: { code: string }[] }>().errors[0]!.code, "DIGEST_INVALID");
    assert.equal((await oci(t.url, `/v2/${repo}/blobs/${claimed}`, { method: "HEAD", auth })).status, 404);
    assert.equal(
      (await oci(t.url, `/v2/${repo}/blobs/${sha256(data)}`, { method: "HEAD", auth })).status,
      404,
    );
    assert.equal(await t.berth.registry.blobs.stat(claimed), undefined);
    // Malformed digests are refused before anything is stored.
    const bad = await oci(t.url, `${loc}?digest=sha256:xyz`, { method: "PUT", auth });
    assert.equal(bad.status, 400);
    assert.equal((await oci(t.url, loc, { method: "DELETE", auth })).status, 204);
  });

  it("rejects names with dot segments, absolute paths and invalid characters", async () => {
    const cases = [
      "/v2/us-east-1/../reg/app/manifests/latest",
      "/v2/us-east-1/reg/../../etc/manifests/latest",
      "/v2//etc/passwd/manifests/latest",
      "/v2/us-east-1//reg/app/blobs/uploads/",
      "/v2/us-east-1/Reg/App/manifests/latest",
      "/v2/us-east-1/reg/app%2F..%2Fx/manifests/latest",
      "/v2/us-east-1/reg/a$b/tags/list",
      "/v2/nowhere/reg/app/manifests/latest",
    ];
    for (const path of cases) {
      for (const method of ["GET", "POST"]) {
        const r = await rawRequest(t.url, method, path, auth);
        assert.ok(r.status === 400 || r.status === 404 || r.status === 405, `${method} ${path}: ${r.status}`);
        if (r.status === 400) assert.match(r.body, /NAME_INVALID|UNSUPPORTED/, path);
      }
    }
    const upload = await rawRequest(t.url, "POST", "/v2/us-east-1/../reg/app/blobs/uploads/", auth);
    assert.equal(upload.status, 400);
    assert.match(upload.body, /NAME_INVALID/);
    // A tag with a slash or a digest with a foreign algorithm is no reference.
    assert.equal((await oci(t.url, `/v2/${repo}/manifests/md5:abc`, { auth })).status, 400);
  });

  it("rejects a manifest that references blobs the repository does not have", async () => {
    const img = tinyImage(2);
    await pushBlob(t.url, repo, auth, img.config);
    await pushBlob(t.url, repo, auth, img.layers[0]!);
    const r = await oci(t.url, `/v2/${repo}/manifests/missing`, {
      method: "PUT",
      auth,
      body: img.manifest,
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    });
    assert.equal(r.status, 400);
    const err = r.json<{ errors: { code: string; message: string }[] }>().errors[0]!;
    assert.equal(err.code, "MANIFEST_BLOB_UNKNOWN");
    assert.ok(err.message.includes(sha256(img.layers[1]!)));
    assert.equal((await oci(t.url, `/v2/${repo}/manifests/missing`, { auth })).status, 404);
    // A blob pushed to another repository does not count either.
    await pushBlob(t.url, "us-east-1/reg/other", auth, img.layers[1]!);
    const again = await oci(t.url, `/v2/${repo}/manifests/missing`, {
      method: "PUT",
      auth,
      body: img.manifest,
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    });
    assert.equal(again.status, 400);
    // Garbage and unknown media types are refused as invalid.
    for (const [body, ctype] of [
      ["{not json", "application/vnd.oci.image.manifest.v1+json"],
      [JSON.stringify({ schemaVersion: 2, mediaType: "text/plain" }), "text/plain"],
      [
        JSON.stringify({ schemaVersion: 2, config: { digest: "sha256:zz" }, layers: [] }),
        "application/vnd.oci.image.manifest.v1+json",
      ],
    ] as const) {
      const bad = await oci(t.url, `/v2/${repo}/manifests/bad`, {
        method: "PUT",
        auth,
        body,
        headers: { "content-type": ctype },
      });
      assert.equal(bad.status, 400, body);
      assert.equal(bad.json<{ errors: { code: string }[] }>().errors[0]!.code, "MANIFEST_INVALID");
    }
  });

  it("mounts a blob across repositories only from one that has it", async () => {
    const data = randomBytes(2000);
    const digest = await pushBlob(t.url, "us-east-1/reg/other", auth, data);
    const mounted = await oci(t.url, `/v2/${repo}/blobs/uploads/?mount=${digest}&from=us-east-1/reg/other`, {
      method: "POST",
      auth,
    });
    assert.equal(mounted.status, 201);
    assert.equal(mounted.headers.get("docker-content-digest"), digest);
    assert.deepEqual((await oci(t.url, `/v2/${repo}/blobs/${digest}`, { auth })).body, data);
    // From a repository without the blob: an ordinary upload session instead.
    const missing = sha256(randomBytes(10));
    const fallback = await oci(
      t.url,
      `/v2/${repo}/blobs/uploads/?mount=${missing}&from=us-east-1/reg/other`,
      {
        method: "POST",
        auth,
      },
    );
    assert.equal(fallback.status, 202);
    await oci(t.url, fallback.headers.get("location")!, { method: "DELETE", auth });
  });

  it("serves manifests by tag and digest, lists tags with pagination, and deletes", async () => {
    const tags = ["a1", "a2", "b1", "b2", "c1"];
    const images = [];
    for (const tag of tags) images.push(await pushTinyImage(t.url, "us-east-1/reg/other", auth, tag));
    const byTag = await oci(t.url, "/v2/us-east-1/reg/other/manifests/b1", { auth });
    assert.equal(byTag.status, 200);
    assert.equal(byTag.headers.get("content-type"), "application/vnd.oci.image.manifest.v1+json");
    assert.equal(byTag.headers.get("docker-content-digest"), images[2]!.digest);
    assert.equal(byTag.body.toString(), images[2]!.manifest);
    const byDigest = await oci(t.url, `/v2/us-east-1/reg/other/manifests/${images[2]!.digest}`, {
      method: "HEAD",
      auth,
    });
    assert.equal(byDigest.status, 200);

    const page1 = await oci(t.url, "/v2/us-east-1/reg/other/tags/list?n=2", { auth });
    assert.deepEqual(page1.json(), { name: "us-east-1/reg/other", tags: ["a1", "a2"] });
    const link = page1.headers.get("link")!;
    assert.match(link, /rel="next"/);
    const next = /<([^>]+)>/.exec(link)![1]!;
    const page2 = await oci(t.url, next, { auth });
    assert.deepEqual(page2.json<{ tags: string[] }>().tags, ["b1", "b2"]);
    const last = await oci(t.url, "/v2/us-east-1/reg/other/tags/list?n=2&last=b2", { auth });
    assert.deepEqual(last.json<{ tags: string[] }>().tags, ["c1"]);
    assert.equal(last.headers.get("link"), null);
    // n is a decimal count: other spellings of a number are PAGINATION_NUMBER_INVALID; a count
    // larger than a page gets a page; an empty n is no n.
    for (const n of ["1e21", "1.5", "1.0", "-1", "0x10", "%2B2", "%205", "two"]) {
      const bad = await oci(t.url, `/v2/us-east-1/reg/other/tags/list?n=${n}`, { auth });
      assert.equal(bad.status, 400, `n=${n}: ${bad.body.toString()}`);
      assert.equal(bad.json<{ errors: { code: string }[] }>().errors[0]!.code, "PAGINATION_NUMBER_INVALID");
    }
    for (const n of ["1000000000000000000000", "5000", ""]) {
      const all = await oci(t.url, `/v2/us-east-1/reg/other/tags/list?n=${n}`, { auth });
      assert.equal(all.status, 200, `n=${n}: ${all.body.toString()}`);
      assert.deepEqual(all.json<{ tags: string[] }>().tags, tags);
    }

    // Delete by tag removes the tag; delete by digest removes the image.
    assert.equal(
      (await oci(t.url, "/v2/us-east-1/reg/other/manifests/a1", { method: "DELETE", auth })).status,
      202,
    );
    assert.equal((await oci(t.url, "/v2/us-east-1/reg/other/manifests/a1", { auth })).status, 404);
    assert.equal(
      (await oci(t.url, `/v2/us-east-1/reg/other/manifests/${images[0]!.digest}`, { auth })).status,
      200,
    );
    assert.equal(
      (await oci(t.url, `/v2/us-east-1/reg/other/manifests/${images[1]!.digest}`, { method: "DELETE", auth }))
        .status,
      202,
    );
    assert.equal((await oci(t.url, "/v2/us-east-1/reg/other/manifests/a2", { auth })).status, 404);
    assert.equal(
      (await oci(t.url, `/v2/us-east-1/reg/other/manifests/${images[1]!.digest}`, { auth })).status,
      404,
    );
  });

  it("stores an image index and artifacts with a subject, and lists referrers", async () => {
    const a = await pushTinyImage(t.url, repo, auth, "multi-amd64");
    const b = await pushTinyImage(t.url, repo, auth, "multi-arm64");
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: a.digest,
          size: a.manifest.length,
          platform: { architecture: "amd64", os: "linux" },
        },
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: b.digest,
          size: b.manifest.length,
          platform: { architecture: "arm64", os: "linux" },
        },
      ],
    });
    const put = await oci(t.url, `/v2/${repo}/manifests/multi`, {
      method: "PUT",
      auth,
      body: index,
      headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
    });
    assert.equal(put.status, 201);
    // An index naming a manifest the repository lacks is refused.
    const dangling = index.replace(a.digest, sha256("nothing"));
    const bad = await oci(t.url, `/v2/${repo}/manifests/dangling`, {
      method: "PUT",
      auth,
      body: dangling,
      headers: { "content-type": "application/vnd.oci.image.index.v1+json" },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.json<{ errors: { code: string }[] }>().errors[0]!.code, "MANIFEST_UNKNOWN");

    // Artifacts (an empty config, an artifactType, a subject).
    const empty = Buffer.from("{}");
    await pushBlob(t.url, repo, auth, empty);
    const artifact = (artifactType: string) => {
      const layer = randomBytes(32);
      return {
        layer,
        manifest: JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          artifactType,
          config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256(empty), size: 2 },
          layers: [{ mediaType: "application/octet-stream", digest: sha256(layer), size: layer.length }],
          subject: {
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            digest: a.digest,
            size: a.manifest.length,
          },
          annotations: { "org.example.kind": artifactType },
        }),
      };
    };
    const sig = artifact("application/vnd.example.signature");
    const sbom = artifact("application/vnd.example.sbom");
    for (const art of [sig, sbom]) {
      await pushBlob(t.url, repo, auth, art.layer);
      const r = await oci(t.url, `/v2/${repo}/manifests/${sha256(art.manifest)}`, {
        method: "PUT",
        auth,
        body: art.manifest,
        headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get("oci-subject"), a.digest);
    }
    const all = await oci(t.url, `/v2/${repo}/referrers/${a.digest}`, { auth });
    assert.equal(all.status, 200);
    assert.equal(all.headers.get("content-type"), "application/vnd.oci.image.index.v1+json");
    const listed = all.json<{ manifests: { digest: string; artifactType: string }[] }>().manifests;
    assert.deepEqual(
      listed.map((m) => m.digest).sort(),
      [sha256(sig.manifest), sha256(sbom.manifest)].sort(),
    );
    const filtered = await oci(
      t.url,
      `/v2/${repo}/referrers/${a.digest}?artifactType=application/vnd.example.sbom`,
      { auth },
    );
    assert.equal(filtered.headers.get("oci-filters-applied"), "artifactType");
    assert.deepEqual(
      filtered.json<{ manifests: { digest: string }[] }>().manifests.map((m) => m.digest),
      [sha256(sbom.manifest)],
    );
    const none = await oci(t.url, `/v2/${repo}/referrers/${b.digest}`, { auth });
    assert.deepEqual(none.json<{ manifests: unknown[] }>().manifests, []);
  });

  it("binds credentials to their registry (region) and expires them after 12 hours", async () => {
    // A token for us-east-1 is refused on us-west-2 paths.
    await ecr(t, { region: "us-west-2" }).send(new CreateRepositoryCommand({ repositoryName: "reg/app" }));
    const west = await oci(t.url, "/v2/us-west-2/reg/app/tags/list", { auth });
    assert.equal(west.status, 401);
    const westAuth = basic(await loginPassword(ecr(t, { region: "us-west-2" })));
    assert.equal((await oci(t.url, "/v2/us-west-2/reg/app/tags/list", { auth: westAuth })).status, 200);
    assert.equal((await oci(t.url, `/v2/${repo}/tags/list`, { auth: westAuth })).status, 401);
    // Time passes: 12 hours later the token no longer works.
    const issued = clock.now();
    try {
      clock.set(issued + 12 * 3600_000 - 60_000);
      assert.equal((await oci(t.url, "/v2/us-west-2/reg/app/tags/list", { auth: westAuth })).status, 200);
      clock.set(issued + 12 * 3600_000 + 1000);
      const late = await oci(t.url, "/v2/us-west-2/reg/app/tags/list", { auth: westAuth });
      assert.equal(late.status, 401);
      assert.match(late.body.toString(), /expired/);
    } finally {
      clock.set(Date.now());
    }
  });

  it("lets anyone pull from a public repository, and no one anonymously from a private one", async () => {
    const pubClient = ecrPublic(t);
    await pubClient.send(new CreatePublicRepositoryCommand({ repositoryName: "open/app" }));
    const tok = await pubClient.send(new GetPublicTokenCommand({}));
    const pubAuth = basic(
      Buffer.from(tok.authorizationData!.authorizationToken!, "base64").toString("utf8").slice(4),
    );
    const img = await pushTinyImage(t.url, "public/open/app", pubAuth, "v1");
    // Anonymous, with no credentials at all.
    const anon = await oci(t.url, "/v2/public/open/app/manifests/v1");
    assert.equal(anon.status, 200);
    assert.equal(anon.body.toString(), img.manifest);
    assert.equal((await oci(t.url, `/v2/public/open/app/blobs/${sha256(img.layers[0]!)}`)).status, 200);
    // Anonymous with a bearer token from the realm (the token flow docker and containerd use).
    const token = (await oci(t.url, "/v2/token?scope=repository:public/open/app:pull")).json<{
      token: string;
    }>().token;
    assert.equal(
      (await oci(t.url, "/v2/public/open/app/manifests/v1", { auth: `Bearer ${token}` })).status,
      200,
    );
    // Credentials for a private registry do not get in the way of public pulls.
    assert.equal((await oci(t.url, "/v2/public/open/app/manifests/v1", { auth })).status, 200);
    assert.equal(
      (await oci(t.url, "/v2/public/open/app/blobs/uploads/", { method: "POST", auth })).status,
      401,
    );
    // ...but never a push.
    const push = await oci(t.url, "/v2/public/open/app/blobs/uploads/", {
      method: "POST",
      auth: `Bearer ${token}`,
    });
    assert.equal(push.status, 401);
    // Private repositories: no anonymous pull, with or without an anonymous token, even when a
    // repository policy allows everyone.
    await pushTinyImage(t.url, "us-east-1/reg/private", auth, "v1");
    await ecr(t).send(
      new SetRepositoryPolicyCommand({
        repositoryName: "reg/private",
        policyText: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: "*", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] },
          ],
        }),
      }),
    );
    for (const a of [undefined, `Bearer ${token}`]) {
      const r = await oci(t.url, "/v2/us-east-1/reg/private/manifests/v1", a ? { auth: a } : {});
      assert.equal(r.status, 401);
      assert.ok(r.headers.get("www-authenticate"));
    }
    // Unknown repositories look the same as private ones to an anonymous caller.
    assert.equal((await oci(t.url, "/v2/us-east-1/reg/nothing/manifests/v1")).status, 401);
    assert.equal((await oci(t.url, "/v2/us-east-1/reg/nothing/manifests/v1", { auth })).status, 404);
  });

  it("leaves nothing visible when an upload is interrupted, and collects abandoned uploads and unused blobs", async () => {
    const data = randomBytes(200_000);
    const digest = sha256(data);
    const start = await oci(t.url, `/v2/${repo}/blobs/uploads/`, { method: "POST", auth });
    const loc = start.headers.get("location")!;
    const u = new URL(t.url);
    // Send half the declared body, then drop the connection.
    await new Promise<void>((resolve) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        method: "PUT",
        path: `${loc}?digest=${digest}`,
        headers: { authorization: auth, "content-length": String(data.length) },
      });
      req.on("error", () => resolve());
      req.write(data.subarray(0, 100_000), () => {
        setImmediate(() => {
          req.destroy();
          resolve();
        });
      });
    });
    assert.equal((await oci(t.url, `/v2/${repo}/blobs/${digest}`, { method: "HEAD", auth })).status, 404);
    assert.equal(await t.berth.registry.blobs.stat(digest), undefined);
    // The upload is still there to resume or cancel; a day later GC abandons it.
    const id = loc.slice(loc.lastIndexOf("/") + 1);
    const before = clock.now();
    try {
      const unused = await pushBlob(t.url, repo, auth, randomBytes(100));
      const kept = (await oci(t.url, "/v2/us-east-1/reg/other/manifests/c1", { auth })).json<{
        layers: { digest: string }[];
      }>();
      clock.set(before + 25 * 3600_000);
      const r = await t.berth.registry.collectGarbage();
      assert.ok(r.abandonedUploads >= 1);
      assert.ok(r.deletedBlobs >= 1);
      assert.equal(await t.berth.registry.blobs.uploadInfo(id), undefined);
      assert.equal(await t.berth.registry.blobs.stat(unused), undefined);
      // Blobs images use are kept.
      assert.ok(await t.berth.registry.blobs.stat(kept.layers[0]!.digest));
    } finally {
      clock.set(Date.now());
    }
  });
  it("forgets every repository, blob and upload on berth reset", async () => {
    const data = randomBytes(300);
    const digest = await pushBlob(t.url, repo, auth, data);
    const start = await oci(t.url, `/v2/${repo}/blobs/uploads/`, { method: "POST", auth });
    const id = start.headers.get("location")!.split("/").pop()!;
    const r = await signedFetch(t.url, {
      path: "/_berth/reset",
      service: "ecs",
      credentials: t.credentials,
      region: t.region,
    });
    assert.equal(r.status, 200);
    assert.equal(await t.berth.registry.blobs.stat(digest), undefined);
    assert.equal(await t.berth.registry.blobs.uploadInfo(id), undefined);
    const repos = await ecr(t).send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(repos.repositories, []);
    assert.equal((await oci(t.url, `/v2/${repo}/blobs/${digest}`, { auth })).status, 404);
  });
});
