/**
 * Authorization end to end: an IAM user created through the IAM API calls ECS, IAM and STS with
 * its own access keys, through the SDK and the AWS CLI v2. Allowed vs denied with AWS's exact
 * AccessDenied wording, inline vs managed policies, deny precedence, resource-level permissions,
 * conditions on aws:SourceIp and resource tags, policy changes taking effect on the next request,
 * and deactivated keys.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  ListClustersCommand,
  TagResourceCommand,
} from "@aws-sdk/client-ecs";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateUserCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetUserCommand,
  type IAMClient,
  ListAttachedUserPoliciesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { type Credentials, runAws, startBerth, type TestBerth } from "../helpers/berth.js";

const ACCT = "000000000000";
const ALICE = `arn:aws:iam::${ACCT}:user/alice`;

interface SdkError {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number };
}

async function sdkError(fn: () => Promise<unknown>): Promise<SdkError> {
  try {
    await fn();
  } catch (err) {
    return err as SdkError;
  }
  assert.fail("expected the call to fail");
}

const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const allow = (action: unknown, resource: unknown = "*", extra: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
  ...extra,
});
const deny = (action: unknown, resource: unknown = "*", extra: Record<string, unknown> = {}) => ({
  Effect: "Deny",
  Action: action,
  Resource: resource,
  ...extra,
});

const noIdentityAllow = (action: string, resource: string) =>
  `User: ${ALICE} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;
const explicitDeny = (action: string, resource: string) =>
  `User: ${ALICE} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in an identity-based policy`;

describe("authorization", () => {
  let t: TestBerth;
  let iam: IAMClient;
  let alice: Credentials;
  let policyNo = 0;

  before(async () => {
    t = await startBerth();
    iam = t.iam();
    await iam.send(new CreateUserCommand({ UserName: "alice" }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: "alice" }));
    alice = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
    for (const name of ["prod", "dev"]) {
      await t
        .ecs()
        .send(new CreateClusterCommand({ clusterName: name, tags: [{ key: "env", value: name }] }));
    }
  });
  after(async () => {
    await t.close();
  });

  /** Alice starts every test with no policies. */
  beforeEach(async () => {
    const attached = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "alice" }));
    for (const p of attached.AttachedPolicies ?? []) {
      await iam.send(new DetachUserPolicyCommand({ UserName: "alice", PolicyArn: p.PolicyArn }));
    }
    const names = await iam.send(new ListUserPoliciesCommand({ UserName: "alice" }));
    for (const name of names.PolicyNames ?? []) {
      await iam.send(new DeleteUserPolicyCommand({ UserName: "alice", PolicyName: name }));
    }
  });

  const inline = (document: string, name = "inline") =>
    iam.send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: name, PolicyDocument: document }));
  async function managed(document: string): Promise<string> {
    const p = await iam.send(
      new CreatePolicyCommand({ PolicyName: `managed-${++policyNo}`, PolicyDocument: document }),
    );
    await iam.send(new AttachUserPolicyCommand({ UserName: "alice", PolicyArn: p.Policy!.Arn! }));
    return p.Policy!.Arn!;
  }
  const ecs = () => t.ecs({ credentials: alice });

  it("a user without policies may call nothing: AccessDeniedException with AWS's wording", async () => {
    const err = await sdkError(() => ecs().send(new ListClustersCommand({})));
    assert.equal(err.name, "AccessDeniedException");
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(err.message, noIdentityAllow("ecs:ListClusters", "*"));
  });

  it("GetCallerIdentity needs no permission", async () => {
    const me = await t.sts({ credentials: alice }).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, ALICE);
    assert.match(me.UserId ?? "", /^AIDA/);
  });

  it("an inline policy allows, and removing it denies again on the next request", async () => {
    await inline(doc(allow("ecs:List*")));
    const out = await ecs().send(new ListClustersCommand({}));
    assert.equal(out.clusterArns?.length, 2);
    await iam.send(new DeleteUserPolicyCommand({ UserName: "alice", PolicyName: "inline" }));
    const err = await sdkError(() => ecs().send(new ListClustersCommand({})));
    assert.equal(err.message, noIdentityAllow("ecs:ListClusters", "*"));
  });

  it("a managed policy allows; a new default version takes effect at once; detaching denies", async () => {
    const arn = await managed(doc(allow("ecs:ListClusters")));
    await ecs().send(new ListClustersCommand({}));
    await iam.send(
      new CreatePolicyVersionCommand({
        PolicyArn: arn,
        PolicyDocument: doc(allow("ecs:Describe*")),
        SetAsDefault: true,
      }),
    );
    const err = await sdkError(() => ecs().send(new ListClustersCommand({})));
    assert.equal(err.name, "AccessDeniedException");
    await iam.send(new DetachUserPolicyCommand({ UserName: "alice", PolicyArn: arn }));
  });

  it("an explicit deny in a managed policy beats an allow in an inline policy", async () => {
    await inline(doc(allow("ecs:*")));
    await managed(doc(deny("ecs:ListClusters")));
    const err = await sdkError(() => ecs().send(new ListClustersCommand({})));
    assert.equal(err.name, "AccessDeniedException");
    assert.equal(err.message, explicitDeny("ecs:ListClusters", "*"));
    // Other actions the deny does not name are still allowed.
    await ecs().send(new DescribeClustersCommand({ clusters: ["prod"] }));
  });

  it("resource-level permissions: one cluster by ARN", async () => {
    const prod = `arn:aws:ecs:${t.region}:${ACCT}:cluster/prod`;
    const dev = `arn:aws:ecs:${t.region}:${ACCT}:cluster/dev`;
    await inline(doc(allow("ecs:DescribeClusters", `arn:aws:ecs:*:${ACCT}:cluster/pro*`)));
    const out = await ecs().send(new DescribeClustersCommand({ clusters: ["prod"] }));
    assert.equal(out.clusters?.[0]?.clusterArn, prod);
    const err = await sdkError(() => ecs().send(new DescribeClustersCommand({ clusters: ["prod", "dev"] })));
    assert.equal(err.message, noIdentityAllow("ecs:DescribeClusters", dev));
  });

  it("NotAction: everything but ECS deletions", async () => {
    await inline(doc({ Effect: "Allow", NotAction: ["ecs:Delete*", "iam:*"], Resource: "*" }));
    await ecs().send(new ListClustersCommand({}));
    const err = await sdkError(() => ecs().send(new DeleteClusterCommand({ cluster: "dev" })));
    assert.equal(
      err.message,
      noIdentityAllow("ecs:DeleteCluster", `arn:aws:ecs:${t.region}:${ACCT}:cluster/dev`),
    );
  });

  it("conditions: aws:SourceIp (the caller is on 127.0.0.1)", async () => {
    await inline(
      doc(allow("ecs:ListClusters", "*", { Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } } })),
    );
    assert.equal(
      (await sdkError(() => ecs().send(new ListClustersCommand({})))).name,
      "AccessDeniedException",
    );
    await inline(
      doc(
        allow("ecs:ListClusters", "*", {
          Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"] } },
        }),
      ),
    );
    await ecs().send(new ListClustersCommand({}));
  });

  it("conditions: resource tags (aws:ResourceTag/env) and policy variables (aws:username)", async () => {
    await inline(
      doc(
        allow("ecs:DescribeClusters", "*", { Condition: { StringEquals: { "aws:ResourceTag/env": "dev" } } }),
      ),
    );
    await ecs().send(new DescribeClustersCommand({ clusters: ["dev"] }));
    const err = await sdkError(() => ecs().send(new DescribeClustersCommand({ clusters: ["prod"] })));
    assert.equal(err.name, "AccessDeniedException");
    // Retagging the cluster changes the decision on the next request.
    const devArn = `arn:aws:ecs:${t.region}:${ACCT}:cluster/dev`;
    await t
      .ecs()
      .send(new TagResourceCommand({ resourceArn: devArn, tags: [{ key: "env", value: "staging" }] }));
    assert.equal(
      (await sdkError(() => ecs().send(new DescribeClustersCommand({ clusters: ["dev"] })))).name,
      "AccessDeniedException",
    );
    await t.ecs().send(new TagResourceCommand({ resourceArn: devArn, tags: [{ key: "env", value: "dev" }] }));
    await ecs().send(new DescribeClustersCommand({ clusters: ["dev"] }));

    await inline(doc(allow("iam:GetUser", `arn:aws:iam::${ACCT}:user/\${aws:username}`)), "self");
    const me = await t.iam({ credentials: alice }).send(new GetUserCommand({}));
    assert.equal(me.User?.UserName, "alice");
  });

  it("wildcard patterns against long names are decided at once, with and without policy variables", async () => {
    // `*a*a*…*b` took exponential time as a backtracking RegExp against a long cluster name: the
    // request hung (and blocked every other one). Neither deny matches a name of only "a"s.
    const stars = `${"*a".repeat(12)}*b`;
    await inline(
      doc(
        allow("ecs:*"),
        deny("ecs:DescribeClusters", `arn:aws:ecs:*:${ACCT}:cluster/${stars}`),
        deny("ecs:DescribeClusters", `arn:aws:ecs:*:${ACCT}:cluster/\${aws:username}${stars}`),
      ),
    );
    for (const name of ["a".repeat(255), `alice${"a".repeat(250)}`]) {
      const out = await ecs().send(new DescribeClustersCommand({ clusters: [name] }));
      assert.deepEqual(
        out.failures?.map((f) => f.reason),
        ["MISSING"],
      );
    }
    for (const name of [`${"a".repeat(254)}b`, `alice${"a".repeat(249)}b`]) {
      const err = await sdkError(() => ecs().send(new DescribeClustersCommand({ clusters: [name] })));
      assert.equal(
        err.message,
        explicitDeny("ecs:DescribeClusters", `arn:aws:ecs:${t.region}:${ACCT}:cluster/${name}`),
      );
    }
  });

  it("IAM itself is authorized: AccessDenied (403) in the Query protocol", async () => {
    const err = await sdkError(() => t.iam({ credentials: alice }).send(new ListUsersCommand({})));
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.$metadata.httpStatusCode, 403);
    assert.equal(err.message, noIdentityAllow("iam:ListUsers", `arn:aws:iam::${ACCT}:user/`));
    const escalate = await sdkError(() =>
      t.iam({ credentials: alice }).send(
        new AttachUserPolicyCommand({
          UserName: "alice",
          PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        }),
      ),
    );
    assert.equal(escalate.message, noIdentityAllow("iam:AttachUserPolicy", ALICE));
  });

  it("iam:PolicyARN limits which policies a user may attach", async () => {
    await inline(
      doc(
        allow("iam:AttachUserPolicy", ALICE, {
          Condition: { ArnEquals: { "iam:PolicyARN": "arn:aws:iam::aws:policy/IAMReadOnlyAccess" } },
        }),
      ),
    );
    const self = t.iam({ credentials: alice });
    await self.send(
      new AttachUserPolicyCommand({
        UserName: "alice",
        PolicyArn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
      }),
    );
    const err = await sdkError(() =>
      self.send(
        new AttachUserPolicyCommand({
          UserName: "alice",
          PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        }),
      ),
    );
    assert.equal(err.name, "AccessDenied");
    // IAMReadOnlyAccess now lets alice list users.
    const users = await self.send(new ListUsersCommand({}));
    assert.deepEqual(
      users.Users?.map((u) => u.UserName),
      ["alice"],
    );
  });

  it("a deactivated access key stops working at once", async () => {
    await iam.send(new CreateUserCommand({ UserName: "temp" }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "temp" }))).AccessKey!;
    const creds = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    await t.sts({ credentials: creds }).send(new GetCallerIdentityCommand({}));
    await iam.send(
      new UpdateAccessKeyCommand({ UserName: "temp", AccessKeyId: key.AccessKeyId, Status: "Inactive" }),
    );
    const err = await sdkError(() => t.ecs({ credentials: creds }).send(new ListClustersCommand({})));
    assert.equal(err.name, "UnrecognizedClientException");
  });

  it("through the AWS CLI v2: allowed, then denied with the exact message", async () => {
    await inline(doc(allow("ecs:ListClusters")));
    const as = { url: t.url, region: t.region, credentials: alice };
    const ok = await runAws(as, ["ecs", "list-clusters"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json<{ clusterArns: string[] }>().clusterArns.length, 2);
    const denied = await runAws(as, ["ecs", "describe-clusters", "--clusters", "prod"]);
    assert.notEqual(denied.code, 0);
    assert.match(
      denied.stderr,
      /An error occurred \(AccessDeniedException\) when calling the DescribeClusters operation/,
    );
    assert.ok(
      denied.stderr.includes(
        noIdentityAllow("ecs:DescribeClusters", `arn:aws:ecs:${t.region}:${ACCT}:cluster/prod`),
      ),
      denied.stderr,
    );
  });

  it("the root credentials may do anything, whatever IAM holds", async () => {
    await t.ecs().send(new ListClustersCommand({}));
    await t.iam().send(new ListUsersCommand({}));
  });
});
