/** Start a whole Berth in-process on port 0 with a throwaway data dir, and clients for it. */
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ECSClient } from "@aws-sdk/client-ecs";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { IAMClient } from "@aws-sdk/client-iam";
import { KMSClient } from "@aws-sdk/client-kms";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SSMClient } from "@aws-sdk/client-ssm";
import { STSClient } from "@aws-sdk/client-sts";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { loadConfig } from "../../src/config/config.js";
import type { IdentityResolver } from "../../src/identity/identity.js";
import type { Clock } from "../../src/lib/clock.js";
import { accessKeyId, secretAccessKey } from "../../src/lib/ids.js";
import { createLogger, type Logger, silentLogger } from "../../src/lib/log.js";
import type { LocalAgentOptions } from "../../src/main/agent-component.js";
import { type Berth, build } from "../../src/main/build.js";
import type { Store } from "../../src/state/store.js";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Per-client options: another region, other credentials, or a clock offset (ms) to sign with. */
export interface ClientOptions {
  region?: string;
  credentials?: Credentials;
  systemClockOffset?: number;
}

export interface TestBerth {
  url: string;
  region: string;
  credentials: Credentials;
  berth: Berth;
  dataDir: string;
  ecs(opts?: ClientOptions): ECSClient;
  sts(opts?: ClientOptions): STSClient;
  ssm(opts?: ClientOptions): SSMClient;
  secretsManager(opts?: ClientOptions): SecretsManagerClient;
  kms(opts?: ClientOptions): KMSClient;
  iam(opts?: ClientOptions): IAMClient;
  elbv2(opts?: ClientOptions): ElasticLoadBalancingV2Client;
  close(): Promise<void>;
}

export async function tempDir(prefix = "berth-test-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface StartOptions {
  clock?: Clock;
  env?: Record<string, string>;
  /** Log sink (default silent; BERTH_TEST_LOG=1 logs to stderr). */
  log?: Logger;
  /** Use this data dir instead of a fresh temporary one. */
  dataDir?: string;
  /** Run the in-process agent on the real Docker engine (true), or with these options. */
  agent?: boolean | LocalAgentOptions;
  /** Several in-process agents (container instances) on this host. */
  agents?: LocalAgentOptions[];
  /** Run the Berth-managed Fargate host on the real Docker engine (true), or with these options. */
  fargate?: boolean | LocalAgentOptions;
  agentTimeoutMs?: number;
  stoppedTaskRetentionMs?: number;
  serviceSettleMs?: number;
  joinToken?: string;
  /** A store to use instead of the SQLite file in the data dir (e.g. one wrapped to observe or delay). */
  store?: Store;
  /** Further principals besides the root credentials and IAM. */
  identities?: IdentityResolver[];
}

export async function startBerth(opts: StartOptions = {}): Promise<TestBerth> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const credentials = { accessKeyId: accessKeyId(), secretAccessKey: secretAccessKey() };
  const config = loadConfig({
    BERTH_PORT: "0",
    BERTH_DATA_DIR: dataDir,
    BERTH_DURABILITY: "NORMAL",
    ...opts.env,
  });
  const log = opts.log ?? (process.env.BERTH_TEST_LOG ? createLogger({ level: "debug" }) : silentLogger);
  const berth = build({
    config,
    credentials,
    log,
    strictOutput: true,
    ...(opts.clock ? { clock: opts.clock } : {}),
    agent: opts.agent === true ? {} : opts.agent || false,
    ...(opts.agents ? { agents: opts.agents } : {}),
    ...(opts.fargate ? { fargate: opts.fargate === true ? {} : opts.fargate } : {}),
    ...(opts.agentTimeoutMs !== undefined ? { agentTimeoutMs: opts.agentTimeoutMs } : {}),
    ...(opts.stoppedTaskRetentionMs !== undefined
      ? { stoppedTaskRetentionMs: opts.stoppedTaskRetentionMs }
      : {}),
    ...(opts.joinToken ? { joinToken: opts.joinToken } : {}),
    ...(opts.serviceSettleMs !== undefined ? { serviceSettleMs: opts.serviceSettleMs } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.identities ? { identities: opts.identities } : {}),
  });
  const url = await berth.listen();
  const clientOpts = (o: ClientOptions = {}) => ({
    endpoint: url,
    region: o.region ?? config.region,
    credentials: o.credentials ?? credentials,
    maxAttempts: 1,
    ...(o.systemClockOffset !== undefined ? { systemClockOffset: o.systemClockOffset } : {}),
  });
  return {
    url,
    region: config.region,
    credentials,
    berth,
    dataDir,
    ecs: (o) => new ECSClient(clientOpts(o)),
    sts: (o) => new STSClient(clientOpts(o)),
    ssm: (o) => new SSMClient(clientOpts(o)),
    secretsManager: (o) => new SecretsManagerClient(clientOpts(o)),
    kms: (o) => new KMSClient(clientOpts(o)),
    iam: (o) => new IAMClient(clientOpts(o)),
    elbv2: (o) => new ElasticLoadBalancingV2Client(clientOpts(o)),
    async close() {
      // An agent leaves its tasks running on purpose, and HAProxy keeps serving when Berth stops;
      // tests remove everything they made.
      for (const a of berth.agents()) await a.destroy();
      await berth.loadBalancers.destroy();
      await berth.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Send a raw request, SigV4-signed (unless `sign` is false), and return status, headers and body. */
export async function signedFetch(
  url: string,
  init: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    credentials?: Credentials;
    region?: string;
    service: string;
    signingDate?: Date;
    sign?: boolean;
  },
): Promise<{ status: number; headers: Headers; text: string; json(): unknown }> {
  const endpoint = new URL(url);
  const path = init.path ?? "/";
  // Sign what fetch will actually send: it normalises the path (dot segments, percent-encoding).
  const wire = new URL(path, endpoint);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of wire.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const headers: Record<string, string> = { host: endpoint.host, ...init.headers };
  let sendHeaders = headers;
  if (init.sign !== false && init.credentials) {
    const signer = new SignatureV4({
      service: init.service,
      region: init.region ?? "us-east-1",
      credentials: init.credentials,
      sha256: Hash.bind(null, "sha256"),
    });
    const signed = await signer.sign(
      {
        method: init.method ?? "POST",
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: Number(endpoint.port),
        path: wire.pathname,
        query,
        headers,
        body: init.body,
      },
      init.signingDate ? { signingDate: init.signingDate } : {},
    );
    sendHeaders = signed.headers as Record<string, string>;
  }
  const { host: _host, ...fetchHeaders } = sendHeaders;
  const res = await fetch(wire, {
    method: init.method ?? "POST",
    headers: fetchHeaders,
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

let awsCliPath: string | undefined;

/**
 * The AWS CLI v2. Debian's `awscli` package installs it as /usr/bin/aws; an older v1 `aws` may come
 * first on PATH, so each candidate's version is checked.
 */
export function awsCli(): string {
  if (awsCliPath) return awsCliPath;
  const candidates = ["/usr/bin/aws", ...(process.env.PATH ?? "").split(":").map((d) => join(d, "aws"))];
  for (const c of candidates) {
    try {
      const v = execFileSync(c, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      if (v.startsWith("aws-cli/2")) {
        awsCliPath = c;
        return c;
      }
    } catch {
      // not this one
    }
  }
  throw new Error("AWS CLI v2 not found; scripts/setup.sh --test installs Debian's awscli");
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** Run `aws --endpoint-url <url> ...args` with the given credentials; never through a shell. */
export function runAws(
  t: Pick<TestBerth, "url" | "credentials" | "region">,
  args: string[],
  opts: { region?: string; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      awsCli(),
      ["--endpoint-url", t.url, "--output", "json", ...args],
      {
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: process.env.HOME ?? "/tmp",
          AWS_ACCESS_KEY_ID: t.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: t.credentials.secretAccessKey,
          ...(t.credentials.sessionToken ? { AWS_SESSION_TOKEN: t.credentials.sessionToken } : {}),
          AWS_DEFAULT_REGION: opts.region ?? t.region,
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
          AWS_PAGER: "",
          AWS_EC2_METADATA_DISABLED: "true",
          AWS_MAX_ATTEMPTS: "1",
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Poll `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? "condition"}${last ? `: ${String(last)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
