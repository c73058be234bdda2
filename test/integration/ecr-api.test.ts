/**
 * The ECR API over the AWS SDK and the AWS CLI v2: repositories and their settings, images
 * (PutImage, BatchGetImage, BatchDeleteImage, ListImages, DescribeImages), the layer API,
 * repository policies for another principal, and lifecycle policies with preview and enforcement
 * on 30 images pushed at controlled times.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  BatchCheckLayerAvailabilityCommand,
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteLifecyclePolicyCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  DescribeImagesCommand,
  DescribeRegistryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  GetRepositoryPolicyCommand,
  InitiateLayerUploadCommand,
  ListImagesCommand,
  ListTagsForResourceCommand,
  PutImageCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
  StartLifecyclePolicyPreviewCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UploadLayerPartCommand,
} from "@aws-sdk/client-ecr";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { ManualClock } from "../../src/lib/clock.js";
import { type Credentials, runAws, startBerth, type TestBerth } from "../helpers/berth.js";
import { basic, ecr, loginPassword, oci, pushBlob, sha256, tinyImage } from "../helpers/registry.js";

const DAY = 24 * 3600_000;

/** Push the blobs of an image through the ECR layer API. */
async function uploadLayer(
  client: ECRClient,
  repositoryName: string,
  data: Buffer,
  partSize = 1000,
): Promise<string> {
  const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
  for (let first = 0; first < data.length; first += partSize) {
    const part = data.subarray(first, Math.min(data.length, first + partSize));
    const r = await client.send(
      new UploadLayerPartCommand({
        repositoryName,
        uploadId,
        partFirstByte: first,
        partLastByte: first + part.length - 1,
        layerPartBlob: part,
      }),
    );
    assert.equal(r.lastByteReceived, first + part.length - 1);
  }
  const done = await client.send(
    new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(data)] }),
  );
  return done.layerDigest!;
}

async function putTiny(client: ECRClient, repositoryName: string, tag?: string) {
  const img = tinyImage(1, 32);
  for (const b of [img.config, ...img.layers]) await uploadLayer(client, repositoryName, b);
  await client.send(
    new PutImageCommand({ repositoryName, imageManifest: img.manifest, ...(tag ? { imageTag: tag } : {}) }),
  );
  return img;
}

describe("ECR API", () => {
  let t: TestBerth;
  let client: ECRClient;
  let alice: Credentials;
  const aliceArn = "arn:aws:iam::000000000000:user/alice";

  before(async () => {
    t = await startBerth();
    client = ecr(t);
    // Alice may log in to the registry, and nothing else: what she may do to a repository comes
    // from its repository policy.
    const iam = t.iam();
    await iam.send(new CreateUserCommand({ UserName: "alice" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "alice",
        PolicyName: "login",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }],
        }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }))).AccessKey!;
    alice = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  });
  after(async () => {
    await t.close();
  });

  it("creates, describes, tags and deletes repositories with their settings", async () => {
    const created = await client.send(
      new CreateRepositoryCommand({
        repositoryName: "api/web",
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filterType: "WILDCARD", filter: "latest*" }],
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: "KMS" },
        tags: [{ Key: "team", Value: "web" }],
      }),
    );
    const repo = created.repository!;
    const host = new URL(t.url).host;
    assert.equal(repo.repositoryUri, `${host}/us-east-1/api/web`);
    assert.equal(repo.repositoryArn, "arn:aws:ecr:us-east-1:000000000000:repository/api/web");
    assert.equal(repo.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    assert.deepEqual(repo.imageTagMutabilityExclusionFilters, [
      { filterType: "WILDCARD", filter: "latest*" },
    ]);
    assert.equal(repo.imageScanningConfiguration?.scanOnPush, true);
    assert.equal(repo.encryptionConfiguration?.encryptionType, "KMS");
    assert.match(repo.encryptionConfiguration?.kmsKey ?? "", /^arn:aws:kms:us-east-1:000000000000:/);

    await assert.rejects(client.send(new CreateRepositoryCommand({ repositoryName: "api/web" })), {
      name: "RepositoryAlreadyExistsException",
    });
    for (const bad of ["A", "api//web", "/abs", "api/../etc", "-x", "api/web:tag", "x".repeat(257)]) {
      await assert.rejects(
        client.send(new CreateRepositoryCommand({ repositoryName: bad })),
        {
          name: "InvalidParameterException",
        },
        bad,
      );
    }
    await assert.rejects(
      client.send(
        new CreateRepositoryCommand({
          repositoryName: "api/x",
          imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        }),
      ),
      { name: "InvalidParameterException" },
    );
    // Regions are separate registries.
    await assert.rejects(
      ecr(t, { region: "eu-west-1" }).send(new DescribeRepositoriesCommand({ repositoryNames: ["api/web"] })),
      { name: "RepositoryNotFoundException" },
    );

    await client.send(
      new TagResourceCommand({ resourceArn: repo.repositoryArn, tags: [{ Key: "env", Value: "prod" }] }),
    );
    await client.send(new UntagResourceCommand({ resourceArn: repo.repositoryArn, tagKeys: ["team"] }));
    const tags = await client.send(new ListTagsForResourceCommand({ resourceArn: repo.repositoryArn }));
    assert.deepEqual(tags.tags, [{ Key: "env", Value: "prod" }]);

    const m = await client.send(
      new PutImageTagMutabilityCommand({ repositoryName: "api/web", imageTagMutability: "MUTABLE" }),
    );
    assert.equal(m.imageTagMutability, "MUTABLE");
    assert.equal(m.imageTagMutabilityExclusionFilters, undefined);

    // Pagination over DescribeRepositories.
    for (const n of ["api/p1", "api/p2", "api/p3"])
      await client.send(new CreateRepositoryCommand({ repositoryName: n }));
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new DescribeRepositoriesCommand({ maxResults: 2, ...(nextToken ? { nextToken } : {}) }),
      );
      names.push(...page.repositories!.map((r) => r.repositoryName!));
      nextToken = page.nextToken;
    } while (nextToken);
    for (const n of ["api/p1", "api/p2", "api/p3", "api/web"]) assert.ok(names.includes(n), n);

    // A repository with images is deleted only with force.
    await putTiny(client, "api/p1", "v1");
    await assert.rejects(client.send(new DeleteRepositoryCommand({ repositoryName: "api/p1" })), {
      name: "RepositoryNotEmptyException",
    });
    const del = await client.send(new DeleteRepositoryCommand({ repositoryName: "api/p1", force: true }));
    assert.equal(del.repository?.repositoryName, "api/p1");
    await assert.rejects(client.send(new DescribeRepositoriesCommand({ repositoryNames: ["api/p1"] })), {
      name: "RepositoryNotFoundException",
    });
    const reg = await client.send(new DescribeRegistryCommand({}));
    assert.equal(reg.registryId, "000000000000");
  });

  it("uploads layers through the API with part rules, and checks and downloads them", async () => {
    await client.send(new CreateRepositoryCommand({ repositoryName: "api/layers" }));
    const data = randomBytes(2500);
    const digest = await uploadLayer(client, "api/layers", data);
    assert.equal(digest, sha256(data));
    // A part that does not continue the upload.
    const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName: "api/layers" }));
    await assert.rejects(
      client.send(
        new UploadLayerPartCommand({
          repositoryName: "api/layers",
          uploadId,
          partFirstByte: 5,
          partLastByte: 9,
          layerPartBlob: randomBytes(5),
        }),
      ),
      { name: "InvalidLayerPartException" },
    );
    await assert.rejects(
      client.send(
        new CompleteLayerUploadCommand({
          repositoryName: "api/layers",
          uploadId,
          layerDigests: [sha256("x")],
        }),
      ),
      { name: "EmptyUploadException" },
    );
    await client.send(
      new UploadLayerPartCommand({
        repositoryName: "api/layers",
        uploadId,
        partFirstByte: 0,
        partLastByte: 3,
        layerPartBlob: Buffer.from("abcd"),
      }),
    );
    await assert.rejects(
      client.send(
        new CompleteLayerUploadCommand({
          repositoryName: "api/layers",
          uploadId,
          layerDigests: [sha256("abce")],
        }),
      ),
      { name: "InvalidLayerException" },
    );
    await assert.rejects(
      client.send(
        new CompleteLayerUploadCommand({
          repositoryName: "api/layers",
          uploadId: "00000000-0000-4000-8000-000000000000",
          layerDigests: [sha256("abcd")],
        }),
      ),
      { name: "UploadNotFoundException" },
    );
    const again = await client.send(new InitiateLayerUploadCommand({ repositoryName: "api/layers" }));
    await client.send(
      new UploadLayerPartCommand({
        repositoryName: "api/layers",
        uploadId: again.uploadId,
        partFirstByte: 0,
        partLastByte: data.length - 1,
        layerPartBlob: data,
      }),
    );
    await assert.rejects(
      client.send(
        new CompleteLayerUploadCommand({
          repositoryName: "api/layers",
          uploadId: again.uploadId,
          layerDigests: [digest],
        }),
      ),
      { name: "LayerAlreadyExistsException" },
    );

    const check = await client.send(
      new BatchCheckLayerAvailabilityCommand({
        repositoryName: "api/layers",
        layerDigests: [digest, sha256("nothing"), "bogus"],
      }),
    );
    assert.deepEqual(check.layers, [
      { layerDigest: digest, layerAvailability: "AVAILABLE", layerSize: 2500 },
    ]);
    assert.deepEqual(
      check.failures?.map((f) => f.failureCode),
      ["MissingLayerDigest", "InvalidLayerDigest"],
    );

    const url = await client.send(
      new GetDownloadUrlForLayerCommand({ repositoryName: "api/layers", layerDigest: digest }),
    );
    assert.equal(url.layerDigest, digest);
    const got = Buffer.from(await (await fetch(url.downloadUrl!)).arrayBuffer());
    assert.deepEqual(got, data);
    // The signature is bound to the layer.
    const forged = url.downloadUrl!.replace(digest, sha256("other"));
    assert.equal((await fetch(forged)).status, 401);
    await assert.rejects(
      client.send(
        new GetDownloadUrlForLayerCommand({ repositoryName: "api/layers", layerDigest: sha256("nothing") }),
      ),
      { name: "LayersNotFoundException" },
    );
  });

  it("puts, retags, gets, lists, describes and deletes images as ECR does", async () => {
    await client.send(new CreateRepositoryCommand({ repositoryName: "api/images" }));
    const img = await putTiny(client, "api/images", "v1");
    // Retag: the same manifest under another tag.
    const retag = await client.send(
      new PutImageCommand({ repositoryName: "api/images", imageManifest: img.manifest, imageTag: "stable" }),
    );
    assert.equal(retag.image?.imageId?.imageDigest, img.digest);
    await assert.rejects(
      client.send(
        new PutImageCommand({ repositoryName: "api/images", imageManifest: img.manifest, imageTag: "v1" }),
      ),
      { name: "ImageAlreadyExistsException" },
    );
    await assert.rejects(
      client.send(
        new PutImageCommand({
          repositoryName: "api/images",
          imageManifest: img.manifest,
          imageDigest: sha256("other"),
        }),
      ),
      { name: "ImageDigestDoesNotMatchException" },
    );
    const missing = tinyImage(1);
    await assert.rejects(
      client.send(
        new PutImageCommand({ repositoryName: "api/images", imageManifest: missing.manifest, imageTag: "x" }),
      ),
      (err: Error) => err.name === "LayersNotFoundException" && err.message.includes(sha256(missing.config)),
    );
    const untagged = await putTiny(client, "api/images");

    const got = await client.send(
      new BatchGetImageCommand({
        repositoryName: "api/images",
        imageIds: [{ imageTag: "stable" }, { imageTag: "nope" }, { imageDigest: "sha256:bad" }],
        acceptedMediaTypes: ["application/vnd.oci.image.manifest.v1+json"],
      }),
    );
    assert.equal(got.images?.[0]?.imageManifest, img.manifest);
    assert.equal(got.images?.[0]?.imageManifestMediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.deepEqual(
      got.failures?.map((f) => f.failureCode),
      ["ImageNotFound", "InvalidImageDigest"],
    );

    const tagged = await client.send(
      new ListImagesCommand({ repositoryName: "api/images", filter: { tagStatus: "TAGGED" } }),
    );
    assert.deepEqual(tagged.imageIds?.map((i) => i.imageTag).sort(), ["stable", "v1"]);
    const none = await client.send(
      new ListImagesCommand({ repositoryName: "api/images", filter: { tagStatus: "UNTAGGED" } }),
    );
    assert.deepEqual(none.imageIds, [{ imageDigest: untagged.digest }]);

    const d = await client.send(
      new DescribeImagesCommand({ repositoryName: "api/images", imageIds: [{ imageTag: "v1" }] }),
    );
    const detail = d.imageDetails![0]!;
    assert.deepEqual(detail.imageTags, ["stable", "v1"]);
    assert.equal(detail.imageSizeInBytes, img.config.length + img.layers[0]!.length);
    assert.equal(detail.imageManifestMediaType, "application/vnd.oci.image.manifest.v1+json");
    assert.equal(detail.artifactMediaType, "application/vnd.oci.image.config.v1+json");
    assert.ok(detail.imagePushedAt instanceof Date);
    assert.equal(detail.lastRecordedPullTime, undefined);
    await assert.rejects(
      client.send(
        new DescribeImagesCommand({ repositoryName: "api/images", imageIds: [{ imageTag: "nope" }] }),
      ),
      { name: "ImageNotFoundException" },
    );

    // A pull through the registry is recorded.
    const auth = basic(await loginPassword(client));
    assert.equal((await oci(t.url, "/v2/us-east-1/api/images/manifests/v1", { auth })).status, 200);
    await t.berth.registry.flushPulls();
    const pulled = await client.send(
      new DescribeImagesCommand({ repositoryName: "api/images", imageIds: [{ imageTag: "v1" }] }),
    );
    assert.ok(pulled.imageDetails![0]!.lastRecordedPullTime instanceof Date);

    // Deleting a tag that is not the last keeps the image; deleting its last tag deletes it.
    const del1 = await client.send(
      new BatchDeleteImageCommand({ repositoryName: "api/images", imageIds: [{ imageTag: "stable" }] }),
    );
    assert.deepEqual(del1.imageIds, [{ imageDigest: img.digest, imageTag: "stable" }]);
    const del2 = await client.send(
      new BatchDeleteImageCommand({
        repositoryName: "api/images",
        imageIds: [{ imageTag: "v1" }, { imageTag: "gone" }],
      }),
    );
    assert.deepEqual(del2.imageIds, [{ imageDigest: img.digest, imageTag: "v1" }]);
    assert.deepEqual(
      del2.failures?.map((f) => f.failureCode),
      ["ImageNotFound"],
    );
    const left = await client.send(new ListImagesCommand({ repositoryName: "api/images" }));
    assert.deepEqual(left.imageIds, [{ imageDigest: untagged.digest }]);
  });

  it("enforces immutable tags, with exclusion filters", async () => {
    await client.send(
      new CreateRepositoryCommand({
        repositoryName: "api/immutable",
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filterType: "WILDCARD", filter: "dev-*" }],
      }),
    );
    const a = await putTiny(client, "api/immutable", "release");
    await putTiny(client, "api/immutable", "dev-1");
    const b = await putTiny(client, "api/immutable");
    await assert.rejects(
      client.send(
        new PutImageCommand({
          repositoryName: "api/immutable",
          imageManifest: b.manifest,
          imageTag: "release",
        }),
      ),
      (err: Error) => err.name === "ImageTagAlreadyExistsException" && err.message.includes("release"),
    );
    // The excluded tag moves freely.
    await client.send(
      new PutImageCommand({ repositoryName: "api/immutable", imageManifest: b.manifest, imageTag: "dev-1" }),
    );
    // And through the registry (what docker push does), the immutable tag is refused too.
    const auth = basic(await loginPassword(client));
    const r = await oci(t.url, "/v2/us-east-1/api/immutable/manifests/release", {
      method: "PUT",
      auth,
      body: b.manifest,
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    });
    assert.equal(r.status, 400);
    assert.equal(r.json<{ errors: { code: string }[] }>().errors[0]!.code, "TAG_INVALID");
    const still = await client.send(
      new DescribeImagesCommand({ repositoryName: "api/immutable", imageIds: [{ imageTag: "release" }] }),
    );
    assert.equal(still.imageDetails![0]!.imageDigest, a.digest);
  });

  it("decides exclusion filters against long tags at once", async () => {
    // `*a*a*…*b` took exponential time as a backtracking RegExp: retagging hung the request.
    await client.send(
      new CreateRepositoryCommand({
        repositoryName: "api/exclusions",
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filterType: "WILDCARD", filter: `${"*a".repeat(12)}*b` }],
      }),
    );
    const immutable = "a".repeat(128);
    const excluded = `${"a".repeat(127)}b`;
    await putTiny(client, "api/exclusions", immutable);
    await putTiny(client, "api/exclusions", excluded);
    const b = tinyImage(1, 32);
    for (const blob of [b.config, ...b.layers]) await uploadLayer(client, "api/exclusions", blob);
    await assert.rejects(
      client.send(
        new PutImageCommand({
          repositoryName: "api/exclusions",
          imageManifest: b.manifest,
          imageTag: immutable,
        }),
      ),
      (err: Error) => err.name === "ImageTagAlreadyExistsException",
    );
    await client.send(
      new PutImageCommand({
        repositoryName: "api/exclusions",
        imageManifest: b.manifest,
        imageTag: excluded,
      }),
    );
    const moved = await client.send(
      new DescribeImagesCommand({ repositoryName: "api/exclusions", imageIds: [{ imageTag: excluded }] }),
    );
    assert.equal(moved.imageDetails![0]!.imageDigest, b.digest);
  });

  it("evaluates repository policies for other principals", async () => {
    await client.send(new CreateRepositoryCommand({ repositoryName: "api/shared" }));
    await putTiny(client, "api/shared", "v1");
    const asAlice = ecr(t, { credentials: alice });
    // No policy: alice (no identity permissions yet) may not pull, through the API or the registry.
    await assert.rejects(
      asAlice.send(
        new BatchGetImageCommand({ repositoryName: "api/shared", imageIds: [{ imageTag: "v1" }] }),
      ),
      { name: "AccessDeniedException" },
    );
    const aliceAuth = basic(await loginPassword(asAlice));
    assert.equal(
      (await oci(t.url, "/v2/us-east-1/api/shared/manifests/v1", { auth: aliceAuth })).status,
      403,
    );

    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "pull",
          Effect: "Allow",
          Principal: { AWS: aliceArn },
          Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
        },
        { Sid: "nodelete", Effect: "Deny", Principal: "*", Action: "ecr:BatchDelete*" },
      ],
    };
    await assert.rejects(
      client.send(
        new SetRepositoryPolicyCommand({
          repositoryName: "api/shared",
          policyText: '{"Statement":[{"Effect":"Maybe"}]}',
        }),
      ),
      { name: "InvalidParameterException" },
    );
    await client.send(
      new SetRepositoryPolicyCommand({ repositoryName: "api/shared", policyText: JSON.stringify(policy) }),
    );
    const got = await client.send(new GetRepositoryPolicyCommand({ repositoryName: "api/shared" }));
    assert.deepEqual(JSON.parse(got.policyText!), policy);

    const pulled = await asAlice.send(
      new BatchGetImageCommand({ repositoryName: "api/shared", imageIds: [{ imageTag: "v1" }] }),
    );
    assert.equal(pulled.images?.length, 1);
    assert.equal(
      (await oci(t.url, "/v2/us-east-1/api/shared/manifests/v1", { auth: aliceAuth })).status,
      200,
    );
    // Pushing is still not allowed for alice.
    const push = await oci(t.url, "/v2/us-east-1/api/shared/blobs/uploads/", {
      method: "POST",
      auth: aliceAuth,
    });
    assert.equal(push.status, 403);
    // The explicit Deny binds even the account's root.
    await assert.rejects(
      client.send(
        new BatchDeleteImageCommand({ repositoryName: "api/shared", imageIds: [{ imageTag: "v1" }] }),
      ),
      { name: "AccessDeniedException" },
    );
    await client.send(new DeleteRepositoryPolicyCommand({ repositoryName: "api/shared" }));
    await assert.rejects(client.send(new GetRepositoryPolicyCommand({ repositoryName: "api/shared" })), {
      name: "RepositoryPolicyNotFoundException",
    });
    assert.equal(
      (await oci(t.url, "/v2/us-east-1/api/shared/manifests/v1", { auth: aliceAuth })).status,
      403,
    );
  });

  it("works through the AWS CLI: get-login-password, put-image, describe-images", async () => {
    await client.send(new CreateRepositoryCommand({ repositoryName: "api/cli" }));
    const login = await runAws(t, ["ecr", "get-login-password"]);
    assert.equal(login.code, 0, login.stderr);
    const auth = basic(login.stdout.trim());
    assert.equal((await oci(t.url, "/v2/", { auth })).status, 200);
    const img = tinyImage(1);
    for (const b of [img.config, ...img.layers]) await pushBlob(t.url, "us-east-1/api/cli", auth, b);
    const put = await runAws(t, [
      "ecr",
      "put-image",
      "--repository-name",
      "api/cli",
      "--image-tag",
      "v7",
      "--image-manifest",
      img.manifest,
    ]);
    assert.equal(put.code, 0, put.stderr);
    const desc = await runAws(t, ["ecr", "describe-images", "--repository-name", "api/cli"]);
    assert.equal(desc.code, 0, desc.stderr);
    const detail = desc.json<{ imageDetails: Record<string, unknown>[] }>().imageDetails[0]!;
    assert.equal(detail.imageDigest, img.digest);
    assert.deepEqual(detail.imageTags, ["v7"]);
    assert.equal(detail.repositoryName, "api/cli");
    assert.equal(detail.imageSizeInBytes, img.config.length + img.layers[0]!.length);
    // The repositoryUri is an image reference a task definition accepts.
    const uri = (await client.send(new DescribeRepositoriesCommand({ repositoryNames: ["api/cli"] })))
      .repositories![0]!.repositoryUri!;
    const td = await runAws(t, [
      "ecs",
      "register-task-definition",
      "--family",
      "from-ecr",
      "--container-definitions",
      JSON.stringify([{ name: "app", image: `${uri}:v7`, memory: 64 }]),
    ]);
    assert.equal(td.code, 0, td.stderr);
    assert.equal(
      td.json<{ taskDefinition: { containerDefinitions: { image: string }[] } }>().taskDefinition
        .containerDefinitions[0]!.image,
      `${new URL(t.url).host}/us-east-1/api/cli:v7`,
    );
    const missing = await runAws(t, ["ecr", "describe-images", "--repository-name", "api/nothing"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /RepositoryNotFoundException/);
    const token = await client.send(new GetAuthorizationTokenCommand({}));
    const data = token.authorizationData![0]!;
    assert.equal(data.proxyEndpoint, `http://${new URL(t.url).host}`);
    const hours = (data.expiresAt!.getTime() - Date.now()) / 3600_000;
    assert.ok(hours > 11.9 && hours <= 12, `expires in ${hours}h`);
  });
});

describe("ECR lifecycle policies", () => {
  let t: TestBerth;
  let clock: ManualClock;
  let client: ECRClient;
  const now = Date.now();

  before(async () => {
    clock = new ManualClock(now);
    t = await startBerth({ clock });
    client = ecr(t);
  });
  after(async () => {
    await t.close();
  });

  it("previews exactly what enforcement then expires, on 30 images pushed over 30 days", async () => {
    await client.send(new CreateRepositoryCommand({ repositoryName: "lc/app" }));
    const auth = basic(await loginPassword(client));
    // Images i = 0..29 pushed i days ago (i = 0 newest). Tags: prod-* on every fifth, dev-* on
    // odd ones, the rest untagged.
    const pushed: { digest: string; tag?: string; day: number }[] = [];
    for (let day = 29; day >= 0; day--) {
      clock.set(now - day * DAY - 60_000);
      const tag = day % 5 === 0 ? `prod-${day}` : day % 2 === 1 ? `dev-${day}` : undefined;
      const img = tinyImage(1, 16);
      for (const b of [img.config, ...img.layers]) await pushBlob(t.url, "us-east-1/lc/app", auth, b);
      const ref = tag ?? img.digest;
      const r = await oci(t.url, `/v2/us-east-1/lc/app/manifests/${ref}`, {
        method: "PUT",
        auth,
        body: img.manifest,
        headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      });
      assert.equal(r.status, 201);
      pushed.push({ digest: img.digest, day, ...(tag ? { tag } : {}) });
    }
    clock.set(now);
    const policy = {
      rules: [
        {
          rulePriority: 1,
          description: "keep 3 prod",
          selection: {
            tagStatus: "tagged",
            tagPrefixList: ["prod"],
            countType: "imageCountMoreThan",
            countNumber: 3,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 2,
          description: "untagged after 7 days",
          selection: {
            tagStatus: "untagged",
            countType: "sinceImagePushed",
            countUnit: "days",
            countNumber: 7,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 3,
          description: "dev patterns",
          selection: {
            tagStatus: "tagged",
            tagPatternList: ["dev-*"],
            countType: "imageCountMoreThan",
            countNumber: 5,
          },
          action: { type: "expire" },
        },
        {
          rulePriority: 10,
          description: "cap everything",
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 12 },
          action: { type: "expire" },
        },
      ],
    };
    await assert.rejects(
      client.send(
        new PutLifecyclePolicyCommand({
          repositoryName: "lc/app",
          lifecyclePolicyText: JSON.stringify({
            rules: [
              { ...policy.rules[3], rulePriority: 1 },
              { ...policy.rules[0], rulePriority: 2 },
            ],
          }),
        }),
      ),
      (err: Error) => err.name === "InvalidParameterException" && /highest rulePriority/.test(err.message),
    );
    await client.send(
      new PutLifecyclePolicyCommand({
        repositoryName: "lc/app",
        lifecyclePolicyText: JSON.stringify(policy),
      }),
    );
    const stored = await client.send(new GetLifecyclePolicyCommand({ repositoryName: "lc/app" }));
    assert.deepEqual(JSON.parse(stored.lifecyclePolicyText!), policy);

    const start = await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: "lc/app" }));
    assert.equal(start.status, "COMPLETE");
    const results: { digest: string; rule: number }[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new GetLifecyclePolicyPreviewCommand({
          repositoryName: "lc/app",
          maxResults: 5,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      assert.equal(page.status, "COMPLETE");
      for (const r of page.previewResults ?? []) {
        assert.equal(r.action?.type, "EXPIRE");
        results.push({ digest: r.imageDigest!, rule: r.appliedRulePriority! });
      }
      nextToken = page.nextToken;
    } while (nextToken);

    // Expected, by the rules: prod at days 0,5,10,15,20,25 → keep 0,5,10; expire 15,20,25 (rule 1).
    // Untagged (even days not divisible by 5) older than 7 days → expire 8..28 even ones (rule 2).
    // dev (odd days that are not prod days): 12 images, keep the newest 5 (1,3,7,9,11), expire
    // the other 7 (rule 3).
    // Rule 10 (any, keep 12): counts all 30 but may only expire images no earlier rule selected;
    // every image was selected by some earlier rule, so it expires nothing more.
    const byDay = new Map(pushed.map((p) => [p.digest, p.day]));
    const expected = new Map<number, number>();
    for (const d of [15, 20, 25]) expected.set(d, 1);
    for (let d = 8; d <= 29; d++) if (d % 2 === 0 && d % 5 !== 0) expected.set(d, 2);
    const devDays = pushed
      .filter((p) => p.tag?.startsWith("dev-"))
      .map((p) => p.day)
      .sort((a, b) => a - b);
    assert.deepEqual(devDays.slice(0, 5), [1, 3, 7, 9, 11]);
    for (const d of devDays.slice(5)) expected.set(d, 3);
    assert.deepEqual(new Map(results.map((r) => [byDay.get(r.digest)!, r.rule])), expected);
    const summary = await client.send(
      new GetLifecyclePolicyPreviewCommand({ repositoryName: "lc/app", filter: { tagStatus: "UNTAGGED" } }),
    );
    assert.equal(summary.summary?.expiringImageTotalCount, expected.size);
    assert.ok(summary.previewResults!.every((r) => r.imageTags === undefined));

    // Enforcement on the schedule's clock does exactly what the preview showed.
    const expired = await t.berth.registry.enforceLifecycle();
    assert.equal(expired, expected.size);
    const left = await client.send(new DescribeImagesCommand({ repositoryName: "lc/app", maxResults: 100 }));
    const leftDays = left.imageDetails!.map((d) => byDay.get(d.imageDigest!)!).sort((a, b) => a - b);
    const keptDays = pushed
      .map((p) => p.day)
      .filter((d) => !expected.has(d))
      .sort((a, b) => a - b);
    assert.deepEqual(leftDays, keptDays);
    const after = await client.send(new GetLifecyclePolicyCommand({ repositoryName: "lc/app" }));
    assert.equal(after.lastEvaluatedAt?.getTime(), now);

    // Time passes: ten days on, the untagged rule expires more.
    clock.set(now + 10 * DAY);
    assert.ok((await t.berth.registry.enforceLifecycle()) > 0);
    clock.set(now);
    await client.send(new DeleteLifecyclePolicyCommand({ repositoryName: "lc/app" }));
    await assert.rejects(client.send(new GetLifecyclePolicyCommand({ repositoryName: "lc/app" })), {
      name: "LifecyclePolicyNotFoundException",
    });
  });
});
