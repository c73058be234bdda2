/**
 * The IAM API through @aws-sdk/client-iam against a real in-process Berth: users, access keys,
 * roles and trust policies, managed policies and their versions, inline policies, attachments,
 * tags and paging, with IAM's error codes (NoSuchEntity 404, EntityAlreadyExists 409,
 * DeleteConflict 409, LimitExceeded 409, MalformedPolicyDocument 400) and wording. Also the AWS CLI
 * v2 for the same flows, which decodes policy documents itself.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPoliciesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUsersCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  SetDefaultPolicyVersionCommand,
  TagUserCommand,
  UntagUserCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { runAws, startBerth, type TestBerth } from "../helpers/berth.js";

const ACCT = "000000000000";

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

async function rejects(fn: () => Promise<unknown>, name: string, status: number, message?: string | RegExp) {
  const err = await sdkError(fn);
  assert.equal(err.name, name, err.message);
  assert.equal(err.$metadata.httpStatusCode, status);
  if (typeof message === "string") assert.equal(err.message, message);
  else if (message) assert.match(err.message, message);
}

const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const ALLOW_ECS = doc({ Effect: "Allow", Action: "ecs:*", Resource: "*" });
const trust = (principal: unknown) =>
  doc({ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" });

describe("IAM API", () => {
  let t: TestBerth;
  let iam: IAMClient;
  before(async () => {
    t = await startBerth();
    iam = t.iam();
  });
  after(async () => {
    await t.close();
  });

  describe("users", () => {
    it("CreateUser, GetUser, ListUsers with paths and paging, DeleteUser", async () => {
      const created = await iam.send(new CreateUserCommand({ UserName: "u-alice", Path: "/team/" }));
      assert.equal(created.User?.Arn, `arn:aws:iam::${ACCT}:user/team/u-alice`);
      assert.match(created.User?.UserId ?? "", /^AIDA[A-Z2-7]{17}$/);
      assert.ok(created.User?.CreateDate instanceof Date);
      await iam.send(new CreateUserCommand({ UserName: "u-bob" }));
      await iam.send(new CreateUserCommand({ UserName: "u-carol" }));

      const got = await iam.send(new GetUserCommand({ UserName: "U-ALICE" }));
      assert.equal(got.User?.UserName, "u-alice", "user names are case-insensitive");

      const team = await iam.send(new ListUsersCommand({ PathPrefix: "/team/" }));
      assert.deepEqual(
        team.Users?.map((u) => u.UserName),
        ["u-alice"],
      );

      const first = await iam.send(new ListUsersCommand({ MaxItems: 2 }));
      assert.equal(first.IsTruncated, true);
      assert.deepEqual(
        first.Users?.map((u) => u.UserName),
        ["u-alice", "u-bob"],
      );
      const second = await iam.send(new ListUsersCommand({ MaxItems: 2, Marker: first.Marker }));
      assert.equal(second.IsTruncated, false);
      assert.deepEqual(
        second.Users?.map((u) => u.UserName),
        ["u-carol"],
      );

      for (const u of ["u-alice", "u-bob", "u-carol"]) await iam.send(new DeleteUserCommand({ UserName: u }));
      await rejects(
        () => iam.send(new GetUserCommand({ UserName: "u-alice" })),
        "NoSuchEntityException",
        404,
        "The user with name u-alice cannot be found.",
      );
    });

    it("IAM is global: a user created through one region is seen from every region", async () => {
      await t.iam({ region: "eu-west-1" }).send(new CreateUserCommand({ UserName: "global-user" }));
      const got = await t
        .iam({ region: "ap-southeast-2" })
        .send(new GetUserCommand({ UserName: "global-user" }));
      assert.equal(got.User?.Arn, `arn:aws:iam::${ACCT}:user/global-user`);
      await iam.send(new DeleteUserCommand({ UserName: "global-user" }));
    });

    it("a user name that exists (in any case) is EntityAlreadyExists (409)", async () => {
      await iam.send(new CreateUserCommand({ UserName: "dup" }));
      await rejects(
        () => iam.send(new CreateUserCommand({ UserName: "DUP" })),
        "EntityAlreadyExistsException",
        409,
        "User with name DUP already exists.",
      );
      await iam.send(new DeleteUserCommand({ UserName: "dup" }));
    });

    it("invalid names and paths are ValidationError", async () => {
      await rejects(
        () => iam.send(new CreateUserCommand({ UserName: "has space" })),
        "ValidationError",
        400,
        /at 'userName' failed to satisfy constraint/,
      );
      await rejects(
        () => iam.send(new CreateUserCommand({ UserName: "x".repeat(65) })),
        "ValidationError",
        400,
        /less than or equal to 64/,
      );
      await rejects(
        () => iam.send(new CreateUserCommand({ UserName: "p", Path: "no-slash" })),
        "ValidationError",
        400,
        /at 'path'/,
      );
    });

    it("tags: TagUser, ListUserTags, UntagUser; duplicate keys are InvalidInput", async () => {
      await iam.send(new CreateUserCommand({ UserName: "tagged", Tags: [{ Key: "team", Value: "web" }] }));
      await iam.send(
        new TagUserCommand({
          UserName: "tagged",
          Tags: [
            { Key: "env", Value: "dev" },
            { Key: "Team", Value: "api" },
          ],
        }),
      );
      const tags = await iam.send(new ListUserTagsCommand({ UserName: "tagged" }));
      assert.deepEqual(tags.Tags, [
        { Key: "Team", Value: "api" },
        { Key: "env", Value: "dev" },
      ]);
      await iam.send(new UntagUserCommand({ UserName: "tagged", TagKeys: ["env"] }));
      const after = await iam.send(new GetUserCommand({ UserName: "tagged" }));
      assert.deepEqual(after.User?.Tags, [{ Key: "Team", Value: "api" }]);
      await rejects(
        () =>
          iam.send(
            new TagUserCommand({
              UserName: "tagged",
              Tags: [
                { Key: "a", Value: "1" },
                { Key: "A", Value: "2" },
              ],
            }),
          ),
        "InvalidInputException",
        400,
      );
      await iam.send(new DeleteUserCommand({ UserName: "tagged" }));
    });
  });

  describe("access keys", () => {
    it("CreateAccessKey returns the secret once; at most two keys; Update and Delete", async () => {
      await iam.send(new CreateUserCommand({ UserName: "keys" }));
      const k1 = await iam.send(new CreateAccessKeyCommand({ UserName: "keys" }));
      assert.match(k1.AccessKey?.AccessKeyId ?? "", /^AKIA[A-Z2-7]{16}$/);
      assert.equal(k1.AccessKey?.SecretAccessKey?.length, 40);
      assert.equal(k1.AccessKey?.Status, "Active");
      const k2 = await iam.send(new CreateAccessKeyCommand({ UserName: "keys" }));
      await rejects(
        () => iam.send(new CreateAccessKeyCommand({ UserName: "keys" })),
        "LimitExceededException",
        409,
        "Cannot exceed quota for AccessKeysPerUser: 2",
      );
      const listed = await iam.send(new ListAccessKeysCommand({ UserName: "keys" }));
      assert.deepEqual(
        listed.AccessKeyMetadata?.map((k) => k.AccessKeyId).sort(),
        [k1.AccessKey?.AccessKeyId, k2.AccessKey?.AccessKeyId].sort(),
      );
      assert.ok(
        listed.AccessKeyMetadata?.every((k) => !("SecretAccessKey" in k)),
        "the secret is never listed",
      );

      await iam.send(
        new UpdateAccessKeyCommand({
          UserName: "keys",
          AccessKeyId: k1.AccessKey?.AccessKeyId,
          Status: "Inactive",
        }),
      );
      const again = await iam.send(new ListAccessKeysCommand({ UserName: "keys" }));
      assert.equal(
        again.AccessKeyMetadata?.find((k) => k.AccessKeyId === k1.AccessKey?.AccessKeyId)?.Status,
        "Inactive",
      );

      await rejects(
        () => iam.send(new DeleteUserCommand({ UserName: "keys" })),
        "DeleteConflictException",
        409,
        "Cannot delete entity, must delete access keys first.",
      );
      await rejects(
        () => iam.send(new DeleteAccessKeyCommand({ UserName: "keys", AccessKeyId: "AKIAIOSFODNN7EXAMPLE" })),
        "NoSuchEntityException",
        404,
        "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found.",
      );
      for (const k of [k1, k2])
        await iam.send(
          new DeleteAccessKeyCommand({ UserName: "keys", AccessKeyId: k.AccessKey?.AccessKeyId }),
        );
      await iam.send(new DeleteUserCommand({ UserName: "keys" }));
    });

    it("the secret access key is not stored in plaintext", async () => {
      await iam.send(new CreateUserCommand({ UserName: "sealed" }));
      const k = await iam.send(new CreateAccessKeyCommand({ UserName: "sealed" }));
      const secret = k.AccessKey?.SecretAccessKey ?? "";
      const stored = await t.berth.store.read((tx) => tx.scan("iam.access-key"));
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(secret));
      await iam.send(
        new DeleteAccessKeyCommand({ UserName: "sealed", AccessKeyId: k.AccessKey?.AccessKeyId }),
      );
      await iam.send(new DeleteUserCommand({ UserName: "sealed" }));
    });
  });

  describe("roles", () => {
    it("CreateRole with a trust policy, GetRole (URL-encoded document), ListRoles, UpdateRole, DeleteRole", async () => {
      const policy = trust({ Service: "ecs-tasks.amazonaws.com" });
      const created = await iam.send(
        new CreateRoleCommand({
          RoleName: "task-role",
          Path: "/ecs/",
          AssumeRolePolicyDocument: policy,
          Description: "for tasks",
        }),
      );
      assert.equal(created.Role?.Arn, `arn:aws:iam::${ACCT}:role/ecs/task-role`);
      assert.match(created.Role?.RoleId ?? "", /^AROA[A-Z2-7]{17}$/);
      const got = await iam.send(new GetRoleCommand({ RoleName: "task-role" }));
      assert.equal(decodeURIComponent(got.Role?.AssumeRolePolicyDocument ?? ""), policy);
      assert.equal(got.Role?.MaxSessionDuration, 3600);
      assert.equal(got.Role?.Description, "for tasks");

      await iam.send(new UpdateRoleCommand({ RoleName: "task-role", MaxSessionDuration: 7200 }));
      assert.equal(
        (await iam.send(new GetRoleCommand({ RoleName: "task-role" }))).Role?.MaxSessionDuration,
        7200,
      );
      await rejects(
        () => iam.send(new UpdateRoleCommand({ RoleName: "task-role", MaxSessionDuration: 100 })),
        "ValidationError",
        400,
        /maxSessionDuration/,
      );
      const listed = await iam.send(new ListRolesCommand({ PathPrefix: "/ecs/" }));
      assert.deepEqual(
        listed.Roles?.map((r) => r.RoleName),
        ["task-role"],
      );
      await iam.send(new DeleteRoleCommand({ RoleName: "task-role" }));
      await rejects(
        () => iam.send(new GetRoleCommand({ RoleName: "task-role" })),
        "NoSuchEntityException",
        404,
        "The role with name task-role cannot be found.",
      );
    });

    it("a trust policy naming a user that does not exist is MalformedPolicyDocument", async () => {
      await rejects(
        () =>
          iam.send(
            new CreateRoleCommand({
              RoleName: "r1",
              AssumeRolePolicyDocument: trust({ AWS: `arn:aws:iam::${ACCT}:user/ghost` }),
            }),
          ),
        "MalformedPolicyDocumentException",
        400,
        `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCT}:user/ghost"`,
      );
      await rejects(
        () =>
          iam.send(
            new CreateRoleCommand({
              RoleName: "r1",
              AssumeRolePolicyDocument: doc({ Effect: "Allow", Action: "sts:AssumeRole" }),
            }),
          ),
        "MalformedPolicyDocumentException",
        400,
        "Missing required field Principal",
      );
      await iam.send(
        new CreateRoleCommand({ RoleName: "r1", AssumeRolePolicyDocument: trust({ AWS: ACCT }) }),
      );
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: "r1", PolicyDocument: trust("*") }));
      assert.equal(
        decodeURIComponent(
          (await iam.send(new GetRoleCommand({ RoleName: "r1" }))).Role?.AssumeRolePolicyDocument ?? "",
        ),
        trust("*"),
      );
      await iam.send(new DeleteRoleCommand({ RoleName: "r1" }));
    });

    it("a principal type named like a JavaScript prototype key is an unknown type, not a 500", async () => {
      const document = (type: string) =>
        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"${type}":"*"},"Action":"sts:AssumeRole"}]}`;
      for (const type of ["constructor", "__proto__", "toString", "hasOwnProperty", "Nonsense"]) {
        await rejects(
          () =>
            iam.send(new CreateRoleCommand({ RoleName: "proto", AssumeRolePolicyDocument: document(type) })),
          "MalformedPolicyDocumentException",
          400,
          `Invalid principal in policy: "${type}"`,
        );
      }
      await rejects(() => iam.send(new GetRoleCommand({ RoleName: "proto" })), "NoSuchEntityException", 404);
    });
  });

  describe("managed policies", () => {
    it("CreatePolicy, GetPolicy, versions (at most five; the default cannot be deleted), DeletePolicy", async () => {
      const created = await iam.send(
        new CreatePolicyCommand({ PolicyName: "ecs-all", PolicyDocument: ALLOW_ECS, Description: "d" }),
      );
      const arn = created.Policy?.Arn ?? "";
      assert.equal(arn, `arn:aws:iam::${ACCT}:policy/ecs-all`);
      assert.equal(created.Policy?.DefaultVersionId, "v1");
      assert.equal(created.Policy?.AttachmentCount, 0);
      await rejects(
        () => iam.send(new CreatePolicyCommand({ PolicyName: "ecs-all", PolicyDocument: ALLOW_ECS })),
        "EntityAlreadyExistsException",
        409,
        "A policy called ecs-all already exists. Duplicate names are not allowed.",
      );
      const got = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
      assert.equal(got.Policy?.Description, "d");

      for (let i = 2; i <= 5; i++) {
        const v: { PolicyVersion?: { VersionId?: string } } = await iam.send(
          new CreatePolicyVersionCommand({
            PolicyArn: arn,
            PolicyDocument: ALLOW_ECS,
            SetAsDefault: i === 3,
          }),
        );
        assert.equal(v.PolicyVersion?.VersionId, `v${i}`);
      }
      await rejects(
        () => iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: ALLOW_ECS })),
        "LimitExceededException",
        409,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
      );
      const versions = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
      assert.deepEqual(
        versions.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion]),
        [
          ["v5", false],
          ["v4", false],
          ["v3", true],
          ["v2", false],
          ["v1", false],
        ],
      );
      const v1 = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
      assert.equal(decodeURIComponent(v1.PolicyVersion?.Document ?? ""), ALLOW_ECS);
      await rejects(
        () => iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v3" })),
        "DeleteConflictException",
        409,
        "Cannot delete the default version of a policy.",
      );
      await rejects(
        () => iam.send(new DeletePolicyCommand({ PolicyArn: arn })),
        "DeleteConflictException",
        409,
        /must delete the policy's versions/,
      );
      await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }));
      for (const v of ["v1", "v2", "v3", "v4"])
        await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
      await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
      await rejects(
        () => iam.send(new GetPolicyCommand({ PolicyArn: arn })),
        "NoSuchEntityException",
        404,
        `Policy ${arn} was not found.`,
      );
    });

    it("malformed documents are MalformedPolicyDocument with IAM's wording", async () => {
      const cases: [string, string][] = [
        ["{not json", "This policy contains invalid Json"],
        [doc({ Effect: "Allow", Action: "ecs:*" }), "Policy statement must contain resources."],
        [
          doc({ Effect: "Allow", Action: "ListClusters", Resource: "*" }),
          "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ],
        [
          doc({ Effect: "Allow", Action: "ecs:*", Resource: "cluster" }),
          'Resource cluster must be in ARN format or "*".',
        ],
      ];
      for (const [text, message] of cases) {
        await rejects(
          () => iam.send(new CreatePolicyCommand({ PolicyName: "bad", PolicyDocument: text })),
          "MalformedPolicyDocumentException",
          400,
          message,
        );
      }
      const huge = doc({
        Effect: "Allow",
        Action: Array.from({ length: 400 }, (_, i) => `ecs:Action${i}`),
        Resource: "*",
      });
      await rejects(
        () => iam.send(new CreatePolicyCommand({ PolicyName: "big", PolicyDocument: huge })),
        "LimitExceededException",
        409,
        "Cannot exceed quota for PolicySize: 6144",
      );
    });

    it("ListPolicies: Scope=AWS lists the AWS managed policies; Local and OnlyAttached filter", async () => {
      const aws = await iam.send(new ListPoliciesCommand({ Scope: "AWS" }));
      const names = aws.Policies?.map((p) => p.PolicyName) ?? [];
      assert.ok(names.includes("AdministratorAccess"));
      assert.ok(names.includes("AmazonECSTaskExecutionRolePolicy"));
      const exec = aws.Policies?.find((p) => p.PolicyName === "AmazonECSTaskExecutionRolePolicy");
      assert.equal(exec?.Arn, "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");

      await iam.send(new CreatePolicyCommand({ PolicyName: "local-one", PolicyDocument: ALLOW_ECS }));
      const local = await iam.send(new ListPoliciesCommand({ Scope: "Local" }));
      assert.deepEqual(
        local.Policies?.map((p) => p.PolicyName),
        ["local-one"],
      );
      const attached = await iam.send(new ListPoliciesCommand({ OnlyAttached: true }));
      assert.deepEqual(attached.Policies, []);
      await iam.send(new DeletePolicyCommand({ PolicyArn: `arn:aws:iam::${ACCT}:policy/local-one` }));
    });
  });

  describe("attachments and inline policies", () => {
    it("attach and detach managed policies to users and roles; counts and entities follow", async () => {
      await iam.send(new CreateUserCommand({ UserName: "att" }));
      await iam.send(
        new CreateRoleCommand({ RoleName: "att-role", AssumeRolePolicyDocument: trust({ AWS: ACCT }) }),
      );
      const p = await iam.send(new CreatePolicyCommand({ PolicyName: "att-pol", PolicyDocument: ALLOW_ECS }));
      const arn = p.Policy?.Arn ?? "";
      await iam.send(new AttachUserPolicyCommand({ UserName: "att", PolicyArn: arn }));
      await iam.send(new AttachUserPolicyCommand({ UserName: "att", PolicyArn: arn }));
      await iam.send(new AttachRolePolicyCommand({ RoleName: "att-role", PolicyArn: arn }));
      await iam.send(
        new AttachRolePolicyCommand({
          RoleName: "att-role",
          PolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        }),
      );

      assert.deepEqual(
        (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "att" }))).AttachedPolicies,
        [{ PolicyName: "att-pol", PolicyArn: arn }],
      );
      assert.equal(
        (
          await iam.send(
            new ListAttachedRolePoliciesCommand({ RoleName: "att-role", PathPrefix: "/service-role/" }),
          )
        ).AttachedPolicies?.length,
        1,
      );
      assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.AttachmentCount, 2);
      const entities = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
      assert.deepEqual(
        entities.PolicyUsers?.map((u) => u.UserName),
        ["att"],
      );
      assert.deepEqual(
        entities.PolicyRoles?.map((r) => r.RoleName),
        ["att-role"],
      );

      await rejects(
        () => iam.send(new DeletePolicyCommand({ PolicyArn: arn })),
        "DeleteConflictException",
        409,
        "Cannot delete a policy attached to entities.",
      );
      await rejects(
        () => iam.send(new DeleteUserCommand({ UserName: "att" })),
        "DeleteConflictException",
        409,
        "Cannot delete entity, must detach all policies first.",
      );
      await rejects(
        () =>
          iam.send(
            new AttachUserPolicyCommand({ UserName: "att", PolicyArn: `arn:aws:iam::${ACCT}:policy/nope` }),
          ),
        "NoSuchEntityException",
        404,
        `Policy arn:aws:iam::${ACCT}:policy/nope does not exist or is not attachable.`,
      );

      await iam.send(new DetachUserPolicyCommand({ UserName: "att", PolicyArn: arn }));
      await rejects(
        () => iam.send(new DetachUserPolicyCommand({ UserName: "att", PolicyArn: arn })),
        "NoSuchEntityException",
        404,
        `Policy ${arn} was not found.`,
      );
      await iam.send(new DetachRolePolicyCommand({ RoleName: "att-role", PolicyArn: arn }));
      await iam.send(
        new DetachRolePolicyCommand({
          RoleName: "att-role",
          PolicyArn: "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
        }),
      );
      await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
      await iam.send(new DeleteUserCommand({ UserName: "att" }));
      await iam.send(new DeleteRoleCommand({ RoleName: "att-role" }));
    });

    it("at most ten managed policies per user", async () => {
      await iam.send(new CreateUserCommand({ UserName: "many" }));
      const arns: string[] = [];
      for (let i = 0; i < 11; i++) {
        arns.push(
          (await iam.send(new CreatePolicyCommand({ PolicyName: `many-${i}`, PolicyDocument: ALLOW_ECS })))
            .Policy?.Arn ?? "",
        );
      }
      for (const a of arns.slice(0, 10))
        await iam.send(new AttachUserPolicyCommand({ UserName: "many", PolicyArn: a }));
      await rejects(
        () => iam.send(new AttachUserPolicyCommand({ UserName: "many", PolicyArn: arns[10] })),
        "LimitExceededException",
        409,
        "Cannot exceed quota for PoliciesPerUser: 10",
      );
      for (const a of arns.slice(0, 10))
        await iam.send(new DetachUserPolicyCommand({ UserName: "many", PolicyArn: a }));
      for (const a of arns) await iam.send(new DeletePolicyCommand({ PolicyArn: a }));
      await iam.send(new DeleteUserCommand({ UserName: "many" }));
    });

    it("inline policies: Put (replaces), Get (URL-encoded), List, Delete; size quota per user", async () => {
      await iam.send(new CreateUserCommand({ UserName: "inl" }));
      await iam.send(
        new PutUserPolicyCommand({ UserName: "inl", PolicyName: "a", PolicyDocument: ALLOW_ECS }),
      );
      const got = await iam.send(new GetUserPolicyCommand({ UserName: "inl", PolicyName: "a" }));
      assert.equal(got.UserName, "inl");
      assert.equal(decodeURIComponent(got.PolicyDocument ?? ""), ALLOW_ECS);
      await rejects(
        () => iam.send(new GetUserPolicyCommand({ UserName: "inl", PolicyName: "b" })),
        "NoSuchEntityException",
        404,
        "The user policy with name b cannot be found.",
      );
      await rejects(
        () => iam.send(new DeleteUserCommand({ UserName: "inl" })),
        "DeleteConflictException",
        409,
        "Cannot delete entity, must delete policies first.",
      );
      const big = doc({
        Effect: "Allow",
        Action: Array.from({ length: 250 }, (_, i) => `ecs:Act${i}`),
        Resource: "*",
      });
      await rejects(
        () => iam.send(new PutUserPolicyCommand({ UserName: "inl", PolicyName: "big", PolicyDocument: big })),
        "LimitExceededException",
        409,
        "Maximum policy size of 2048 bytes exceeded for user inl",
      );
      await iam.send(
        new CreateRoleCommand({ RoleName: "inl-role", AssumeRolePolicyDocument: trust({ AWS: ACCT }) }),
      );
      await iam.send(
        new PutRolePolicyCommand({ RoleName: "inl-role", PolicyName: "big", PolicyDocument: big }),
      );
      assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: "inl-role" }))).PolicyNames, [
        "big",
      ]);
      assert.equal(
        decodeURIComponent(
          (await iam.send(new GetRolePolicyCommand({ RoleName: "inl-role", PolicyName: "big" })))
            .PolicyDocument ?? "",
        ),
        big,
      );
      await iam.send(new DeleteRolePolicyCommand({ RoleName: "inl-role", PolicyName: "big" }));
      await iam.send(new DeleteRoleCommand({ RoleName: "inl-role" }));
    });
  });

  describe("through the AWS CLI v2", () => {
    it("create-user, put-user-policy, get-user-policy (decoded by the CLI), an error", async () => {
      const cli = (args: string[]) => runAws(t, args);
      const u = await cli(["iam", "create-user", "--user-name", "cli-user"]);
      assert.equal(u.code, 0, u.stderr);
      assert.equal(u.json<{ User: { Arn: string } }>().User.Arn, `arn:aws:iam::${ACCT}:user/cli-user`);
      const put = await cli([
        "iam",
        "put-user-policy",
        "--user-name",
        "cli-user",
        "--policy-name",
        "p",
        "--policy-document",
        ALLOW_ECS,
      ]);
      assert.equal(put.code, 0, put.stderr);
      const got = await cli(["iam", "get-user-policy", "--user-name", "cli-user", "--policy-name", "p"]);
      assert.equal(got.code, 0, got.stderr);
      assert.deepEqual(got.json<{ PolicyDocument: unknown }>().PolicyDocument, JSON.parse(ALLOW_ECS));
      const missing = await cli(["iam", "get-user", "--user-name", "nobody"]);
      assert.notEqual(missing.code, 0);
      assert.match(
        missing.stderr,
        /\(NoSuchEntity\) when calling the GetUser operation.*: The user with name nobody cannot be found\./,
      );
      await iam.send(new DeleteUserPolicyCommand({ UserName: "cli-user", PolicyName: "p" }));
      await iam.send(new DeleteUserCommand({ UserName: "cli-user" }));
    });
  });
});
