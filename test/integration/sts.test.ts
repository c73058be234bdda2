/**
 * STS against a real in-process Berth: AssumeRole with trust policies (allowed and refused
 * principals, the account as principal, ExternalId), DurationSeconds bounds and role chaining,
 * session policies narrowing a role's permissions, GetCallerIdentity for users and role sessions,
 * temporary credentials accepted with X-Amz-Security-Token and refused once expired (time moved
 * with a ManualClock), forged tokens, and the AWS CLI v2.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeClustersCommand, ListClustersCommand } from "@aws-sdk/client-ecs";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  ListUsersCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  GetCallerIdentityCommand,
} from "@aws-sdk/client-sts";
import { ManualClock } from "../../src/lib/clock.js";
import { type Credentials, runAws, startBerth, type TestBerth } from "../helpers/berth.js";

const ACCT = "000000000000";
const user = (name: string) => `arn:aws:iam::${ACCT}:user/${name}`;
const role = (name: string) => `arn:aws:iam::${ACCT}:role/${name}`;
const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const trust = (principal: unknown, extra: Record<string, unknown> = {}) =>
  doc({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...extra });

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

const refused = (who: string, roleArn: string) =>
  `User: ${who} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;

describe("STS", () => {
  const clock = new ManualClock(Date.now());
  let t: TestBerth;
  const keys: Record<string, Credentials> = {};

  before(async () => {
    t = await startBerth({ clock });
    const iam = t.iam();
    for (const name of ["alice", "bob", "carol"]) {
      await iam.send(new CreateUserCommand({ UserName: name }));
      const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
      keys[name] = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    }
    await iam.send(
      new CreateRoleCommand({
        RoleName: "deployer",
        AssumeRolePolicyDocument: trust({ AWS: user("alice") }),
        MaxSessionDuration: 7200,
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "deployer",
        PolicyName: "ecs",
        PolicyDocument: doc({ Effect: "Allow", Action: ["ecs:*", "sts:AssumeRole"], Resource: "*" }),
      }),
    );
    await iam.send(
      new CreateRoleCommand({ RoleName: "by-account", AssumeRolePolicyDocument: trust({ AWS: ACCT }) }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: "partner",
        AssumeRolePolicyDocument: trust(
          { AWS: user("alice") },
          { Condition: { StringEquals: { "sts:ExternalId": "s3cret-42" } } },
        ),
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: "chained",
        AssumeRolePolicyDocument: trust({ AWS: role("deployer") }),
      }),
    );
  });
  after(async () => {
    await t.close();
  });

  const assume = (who: string, input: Partial<AssumeRoleCommandInput>) =>
    t.sts({ credentials: keys[who]! }).send(
      new AssumeRoleCommand({
        RoleArn: role("deployer"),
        RoleSessionName: "s1",
        ...input,
      } as AssumeRoleCommandInput),
    );
  const session = (out: {
    Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };
  }): Credentials => ({
    accessKeyId: out.Credentials!.AccessKeyId!,
    secretAccessKey: out.Credentials!.SecretAccessKey!,
    sessionToken: out.Credentials!.SessionToken!,
  });

  it("GetCallerIdentity for an IAM user", async () => {
    const me = await t.sts({ credentials: keys.alice! }).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, user("alice"));
    assert.equal(me.Account, ACCT);
    assert.match(me.UserId ?? "", /^AIDA[A-Z2-7]{17}$/);
  });

  it("a user the trust policy names assumes the role; the session works with the role's permissions", async () => {
    const out = await assume("alice", { RoleSessionName: "deploy-1" });
    assert.match(out.Credentials?.AccessKeyId ?? "", /^ASIA[A-Z2-7]{16}$/);
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCT}:assumed-role/deployer/deploy-1`);
    assert.match(out.AssumedRoleUser?.AssumedRoleId ?? "", /^AROA[A-Z2-7]{17}:deploy-1$/);
    assert.equal(out.Credentials?.Expiration?.getTime(), clock.now() + 3600_000);
    assert.equal(out.PackedPolicySize, undefined);

    const creds = session(out);
    const me = await t.sts({ credentials: creds }).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:sts::${ACCT}:assumed-role/deployer/deploy-1`);
    assert.equal(me.UserId, out.AssumedRoleUser?.AssumedRoleId);
    await t.ecs({ credentials: creds }).send(new ListClustersCommand({}));
    const err = await sdkError(() => t.iam({ credentials: creds }).send(new ListUsersCommand({})));
    assert.equal(err.name, "AccessDenied");
    assert.equal(
      err.message,
      `User: arn:aws:sts::${ACCT}:assumed-role/deployer/deploy-1 is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${ACCT}:user/ because no identity-based policy allows the iam:ListUsers action`,
    );
  });

  it("a user the trust policy does not name is refused, even with an identity-based allow", async () => {
    await t.iam().send(
      new PutUserPolicyCommand({
        UserName: "bob",
        PolicyName: "assume",
        PolicyDocument: doc({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }),
      }),
    );
    const err = await sdkError(() => assume("bob", {}));
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.$metadata.httpStatusCode, 403);
    assert.equal(err.message, refused(user("bob"), role("deployer")));
  });

  it("a role that does not exist is refused the same way", async () => {
    const err = await sdkError(() => assume("alice", { RoleArn: role("nope") }));
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.message, refused(user("alice"), role("nope")));
  });

  it("the root user cannot assume roles", async () => {
    const err = await sdkError(() =>
      t.sts().send(new AssumeRoleCommand({ RoleArn: role("by-account"), RoleSessionName: "root" })),
    );
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.message, "Roles may not be assumed by root accounts.");
  });

  it("a trust policy naming the account needs an identity-based allow as well", async () => {
    const err = await sdkError(() => assume("carol", { RoleArn: role("by-account") }));
    assert.equal(err.name, "AccessDenied");
    await t.iam().send(
      new PutUserPolicyCommand({
        UserName: "carol",
        PolicyName: "assume",
        PolicyDocument: doc({ Effect: "Allow", Action: "sts:AssumeRole", Resource: role("by-account") }),
      }),
    );
    const out = await assume("carol", { RoleArn: role("by-account") });
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCT}:assumed-role/by-account/s1`);
  });

  it("ExternalId: required by the trust policy's condition", async () => {
    for (const ExternalId of [undefined, "wrong-id"]) {
      const err = await sdkError(() =>
        assume("alice", { RoleArn: role("partner"), ...(ExternalId ? { ExternalId } : {}) }),
      );
      assert.equal(err.message, refused(user("alice"), role("partner")));
    }
    await assume("alice", { RoleArn: role("partner"), ExternalId: "s3cret-42" });
  });

  it("DurationSeconds: at least 900, at most the role's MaxSessionDuration", async () => {
    const low = await sdkError(() => assume("alice", { DurationSeconds: 899 }));
    assert.equal(low.name, "ValidationError");
    assert.equal(
      low.message,
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    const high = await sdkError(() => assume("alice", { DurationSeconds: 7201 }));
    assert.equal(high.name, "ValidationError");
    assert.equal(
      high.message,
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    const ok = await assume("alice", { DurationSeconds: 7200 });
    assert.equal(ok.Credentials?.Expiration?.getTime(), clock.now() + 7200_000);
  });

  it("role chaining: a session may assume a role that trusts its role, for at most an hour", async () => {
    const first = session(await assume("alice", {}));
    const chain = (input: Partial<AssumeRoleCommandInput>) =>
      t.sts({ credentials: first }).send(
        new AssumeRoleCommand({
          RoleArn: role("chained"),
          RoleSessionName: "hop",
          ...input,
        } as AssumeRoleCommandInput),
      );
    const long = await sdkError(() => chain({ DurationSeconds: 3601 }));
    assert.equal(
      long.message,
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    const out = await chain({});
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCT}:assumed-role/chained/hop`);
  });

  it("a session policy narrows the role's permissions, and cannot widen them", async () => {
    const out = await assume("alice", {
      RoleSessionName: "narrow",
      Policy: doc({ Effect: "Allow", Action: ["ecs:DescribeClusters", "iam:ListUsers"], Resource: "*" }),
    });
    assert.ok((out.PackedPolicySize ?? 0) > 0);
    const creds = session(out);
    await t.ecs({ credentials: creds }).send(new DescribeClustersCommand({ clusters: ["default"] }));
    const narrowed = await sdkError(() => t.ecs({ credentials: creds }).send(new ListClustersCommand({})));
    assert.equal(
      narrowed.message,
      `User: arn:aws:sts::${ACCT}:assumed-role/deployer/narrow is not authorized to perform: ecs:ListClusters on resource: * because no session policy allows the ecs:ListClusters action`,
    );
    const widened = await sdkError(() => t.iam({ credentials: creds }).send(new ListUsersCommand({})));
    assert.match(widened.message, /because no identity-based policy allows the iam:ListUsers action$/);
  });

  it("managed session policies (PolicyArns) narrow the same way", async () => {
    const out = await assume("alice", {
      RoleSessionName: "arns",
      PolicyArns: [{ arn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess" }],
    });
    const err = await sdkError(() => t.ecs({ credentials: session(out) }).send(new ListClustersCommand({})));
    assert.match(err.message, /because no session policy allows the ecs:ListClusters action$/);
  });

  it("a malformed session policy is MalformedPolicyDocument; unsupported parameters are NotImplemented", async () => {
    const bad = await sdkError(() => assume("alice", { Policy: doc({ Effect: "Allow", Action: "ecs:*" }) }));
    assert.equal(bad.name, "MalformedPolicyDocumentException");
    assert.equal(bad.message, "Policy statement must contain resources.");
    const tags = await sdkError(() => assume("alice", { Tags: [{ Key: "k", Value: "v" }] }));
    assert.equal(tags.$metadata.httpStatusCode, 501);
    assert.match(tags.message, /AssumeRole parameter Tags/);
    const name = await sdkError(() => assume("alice", { RoleSessionName: "has space" }));
    assert.equal(name.name, "ValidationError");
  });

  it("a forged or mismatched session token is refused", async () => {
    const creds = session(await assume("alice", {}));
    const other = session(await assume("alice", { RoleSessionName: "s2" }));
    const flipped = `${creds.sessionToken!.slice(0, -2)}${creds.sessionToken!.endsWith("A") ? "B" : "A"}A`;
    for (const bad of [
      { ...creds, sessionToken: flipped },
      { ...creds, sessionToken: other.sessionToken! },
      { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    ]) {
      const err = await sdkError(() => t.ecs({ credentials: bad }).send(new ListClustersCommand({})));
      assert.equal(err.name, "UnrecognizedClientException");
      assert.equal(err.message, "The security token included in the request is invalid.");
    }
  });

  it("through the AWS CLI v2: assume-role, then use the temporary credentials", async () => {
    const as = { url: t.url, region: t.region, credentials: keys.alice! };
    const r = await runAws(as, [
      "sts",
      "assume-role",
      "--role-arn",
      role("deployer"),
      "--role-session-name",
      "cli",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const c = r.json<{
      Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
    }>().Credentials;
    const temp = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
    };
    const me = await runAws({ ...as, credentials: temp }, ["sts", "get-caller-identity"]);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(me.json<{ Arn: string }>().Arn, `arn:aws:sts::${ACCT}:assumed-role/deployer/cli`);
  });

  // Moves Berth's clock: keep it last.
  it("temporary credentials expire: ExpiredTokenException (JSON) and ExpiredToken (Query)", async () => {
    const creds = session(await assume("alice", { DurationSeconds: 900 }));
    await t.ecs({ credentials: creds }).send(new ListClustersCommand({}));
    clock.advance(899_000);
    const offset = () => clock.now() - Date.now();
    await t.ecs({ credentials: creds, systemClockOffset: offset() }).send(new ListClustersCommand({}));
    clock.advance(2_000);
    const ecsErr = await sdkError(() =>
      t.ecs({ credentials: creds, systemClockOffset: offset() }).send(new ListClustersCommand({})),
    );
    assert.equal(ecsErr.name, "ExpiredTokenException");
    assert.equal(ecsErr.$metadata.httpStatusCode, 400);
    assert.equal(ecsErr.message, "The security token included in the request is expired");
    const stsErr = await sdkError(() =>
      t.sts({ credentials: creds, systemClockOffset: offset() }).send(new GetCallerIdentityCommand({})),
    );
    assert.equal(stsErr.name, "ExpiredToken");
    assert.equal(stsErr.$metadata.httpStatusCode, 403);
    // A fresh session issued at the new time works.
    const fresh = session(
      await t
        .sts({ credentials: keys.alice!, systemClockOffset: offset() })
        .send(new AssumeRoleCommand({ RoleArn: role("deployer"), RoleSessionName: "later" })),
    );
    await t.ecs({ credentials: fresh, systemClockOffset: offset() }).send(new ListClustersCommand({}));
  });
});
