/**
 * The authorization resolvers of SSM, Secrets Manager, KMS, CloudWatch Logs, ECR and ECR Public never throw on
 * malformed input (the handler reports it after authorization) and always name a resource; and
 * what they resolve when the resources exist.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Principal } from "../../src/identity/principal.js";
import type { AuthzCheck, AuthzInfo, ServiceDefinition } from "../../src/services/service.js";
import { ACCOUNT, type HandlerBerth, handlerBerth } from "../helpers/handlers.js";

const principal: Principal = {
  arn: `arn:aws:iam::${ACCOUNT}:user/u`,
  accountId: ACCOUNT,
  userId: "AIDAU",
  kind: "user",
  accessKeyId: "AKIAU",
  userName: "u",
};
const info: AuthzInfo = { region: "us-east-1", accountId: ACCOUNT, principal, now: Date.now() };

/** Inputs a decoder would refuse or a handler would reject: absent, wrong types, odd strings. */
const MALFORMED: Record<string, unknown>[] = [
  {},
  { Name: 42, Names: "x", Path: null, Tags: "t", SecretId: 7, KeyId: {}, logGroupName: [] },
  {
    Name: "arn:aws:ssm:eu-west-1:1:parameter/x:1:2",
    Names: [1, null],
    SecretId: "arn:broken",
    SecretIdList: [null],
    KeyId: "arn:aws:kms:us-east-1:000000000000:alias/",
    TargetKeyId: "alias/",
    AliasName: "nope",
    CiphertextBlob: Buffer.from("short"),
    EncryptionContext: "x",
    logGroupIdentifier: "arn:aws:logs:us-east-1:000000000000:log-group",
    resourceArn: 5,
    tags: [1],
    TagKeys: "k",
    ResourceType: "Parameter",
    ResourceId: { a: 1 },
    Filters: [],
    repositoryName: 5,
    repositoryNames: [null, 3],
  },
  {
    repositoryName: "BAD name",
    repositoryNames: "x",
    tags: [null, "t"],
    tagKeys: 3,
    resourceArn: "arn:aws:ecr:",
  },
];

describe("authorization resolvers", () => {
  let h: HandlerBerth;
  const svc = (id: string): ServiceDefinition => h.berth.services.find((s) => s.id === id)!;
  const resolve = async (id: string, op: string, input: Record<string, unknown>): Promise<AuthzCheck[]> => {
    const r = svc(id).authorization!.operations![op]!;
    return [...(await r(input as never, info))];
  };

  before(async () => {
    h = handlerBerth();
    await h.call("ssm", "PutParameter", {
      Name: "/a/b",
      Value: "v",
      Type: "String",
      Tags: [{ Key: "t", Value: "1" }],
    });
    await h.call("secretsmanager", "CreateSecret", {
      Name: "s/one",
      SecretString: "x",
      ClientRequestToken: randomUUID(),
    });
    const key = await h.call("kms", "CreateKey", {});
    await h.call("kms", "CreateAlias", {
      AliasName: "alias/k",
      TargetKeyId: (key.KeyMetadata as { KeyId: string }).KeyId,
    });
    await h.call("logs", "CreateLogGroup", { logGroupName: "g" });
    await h.call("ecr", "CreateRepository", { repositoryName: "r/one", tags: [{ Key: "team", Value: "a" }] });
    await h.call("ecr", "SetRepositoryPolicy", {
      repositoryName: "r/one",
      policyText: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Deny", Principal: "*", Action: "ecr:BatchDeleteImage" }],
      }),
    });
  });
  after(async () => {
    await h.berth.store.close();
  });

  for (const id of ["ssm", "secretsmanager", "kms", "logs", "ecr", "ecr-public"]) {
    it(`${id}: every resolver survives malformed input and names a resource`, async () => {
      const ops = Object.keys(svc(id).authorization!.operations!);
      assert.ok(ops.length > 0);
      for (const op of ops) {
        for (const input of MALFORMED) {
          const checks = await resolve(id, op, input);
          for (const c of checks) {
            assert.equal(typeof c.resource, "string", `${id}:${op}`);
            assert.ok(c.resource.length > 0, `${id}:${op}`);
            await c.tags?.();
            await c.resourcePolicy?.();
          }
        }
      }
    });
  }

  it("resolve what exists: a secret's random suffix, an alias's key, a parameter's tags, a repository's policy", async () => {
    const [secret] = await resolve("secretsmanager", "DescribeSecret", { SecretId: "s/one" });
    assert.match(secret!.resource, /:secret:s\/one-[A-Za-z0-9]{6}$/);
    assert.equal(secret!.context?.["secretsmanager:SecretId"], secret!.resource);
    const [missing] = await resolve("secretsmanager", "DescribeSecret", { SecretId: "s/two" });
    assert.equal(missing!.resource, `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:s/two-??????`);

    const [byAlias] = await resolve("kms", "DescribeKey", { KeyId: "alias/k" });
    assert.match(byAlias!.resource, new RegExp(`^arn:aws:kms:us-east-1:${ACCOUNT}:key/[0-9a-f-]{36}$`));
    assert.equal(byAlias!.context?.["kms:RequestAlias"], "alias/k");
    assert.deepEqual(byAlias!.context?.["kms:ResourceAliases"], ["alias/k"]);

    const [param] = await resolve("ssm", "GetParameter", { Name: "/a/b:1" });
    assert.equal(param!.resource, `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/a/b`);
    assert.deepEqual(await param!.tags?.(), { t: "1" });

    const [group] = await resolve("logs", "DeleteLogGroup", { logGroupName: "g" });
    assert.equal(group!.resource, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:g:log-stream:`);

    const [repo] = await resolve("ecr", "BatchGetImage", { repositoryName: "r/one" });
    assert.equal(repo!.resource, `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/r/one`);
    assert.deepEqual(await repo!.tags?.(), { team: "a" });
    const policy = await repo!.resourcePolicy?.();
    assert.equal(policy?.statements[0]?.effect, "Deny");
    const [all] = await resolve("ecr", "DescribeRepositories", {});
    assert.equal(all!.resource, `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/*`);
    const create = await resolve("ecr", "CreateRepository", {
      repositoryName: "r/two",
      tags: [{ Key: "team", Value: "b" }],
    });
    assert.deepEqual(
      create.map((c) => [c.action, c.resource, c.context?.["aws:RequestTag/team"]]),
      [
        [undefined, `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/r/two`, "b"],
        ["ecr:TagResource", `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/r/two`, "b"],
      ],
    );
    const [pub] = await resolve("ecr-public", "DescribeImages", { repositoryName: "p" });
    assert.equal(pub!.resource, `arn:aws:ecr-public::${ACCOUNT}:repository/p`);
  });
});
