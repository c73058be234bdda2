/**
 * Authorization benchmark (issue: IAM). In-process: a Berth with an IAM user holding 20 policies
 * (10 customer managed, attached, and 10 inline; 3-6 realistic statements each, with wildcards,
 * resource ARNs, NotAction, conditions and denies), created through the IAM API. The gateway's
 * authorization step (the Authorizer the gateway calls: resolve the operation's resources, fetch
 * the caller's compiled policies, evaluate) runs for many requests with varied actions and
 * resources, timed one by one: one mix of ECS and IAM requests, one of SSM, Secrets Manager, KMS
 * and CloudWatch Logs requests (parameters, secrets, keys and log groups that exist, so names,
 * aliases and ciphertexts are resolved), one of ECR API requests on repositories with and without
 * a repository policy; and the registry's (/v2/) per-request check of pulls and pushes. Goal: p99
 * ≤ 50 µs.
 *
 * Baselines in the same run: the same loop for the root user (authorization skipped; for ECR,
 * only the repository policy's Deny is evaluated), and the cost after an IAM change (the caller's
 * policies reloaded from the store). Then, for scale, whole SDK requests over HTTP for the user
 * and for root.
 *
 *   node dist/bench/authz.js [--requests 50000]
 */
import { parseArgs } from "node:util";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateRepositoryCommand, SetRepositoryPolicyCommand } from "@aws-sdk/client-ecr";
import { CreateClusterCommand, ListClustersCommand } from "@aws-sdk/client-ecs";
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  PutUserPolicyCommand,
  TagUserCommand,
} from "@aws-sdk/client-iam";
import { CreateAliasCommand, CreateKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { CreateSecretCommand } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { type AuthorizationRequest, createAuthorizer } from "../src/authz/authorizer.js";
import { callerPolicyCache } from "../src/authz/caller-policies.js";
import { AwsError } from "../src/errors/catalog.js";
import type { Principal } from "../src/identity/principal.js";
import { iamRepositoryAuthorizer, type RepositoryAccess } from "../src/registry/authorizer.js";
import { K, repoKey } from "../src/state/ecr/kinds.js";
import type { RepositoryRecord } from "../src/state/ecr/records.js";
import { watchIam } from "../src/state/iam/watch.js";
import { startBerth } from "../test/helpers/berth.js";
import { ecr } from "../test/helpers/registry.js";
import { fmt, machine, percentile, table } from "./lib.js";

const { values } = parseArgs({ options: { requests: { type: "string", default: "50000" } } });
const REQUESTS = Number(values.requests);
const ACCT = "000000000000";
const REGION = "us-east-1";

const doc = (...statements: Record<string, unknown>[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });

/**
 * Small inline policies: IAM allows 2048 characters of inline policy per user in all, so teams
 * keep them to one or two statements.
 */
function inlinePolicies(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 10; i++) {
    const stmt =
      i % 3 === 0
        ? { Effect: "Allow", Action: `ecs:Describe*`, Resource: `arn:aws:ecs:*:${ACCT}:cluster/t${i}-*` }
        : i % 3 === 1
          ? {
              Effect: "Deny",
              Action: "ecs:StopTask",
              Resource: "*",
              Condition: { StringEquals: { "aws:RequestedRegion": "ap-south-1" } },
            }
          : {
              Effect: "Allow",
              Action: ["logs:PutLogEvents"],
              Resource: `arn:aws:logs:*:${ACCT}:log-group:/t${i}:*`,
            };
    out.push(doc(stmt));
  }
  return out;
}

/** Ten managed policies of the kind teams write: per service, per environment, guard rails. */
function policies(): string[] {
  const out: string[] = [];
  const envs = ["prod", "staging", "dev", "qa", "perf"];
  for (let i = 0; i < 10; i++) {
    const env = envs[i % envs.length]!;
    const team = `team${i}`;
    switch (i % 5) {
      case 0:
        out.push(
          doc(
            { Sid: "Read", Effect: "Allow", Action: ["ecs:Describe*", "ecs:List*"], Resource: "*" },
            {
              Sid: "Run",
              Effect: "Allow",
              Action: ["ecs:RunTask", "ecs:StopTask"],
              Resource: [
                `arn:aws:ecs:*:${ACCT}:task-definition/${team}-*`,
                `arn:aws:ecs:*:${ACCT}:task/${env}/*`,
              ],
              Condition: { ArnLike: { "ecs:cluster": `arn:aws:ecs:*:${ACCT}:cluster/${env}` } },
            },
            {
              Sid: "Clusters",
              Effect: "Allow",
              Action: "ecs:UpdateCluster*",
              Resource: `arn:aws:ecs:${REGION}:${ACCT}:cluster/${env}`,
            },
          ),
        );
        break;
      case 1:
        out.push(
          doc(
            {
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: `arn:aws:logs:*:${ACCT}:log-group:/ecs/${team}:*`,
            },
            {
              Effect: "Allow",
              Action: ["logs:Describe*", "logs:Get*", "logs:FilterLogEvents"],
              Resource: "*",
            },
            {
              Effect: "Deny",
              Action: "logs:DeleteLogGroup",
              Resource: "*",
              Condition: { StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] } },
            },
          ),
        );
        break;
      case 2:
        out.push(
          doc(
            {
              Effect: "Allow",
              Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
              Resource: `arn:aws:ecr:${REGION}:${ACCT}:repository/${team}/*`,
            },
            { Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            {
              Effect: "Allow",
              Action: ["ssm:GetParameter*"],
              Resource: `arn:aws:ssm:${REGION}:${ACCT}:parameter/${env}/${team}/*`,
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
              Effect: "Allow",
              Action: "secretsmanager:GetSecretValue",
              Resource: `arn:aws:secretsmanager:${REGION}:${ACCT}:secret:${env}/${team}/*`,
              Condition: { IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8", "192.168.0.0/16"] } },
            },
          ),
        );
        break;
      case 3:
        out.push(
          doc(
            {
              Effect: "Allow",
              Action: ["iam:GetUser", "iam:ListAccessKeys", "iam:CreateAccessKey", "iam:DeleteAccessKey"],
              Resource: `arn:aws:iam::${ACCT}:user/\${aws:username}`,
            },
            {
              Effect: "Allow",
              Action: ["iam:Get*", "iam:List*"],
              Resource: `arn:aws:iam::${ACCT}:role/${team}/*`,
            },
            {
              Effect: "Allow",
              Action: "ecs:DescribeClusters",
              Resource: "*",
              Condition: { StringEquals: { "aws:ResourceTag/team": team } },
            },
            {
              Effect: "Allow",
              Action: "ecs:TagResource",
              Resource: "*",
              Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "env", "owner"] } },
            },
          ),
        );
        break;
      default:
        out.push(
          doc(
            {
              Sid: "GuardRails",
              Effect: "Deny",
              NotAction: [
                "iam:Get*",
                "iam:List*",
                "sts:GetCallerIdentity",
                "ecs:*",
                "logs:*",
                "ecr:*",
                "ssm:*",
                "secretsmanager:*",
                "kms:Decrypt",
              ],
              Resource: "*",
            },
            {
              Effect: "Deny",
              Action: ["ecs:DeleteCluster", "iam:Delete*", "kms:ScheduleKeyDeletion"],
              Resource: "*",
              Condition: { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
            },
            {
              Effect: "Allow",
              Action: "kms:Decrypt",
              Resource: `arn:aws:kms:${REGION}:${ACCT}:key/*`,
              Condition: { StringLike: { "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` } },
            },
            {
              Effect: "Allow",
              Action: [
                "elasticloadbalancing:Describe*",
                "servicediscovery:Discover*",
                "application-autoscaling:Describe*",
              ],
              Resource: "*",
            },
            {
              Effect: "Allow",
              Action: "ecs:CreateService",
              Resource: "*",
              Condition: { ArnEquals: { "ecs:cluster": `arn:aws:ecs:${REGION}:${ACCT}:cluster/${env}` } },
            },
            {
              Effect: "Allow",
              Action: "ecs:UpdateService",
              Resource: `arn:aws:ecs:${REGION}:${ACCT}:service/${env}/${team}-*`,
            },
          ),
        );
    }
  }
  return out;
}

function stats(ns: bigint[]): { p50: number; p99: number; max: number; mean: number } {
  const us = ns.map((n) => Number(n) / 1000).sort((a, b) => a - b);
  return {
    p50: percentile(us, 50),
    p99: percentile(us, 99),
    max: us.at(-1) ?? Number.NaN,
    mean: us.reduce((a, b) => a + b, 0) / us.length,
  };
}

async function main() {
  const t = await startBerth();
  try {
    const iam = t.iam();
    await iam.send(new CreateUserCommand({ UserName: "bench" }));
    await iam.send(new TagUserCommand({ UserName: "bench", Tags: [{ Key: "team", Value: "team3" }] }));
    const managed = policies();
    const inline = inlinePolicies();
    const docs = [...managed, ...inline];
    for (const [i, d] of managed.entries()) {
      const p = await iam.send(
        new CreatePolicyCommand({ PolicyName: `bench-managed-${i}`, PolicyDocument: d }),
      );
      await iam.send(new AttachUserPolicyCommand({ UserName: "bench", PolicyArn: p.Policy!.Arn }));
    }
    for (const [i, d] of inline.entries()) {
      await iam.send(
        new PutUserPolicyCommand({ UserName: "bench", PolicyName: `bench-inline-${i}`, PolicyDocument: d }),
      );
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "bench" }))).AccessKey!;
    for (const c of ["prod", "dev", "staging"]) {
      await t
        .ecs()
        .send(new CreateClusterCommand({ clusterName: c, tags: [{ key: "team", value: "team3" }] }));
    }

    // Resources of the secrets, keys and logs services, so their resolvers find real records.
    await t.ssm().send(new PutParameterCommand({ Name: "/dev/team2/db", Value: "x", Type: "String" }));
    await t.ssm().send(new PutParameterCommand({ Name: "/prod/api", Value: "x", Type: "String" }));
    for (const name of ["dev/team2/db", "prod/api"]) {
      await t.secretsManager().send(new CreateSecretCommand({ Name: name, SecretString: "x" }));
    }
    const kmsKey = (await t.kms().send(new CreateKeyCommand({}))).KeyMetadata!;
    await t.kms().send(new CreateAliasCommand({ AliasName: "alias/bench", TargetKeyId: kmsKey.KeyId }));
    const blob = (
      await t.kms().send(new EncryptCommand({ KeyId: kmsKey.KeyId, Plaintext: Buffer.from("x") }))
    ).CiphertextBlob!;
    const logs = new CloudWatchLogsClient({
      endpoint: t.url,
      region: REGION,
      credentials: t.credentials,
      maxAttempts: 1,
    });
    for (const g of ["/ecs/team1", "/ecs/other"]) {
      await logs.send(new CreateLogGroupCommand({ logGroupName: g, tags: { team: "team3" } }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: "web/1" }));
    }

    // Repositories: two the user's pull policy covers (team2/*, team7/*), one it does not whose
    // repository policy grants the user pulls and denies everyone deletes, one with neither.
    const repos = ["team2/app", "team7/api", "shared/base", "other/app"];
    for (const name of repos) await ecr(t).send(new CreateRepositoryCommand({ repositoryName: name }));
    await ecr(t).send(
      new SetRepositoryPolicyCommand({
        repositoryName: "shared/base",
        policyText: doc(
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${ACCT}:user/bench` },
            Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
          },
          { Effect: "Deny", Principal: "*", Action: "ecr:BatchDeleteImage" },
        ),
      }),
    );

    const store = t.berth.store;
    const generation = watchIam(store);
    const policyCache = callerPolicyCache({ store, generation });
    const authorizer = createAuthorizer({ policies: policyCache });
    const service = (id: string) => t.berth.services.find((s) => s.id === id)!;
    const ecs = service("ecs");
    const iamSvc = service("iam");
    const user: Principal = {
      arn: `arn:aws:iam::${ACCT}:user/bench`,
      accountId: ACCT,
      userId: "AIDABENCH",
      kind: "user",
      accessKeyId: key.AccessKeyId!,
      userName: "bench",
    };
    // Resolve the real user id so the cache key matches the stored user.
    const stored = await store.read((tx) => tx.get<{ id: string }>("iam.user", "global/bench"));
    const principal: Principal = { ...user, userId: stored!.value.id };
    const root: Principal = {
      arn: `arn:aws:iam::${ACCT}:root`,
      accountId: ACCT,
      userId: ACCT,
      kind: "root",
      accessKeyId: "AKIAROOT",
    };

    // Varied requests: allowed and denied, on "*" and on ARNs, ECS and IAM, with and without conditions.
    const requests: Omit<AuthorizationRequest, "principal" | "now">[] = [];
    const clusters = ["prod", "dev", "staging", "qa"];
    for (let i = 0; i < 64; i++) {
      const c = clusters[i % clusters.length]!;
      const base = { region: REGION, sourceIp: i % 3 === 0 ? "10.1.2.3" : "127.0.0.1" };
      const pick = i % 8;
      if (pick === 0) requests.push({ ...base, service: ecs, operation: "ListClusters", input: {} });
      else if (pick === 1)
        requests.push({ ...base, service: ecs, operation: "DescribeClusters", input: { clusters: [c] } });
      else if (pick === 2)
        requests.push({
          ...base,
          service: ecs,
          operation: "RunTask",
          input: { cluster: c, taskDefinition: `team${i % 20}-web:${i}` },
        });
      else if (pick === 3)
        requests.push({
          ...base,
          service: ecs,
          operation: "StopTask",
          input: { cluster: c, task: `0123456789abcdef${i}` },
        });
      else if (pick === 4)
        requests.push({ ...base, service: ecs, operation: "DeleteCluster", input: { cluster: c } });
      else if (pick === 5)
        requests.push({
          ...base,
          service: ecs,
          operation: "TagResource",
          input: {
            resourceArn: `arn:aws:ecs:${REGION}:${ACCT}:cluster/${c}`,
            tags: [{ key: "team", value: "x" }],
          },
        });
      else if (pick === 6)
        requests.push({ ...base, service: iamSvc, operation: "ListAccessKeys", input: {} });
      else requests.push({ ...base, service: iamSvc, operation: "GetRole", input: { RoleName: `svc-${i}` } });
    }

    // The secrets, keys and logs services: parameters and secrets by name (resolved to their
    // ARNs), keys by id and alias, ciphertext blobs, log streams and groups (tags read).
    const secretRequests: Omit<AuthorizationRequest, "principal" | "now">[] = [];
    const ssm = service("ssm");
    const sm = service("secretsmanager");
    const kms = service("kms");
    const logsSvc = service("logs");
    for (let i = 0; i < 64; i++) {
      const base = { region: REGION, sourceIp: i % 3 === 0 ? "10.1.2.3" : "127.0.0.1" };
      const mine = i % 2 === 0;
      const pick = (i >> 1) % 8;
      if (pick === 0)
        secretRequests.push({
          ...base,
          service: ssm,
          operation: "GetParameter",
          input: { Name: mine ? "/dev/team2/db" : "/prod/api" },
        });
      else if (pick === 1)
        secretRequests.push({
          ...base,
          service: ssm,
          operation: "GetParameters",
          input: { Names: mine ? ["/dev/team2/db", "/dev/team2/x"] : ["/dev/team2/db", "/prod/api"] },
        });
      else if (pick === 2)
        secretRequests.push({
          ...base,
          service: sm,
          operation: "GetSecretValue",
          input: { SecretId: mine ? "dev/team2/db" : "prod/api" },
        });
      else if (pick === 3)
        secretRequests.push({
          ...base,
          service: kms,
          operation: "Decrypt",
          input: { CiphertextBlob: Buffer.from(blob) },
        });
      else if (pick === 4)
        secretRequests.push({
          ...base,
          service: kms,
          operation: "DescribeKey",
          input: { KeyId: mine ? "alias/bench" : kmsKey.KeyId },
        });
      else if (pick === 5)
        secretRequests.push({
          ...base,
          service: logsSvc,
          operation: "PutLogEvents",
          input: { logGroupName: mine ? "/ecs/team1" : "/ecs/other", logStreamName: "web/1", logEvents: [] },
        });
      else if (pick === 6)
        secretRequests.push({
          ...base,
          service: logsSvc,
          operation: "DescribeLogStreams",
          input: { logGroupName: mine ? "/ecs/team1" : "/ecs/other" },
        });
      else
        secretRequests.push({
          ...base,
          service: ssm,
          operation: "GetParametersByPath",
          input: { Path: mine ? "/dev/team2" : "/prod", Recursive: true },
        });
    }

    // ECR API requests: pulls, describes and pushes on the four repositories.
    const ecrRequests: Omit<AuthorizationRequest, "principal" | "now">[] = [];
    const ecrSvc = service("ecr");
    const ecrOps = [
      "BatchGetImage",
      "GetDownloadUrlForLayer",
      "DescribeImages",
      "PutImage",
      "BatchDeleteImage",
    ];
    for (let i = 0; i < 64; i++) {
      const repositoryName = repos[i % repos.length]!;
      const operation = ecrOps[(i >> 2) % ecrOps.length]!;
      ecrRequests.push({
        region: REGION,
        sourceIp: "127.0.0.1",
        service: ecrSvc,
        operation,
        input: { repositoryName, imageIds: [{ imageTag: "v1" }], layerDigest: "sha256:00" },
      });
    }

    async function run(
      p: Principal,
      n: number,
      invalidate = false,
      list = requests,
    ): Promise<{ ns: bigint[]; denied: number }> {
      const ns: bigint[] = [];
      let denied = 0;
      for (let i = 0; i < n; i++) {
        const r = list[i % list.length]!;
        if (invalidate) {
          // An IAM change: tag the user, which moves the IAM generation (outside the timed part).
          await store.write(async (tx) => {
            const rec = await tx.get<Record<string, unknown>>("iam.user", "global/bench");
            await tx.put("iam.user", "global/bench", rec!.value);
          });
        }
        const start = process.hrtime.bigint();
        try {
          await authorizer.authorize({ ...r, principal: p, now: Date.now() });
        } catch (err) {
          if (!(err instanceof AwsError)) throw err;
          denied++;
        }
        ns.push(process.hrtime.bigint() - start);
      }
      return { ns, denied };
    }

    // The registry route's per-request decision: the same evaluator, through the repository authorizer.
    const registryAuthz = iamRepositoryAuthorizer({
      authorizer,
      compilePolicy: (d) => policyCache.compile(d, "resource"),
    });
    const records = await store.read(async (tx) => {
      const out: RepositoryRecord[] = [];
      for (const name of repos) {
        out.push((await tx.get<RepositoryRecord>(K.repository, repoKey(REGION, name)))!.value);
      }
      return out;
    });
    const registryOps = [
      "BatchGetImage",
      "GetDownloadUrlForLayer",
      "BatchCheckLayerAvailability",
      "InitiateLayerUpload",
      "PutImage",
    ];
    async function runRegistry(p: Principal, n: number): Promise<{ ns: bigint[]; denied: number }> {
      const ns: bigint[] = [];
      let denied = 0;
      for (let i = 0; i < n; i++) {
        const access: RepositoryAccess = {
          principal: p,
          operation: registryOps[(i >> 2) % registryOps.length]!,
          repository: records[i % records.length]!,
          sourceIp: "127.0.0.1",
          now: Date.now(),
        };
        const start = process.hrtime.bigint();
        if ((await registryAuthz.check(access)) !== undefined) denied++;
        ns.push(process.hrtime.bigint() - start);
      }
      return { ns, denied };
    }

    // Warm up the JIT and the caches.
    await run(principal, 5000);
    await run(principal, 5000, false, secretRequests);
    await run(principal, 5000, false, ecrRequests);
    await runRegistry(principal, 5000);
    await run(root, 5000);
    await run(root, 5000, false, ecrRequests);
    const userRun = await run(principal, REQUESTS);
    const secretsRun = await run(principal, REQUESTS, false, secretRequests);
    const ecrRun = await run(principal, REQUESTS, false, ecrRequests);
    const registryRun = await runRegistry(principal, REQUESTS);
    const rootRun = await run(root, REQUESTS);
    const rootEcrRun = await run(root, REQUESTS, false, ecrRequests);
    const rootRegistryRun = await runRegistry(root, REQUESTS);
    const coldRun = await run(principal, 500, true);

    const rows: Record<string, string | number>[] = [];
    const row = (name: string, r: { ns: bigint[]; denied: number }) => {
      const s = stats(r.ns);
      rows.push({
        case: name,
        requests: r.ns.length,
        denied: r.denied,
        "mean µs": fmt(s.mean),
        "p50 µs": fmt(s.p50),
        "p99 µs": fmt(s.p99),
        "max µs": fmt(s.max),
      });
    };
    row("IAM user, 20 policies (cached): ECS, IAM", userRun);
    row("IAM user, 20 policies (cached): SSM, Secrets Manager, KMS, Logs", secretsRun);
    row("IAM user, 20 policies (cached): ECR API, with and without repository policies", ecrRun);
    row("IAM user, 20 policies (cached): registry (/v2/) pull and push checks", registryRun);
    row("baseline: root (authorization skipped)", rootRun);
    row("root: ECR API (repository policy Deny only)", rootEcrRun);
    row("root: registry (/v2/) checks (repository policy Deny only)", rootRegistryRun);
    row("IAM user, first request after an IAM change", coldRun);

    // Whole requests over HTTP, sequential, for scale.
    // Whole requests over HTTP, sequential and interleaved (user, root, user, …) so both see the
    // same machine conditions.
    const userCreds = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    const clients = [t.ecs({ credentials: userCreds }), t.ecs()];
    const http = async (n: number) => {
      const ms: number[][] = [[], []];
      for (let i = 0; i < 2 * n; i++) {
        const start = performance.now();
        await clients[i % 2]!.send(new ListClustersCommand({}));
        ms[i % 2]!.push(performance.now() - start);
      }
      return ms.map((m) => m.sort((a, b) => a - b));
    };
    await http(300);
    const [httpUser = [], httpRoot = []] = await http(2000);
    const httpRows = [
      {
        case: "ECS ListClusters over HTTP, IAM user (20 policies)",
        "p50 ms": fmt(percentile(httpUser, 50), 3),
        "p99 ms": fmt(percentile(httpUser, 99), 3),
      },
      {
        case: "ECS ListClusters over HTTP, root",
        "p50 ms": fmt(percentile(httpRoot, 50), 3),
        "p99 ms": fmt(percentile(httpRoot, 99), 3),
      },
    ];

    console.log(
      `\nAuthorization benchmark — one IAM user with 10 managed + 10 inline policies (${docs.reduce((n, d) => n + JSON.parse(d).Statement.length, 0)} statements), ${requests.length} + ${secretRequests.length} + ${ecrRequests.length} distinct requests cycled`,
    );
    console.log(`machine: ${machine()}\n`);
    console.log(table(rows));
    console.log("");
    console.log(table(httpRows));
    generation.stop();
  } finally {
    await t.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
