/**
 * Facts about the AWS service models as `ServiceModel` reads them from the SDK's static schemas.
 * The schema layout is an SDK implementation detail; these tests pin what Berth relies on so that
 * an SDK upgrade that changes it fails here, loudly, rather than somewhere in a codec.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ListShape,
  type MapShape,
  type Member,
  ServiceModel,
  type Shape,
  type StructShape,
  shapeOf,
} from "../../src/protocol/model.js";

const ecs = new ServiceModel(await import("@aws-sdk/client-ecs"));
const sts = new ServiceModel(await import("@aws-sdk/client-sts"));
const iam = new ServiceModel(await import("@aws-sdk/client-iam"));

function struct(shape: Shape): StructShape {
  assert.ok(
    shape.kind === "structure" || shape.kind === "union" || shape.kind === "error",
    `${shape.name} is a ${shape.kind}`,
  );
  return shape;
}
function list(shape: Shape): ListShape {
  assert.equal(shape.kind, "list", `${shape.name} is a ${shape.kind}`);
  return shape as ListShape;
}
function map(shape: Shape): MapShape {
  assert.equal(shape.kind, "map", `${shape.name} is a ${shape.kind}`);
  return shape as MapShape;
}
function member(shape: StructShape, name: string): Member {
  const m = shape.members.get(name);
  assert.ok(m, `${shape.name} has no member ${name}; it has ${[...shape.members.keys()].join(", ")}`);
  return m;
}
const input = (model: ServiceModel, op: string) => {
  const o = model.operations.get(op);
  assert.ok(o, `no operation ${op}`);
  return o.input;
};
const output = (model: ServiceModel, op: string) => {
  const o = model.operations.get(op);
  assert.ok(o, `no operation ${op}`);
  return o.output;
};

describe("ServiceModel: ECS", () => {
  it("reads the service namespace and every operation", () => {
    assert.equal(ecs.namespace, "com.amazonaws.ecs");
    const names = ecs.operationNames();
    for (const op of [
      "CreateCluster",
      "DescribeClusters",
      "ListClusters",
      "UpdateCluster",
      "UpdateClusterSettings",
      "PutClusterCapacityProviders",
      "DeleteCluster",
      "RegisterTaskDefinition",
      "DescribeTaskDefinition",
      "ListTaskDefinitions",
      "DeregisterTaskDefinition",
      "DeleteTaskDefinitions",
      "TagResource",
      "UntagResource",
      "ListTagsForResource",
      "PutAccountSetting",
      "PutAccountSettingDefault",
      "ListAccountSettings",
      "DeleteAccountSetting",
      "CreateService",
      "RunTask",
      "SubmitTaskStateChange",
    ]) {
      assert.ok(names.includes(op), `ECS model lacks ${op}`);
    }
    assert.ok(names.length >= 60 && names.length <= 200, `unexpected operation count ${names.length}`);
    assert.deepEqual(names, [...names].sort(), "operationNames() is sorted");
    assert.ok(!names.some((n) => n.endsWith("$") || n.endsWith("Request")), "names are operation names");
  });

  it("RegisterTaskDefinitionRequest requires exactly family and containerDefinitions", () => {
    const req = input(ecs, "RegisterTaskDefinition");
    assert.equal(req.name, "RegisterTaskDefinitionRequest");
    assert.deepEqual([...req.required].sort(), ["containerDefinitions", "family"]);
    for (const optional of ["cpu", "memory", "networkMode", "tags", "volumes", "requiresCompatibilities"]) {
      assert.ok(req.members.has(optional) && !req.required.has(optional), optional);
    }
  });

  it("recognises lists, structures, maps, numbers and booleans in a container definition", () => {
    const defs = list(member(input(ecs, "RegisterTaskDefinition"), "containerDefinitions").shape);
    const cd = struct(defs.member.shape);
    assert.equal(cd.name, "ContainerDefinition");
    assert.equal(cd.required.size, 0);
    assert.equal(member(cd, "name").shape.kind, "string");
    assert.equal(member(cd, "cpu").shape.kind, "number");
    assert.equal(member(cd, "essential").shape.kind, "boolean");
    const labels = map(member(cd, "dockerLabels").shape);
    assert.equal(labels.key.shape.kind, "string");
    assert.equal(labels.value.shape.kind, "string");
    const ports = list(member(cd, "portMappings").shape);
    assert.equal(struct(ports.member.shape).name, "PortMapping");
    assert.equal(list(member(cd, "command").shape).member.shape.kind, "string");
    const health = struct(member(cd, "healthCheck").shape);
    assert.deepEqual([...health.required], ["command"]);
    // A list of plain strings is a compact numeric schema (64 | 0).
    const compat = list(member(input(ecs, "RegisterTaskDefinition"), "requiresCompatibilities").shape);
    assert.equal(compat.member.shape.kind, "string");
  });

  it("recognises timestamps", () => {
    const sub = input(ecs, "SubmitTaskStateChange");
    for (const m of ["pullStartedAt", "pullStoppedAt", "executionStoppedAt"]) {
      const shape = member(sub, m).shape;
      assert.equal(shape.kind, "timestamp", m);
      assert.equal(shape.kind === "timestamp" && shape.format, "default");
    }
    const td = struct(member(output(ecs, "DescribeTaskDefinition"), "taskDefinition").shape);
    assert.equal(member(td, "registeredAt").shape.kind, "timestamp");
  });

  it("recognises unions and the idempotency-token trait", () => {
    const defs = list(member(input(ecs, "RegisterTaskDefinition"), "containerDefinitions").shape);
    const rr = struct(list(member(struct(defs.member.shape), "resourceRequirements").shape).member.shape);
    assert.equal(member(rr, "sharingStrategy").shape.kind, "union");
    assert.equal(member(input(ecs, "RunTask"), "clientToken").traits.idempotencyToken, true);
  });

  it("keeps the Cluster shape's members in model order", () => {
    const clusters = list(member(output(ecs, "DescribeClusters"), "clusters").shape);
    const cluster = struct(clusters.member.shape);
    assert.deepEqual([...cluster.members.keys()].slice(0, 8), [
      "clusterArn",
      "clusterName",
      "configuration",
      "status",
      "registeredContainerInstancesCount",
      "runningTasksCount",
      "pendingTasksCount",
      "activeServicesCount",
    ]);
  });

  it("reads error shapes with their fault", () => {
    assert.equal(ecs.errors.get("ClusterNotFoundException")?.traits.error, "client");
    assert.equal(ecs.errors.get("ServerException")?.traits.error, "server");
    assert.equal(ecs.errors.get("InvalidParameterException")?.kind, "error");
    assert.ok(member(ecs.errors.get("ClientException")!, "message"));
  });

  it("resolves every operation's input and output without throwing", () => {
    for (const op of ecs.operations.values()) {
      assert.ok(op.input.members instanceof Map, op.name);
      assert.ok(op.output.members instanceof Map, op.name);
    }
  });
});

describe("ServiceModel: STS and IAM (Query protocol)", () => {
  it("reads STS's namespace and operations", () => {
    assert.equal(sts.namespace, "com.amazonaws.sts");
    for (const op of ["GetCallerIdentity", "AssumeRole", "GetSessionToken", "AssumeRoleWithWebIdentity"]) {
      assert.ok(sts.operations.has(op), op);
    }
    assert.equal(input(sts, "GetCallerIdentity").members.size, 0);
    assert.deepEqual([...output(sts, "GetCallerIdentity").members.keys()], ["UserId", "Account", "Arn"]);
  });

  it("AssumeRole: required members, lists of structures and of strings, sensitive and timestamp members", () => {
    const req = input(sts, "AssumeRole");
    assert.deepEqual([...req.required].sort(), ["RoleArn", "RoleSessionName"]);
    assert.equal(member(req, "DurationSeconds").shape.kind, "number");
    assert.equal(struct(list(member(req, "PolicyArns").shape).member.shape).name, "PolicyDescriptorType");
    assert.equal(list(member(req, "TransitiveTagKeys").shape).member.shape.kind, "string");
    const tag = struct(list(member(req, "Tags").shape).member.shape);
    assert.deepEqual([...tag.required].sort(), ["Key", "Value"]);
    const creds = struct(member(output(sts, "AssumeRole"), "Credentials").shape);
    assert.deepEqual(
      [...creds.members.keys()],
      ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"],
    );
    const secret = member(creds, "SecretAccessKey");
    assert.equal(secret.shape.traits.sensitive, true);
    assert.equal(member(creds, "Expiration").shape.kind, "timestamp");
  });

  it("reads the Query error code and status of error shapes", () => {
    assert.deepEqual(sts.errors.get("ExpiredTokenException")?.traits.awsQueryError, [
      "ExpiredTokenException",
      400,
    ]);
    assert.deepEqual(sts.errors.get("IDPRejectedClaimException")?.traits.awsQueryError, [
      "IDPRejectedClaim",
      403,
    ]);
    const noSuch = iam.errors.get("NoSuchEntityException");
    assert.deepEqual(noSuch?.traits.awsQueryError, ["NoSuchEntity", 404]);
    assert.equal(noSuch?.traits.httpError, 404);
    assert.equal(noSuch?.traits.error, "client");
  });

  it("IAM: maps of strings, numbers and structures; blobs; booleans; operations without output", () => {
    const summary = map(member(output(iam, "GetAccountSummary"), "SummaryMap").shape);
    assert.equal(summary.value.shape.kind, "number");
    assert.equal(
      map(member(input(iam, "PutAccountProperties"), "Properties").shape).value.shape.kind,
      "string",
    );
    const replacement = map(member(input(iam, "AcquireRole"), "ReplacementValues").shape);
    assert.deepEqual([...struct(replacement.value.shape).required], ["Values"]);
    const report = output(iam, "GetCredentialReport");
    assert.equal(member(report, "Content").shape.kind, "blob");
    assert.equal(member(report, "GeneratedTime").shape.kind, "timestamp");
    assert.equal(member(input(iam, "CreatePolicyVersion"), "SetAsDefault").shape.kind, "boolean");
    const unit = output(iam, "DeleteUser");
    assert.equal(unit.members.size, 0);
    const users = struct(list(member(output(iam, "ListUsers"), "Users").shape).member.shape);
    assert.equal(member(users, "CreateDate").shape.kind, "timestamp");
  });
});

describe("shapeOf and ServiceModel edge cases", () => {
  it("reads member traits given as [schema, traits], such as xmlName and xmlFlattened", () => {
    const s = struct(
      shapeOf([
        3,
        "test",
        "S",
        0,
        ["Ids", "When"],
        [
          [64 | 0, { xmlFlattened: 1, xmlName: "Id" }],
          [4, 0],
        ],
      ]),
    );
    const ids = member(s, "Ids");
    assert.equal(ids.traits.xmlFlattened, true);
    assert.equal(ids.traits.xmlName, "Id");
    assert.equal(list(ids.shape).member.shape.kind, "string");
    assert.equal(member(s, "When").shape.kind, "timestamp");
  });

  it("reads the compact numeric trait bits (sensitive = 8, idempotencyToken = 4)", () => {
    const named = shapeOf([0, "test", "Secret", 8, 0]);
    assert.equal(named.kind, "string");
    assert.equal(named.traits.sensitive, true);
    const s = struct(shapeOf([3, "test", "S", 0, ["token"], [[0, 4]]]));
    assert.equal(member(s, "token").traits.idempotencyToken, true);
  });

  it("resolves recursive shapes lazily", () => {
    const node: unknown[] = [3, "test", "Node", 0, ["value", "children"], [0, () => children]];
    const children = [1, "test", "Children", 0, () => node];
    const s = struct(shapeOf(node));
    const child = struct(list(member(s, "children").shape).member.shape);
    assert.equal(child, s);
  });

  it("refuses a module that exports no operation schemas", () => {
    assert.throws(() => new ServiceModel({ notASchema: 1 }), /no operation schemas/);
  });
});
