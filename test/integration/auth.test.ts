/**
 * Authentication against a real in-process Berth, through the AWS SDK for JavaScript, raw signed
 * HTTP requests and the AWS CLI v2: every failure in the code and format of the protocol family the
 * request came in (JSON for ECS, Query XML for STS), request ids and Date headers on every
 * response, and per-region state.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  ClusterNotFoundException,
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  ECSClient,
  ListClustersCommand,
} from "@aws-sdk/client-ecs";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { XMLParser } from "fast-xml-parser";
import { type Credentials, runAws, signedFetch, startBerth, type TestBerth } from "../helpers/berth.js";

const ECS_TARGET = "AmazonEC2ContainerServiceV20141113";
const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIN = 60_000;

interface SdkError {
  name: string;
  message: string;
  $metadata: { httpStatusCode?: number; requestId?: string };
  Code?: string;
  Type?: string;
}

/** Run `fn`, which must fail, and return the SDK error. */
async function sdkError(fn: () => Promise<unknown>): Promise<SdkError> {
  try {
    await fn();
  } catch (err) {
    return err as SdkError;
  }
  assert.fail("expected the call to fail");
}

const xml = new XMLParser();
function queryError(text: string): { Type: string; Code: string; Message: string; RequestId: string } {
  const doc = xml.parse(text) as {
    ErrorResponse?: { Error: { Type: string; Code: string; Message: string }; RequestId: string };
  };
  assert.ok(doc.ErrorResponse, `not a Query error: ${text}`);
  return { ...doc.ErrorResponse.Error, RequestId: doc.ErrorResponse.RequestId };
}

const ecsCall = (op: string, body: unknown = {}) => ({
  service: "ecs",
  headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${ECS_TARGET}.${op}` },
  body: JSON.stringify(body),
});
const stsCall = (action = "GetCallerIdentity") => ({
  service: "sts",
  headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
  body: `Action=${action}&Version=2011-06-15`,
});

/** The Date header is within a few seconds of this machine's clock (it has one-second resolution). */
function assertAccurateDate(headers: Headers | Record<string, unknown>): void {
  const raw = headers instanceof Headers ? headers.get("date") : headers.date;
  assert.equal(typeof raw, "string", "response has a Date header");
  const ms = Date.parse(String(raw));
  assert.ok(Math.abs(ms - Date.now()) < 5_000, `Date ${String(raw)} is not the current time`);
}

describe("authentication", () => {
  let t: TestBerth;
  let wrong: Credentials;
  let unknown: Credentials;
  before(async () => {
    t = await startBerth();
    // Change the last character to one it is not (a random secret ends in "X" one time in 64).
    const secret = t.credentials.secretAccessKey;
    wrong = {
      ...t.credentials,
      secretAccessKey: `${secret.slice(0, -1)}${secret.endsWith("X") ? "Y" : "X"}`,
    };
    unknown = { accessKeyId: "AKIAUNKNOWNEXAMPLE00", secretAccessKey: t.credentials.secretAccessKey };
  });
  after(async () => {
    await t.close();
  });

  describe("through the SDK", () => {
    it("accepts the right credentials (ECS and STS)", async () => {
      const out = await t.ecs().send(new ListClustersCommand({}));
      assert.equal(out.$metadata.httpStatusCode, 200);
      const me = await t.sts().send(new GetCallerIdentityCommand({}));
      assert.equal(me.Account, "000000000000");
      assert.equal(me.Arn, "arn:aws:iam::000000000000:root");
      assert.match(me.$metadata.requestId ?? "", UUID);
    });

    it("ECS: a wrong secret is InvalidSignatureException (400)", async () => {
      const err = await sdkError(() => t.ecs({ credentials: wrong }).send(new ListClustersCommand({})));
      assert.equal(err.name, "InvalidSignatureException");
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.message, MISMATCH);
      assert.match(err.$metadata.requestId ?? "", UUID);
    });

    it("STS: a wrong secret is SignatureDoesNotMatch (403, Sender)", async () => {
      const err = await sdkError(() => t.sts({ credentials: wrong }).send(new GetCallerIdentityCommand({})));
      assert.equal(err.name, "SignatureDoesNotMatch");
      assert.equal(err.$metadata.httpStatusCode, 403);
      assert.equal(err.Type, "Sender");
      assert.equal(err.message, MISMATCH);
    });

    it("ECS: an unknown access key is UnrecognizedClientException (400)", async () => {
      const err = await sdkError(() => t.ecs({ credentials: unknown }).send(new ListClustersCommand({})));
      assert.equal(err.name, "UnrecognizedClientException");
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.message, "The security token included in the request is invalid.");
    });

    it("STS: an unknown access key is InvalidClientTokenId (403)", async () => {
      const err = await sdkError(() =>
        t.sts({ credentials: unknown }).send(new GetCallerIdentityCommand({})),
      );
      assert.equal(err.name, "InvalidClientTokenId");
      assert.equal(err.$metadata.httpStatusCode, 403);
    });

    it("a client whose clock is an hour off is refused, then corrects itself from the Date header", async () => {
      const skewed = (maxAttempts: number) =>
        new ECSClient({
          endpoint: t.url,
          region: t.region,
          credentials: t.credentials,
          maxAttempts,
          systemClockOffset: -60 * MIN,
        });
      const err = await sdkError(() => skewed(1).send(new ListClustersCommand({})));
      assert.equal(err.name, "InvalidSignatureException");
      assert.match(
        err.message,
        /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
      );
      const out = await skewed(2).send(new ListClustersCommand({}));
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.equal(out.$metadata.attempts, 2);
    });
  });

  describe("raw requests", () => {
    it("ECS: an unsigned request is MissingAuthenticationTokenException (400, JSON)", async () => {
      const res = await signedFetch(t.url, { ...ecsCall("ListClusters"), sign: false });
      assert.equal(res.status, 400);
      assert.match(res.headers.get("content-type") ?? "", /^application\/x-amz-json-1\.1/);
      assert.deepEqual(res.json(), {
        __type: "MissingAuthenticationTokenException",
        message: "Missing Authentication Token",
      });
      assert.equal(res.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException");
    });

    it("STS: an unsigned request is MissingAuthenticationToken (403, XML)", async () => {
      const res = await signedFetch(t.url, { ...stsCall(), sign: false });
      assert.equal(res.status, 403);
      assert.match(res.headers.get("content-type") ?? "", /^text\/xml/);
      const err = queryError(res.text);
      assert.equal(err.Code, "MissingAuthenticationToken");
      assert.equal(err.Type, "Sender");
      assert.equal(err.RequestId, res.headers.get("x-amzn-requestid"));
    });

    it("ECS: a signature scoped to another service is refused", async () => {
      const res = await signedFetch(t.url, {
        ...ecsCall("ListClusters"),
        service: "sts",
        credentials: t.credentials,
      });
      assert.equal(res.status, 400);
      const body = res.json() as { __type: string; message: string };
      assert.equal(body.__type, "InvalidSignatureException");
      assert.match(body.message, /Credential should be scoped to correct service: 'ecs'/);
    });

    it("ECS: a request signed 20 minutes ago, or 20 minutes ahead, is refused", async () => {
      const past = await signedFetch(t.url, {
        ...ecsCall("ListClusters"),
        credentials: t.credentials,
        signingDate: new Date(Date.now() - 20 * MIN),
      });
      assert.equal(past.status, 400);
      assert.equal((past.json() as { __type: string }).__type, "InvalidSignatureException");
      assert.match((past.json() as { message: string }).message, /^Signature expired: /);
      const future = await signedFetch(t.url, {
        ...ecsCall("ListClusters"),
        credentials: t.credentials,
        signingDate: new Date(Date.now() + 20 * MIN),
      });
      assert.equal(future.status, 400);
      assert.match((future.json() as { message: string }).message, /^Signature not yet current: /);
    });

    it("STS: a request signed 20 minutes ago is SignatureDoesNotMatch (403)", async () => {
      const res = await signedFetch(t.url, {
        ...stsCall(),
        credentials: t.credentials,
        signingDate: new Date(Date.now() - 20 * MIN),
      });
      assert.equal(res.status, 403);
      const err = queryError(res.text);
      assert.equal(err.Code, "SignatureDoesNotMatch");
      assert.match(err.Message, /^Signature expired: .* - 15 min\.\)$/);
    });

    it("STS: a presigned GetCallerIdentity URL (as EKS tokens use) works, and not after it expires", async () => {
      const endpoint = new URL(t.url);
      const signer = new SignatureV4({
        service: "sts",
        region: t.region,
        credentials: t.credentials,
        sha256: Hash.bind(null, "sha256"),
      });
      const presign = async (signingDate: Date) => {
        const req = await signer.presign(
          {
            method: "GET",
            protocol: "http:",
            hostname: endpoint.hostname,
            port: Number(endpoint.port),
            path: "/",
            query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
            headers: { host: endpoint.host, "x-k8s-aws-id": "my-cluster" },
          },
          { signingDate, expiresIn: 60 },
        );
        const url = new URL("/", endpoint);
        for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, String(v));
        return fetch(url, { headers: { "x-k8s-aws-id": "my-cluster" } });
      };
      const ok = await presign(new Date());
      const text = await ok.text();
      assert.equal(ok.status, 200, text);
      assert.match(text, /<Arn>arn:aws:iam::000000000000:root<\/Arn>/);
      const expired = await presign(new Date(Date.now() - 2 * MIN));
      assert.equal(expired.status, 403);
      assert.equal(queryError(await expired.text()).Code, "ExpiredToken");
    });

    it("a signed header the request lacks, even one named like a JavaScript prototype member, is a signature mismatch", async () => {
      const endpoint = new URL(t.url);
      const body = "{}";
      const signer = new SignatureV4({
        service: "ecs",
        region: t.region,
        credentials: t.credentials,
        sha256: Hash.bind(null, "sha256"),
      });
      for (const name of ["constructor", "__proto__", "x-absent"]) {
        const signed = await signer.sign({
          method: "POST",
          protocol: "http:",
          hostname: endpoint.hostname,
          port: Number(endpoint.port),
          path: "/",
          headers: {
            host: endpoint.host,
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": `${ECS_TARGET}.ListClusters`,
          },
          body,
        });
        const { host: _host, ...headers } = signed.headers;
        headers.authorization = String(headers.authorization).replace(
          /SignedHeaders=[^,]+/,
          `SignedHeaders=host;${name}`,
        );
        const res = await fetch(t.url, { method: "POST", headers, body });
        const text = await res.text();
        assert.equal(res.status, 400, text);
        assert.deepEqual(JSON.parse(text), { __type: "InvalidSignatureException", message: MISMATCH });
      }
      // Presigned, too.
      const sts = new SignatureV4({
        service: "sts",
        region: t.region,
        credentials: t.credentials,
        sha256: Hash.bind(null, "sha256"),
      });
      const req = await sts.presign(
        {
          method: "GET",
          protocol: "http:",
          hostname: endpoint.hostname,
          port: Number(endpoint.port),
          path: "/",
          query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
          headers: { host: endpoint.host },
        },
        { expiresIn: 60 },
      );
      const url = new URL("/", endpoint);
      for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, String(v));
      url.searchParams.set("X-Amz-SignedHeaders", "host;constructor");
      const res = await fetch(url);
      assert.equal(res.status, 403);
      const err = queryError(await res.text());
      assert.equal(err.Code, "SignatureDoesNotMatch");
      assert.equal(err.Message, MISMATCH);
    });

    it("verifies the path and query as they arrive on the wire (dot segments, encodings, repeated keys)", async () => {
      const endpoint = new URL(t.url);
      const send = async (wirePath: string) => {
        const [pathname, search] = wirePath.split("?");
        const query: Record<string, string | string[]> = {};
        for (const [k, v] of new URLSearchParams(search ?? "")) {
          const prev = query[k];
          query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        }
        const body = "{}";
        const signer = new SignatureV4({
          service: "ecs",
          region: t.region,
          credentials: t.credentials,
          sha256: Hash.bind(null, "sha256"),
        });
        const signed = await signer.sign({
          method: "POST",
          protocol: "http:",
          hostname: endpoint.hostname,
          port: Number(endpoint.port),
          path: pathname ?? "/",
          query,
          headers: {
            host: endpoint.host,
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": `${ECS_TARGET}.ListClusters`,
          },
          body,
        });
        return new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest(
            {
              host: endpoint.hostname,
              port: endpoint.port,
              method: "POST",
              path: wirePath,
              headers: signed.headers,
            },
            (res) => {
              let text = "";
              res.setEncoding("utf8");
              res.on("data", (c: string) => {
                text += c;
              });
              res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
          );
          req.on("error", reject);
          req.end(body);
        });
      };
      for (const path of [
        "/",
        "/a/./b/../c/",
        "//double//slash",
        "/%20space/%E2%9C%93/100%25",
        "/?b=2&a=1&a=0&empty=&flag",
        "/?key%20with%20space=v%2Fslash&unicode=%E2%9C%93&tilde=~",
      ]) {
        const res = await send(path);
        assert.equal(res.status, 200, `${path}: ${res.body}`);
      }
      // The same through fetch, which normalises the path before sending it.
      const viaFetch = await signedFetch(t.url, {
        ...ecsCall("ListClusters"),
        credentials: t.credentials,
        path: "/a/./b/../c d/✓?x=1&x=0&y=&z=%2F",
      });
      assert.equal(viaFetch.status, 200, viaFetch.text);
    });
  });

  describe("every response carries x-amzn-RequestId and an accurate Date", () => {
    const cases: [string, (t: TestBerth) => Promise<{ status: number; headers: Headers }>, number][] = [
      [
        "ECS success",
        (t) => signedFetch(t.url, { ...ecsCall("ListClusters"), credentials: t.credentials }),
        200,
      ],
      [
        "ECS service error",
        (t) =>
          signedFetch(t.url, {
            ...ecsCall("DeleteCluster", { cluster: "nope" }),
            credentials: t.credentials,
          }),
        400,
      ],
      ["ECS unsigned", (t) => signedFetch(t.url, { ...ecsCall("ListClusters"), sign: false }), 400],
      [
        "ECS unknown operation",
        (t) => signedFetch(t.url, { ...ecsCall("Frobnicate"), credentials: t.credentials }),
        400,
      ],
      [
        "ECS operation Berth does not implement",
        (t) =>
          signedFetch(t.url, {
            ...ecsCall("ExecuteCommand", { task: "t", command: "sh", interactive: true }),
            credentials: t.credentials,
          }),
        501,
      ],
      ["STS success", (t) => signedFetch(t.url, { ...stsCall(), credentials: t.credentials }), 200],
      [
        "STS wrong secret",
        (t) =>
          signedFetch(t.url, {
            ...stsCall(),
            credentials: { ...t.credentials, secretAccessKey: "wrong" },
          }),
        403,
      ],
      ["STS unsigned", (t) => signedFetch(t.url, { ...stsCall(), sign: false }), 403],
      ["health", (t) => fetch(new URL("/_berth/health", t.url)), 200],
      ["unknown Berth path", (t) => fetch(new URL("/_berth/nothing", t.url)), 404],
    ];
    for (const [what, send, status] of cases) {
      it(what, async () => {
        const res = await send(t);
        assert.equal(res.status, status);
        assert.match(res.headers.get("x-amzn-requestid") ?? "", UUID);
        assertAccurateDate(res.headers);
      });
    }

    it("request ids are unique", async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const res = await signedFetch(t.url, { ...ecsCall("ListClusters"), credentials: t.credentials });
        ids.add(res.headers.get("x-amzn-requestid") ?? "");
      }
      assert.equal(ids.size, 5);
    });
  });

  describe("regions", () => {
    it("a cluster created in us-east-1 is invisible from eu-west-1, and the other way round", async () => {
      const us = t.ecs({ region: "us-east-1" });
      const eu = t.ecs({ region: "eu-west-1" });
      const usArn = (await us.send(new CreateClusterCommand({ clusterName: "regional" }))).cluster
        ?.clusterArn;
      assert.equal(usArn, "arn:aws:ecs:us-east-1:000000000000:cluster/regional");

      assert.ok(!(await eu.send(new ListClustersCommand({}))).clusterArns?.includes(usArn));
      const byName = await eu.send(new DescribeClustersCommand({ clusters: ["regional"] }));
      assert.deepEqual(byName.clusters, []);
      assert.deepEqual(byName.failures, [
        { arn: "arn:aws:ecs:eu-west-1:000000000000:cluster/regional", reason: "MISSING" },
      ]);
      const byArn = await eu.send(new DescribeClustersCommand({ clusters: [usArn!] }));
      assert.deepEqual(byArn.clusters, []);
      assert.deepEqual(byArn.failures, [{ arn: usArn, reason: "MISSING" }]);
      await assert.rejects(
        eu.send(new DeleteClusterCommand({ cluster: "regional" })),
        ClusterNotFoundException,
      );

      const euOnly = (await eu.send(new CreateClusterCommand({ clusterName: "eu-only" }))).cluster
        ?.clusterArn;
      assert.equal(euOnly, "arn:aws:ecs:eu-west-1:000000000000:cluster/eu-only");
      assert.deepEqual((await eu.send(new ListClustersCommand({}))).clusterArns, [euOnly]);
      assert.ok(!(await us.send(new ListClustersCommand({}))).clusterArns?.includes(euOnly));
      const fromUs = await us.send(new DescribeClustersCommand({ clusters: ["eu-only", euOnly!] }));
      assert.deepEqual(
        fromUs.failures?.map((f) => f.reason),
        ["MISSING", "MISSING"],
      );

      // The same name lives independently in each region.
      const euTwin = await eu.send(new CreateClusterCommand({ clusterName: "regional" }));
      assert.equal(euTwin.cluster?.clusterArn, "arn:aws:ecs:eu-west-1:000000000000:cluster/regional");
      await eu.send(new DeleteClusterCommand({ cluster: "regional" }));
      const stillThere = await us.send(new DescribeClustersCommand({ clusters: ["regional"] }));
      assert.equal(stillThere.clusters?.[0]?.status, "ACTIVE");
    });
  });

  describe("the AWS CLI v2", () => {
    it("aws sts get-caller-identity", async () => {
      const res = await runAws(t, ["sts", "get-caller-identity"]);
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(res.json(), {
        UserId: "000000000000",
        Account: "000000000000",
        Arn: "arn:aws:iam::000000000000:root",
      });
    });

    it("aws sts get-caller-identity with a wrong secret fails with SignatureDoesNotMatch", async () => {
      const res = await runAws({ ...t, credentials: wrong }, ["sts", "get-caller-identity"]);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /SignatureDoesNotMatch/);
      assert.equal(res.stdout, "");
    });

    it("aws ecs with an unknown key fails with UnrecognizedClientException", async () => {
      const res = await runAws({ ...t, credentials: unknown }, ["ecs", "list-clusters"]);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /UnrecognizedClientException/);
    });
  });
});
