/** ContainerRuntime on the real Docker Engine, through dockerode and the engine's unix socket. */
import { PassThrough, Readable } from "node:stream";
import Docker from "dockerode";
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  LogLine,
  RegistryAuth,
  RuntimeEvent,
  RuntimeInfo,
  Subscription,
} from "./runtime.js";
import { logCursor, RuntimeError } from "./runtime.js";

const NS = 1_000_000_000;

function dockerTime(s: string | undefined): number | undefined {
  if (!s || s.startsWith("0001-01-01")) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  return e.json?.message ?? e.message ?? String(err);
}

function wrap(err: unknown, what: string): RuntimeError {
  const code = statusCode(err);
  const kind = code === 404 ? "not-found" : code === 409 ? "conflict" : "engine";
  return new RuntimeError(`${what}: ${engineMessage(err)}`, kind);
}

export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Docker;

  constructor(opts: { socketPath?: string } = {}) {
    this.docker = new Docker({ socketPath: opts.socketPath ?? "/var/run/docker.sock" });
  }

  async info(): Promise<RuntimeInfo> {
    const [v, i] = await Promise.all([
      this.docker.version(),
      this.docker.info() as Promise<{ NCPU: number; MemTotal: number }>,
    ]);
    return { version: v.Version, apiVersion: v.ApiVersion, cpus: i.NCPU, memoryBytes: i.MemTotal };
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw wrap(err, `inspect image ${ref}`);
    }
  }

  async pullImage(ref: string, auth?: RegistryAuth): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.pull(ref, auth ? { authconfig: auth } : {})) as NodeJS.ReadableStream;
    } catch (err) {
      // As the docker CLI (and the ECS agent) word it, without dockerode's "(HTTP code 500) ..." prefix.
      const text = engineMessage(err).replace(/^\(HTTP code \d+\) [^-]*- /, "");
      throw new RuntimeError(`Error response from daemon: ${text.trim()}`, "image");
    }
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
        const failed = err ?? output.find((o) => o.error);
        if (failed)
          reject(new RuntimeError(err ? err.message : String((failed as { error: string }).error), "image"));
        else resolve();
      });
    });
  }

  async importImage(ref: string, rootfsTar: Buffer): Promise<void> {
    const colon = ref.lastIndexOf(":");
    const [repo, tag] =
      colon > ref.lastIndexOf("/") ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, "latest"];
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.importImage(Readable.from([rootfsTar]), {
        repo,
        tag,
      })) as NodeJS.ReadableStream;
    } catch (err) {
      throw new RuntimeError(`import ${ref}: ${engineMessage(err)}`, "image");
    }
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => {
        const failed = err ?? output.find((o) => o.error);
        if (failed)
          reject(
            new RuntimeError(
              `import ${ref}: ${err ? err.message : String((failed as { error: string }).error)}`,
              "image",
            ),
          );
        else resolve();
      });
    });
  }

  async create(spec: ContainerSpec): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      const list = bindings[key] ?? [];
      list.push({ HostIp: p.hostIp ?? "", HostPort: p.hostPort ? String(p.hostPort) : "" });
      bindings[key] = list;
    }
    const hc = spec.healthCheck;
    const userNetwork =
      !["bridge", "host", "none", "default"].includes(spec.networkMode) &&
      !spec.networkMode.startsWith("container:");
    // tmpfs mounts go through HostConfig.Tmpfs: unlike a Mounts entry it takes mount options.
    const tmpfs = (spec.mounts ?? []).filter((m) => m.type === "tmpfs");
    const mounts = (spec.mounts ?? []).filter((m) => m.type !== "tmpfs");
    const endpoint = {
      ...(spec.networkAliases ? { Aliases: spec.networkAliases } : {}),
      // The engine ignores HostConfig.Links on a user-defined network; there links are endpoint settings.
      ...(spec.links ? { Links: spec.links } : {}),
    };
    const options: Docker.ContainerCreateOptions = {
      name: spec.name,
      Image: spec.image,
      Labels: spec.labels,
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      ...(spec.command ? { Cmd: spec.command } : {}),
      ...(spec.entryPoint ? { Entrypoint: spec.entryPoint } : {}),
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
      ...(spec.user ? { User: spec.user } : {}),
      ...(spec.hostname ? { Hostname: spec.hostname } : {}),
      Tty: spec.tty ?? false,
      OpenStdin: spec.openStdin ?? false,
      ExposedPorts: exposed,
      ...(spec.stopTimeoutSec !== undefined ? { StopTimeout: spec.stopTimeoutSec } : {}),
      ...(hc
        ? {
            Healthcheck: {
              Test: hc.test,
              Interval: hc.intervalSec * NS,
              Timeout: hc.timeoutSec * NS,
              Retries: hc.retries,
              StartPeriod: hc.startPeriodSec * NS,
            },
          }
        : {}),
      HostConfig: {
        NetworkMode: spec.networkMode,
        PortBindings: bindings,
        ...(spec.links && !userNetwork ? { Links: spec.links } : {}),
        ...(spec.cpuShares !== undefined ? { CpuShares: spec.cpuShares } : {}),
        ...(spec.memoryBytes !== undefined ? { Memory: spec.memoryBytes } : {}),
        ...(spec.memoryReservationBytes !== undefined
          ? { MemoryReservation: spec.memoryReservationBytes }
          : {}),
        ...(spec.nanoCpus !== undefined ? { NanoCpus: spec.nanoCpus } : {}),
        ...(spec.cgroupParent ? { CgroupParent: spec.cgroupParent } : {}),
        ...(spec.ulimits
          ? { Ulimits: spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) }
          : {}),
        ...(mounts.length
          ? {
              Mounts: mounts.map((m) => ({
                Type: m.type,
                Target: m.target,
                Source: m.source ?? "",
                ReadOnly: m.readOnly ?? false,
              })),
            }
          : {}),
        ...(tmpfs.length
          ? {
              Tmpfs: Object.fromEntries(
                tmpfs.map((m) => [
                  m.target,
                  [
                    ...(m.tmpfsSizeBytes ? [`size=${m.tmpfsSizeBytes}`] : []),
                    ...(m.readOnly ? ["ro"] : []),
                    ...(m.tmpfsOptions ?? []),
                  ].join(","),
                ]),
              ),
            }
          : {}),
        ...(spec.volumesFrom ? { VolumesFrom: spec.volumesFrom } : {}),
        ...(spec.devices
          ? {
              Devices: spec.devices.map((d) => ({
                PathOnHost: d.hostPath,
                PathInContainer: d.containerPath ?? d.hostPath,
                CgroupPermissions: d.permissions ?? "rwm",
              })),
            }
          : {}),
        ...(spec.capAdd ? { CapAdd: spec.capAdd } : {}),
        ...(spec.capDrop ? { CapDrop: spec.capDrop } : {}),
        ...(spec.init !== undefined ? { Init: spec.init } : {}),
        ...(spec.shmSizeBytes !== undefined ? { ShmSize: spec.shmSizeBytes } : {}),
        Privileged: spec.privileged ?? false,
        ReadonlyRootfs: spec.readonlyRootfs ?? false,
        ...(spec.dns ? { Dns: spec.dns } : {}),
        ...(spec.dnsSearch ? { DnsSearch: spec.dnsSearch } : {}),
        ...(spec.extraHosts ? { ExtraHosts: spec.extraHosts } : {}),
        ...(spec.sysctls ? { Sysctls: spec.sysctls } : {}),
        ...(spec.pidMode ? { PidMode: spec.pidMode } : {}),
        ...(spec.ipcMode ? { IpcMode: spec.ipcMode } : {}),
        ...(spec.securityOpt ? { SecurityOpt: spec.securityOpt } : {}),
        // Keep container output on the engine (docker logs); the agent ships it onwards itself.
        LogConfig: { Type: "json-file", Config: spec.logOptions ?? { "max-size": "10m", "max-file": "3" } },
      },
      ...(userNetwork && Object.keys(endpoint).length
        ? { NetworkingConfig: { EndpointsConfig: { [spec.networkMode]: endpoint } } }
        : {}),
    };
    try {
      const c = await this.docker.createContainer(options);
      return c.id;
    } catch (err) {
      if (statusCode(err) === 404) throw new RuntimeError(`No such image: ${spec.image}`, "image");
      throw wrap(err, "create container");
    }
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusCode(err) === 304) return; // already started
      throw wrap(err, "start container");
    }
  }

  async stop(id: string, timeoutSec: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSec });
    } catch (err) {
      const code = statusCode(err);
      if (code === 304 || code === 404) return; // already stopped or gone
      throw wrap(err, "stop container");
    }
  }

  async kill(id: string, signal = "SIGKILL"): Promise<void> {
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (err) {
      const code = statusCode(err);
      if (code === 404 || code === 409) return; // gone or not running
      throw wrap(err, "kill container");
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: false });
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw wrap(err, "remove container");
    }
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    let c: Docker.ContainerInspectInfo;
    try {
      c = await this.docker.getContainer(id).inspect();
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw wrap(err, "inspect container");
    }
    const ports: ContainerState["ports"] = [];
    for (const [key, binds] of Object.entries(c.NetworkSettings.Ports ?? {})) {
      const [port, proto] = key.split("/");
      for (const b of binds ?? []) {
        ports.push({
          containerPort: Number(port),
          hostPort: Number(b.HostPort),
          protocol: proto === "udp" ? "udp" : "tcp",
          hostIp: b.HostIp,
        });
      }
    }
    const networks: ContainerState["networks"] = {};
    for (const [name, n] of Object.entries(c.NetworkSettings.Networks ?? {})) {
      networks[name] = { ipAddress: n.IPAddress, macAddress: n.MacAddress };
    }
    const health = (c.State as { Health?: { Status?: string } }).Health?.Status;
    const startedAt = dockerTime(c.State.StartedAt);
    const finishedAt = dockerTime(c.State.FinishedAt);
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ""),
      image: c.Config.Image,
      imageId: c.Image,
      labels: c.Config.Labels ?? {},
      status: c.State.Status as ContainerStatus,
      ...(c.State.Status === "exited" || c.State.Status === "dead" ? { exitCode: c.State.ExitCode } : {}),
      oomKilled: c.State.OOMKilled,
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(finishedAt !== undefined ? { finishedAt } : {}),
      ...(c.State.Error ? { error: c.State.Error } : {}),
      ...(health === "starting" || health === "healthy" || health === "unhealthy" ? { health } : {}),
      ports,
      networks,
      ...(c.State.Pid ? { pid: c.State.Pid } : {}),
    };
  }

  async list(labels: Record<string, string>): Promise<ContainerState[]> {
    const summaries = await this.docker.listContainers({
      all: true,
      filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
    });
    const states = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    return states.filter((s): s is ContainerState => s !== undefined);
  }

  events(labelKey: string, listener: (e: RuntimeEvent) => void): Subscription {
    let closed = false;
    let current: NodeJS.ReadableStream | undefined;
    const connect = () => {
      this.docker.getEvents({ filters: { type: ["container"], label: [labelKey] } }).then(
        (stream) => {
          if (closed) {
            (stream as unknown as { destroy?: () => void }).destroy?.();
            return;
          }
          current = stream;
          let buf = "";
          stream.on("data", (chunk: Buffer) => {
            buf += chunk.toString();
            let nl = buf.indexOf("\n");
            while (nl >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              nl = buf.indexOf("\n");
              if (line.trim()) this.dispatch(line, listener);
            }
          });
          stream.on("end", () => {
            if (!closed) setTimeout(connect, 500);
          });
          stream.on("error", () => undefined);
        },
        () => {
          if (!closed) setTimeout(connect, 1000);
        },
      );
    };
    connect();
    return {
      close() {
        closed = true;
        (current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      },
    };
  }

  private dispatch(line: string, listener: (e: RuntimeEvent) => void): void {
    let e: { status?: string; Action?: string; id?: string; Actor?: { ID?: string } };
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const action = e.Action ?? e.status ?? "";
    const id = e.Actor?.ID ?? e.id ?? "";
    if (action === "start" || action === "die" || action === "oom" || action === "destroy") {
      listener({ type: action, id });
    } else if (action.startsWith("health_status: ")) {
      const health = action.slice("health_status: ".length);
      if (health === "healthy" || health === "unhealthy" || health === "starting")
        listener({ type: "health", id, health });
    }
  }

  logs(id: string, sinceMs: number, onLine: (line: LogLine) => void, onEnd?: () => void): Subscription {
    let closed = false;
    let source: NodeJS.ReadableStream | undefined;
    const container = this.docker.getContainer(id);
    const emit = (stream: LogLine["stream"]) => {
      let buf = "";
      const out = new PassThrough();
      out.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const raw = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
          const sp = raw.indexOf(" ");
          const stamp = raw.slice(0, sp);
          const ts = Date.parse(stamp);
          onLine({
            stream,
            timestamp: Number.isNaN(ts) ? Date.now() : ts,
            cursor: logCursor(stamp),
            message: raw.slice(sp + 1).replace(/\r$/, ""),
          });
        }
      });
      return out;
    };
    container
      .inspect()
      .then((info) =>
        container
          .logs({
            follow: true,
            stdout: true,
            stderr: true,
            timestamps: true,
            since: Math.floor(sinceMs / 1000),
          })
          .then((stream) => ({ stream: stream as unknown as NodeJS.ReadableStream, tty: info.Config.Tty })),
      )
      .then(
        ({ stream, tty }) => {
          if (closed) {
            (stream as unknown as { destroy?: () => void }).destroy?.();
            return;
          }
          source = stream;
          const stdout = emit("stdout");
          if (tty) stream.pipe(stdout);
          else this.docker.modem.demuxStream(stream, stdout, emit("stderr"));
          stream.on("end", () => onEnd?.());
          stream.on("error", () => onEnd?.());
        },
        () => onEnd?.(),
      );
    return {
      close() {
        closed = true;
        (source as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      },
    };
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    try {
      const raw = (await this.docker.getContainer(id).stats({ stream: false })) as unknown as Record<
        string,
        unknown
      > & {
        cpu_stats?: { cpu_usage?: { total_usage?: number } };
        memory_stats?: { usage?: number };
      };
      return {
        raw,
        cpuTotalNs: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
        memoryBytes: raw.memory_stats?.usage ?? 0,
      };
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw wrap(err, "container stats");
    }
  }

  async createVolume(
    name: string,
    opts: { driver?: string; driverOpts?: Record<string, string>; labels?: Record<string, string> },
  ): Promise<void> {
    try {
      await this.docker.createVolume({
        Name: name,
        Driver: opts.driver ?? "local",
        DriverOpts: opts.driverOpts ?? {},
        Labels: opts.labels ?? {},
      });
    } catch (err) {
      throw wrap(err, `create volume ${name}`);
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (err) {
      if (statusCode(err) === 404) return;
      throw wrap(err, `remove volume ${name}`);
    }
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    const r = await this.docker.listVolumes({
      filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
    });
    return (r.Volumes ?? []).map((v) => v.Name);
  }
}
