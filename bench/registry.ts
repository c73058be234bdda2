/**
 * Registry benchmark (issue: ECR). Push and pull throughput of one ~100 MB multi-layer image and of
 * 100 small images, with 1 and 8 concurrent clients, against Berth (its own process, FULL
 * durability, Basic authentication with an ECR token) and, in the same run, against distribution
 * (Debian's docker-registry, filesystem storage, no authentication) on another loopback port.
 *
 * Both are driven by the same client in this process, speaking the OCI distribution protocol the
 * way docker does: per blob HEAD, POST, one streamed PATCH, PUT ?digest; then PUT the manifest.
 * Pulls GET the manifest and every blob, verifying each digest. Every push uses fresh random
 * (incompressible) content. Each row is the median of `--rounds` runs, Berth and distribution
 * alternating, with `sync` before every measurement.
 *
 *   node dist/bench/registry.js [--rounds 3] [--large-mb 100] [--small 100]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { tempDir } from "../test/helpers/berth.js";
import { spawnBerth } from "../test/helpers/process.js";
import { fmt, machine, percentile, table } from "./lib.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    "large-mb": { type: "string", default: "100" },
    small: { type: "string", default: "100" },
    durability: { type: "string", default: "FULL" },
    /** Run only these scenarios (comma-separated indexes 0-3), for investigation. */
    only: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const LARGE_MB = Number(values["large-mb"]);
const SMALL = Number(values.small);

const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

interface Image {
  manifest: string;
  digest: string;
  blobs: Buffer[];
  bytes: number;
}

/** A docker schema 2 image: a config and layers of the given sizes, random content. */
function makeImage(layerSizes: number[]): Image {
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      nonce: randomBytes(16).toString("hex"),
      rootfs: { type: "layers", diff_ids: [] },
    }),
  );
  const layers = layerSizes.map((n) => randomBytes(n));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.docker.distribution.manifest.v2+json",
    config: {
      mediaType: "application/vnd.docker.container.image.v1+json",
      size: config.length,
      digest: sha256(config),
    },
    layers: layers.map((l) => ({
      mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip",
      size: l.length,
      digest: sha256(l),
    })),
  });
  return {
    manifest,
    digest: sha256(manifest),
    blobs: [config, ...layers],
    bytes: config.length + layerSizes.reduce((a, b) => a + b, 0),
  };
}

/** CPU seconds (user + system) a process has used, from /proc. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Target {
  name: string;
  pid: number;
  url: string;
  /** The repository path prefix (Berth: `us-east-1/`). */
  prefix: string;
  auth?: string;
  /** Make sure a repository exists before pushing to it. */
  ensureRepo(name: string): Promise<void>;
}

async function check(res: Response, want: number, what: string): Promise<void> {
  if (res.status !== want) throw new Error(`${what}: ${res.status} ${await res.text()}`);
}

async function pushImage(t: Target, repo: string, tag: string, img: Image): Promise<void> {
  const base = `${t.url}/v2/${t.prefix}${repo}`;
  const h: Record<string, string> = t.auth ? { authorization: t.auth } : {};
  for (const blob of img.blobs) {
    const digest = sha256(blob);
    const head = await fetch(`${base}/blobs/${digest}`, { method: "HEAD", headers: h });
    if (head.status === 200) continue;
    const start = await fetch(`${base}/blobs/uploads/`, { method: "POST", headers: h });
    await check(start, 202, "POST upload");
    await start.arrayBuffer();
    const loc = new URL(start.headers.get("location")!, t.url);
    const patch = await fetch(loc, {
      method: "PATCH",
      headers: { ...h, "content-type": "application/octet-stream" },
      body: blob,
    });
    await check(patch, 202, "PATCH upload");
    await patch.arrayBuffer();
    const done = new URL(patch.headers.get("location")!, t.url);
    done.searchParams.set("digest", digest);
    const put = await fetch(done, { method: "PUT", headers: h });
    await check(put, 201, "PUT upload");
    await put.arrayBuffer();
  }
  const m = await fetch(`${base}/manifests/${tag}`, {
    method: "PUT",
    headers: { ...h, "content-type": "application/vnd.docker.distribution.manifest.v2+json" },
    body: img.manifest,
  });
  await check(m, 201, "PUT manifest");
  await m.arrayBuffer();
}

async function pullImage(t: Target, repo: string, tag: string): Promise<number> {
  const base = `${t.url}/v2/${t.prefix}${repo}`;
  const h: Record<string, string> = t.auth ? { authorization: t.auth } : {};
  const m = await fetch(`${base}/manifests/${tag}`, {
    headers: { ...h, accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  await check(m, 200, "GET manifest");
  const manifest = JSON.parse(await m.text()) as { config: { digest: string }; layers: { digest: string }[] };
  let bytes = 0;
  for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    const r = await fetch(`${base}/blobs/${d}`, { headers: h });
    await check(r, 200, "GET blob");
    const hash = createHash("sha256");
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    if (`sha256:${hash.digest("hex")}` !== d) throw new Error(`digest mismatch pulling ${d}`);
  }
  return bytes;
}

interface Result {
  mbps: number;
  p50: number;
  p95: number;
  /** Server CPU seconds per GB moved. */
  cpu: number;
}

/** Run `jobs` over `clients` workers; MB/s over the wall time, latency per job. */
async function runJobs(pid: number, clients: number, jobs: (() => Promise<number>)[]): Promise<Result> {
  // Flush dirty pages first, so a server that acknowledged writes before they reached the disk
  // does not hand its write-back to whoever is measured next.
  execFileSync("sync");
  const cpu0 = await cpuSeconds(pid);
  const lat: number[] = [];
  let bytes = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const t0 = performance.now();
        const n = await job();
        bytes += n;
        lat.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  const cpu = ((await cpuSeconds(pid)) - cpu0) / (bytes / 1e9);
  return { mbps: bytes / 1e6 / seconds, p50: percentile(lat, 50), p95: percentile(lat, 95), cpu };
}

const median = (xs: Result[]): Result => {
  const by = (k: keyof Result) => [...xs].map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { mbps: by("mbps"), p50: by("p50"), p95: by("p95"), cpu: by("cpu") };
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startDistribution(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  cache:",
      "    blobdescriptor: inmemory",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "data")}`,
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const child = spawn("/usr/bin/docker-registry", ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/v2/`)).status === 200) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`distribution did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child };
}

async function main() {
  const dir = await tempDir("berth-bench-registry-");
  const berth = await spawnBerth(["--port", "0", "--data-dir", join(dir, "berth"), "--no-agent"], {
    BERTH_LOG_LEVEL: "warn",
    BERTH_DURABILITY: String(values.durability),
  });
  const dist = await startDistribution(dir);
  const credentials = JSON.parse(await readFile(join(dir, "berth", "credentials.json"), "utf8"));
  const ecr = new ECRClient({ endpoint: berth.url, region: "us-east-1", credentials, maxAttempts: 1 });
  const tok = await ecr.send(new GetAuthorizationTokenCommand({}));
  const targets: Target[] = [
    {
      name: `Berth (${values.durability})`,
      url: berth.url,
      pid: berth.child.pid!,
      prefix: "us-east-1/",
      auth: `Basic ${tok.authorizationData![0]!.authorizationToken!}`,
      ensureRepo: async (name) => {
        await ecr.send(new CreateRepositoryCommand({ repositoryName: name })).catch((e: Error) => {
          if (e.name !== "RepositoryAlreadyExistsException") throw e;
        });
      },
    },
    {
      name: "distribution",
      url: dist.url,
      pid: dist.child.pid!,
      prefix: "",
      ensureRepo: async () => undefined,
    },
  ];
  // ~100 MB in five layers of decreasing size, as real images tend to be.
  const mb = 1_000_000;
  const largeLayers = [0.4, 0.25, 0.2, 0.1, 0.05].map((f) => Math.round(f * LARGE_MB * mb));
  const smallLayers = [20_000, 4_000];

  type Scenario = { name: string; clients: number; images: number; layers: number[] };
  const scenarios: Scenario[] = [
    { name: `1 image of ${LARGE_MB} MB`, clients: 1, images: 1, layers: largeLayers },
    { name: `8 images of ${LARGE_MB} MB`, clients: 8, images: 8, layers: largeLayers },
    { name: `${SMALL} small images`, clients: 1, images: SMALL, layers: smallLayers },
    { name: `${SMALL} small images`, clients: 8, images: SMALL, layers: smallLayers },
  ];
  const only = values.only?.split(",").map(Number);
  const chosen = only ? scenarios.filter((_, i) => only.includes(i)) : scenarios;
  const results = new Map<string, { push: Result[]; pull: Result[] }>();
  let round = 0;
  try {
    // Warm-up on both.
    for (const t of targets) {
      await t.ensureRepo("warm");
      for (let i = 0; i < 10; i++) await pushImage(t, "warm", `w${i}`, makeImage(smallLayers));
      for (let i = 0; i < 10; i++) await pullImage(t, "warm", `w${i}`);
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of chosen) {
        for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
          round++;
          const repos = Array.from(
            { length: s.images },
            (_, i) => `bench/r${round}-${s.clients > 1 && s.images === s.clients ? i : 0}`,
          );
          for (const repo of new Set(repos)) await t.ensureRepo(repo);
          const images = Array.from({ length: s.images }, () => makeImage(s.layers));
          const push = await runJobs(
            t.pid,
            s.clients,
            images.map((img, i) => async () => {
              await pushImage(t, repos[i]!, `t${i}`, img);
              return img.bytes;
            }),
          );
          // Pull: for the large image, 8 clients pull the same image (fan-out); small ones each.
          const pull = await runJobs(
            t.pid,
            s.clients,
            images.map(
              (_, i) => () =>
                pullImage(t, repos[s.images === s.clients ? 0 : i]!, `t${s.images === s.clients ? 0 : i}`),
            ),
          );
          const key = `${s.name}|${s.clients}|${t.name}`;
          const entry = results.get(key) ?? { push: [], pull: [] };
          entry.push.push(push);
          entry.pull.push(pull);
          results.set(key, entry);
          console.error(
            `${key}: push ${fmt(push.mbps, 1)} MB/s (${fmt(push.cpu, 1)} CPU s/GB), pull ${fmt(pull.mbps, 1)} MB/s (${fmt(pull.cpu, 1)} CPU s/GB)`,
          );
        }
      }
    }
  } finally {
    await berth.stop();
    dist.child.kill("SIGTERM");
    await rm(dir, { recursive: true, force: true });
  }
  const rows: Record<string, string | number>[] = [];
  for (const s of chosen) {
    for (const op of ["push", "pull"] as const) {
      const b = median(results.get(`${s.name}|${s.clients}|${targets[0]!.name}`)![op]);
      const d = median(results.get(`${s.name}|${s.clients}|${targets[1]!.name}`)![op]);
      rows.push({
        workload: s.name,
        op,
        clients: s.clients,
        "Berth MB/s": fmt(b.mbps, 1),
        "dist. MB/s": fmt(d.mbps, 1),
        "Berth ÷ dist.": fmt(b.mbps / d.mbps, 2),
        "Berth p50/p95 ms": `${fmt(b.p50, 0)} / ${fmt(b.p95, 0)}`,
        "dist. p50/p95 ms": `${fmt(d.p50, 0)} / ${fmt(d.p95, 0)}`,
        "CPU s/GB Berth / dist.": `${fmt(b.cpu, 1)} / ${fmt(d.cpu, 1)}`,
      });
    }
  }
  console.log(`\nRegistry benchmark — median of ${ROUNDS} rounds; latency is per image (push or pull)`);
  console.log(`machine: ${machine()}\n`);
  console.log(table(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
