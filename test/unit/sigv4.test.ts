/**
 * SigV4 verification: requests are signed with `@smithy/signature-v4` (the signer the AWS SDK for
 * JavaScript uses) and, for canonicalisation, with an independent signer written from the spec and
 * checked against AWS's own test-suite vectors. Each request is handed to `verifySigV4` as the
 * gateway would: the raw (still percent-encoded) path, decoded query parameters, lower-cased
 * headers and the body bytes.
 */
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest } from "@smithy/types";
import { AwsError, type ErrorDef, Errors } from "../../src/errors/catalog.js";
import {
  MAX_SKEW_MS,
  type SecretLookup,
  type SignableRequest,
  type SigningSecret,
  verifySigV4,
} from "../../src/protocol/sigv4.js";

const AKID = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TEMP_AKID = "ASIATEMPORARYEXAMPLE";
const TEMP_SECRET = "temporarySecretKeyForTheSessionCredentials";
const TOKEN = "FwoGZXIvYXdzEXAMPLE//session+token=";
const HOST = "berth.test:4747";
/** Berth's clock in these tests. */
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const MIN = 60_000;

const secrets = new Map<string, SigningSecret>([
  [AKID, { secretAccessKey: SECRET }],
  [TEMP_AKID, { secretAccessKey: TEMP_SECRET, sessionToken: TOKEN, expiresAt: NOW + 60 * MIN }],
]);
const lookup: SecretLookup = async (id) => secrets.get(id);

interface Draft {
  method?: string;
  /** The path as it goes on the wire (percent-encoded). */
  path?: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string;
}

interface SignOptions {
  date?: number;
  service?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** false: do not add x-amz-content-sha256 (what botocore and the AWS CLI send). */
  applyChecksum?: boolean;
}

function signer(o: SignOptions): SignatureV4 {
  return new SignatureV4({
    service: o.service ?? "ecs",
    region: o.region ?? "us-east-1",
    credentials: {
      accessKeyId: o.accessKeyId ?? AKID,
      secretAccessKey: o.secretAccessKey ?? SECRET,
      ...(o.sessionToken ? { sessionToken: o.sessionToken } : {}),
    },
    sha256: Hash.bind(null, "sha256"),
    applyChecksum: o.applyChecksum ?? true,
  });
}

function draftRequest(d: Draft): HttpRequest {
  return {
    method: d.method ?? "POST",
    protocol: "http:",
    hostname: "berth.test",
    port: 4747,
    path: d.path ?? "/",
    query: d.query ?? {},
    headers: { host: HOST, ...d.headers },
    ...(d.body !== undefined ? { body: d.body } : {}),
  } as HttpRequest;
}

/** What the gateway hands to verifySigV4 for this request. */
function received(r: HttpRequest, body: string | undefined): SignableRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) headers[k.toLowerCase()] = String(v).trim();
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.query ?? {})) if (v !== null && v !== undefined) query[k] = v;
  return { method: r.method, rawPath: r.path, query, headers, body: Buffer.from(body ?? "") };
}

/** Header-form signature, as the SDK sends it. */
async function sign(d: Draft = {}, o: SignOptions = {}): Promise<SignableRequest> {
  const out = await signer(o).sign(draftRequest(d), { signingDate: new Date(o.date ?? NOW) });
  return received(out as HttpRequest, d.body);
}

/** Presigned (query) form. */
async function presign(
  d: Draft = {},
  o: SignOptions & { expiresIn?: number } = {},
): Promise<SignableRequest> {
  const out = await signer(o).presign(draftRequest({ method: "GET", ...d }), {
    signingDate: new Date(o.date ?? NOW),
    expiresIn: o.expiresIn ?? 900,
  });
  return received(out as HttpRequest, d.body);
}

const verify = (req: SignableRequest, now = NOW) => verifySigV4(req, lookup, now);

async function rejects(p: Promise<unknown>, def: ErrorDef, message?: RegExp | string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
    assert.equal(err.def.code, def.code, `expected ${def.code}, got ${err.def.code}: ${err.message}`);
    if (typeof message === "string") assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const jsonCall = (body = '{"clusters":["default"]}'): Draft => ({
  headers: {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "AmazonEC2ContainerServiceV20141113.DescribeClusters",
  },
  body,
});

const amzDate = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

describe("SigV4 header form", () => {
  it("accepts a request signed by the SDK and reports who signed it, for which region and service", async () => {
    const got = await verify(await sign(jsonCall(), { region: "eu-west-1" }));
    assert.deepEqual(got, { accessKeyId: AKID, region: "eu-west-1", service: "ecs" });
  });

  it("accepts a request without x-amz-content-sha256 (as botocore and the AWS CLI sign)", async () => {
    const req = await sign(jsonCall(), { applyChecksum: false });
    assert.equal(req.headers["x-amz-content-sha256"], undefined);
    await verify(req);
  });

  it("accepts an empty body", async () => {
    await verify(await sign({ headers: { "x-amz-target": "X.Y" } }, { applyChecksum: false }));
    await verify(await sign({ headers: { "x-amz-target": "X.Y" }, body: "" }));
  });

  it("ignores headers that were not signed (user-agent, content-length added after signing)", async () => {
    const req = await sign(jsonCall());
    req.headers["user-agent"] = "aws-cli/2.9.19";
    req.headers["content-length"] = String(req.body.length);
    req.headers["amz-sdk-invocation-id"] = "11111111-2222-3333-4444-555555555555";
    await verify(req);
  });

  it("tolerates ',' without a space between the Authorization fields", async () => {
    const req = await sign(jsonCall());
    req.headers.authorization = String(req.headers.authorization).replace(/, /g, ",");
    await verify(req);
  });

  describe("refuses a tampered request with InvalidSignatureException", () => {
    const cases: [string, (r: SignableRequest) => void, RegExp | string][] = [
      [
        "method",
        (r) => {
          r.method = "PUT";
        },
        MISMATCH,
      ],
      [
        "path",
        (r) => {
          r.rawPath = "/other";
        },
        MISMATCH,
      ],
      [
        "query value",
        (r) => {
          r.query = { ...r.query, page: "2" };
        },
        MISMATCH,
      ],
      [
        "added query parameter",
        (r) => {
          r.query = { ...r.query, extra: "" };
        },
        MISMATCH,
      ],
      [
        "signed header value",
        (r) => {
          r.headers["x-amz-target"] = "AmazonEC2ContainerServiceV20141113.DeleteCluster";
        },
        MISMATCH,
      ],
      [
        "signed header removed",
        (r) => {
          delete r.headers["x-amz-target"];
        },
        MISMATCH,
      ],
      [
        "body (with x-amz-content-sha256)",
        (r) => {
          r.body = Buffer.from('{"clusters":["other"]}');
        },
        /x-amz-content-sha256/,
      ],
      [
        "date by one second",
        (r) => {
          r.headers["x-amz-date"] = amzDate(NOW + 1000);
        },
        MISMATCH,
      ],
      [
        "signature",
        (r) => {
          const auth = String(r.headers.authorization);
          const last = auth.at(-1) === "0" ? "1" : "0";
          r.headers.authorization = auth.slice(0, -1) + last;
        },
        MISMATCH,
      ],
      [
        "credential scope region",
        (r) => {
          r.headers.authorization = String(r.headers.authorization).replace("/us-east-1/", "/us-west-2/");
        },
        MISMATCH,
      ],
    ];
    for (const [what, tamper, message] of cases) {
      it(what, async () => {
        const req = await sign({ ...jsonCall(), query: { page: "1" } });
        await verify(structuredClone(req));
        tamper(req);
        await rejects(verify(req), Errors.InvalidSignature, message);
      });
    }

    it("date moved to another day than the credential scope", async () => {
      const beforeMidnight = Date.UTC(2026, 0, 14, 23, 59, 0);
      const req = await sign(jsonCall(), { date: beforeMidnight });
      req.headers["x-amz-date"] = "20260115T000100Z";
      await rejects(
        verify(req, Date.UTC(2026, 0, 15, 0, 0, 0)),
        Errors.InvalidSignature,
        /Date in Credential scope does not match/,
      );
    });

    it("body (without x-amz-content-sha256)", async () => {
      const req = await sign(jsonCall(), { applyChecksum: false });
      req.body = Buffer.from('{"clusters":["other"]}');
      await rejects(verify(req), Errors.InvalidSignature, MISMATCH);
    });
  });

  it("refuses a wrong secret with InvalidSignatureException", async () => {
    await rejects(
      verify(await sign(jsonCall(), { secretAccessKey: `${SECRET}x` })),
      Errors.InvalidSignature,
      MISMATCH,
    );
  });

  it("refuses an unknown access key with UnrecognizedClientException", async () => {
    await rejects(
      verify(await sign(jsonCall(), { accessKeyId: "AKIAUNKNOWNKEY000000" })),
      Errors.UnrecognizedClient,
      "The security token included in the request is invalid.",
    );
  });

  describe("clock skew", () => {
    it("accepts a request signed up to 15 minutes away from Berth's clock", async () => {
      await verify(await sign(jsonCall(), { date: NOW - 14 * MIN }));
      await verify(await sign(jsonCall(), { date: NOW + 14 * MIN }));
      await verify(await sign(jsonCall(), { date: NOW - MAX_SKEW_MS }));
      await verify(await sign(jsonCall(), { date: NOW + MAX_SKEW_MS }));
    });

    it("refuses a request signed more than 15 minutes ago: Signature expired", async () => {
      const signedAt = NOW - 16 * MIN;
      await rejects(
        verify(await sign(jsonCall(), { date: signedAt })),
        Errors.InvalidSignature,
        `Signature expired: ${amzDate(signedAt)} is now earlier than ${amzDate(NOW - 15 * MIN)} (${amzDate(NOW)} - 15 min.)`,
      );
    });

    it("refuses a request signed more than 15 minutes ahead: Signature not yet current", async () => {
      const signedAt = NOW + 16 * MIN;
      await rejects(
        verify(await sign(jsonCall(), { date: signedAt })),
        Errors.InvalidSignature,
        `Signature not yet current: ${amzDate(signedAt)} is still later than ${amzDate(NOW + 15 * MIN)} (${amzDate(NOW)} + 15 min.)`,
      );
    });

    it("checks the time before the key: a stale request with an unknown key is a skew error", async () => {
      await rejects(
        verify(await sign(jsonCall(), { date: NOW - 60 * MIN, accessKeyId: "AKIAUNKNOWNKEY000000" })),
        Errors.InvalidSignature,
        /^Signature expired/,
      );
    });
  });

  it("refuses a signature that does not cover the host header", async () => {
    const d = draftRequest(jsonCall());
    delete d.headers.host;
    const out = await signer({}).sign(d, { signingDate: new Date(NOW) });
    const req = received(out as HttpRequest, jsonCall().body);
    assert.doesNotMatch(String(req.headers.authorization), /host/);
    req.headers.host = HOST;
    await rejects(verify(req), Errors.InvalidSignature, /'Host' must be a 'SignedHeader'/);
  });

  it("refuses a signed header the request lacks, JavaScript prototype names included, as a mismatch", async () => {
    for (const name of ["x-absent", "constructor", "__proto__", "tostring", "hasownproperty"]) {
      const req = await sign(jsonCall());
      req.headers.authorization = String(req.headers.authorization).replace(
        /SignedHeaders=[^,]+/,
        `SignedHeaders=host;${name}`,
      );
      await rejects(verify(req), Errors.InvalidSignature, MISMATCH);
    }
  });

  describe("refuses a malformed Authorization header with IncompleteSignatureException", () => {
    const valid = async () => sign(jsonCall());
    const cases: [string, (auth: string) => string, RegExp?][] = [
      ["another scheme", () => "Bearer abc", /AWS4-HMAC-SHA256/],
      ["another algorithm", (a) => a.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512"), undefined],
      ["no fields", () => "AWS4-HMAC-SHA256 ", /'Credential'/],
      ["no Signature", (a) => a.replace(/, Signature=[0-9a-f]+/, ""), /'Signature'/],
      ["no SignedHeaders", (a) => a.replace(/, SignedHeaders=[^,]+/, ""), /'SignedHeaders'/],
      ["no Credential", (a) => a.replace(/Credential=[^,]+, /, ""), /'Credential'/],
      ["garbage", () => "AWS4-HMAC-SHA256 garbage", undefined],
      [
        "a credential scope with four parts",
        (a) => a.replace("/ecs/aws4_request", "/aws4_request"),
        undefined,
      ],
      [
        "a credential scope without aws4_request",
        (a) => a.replace("/aws4_request", "/aws5_request"),
        undefined,
      ],
      [
        "a credential without an access key",
        (a) => a.replace(`Credential=${AKID}/`, "Credential=/"),
        undefined,
      ],
      ["a region that is not one", (a) => a.replace("/us-east-1/", "/US_EAST/"), /valid region/],
    ];
    for (const [what, mangle, message] of cases) {
      it(what, async () => {
        const req = await valid();
        req.headers.authorization = mangle(String(req.headers.authorization));
        await rejects(verify(req), Errors.IncompleteSignature, message);
      });
    }

    it("no X-Amz-Date header", async () => {
      const req = await valid();
      delete req.headers["x-amz-date"];
      await rejects(verify(req), Errors.IncompleteSignature, /X-Amz-Date/);
    });

    it("an X-Amz-Date that is not ISO-8601 basic format", async () => {
      const req = await valid();
      req.headers["x-amz-date"] = new Date(NOW).toISOString();
      await rejects(verify(req), Errors.IncompleteSignature, /basic format/);
    });
  });

  it("refuses a request with no authentication at all: MissingAuthenticationToken", async () => {
    const req = received(draftRequest(jsonCall()), jsonCall().body);
    await rejects(verify(req), Errors.MissingAuthenticationToken);
  });

  it("refuses an x-amz-content-sha256 that does not match the body, even when it is signed", async () => {
    const other = createHash("sha256").update('{"clusters":["x"]}').digest("hex");
    const d = jsonCall();
    d.headers = { ...d.headers, "x-amz-content-sha256": other };
    const req = await sign(d);
    assert.match(String(req.headers.authorization), /x-amz-content-sha256/);
    await rejects(verify(req), Errors.InvalidSignature, /x-amz-content-sha256/);
  });

  describe("session tokens", () => {
    const temp = { accessKeyId: TEMP_AKID, secretAccessKey: TEMP_SECRET };

    it("accepts temporary credentials that present their signed session token", async () => {
      const req = await sign(jsonCall(), { ...temp, sessionToken: TOKEN });
      assert.equal(req.headers["x-amz-security-token"], TOKEN);
      assert.deepEqual(await verify(req), {
        accessKeyId: TEMP_AKID,
        region: "us-east-1",
        service: "ecs",
        sessionToken: TOKEN,
      });
    });

    it("refuses temporary credentials without their token, or with another one", async () => {
      await rejects(verify(await sign(jsonCall(), temp)), Errors.UnrecognizedClient);
      await rejects(
        verify(await sign(jsonCall(), { ...temp, sessionToken: `${TOKEN}x` })),
        Errors.UnrecognizedClient,
      );
    });

    it("refuses a tampered session token", async () => {
      const req = await sign(jsonCall(), { ...temp, sessionToken: TOKEN });
      req.headers["x-amz-security-token"] = `${TOKEN}x`;
      await assert.rejects(verify(req), AwsError);
    });

    it("refuses temporary credentials after they expire: ExpiredToken", async () => {
      const later = NOW + 61 * MIN;
      await rejects(
        verify(await sign(jsonCall(), { ...temp, sessionToken: TOKEN, date: later }), later),
        Errors.ExpiredToken,
        "The security token included in the request is expired",
      );
    });
  });
});

describe("SigV4 canonicalisation (SDK signer → Berth)", () => {
  const ok = async (d: Draft, o: SignOptions = {}) => verify(await sign(d, o));

  for (const path of [
    "/",
    "/a/b/c",
    "/with%20space/and%2Bplus",
    "/%E2%9C%93/%C3%A9t%C3%A9",
    "/percent%2525encoded",
    "/dots/./and/../segments/",
    "/trailing/",
    "//double//slashes",
    "/reserved%3A%40%21%24%26%27%28%29%2A%2C%3B%3D",
    "/unreserved-._~",
  ]) {
    it(`path ${path}`, async () => {
      await ok({ ...jsonCall(), path });
    });
  }

  it("query parameters: unsorted, repeated keys, empty values, encoded characters", async () => {
    await ok({
      method: "GET",
      query: {
        zeta: "last",
        Alpha: "upper-case sorts first",
        multi: ["b", "a", "c", "a"],
        empty: "",
        "key with space": "value/with?reserved&chars=",
        unicode: "✓ é",
        plus: "1+1",
        tilde: "~._-",
      },
    });
  });

  it("header values with runs of whitespace, tabs and surrounding spaces", async () => {
    await ok({
      ...jsonCall(),
      headers: { ...jsonCall().headers, "x-amz-meta-note": "  several    spaces\tand\t\ttabs  " },
    });
  });

  it("many signed headers, in any case, including content-length and amz-sdk-*", async () => {
    const d = jsonCall();
    d.headers = {
      ...d.headers,
      "Content-Length": String(Buffer.byteLength(d.body ?? "")),
      "amz-sdk-invocation-id": "11111111-2222-3333-4444-555555555555",
      "amz-sdk-request": "attempt=1; max=3",
      "X-Amz-User-Agent": "aws-sdk-js/3.1164.0",
      "X-Custom-Header": "Mixed Case Value",
    };
    const req = await sign(d);
    assert.match(
      String(req.headers.authorization),
      /SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target;x-amz-user-agent;x-custom-header,/,
    );
    await verify(req);
  });

  it("a Query-protocol form body", async () => {
    await ok(
      {
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: "Action=GetCallerIdentity&Version=2011-06-15",
      },
      { service: "sts", applyChecksum: false },
    );
  });
});

/**
 * A SigV4 signer written from the specification (not the SDK's), so that the SDK's canonicalisation
 * that Berth relies on is itself checked. It reproduces AWS's official test-suite vectors below.
 */
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function specCanonicalPath(raw: string): string {
  const segments: string[] = [];
  for (const seg of raw.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") segments.pop();
    else segments.push(seg);
  }
  // The wire path is already encoded once; encoding each segment again gives the double encoding.
  const path = `/${segments.map(rfc3986).join("/")}`;
  return segments.length > 0 && raw.endsWith("/") ? `${path}/` : path;
}

function specCanonicalQuery(pairs: [string, string][]): string {
  return pairs
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

function specSign(req: {
  method: string;
  rawPath: string;
  query: [string, string][];
  headers: Record<string, string>;
  body: string;
  longDate: string;
  region: string;
  service: string;
  secret: string;
}): { canonical: string; signature: string; signedHeaders: string } {
  const names = Object.keys(req.headers)
    .map((n) => n.toLowerCase())
    .sort();
  const value = (n: string) =>
    Object.entries(req.headers)
      .find(([k]) => k.toLowerCase() === n)![1]
      .trim()
      .replace(/\s+/g, " ");
  const signedHeaders = names.join(";");
  const canonical = [
    req.method,
    specCanonicalPath(req.rawPath),
    specCanonicalQuery(req.query),
    ...names.map((n) => `${n}:${value(n)}`),
    "",
    signedHeaders,
    createHash("sha256").update(req.body).digest("hex"),
  ].join("\n");
  const shortDate = req.longDate.slice(0, 8);
  const scope = `${shortDate}/${req.region}/${req.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${req.longDate}\n${scope}\n${createHash("sha256").update(canonical).digest("hex")}`;
  const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${req.secret}`, shortDate), req.region), req.service), "aws4_request");
  return {
    canonical,
    signedHeaders,
    signature: createHmac("sha256", key).update(stringToSign).digest("hex"),
  };
}

describe("SigV4 canonicalisation (independent signer → Berth)", () => {
  // botocore tests/unit/auth/aws4_testsuite/get-space.* and get-utf8.* (AWS's SigV4 test suite).
  const vectors = [
    {
      name: "get-space",
      rawPath: "/%20/foo",
      creqPath: "/%2520/foo",
      signature: "2be9e587d1ee1f0fd02128724b86b4358ba3630d39f493b6e06610a19a50779e",
    },
    {
      name: "get-utf8",
      rawPath: "/%E1%88%B4",
      creqPath: "/%25E1%2588%25B4",
      signature: "57b1eb3df3b16a8479c0097b66c0b261cfd65b829419a3f2c3d05319722490b8",
    },
  ];
  for (const v of vectors) {
    it(`reproduces AWS's test vector ${v.name}`, () => {
      const out = specSign({
        method: "GET",
        rawPath: v.rawPath,
        query: [],
        headers: { Date: "Mon, 09 Sep 2011 23:36:00 GMT", Host: "host.foo.com" },
        body: "",
        longDate: "20110909T233600Z",
        region: "us-east-1",
        service: "host",
        secret: SECRET,
      });
      assert.equal(out.canonical.split("\n")[1], v.creqPath);
      assert.equal(out.signature, v.signature);
    });
  }

  async function berthAccepts(d: {
    method?: string;
    rawPath: string;
    query?: [string, string][];
    body?: string;
  }) {
    const headers = { host: HOST, "x-amz-date": amzDate(NOW), "x-amz-target": "X.Y" };
    const query = d.query ?? [];
    const { signature, signedHeaders } = specSign({
      method: d.method ?? "POST",
      rawPath: d.rawPath,
      query,
      headers,
      body: d.body ?? "",
      longDate: amzDate(NOW),
      region: "us-east-1",
      service: "ecs",
      secret: SECRET,
    });
    const decoded: Record<string, string | string[]> = {};
    for (const [k, v] of query) {
      const prev = decoded[k];
      decoded[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const date = amzDate(NOW).slice(0, 8);
    await verify({
      method: d.method ?? "POST",
      rawPath: d.rawPath,
      query: decoded,
      headers: {
        ...headers,
        authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/${date}/us-east-1/ecs/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`,
      },
      body: Buffer.from(d.body ?? ""),
    });
  }

  it("a path with encoded spaces, unicode and percent signs", async () => {
    await berthAccepts({ rawPath: "/%20/foo/%E1%88%B4/100%25" });
  });

  it("a path with dot segments and empty segments", async () => {
    await berthAccepts({ rawPath: "/a/./b/../c//d/" });
  });

  it("repeated, unsorted query keys and empty values", async () => {
    await berthAccepts({
      method: "GET",
      rawPath: "/",
      query: [
        ["b", "2"],
        ["a", "z"],
        ["a", "y"],
        ["empty", ""],
        ["A", "upper"],
        ["sp ace", "v a l"],
      ],
    });
  });

  it("a body", async () => {
    await berthAccepts({ rawPath: "/", body: '{"maxResults":5}' });
  });
});

describe("SigV4 presigned (query) form", () => {
  const getCallerIdentity = (): Draft => ({
    query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
  });
  const sts = { service: "sts", applyChecksum: false };

  it("accepts a presigned URL within its lifetime", async () => {
    const req = await presign(getCallerIdentity(), { ...sts, expiresIn: 60 });
    assert.equal(req.headers.authorization, undefined);
    assert.equal(req.query["X-Amz-Expires"], "60");
    assert.deepEqual(await verify(req, NOW + 59_000), {
      accessKeyId: AKID,
      region: "us-east-1",
      service: "sts",
    });
  });

  it("accepts a presigned URL signing an extra header (EKS get-token's x-k8s-aws-id)", async () => {
    const d = getCallerIdentity();
    d.headers = { "x-k8s-aws-id": "my-cluster" };
    const req = await presign(d, sts);
    assert.equal(req.query["X-Amz-SignedHeaders"], "host;x-k8s-aws-id");
    await verify(req);
    req.headers["x-k8s-aws-id"] = "other-cluster";
    await rejects(verify(req), Errors.InvalidSignature, MISMATCH);
  });

  it("accepts a presigned URL made with temporary credentials", async () => {
    const req = await presign(getCallerIdentity(), {
      ...sts,
      accessKeyId: TEMP_AKID,
      secretAccessKey: TEMP_SECRET,
      sessionToken: TOKEN,
    });
    assert.equal(req.query["X-Amz-Security-Token"], TOKEN);
    await verify(req);
  });

  it("refuses an expired presigned URL: ExpiredToken", async () => {
    const req = await presign(getCallerIdentity(), { ...sts, expiresIn: 60 });
    await rejects(verify(req, NOW + 61_000), Errors.ExpiredToken, /expired/);
  });

  it("refuses a presigned URL dated more than 15 minutes ahead", async () => {
    const req = await presign(getCallerIdentity(), { ...sts, date: NOW + 16 * MIN });
    await rejects(verify(req), Errors.InvalidSignature, /^Signature not yet current/);
  });

  it("refuses X-Amz-Expires above 604800 seconds (7 days), or not a positive integer", async () => {
    const week = await presign(getCallerIdentity(), { ...sts, expiresIn: 604800 });
    await verify(week, NOW + 604_000_000);
    for (const bad of ["604801", "0", "-1", "1.5", "soon"]) {
      const req = structuredClone(week);
      req.query["X-Amz-Expires"] = bad;
      await rejects(verify(req), Errors.IncompleteSignature, /X-Amz-Expires/);
    }
  });

  it("refuses a presigned URL whose query was changed", async () => {
    const req = await presign(getCallerIdentity(), sts);
    req.query.Action = "GetSessionToken";
    await rejects(verify(req), Errors.InvalidSignature, MISMATCH);
    const req2 = await presign(getCallerIdentity(), sts);
    req2.query["X-Amz-Expires"] = "3600";
    await rejects(verify(req2), Errors.InvalidSignature, MISMATCH);
  });

  it("refuses a presigned URL that lacks one of its parameters: IncompleteSignature", async () => {
    for (const drop of [
      "X-Amz-Credential",
      "X-Amz-Date",
      "X-Amz-Expires",
      "X-Amz-SignedHeaders",
      "X-Amz-Signature",
    ]) {
      const req = await presign(getCallerIdentity(), sts);
      delete req.query[drop];
      await rejects(verify(req), Errors.IncompleteSignature, undefined);
    }
  });

  it("refuses a presigned URL signing a header the request lacks (constructor, __proto__) as a mismatch", async () => {
    for (const name of ["x-absent", "constructor", "__proto__"]) {
      const req = await presign(getCallerIdentity(), sts);
      req.query["X-Amz-SignedHeaders"] = `host;${name}`;
      await rejects(verify(req), Errors.InvalidSignature, MISMATCH);
    }
  });

  it("refuses a presigned URL from an unknown key: UnrecognizedClient", async () => {
    const req = await presign(getCallerIdentity(), { ...sts, accessKeyId: "AKIAUNKNOWNKEY000000" });
    await rejects(verify(req), Errors.UnrecognizedClient);
  });

  it("refuses a presigned POST whose body does not match a signed X-Amz-Content-Sha256", async () => {
    const body = "Action=GetCallerIdentity&Version=2011-06-15";
    const hash = createHash("sha256").update(body).digest("hex");
    const req = await presign({ method: "POST", query: { "X-Amz-Content-Sha256": hash }, body }, sts);
    await verify(req);
    req.body = Buffer.from("Action=GetSessionToken&Version=2011-06-15");
    await rejects(verify(req), Errors.InvalidSignature);
  });

  it("refuses a presigned POST whose body was changed", async () => {
    const req = await presign({ method: "POST", body: "a=1" }, sts);
    await verify(req);
    req.body = Buffer.from("a=2");
    await rejects(verify(req), Errors.InvalidSignature, MISMATCH);
  });
});
