/**
 * Pure ECR rules: lifecycle evaluation, repository policies (validation, and their evaluation as
 * resource-based policies with the shared IAM evaluator), tag mutability, names, manifests.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  evaluateLifecycle,
  LifecyclePolicyInvalid,
  type LifecycleRule,
  parseLifecyclePolicy,
} from "../../src/domain/ecr/lifecycle.js";
import { isTagMutable, mutabilityProblem, tagPatternMatch } from "../../src/domain/ecr/mutability.js";
import { isRepositoryName, parseRegistryImage, parseRepositoryPath } from "../../src/domain/ecr/names.js";
import {
  compileRepositoryPolicy,
  PolicyInvalid,
  parsePolicy,
  validateRepositoryPolicy,
} from "../../src/domain/ecr/policy.js";
import { type CompiledPolicy, compilePolicy, type PrincipalInfo } from "../../src/domain/iam/compile.js";
import { contextOf } from "../../src/domain/iam/context.js";
import { type Decision, evaluate } from "../../src/domain/iam/evaluate.js";
import { ManifestInvalid, parseManifest } from "../../src/registry/manifest.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const rule = (p: number, selection: Partial<LifecycleRule["selection"]>): LifecycleRule => ({
  rulePriority: p,
  selection: {
    tagStatus: "any",
    countType: "imageCountMoreThan",
    countNumber: 1,
    ...selection,
  } as LifecycleRule["selection"],
  action: { type: "expire" },
});
const img = (digest: string, daysAgo: number, ...tags: string[]) => ({
  digest,
  tags,
  pushedAt: NOW - daysAgo * DAY,
});

describe("lifecycle rules", () => {
  it("keeps the newest N selected images with imageCountMoreThan", () => {
    const images = [img("a", 1), img("b", 2), img("c", 3), img("d", 4)];
    const out = evaluateLifecycle([rule(1, { countNumber: 2 })], images, NOW);
    assert.deepEqual(
      out.map((d) => d.digest),
      ["d", "c"],
    );
    assert.ok(out.every((d) => d.rulePriority === 1));
  });

  it("expires images older than N days with sinceImagePushed", () => {
    const images = [img("a", 1), img("b", 5), img("c", 6)];
    const out = evaluateLifecycle(
      [rule(1, { countType: "sinceImagePushed", countUnit: "days", countNumber: 5 })],
      images,
      NOW + 1,
    );
    assert.deepEqual(
      out.map((d) => d.digest),
      ["c", "b"],
    );
  });

  it("selects tagged images by every prefix or pattern, untagged ones by having no tag", () => {
    const images = [img("a", 1, "prod-1", "web"), img("b", 2, "prod-2"), img("c", 3), img("d", 4, "webprod")];
    const both = evaluateLifecycle(
      [rule(1, { tagStatus: "tagged", tagPrefixList: ["prod", "web"], countNumber: 0 + 1 })],
      images,
      NOW,
    );
    assert.deepEqual(both, [], "only a has both prefixes, and one is kept");
    const pattern = evaluateLifecycle(
      [rule(1, { tagStatus: "tagged", tagPatternList: ["*prod*"], countNumber: 1 })],
      images,
      NOW,
    );
    assert.deepEqual(pattern.map((d) => d.digest).sort(), ["b", "d"]);
    const untagged = evaluateLifecycle(
      [rule(1, { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 1 })],
      images,
      NOW,
    );
    assert.deepEqual(
      untagged.map((d) => d.digest),
      ["c"],
    );
  });

  it("matches tag patterns with `*` only, whole tags, against the longest tags", () => {
    // At most four wildcards and 128-character tags: as a RegExp this was slow, never endless.
    const long = "a".repeat(128);
    const images = [
      img("a", 1, long),
      img("b", 2, `${long.slice(1)}b`),
      img("c", 3, "v1.2"),
      img("d", 4, "v1x2"),
    ];
    const select = (pattern: string) =>
      evaluateLifecycle(
        [rule(1, { tagStatus: "tagged", tagPatternList: [pattern], countNumber: 0 + 1 })],
        images,
        NOW,
      )
        .map((d) => d.digest)
        .sort();
    assert.deepEqual(select("*a*a*a*b"), [], "only b matches, and one is kept");
    assert.deepEqual(select("*a*a*a*"), ["b"], "a and b match; the older one expires");
    assert.deepEqual(select("v1.2"), [], "only c: a dot is no wildcard");
    assert.deepEqual(select("v1?2"), [], "`?` is no wildcard either");
  });

  it("never lets a lower-priority rule expire an image a higher rule selected, but still counts it", () => {
    const images = [img("p1", 1, "prod"), img("p2", 2, "prod2"), img("x", 3), img("y", 4)];
    // Rule 1 keeps both prod images; rule 2 keeps 2 of all 4 — counting p1 and p2 — so x and y go.
    const out = evaluateLifecycle(
      [
        rule(1, { tagStatus: "tagged", tagPrefixList: ["prod"], countNumber: 5 }),
        rule(2, { countNumber: 2 }),
      ],
      images,
      NOW,
    );
    assert.deepEqual(
      out.map((d) => [d.digest, d.rulePriority]),
      [
        ["y", 2],
        ["x", 2],
      ],
    );
    // Were the prod images not protected, rule 2 with countNumber 1 would also take p2.
    const out2 = evaluateLifecycle(
      [
        rule(1, { tagStatus: "tagged", tagPrefixList: ["prod"], countNumber: 5 }),
        rule(2, { countNumber: 1 }),
      ],
      images,
      NOW,
    );
    assert.deepEqual(out2.map((d) => d.digest).sort(), ["x", "y"]);
  });

  it("validates policies as ECR does", () => {
    const ok = JSON.stringify({
      rules: [
        {
          rulePriority: 2,
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 3 },
          action: { type: "expire" },
        },
      ],
    });
    assert.equal(parseLifecyclePolicy(ok)[0]!.rulePriority, 2);
    const bad = [
      "not json",
      JSON.stringify({ rules: [] }),
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: "tagged", countType: "imageCountMoreThan", countNumber: 1 },
            action: { type: "expire" },
          },
        ],
      }),
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: "untagged",
              tagPrefixList: ["x"],
              countType: "imageCountMoreThan",
              countNumber: 1,
            },
            action: { type: "expire" },
          },
        ],
      }),
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: "any", countType: "sinceImagePushed", countNumber: 1 },
            action: { type: "expire" },
          },
        ],
      }),
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 0 },
            action: { type: "expire" },
          },
        ],
      }),
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 1 },
            action: { type: "archive" },
          },
        ],
      }),
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: "tagged",
              tagPatternList: ["*a*b*c*d*e*"],
              countType: "imageCountMoreThan",
              countNumber: 1,
            },
            action: { type: "expire" },
          },
        ],
      }),
      JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 1 },
            action: { type: "expire" },
          },
          {
            rulePriority: 1,
            selection: { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: 2 },
            action: { type: "expire" },
          },
        ],
      }),
    ];
    for (const b of bad) assert.throws(() => parseLifecyclePolicy(b), LifecyclePolicyInvalid, b);
  });
});

describe("repository policies", () => {
  const ACCT = "111111111111";
  const REPO = `arn:aws:ecr:us-east-1:${ACCT}:repository/x`;
  const alice: PrincipalInfo = { accountId: ACCT, arn: `arn:aws:iam::${ACCT}:user/alice` };
  const session: PrincipalInfo = {
    accountId: ACCT,
    arn: `arn:aws:sts::${ACCT}:assumed-role/ci/run-1`,
    roleArn: `arn:aws:iam::${ACCT}:role/ci`,
  };
  const repoPolicy = (...Statement: Record<string, unknown>[]) =>
    compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement }), "resource");
  const identity = (...Statement: Record<string, unknown>[]) =>
    compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement }), "identity");
  const outcome = (d: Decision) => (d.allowed ? "allow" : d.explicit ? `explicit ${d.source}` : "implicit");
  /** Same-account evaluation, as the gateway and the registry route make it. */
  const decide = (
    policy: CompiledPolicy,
    who: PrincipalInfo,
    action: string,
    o: { identity?: CompiledPolicy[]; session?: CompiledPolicy[]; ip?: string } = {},
  ) =>
    outcome(
      evaluate({
        action,
        resource: REPO,
        context: contextOf({ "aws:SourceIp": o.ip ?? "10.0.0.1" }),
        identity: o.identity ?? [],
        session: o.session,
        resourcePolicy: { policy, principal: who, required: false },
      }),
    );

  it("grants a principal it names, with no identity policy; a Deny wins over any Allow", () => {
    const p = repoPolicy(
      { Effect: "Allow", Principal: { AWS: alice.arn }, Action: "ecr:Batch*" },
      { Effect: "Deny", Principal: { AWS: ACCT }, Action: ["ecr:BatchDeleteImage"] },
    );
    assert.equal(decide(p, alice, "ecr:BatchGetImage"), "allow");
    assert.equal(decide(p, alice, "ecr:BatchDeleteImage"), "explicit resource");
    assert.equal(decide(p, alice, "ecr:PutImage"), "implicit");
    // The Deny names the account, so it binds every principal in it, identity allows or not.
    assert.equal(
      decide(p, alice, "ecr:BatchDeleteImage", {
        identity: [identity({ Effect: "Allow", Action: "*", Resource: "*" })],
      }),
      "explicit resource",
    );
    assert.equal(
      decide(
        p,
        { accountId: "222222222222", arn: "arn:aws:iam::222222222222:user/bob" },
        "ecr:BatchGetImage",
      ),
      "implicit",
    );
  });

  it("an identity Deny beats the repository policy's Allow; an identity Allow suffices on its own", () => {
    const p = repoPolicy({ Effect: "Allow", Principal: "*", Action: "ecr:*" });
    const denyPull = identity({ Effect: "Deny", Action: "ecr:BatchGetImage", Resource: REPO });
    assert.equal(decide(p, alice, "ecr:BatchGetImage", { identity: [denyPull] }), "explicit identity");
    const none = repoPolicy({
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::111111111111:user/bob" },
      Action: "*",
    });
    const pull = identity({ Effect: "Allow", Action: "ecr:BatchGetImage", Resource: REPO });
    assert.equal(decide(none, alice, "ecr:BatchGetImage", { identity: [pull] }), "allow");
  });

  it("naming the account delegates to identity policies; naming a role honours session policies", () => {
    const account = repoPolicy({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCT}:root` },
      Action: "ecr:*",
    });
    assert.equal(decide(account, alice, "ecr:BatchGetImage"), "implicit");
    const role = repoPolicy({ Effect: "Allow", Principal: { AWS: session.roleArn }, Action: "ecr:*" });
    assert.equal(decide(role, session, "ecr:BatchGetImage"), "allow");
    const narrow = identity({ Effect: "Allow", Action: "ecr:DescribeImages", Resource: "*" });
    assert.equal(decide(role, session, "ecr:BatchGetImage", { session: [narrow] }), "implicit");
  });

  it("evaluates conditions", () => {
    const p = repoPolicy({
      Effect: "Allow",
      Principal: "*",
      Action: "ecr:BatchGetImage",
      Condition: { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } },
    });
    assert.equal(decide(p, alice, "ecr:BatchGetImage", { ip: "10.1.2.3" }), "allow");
    assert.equal(decide(p, alice, "ecr:BatchGetImage", { ip: "192.168.1.1" }), "implicit");
  });

  it("refuses malformed policies with ECR's or IAM's reason", () => {
    validateRepositoryPolicy(
      JSON.stringify({ Statement: { Effect: "Allow", Principal: "*", Action: "ecr:*", Resource: REPO } }),
    );
    for (const bad of [
      "{",
      "[]",
      '{"Statement":[]}',
      '{"Statement":[{"Effect":"Allow","Action":"*"}]}',
      '{"Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"*"}]}',
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Maybe":{"aws:x":"1"}}}]}',
      '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"nokey":"1"}}}]}',
    ]) {
      assert.throws(() => validateRepositoryPolicy(bad), PolicyInvalid, bad);
    }
    assert.throws(() => parsePolicy('{"Statement":[{"Effect":"Allow","Principal":"*"}]}'), PolicyInvalid);
  });

  it("a stored policy that no longer compiles denies everything but managing the policy", () => {
    const p = compileRepositoryPolicy("not json", (t) => compilePolicy(t, "resource"));
    assert.equal(
      decide(p, alice, "ecr:BatchGetImage", {
        identity: [identity({ Effect: "Allow", Action: "*", Resource: "*" })],
      }),
      "explicit resource",
    );
    assert.equal(
      decide(p, alice, "ecr:DeleteRepositoryPolicy", {
        identity: [identity({ Effect: "Allow", Action: "*", Resource: "*" })],
      }),
      "allow",
    );
  });
});

describe("tag mutability, names and manifests", () => {
  it("applies exclusion filters both ways", () => {
    assert.equal(tagPatternMatch("dev-*", "dev-1"), true);
    assert.equal(tagPatternMatch("dev-*", "xdev-1"), false);
    const f = [{ filterType: "WILDCARD" as const, filter: "dev-*" }];
    assert.equal(
      isTagMutable(
        { imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters: f },
        "dev-1",
      ),
      true,
    );
    assert.equal(
      isTagMutable(
        { imageTagMutability: "IMMUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters: f },
        "v1",
      ),
      false,
    );
    assert.equal(
      isTagMutable(
        { imageTagMutability: "MUTABLE_WITH_EXCLUSION", imageTagMutabilityExclusionFilters: f },
        "dev-1",
      ),
      false,
    );
    // A pathological filter (exponential as a backtracking RegExp) against the longest tag.
    const stars = [{ filterType: "WILDCARD" as const, filter: `${"*a".repeat(12)}*b` }];
    const repo = {
      imageTagMutability: "IMMUTABLE_WITH_EXCLUSION" as const,
      imageTagMutabilityExclusionFilters: stars,
    };
    assert.equal(isTagMutable(repo, "a".repeat(128)), false);
    assert.equal(isTagMutable(repo, `${"a".repeat(127)}b`), true);
    assert.equal(tagPatternMatch("v?", "v1"), false, "`?` is no wildcard");
    assert.ok(mutabilityProblem("IMMUTABLE_WITH_EXCLUSION", []));
    assert.ok(mutabilityProblem("MUTABLE", f));
    assert.ok(mutabilityProblem("MUTABLE_WITH_EXCLUSION", [{ filterType: "WILDCARD", filter: "a b" }]));
  });
  it("accepts ECR repository names and registry paths only", () => {
    for (const ok of ["ab", "a/b", "team/app-1", "a.b_c/d"]) assert.equal(isRepositoryName(ok), true, ok);
    for (const bad of ["a", "A/b", "a//b", "/a", "a/", "../a", "a/..", "a b", "a:b"])
      assert.equal(isRepositoryName(bad), false, bad);
    assert.deepEqual(parseRepositoryPath("us-east-1/team/app"), { registry: "us-east-1", name: "team/app" });
    assert.deepEqual(parseRepositoryPath("public/app"), { registry: "public", name: "app" });
    assert.equal(parseRepositoryPath("team/app"), undefined);
    const host = "127.0.0.1:4747";
    assert.deepEqual(parseRegistryImage(`${host}/us-east-1/team/app:v1`, host), {
      registry: "us-east-1",
      name: "team/app",
      reference: "v1",
    });
    assert.deepEqual(parseRegistryImage(`${host}/public/app`, host), {
      registry: "public",
      name: "app",
      reference: "latest",
    });
    const d = `sha256:${"b".repeat(64)}`;
    assert.deepEqual(parseRegistryImage(`${host}/eu-west-1/app@${d}`, host), {
      registry: "eu-west-1",
      name: "app",
      reference: d,
    });
    assert.equal(parseRegistryImage("busybox:latest", host), undefined);
    assert.equal(parseRegistryImage(`${host}/app:v1`, host), undefined);
  });
  it("reads manifests of every supported type and refuses the rest", () => {
    const d = `sha256:${"a".repeat(64)}`;
    const list = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
          manifests: [
            { mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: d, size: 1 },
          ],
        }),
      ),
      undefined,
    );
    assert.deepEqual(
      list.manifests.map((m) => m.digest),
      [d],
    );
    const noType = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: d, size: 2 },
          layers: [],
        }),
      ),
      "application/vnd.oci.image.manifest.v1+json",
    );
    assert.equal(noType.mediaType, "application/vnd.oci.image.manifest.v1+json");
    const art = parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.example.thing", digest: d, size: 2 },
          layers: [],
        }),
      ),
      undefined,
    );
    assert.equal(art.artifactType, "application/vnd.example.thing");
    assert.throws(() => parseManifest(Buffer.from([0xff, 0xfe]), undefined), ManifestInvalid);
    assert.throws(
      () =>
        parseManifest(
          Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              mediaType: "application/vnd.oci.image.index.v1+json",
              manifests: [],
            }),
          ),
          "application/vnd.oci.image.manifest.v1+json",
        ),
      ManifestInvalid,
    );
    assert.throws(
      () =>
        parseManifest(
          Buffer.from(JSON.stringify({ schemaVersion: 1, name: "x" })),
          "application/vnd.docker.distribution.manifest.v1+json",
        ),
      ManifestInvalid,
    );
  });
});
