/**
 * The OCI Distribution v1.1 API under /v2/ on Berth's port.
 *
 *   /v2/                                           version check (authenticates)
 *   /v2/token                                      bearer tokens for the token challenge flow
 *   /v2/<registry>/<name>/manifests/<reference>    GET HEAD PUT DELETE
 *   /v2/<registry>/<name>/blobs/<digest>           GET HEAD DELETE
 *   /v2/<registry>/<name>/blobs/uploads/[<id>]     POST (start, mount, monolithic) GET PATCH PUT DELETE
 *   /v2/<registry>/<name>/tags/list                GET (n, last)
 *   /v2/<registry>/<name>/referrers/<digest>       GET (artifactType)
 *
 * `<registry>` is a region (`us-east-1`) or `public` (ECR Public). Credentials are ECR
 * authorization tokens, sent as Basic (`AWS:<password>`) or as a Bearer token from /v2/token; an
 * unauthenticated request is challenged with both schemes. Anonymous callers may pull from ECR
 * Public repositories and nothing else.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isTag, PUBLIC_REGISTRY, parseRepositoryPath } from "../domain/ecr/names.js";
import type { PathRoute } from "../gateway/gateway.js";
import type { IdentityResolver } from "../identity/identity.js";
import type { Principal } from "../identity/principal.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/log.js";
import { imageKey, K, repoKey } from "../state/ecr/kinds.js";
import type { ReferrerRecord, RepositoryRecord, TagRecord } from "../state/ecr/records.js";
import type { Store } from "../state/store.js";
import type { RepositoryAuthorizer } from "./authorizer.js";
import type { BlobCache } from "./blob-cache.js";
import { type BlobStore, DigestMismatch, OffsetMismatch, UploadNotFound } from "./blob-store.js";
import { parseDigest } from "./digest.js";
import { deleteImage, getLayer, ImageError, putImage, removeTag, resolveImage } from "./images.js";
import { MAX_MANIFEST_BYTES, MediaTypes } from "./manifest.js";
import type { PullRecorder } from "./pulls.js";
import { type RegistryTokens, TOKEN_TTL_MS } from "./tokens.js";
import type { Uploads } from "./uploads.js";

export interface RegistryRouteOptions {
  store: Store;
  blobs: BlobStore;
  uploads: Uploads;
  tokens: RegistryTokens;
  identity: IdentityResolver;
  authorizer: RepositoryAuthorizer;
  pulls: PullRecorder;
  /** Hot blobs served from memory. */
  cache?: BlobCache;
  clock: Clock;
  log: Logger;
}

/** An OCI error: HTTP status, OCI code, message. */
class OciError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const PULL_RECORD_INTERVAL_MS = 60_000;
/** The most tags one tags/list page returns (also the page size when the client names none). */
const MAX_TAGS_PAGE = 1000;

const API_VERSION = { "docker-distribution-api-version": "registry/2.0" };

interface Caller {
  principal: Principal | undefined;
  /** The registry the credentials were issued for (undefined for anonymous). */
  registry: string | undefined;
  /** A pull-only token's repositories (see tokens.ts): nothing else is allowed to it. */
  pullOnly?: ReadonlySet<string>;
}

/** The operations a pull amounts to: all a pull-only token may do. */
const PULL_OPERATIONS: ReadonlySet<string> = new Set([
  "BatchGetImage",
  "GetDownloadUrlForLayer",
  "BatchCheckLayerAvailability",
]);

const PATTERNS = {
  manifest: /^(.+)\/manifests\/([^/]+)$/,
  upload: /^(.+)\/blobs\/uploads\/([^/]*)$/,
  blob: /^(.+)\/blobs\/([^/]+)$/,
  tags: /^(.+)\/tags\/list$/,
  referrers: /^(.+)\/referrers\/([^/]+)$/,
};

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new OciError(400, "NAME_INVALID", "invalid percent-encoding in the path");
  }
}

function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new OciError(413, "SIZE_INVALID", `body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function registryRoute(opts: RegistryRouteOptions): PathRoute {
  const { store, blobs, uploads, tokens } = opts;

  function send(
    res: ServerResponse,
    status: number,
    headers: Record<string, string | number>,
    requestId: string,
    body?: string | Buffer,
  ): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    const h: Record<string, string | number> = { ...API_VERSION, "x-amzn-requestid": requestId, ...headers };
    if (body !== undefined) h["content-length"] = Buffer.byteLength(body);
    else if (h["content-length"] === undefined) h["content-length"] = 0;
    res.writeHead(status, h);
    res.end(body);
  }

  function challenge(req: IncomingMessage, scope?: string): Record<string, string> {
    const host = String(req.headers.host ?? "127.0.0.1");
    const bearer = `Bearer realm="http://${host}/v2/token",service="${host}"${scope ? `,scope="${scope}"` : ""}`;
    return { "www-authenticate": `${bearer}, Basic realm="http://${host}/v2/",service="${host}"` };
  }

  async function authenticate(req: IncomingMessage): Promise<Caller> {
    const header = req.headers.authorization;
    if (!header) return { principal: undefined, registry: undefined };
    const space = header.indexOf(" ");
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    let token: string;
    if (scheme === "basic") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0 || decoded.slice(0, colon) !== "AWS") {
        throw new OciError(401, "UNAUTHORIZED", "the user name must be AWS", challenge(req));
      }
      token = decoded.slice(colon + 1);
    } else if (scheme === "bearer") {
      token = value;
    } else {
      throw new OciError(401, "UNAUTHORIZED", "unsupported authorization scheme", challenge(req));
    }
    const claims = tokens.verify(token, opts.clock.now());
    if (!claims) {
      throw new OciError(
        401,
        "UNAUTHORIZED",
        "Your authorization token is invalid or has expired.",
        challenge(req),
      );
    }
    if (!claims.accessKeyId) return { principal: undefined, registry: undefined };
    const limit = claims.pullOnly ? { pullOnly: new Set(claims.pullOnly) } : {};
    if (claims.session && claims.principalArn) {
      // A role session: the signed token is the session (its expiry is the session's at the latest).
      const s = claims.session;
      const principal: Principal = {
        arn: claims.principalArn,
        accountId: s.role.arn.split(":")[4] ?? "",
        userId: s.userId,
        kind: "assumed-role",
        accessKeyId: claims.accessKeyId,
        role: s.role,
        session: {
          name: s.name,
          issuedAt: s.issuedAt,
          expiresAt: s.expiresAt,
          ...(s.policy !== undefined ? { policy: s.policy } : {}),
          ...(s.policyArns ? { policyArns: s.policyArns } : {}),
        },
      };
      return { principal, registry: claims.registry, ...limit };
    }
    const hit = await opts.identity.resolve(claims.accessKeyId);
    if (!hit || hit.principal.arn !== claims.principalArn) {
      throw new OciError(401, "UNAUTHORIZED", "Your authorization token is no longer valid.", challenge(req));
    }
    return { principal: hit.principal, registry: claims.registry, ...limit };
  }

  /**
   * Load the repository and check the caller may make `operation` (the ECR operation the request
   * amounts to, whose IAM action is `ecr:<operation>` or `ecr-public:<operation>`) on it.
   */
  async function access(
    req: IncomingMessage,
    caller: Caller,
    path: string,
    operation: string,
    scopeActions: string,
  ): Promise<RepositoryRecord> {
    const parsed = parseRepositoryPath(path);
    if (!parsed) throw new OciError(400, "NAME_INVALID", `invalid repository name: ${path}`);
    const scope = `repository:${path}:${scopeActions}`;
    if (caller.principal && caller.registry !== parsed.registry && parsed.registry === PUBLIC_REGISTRY) {
      // A docker logged in to a private registry on this host still pulls public images anonymously.
      caller = { principal: undefined, registry: undefined };
    }
    if (caller.principal && caller.registry !== parsed.registry) {
      throw new OciError(
        401,
        "UNAUTHORIZED",
        `Your authorization token was issued for the registry '${caller.registry}', not '${parsed.registry}'.`,
        challenge(req, scope),
      );
    }
    if (!caller.principal && parsed.registry !== PUBLIC_REGISTRY) {
      throw new OciError(401, "UNAUTHORIZED", "authentication required", challenge(req, scope));
    }
    if (caller.pullOnly && (!PULL_OPERATIONS.has(operation) || !caller.pullOnly.has(parsed.name))) {
      // Before the repository is looked up: the answer does not tell whether it exists.
      throw new OciError(
        403,
        "DENIED",
        `This authorization token only pulls from the repositories ${[...caller.pullOnly].join(", ")}; ecr:${operation} on the repository '${parsed.name}' is not allowed with it.`,
      );
    }
    const repo = await store.read((tx) =>
      tx.get<RepositoryRecord>(K.repository, repoKey(parsed.registry, parsed.name)),
    );
    if (!repo) {
      if (!caller.principal)
        throw new OciError(401, "UNAUTHORIZED", "authentication required", challenge(req, scope));
      throw new OciError(
        404,
        "NAME_UNKNOWN",
        `The repository with name '${parsed.name}' does not exist in the registry with id '${caller.principal.accountId}'`,
      );
    }
    const refused = await opts.authorizer.check({
      principal: caller.principal,
      operation,
      repository: repo.value,
      sourceIp: req.socket.remoteAddress ?? "",
      now: opts.clock.now(),
    });
    if (refused !== undefined) {
      if (!caller.principal)
        throw new OciError(401, "UNAUTHORIZED", "authentication required", challenge(req, scope));
      throw new OciError(403, "DENIED", refused);
    }
    return repo.value;
  }

  const uploadHeaders = (path: string, id: string, size: number) => ({
    location: `/v2/${path}/blobs/uploads/${id}`,
    range: `0-${Math.max(0, size - 1)}`,
    "docker-upload-uuid": id,
  });

  /**
   * The token endpoint of the Docker token flow. GET with Basic credentials (docker, skopeo) or
   * POST with an OAuth2 password or refresh_token grant (containerd) exchange an authorization
   * token for a bearer token (the same token); no credentials get an anonymous token, which only
   * ever pulls from public repositories.
   */
  async function handleToken(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const now = opts.clock.now();
    let token: string | undefined;
    if (req.method === "POST") {
      const form = new URLSearchParams((await readLimited(req, 64 * 1024)).toString("utf8"));
      const grant = form.get("grant_type");
      if (grant === "password") {
        if (form.get("username") !== "AWS")
          throw new OciError(401, "UNAUTHORIZED", "the user name must be AWS");
        token = form.get("password") ?? "";
      } else if (grant === "refresh_token") {
        token = form.get("refresh_token") ?? "";
      } else {
        throw new OciError(400, "UNSUPPORTED", `unsupported grant_type ${grant ?? "(none)"}`);
      }
      req.headers.authorization = `Bearer ${token}`;
    }
    const header = req.headers.authorization;
    let expiresAt: number;
    if (header) {
      // Checks the credentials; the bearer token is the authorization token itself.
      await authenticate(req);
      const value = header.slice(header.indexOf(" ") + 1).trim();
      token = header.toLowerCase().startsWith("basic ")
        ? Buffer.from(value, "base64").toString("utf8").split(":").slice(1).join(":")
        : value;
      expiresAt = tokens.verify(token, now)?.expiresAt ?? now;
    } else {
      expiresAt = now + TOKEN_TTL_MS;
      token = tokens.issue({ registry: PUBLIC_REGISTRY, expiresAt });
    }
    const body = JSON.stringify({
      token,
      access_token: token,
      ...(req.method === "POST" ? { refresh_token: token } : {}),
      expires_in: Math.max(1, Math.floor((expiresAt - now) / 1000)),
      issued_at: new Date(now).toISOString(),
    });
    send(res, 200, { "content-type": "application/json" }, requestId, body);
  }

  async function handleManifest(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    caller: Caller,
    path: string,
    reference: string,
  ): Promise<void> {
    const method = req.method ?? "GET";
    const isDigest = parseDigest(reference) !== undefined;
    if (!isDigest && !isTag(reference))
      throw new OciError(400, "TAG_INVALID", `invalid tag or digest: ${reference}`);
    if (method === "GET" || method === "HEAD") {
      const repo = await access(req, caller, path, "BatchGetImage", "pull");
      const image = await store.read((tx) => resolveImage(tx, repo, reference));
      if (!image) {
        throw new OciError(
          404,
          "MANIFEST_UNKNOWN",
          `Requested image not found: ${reference} in repository ${repo.name}`,
        );
      }
      const body = Buffer.from(image.value.manifest, "utf8");
      const headers = {
        "content-type": image.value.mediaType,
        "docker-content-digest": image.value.digest,
        etag: `"${image.value.digest}"`,
        "content-length": body.length,
      };
      if (method === "HEAD") {
        send(res, 200, headers, requestId);
        return;
      }
      // ECR refreshes lastRecordedPullTime at least daily; Berth within a minute, without a write per pull.
      const now = opts.clock.now();
      if (now - (image.value.lastPulledAt ?? 0) > PULL_RECORD_INTERVAL_MS) {
        opts.pulls.record(imageKey(repo.registry, repo.name, image.value.digest), now);
      }
      send(res, 200, headers, requestId, body);
      return;
    }
    if (method === "PUT") {
      const repo = await access(req, caller, path, "PutImage", "pull,push");
      const bytes = await readLimited(req, MAX_MANIFEST_BYTES);
      const now = opts.clock.now();
      const result = await store
        .write((tx) =>
          putImage(tx, repo, {
            bytes,
            contentType: req.headers["content-type"],
            tag: isDigest ? undefined : reference,
            digest: isDigest ? reference : undefined,
            now,
            mode: "registry",
          }),
        )
        .catch((err: unknown) => {
          throw imageErrorToOci(err);
        });
      const headers: Record<string, string> = {
        location: `/v2/${path}/manifests/${result.image.digest}`,
        "docker-content-digest": result.image.digest,
      };
      if (result.parsed.subject) headers["oci-subject"] = result.parsed.subject.digest;
      send(res, 201, headers, requestId);
      return;
    }
    if (method === "DELETE") {
      const repo = await access(req, caller, path, "BatchDeleteImage", "delete");
      const done = await store.write(async (tx) =>
        isDigest
          ? (await deleteImage(tx, repo, reference)) !== undefined
          : (await removeTag(tx, repo, reference)) !== undefined,
      );
      if (!done) throw new OciError(404, "MANIFEST_UNKNOWN", `manifest unknown: ${reference}`);
      send(res, 202, {}, requestId);
      return;
    }
    throw new OciError(405, "UNSUPPORTED", `${method} is not supported on manifests`);
  }

  async function handleBlob(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    caller: Caller,
    path: string,
    digest: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? "GET";
    if (!parseDigest(digest)) throw new OciError(400, "DIGEST_INVALID", `invalid digest: ${digest}`);
    if (method === "GET" || method === "HEAD") {
      let repo: RepositoryRecord;
      const signed = query.get("X-Berth-Download");
      const parsed = parseRepositoryPath(path);
      if (signed && parsed && tokens.verifyDownload(`${path}@${digest}`, signed, opts.clock.now())) {
        const r = await store.read((tx) =>
          tx.get<RepositoryRecord>(K.repository, repoKey(parsed.registry, parsed.name)),
        );
        if (!r) throw new OciError(404, "NAME_UNKNOWN", `repository ${parsed.name} does not exist`);
        repo = r.value;
      } else {
        repo = await access(
          req,
          caller,
          path,
          method === "HEAD" ? "BatchCheckLayerAvailability" : "GetDownloadUrlForLayer",
          "pull",
        );
      }
      const linked = await store.read((tx) => getLayer(tx, repo.registry, repo.name, digest));
      const info = linked ? await blobs.stat(digest) : undefined;
      if (!info) throw new OciError(404, "BLOB_UNKNOWN", `blob unknown to registry: ${digest}`);
      const headers: Record<string, string | number> = {
        "content-type": "application/octet-stream",
        "docker-content-digest": digest,
        etag: `"${digest}"`,
        "accept-ranges": "bytes",
        "content-length": info.size,
      };
      if (method === "HEAD") {
        send(res, 200, headers, requestId);
        return;
      }
      let status = 200;
      let range: { start: number; end: number } | undefined;
      const rh = req.headers.range;
      const m = rh ? /^bytes=(\d+)-(\d*)$/.exec(rh) : null;
      if (m) {
        const start = Number(m[1]);
        const end = m[2] ? Math.min(Number(m[2]), info.size - 1) : info.size - 1;
        if (start > end || start >= info.size) {
          throw new OciError(416, "BLOB_UNKNOWN", "requested range not satisfiable", {
            "content-range": `bytes */${info.size}`,
          });
        }
        range = { start, end };
        status = 206;
        headers["content-range"] = `bytes ${start}-${end}/${info.size}`;
        headers["content-length"] = end - start + 1;
      }
      if (opts.cache?.accepts(info.size)) {
        const chunks = await opts.cache.get(digest);
        if (!chunks) throw new OciError(404, "BLOB_UNKNOWN", `blob unknown to registry: ${digest}`);
        const body = range ? [Buffer.concat(chunks).subarray(range.start, range.end + 1)] : chunks;
        res.writeHead(status, { ...API_VERSION, "x-amzn-requestid": requestId, ...headers });
        res.cork();
        for (const c of body) res.write(c);
        res.end();
        res.uncork();
        return;
      }
      const stream = await blobs.read(digest, range);
      if (!stream) throw new OciError(404, "BLOB_UNKNOWN", `blob unknown to registry: ${digest}`);
      res.writeHead(status, { ...API_VERSION, "x-amzn-requestid": requestId, ...headers });
      stream.on("error", () => res.destroy());
      stream.pipe(res);
      await new Promise<void>((resolve) => {
        res.on("close", resolve);
      });
      return;
    }
    if (method === "DELETE") {
      const repo = await access(req, caller, path, "BatchDeleteImage", "delete");
      const removed = await store.write(async (tx) => {
        const l = await getLayer(tx, repo.registry, repo.name, digest);
        if (!l) return false;
        await tx.delete(K.layer, l.key);
        return true;
      });
      if (!removed) throw new OciError(404, "BLOB_UNKNOWN", `blob unknown to registry: ${digest}`);
      send(res, 202, {}, requestId);
      return;
    }
    throw new OciError(405, "UNSUPPORTED", `${method} is not supported on blobs`);
  }

  /** Append the request body to an upload, honouring Content-Range. Returns the new size. */
  async function appendBody(req: IncomingMessage, id: string, size: number): Promise<number> {
    const cr = req.headers["content-range"];
    const length =
      req.headers["content-length"] !== undefined ? Number(req.headers["content-length"]) : undefined;
    let start = size;
    if (cr !== undefined) {
      const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(String(cr));
      if (!m) throw new OciError(400, "BLOB_UPLOAD_INVALID", `malformed Content-Range: ${cr}`);
      start = Number(m[1]);
      const end = Number(m[2]);
      if (start !== size || end < start) {
        throw new OciError(
          416,
          "BLOB_UPLOAD_INVALID",
          `Content-Range ${cr} does not continue the upload at ${size}`,
          {
            range: `0-${Math.max(0, size - 1)}`,
          },
        );
      }
      if (length !== undefined && length !== end - start + 1) {
        throw new OciError(
          400,
          "BLOB_UPLOAD_INVALID",
          `Content-Length ${length} does not match Content-Range ${cr}`,
        );
      }
    }
    // A PATCH without Content-Range streams the rest of the upload (docker sends it so).
    if (length === 0 && req.headers["transfer-encoding"] === undefined) return size;
    const tap = opts.cache?.capture(id, start);
    try {
      return await uploads.append(id, start, req, tap);
    } catch (err) {
      opts.cache?.forget(id);
      if (err instanceof OffsetMismatch) {
        throw new OciError(416, "BLOB_UPLOAD_INVALID", err.message, {
          range: `0-${Math.max(0, err.actual - 1)}`,
        });
      }
      if (err instanceof UploadNotFound)
        throw new OciError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown");
      throw err;
    }
  }

  async function finish(
    res: ServerResponse,
    requestId: string,
    repo: RepositoryRecord,
    path: string,
    id: string,
    digest: string | null,
  ): Promise<void> {
    if (!digest || !parseDigest(digest))
      throw new OciError(400, "DIGEST_INVALID", `invalid or missing digest: ${digest}`);
    try {
      const info = await uploads.finish(id, repo.registry, repo.name, digest, opts.clock.now());
      opts.cache?.committed(id, digest, info.size);
    } catch (err) {
      opts.cache?.forget(id);
      if (err instanceof DigestMismatch) {
        throw new OciError(
          400,
          "DIGEST_INVALID",
          `provided digest did not match uploaded content: ${err.message}`,
        );
      }
      if (err instanceof UploadNotFound)
        throw new OciError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown");
      throw err;
    }
    send(res, 201, { location: `/v2/${path}/blobs/${digest}`, "docker-content-digest": digest }, requestId);
  }

  async function handleUpload(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    caller: Caller,
    path: string,
    id: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? "GET";
    const now = opts.clock.now();
    if (id === "") {
      if (method !== "POST") throw new OciError(405, "UNSUPPORTED", `${method} is not supported here`);
      const repo = await access(req, caller, path, "InitiateLayerUpload", "pull,push");
      const mount = query.get("mount");
      const from = query.get("from");
      if (mount && parseDigest(mount) && from) {
        const source = parseRepositoryPath(from);
        if (source) {
          let allowed = false;
          try {
            await access(req, caller, from, "GetDownloadUrlForLayer", "pull");
            allowed = true;
          } catch {
            allowed = false;
          }
          if (allowed && (await uploads.mount(mount, source, repo, now))) {
            send(
              res,
              201,
              { location: `/v2/${path}/blobs/${mount}`, "docker-content-digest": mount },
              requestId,
            );
            req.resume();
            return;
          }
        }
      }
      const newId = await uploads.start(repo.registry, repo.name, caller.principal?.arn ?? "", now);
      const digest = query.get("digest");
      if (digest !== null) {
        await appendBody(req, newId, 0);
        await finish(res, requestId, repo, path, newId, digest);
        return;
      }
      req.resume();
      send(res, 202, uploadHeaders(path, newId, 0), requestId);
      return;
    }
    const action =
      method === "PUT"
        ? "CompleteLayerUpload"
        : method === "PATCH"
          ? "UploadLayerPart"
          : "InitiateLayerUpload";
    const repo = await access(req, caller, path, action, "pull,push");
    const found = await uploads.find(id, repo.registry, repo.name);
    if (!found) {
      req.resume();
      throw new OciError(404, "BLOB_UPLOAD_UNKNOWN", `blob upload unknown: ${id}`);
    }
    switch (method) {
      case "GET":
        send(res, 204, uploadHeaders(path, id, found.size), requestId);
        return;
      case "PATCH": {
        const size = await appendBody(req, id, found.size);
        send(res, 202, uploadHeaders(path, id, size), requestId);
        return;
      }
      case "PUT":
        await appendBody(req, id, found.size);
        await finish(res, requestId, repo, path, id, query.get("digest"));
        return;
      case "DELETE":
        opts.cache?.forget(id);
        await uploads.cancel(id);
        send(res, 204, {}, requestId);
        return;
      default:
        throw new OciError(405, "UNSUPPORTED", `${method} is not supported on uploads`);
    }
  }

  async function handleTags(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    caller: Caller,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD")
      throw new OciError(405, "UNSUPPORTED", "tags are read-only");
    const repo = await access(req, caller, path, "ListImages", "pull");
    // n is a decimal count, as distribution parses it (no exponent, fraction or sign); an empty n is
    // no n, and a larger one than a page holds gets a full page and a Link to the next.
    const nText = query.get("n") ?? "";
    if (nText !== "" && !/^[0-9]+$/.test(nText))
      throw new OciError(400, "PAGINATION_NUMBER_INVALID", `invalid n: ${nText}`);
    const n = nText === "" ? MAX_TAGS_PAGE : Math.min(Number(nText), MAX_TAGS_PAGE);
    const last = query.get("last");
    const prefix = `${repo.registry}/${repo.name}:`;
    const recs =
      n === 0
        ? []
        : await store.read((tx) =>
            tx.scan<TagRecord>(K.tag, {
              prefix,
              ...(last ? { after: `${prefix}${last}` } : {}),
              limit: n + 1,
            }),
          );
    const tags = recs.slice(0, n).map((r) => r.key.slice(prefix.length));
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (recs.length > n && tags.length > 0) {
      headers.link = `</v2/${path}/tags/list?n=${n}&last=${encodeURIComponent(tags[tags.length - 1]!)}>; rel="next"`;
    }
    send(res, 200, headers, requestId, JSON.stringify({ name: path, tags }));
  }

  async function handleReferrers(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    caller: Caller,
    path: string,
    digest: string,
    query: URLSearchParams,
  ): Promise<void> {
    if (req.method !== "GET") throw new OciError(405, "UNSUPPORTED", "referrers are read-only");
    if (!parseDigest(digest)) throw new OciError(400, "DIGEST_INVALID", `invalid digest: ${digest}`);
    const repo = await access(req, caller, path, "BatchGetImage", "pull");
    const recs = await store.read((tx) =>
      tx.scan<ReferrerRecord>(K.referrer, { prefix: `${repo.registry}/${repo.name}@${digest}/` }),
    );
    const artifactType = query.get("artifactType");
    const manifests = recs
      .map((r) => r.value)
      .filter((d) => artifactType === null || d.artifactType === artifactType);
    const headers: Record<string, string> = { "content-type": MediaTypes.ociIndex };
    if (artifactType !== null) headers["oci-filters-applied"] = "artifactType";
    send(
      res,
      200,
      headers,
      requestId,
      JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }),
    );
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const rawPath = (q < 0 ? url : url.slice(0, q)).slice("/v2/".length);
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    if (rawPath === "token") {
      await handleToken(req, res, requestId);
      return;
    }
    const caller = await authenticate(req);
    if (rawPath === "") {
      if (!caller.principal)
        throw new OciError(401, "UNAUTHORIZED", "authentication required", challenge(req));
      send(res, 200, { "content-type": "application/json" }, requestId, "{}");
      return;
    }
    const upload = PATTERNS.upload.exec(rawPath);
    if (upload) return handleUpload(req, res, requestId, caller, checkName(upload[1]!), upload[2]!, query);
    const manifest = PATTERNS.manifest.exec(rawPath);
    if (manifest) {
      return handleManifest(
        req,
        res,
        requestId,
        caller,
        checkName(manifest[1]!),
        decodeComponent(manifest[2]!),
      );
    }
    const blob = PATTERNS.blob.exec(rawPath);
    if (blob) {
      return handleBlob(req, res, requestId, caller, checkName(blob[1]!), decodeComponent(blob[2]!), query);
    }
    const tags = PATTERNS.tags.exec(rawPath);
    if (tags) return handleTags(req, res, requestId, caller, checkName(tags[1]!), query);
    const referrers = PATTERNS.referrers.exec(rawPath);
    if (referrers) {
      return handleReferrers(
        req,
        res,
        requestId,
        caller,
        checkName(referrers[1]!),
        decodeComponent(referrers[2]!),
        query,
      );
    }
    throw new OciError(404, "NOT_FOUND", `no registry endpoint at ${req.method} /v2/${rawPath}`);
  }

  return {
    prefix: "/v2/",
    async handle(req, res, requestId) {
      try {
        await dispatch(req, res, requestId);
      } catch (err) {
        if (!req.complete) req.resume();
        if (err instanceof OciError) {
          const body = JSON.stringify({ errors: [{ code: err.code, message: err.message, detail: {} }] });
          send(res, err.status, { "content-type": "application/json", ...err.headers }, requestId, body);
          return;
        }
        opts.log.error("registry request failed", {
          requestId,
          error: err instanceof Error ? err : String(err),
          stack: err instanceof Error ? err.stack : undefined,
        });
        const body = JSON.stringify({
          errors: [
            { code: "UNKNOWN", message: `Berth failed to handle the request (request id ${requestId}).` },
          ],
        });
        send(res, 500, { "content-type": "application/json" }, requestId, body);
      }
    },
  };
}

/** Path names are plain: no percent-encoding, no dot segments, no empty components. */
function checkName(path: string): string {
  if (!parseRepositoryPath(path)) throw new OciError(400, "NAME_INVALID", `invalid repository name: ${path}`);
  return path;
}

function imageErrorToOci(err: unknown): unknown {
  if (!(err instanceof ImageError)) return err;
  switch (err.kind) {
    case "manifestInvalid":
      return new OciError(400, "MANIFEST_INVALID", err.message);
    case "digestMismatch":
      return new OciError(400, "DIGEST_INVALID", err.message);
    case "blobsMissing":
      return new OciError(400, "MANIFEST_BLOB_UNKNOWN", err.message);
    case "manifestsMissing":
      return new OciError(400, "MANIFEST_UNKNOWN", err.message);
    case "tagImmutable":
      return new OciError(400, "TAG_INVALID", err.message);
    default:
      return new OciError(400, "MANIFEST_INVALID", err.message);
  }
}
