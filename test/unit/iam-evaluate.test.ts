/**
 * The policy evaluator, table-driven: deny precedence, wildcards in actions and resources,
 * NotAction/NotResource, every condition operator (with IfExists, ForAnyValue/ForAllValues and
 * Null), policy variables, session policies, trust policies and the AccessDenied wording. The
 * expectations come from the IAM User Guide ("Policy evaluation logic", "Condition operators",
 * "Multivalued context keys", "Policy variables"), not from the implementation.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CompiledPolicy, compilePolicy, type PrincipalInfo } from "../../src/domain/iam/compile.js";
import { contextOf } from "../../src/domain/iam/context.js";
import { accessDeniedMessage, type Decision, evaluate } from "../../src/domain/iam/evaluate.js";
import { parsePolicyDocument } from "../../src/domain/iam/policy-document.js";
import { AwsError } from "../../src/errors/catalog.js";

const ACCT = "123456789012";
const ALICE = `arn:aws:iam::${ACCT}:user/alice`;
const CLUSTER = `arn:aws:ecs:us-east-1:${ACCT}:cluster/prod`;

type Stmt = Record<string, unknown>;
const policy = (...statements: Stmt[]): CompiledPolicy =>
  compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements }), "identity");
const allow = (action: unknown, resource: unknown = "*", extra: Stmt = {}): Stmt => ({
  Effect: "Allow",
  Action: action,
  Resource: resource,
  ...extra,
});
const deny = (action: unknown, resource: unknown = "*", extra: Stmt = {}): Stmt => ({
  Effect: "Deny",
  Action: action,
  Resource: resource,
  ...extra,
});

type Outcome = "allow" | "implicit" | "explicit";
const outcome = (d: Decision): Outcome => (d.allowed ? "allow" : d.explicit ? "explicit" : "implicit");

interface Case {
  name: string;
  policies: Stmt[][];
  action?: string;
  resource?: string;
  context?: Record<string, string | string[]>;
  want: Outcome;
}

function run(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const d = evaluate({
        action: c.action ?? "ecs:DescribeClusters",
        resource: c.resource ?? CLUSTER,
        context: contextOf(c.context ?? {}),
        identity: c.policies.map((s) => policy(...s)),
      });
      assert.equal(outcome(d), c.want);
    });
  }
}

describe("evaluation order", () => {
  run([
    { name: "no policies: implicit deny", policies: [], want: "implicit" },
    { name: "an allow allows", policies: [[allow("ecs:DescribeClusters")]], want: "allow" },
    {
      name: "an explicit deny beats an allow in the same policy",
      policies: [[allow("ecs:*"), deny("ecs:DescribeClusters")]],
      want: "explicit",
    },
    {
      name: "an explicit deny beats an allow in another policy",
      policies: [[allow("*")], [deny("ecs:Describe*")]],
      want: "explicit",
    },
    {
      name: "a deny listed before the allow still wins",
      policies: [[deny("ecs:*", CLUSTER)], [allow("*")]],
      want: "explicit",
    },
    {
      name: "a deny for another action does not apply",
      policies: [[allow("ecs:*"), deny("ecs:DeleteCluster")]],
      want: "allow",
    },
    {
      name: "a deny for another resource does not apply",
      policies: [[allow("ecs:*"), deny("ecs:*", `${CLUSTER}-old`)]],
      want: "allow",
    },
    {
      name: "a deny whose condition fails does not apply",
      policies: [
        [allow("ecs:*"), deny("ecs:*", "*", { Condition: { Bool: { "aws:SecureTransport": "true" } } })],
      ],
      context: { "aws:SecureTransport": "false" },
      want: "allow",
    },
    {
      name: "an allow whose condition fails does not allow",
      policies: [
        [allow("ecs:*", "*", { Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } })],
      ],
      context: { "aws:RequestedRegion": "us-east-1" },
      want: "implicit",
    },
  ]);
});

describe("actions", () => {
  run([
    { name: "exact action", policies: [[allow("ecs:DescribeClusters")]], want: "allow" },
    { name: "actions are case-insensitive", policies: [[allow("ECS:describeclusters")]], want: "allow" },
    { name: "service wildcard", policies: [[allow("ecs:*")]], want: "allow" },
    { name: "prefix wildcard", policies: [[allow("ecs:Describe*")]], want: "allow" },
    { name: "prefix wildcard that does not match", policies: [[allow("ecs:List*")]], want: "implicit" },
    { name: "infix wildcard", policies: [[allow("ecs:*Clusters")]], want: "allow" },
    { name: "single-character wildcard", policies: [[allow("ecs:DescribeCluster?")]], want: "allow" },
    {
      name: "single-character wildcard needs exactly one character",
      policies: [[allow("ecs:DescribeClusters?")]],
      want: "implicit",
    },
    { name: "everything", policies: [[allow("*")]], want: "allow" },
    { name: "another service's action", policies: [[allow("ecr:*")]], want: "implicit" },
    { name: "a list of actions", policies: [[allow(["ecr:*", "ecs:DescribeClusters"])]], want: "allow" },
    {
      name: "a dot is literal, not a RegExp wildcard",
      policies: [[allow("ecs:Describe.lusters")]],
      want: "implicit",
    },
  ]);
});

describe("NotAction and NotResource", () => {
  run([
    {
      name: "NotAction allows actions outside the list",
      policies: [[{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }]],
      want: "allow",
    },
    {
      name: "NotAction does not allow the listed actions",
      policies: [[{ Effect: "Allow", NotAction: "ecs:Describe*", Resource: "*" }]],
      want: "implicit",
    },
    {
      name: "Deny with NotAction denies everything else",
      policies: [[allow("*"), { Effect: "Deny", NotAction: ["iam:*", "sts:*"], Resource: "*" }]],
      want: "explicit",
    },
    {
      name: "Deny with NotAction leaves the listed actions alone",
      policies: [[allow("*"), { Effect: "Deny", NotAction: "ecs:*", Resource: "*" }]],
      want: "allow",
    },
    {
      name: "NotResource allows other resources",
      policies: [[{ Effect: "Allow", Action: "ecs:*", NotResource: `${CLUSTER}-secret` }]],
      want: "allow",
    },
    {
      name: "NotResource excludes the listed resource",
      policies: [[{ Effect: "Allow", Action: "ecs:*", NotResource: CLUSTER }]],
      want: "implicit",
    },
    {
      name: "Deny with NotResource protects everything but the listed ones",
      policies: [
        [allow("*"), { Effect: "Deny", Action: "*", NotResource: `arn:aws:ecs:*:${ACCT}:cluster/dev-*` }],
      ],
      want: "explicit",
    },
  ]);
});

describe("resources", () => {
  run([
    { name: "exact ARN", policies: [[allow("ecs:*", CLUSTER)]], want: "allow" },
    {
      name: "wildcard in the resource part",
      policies: [[allow("ecs:*", `arn:aws:ecs:us-east-1:${ACCT}:cluster/*`)]],
      want: "allow",
    },
    {
      name: "wildcard region and account",
      policies: [[allow("ecs:*", "arn:aws:ecs:*:*:cluster/prod")]],
      want: "allow",
    },
    {
      name: "prefix that does not match",
      policies: [[allow("ecs:*", `arn:aws:ecs:us-east-1:${ACCT}:cluster/dev*`)]],
      want: "implicit",
    },
    {
      name: "resources are case-sensitive",
      policies: [[allow("ecs:*", `arn:aws:ecs:us-east-1:${ACCT}:cluster/PROD`)]],
      want: "implicit",
    },
    {
      name: "? matches one character",
      policies: [[allow("ecs:*", `arn:aws:ecs:us-east-1:${ACCT}:cluster/pro?`)]],
      want: "allow",
    },
    {
      name: "a wildcard spans colons inside the resource part",
      policies: [[allow("ecs:*", `arn:aws:ecs:us-east-1:${ACCT}:task-definition/*`)]],
      resource: `arn:aws:ecs:us-east-1:${ACCT}:task-definition/web:3`,
      want: "allow",
    },
    {
      name: "an ARN pattern does not match resource *",
      policies: [[allow("ecs:*", CLUSTER)]],
      resource: "*",
      want: "implicit",
    },
    {
      name: "a list of resources",
      policies: [[allow("ecs:*", ["arn:aws:ecs:*:*:cluster/a", CLUSTER])]],
      want: "allow",
    },
  ]);
});

const ctx1 = (key: string, value: string | string[] | undefined) =>
  value === undefined ? {} : { [key]: value };
/** One allow statement with one condition; `value` is the request's value (undefined: absent). */
function cond(
  name: string,
  op: string,
  key: string,
  policyValue: unknown,
  value: string | string[] | undefined,
  want: boolean,
): Case {
  return {
    name,
    policies: [[allow("ecs:*", "*", { Condition: { [op]: { [key]: policyValue } } })]],
    context: ctx1(key, value),
    want: want ? "allow" : "implicit",
  };
}

describe("condition operators", () => {
  run([
    cond("StringEquals match", "StringEquals", "aws:username", "alice", "alice", true),
    cond("StringEquals is case-sensitive", "StringEquals", "aws:username", "Alice", "alice", false),
    cond(
      "StringEquals any of several values",
      "StringEquals",
      "aws:username",
      ["bob", "alice"],
      "alice",
      true,
    ),
    cond("StringEquals with the key absent", "StringEquals", "aws:username", "alice", undefined, false),
    cond("condition keys are case-insensitive", "StringEquals", "AWS:UserName", "alice", "alice", true),
    cond("StringNotEquals with a different value", "StringNotEquals", "aws:username", "bob", "alice", true),
    cond(
      "StringNotEquals with the same value",
      "StringNotEquals",
      "aws:username",
      ["bob", "alice"],
      "alice",
      false,
    ),
    cond("StringNotEquals with the key absent", "StringNotEquals", "aws:username", "bob", undefined, true),
    cond("StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "aws:username", "ALICE", "alice", true),
    cond("StringNotEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "aws:username", "ALICE", "alice", false),
    cond("StringLike with *", "StringLike", "aws:username", "al*", "alice", true),
    cond("StringLike with ?", "StringLike", "aws:username", "alic?", "alice", true),
    cond("StringLike that does not match", "StringLike", "aws:username", "bo*", "alice", false),
    cond("StringNotLike", "StringNotLike", "aws:username", "bo*", "alice", true),
    cond("StringNotLike that matches", "StringNotLike", "aws:username", "a*", "alice", false),
    cond("NumericLessThan true", "NumericLessThan", "s3:max-keys", "10", "9", true),
    cond("NumericLessThan equal is false", "NumericLessThan", "s3:max-keys", "10", "10", false),
    cond("NumericLessThanEquals equal", "NumericLessThanEquals", "s3:max-keys", "10", "10", true),
    cond("NumericGreaterThan", "NumericGreaterThan", "s3:max-keys", "10", "11", true),
    cond("NumericGreaterThanEquals", "NumericGreaterThanEquals", "s3:max-keys", "10", "9", false),
    cond("NumericEquals", "NumericEquals", "s3:max-keys", 10, "10.0", true),
    cond("NumericNotEquals", "NumericNotEquals", "s3:max-keys", "10", "11", true),
    cond("NumericLessThan with a non-number", "NumericLessThan", "s3:max-keys", "10", "ten", false),
    cond(
      "DateGreaterThan true",
      "DateGreaterThan",
      "aws:CurrentTime",
      "2026-01-01T00:00:00Z",
      "2026-06-01T00:00:00Z",
      true,
    ),
    cond(
      "DateGreaterThan false",
      "DateGreaterThan",
      "aws:CurrentTime",
      "2026-01-01T00:00:00Z",
      "2025-06-01T00:00:00Z",
      false,
    ),
    cond(
      "DateLessThan with a date only",
      "DateLessThan",
      "aws:CurrentTime",
      "2026-01-01",
      "2025-12-31T23:59:59Z",
      true,
    ),
    cond(
      "DateLessThan with epoch seconds",
      "DateLessThan",
      "aws:EpochTime",
      "1767225600",
      "1767225599",
      true,
    ),
    cond(
      "DateEquals",
      "DateEquals",
      "aws:CurrentTime",
      "2026-01-01T00:00:00Z",
      "2026-01-01T00:00:00.000Z",
      true,
    ),
    cond(
      "DateNotEquals",
      "DateNotEquals",
      "aws:CurrentTime",
      "2026-01-01T00:00:00Z",
      "2026-01-02T00:00:00Z",
      true,
    ),
    cond(
      "DateLessThanEquals",
      "DateLessThanEquals",
      "aws:CurrentTime",
      "2026-01-01T00:00:00Z",
      "2026-01-01T00:00:00Z",
      true,
    ),
    cond(
      "DateGreaterThanEquals",
      "DateGreaterThanEquals",
      "aws:CurrentTime",
      "2026-01-01T00:00:00Z",
      "2025-01-01T00:00:00Z",
      false,
    ),
    cond("Bool true", "Bool", "aws:SecureTransport", "true", "true", true),
    cond("Bool given as a JSON boolean", "Bool", "aws:SecureTransport", false, "false", true),
    cond("Bool mismatch", "Bool", "aws:SecureTransport", "true", "false", false),
    cond("BinaryEquals", "BinaryEquals", "aws:SomeBlob", "QmVydGg=", "QmVydGg=", true),
    cond("IpAddress in an IPv4 range", "IpAddress", "aws:SourceIp", "10.0.0.0/8", "10.1.2.3", true),
    cond(
      "IpAddress outside the range",
      "IpAddress",
      "aws:SourceIp",
      ["192.168.0.0/16", "172.16.0.0/12"],
      "10.1.2.3",
      false,
    ),
    cond("IpAddress single address", "IpAddress", "aws:SourceIp", "127.0.0.1", "127.0.0.1", true),
    cond(
      "IpAddress with an IPv4-mapped IPv6 client",
      "IpAddress",
      "aws:SourceIp",
      "127.0.0.0/8",
      "::ffff:127.0.0.1",
      true,
    ),
    cond("IpAddress IPv6 range", "IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::1", true),
    cond("NotIpAddress outside the range", "NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "192.168.1.1", true),
    cond("NotIpAddress inside the range", "NotIpAddress", "aws:SourceIp", "10.0.0.0/8", "10.0.0.1", false),
    cond("ArnEquals", "ArnEquals", "aws:PrincipalArn", ALICE, ALICE, true),
    cond("ArnLike with a wildcard part", "ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/*", ALICE, true),
    cond(
      "ArnLike: a wildcard stays inside its part",
      "ArnLike",
      "aws:PrincipalArn",
      "arn:aws:iam::*:role/*",
      ALICE,
      false,
    ),
    cond("ArnNotLike", "ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ALICE, true),
    cond("ArnNotEquals", "ArnNotEquals", "aws:PrincipalArn", ALICE, ALICE, false),
    cond("Null true with the key absent", "Null", "aws:TokenIssueTime", "true", undefined, true),
    cond(
      "Null true with the key present",
      "Null",
      "aws:TokenIssueTime",
      "true",
      "2026-01-01T00:00:00Z",
      false,
    ),
    cond(
      "Null false with the key present",
      "Null",
      "aws:TokenIssueTime",
      "false",
      "2026-01-01T00:00:00Z",
      true,
    ),
    cond(
      "StringEqualsIfExists with the key absent",
      "StringEqualsIfExists",
      "ecs:cluster",
      CLUSTER,
      undefined,
      true,
    ),
    cond(
      "StringEqualsIfExists with a different value",
      "StringEqualsIfExists",
      "ecs:cluster",
      CLUSTER,
      `${CLUSTER}-x`,
      false,
    ),
    cond(
      "ArnLikeIfExists with a match",
      "ArnLikeIfExists",
      "ecs:cluster",
      "arn:aws:ecs:*:*:cluster/*",
      CLUSTER,
      true,
    ),
    cond("NumericLessThanIfExists absent", "NumericLessThanIfExists", "s3:max-keys", "10", undefined, true),
  ]);
});

describe("multivalued keys", () => {
  run([
    cond(
      "ForAnyValue: one value matches",
      "ForAnyValue:StringEquals",
      "aws:TagKeys",
      ["env", "team"],
      ["team", "cost"],
      true,
    ),
    cond(
      "ForAnyValue: none matches",
      "ForAnyValue:StringEquals",
      "aws:TagKeys",
      ["env"],
      ["team", "cost"],
      false,
    ),
    cond("ForAnyValue: key absent", "ForAnyValue:StringEquals", "aws:TagKeys", ["env"], undefined, false),
    cond(
      "ForAllValues: every value matches",
      "ForAllValues:StringEquals",
      "aws:TagKeys",
      ["env", "team"],
      ["team", "env"],
      true,
    ),
    cond(
      "ForAllValues: one value outside",
      "ForAllValues:StringEquals",
      "aws:TagKeys",
      ["env", "team"],
      ["team", "cost"],
      false,
    ),
    cond(
      "ForAllValues: key absent passes",
      "ForAllValues:StringEquals",
      "aws:TagKeys",
      ["env"],
      undefined,
      true,
    ),
    cond("ForAllValues: empty set passes", "ForAllValues:StringEquals", "aws:TagKeys", ["env"], [], true),
    cond(
      "ForAllValues:StringLike",
      "ForAllValues:StringLike",
      "aws:TagKeys",
      ["team-*"],
      ["team-a", "team-b"],
      true,
    ),
    cond(
      "ForAnyValue:StringNotEquals: one value outside the list",
      "ForAnyValue:StringNotEquals",
      "aws:TagKeys",
      ["env"],
      ["env", "cost"],
      true,
    ),
    cond(
      "ForAllValues:StringNotEquals: a listed value is present",
      "ForAllValues:StringNotEquals",
      "aws:TagKeys",
      ["env"],
      ["env", "cost"],
      false,
    ),
  ]);
});

describe("several conditions", () => {
  const both = { StringEquals: { "aws:username": "alice" }, IpAddress: { "aws:SourceIp": "10.0.0.0/8" } };
  run([
    {
      name: "all operators must hold (both hold)",
      policies: [[allow("ecs:*", "*", { Condition: both })]],
      context: { "aws:username": "alice", "aws:SourceIp": "10.0.0.1" },
      want: "allow",
    },
    {
      name: "all operators must hold (one fails)",
      policies: [[allow("ecs:*", "*", { Condition: both })]],
      context: { "aws:username": "alice", "aws:SourceIp": "11.0.0.1" },
      want: "implicit",
    },
    {
      name: "all keys in one operator must hold",
      policies: [
        [
          allow("ecs:*", "*", {
            Condition: { StringEquals: { "aws:username": "alice", "aws:RequestedRegion": "us-east-1" } },
          }),
        ],
      ],
      context: { "aws:username": "alice", "aws:RequestedRegion": "eu-west-1" },
      want: "implicit",
    },
    {
      name: "deny outside business hours (DateGreaterThan)",
      policies: [
        [
          allow("*"),
          deny("*", "*", { Condition: { DateGreaterThan: { "aws:CurrentTime": "2026-03-01T00:00:00Z" } } }),
        ],
      ],
      context: { "aws:CurrentTime": "2026-03-02T00:00:00Z" },
      want: "explicit",
    },
    {
      name: "deny from outside the network (NotIpAddress)",
      policies: [
        [allow("*"), deny("*", "*", { Condition: { NotIpAddress: { "aws:SourceIp": ["10.0.0.0/8"] } } })],
      ],
      context: { "aws:SourceIp": "203.0.113.9" },
      want: "explicit",
    },
    {
      name: "resource tag condition",
      policies: [[allow("ecs:*", "*", { Condition: { StringEquals: { "aws:ResourceTag/env": "dev" } } })]],
      context: { "aws:ResourceTag/env": "dev" },
      want: "allow",
    },
  ]);
});

describe("policy variables", () => {
  const own = allow("iam:*AccessKey*", `arn:aws:iam::${ACCT}:user/\${aws:username}`);
  run([
    {
      name: `\${aws:username} in a resource matches the caller's user`,
      policies: [[own]],
      action: "iam:CreateAccessKey",
      resource: ALICE,
      context: { "aws:username": "alice" },
      want: "allow",
    },
    {
      name: `\${aws:username} does not match another user`,
      policies: [[own]],
      action: "iam:CreateAccessKey",
      resource: `arn:aws:iam::${ACCT}:user/bob`,
      context: { "aws:username": "alice" },
      want: "implicit",
    },
    {
      name: "a variable with no value matches nothing",
      policies: [[own]],
      action: "iam:CreateAccessKey",
      resource: ALICE,
      context: {},
      want: "implicit",
    },
    {
      name: "a default value",
      policies: [[allow("ecs:*", `arn:aws:ecs:*:*:cluster/\${aws:PrincipalTag/team, 'shared'}-*`)]],
      resource: `arn:aws:ecs:us-east-1:${ACCT}:cluster/shared-1`,
      want: "allow",
    },
    {
      name: "a substituted value is taken literally, not as a wildcard",
      policies: [[allow("ecs:*", `arn:aws:ecs:*:*:cluster/\${aws:PrincipalTag/team}`)]],
      resource: `arn:aws:ecs:us-east-1:${ACCT}:cluster/abc`,
      context: { "aws:PrincipalTag/team": "a*" },
      want: "implicit",
    },
    {
      name: `\${*} is a literal asterisk`,
      policies: [[allow("ecs:*", `arn:aws:ecs:*:*:cluster/a\${*}`)]],
      resource: `arn:aws:ecs:us-east-1:${ACCT}:cluster/abc`,
      want: "implicit",
    },
    {
      name: `\${constructor} is a variable with no value, not a special character`,
      policies: [[allow("ecs:*", `arn:aws:ecs:*:*:cluster/\${constructor}`)]],
      resource: `arn:aws:ecs:us-east-1:${ACCT}:cluster/function Object() { [native code] }`,
      want: "implicit",
    },
    {
      name: `\${constructor, 'x'} takes its default`,
      policies: [[allow("ecs:*", `arn:aws:ecs:*:*:cluster/\${constructor, 'x'}`)]],
      resource: `arn:aws:ecs:us-east-1:${ACCT}:cluster/x`,
      want: "allow",
    },
    {
      name: "variables in condition values",
      policies: [
        [
          allow("ecs:*", "*", {
            Condition: { StringEquals: { "aws:PrincipalTag/team": `\${aws:ResourceTag/team}` } },
          }),
        ],
      ],
      context: { "aws:PrincipalTag/team": "web", "aws:ResourceTag/team": "web" },
      want: "allow",
    },
    {
      name: "variables in StringLike values",
      policies: [
        [allow("ecs:*", "*", { Condition: { StringLike: { "ecs:cluster": `*/\${aws:username}-*` } } })],
      ],
      context: { "aws:username": "alice", "ecs:cluster": `arn:aws:ecs:us-east-1:${ACCT}:cluster/alice-dev` },
      want: "allow",
    },
  ]);
  it("variables are literal text in 2008-10-17 policies", () => {
    const p = compilePolicy(
      JSON.stringify({
        Version: "2008-10-17",
        Statement: [allow("iam:*", `arn:aws:iam::${ACCT}:user/\${aws:username}`)],
      }),
      "identity",
    );
    const d = evaluate({
      action: "iam:GetUser",
      resource: ALICE,
      context: contextOf({ "aws:username": "alice" }),
      identity: [p],
    });
    assert.equal(d.allowed, false);
  });
});

describe("wildcards against long values", () => {
  // Each pattern below takes exponential time as a backtracking RegExp (`*` → `.*`) against a long
  // run of "a"s: evaluation used to hang here. The matcher now answers in linear time.
  const aaa = "a".repeat(100_000);
  const stars = `${"*a".repeat(12)}*b`; // *a*a*a*a*a*a*a*a*a*a*a*a*b
  run([
    {
      name: "a resource pattern that does not match",
      policies: [[allow("s3:GetObject", `arn:aws:s3:::${stars}`)]],
      action: "s3:GetObject",
      resource: `arn:aws:s3:::${aaa}`,
      want: "implicit",
    },
    {
      name: "a resource pattern that matches",
      policies: [[allow("s3:GetObject", `arn:aws:s3:::${stars}`)]],
      action: "s3:GetObject",
      resource: `arn:aws:s3:::${aaa}b`,
      want: "allow",
    },
    {
      name: "an action pattern",
      policies: [[allow(`ecs:${stars}`)]],
      action: `ecs:${aaa}`,
      want: "implicit",
    },
    {
      name: "a resource pattern with a policy variable",
      policies: [[allow("s3:GetObject", `arn:aws:s3:::\${aws:username}${stars}`)]],
      action: "s3:GetObject",
      resource: `arn:aws:s3:::alice${aaa}`,
      context: { "aws:username": "alice" },
      want: "implicit",
    },
    {
      name: "a resource pattern with a policy variable that matches",
      policies: [[allow("s3:GetObject", `arn:aws:s3:::\${aws:username}${stars}`)]],
      action: "s3:GetObject",
      resource: `arn:aws:s3:::alice${aaa}b`,
      context: { "aws:username": "alice" },
      want: "allow",
    },
    {
      name: "StringLike",
      policies: [[allow("ecs:*", "*", { Condition: { StringLike: { "aws:PrincipalTag/team": stars } } })]],
      context: { "aws:PrincipalTag/team": aaa },
      want: "implicit",
    },
    {
      name: "StringNotLike",
      policies: [[allow("ecs:*", "*", { Condition: { StringNotLike: { "aws:PrincipalTag/team": stars } } })]],
      context: { "aws:PrincipalTag/team": aaa },
      want: "allow",
    },
    {
      name: "StringLike with a policy variable",
      policies: [
        [
          allow("ecs:*", "*", {
            Condition: { StringLike: { "aws:PrincipalTag/team": `\${aws:username}${stars}` } },
          }),
        ],
      ],
      context: { "aws:username": "alice", "aws:PrincipalTag/team": `alice${aaa}` },
      want: "implicit",
    },
    {
      name: "ArnLike",
      policies: [
        [
          allow("ecs:*", "*", {
            Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${ACCT}:user/${stars}` } },
          }),
        ],
      ],
      context: { "aws:PrincipalArn": `arn:aws:iam::${ACCT}:user/${aaa}` },
      want: "implicit",
    },
  ]);
});

describe("session policies", () => {
  const role = [policy(allow(["ecs:*", "ecr:*"]))];
  const cases: [string, CompiledPolicy[] | undefined, string, Outcome, string?][] = [
    ["no session policy: the role's permissions apply", undefined, "ecr:ListImages", "allow"],
    [
      "a session policy narrows the role's permissions",
      [policy(allow("ecs:*"))],
      "ecr:ListImages",
      "implicit",
      "session",
    ],
    ["within both: allowed", [policy(allow("ecs:Describe*"))], "ecs:DescribeClusters", "allow"],
    [
      "a session policy cannot grant what the role lacks",
      [policy(allow("*"))],
      "iam:CreateUser",
      "implicit",
      "identity",
    ],
    [
      "an explicit deny in a session policy",
      [policy(allow("*"), deny("ecs:DescribeClusters"))],
      "ecs:DescribeClusters",
      "explicit",
      "session",
    ],
  ];
  for (const [name, session, action, want, source] of cases) {
    it(name, () => {
      const d = evaluate({ action, resource: "*", context: new Map(), identity: role, session });
      assert.equal(outcome(d), want);
      if (source && !d.allowed) assert.equal(d.source, source);
    });
  }
});

describe("trust policies (resource-based)", () => {
  const ROLE = `arn:aws:iam::${ACCT}:role/deploy`;
  const trust = (principal: unknown, extra: Stmt = {}) =>
    compilePolicy(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole", ...extra }],
      }),
      "trust",
    );
  const alice: PrincipalInfo = { accountId: ACCT, arn: ALICE };
  const session: PrincipalInfo = {
    accountId: ACCT,
    arn: `arn:aws:sts::${ACCT}:assumed-role/ci/run-1`,
    roleArn: `arn:aws:iam::${ACCT}:role/ci`,
  };
  const grant = [policy(allow("sts:AssumeRole", ROLE))];
  const cases: [string, CompiledPolicy, PrincipalInfo, CompiledPolicy[], Outcome, Record<string, string>?][] =
    [
      [
        "the user named in the trust policy, without an identity policy",
        trust({ AWS: ALICE }),
        alice,
        [],
        "allow",
      ],
      ["another user is refused", trust({ AWS: `arn:aws:iam::${ACCT}:user/bob` }), alice, grant, "implicit"],
      [
        "the account as principal needs an identity-based allow too (absent)",
        trust({ AWS: `arn:aws:iam::${ACCT}:root` }),
        alice,
        [],
        "implicit",
      ],
      ["the account as principal with an identity-based allow", trust({ AWS: ACCT }), alice, grant, "allow"],
      [
        "a role session trusted through its role",
        trust({ AWS: `arn:aws:iam::${ACCT}:role/ci` }),
        session,
        [],
        "allow",
      ],
      ["Principal *", trust("*"), alice, [], "allow"],
      [
        "a service principal does not match a user",
        trust({ Service: "ecs-tasks.amazonaws.com" }),
        alice,
        grant,
        "implicit",
      ],
      [
        "ExternalId condition satisfied",
        trust({ AWS: ALICE }, { Condition: { StringEquals: { "sts:ExternalId": "s3cret" } } }),
        alice,
        [],
        "allow",
        { "sts:ExternalId": "s3cret" },
      ],
      [
        "ExternalId condition missing",
        trust({ AWS: ALICE }, { Condition: { StringEquals: { "sts:ExternalId": "s3cret" } } }),
        alice,
        [],
        "implicit",
      ],
      [
        "an identity-based deny overrides the trust policy",
        trust({ AWS: ALICE }),
        alice,
        [policy(deny("sts:*"))],
        "explicit",
      ],
    ];
  for (const [name, tp, principal, identity, want, ctx] of cases) {
    it(name, () => {
      const d = evaluate({
        action: "sts:AssumeRole",
        resource: ROLE,
        context: contextOf(ctx ?? {}),
        identity,
        resourcePolicy: { policy: tp, principal, required: true },
      });
      assert.equal(outcome(d), want);
    });
  }
  it("a service principal matches that service", () => {
    const d = evaluate({
      action: "sts:AssumeRole",
      resource: ROLE,
      context: new Map(),
      identity: [],
      resourcePolicy: {
        policy: trust({ Service: ["ecs-tasks.amazonaws.com"] }),
        principal: { accountId: ACCT, service: "ecs-tasks.amazonaws.com" },
        required: true,
      },
    });
    assert.equal(d.allowed, true);
  });
});

describe("AccessDenied wording", () => {
  const denied = (d: Decision) => {
    assert.equal(d.allowed, false);
    return d as Exclude<Decision, { allowed: true }>;
  };
  it("implicit deny names the missing identity-based allow", () => {
    const d = denied(
      evaluate({ action: "ecs:ListClusters", resource: "*", context: new Map(), identity: [] }),
    );
    assert.equal(
      accessDeniedMessage(ALICE, "ecs:ListClusters", "*", d),
      `User: ${ALICE} is not authorized to perform: ecs:ListClusters on resource: * because no identity-based policy allows the ecs:ListClusters action`,
    );
  });
  it("explicit deny says so", () => {
    const d = denied(
      evaluate({
        action: "ecs:ListClusters",
        resource: "*",
        context: new Map(),
        identity: [policy(allow("*"), deny("ecs:*"))],
      }),
    );
    assert.equal(
      accessDeniedMessage(ALICE, "ecs:ListClusters", "*", d),
      `User: ${ALICE} is not authorized to perform: ecs:ListClusters on resource: * with an explicit deny in an identity-based policy`,
    );
  });
  it("a session policy's implicit deny", () => {
    const d = denied(
      evaluate({
        action: "ecs:ListClusters",
        resource: "*",
        context: new Map(),
        identity: [policy(allow("*"))],
        session: [],
      }),
    );
    assert.match(
      accessDeniedMessage(ALICE, "ecs:ListClusters", "*", d),
      /because no session policy allows the ecs:ListClusters action$/,
    );
  });
  it("a trust policy's denial has no reason", () => {
    const d: Decision = { allowed: false, explicit: false, source: "resource", required: true };
    assert.equal(
      accessDeniedMessage(ALICE, "sts:AssumeRole", "arn:aws:iam::123456789012:role/r", d),
      `User: ${ALICE} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/r`,
    );
  });
});

describe("policy grammar", () => {
  const bad: [string, unknown, string, ("identity" | "trust")?][] = [
    ["not JSON", "{", "This policy contains invalid Json"],
    ["no Effect", { Statement: [{ Action: "*", Resource: "*" }] }, "Missing required field Effect"],
    [
      "no actions",
      { Statement: [{ Effect: "Allow", Resource: "*" }] },
      "Policy statement must contain actions.",
    ],
    [
      "no resources",
      { Statement: [{ Effect: "Allow", Action: "*" }] },
      "Policy statement must contain resources.",
    ],
    [
      "a principal in an identity policy",
      { Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] },
      "Policy document should not specify a principal.",
    ],
    [
      "an action without a vendor",
      { Statement: [{ Effect: "Allow", Action: "ListClusters", Resource: "*" }] },
      "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
    ],
    [
      "an action with two colons",
      { Statement: [{ Effect: "Allow", Action: "ecs:a:b", Resource: "*" }] },
      "Actions/Condition can contain only one colon.",
    ],
    [
      "a resource that is not an ARN",
      { Statement: [{ Effect: "Allow", Action: "*", Resource: "cluster/x" }] },
      'Resource cluster/x must be in ARN format or "*".',
    ],
    [
      "Action and NotAction together",
      { Statement: [{ Effect: "Allow", Action: "*", NotAction: "iam:*", Resource: "*" }] },
      "Syntax errors in policy.",
    ],
    [
      "an unknown element",
      { Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Foo: 1 }] },
      "Syntax errors in policy.",
    ],
    [
      "an unknown condition operator",
      {
        Statement: [
          {
            Effect: "Allow",
            Action: "*",
            Resource: "*",
            Condition: { StringSortOf: { "aws:username": "a" } },
          },
        ],
      },
      "Syntax errors in policy.",
    ],
    [
      "a wrong-case effect",
      { Statement: [{ Effect: "allow", Action: "*", Resource: "*" }] },
      "The policy failed legacy parsing",
    ],
    [
      "duplicate Sids",
      {
        Statement: [
          { Sid: "a", Effect: "Allow", Action: "*", Resource: "*" },
          { Sid: "a", Effect: "Deny", Action: "*", Resource: "*" },
        ],
      },
      "Statement IDs (SID) in a single policy must be unique.",
    ],
    [
      "an unknown Version",
      { Version: "2020-01-01", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
      "Syntax errors in policy.",
    ],
    [
      "a trust policy without a principal",
      { Statement: [{ Effect: "Allow", Action: "sts:AssumeRole" }] },
      "Missing required field Principal",
      "trust",
    ],
    [
      "a trust policy with a resource",
      { Statement: [{ Effect: "Allow", Principal: "*", Action: "sts:AssumeRole", Resource: "*" }] },
      "Has prohibited field Resource",
      "trust",
    ],
    ...["constructor", "toString", "__proto__", "hasOwnProperty"].map(
      (type): [string, string, string, "trust"] => [
        `a principal type named ${type}`,
        `{"Statement":[{"Effect":"Allow","Principal":{"${type}":"*"},"Action":"sts:AssumeRole"}]}`,
        `Invalid principal in policy: "${type}"`,
        "trust",
      ],
    ),
    [
      "a trust policy with a bad AWS principal",
      { Statement: [{ Effect: "Allow", Principal: { AWS: "alice" }, Action: "sts:AssumeRole" }] },
      'Invalid principal in policy: "AWS":"alice"',
      "trust",
    ],
  ];
  for (const [name, doc, message, kind] of bad) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parsePolicyDocument(typeof doc === "string" ? doc : JSON.stringify(doc), kind ?? "identity"),
        (err: unknown) =>
          err instanceof AwsError &&
          err.def.code === "MalformedPolicyDocumentException" &&
          err.message === message,
      );
    });
  }
  it("accepts a single statement object and single strings", () => {
    const spec = parsePolicyDocument(
      JSON.stringify({
        Version: "2012-10-17",
        Statement: { Effect: "Allow", Action: "ecs:*", Resource: "*" },
      }),
      "identity",
    );
    assert.deepEqual(spec.statements[0]?.action, ["ecs:*"]);
  });
});
