/**
 * Server-side SigV4 verification (header and presigned-query forms).
 *
 * The canonical request is built by `@smithy/signature-v4` — the same code the AWS SDK for
 * JavaScript signs with — so Berth and its clients agree on every canonicalisation rule. This file
 * only parses what the client sent, looks the key up, and compares signatures in constant time.
 */
import { createHash, createHmac } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Hash } from "@smithy/hash-node";
import { getCanonicalHeaders, getSigningKey, SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest } from "@smithy/types";
import { constantTimeEqual } from "../crypto/constant-time.js";
import { AwsError, Errors } from "../errors/catalog.js";

/** The parts of an HTTP request a signature covers. */
export interface SignableRequest {
  method: string;
  /** The path exactly as it arrived (still percent-encoded). */
  rawPath: string;
  /** Decoded query parameters; repeated keys become arrays. */
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SigningSecret {
  secretAccessKey: string;
  /** Temporary credentials must present this token in X-Amz-Security-Token. */
  sessionToken?: string;
  /** Epoch ms after which the credentials no longer work. */
  expiresAt?: number;
}

/** Find the secret of an access key; temporary credentials also present their session token. */
export type SecretLookup = (accessKeyId: string, sessionToken?: string) => Promise<SigningSecret | undefined>;

export interface VerifiedSignature {
  accessKeyId: string;
  region: string;
  /** The signing name in the credential scope (ecs, iam, sts, ...). */
  service: string;
  sessionToken?: string;
}

/** Requests signed more than this far from Berth's clock are refused (AWS uses 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const ALGORITHM = "AWS4-HMAC-SHA256";
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/** Exposes the protected canonicalisation of the SDK's signer. */
class Canonicalizer extends SignatureV4 {
  constructor() {
    super({
      service: "berth",
      region: "us-east-1",
      credentials: { accessKeyId: "-", secretAccessKey: "-" },
      sha256: Hash.bind(null, "sha256"),
    });
  }
  canonicalRequest(
    request: HttpRequest,
    canonicalHeaders: Record<string, string>,
    payloadHash: string,
  ): string {
    return this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
  }
}
const canonicalizer = new Canonicalizer();

interface ParsedAuth {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  longDate: string;
  presigned: boolean;
  expiresSeconds?: number;
  sessionToken?: string;
}

/**
 * Whether the request attempts any form of SigV4 (header or query). A presigned URL that names the
 * algorithm but lacks its signature is an incomplete signature, not an unauthenticated request.
 */
export function hasSignature(req: Pick<SignableRequest, "headers" | "query">): boolean {
  return (
    typeof req.headers.authorization === "string" ||
    req.query["X-Amz-Signature"] !== undefined ||
    req.query["X-Amz-Algorithm"] !== undefined
  );
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseCredential(
  credential: string,
): Pick<ParsedAuth, "accessKeyId" | "shortDate" | "region" | "service"> {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || !parts[0]) {
    throw new AwsError(
      Errors.IncompleteSignature,
      `Credential should be scoped to a valid region, not '${parts[2] ?? ""}'. Credential should be scoped with a valid terminator: 'aws4_request'.`,
    );
  }
  const [accessKeyId, shortDate, region, service] = parts as [string, string, string, string];
  if (!REGION.test(region)) {
    throw new AwsError(
      Errors.IncompleteSignature,
      `Credential should be scoped to a valid region, not '${region}'.`,
    );
  }
  return { accessKeyId, shortDate, region, service };
}

function parseAuth(req: SignableRequest): ParsedAuth {
  const header = req.headers.authorization;
  if (typeof header === "string") {
    if (!header.startsWith(`${ALGORITHM} `)) {
      throw new AwsError(
        Errors.IncompleteSignature,
        `Unsupported authorization type; Berth accepts ${ALGORITHM} only.`,
      );
    }
    const fields: Record<string, string> = {};
    for (const part of header.slice(ALGORITHM.length + 1).split(",")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    const { Credential, SignedHeaders, Signature } = fields;
    if (!Credential || !SignedHeaders || !Signature) {
      const missing = ["Credential", "SignedHeaders", "Signature"].filter((k) => !fields[k]);
      throw new AwsError(
        Errors.IncompleteSignature,
        `Authorization header requires ${missing.map((m) => `'${m}'`).join(", ")} parameter. Authorization=${ALGORITHM} ...`,
      );
    }
    const longDate = single(req.headers["x-amz-date"]);
    if (!longDate) {
      throw new AwsError(
        Errors.IncompleteSignature,
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      );
    }
    const token = single(req.headers["x-amz-security-token"]);
    return {
      ...parseCredential(Credential),
      signedHeaders: SignedHeaders.split(";"),
      signature: Signature,
      longDate,
      presigned: false,
      ...(token ? { sessionToken: token } : {}),
    };
  }
  const q = (k: string) => single(req.query[k]);
  const algorithm = q("X-Amz-Algorithm");
  const credential = q("X-Amz-Credential");
  const signedHeaders = q("X-Amz-SignedHeaders");
  const signature = q("X-Amz-Signature");
  const longDate = q("X-Amz-Date");
  const expires = q("X-Amz-Expires");
  if (algorithm !== ALGORITHM || !credential || !signedHeaders || !signature || !longDate || !expires) {
    throw new AwsError(
      Errors.IncompleteSignature,
      "A presigned request requires X-Amz-Algorithm=AWS4-HMAC-SHA256, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature.",
    );
  }
  const expiresSeconds = Number(expires);
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_PRESIGN_SECONDS) {
    throw new AwsError(
      Errors.IncompleteSignature,
      `X-Amz-Expires must be an integer between 1 and ${MAX_PRESIGN_SECONDS}.`,
    );
  }
  const token = q("X-Amz-Security-Token");
  return {
    ...parseCredential(credential),
    signedHeaders: signedHeaders.split(";"),
    signature,
    longDate,
    presigned: true,
    expiresSeconds,
    ...(token ? { sessionToken: token } : {}),
  };
}

/** `20260101T120000Z` → epoch ms, or NaN. */
export function parseAmzDate(longDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(longDate);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

const formatAmzDate = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

function checkTime(auth: ParsedAuth, now: number): void {
  const signedAt = parseAmzDate(auth.longDate);
  if (Number.isNaN(signedAt)) {
    throw new AwsError(
      Errors.IncompleteSignature,
      `Date must be in ISO-8601 'basic format'. Got '${auth.longDate}'.`,
    );
  }
  if (auth.longDate.slice(0, 8) !== auth.shortDate) {
    throw new AwsError(
      Errors.InvalidSignature,
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.shortDate}' != '${auth.longDate.slice(0, 8)}'`,
    );
  }
  if (auth.presigned) {
    if (now > signedAt + (auth.expiresSeconds ?? 0) * 1000) {
      throw new AwsError(
        Errors.ExpiredToken,
        `Request has expired. Signed at ${auth.longDate}, valid for ${auth.expiresSeconds} seconds.`,
      );
    }
    if (signedAt - now > MAX_SKEW_MS) {
      throw new AwsError(
        Errors.InvalidSignature,
        `Signature not yet current: ${auth.longDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`,
      );
    }
    return;
  }
  if (signedAt < now - MAX_SKEW_MS) {
    throw new AwsError(
      Errors.InvalidSignature,
      `Signature expired: ${auth.longDate} is now earlier than ${formatAmzDate(now - MAX_SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`,
    );
  }
  if (signedAt > now + MAX_SKEW_MS) {
    throw new AwsError(
      Errors.InvalidSignature,
      `Signature not yet current: ${auth.longDate} is still later than ${formatAmzDate(now + MAX_SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`,
    );
  }
}

const sha256Hex = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/**
 * The payload hash of the canonical request. A hash the client declares (the x-amz-content-sha256
 * header, or X-Amz-Content-Sha256 in a presigned query) must match the body it sent; only
 * UNSIGNED-PAYLOAD opts out.
 */
function payloadHash(req: SignableRequest, auth: ParsedAuth): string {
  const declared =
    single(req.headers["x-amz-content-sha256"]) ??
    (auth.presigned ? single(req.query["X-Amz-Content-Sha256"]) : undefined);
  const actual = req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body);
  if (declared === undefined) return actual;
  if (declared === "UNSIGNED-PAYLOAD") return declared;
  if (declared !== actual) {
    throw new AwsError(
      Errors.InvalidSignature,
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
    );
  }
  return declared;
}

/**
 * Verify a request's SigV4 signature at time `now` (epoch ms). Returns who signed it, for which
 * region and service; throws a catalog error otherwise.
 */
export async function verifySigV4(
  req: SignableRequest,
  lookup: SecretLookup,
  now: number,
): Promise<VerifiedSignature> {
  if (!hasSignature(req)) {
    throw new AwsError(Errors.MissingAuthenticationToken, "Missing Authentication Token");
  }
  const auth = parseAuth(req);
  if (!auth.signedHeaders.includes("host")) {
    throw new AwsError(Errors.InvalidSignature, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  checkTime(auth, now);
  const secret = await lookup(auth.accessKeyId, auth.sessionToken);
  if (!secret) {
    throw new AwsError(Errors.UnrecognizedClient, "The security token included in the request is invalid.");
  }
  if (secret.sessionToken !== undefined && secret.sessionToken !== auth.sessionToken) {
    throw new AwsError(Errors.UnrecognizedClient, "The security token included in the request is invalid.");
  }
  if (secret.expiresAt !== undefined && now >= secret.expiresAt) {
    throw new AwsError(Errors.ExpiredToken, "The security token included in the request is expired");
  }

  // Only the request's own headers count: a signed name such as `constructor` or `__proto__` must
  // not find a member of Object.prototype. A signed header the request lacks cannot match.
  const headers: Record<string, string> = Object.create(null);
  for (const name of auth.signedHeaders) {
    const v = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
    const text = Array.isArray(v) ? v.join(",") : v;
    if (typeof text !== "string") {
      throw new AwsError(Errors.InvalidSignature, MISMATCH);
    }
    headers[name] = text;
  }
  const query = { ...req.query };
  const pathOnly = req.rawPath;
  const request = {
    method: req.method,
    protocol: "http:",
    hostname: "",
    path: pathOnly,
    query,
    headers,
  } as unknown as HttpRequest;
  const canonicalHeaders = getCanonicalHeaders(request, undefined, new Set(auth.signedHeaders)) as Record<
    string,
    string
  >;
  const canonical = canonicalizer.canonicalRequest(request, canonicalHeaders, payloadHash(req, auth));
  const scope = `${auth.shortDate}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${auth.longDate}\n${scope}\n${sha256Hex(canonical)}`;
  const key = await getSigningKey(
    Hash.bind(null, "sha256"),
    { accessKeyId: auth.accessKeyId, secretAccessKey: secret.secretAccessKey },
    auth.shortDate,
    auth.region,
    auth.service,
  );
  const expected = createHmac("sha256", key).update(stringToSign).digest();
  const given = Buffer.from(auth.signature, "hex");
  if (!constantTimeEqual(given, expected)) {
    throw new AwsError(Errors.InvalidSignature, MISMATCH);
  }
  return {
    accessKeyId: auth.accessKeyId,
    region: auth.region,
    service: auth.service,
    ...(auth.sessionToken ? { sessionToken: auth.sessionToken } : {}),
  };
}
