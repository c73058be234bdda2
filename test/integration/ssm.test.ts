/** SSM Parameter Store through the AWS SDK against a real in-process Berth. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand, DisableKeyCommand } from "@aws-sdk/client-kms";
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  paginateGetParametersByPath,
  RemoveTagsFromResourceCommand,
  type SSMClient,
  UnlabelParameterVersionCommand,
} from "@aws-sdk/client-ssm";
import { startBerth, type TestBerth } from "../helpers/berth.js";

async function rejectsWith(p: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, 400);
    if (typeof message === "string") assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return true;
  });
}

describe("SSM Parameter Store", () => {
  let t: TestBerth;
  let ssm: SSMClient;
  before(async () => {
    t = await startBerth();
    ssm = t.ssm();
  });
  after(async () => {
    await t.close();
  });

  it("puts, overwrites and reads parameters of every type, with versions", async () => {
    assert.deepEqual(
      (await ssm.send(new PutParameterCommand({ Name: "/svc/url", Value: "http://a", Type: "String" })))
        .Version,
      1,
    );
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: "/svc/url", Value: "http://b", Type: "String" })),
      "ParameterAlreadyExists",
      "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    );
    const v2 = await ssm.send(
      new PutParameterCommand({ Name: "/svc/url", Value: "http://b", Overwrite: true }),
    );
    assert.equal(v2.Version, 2);
    assert.equal(v2.Tier, "Standard");
    const p = (await ssm.send(new GetParameterCommand({ Name: "/svc/url" }))).Parameter!;
    assert.equal(p.Value, "http://b");
    assert.equal(p.Type, "String");
    assert.equal(p.ARN, `arn:aws:ssm:${t.region}:000000000000:parameter/svc/url`);
    assert.equal(
      (await ssm.send(new GetParameterCommand({ Name: "/svc/url:1" }))).Parameter!.Value,
      "http://a",
    );
    await ssm.send(new PutParameterCommand({ Name: "hosts", Value: "a,b,c", Type: "StringList" }));
    assert.equal((await ssm.send(new GetParameterCommand({ Name: "hosts" }))).Parameter!.Value, "a,b,c");
  });

  it("SecureString: decrypts on request; otherwise returns KMS ciphertext", async () => {
    await ssm.send(new PutParameterCommand({ Name: "/svc/pw", Value: "Tr0ub4dor&3", Type: "SecureString" }));
    const plain = (await ssm.send(new GetParameterCommand({ Name: "/svc/pw", WithDecryption: true })))
      .Parameter!;
    assert.equal(plain.Value, "Tr0ub4dor&3");
    const sealed = (await ssm.send(new GetParameterCommand({ Name: "/svc/pw" }))).Parameter!;
    assert.notEqual(sealed.Value, "Tr0ub4dor&3");
    assert.ok(!Buffer.from(sealed.Value!, "base64").toString("latin1").includes("Tr0ub4dor"));
    const meta = (
      await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Values: ["/svc/pw"] }] }),
      )
    ).Parameters!;
    assert.equal(meta[0]!.KeyId, "alias/aws/ssm");
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: "/svc/pw", Value: "x", Type: "String", Overwrite: true })),
      "HierarchyTypeMismatchException",
    );
  });

  it("SecureString with a customer KMS key; a missing or disabled key is InvalidKeyId", async () => {
    const key = (await t.kms().send(new CreateKeyCommand({ Description: "params" }))).KeyMetadata!;
    await ssm.send(
      new PutParameterCommand({ Name: "/svc/k", Value: "v", Type: "SecureString", KeyId: key.Arn }),
    );
    const meta = (
      await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: "KeyId", Values: [key.Arn!] }] }),
      )
    ).Parameters!;
    assert.deepEqual(
      meta.map((m) => m.Name),
      ["/svc/k"],
    );
    await rejectsWith(
      ssm.send(
        new PutParameterCommand({ Name: "/svc/k2", Value: "v", Type: "SecureString", KeyId: "alias/nope" }),
      ),
      "InvalidKeyId",
      /^Alias arn:aws:kms:us-east-1:000000000000:alias\/nope is not found\. \(Service: AWSKMS; Status Code: 400; Error Code: NotFoundException; Request ID: [0-9a-f-]+; Proxy: null\)$/,
    );
    await t.kms().send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await rejectsWith(
      ssm.send(
        new PutParameterCommand({ Name: "/svc/k3", Value: "v", Type: "SecureString", KeyId: key.KeyId }),
      ),
      "InvalidKeyId",
      /is disabled\. \(Service: AWSKMS; .*Error Code: DisabledException/,
    );
  });

  it("GetParameter errors: missing name, missing version", async () => {
    await rejectsWith(ssm.send(new GetParameterCommand({ Name: "/nope" })), "ParameterNotFound");
    await rejectsWith(
      ssm.send(new GetParameterCommand({ Name: "/svc/url:9" })),
      "ParameterVersionNotFound",
      "Systems Manager could not find version 9 of /svc/url. Verify the version and try again.",
    );
  });

  it("validates names and values with SSM's messages", async () => {
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: "awsy", Value: "x", Type: "String" })),
      "ValidationException",
      'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).',
    );
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: `/${"a/".repeat(15)}b`, Value: "x", Type: "String" })),
      "HierarchyLevelLimitExceededException",
    );
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: "/new", Value: "x" })),
      "ValidationException",
      "A parameter type is required when you create a parameter.",
    );
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: "/big", Value: "x".repeat(4097), Type: "String" })),
      "ValidationException",
      /^Standard tier parameters support a maximum parameter value of 4096 characters/,
    );
    const adv = await ssm.send(
      new PutParameterCommand({
        Name: "/big",
        Value: "x".repeat(4097),
        Type: "String",
        Tier: "Intelligent-Tiering",
      }),
    );
    assert.equal(adv.Tier, "Advanced");
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: "/big", Value: "x", Overwrite: true, Tier: "Standard" })),
      "ValidationException",
      /can't downgrade a parameter from the advanced-parameter tier/,
    );
    await rejectsWith(
      ssm.send(
        new PutParameterCommand({ Name: "/pat", Value: "abc", Type: "String", AllowedPattern: "^\\d+$" }),
      ),
      "ValidationException",
      "Parameter value, cannot be validated against allowedPattern: ^\\d+$",
    );
    await ssm.send(
      new PutParameterCommand({ Name: "/pat", Value: "123", Type: "String", AllowedPattern: "\\d+" }),
    );
    await rejectsWith(
      ssm.send(new PutParameterCommand({ Name: "/pat", Value: "12a", Overwrite: true })),
      "ValidationException",
      /allowedPattern: \\d\+/,
    );
    await rejectsWith(
      ssm.send(
        new PutParameterCommand({
          Name: "/tags",
          Value: "x",
          Type: "String",
          Overwrite: true,
          Tags: [{ Key: "a", Value: "b" }],
        }),
      ),
      "ValidationException",
      /tags and overwrite can't be used together/,
    );
  });

  it("an AllowedPattern that backtracks catastrophically fails the value promptly, like a mismatch", async () => {
    for (const [pattern, value] of [
      ["(a+)+b", "a".repeat(40)],
      ["^(\\w+\\s?)*$", `${"word ".repeat(12)}!`],
    ]) {
      await rejectsWith(
        ssm.send(
          new PutParameterCommand({ Name: "/redos", Value: value!, Type: "String", AllowedPattern: pattern }),
        ),
        "ValidationException",
        `Parameter value, cannot be validated against allowedPattern: ${pattern}`,
      );
    }
    await rejectsWith(ssm.send(new GetParameterCommand({ Name: "/redos" })), "ParameterNotFound");
    // The same pattern still accepts a value it matches.
    await ssm.send(
      new PutParameterCommand({ Name: "/redos", Value: "aaab", Type: "String", AllowedPattern: "(a+)+b" }),
    );
    assert.equal((await ssm.send(new GetParameterCommand({ Name: "/redos" }))).Parameter!.Value, "aaab");
  });

  it("labels: attach, move between versions, limit, invalid labels, selectors", async () => {
    const name = "/lbl/p";
    for (let i = 1; i <= 3; i++) {
      await ssm.send(
        new PutParameterCommand({ Name: name, Value: `v${i}`, Type: "String", Overwrite: i > 1 }),
      );
    }
    const res = await ssm.send(
      new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ["prod", "1bad", "awsx"] }),
    );
    assert.deepEqual(res.InvalidLabels, ["1bad", "awsx"]);
    assert.equal(res.ParameterVersion, 1);
    assert.equal((await ssm.send(new GetParameterCommand({ Name: `${name}:prod` }))).Parameter!.Value, "v1");
    // Without a version the label goes on the latest, and leaves version 1.
    await ssm.send(new LabelParameterVersionCommand({ Name: name, Labels: ["prod"] }));
    const got = await ssm.send(
      new GetParametersCommand({ Names: [`${name}:prod`, `${name}:1`, "/lbl/none"] }),
    );
    assert.deepEqual(
      got.Parameters!.map((p) => [p.Value, p.Selector]),
      [
        ["v3", ":prod"],
        ["v1", ":1"],
      ],
    );
    assert.deepEqual(got.InvalidParameters, ["/lbl/none"]);
    const history = (await ssm.send(new GetParameterHistoryCommand({ Name: name }))).Parameters!;
    assert.deepEqual(
      history.map((h) => [h.Version, h.Labels]),
      [
        [1, []],
        [2, []],
        [3, ["prod"]],
      ],
    );
    await rejectsWith(
      ssm
        .send(
          new LabelParameterVersionCommand({
            Name: name,
            ParameterVersion: 2,
            Labels: Array.from({ length: 10 }, (_, i) => `l${i}`),
          }),
        )
        .then(() =>
          ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 2, Labels: ["l10"] })),
        ),
      "ParameterVersionLabelLimitExceeded",
    );
    await rejectsWith(
      ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 7, Labels: ["x"] })),
      "ParameterVersionNotFound",
    );
    const un = await ssm.send(
      new UnlabelParameterVersionCommand({ Name: name, ParameterVersion: 3, Labels: ["prod", "zzz"] }),
    );
    assert.deepEqual(un.RemovedLabels, ["prod"]);
    assert.deepEqual(un.InvalidLabels, ["zzz"]);
  });

  it("GetParametersByPath: one level or recursive, filters, pagination, decryption", async () => {
    await ssm.send(new PutParameterCommand({ Name: "/tree/a", Value: "1", Type: "String" }));
    await ssm.send(new PutParameterCommand({ Name: "/tree/b", Value: "2", Type: "SecureString" }));
    await ssm.send(new PutParameterCommand({ Name: "/tree/sub/c", Value: "3", Type: "String" }));
    await ssm.send(new PutParameterCommand({ Name: "/treehouse", Value: "no", Type: "String" }));
    const one = (await ssm.send(new GetParametersByPathCommand({ Path: "/tree" }))).Parameters!;
    assert.deepEqual(
      one.map((p) => p.Name),
      ["/tree/a", "/tree/b"],
    );
    const all: string[] = [];
    for await (const page of paginateGetParametersByPath(
      { client: ssm, pageSize: 1 },
      { Path: "/tree/", Recursive: true, WithDecryption: true },
    )) {
      assert.ok(page.Parameters!.length <= 1);
      for (const p of page.Parameters!) all.push(`${p.Name}=${p.Value}`);
    }
    assert.deepEqual(all, ["/tree/a=1", "/tree/b=2", "/tree/sub/c=3"]);
    const secure = (
      await ssm.send(
        new GetParametersByPathCommand({
          Path: "/tree",
          Recursive: true,
          ParameterFilters: [{ Key: "Type", Values: ["SecureString"] }],
        }),
      )
    ).Parameters!;
    assert.deepEqual(
      secure.map((p) => p.Name),
      ["/tree/b"],
    );
    await rejectsWith(
      ssm.send(
        new GetParametersByPathCommand({ Path: "/tree", ParameterFilters: [{ Key: "Name", Values: ["x"] }] }),
      ),
      "InvalidFilterKey",
    );
    await rejectsWith(
      ssm.send(new GetParametersByPathCommand({ Path: "/tree", MaxResults: 11 })),
      "ValidationException",
      "1 validation error detected: Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10",
    );
  });

  it("DescribeParameters: filters and pagination; Filters and ParameterFilters exclude each other", async () => {
    const names = (
      await ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: "Path", Values: ["/tree"], Option: "Recursive" }],
        }),
      )
    ).Parameters!.map((p) => p.Name);
    assert.deepEqual(names, ["/tree/a", "/tree/b", "/tree/sub/c"]);
    const first = await ssm.send(new DescribeParametersCommand({ MaxResults: 2 }));
    assert.equal(first.Parameters!.length, 2);
    assert.ok(first.NextToken);
    const second = await ssm.send(
      new DescribeParametersCommand({ MaxResults: 2, NextToken: first.NextToken }),
    );
    assert.notEqual(second.Parameters![0]!.Name, first.Parameters![0]!.Name);
    const beginsWith = (
      await ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: "Name", Option: "BeginsWith", Values: ["/tree/s"] }],
        }),
      )
    ).Parameters!;
    assert.deepEqual(
      beginsWith.map((p) => p.Name),
      ["/tree/sub/c"],
    );
    await rejectsWith(
      ssm.send(
        new DescribeParametersCommand({
          Filters: [{ Key: "Name", Values: ["a"] }],
          ParameterFilters: [{ Key: "Type", Values: ["String"] }],
        }),
      ),
      "ValidationException",
      "You can use either Filters or ParameterFilters in a single request.",
    );
    await rejectsWith(
      ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Label", Values: ["x"] }] })),
      "InvalidFilterKey",
    );
    await rejectsWith(ssm.send(new DescribeParametersCommand({ NextToken: "garbage" })), "InvalidNextToken");
  });

  it("tags a parameter and filters by tag", async () => {
    await ssm.send(
      new PutParameterCommand({
        Name: "/tagged",
        Value: "x",
        Type: "String",
        Tags: [{ Key: "team", Value: "core" }],
      }),
    );
    await ssm.send(
      new AddTagsToResourceCommand({
        ResourceType: "Parameter",
        ResourceId: "/tagged",
        Tags: [{ Key: "env", Value: "prod" }],
      }),
    );
    await ssm.send(
      new RemoveTagsFromResourceCommand({
        ResourceType: "Parameter",
        ResourceId: "/tagged",
        TagKeys: ["team"],
      }),
    );
    const tags = (
      await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/tagged" }))
    ).TagList;
    assert.deepEqual(tags, [{ Key: "env", Value: "prod" }]);
    const hit = (
      await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: "tag:env", Values: ["prod"] }] }),
      )
    ).Parameters!;
    assert.deepEqual(
      hit.map((p) => p.Name),
      ["/tagged"],
    );
    await rejectsWith(
      ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/missing" })),
      "InvalidResourceId",
    );
  });

  it("deletes one or several parameters", async () => {
    await ssm.send(new DeleteParameterCommand({ Name: "/tagged" }));
    await rejectsWith(ssm.send(new DeleteParameterCommand({ Name: "/tagged" })), "ParameterNotFound");
    const res = await ssm.send(new DeleteParametersCommand({ Names: ["/tree/a", "/tree/zz"] }));
    assert.deepEqual(res.DeletedParameters, ["/tree/a"]);
    assert.deepEqual(res.InvalidParameters, ["/tree/zz"]);
  });

  it("keeps regions apart", async () => {
    await rejectsWith(
      t.ssm({ region: "eu-west-1" }).send(new GetParameterCommand({ Name: "/svc/url" })),
      "ParameterNotFound",
    );
  });
});
