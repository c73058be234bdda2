/**
 * ECR under IAM: IAM users and role sessions use the ECR API (SDK, AWS CLI v2) and the registry
 * (raw OCI requests, the docker CLI) with the permissions their identity policies and the
 * repository's policy give them, evaluated as AWS evaluates same-account access: an explicit Deny
 * in either refuses, otherwise an Allow in either grants. Refusals carry AWS's AccessDenied
 * wording, as AccessDeniedException (API) or DENIED (registry).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  GetAuthorizationTokenCommand,
  PutImageCommand,
  SetRepositoryPolicyCommand,
  TagResourceCommand,
} from "@aws-sdk/client-ecr";
import {
  CreateRepositoryCommand as CreatePublicRepositoryCommand,
  DescribeImagesCommand as DescribePublicImagesCommand,
  GetAuthorizationTokenCommand as GetPublicTokenCommand,
} from "@aws-sdk/client-ecr-public";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  type IAMClient,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { type Credentials, runAws, startBerth, type TestBerth } from "../helpers/berth.js";
import {
  basic,
  dockerConfigDir,
  ecr,
  ecrPublic,
  loginPassword,
  oci,
  pushTinyImage,
  run,
  sha256,
  type TinyImage,
} from "../helpers/registry.js";

const ACCT = "000000000000";
const REGION = "us-east-1";
const DOCKER = "/usr/bin/docker";
const READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${ACCT}:repository/${name}`;
const publicRepoArn = (name: string) => `arn:aws:ecr-public::${ACCT}:repository/${name}`;
const userArn = (name: string) => `arn:aws:iam::${ACCT}:user/${name}`;
const PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];
const PUSH = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
];

const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const LOGIN = { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" };

const noAllow = (who: string, action: string, resource: string, kind = "identity-based policy") =>
  `User: ${who} is not authorized to perform: ${action} on resource: ${resource} because no ${kind} allows the ${action} action`;
const explicitDeny = (who: string, action: string, resource: string, kind = "an identity-based policy") =>
  `User: ${who} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in ${kind}`;

async function refused(fn: () => Promise<unknown>, message: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const e = err as { name: string; message: string };
    assert.equal(e.name, "AccessDeniedException", e.message);
    assert.equal(e.message, message);
    return;
  }
  assert.fail(`expected AccessDeniedException: ${message}`);
}

/** The registry's refusal: 403 DENIED with the same wording. */
async function deniedByRegistry(
  res: Promise<{ status: number; json<T>(): T }>,
  message: string,
): Promise<void> {
  const r = await res;
  assert.equal(r.status, 403);
  assert.deepEqual(r.json<{ errors: { code: string; message: string }[] }>().errors[0], {
    code: "DENIED",
    message,
    detail: {},
  });
}

describe("ECR with IAM users, role sessions and repository policies", () => {
  let t: TestBerth;
  let iam: IAMClient;
  let root: ECRClient;
  let host: string;
  let app: TinyImage;

  /** A new IAM user with inline and managed policies; its access key. */
  async function user(name: string, o: { inline?: string; managed?: string[] } = {}): Promise<Credentials> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (o.inline) {
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: o.inline }));
    }
    for (const arn of o.managed ?? []) {
      await iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }
  const as = (credentials: Credentials) => ecr(t, { credentials });
  /** Registry credentials (Basic) from GetAuthorizationToken with these credentials. */
  const registryAuth = async (credentials: Credentials) => basic(await loginPassword(as(credentials)));
  const manifest = (repo: string, auth: string) => oci(t.url, `/v2/${REGION}/${repo}/manifests/v1`, { auth });
  const blob = (repo: string, auth: string) =>
    oci(t.url, `/v2/${REGION}/${repo}/blobs/${sha256(app.layers[0]!)}`, { auth });
  const startUpload = (path: string, auth: string) =>
    oci(t.url, `/v2/${path}/blobs/uploads/`, { method: "POST", auth });

  before(async () => {
    t = await startBerth();
    iam = t.iam();
    root = ecr(t);
    host = new URL(t.url).host;
    for (const name of ["team/app", "team/other", "shared/lib"]) {
      await root.send(new CreateRepositoryCommand({ repositoryName: name }));
    }
    const rootAuth = basic(await loginPassword(root));
    app = await pushTinyImage(t.url, `${REGION}/team/app`, rootAuth, "v1");
    await pushTinyImage(t.url, `${REGION}/team/other`, rootAuth, "v1", app);
    await pushTinyImage(t.url, `${REGION}/shared/lib`, rootAuth, "v1", app);
  });
  after(async () => {
    await t.close();
  });

  it("AmazonEC2ContainerRegistryReadOnly: docker login and pull work, push is denied", async () => {
    const reader = await user("reader", { managed: [READ_ONLY] });
    const who = userArn("reader");
    // The API: reading works, writing is refused with AWS's wording.
    const api = as(reader);
    const repos = await api.send(new DescribeRepositoriesCommand({}));
    assert.deepEqual(repos.repositories?.map((r) => r.repositoryName).sort(), [
      "shared/lib",
      "team/app",
      "team/other",
    ]);
    const images = await api.send(new DescribeImagesCommand({ repositoryName: "team/app" }));
    assert.equal(images.imageDetails?.[0]?.imageDigest, app.digest);
    await refused(
      () =>
        api.send(
          new PutImageCommand({ repositoryName: "team/app", imageManifest: app.manifest, imageTag: "v2" }),
        ),
      noAllow(who, "ecr:PutImage", repoArn("team/app")),
    );
    await refused(
      () => api.send(new CreateRepositoryCommand({ repositoryName: "team/new" })),
      noAllow(who, "ecr:CreateRepository", repoArn("team/new")),
    );

    // docker: root pushes a real image; the reader logs in with the AWS CLI v2, pulls it, and
    // cannot push it back under another tag.
    const rootCfg = await dockerConfigDir();
    const readerCfg = await dockerConfigDir();
    const ctx = await mkdtemp(join(tmpdir(), "berth-ecr-iam-"));
    const remote = `${host}/${REGION}/team/app:docker`;
    const retagged = `${host}/${REGION}/team/app:mine`;
    const docker = (args: string[], dir: string, input?: string) =>
      run(DOCKER, args, { env: { DOCKER_CONFIG: dir }, ...(input !== undefined ? { input } : {}) });
    let built = "";
    try {
      const rootPassword = await runAws(t, ["ecr", "get-login-password"]);
      assert.equal(rootPassword.code, 0, rootPassword.stderr);
      const rootLogin = await docker(
        ["login", "-u", "AWS", "--password-stdin", host],
        rootCfg.dir,
        rootPassword.stdout,
      );
      assert.equal(rootLogin.code, 0, rootLogin.stderr);
      await writeFile(join(ctx, "data"), randomBytes(4096));
      await writeFile(join(ctx, "Dockerfile"), "FROM berth-test/busybox:latest\nCOPY data /data\n");
      const build = await run(DOCKER, ["build", "-q", "-t", remote, ctx]);
      assert.equal(build.code, 0, build.stderr);
      built = build.stdout.trim();
      const push = await docker(["push", remote], rootCfg.dir);
      assert.equal(push.code, 0, push.stderr);
      // Drop the image, so the reader's pull fetches its own layer from the registry.
      assert.equal((await run(DOCKER, ["rmi", "-f", built])).code, 0);

      const password = await runAws({ ...t, credentials: reader }, ["ecr", "get-login-password"]);
      assert.equal(password.code, 0, password.stderr);
      const login = await docker(
        ["login", "-u", "AWS", "--password-stdin", host],
        readerCfg.dir,
        password.stdout,
      );
      assert.equal(login.code, 0, login.stderr);
      const pull = await docker(["pull", remote], readerCfg.dir);
      assert.equal(pull.code, 0, pull.stderr);
      const ran = await run(DOCKER, ["run", "--rm", remote, "wc", "-c", "/data"]);
      assert.match(ran.stdout, /4096 \/data/);
      assert.equal((await run(DOCKER, ["tag", remote, retagged])).code, 0);
      const push2 = await docker(["push", retagged], readerCfg.dir);
      assert.notEqual(push2.code, 0);
      assert.match(
        push2.stderr,
        new RegExp(
          `denied: User: ${who} is not authorized to perform: ecr:PutImage on resource: ${repoArn("team/app")}`,
        ),
      );
    } finally {
      await run(DOCKER, ["rmi", "-f", remote, retagged]);
      if (built) await run(DOCKER, ["rmi", "-f", built]);
      await rm(ctx, { recursive: true, force: true });
      await rootCfg.cleanup();
      await readerCfg.cleanup();
    }
  });

  it("a policy scoped to one repository ARN pushes there and is refused elsewhere", async () => {
    const pusher = await user("pusher", {
      inline: doc(LOGIN, {
        Effect: "Allow",
        Action: [...PUSH, ...PULL, "ecr:DescribeImages"],
        Resource: repoArn("team/app"),
      }),
    });
    const who = userArn("pusher");
    const auth = await registryAuth(pusher);
    const pushed = await pushTinyImage(t.url, `${REGION}/team/app`, auth, "pushed");
    assert.equal((await oci(t.url, `/v2/${REGION}/team/app/manifests/pushed`, { auth })).status, 200);
    const api = as(pusher);
    const described = await api.send(
      new DescribeImagesCommand({ repositoryName: "team/app", imageIds: [{ imageTag: "pushed" }] }),
    );
    assert.equal(described.imageDetails?.[0]?.imageDigest, pushed.digest);

    await deniedByRegistry(
      startUpload(`${REGION}/team/other`, auth),
      noAllow(who, "ecr:InitiateLayerUpload", repoArn("team/other")),
    );
    await deniedByRegistry(
      manifest("team/other", auth),
      noAllow(who, "ecr:BatchGetImage", repoArn("team/other")),
    );
    await refused(
      () => api.send(new DescribeImagesCommand({ repositoryName: "team/other" })),
      noAllow(who, "ecr:DescribeImages", repoArn("team/other")),
    );
    // Listing every repository is an action on `repository/*`, which the policy does not cover.
    await refused(
      () => api.send(new DescribeRepositoriesCommand({})),
      noAllow(who, "ecr:DescribeRepositories", repoArn("*")),
    );
    // A repository that does not exist is refused before it is looked up, as on AWS.
    await refused(
      () => api.send(new DescribeImagesCommand({ repositoryName: "team/nothing" })),
      noAllow(who, "ecr:DescribeImages", repoArn("team/nothing")),
    );
    const cli = await runAws({ ...t, credentials: pusher }, [
      "ecr",
      "batch-get-image",
      "--repository-name",
      "team/other",
      "--image-ids",
      "imageTag=v1",
    ]);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /AccessDeniedException/);
    assert.ok(cli.stderr.includes(noAllow(who, "ecr:BatchGetImage", repoArn("team/other"))), cli.stderr);
  });

  it("a role session with pull permissions pulls; its session policy narrows it", async () => {
    // The trust policy names the deployer, which is all it needs to assume the role.
    const deployer = await user("deployer");
    await iam.send(
      new CreateRoleCommand({
        RoleName: "puller",
        AssumeRolePolicyDocument: doc({
          Effect: "Allow",
          Principal: { AWS: userArn("deployer") },
          Action: "sts:AssumeRole",
        }),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: "puller", PolicyArn: READ_ONLY }));
    const sts = new STSClient({ endpoint: t.url, region: REGION, credentials: deployer, maxAttempts: 1 });
    const expirations = new Map<string, Date>();
    const assume = async (session: string, policy?: string): Promise<Credentials> => {
      const c = (
        await sts.send(
          new AssumeRoleCommand({
            RoleArn: `arn:aws:iam::${ACCT}:role/puller`,
            RoleSessionName: session,
            ...(policy ? { Policy: policy } : {}),
          }),
        )
      ).Credentials!;
      expirations.set(c.AccessKeyId!, c.Expiration!);
      return {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      };
    };

    const session = await assume("ci");
    const who = `arn:aws:sts::${ACCT}:assumed-role/puller/ci`;
    const auth = await registryAuth(session);
    assert.equal((await manifest("team/app", auth)).status, 200);
    // The session's login token ends with the session (one hour here), not after 12 hours.
    const token = await as(session).send(new GetAuthorizationTokenCommand({}));
    assert.equal(
      token.authorizationData?.[0]?.expiresAt?.getTime(),
      expirations.get(session.accessKeyId)?.getTime(),
    );
    assert.equal((await blob("team/app", auth)).status, 200);
    const got = await as(session).send(
      new BatchGetImageCommand({ repositoryName: "team/other", imageIds: [{ imageTag: "v1" }] }),
    );
    assert.equal(got.images?.[0]?.imageManifest, app.manifest);
    await deniedByRegistry(
      startUpload(`${REGION}/team/app`, auth),
      noAllow(who, "ecr:InitiateLayerUpload", repoArn("team/app")),
    );

    // A session policy that allows logging in only: the role's pull permission no longer applies.
    const narrow = await assume("narrow", doc(LOGIN));
    const narrowWho = `arn:aws:sts::${ACCT}:assumed-role/puller/narrow`;
    const narrowAuth = await registryAuth(narrow);
    await deniedByRegistry(
      manifest("team/app", narrowAuth),
      noAllow(narrowWho, "ecr:BatchGetImage", repoArn("team/app"), "session policy"),
    );
  });

  it("a repository policy grants a principal it names, with no identity policy; naming the account delegates to IAM", async () => {
    const guest = await user("guest", { inline: doc(LOGIN) });
    const who = userArn("guest");
    const auth = await registryAuth(guest);
    await deniedByRegistry(
      manifest("shared/lib", auth),
      noAllow(who, "ecr:BatchGetImage", repoArn("shared/lib")),
    );

    // The account as principal: its users still need an identity-based allow.
    await root.send(
      new SetRepositoryPolicyCommand({
        repositoryName: "shared/lib",
        policyText: doc({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: PULL }),
      }),
    );
    await deniedByRegistry(
      manifest("shared/lib", auth),
      noAllow(who, "ecr:BatchGetImage", repoArn("shared/lib")),
    );

    await root.send(
      new SetRepositoryPolicyCommand({
        repositoryName: "shared/lib",
        policyText: doc({
          Sid: "guest-pulls",
          Effect: "Allow",
          Principal: { AWS: who },
          Action: [...PULL, "ecr:DescribeImages"],
        }),
      }),
    );
    assert.equal((await manifest("shared/lib", auth)).status, 200);
    assert.equal((await blob("shared/lib", auth)).status, 200);
    const api = as(guest);
    const got = await api.send(
      new BatchGetImageCommand({ repositoryName: "shared/lib", imageIds: [{ imageTag: "v1" }] }),
    );
    assert.equal(got.images?.length, 1);
    await api.send(new DescribeImagesCommand({ repositoryName: "shared/lib" }));
    await deniedByRegistry(
      startUpload(`${REGION}/shared/lib`, auth),
      noAllow(who, "ecr:InitiateLayerUpload", repoArn("shared/lib")),
    );
    // Other repositories are untouched by this one's policy.
    await deniedByRegistry(
      manifest("team/app", auth),
      noAllow(who, "ecr:BatchGetImage", repoArn("team/app")),
    );
  });

  it("an explicit Deny in an identity policy beats a repository policy's Allow", async () => {
    const denied = await user("denied", {
      inline: doc(LOGIN, { Effect: "Deny", Action: "ecr:BatchGetImage", Resource: repoArn("team/other") }),
    });
    const who = userArn("denied");
    await root.send(
      new SetRepositoryPolicyCommand({
        repositoryName: "team/other",
        policyText: doc({ Effect: "Allow", Principal: "*", Action: ["ecr:*"] }),
      }),
    );
    const auth = await registryAuth(denied);
    await deniedByRegistry(
      manifest("team/other", auth),
      explicitDeny(who, "ecr:BatchGetImage", repoArn("team/other")),
    );
    await refused(
      () =>
        as(denied).send(
          new BatchGetImageCommand({ repositoryName: "team/other", imageIds: [{ imageTag: "v1" }] }),
        ),
      explicitDeny(who, "ecr:BatchGetImage", repoArn("team/other")),
    );
    // What the Deny does not cover, the repository policy still grants.
    assert.equal((await blob("team/other", auth)).status, 200);
    await as(denied).send(new DescribeImagesCommand({ repositoryName: "team/other" }));

    // A Deny in the repository policy binds every principal, the account root included.
    await root.send(
      new SetRepositoryPolicyCommand({
        repositoryName: "team/other",
        policyText: doc({ Effect: "Deny", Principal: "*", Action: "ecr:InitiateLayerUpload" }),
      }),
    );
    const rootAuth = basic(await loginPassword(root));
    await deniedByRegistry(
      startUpload(`${REGION}/team/other`, rootAuth),
      explicitDeny(
        `arn:aws:iam::${ACCT}:root`,
        "ecr:InitiateLayerUpload",
        repoArn("team/other"),
        "a resource-based policy",
      ),
    );
    assert.equal((await manifest("team/other", rootAuth)).status, 200);
  });

  it("tags: creating a tagged repository also needs ecr:TagResource; aws:ResourceTag scopes access", async () => {
    const team = { StringEquals: { "aws:ResourceTag/team": "blue" } };
    const tagger = await user("tagger", {
      inline: doc(
        {
          Effect: "Allow",
          Action: "ecr:CreateRepository",
          Resource: "*",
          Condition: { StringEquals: { "aws:RequestTag/team": "blue" } },
        },
        { Effect: "Allow", Action: "ecr:DescribeImages", Resource: "*", Condition: team },
      ),
    });
    const who = userArn("tagger");
    const api = as(tagger);
    const create = new CreateRepositoryCommand({
      repositoryName: "blue/one",
      tags: [{ Key: "team", Value: "blue" }],
    });
    await refused(() => api.send(create), noAllow(who, "ecr:TagResource", repoArn("blue/one")));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "tagger",
        PolicyName: "tag",
        PolicyDocument: doc({
          Effect: "Allow",
          Action: "ecr:TagResource",
          Resource: "*",
          Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] } },
        }),
      }),
    );
    await refused(
      () =>
        api.send(
          new CreateRepositoryCommand({ repositoryName: "red/one", tags: [{ Key: "team", Value: "red" }] }),
        ),
      noAllow(who, "ecr:CreateRepository", repoArn("red/one")),
    );
    await api.send(create);
    await api.send(new DescribeImagesCommand({ repositoryName: "blue/one" }));
    await refused(
      () => api.send(new DescribeImagesCommand({ repositoryName: "team/app" })),
      noAllow(who, "ecr:DescribeImages", repoArn("team/app")),
    );
    // Tagging the repository changes the decision at once.
    await root.send(
      new TagResourceCommand({ resourceArn: repoArn("team/app"), tags: [{ Key: "team", Value: "blue" }] }),
    );
    await api.send(new DescribeImagesCommand({ repositoryName: "team/app" }));
  });

  it("ECR Public: pushing needs ecr-public permissions and sts:GetServiceBearerToken; pulls stay open", async () => {
    await ecrPublic(t).send(new CreatePublicRepositoryCommand({ repositoryName: "pub/tool" }));
    const publisher = await user("publisher", {
      inline: doc({ Effect: "Allow", Action: "ecr-public:GetAuthorizationToken", Resource: "*" }),
    });
    const who = userArn("publisher");
    const pub = ecrPublic(t, { credentials: publisher });
    await refused(
      () => pub.send(new GetPublicTokenCommand({})),
      noAllow(who, "sts:GetServiceBearerToken", "*"),
    );
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "publisher",
        PolicyName: "push",
        PolicyDocument: doc(
          {
            Effect: "Allow",
            Action: "sts:GetServiceBearerToken",
            Resource: "*",
            Condition: { StringEquals: { "sts:AWSServiceName": "ecr-public.amazonaws.com" } },
          },
          {
            Effect: "Allow",
            Action: PUSH.map((a) => a.replace("ecr:", "ecr-public:")),
            Resource: publicRepoArn("pub/tool"),
          },
        ),
      }),
    );
    const token = (await pub.send(new GetPublicTokenCommand({}))).authorizationData!.authorizationToken!;
    const auth = `Basic ${token}`;
    const pushed = await pushTinyImage(t.url, "public/pub/tool", auth, "v1");
    // Anyone pulls, with or without credentials.
    assert.equal((await oci(t.url, "/v2/public/pub/tool/manifests/v1")).status, 200);
    assert.equal((await oci(t.url, "/v2/public/pub/tool/manifests/v1", { auth })).status, 200);
    assert.equal((await oci(t.url, `/v2/public/pub/tool/blobs/${sha256(pushed.layers[0]!)}`)).status, 200);
    await refused(
      () => pub.send(new DescribePublicImagesCommand({ repositoryName: "pub/tool" })),
      noAllow(who, "ecr-public:DescribeImages", publicRepoArn("pub/tool")),
    );
    await ecrPublic(t).send(new CreatePublicRepositoryCommand({ repositoryName: "pub/other" }));
    await deniedByRegistry(
      startUpload("public/pub/other", auth),
      noAllow(who, "ecr-public:InitiateLayerUpload", publicRepoArn("pub/other")),
    );
  });
});
