/** Pure rules of SSM names, selectors and filters, Secrets Manager stages, filters and passwords. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coralPath } from "../../src/domain/constraints.js";
import { matchesFilters, words } from "../../src/domain/secretsmanager/filters.js";
import { attachStages, detachStage, overflow } from "../../src/domain/secretsmanager/stages.js";
import { matchesAll, validateFilters } from "../../src/domain/ssm/filters.js";
import {
  isValidLabel,
  levels,
  parameterArn,
  parseReference,
  validateNewName,
} from "../../src/domain/ssm/names.js";
import { AwsError } from "../../src/errors/catalog.js";
import { randomPassword } from "../../src/services/secretsmanager/password.js";

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof AwsError ? `${err.def.code}: ${err.message}` : String(err);
  }
  return "ok";
};

describe("SSM names", () => {
  it("accepts flat names and paths up to 15 levels", () => {
    assert.equal(
      code(() => validateNewName("db-password")),
      "ok",
    );
    assert.equal(
      code(() => validateNewName("/a/b_c/d.e-f")),
      "ok",
    );
    const fifteen = `/${Array.from({ length: 15 }, (_, i) => `l${i}`).join("/")}`;
    assert.equal(levels(fifteen), 15);
    assert.equal(
      code(() => validateNewName(fifteen)),
      "ok",
    );
    assert.match(
      code(() => validateNewName(`${fifteen}/x`)),
      /^HierarchyLevelLimitExceededException: A hierarchy can have a maximum of 15 levels/,
    );
  });

  it("refuses reserved prefixes, relative paths and bad characters with SSM's wording", () => {
    assert.match(
      code(() => validateNewName("awsThing")),
      /^ValidationException: Parameter name: can't be prefixed with "aws" or "ssm"/,
    );
    assert.match(
      code(() => validateNewName("SSM-x")),
      /^ValidationException: Parameter name: can't be prefixed/,
    );
    assert.match(
      code(() => validateNewName("/aws/x/y")),
      /^AccessDeniedException: No access to reserved parameter name: \/aws\/x\/y\./,
    );
    assert.match(
      code(() => validateNewName("/ssm/x")),
      /If formed as a path/,
    );
    assert.match(
      code(() => validateNewName("a/b")),
      /If formed as a path/,
    );
    assert.match(
      code(() => validateNewName("/a//b")),
      /If formed as a path/,
    );
    assert.match(
      code(() => validateNewName("has space")),
      /If formed as a path/,
    );
  });

  it("parses names, ARNs and selectors", () => {
    assert.deepEqual(parseReference("/a/b", "us-east-1", "000000000000"), { name: "/a/b" });
    assert.deepEqual(parseReference("/a/b:3", "us-east-1", "000000000000"), {
      name: "/a/b",
      selector: { version: 3 },
      selectorText: ":3",
    });
    assert.deepEqual(parseReference("flat:prod", "us-east-1", "000000000000")?.selector, { label: "prod" });
    const arn = parameterArn("us-east-1", "000000000000", "/a/b");
    assert.equal(arn, "arn:aws:ssm:us-east-1:000000000000:parameter/a/b");
    assert.deepEqual(parseReference(`${arn}:2`, "us-east-1", "000000000000")?.name, "/a/b");
    assert.equal(
      parseReference("arn:aws:ssm:us-east-1:000000000000:parameter/flat", "us-east-1", "000000000000")?.name,
      "flat",
    );
    assert.equal(parseReference(arn, "eu-west-1", "000000000000"), undefined, "another region");
    assert.equal(parseReference("a:b:c", "us-east-1", "000000000000"), undefined);
  });

  it("labels: letters, digits, . - _; not starting with a digit, aws or ssm", () => {
    for (const ok of ["prod", "Prod-1", "a.b_c"]) assert.ok(isValidLabel(ok), ok);
    for (const bad of ["1st", "awsx", "SSMx", "has space", "x".repeat(101), ""])
      assert.ok(!isValidLabel(bad), bad);
  });

  it("filters: keys per operation, options, values", () => {
    assert.match(
      code(() => validateFilters([{ Key: "Label", Values: ["x"] }], "describe")),
      /^InvalidFilterKey: The following filter key is not valid: Label/,
    );
    assert.match(
      code(() => validateFilters([{ Key: "Name", Values: ["x"] }], "path")),
      /^InvalidFilterKey: .*Valid filter keys include: \[Type, KeyId, Label\]/,
    );
    assert.match(
      code(() => validateFilters([{ Key: "Type", Values: ["Nope"] }], "describe")),
      /^InvalidFilterOption: The following filter value is not valid: Nope/,
    );
    assert.match(
      code(() => validateFilters([{ Key: "Type", Option: "Contains", Values: ["String"] }], "describe")),
      /^InvalidFilterOption/,
    );
    assert.match(
      code(() => validateFilters([{ Key: "Name" }], "describe")),
      /^InvalidFilterValue/,
    );
    assert.match(
      code(() => validateFilters([{ Key: "Bogus", Values: ["x"] }], "describe")),
      /^ValidationException: 1 validation error detected: Value 'Bogus' at 'parameterFilters.1.member.key'/,
    );
    const s = {
      name: "/app/db/pass",
      type: "SecureString",
      tier: "Standard",
      dataType: "text",
      tags: [{ Key: "team", Value: "core" }],
      labels: [],
    };
    assert.ok(matchesAll([{ Key: "Path", Values: ["/app"], Option: "Recursive" }], s));
    assert.ok(!matchesAll([{ Key: "Path", Values: ["/app"] }], s), "OneLevel by default");
    assert.ok(matchesAll([{ Key: "Name", Option: "Contains", Values: ["db"] }], s));
    assert.ok(matchesAll([{ Key: "tag:team" }], s));
    assert.ok(!matchesAll([{ Key: "tag:team", Values: ["other"] }], s));
  });

  it("coral paths name list members as AWS does", () => {
    assert.equal(coralPath("Tags[0]", "Key"), "tags.1.member.key");
    assert.equal(coralPath("", "SecretId"), "secretId");
  });
});

describe("Secrets Manager staging labels", () => {
  const v = (id: string, stages: string[], created = 0) => ({ id, stages, created });

  it("a new AWSCURRENT leaves AWSPREVIOUS on the version it left", () => {
    let versions = attachStages([], v("a", []), ["AWSCURRENT"]);
    versions = attachStages(versions, v("b", [], 1), ["AWSCURRENT"]);
    assert.deepEqual(
      versions.map((x) => [x.id, x.stages]),
      [
        ["a", ["AWSPREVIOUS"]],
        ["b", ["AWSCURRENT"]],
      ],
    );
    versions = attachStages(versions, v("c", [], 2), ["AWSCURRENT"]);
    assert.deepEqual(
      versions.map((x) => [x.id, x.stages]),
      [
        ["a", []],
        ["b", ["AWSPREVIOUS"]],
        ["c", ["AWSCURRENT"]],
      ],
    );
  });

  it("custom labels move without touching AWSCURRENT", () => {
    let versions = attachStages([], v("a", []), ["AWSCURRENT"]);
    versions = attachStages(versions, v("b", [], 1), ["one", "two", "three"]);
    versions = attachStages(versions, v("c", [], 2), ["one", "two", "four"]);
    assert.deepEqual(
      versions.map((x) => [x.id, x.stages]),
      [
        ["a", ["AWSCURRENT"]],
        ["b", ["three"]],
        ["c", ["one", "two", "four"]],
      ],
    );
  });

  it("moving AWSCURRENT onto the AWSPENDING version keeps AWSPENDING there", () => {
    let versions = attachStages([], v("a", []), ["AWSCURRENT"]);
    versions = attachStages(versions, v("b", [], 1), ["AWSPENDING"]);
    versions = attachStages(versions, versions[1]!, ["AWSCURRENT"]);
    assert.deepEqual(
      versions.map((x) => [x.id, x.stages]),
      [
        ["a", ["AWSPREVIOUS"]],
        ["b", ["AWSPENDING", "AWSCURRENT"]],
      ],
    );
    assert.deepEqual(detachStage(versions, "b", "AWSPENDING")[1]!.stages, ["AWSCURRENT"]);
  });

  it("drops the oldest deprecated versions beyond the limit", () => {
    const versions = [v("x", [], 5), v("y", [], 1), v("z", ["AWSCURRENT"], 0), v("w", [], 3)];
    assert.deepEqual(
      overflow(versions, 1).map((x) => x.id),
      ["y", "w"],
    );
  });
});

describe("Secrets Manager list filters", () => {
  const s = {
    name: "prod/db-Password",
    description: "Main Database",
    tags: [{ Key: "team", Value: "core" }],
  };
  it("prefix, case and negation rules", () => {
    assert.ok(matchesFilters([{ Key: "name", Values: ["prod/"] }], s));
    assert.ok(!matchesFilters([{ Key: "name", Values: ["Prod/"] }], s), "name is case-sensitive");
    assert.ok(matchesFilters([{ Key: "description", Values: ["main"] }], s));
    assert.ok(matchesFilters([{ Key: "tag-key", Values: ["te"] }], s));
    assert.ok(!matchesFilters([{ Key: "name", Values: ["!prod"] }], s));
    assert.ok(matchesFilters([{ Key: "all", Values: ["password"] }], s));
    assert.ok(matchesFilters([{ Key: "all", Values: ["data"] }], s));
    assert.deepEqual(words("db-Password"), ["db", "Password"]);
  });
});

describe("GetRandomPassword", () => {
  it("draws from the asked classes and includes each when required", () => {
    const p = randomPassword({ PasswordLength: 40, ExcludePunctuation: true, ExcludeCharacters: "abc" });
    assert.equal(p.length, 40);
    assert.match(p, /^[d-zA-Z0-9]+$/);
    assert.match(p, /[0-9]/);
    assert.match(p, /[A-Z]/);
    assert.match(
      code(() => randomPassword({ PasswordLength: 2 })),
      /Password length is too short/,
    );
    assert.equal(
      randomPassword({
        PasswordLength: 8,
        ExcludeLowercase: true,
        ExcludeUppercase: true,
        ExcludePunctuation: true,
      }).replace(/\d/g, ""),
      "",
    );
  });
});
