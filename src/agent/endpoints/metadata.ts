/**
 * The task metadata endpoint (v3 and v4) served to containers at 169.254.170.2 (bridge mode, via
 * the DNAT rule) or on loopback (host mode). Each container gets a random token in its
 * ECS_CONTAINER_METADATA_URI[_V4]; a token only ever reveals its own task.
 *
 *   GET /v4/<token>              this container
 *   GET /v4/<token>/task         the task and all its containers
 *   GET /v4/<token>/stats        this container's Docker stats
 *   GET /v4/<token>/task/stats   every container's stats, by Docker id
 * (and the same under /v3/)
 */
import { randomBytes } from "node:crypto";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { parseTaskCpu, parseTaskMemory } from "../../domain/ecs/task-size.js";
import type { RunnerView } from "../engine/task-runner.js";
import type { ContainerRuntime } from "../runtime/runtime.js";

export interface MetadataSource {
  /** The runner view of a task, if the agent runs it. */
  view(taskArn: string): RunnerView | undefined;
  /**
   * The credentials document for a task-role credentials id, if the caller at `remoteAddress` is a
   * container of that task (one task never reads another's credentials).
   */
  credentials?(id: string, remoteAddress: string): Promise<{ status: number; body: unknown }>;
  /** Where other requests go: the control plane, for AWS API calls made from tasks. */
  proxyTo?: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export class MetadataServer {
  private readonly tokens = new Map<string, { taskArn: string; container: string }>();
  private readonly byContainer = new Map<string, string>();
  private readonly servers: Server[] = [];
  port = 0;

  constructor(
    private readonly source: MetadataSource,
    private readonly runtime: ContainerRuntime,
  ) {}

  /** The token for a task's container (stable for the life of the agent process). */
  tokenFor(taskArn: string, container: string): string {
    const key = `${taskArn}|${container}`;
    let token = this.byContainer.get(key);
    if (!token) {
      token = `${taskArn.slice(taskArn.lastIndexOf("/") + 1)}-${randomBytes(16).toString("hex")}`;
      this.byContainer.set(key, token);
      this.tokens.set(token, { taskArn, container });
    }
    return token;
  }

  /** Forget a task's tokens. */
  forget(taskArn: string): void {
    for (const [key, token] of this.byContainer) {
      if (key.startsWith(`${taskArn}|`)) {
        this.byContainer.delete(key);
        this.tokens.delete(token);
      }
    }
  }

  /** Re-learn a token after an agent restart, from the container's environment. */
  adopt(token: string, taskArn: string, container: string): void {
    this.byContainer.set(`${taskArn}|${container}`, token);
    this.tokens.set(token, { taskArn, container });
  }

  /** Listen on each address at one port (`preferredPort` if free, else any). */
  async listen(addresses: string[], preferredPort = 0): Promise<number> {
    const tryListen = (address: string, port: number) =>
      new Promise<Server>((resolve, reject) => {
        const s = createServer((req, res) => {
          const path = (req.url ?? "/").split("?")[0]!;
          if (!path.startsWith("/v3/") && !path.startsWith("/v4/") && !path.startsWith("/v2/credentials/")) {
            this.proxy(req, res);
            return;
          }
          const answer = path.startsWith("/v2/credentials/")
            ? this.credentials(path.slice("/v2/credentials/".length), req.socket.remoteAddress ?? "")
            : this.handle(req.url ?? "/");
          void answer.then(
            ({ status, body }) => {
              const text = JSON.stringify(body);
              res.writeHead(status, {
                "content-type": "application/json",
                "content-length": Buffer.byteLength(text),
              });
              res.end(text);
            },
            () => {
              res.writeHead(500);
              res.end();
            },
          );
        });
        s.once("error", reject);
        s.listen(port, address, () => resolve(s));
      });
    // One port on every address: the preferred one when free everywhere, else the first port the
    // first address gets that the others have free too.
    for (let attempt = 0; ; attempt++) {
      let port = attempt === 0 ? preferredPort : 0;
      try {
        for (const address of addresses) {
          const s = await tryListen(address, port);
          this.servers.push(s);
          port = (s.address() as AddressInfo).port;
        }
        this.port = port;
        return port;
      } catch (err) {
        await this.close();
        if (attempt >= 10 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    this.servers.length = 0;
  }

  private async credentials(id: string, remoteAddress: string): Promise<{ status: number; body: unknown }> {
    if (!this.source.credentials || !/^[A-Za-z0-9-]{1,100}$/.test(id))
      return { status: 404, body: { error: "not found" } };
    return this.source.credentials(id, remoteAddress.replace(/^::ffff:/, ""));
  }

  /** Pass an AWS API call from a task through to the control plane, Host header and all (SigV4 signed it). */
  private proxy(req: IncomingMessage, res: ServerResponse): void {
    if (!this.source.proxyTo) {
      res.writeHead(404);
      res.end();
      return;
    }
    const target = new URL(this.source.proxyTo);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }

  private async handle(url: string): Promise<{ status: number; body: unknown }> {
    const m = /^\/v([34])\/([A-Za-z0-9-]+)(\/task)?(\/stats)?\/?$/.exec(url.split("?")[0]!);
    const who = m ? this.tokens.get(m[2]!) : undefined;
    const view = who ? this.source.view(who.taskArn) : undefined;
    if (!m || !who || !view) return { status: 404, body: { error: "not found" } };
    const version = Number(m[1]) as 3 | 4;
    const task = m[3] !== undefined;
    const stats = m[4] !== undefined;
    if (stats) {
      if (!task) {
        const c = view.containers.find((x) => x.observed.name === who.container);
        const s = c?.observed.id ? await this.runtime.stats(c.observed.id) : undefined;
        return { status: 200, body: s?.raw ?? {} };
      }
      const out: Record<string, unknown> = {};
      for (const c of view.containers) {
        if (c.observed.id) out[c.observed.id] = (await this.runtime.stats(c.observed.id))?.raw ?? null;
      }
      return { status: 200, body: out };
    }
    if (!task) {
      const c = view.containers.find((x) => x.observed.name === who.container);
      return { status: 200, body: c ? containerMetadata(view, c, version) : {} };
    }
    return { status: 200, body: taskMetadata(view, version) };
  }
}

type ViewContainer = RunnerView["containers"][number];

function knownContainerStatus(c: ViewContainer): string {
  const s = c.observed.status;
  if (s === "running") return "RUNNING";
  if (s === "exited" || s === "dead") return "STOPPED";
  if (s === "created") return "CREATED";
  return "PULLED";
}

function containerMetadata(view: RunnerView, c: ViewContainer, version: 3 | 4): Record<string, unknown> {
  const def: ContainerDefinition = c.def;
  const st = c.state;
  const mode = view.spec.taskDefinition.networkMode ?? "bridge";
  const net = view.spec.network;
  const networks =
    mode === "awsvpc" && net
      ? [
          {
            NetworkMode: "awsvpc",
            IPv4Addresses: [net.privateIp],
            ...(version === 4
              ? {
                  AttachmentIndex: 0,
                  MACAddress: net.macAddress,
                  IPv4SubnetCIDRBlock: net.subnetCidr,
                  DomainNameServers: [net.dnsServer],
                  DomainNameSearchList: [net.dnsSearch],
                  PrivateDNSName: net.privateDnsName,
                  SubnetGatewayIpv4Address: `${net.gateway}/${net.subnetCidr.split("/")[1]}`,
                }
              : {}),
          },
        ]
      : Object.entries(st?.networks ?? {}).map(([name, n]) => ({
          NetworkMode: mode === "bridge" ? "bridge" : name,
          IPv4Addresses: n.ipAddress ? [n.ipAddress] : [],
        }));
  const out: Record<string, unknown> = {
    DockerId: c.observed.id ?? "",
    Name: def.name,
    DockerName: st?.name ?? "",
    Image: def.image,
    ImageID: st?.imageId ?? "",
    Labels: st?.labels ?? {},
    DesiredStatus: view.spec.desiredStatus === "STOPPED" ? "STOPPED" : "RUNNING",
    KnownStatus: knownContainerStatus(c),
    Limits: { CPU: def.cpu ?? 0, Memory: def.memory ?? 0 },
    ...(st?.startedAt ? { StartedAt: iso(st.startedAt) } : {}),
    ...(st?.finishedAt && (st.status === "exited" || st.status === "dead")
      ? { FinishedAt: iso(st.finishedAt) }
      : {}),
    Type: "NORMAL",
    Networks: networks,
    ...(c.observed.exitCode !== undefined && c.observed.status !== "running"
      ? { ExitCode: c.observed.exitCode }
      : {}),
  };
  if (st?.ports.length) {
    out.Ports = st.ports.map((p) => ({
      ContainerPort: p.containerPort,
      Protocol: p.protocol,
      HostPort: p.hostPort,
      HostIp: p.hostIp || "0.0.0.0",
    }));
  }
  if (def.healthCheck) {
    const h = c.observed.health;
    out.Health = { status: h === "healthy" ? "HEALTHY" : h === "unhealthy" ? "UNHEALTHY" : "UNKNOWN" };
  }
  if (version === 4) {
    out.ContainerARN = containerArnOf(view, def.name!);
    if (def.logConfiguration) {
      out.LogDriver = def.logConfiguration.logDriver;
      out.LogOptions = def.logConfiguration.options ?? {};
    }
  }
  return out;
}

const containerArnOf = (view: RunnerView, name: string): string => view.spec.containerArns[name] ?? "";

function taskMetadata(view: RunnerView, version: 3 | 4): Record<string, unknown> {
  const td = view.spec.taskDefinition;
  const cpu = view.spec.overrides.cpu ?? td.cpu;
  const memory = view.spec.overrides.memory ?? td.memory;
  const limits: Record<string, number> = {};
  if (cpu !== undefined) limits.CPU = (parseTaskCpu(cpu) ?? 0) / 1024;
  if (memory !== undefined) limits.Memory = parseTaskMemory(memory) ?? 0;
  const out: Record<string, unknown> = {
    Cluster: view.spec.clusterArn,
    TaskARN: view.spec.taskArn,
    Family: td.family,
    Revision: String(td.revision),
    DesiredStatus: view.spec.desiredStatus,
    KnownStatus: view.known,
    ...(Object.keys(limits).length ? { Limits: limits } : {}),
    ...(view.times.pullStartedAt ? { PullStartedAt: iso(view.times.pullStartedAt) } : {}),
    ...(view.times.pullStoppedAt ? { PullStoppedAt: iso(view.times.pullStoppedAt) } : {}),
    AvailabilityZone: view.spec.availabilityZone,
    Containers: view.containers.map((c) => containerMetadata(view, c, version)),
  };
  if (version === 4) {
    out.LaunchType = view.spec.launchType;
    if (view.spec.network) out.VPCID = view.spec.network.vpcId;
    if (view.spec.group?.startsWith("service:")) out.ServiceName = view.spec.group.slice("service:".length);
  }
  return out;
}
