/**
 * Malformed, mistyped, oversized and unknown requests sent as raw signed HTTP: each is refused with
 * the code AWS uses, the server keeps answering afterwards, and nothing is half-written.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { XMLParser } from "fast-xml-parser";
import { K } from "../../src/state/ecs/kinds.js";
import { signedFetch, startBerth, type TestBerth } from "../helpers/berth.js";

const ECS_TARGET = "AmazonEC2ContainerServiceV20141113";
const LIMIT = 12 * 1024 * 1024;

interface JsonError {
  __type: string;
  message: string;
}

describe("bad input", () => {
  let t: TestBerth;
  before(async () => {
    t = await startBerth();
  });
  after(async () => {
    await t.close();
  });

  const ecs = (op: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    signedFetch(t.url, {
      service: "ecs",
      credentials: t.credentials,
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `${ECS_TARGET}.${op}`,
        ...headers,
      },
      body,
    });
  const ecsJson = (op: string, body: unknown) => ecs(op, JSON.stringify(body));
  const sts = (body: string) =>
    signedFetch(t.url, {
      service: "sts",
      credentials: t.credentials,
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      body,
    });

  async function expectError(
    res: Promise<{ status: number; json(): unknown; headers: Headers; text: string }>,
    status: number,
    type: string,
    message?: RegExp | string,
  ): Promise<JsonError> {
    const r = await res;
    assert.equal(r.status, status, r.text);
    const body = r.json() as JsonError;
    assert.equal(body.__type, type, r.text);
    assert.equal(r.headers.get("x-amzn-errortype"), type);
    if (typeof message === "string") assert.equal(body.message, message);
    else if (message) assert.match(body.message, message);
    return body;
  }

  /** The server still answers a good request. */
  async function stillServing(): Promise<void> {
    const r = await ecsJson("ListClusters", {});
    assert.equal(r.status, 200, r.text);
  }

  async function clusterNames(): Promise<string[]> {
    const r = await ecsJson("ListClusters", {});
    return (r.json() as { clusterArns: string[] }).clusterArns.map((a) => a.slice(a.lastIndexOf("/") + 1));
  }

  describe("malformed JSON is SerializationException (400)", () => {
    for (const body of ["{", '{"clusters": [', "not json", "{'clusters': []}", "{}x", '{"a":1,}', "\u0000"]) {
      it(JSON.stringify(body), async () => {
        await expectError(ecs("DescribeClusters", body), 400, "SerializationException");
        await stillServing();
      });
    }
  });

  describe("a body that is not a JSON object is SerializationException", () => {
    for (const body of ["[]", '"text"', "5", "true"]) {
      it(body, async () => {
        await expectError(ecs("ListClusters", body), 400, "SerializationException");
        await stillServing();
      });
    }
  });

  it("an empty body is an empty input", async () => {
    const r = await ecs("ListClusters", "");
    assert.equal(r.status, 200, r.text);
  });

  describe("wrong JSON types are SerializationException", () => {
    const cases: [string, string, unknown, RegExp][] = [
      ["a string where a number is expected", "ListClusters", { maxResults: "5" }, /maxResults/],
      ["an object where a list is expected", "DescribeClusters", { clusters: {} }, /clusters/],
      ["a number where a string is expected", "CreateCluster", { clusterName: 5 }, /clusterName/],
      [
        "an object where a list of tags is expected",
        "CreateCluster",
        { tags: { key: "a", value: "b" } },
        /tags/,
      ],
      ["a list where a structure is expected", "CreateCluster", { configuration: [] }, /configuration/],
      [
        "a string where a boolean is expected",
        "ListAccountSettings",
        { effectiveSettings: "true" },
        /effectiveSettings/,
      ],
      [
        "a string where a number is expected, deep inside",
        "RegisterTaskDefinition",
        { family: "f", containerDefinitions: [{ name: "a", image: "nginx", memory: "512" }] },
        /containerDefinitions\[0\]\.memory/,
      ],
    ];
    for (const [what, op, body, path] of cases) {
      it(what, async () => {
        await expectError(ecsJson(op, body), 400, "SerializationException", path);
        await stillServing();
      });
    }
  });

  const json = (service: string, target: string, body: unknown) =>
    signedFetch(t.url, {
      service,
      credentials: t.credentials,
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
      body: JSON.stringify(body),
    });
  const kms = (op: string, body: unknown) => json("kms", `TrentService.${op}`, body);
  const logs = (op: string, body: unknown) => json("logs", `Logs_20140328.${op}`, body);

  describe("a fraction, or a number beyond a long, where an integer is expected is SerializationException", () => {
    before(async () => {
      assert.equal((await logs("CreateLogGroup", { logGroupName: "fractions" })).status, 200);
      assert.equal(
        (await logs("CreateLogStream", { logGroupName: "fractions", logStreamName: "s" })).status,
        200,
      );
    });
    const cases: [string, () => ReturnType<typeof kms>, RegExp][] = [
      ["KMS ListKeys Limit 1.5", () => kms("ListKeys", { Limit: 1.5 }), /parameter Limit, value: 1\.5/],
      ["KMS ListAliases Limit 1e21", () => kms("ListAliases", { Limit: 1e21 }), /parameter Limit/],
      [
        "Logs DescribeLogStreams limit 1.5",
        () => logs("DescribeLogStreams", { logGroupName: "fractions", limit: 1.5 }),
        /parameter limit, value: 1\.5/,
      ],
      [
        "Logs GetLogEvents limit 1.5",
        () => logs("GetLogEvents", { logGroupName: "fractions", logStreamName: "s", limit: 1.5 }),
        /parameter limit, value: 1\.5/,
      ],
      [
        "Logs GetLogEvents startTime 1.5",
        () => logs("GetLogEvents", { logGroupName: "fractions", logStreamName: "s", startTime: 1.5 }),
        /parameter startTime/,
      ],
      ["ECS ListClusters maxResults 2.5", () => ecsJson("ListClusters", { maxResults: 2.5 }), /maxResults/],
    ];
    for (const [what, send, message] of cases) {
      it(what, async () => {
        await expectError(send(), 400, "SerializationException", message);
      });
    }

    it("the same requests with whole numbers succeed", async () => {
      assert.equal((await kms("ListKeys", { Limit: 1 })).status, 200);
      const streams = await logs("DescribeLogStreams", { logGroupName: "fractions", limit: 1 });
      assert.equal(streams.status, 200, streams.text);
      const events = await logs("GetLogEvents", { logGroupName: "fractions", logStreamName: "s", limit: 1 });
      assert.equal(events.status, 200, events.text);
    });
  });

  it("a map keeps a __proto__ key: a KMS encryption context {__proto__: x} is needed to decrypt", async () => {
    const key = (await kms("CreateKey", {})).json() as { KeyMetadata: { KeyId: string } };
    const plaintext = Buffer.from("bound to its context").toString("base64");
    const context = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const sealed = await kms("Encrypt", {
      KeyId: key.KeyMetadata.KeyId,
      Plaintext: plaintext,
      EncryptionContext: context,
    });
    assert.equal(sealed.status, 200, sealed.text);
    const blob = (sealed.json() as { CiphertextBlob: string }).CiphertextBlob;
    await expectError(kms("Decrypt", { CiphertextBlob: blob }), 400, "InvalidCiphertextException");
    await expectError(
      kms("Decrypt", { CiphertextBlob: blob, EncryptionContext: { other: "x" } }),
      400,
      "InvalidCiphertextException",
    );
    const opened = await kms("Decrypt", { CiphertextBlob: blob, EncryptionContext: context });
    assert.equal(opened.status, 200, opened.text);
    assert.equal((opened.json() as { Plaintext: string }).Plaintext, plaintext);
    await kms("ScheduleKeyDeletion", { KeyId: key.KeyMetadata.KeyId, PendingWindowInDays: 7 });
  });

  describe("unknown fields are InvalidParameterException", () => {
    it("at the top level", async () => {
      await expectError(
        ecsJson("ListClusters", { maxResult: 5 }),
        400,
        "InvalidParameterException",
        /maxResult/,
      );
    });

    it("nested, and the request changes nothing", async () => {
      await expectError(
        ecsJson("CreateCluster", {
          clusterName: "unknown-field",
          settings: [{ name: "containerInsights", valu: "x" }],
        }),
        400,
        "InvalidParameterException",
        /valu/,
      );
      assert.ok(!(await clusterNames()).includes("unknown-field"));
    });
  });

  describe("a missing required member is InvalidParameterException '<Member> should not be null or empty.'", () => {
    const cases: [string, unknown, string][] = [
      ["DeleteCluster", {}, "Cluster should not be null or empty."],
      ["DeleteCluster", { cluster: null }, "Cluster should not be null or empty."],
      ["UpdateClusterSettings", { cluster: "default" }, "Settings should not be null or empty."],
      [
        "RegisterTaskDefinition",
        { containerDefinitions: [{ name: "a", image: "nginx" }] },
        "Family should not be null or empty.",
      ],
      ["RegisterTaskDefinition", { family: "f" }, "ContainerDefinitions should not be null or empty."],
      [
        "TagResource",
        { resourceArn: "arn:aws:ecs:us-east-1:000000000000:cluster/x" },
        "Tags should not be null or empty.",
      ],
      ["PutAccountSetting", { name: "containerInsights" }, "Value should not be null or empty."],
    ];
    for (const [op, body, message] of cases) {
      it(`${op} ${JSON.stringify(body)}`, async () => {
        await expectError(ecsJson(op, body), 400, "InvalidParameterException", message);
      });
    }
  });

  describe("request size", () => {
    it("accepts a body of exactly 12 MiB", async () => {
      const body = Buffer.alloc(LIMIT, " ");
      body.write("{}", 0);
      const r = await ecs("ListClusters", body);
      assert.equal(r.status, 200, r.text.slice(0, 200));
    });

    it("refuses a body over 12 MiB with 413", async () => {
      const body = Buffer.alloc(LIMIT + 1, " ");
      body.write("{}", 0);
      await expectError(ecs("ListClusters", body), 413, "RequestEntityTooLargeException");
      await stillServing();
    });

    it("refuses a chunked body (no Content-Length) once it passes 12 MiB", async () => {
      const endpoint = new URL(t.url);
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: endpoint.hostname,
            port: endpoint.port,
            method: "POST",
            path: "/",
            headers: {
              "content-type": "application/x-amz-json-1.1",
              "x-amz-target": `${ECS_TARGET}.ListClusters`,
              "transfer-encoding": "chunked",
            },
          },
          (r) => {
            let text = "";
            r.setEncoding("utf8");
            r.on("data", (c: string) => {
              text += c;
            });
            r.on("end", () => resolve({ status: r.statusCode ?? 0, body: text }));
          },
        );
        req.on("error", reject);
        const chunk = Buffer.alloc(1024 * 1024, " ");
        let sent = 0;
        const pump = () => {
          while (sent < 14) {
            sent++;
            if (!req.write(chunk)) {
              req.once("drain", pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      assert.equal(res.status, 413);
      assert.equal((JSON.parse(res.body) as JsonError).__type, "RequestEntityTooLargeException");
      await stillServing();
    });
  });

  describe("unknown operations", () => {
    it("an unknown X-Amz-Target operation is UnknownOperationException", async () => {
      await expectError(ecsJson("Frobnicate", {}), 400, "UnknownOperationException", /Frobnicate/);
      await stillServing();
    });

    it("an unknown X-Amz-Target service prefix is UnknownOperationException", async () => {
      const r = signedFetch(t.url, {
        service: "ecs",
        credentials: t.credentials,
        headers: {
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "NoSuchService_20200101.ListThings",
        },
        body: "{}",
      });
      await expectError(r, 400, "UnknownOperationException");
    });

    it("an X-Amz-Target without an operation is UnknownOperationException", async () => {
      for (const target of [ECS_TARGET, `${ECS_TARGET}.`, ""]) {
        const r = signedFetch(t.url, {
          service: "ecs",
          credentials: t.credentials,
          headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
          body: "{}",
        });
        await expectError(r, 400, "UnknownOperationException");
      }
    });

    it("an ECS operation Berth does not implement is NotImplementedException naming it, never an empty success", async () => {
      // Operations Berth has no reason to implement (ECS Exec, agent-internal and gateway APIs).
      for (const op of [
        "ExecuteCommand",
        "SubmitAttachmentStateChanges",
        "CreateExpressGatewayService",
        "RegisterContainerInstance",
      ]) {
        const body = await expectError(ecsJson(op, {}), 501, "NotImplementedException");
        assert.match(body.message, new RegExp(`\\b${op}\\b`));
      }
      await stillServing();
    });

    const parseXml = (text: string) =>
      (
        new XMLParser().parse(text) as {
          ErrorResponse: { Error: { Code: string; Message: string; Type: string } };
        }
      ).ErrorResponse.Error;

    it("an unknown STS Action is InvalidAction (400, XML)", async () => {
      const r = await sts("Action=Frobnicate&Version=2011-06-15");
      assert.equal(r.status, 400);
      assert.match(r.headers.get("content-type") ?? "", /^text\/xml/);
      const err = parseXml(r.text);
      assert.equal(err.Code, "InvalidAction");
      assert.equal(err.Type, "Sender");
      assert.match(err.Message, /Frobnicate/);
    });

    it("an STS request without an Action is MissingAction", async () => {
      const r = await sts("Version=2011-06-15");
      assert.equal(r.status, 400);
      assert.equal(parseXml(r.text).Code, "MissingAction");
    });

    it("an STS operation Berth does not implement is NotImplemented naming it", async () => {
      const r = await sts("Action=GetFederationToken&Version=2011-06-15&Name=bob");
      assert.equal(r.status, 501);
      const err = parseXml(r.text);
      assert.equal(err.Code, "NotImplemented");
      assert.match(err.Message, /GetFederationToken/);
    });

    it("an STS parameter the operation does not have is a ValidationError", async () => {
      const r = await sts("Action=GetCallerIdentity&Version=2011-06-15&Colour=blue");
      assert.equal(r.status, 400);
      assert.equal(parseXml(r.text).Code, "ValidationError");
    });
  });

  describe("a refused request writes nothing", () => {
    const container = (name: string, extra: Record<string, unknown> = {}) => ({
      name,
      image: "nginx",
      memory: 128,
      ...extra,
    });

    it("RegisterTaskDefinition failing on the 3rd container leaves no revision", async () => {
      // Refused by ECS's rules (no image), and by the codec (wrong type), on the third container.
      await expectError(
        ecsJson("RegisterTaskDefinition", {
          family: "partial",
          containerDefinitions: [container("a"), container("b"), { name: "c", memory: 128 }],
        }),
        400,
        "ClientException",
        "Container.image should not be null or empty.",
      );
      await expectError(
        ecsJson("RegisterTaskDefinition", {
          family: "partial",
          containerDefinitions: [container("a"), container("b"), container("c", { essential: "yes" })],
        }),
        400,
        "SerializationException",
      );
      await expectError(
        ecsJson("DescribeTaskDefinition", { taskDefinition: "partial" }),
        400,
        "ClientException",
        "Unable to describe task definition.",
      );
      const families = (await ecsJson("ListTaskDefinitionFamilies", { familyPrefix: "partial" })).json();
      assert.deepEqual(families, { families: [] });
      const revisions = (await ecsJson("ListTaskDefinitions", { familyPrefix: "partial" })).json();
      assert.deepEqual(revisions, { taskDefinitionArns: [] });
      // The failures consumed no revision number.
      const ok = await ecsJson("RegisterTaskDefinition", {
        family: "partial",
        containerDefinitions: [container("a"), container("b"), container("c")],
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal((ok.json() as { taskDefinition: { revision: number } }).taskDefinition.revision, 1);
    });

    const deleteRefused: [string, string, unknown, string, string][] = [
      [
        "an active service",
        K.service,
        { status: "ACTIVE" },
        "ClusterContainsServicesException",
        "The Cluster cannot be deleted while Services are active.",
      ],
      [
        "a running task",
        K.task,
        { lastStatus: "RUNNING" },
        "ClusterContainsTasksException",
        "The Cluster cannot be deleted while Tasks are active.",
      ],
      [
        "a registered container instance",
        K.containerInstance,
        { status: "ACTIVE" },
        "ClusterContainsContainerInstancesException",
        "The Cluster cannot be deleted while Container Instances are active or draining.",
      ],
    ];
    for (const [what, kind, value, type, message] of deleteRefused) {
      it(`a DeleteCluster refused because of ${what} leaves the cluster ACTIVE`, async () => {
        const name = `busy-${kind.replace(/\W/g, "-")}`;
        assert.equal((await ecsJson("CreateCluster", { clusterName: name })).status, 200);
        // Services, tasks and container instances have no API in Berth yet; put one in the store.
        await t.berth.store.write((tx) => tx.put(kind, `${t.region}/${name}/x1`, value));
        await expectError(ecsJson("DeleteCluster", { cluster: name }), 400, type, message);
        const d = (await ecsJson("DescribeClusters", { clusters: [name] })).json() as {
          clusters: { status: string }[];
        };
        assert.equal(d.clusters[0]?.status, "ACTIVE");
        assert.ok((await clusterNames()).includes(name));
        await t.berth.store.write((tx) => tx.delete(kind, `${t.region}/${name}/x1`));
        const deleted = (await ecsJson("DeleteCluster", { cluster: name })).json() as {
          cluster: { status: string };
        };
        assert.equal(deleted.cluster.status, "INACTIVE");
      });
    }

    it("a CreateCluster refused for its tags or settings creates nothing", async () => {
      await expectError(
        ecsJson("CreateCluster", { clusterName: "bad-tags", tags: [{ key: "aws:owner", value: "me" }] }),
        400,
        "InvalidParameterException",
      );
      await expectError(
        ecsJson("CreateCluster", {
          clusterName: "bad-settings",
          settings: [{ name: "containerInsights", value: "on" }],
        }),
        400,
        "InvalidParameterException",
      );
      const names = await clusterNames();
      assert.ok(!names.includes("bad-tags") && !names.includes("bad-settings"));
      const d = (await ecsJson("DescribeClusters", { clusters: ["bad-tags", "bad-settings"] })).json() as {
        failures: unknown[];
      };
      assert.equal(d.failures.length, 2);
    });

    it("a TagResource refused for exceeding 50 tags leaves the tags as they were", async () => {
      const created = (
        await ecsJson("CreateCluster", {
          clusterName: "tag-limit",
          tags: Array.from({ length: 49 }, (_, i) => ({ key: `k${i}`, value: "v" })),
        })
      ).json() as { cluster: { clusterArn: string } };
      const arn = created.cluster.clusterArn;
      await expectError(
        ecsJson("TagResource", {
          resourceArn: arn,
          tags: [
            { key: "new1", value: "v" },
            { key: "new2", value: "v" },
          ],
        }),
        400,
        // The ECS model declares LimitExceededException for TagResource going over the limit.
        "LimitExceededException",
      );
      const tags = (await ecsJson("ListTagsForResource", { resourceArn: arn })).json() as { tags: unknown[] };
      assert.equal(tags.tags.length, 49);
    });
  });
});
