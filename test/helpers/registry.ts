/** Helpers for registry tests: ECR clients, login passwords, raw OCI requests and tiny images. */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { ECRPUBLICClient } from "@aws-sdk/client-ecr-public";
import type { Credentials, TestBerth } from "./berth.js";

export const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

export function ecr(
  t: Pick<TestBerth, "url" | "region" | "credentials">,
  o: { region?: string; credentials?: Credentials } = {},
) {
  return new ECRClient({
    endpoint: t.url,
    region: o.region ?? t.region,
    credentials: o.credentials ?? t.credentials,
    maxAttempts: 1,
  });
}

export function ecrPublic(t: Pick<TestBerth, "url" | "credentials">, o: { credentials?: Credentials } = {}) {
  return new ECRPUBLICClient({
    endpoint: t.url,
    region: "us-east-1",
    credentials: o.credentials ?? t.credentials,
    maxAttempts: 1,
  });
}

/** The password half of GetAuthorizationToken's `AWS:<password>`. */
export async function loginPassword(client: ECRClient): Promise<string> {
  const r = await client.send(new GetAuthorizationTokenCommand({}));
  return Buffer.from(r.authorizationData![0]!.authorizationToken!, "base64").toString("utf8").slice(4);
}

export const basic = (password: string) => `Basic ${Buffer.from(`AWS:${password}`).toString("base64")}`;

export interface OciResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** A raw request to the registry: `path` starts with /v2/. */
export async function oci(
  url: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string; auth?: string } = {},
): Promise<OciResponse> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.auth) headers.authorization = init.auth;
  const res = await fetch(new URL(path, url), {
    method: init.method ?? "GET",
    headers,
    ...(init.body !== undefined ? { body: init.body } : {}),
    redirect: "manual",
  });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    body,
    json: <T>() => JSON.parse(body.toString("utf8")) as T,
  };
}

/** Push a blob monolithically (POST + PUT). Returns its digest. */
export async function pushBlob(url: string, repoPath: string, auth: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await oci(url, `/v2/${repoPath}/blobs/uploads/`, { method: "POST", auth });
  if (start.status !== 202) throw new Error(`upload start: ${start.status} ${start.body}`);
  const loc = start.headers.get("location")!;
  const sep = loc.includes("?") ? "&" : "?";
  const put = await oci(url, `${loc}${sep}digest=${digest}`, {
    method: "PUT",
    auth,
    body: data,
    headers: { "content-type": "application/octet-stream" },
  });
  if (put.status !== 201) throw new Error(`upload put: ${put.status} ${put.body}`);
  return digest;
}

export interface TinyImage {
  manifest: string;
  digest: string;
  config: Buffer;
  layers: Buffer[];
}

/** An OCI image manifest over a random config and `layers` random layers (not pushed). */
export function tinyImage(layers = 1, layerBytes = 64, extra: Record<string, unknown> = {}): TinyImage {
  const config = Buffer.from(
    JSON.stringify({ architecture: "amd64", os: "linux", nonce: randomBytes(8).toString("hex") }),
  );
  const ls = Array.from({ length: layers }, () => randomBytes(layerBytes));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(config),
      size: config.length,
    },
    layers: ls.map((l) => ({
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      digest: sha256(l),
      size: l.length,
    })),
    ...extra,
  });
  return { manifest, digest: sha256(manifest), config, layers: ls };
}

/** Push a tiny image over HTTP: blobs, then the manifest under `reference`. */
export async function pushTinyImage(
  url: string,
  repoPath: string,
  auth: string,
  reference: string,
  image: TinyImage = tinyImage(),
): Promise<TinyImage> {
  for (const b of [image.config, ...image.layers]) await pushBlob(url, repoPath, auth, b);
  const r = await oci(url, `/v2/${repoPath}/manifests/${reference}`, {
    method: "PUT",
    auth,
    body: image.manifest,
    headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
  });
  if (r.status !== 201) throw new Error(`manifest put: ${r.status} ${r.body}`);
  return image;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program with arguments (never a shell). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...opts.env },
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 32 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A throwaway DOCKER_CONFIG directory, so `docker login` in tests never touches ~/.docker. */
export async function dockerConfigDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "berth-docker-config-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
