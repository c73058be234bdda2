/**
 * An in-memory ContainerRuntime for scheduler tests and placement benchmarks: thousands of
 * "containers" with no engine. It keeps the same contract as Docker (test/contract/runtime.case.ts).
 *
 * What a container does is read from its command, a tiny script language:
 *   ["fake:run"]                         run until stopped (default for any other command)
 *   ["fake:print", "a", "b", "exit:3"]   print lines, then exit with the code (default 0)
 *   ["fake:ignore-term"]                 ignore SIGTERM; only SIGKILL (or the stop timeout) ends it
 */
import type { Clock } from "../../lib/clock.js";
import { systemClock } from "../../lib/clock.js";
import { hexId } from "../../lib/ids.js";
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStats,
  LogLine,
  RuntimeEvent,
  RuntimeInfo,
  Subscription,
} from "./runtime.js";
import { logCursor, RuntimeError } from "./runtime.js";

interface FakeContainer {
  spec: ContainerSpec;
  state: ContainerState;
  output: LogLine[];
  followers: Set<{ onLine: (l: LogLine) => void; onEnd?: () => void }>;
}

export class MemoryRuntime implements ContainerRuntime {
  private readonly containers = new Map<string, FakeContainer>();
  private readonly localImages = new Set<string>();
  private readonly registryImages = new Set<string>();
  private readonly volumes = new Map<string, Record<string, string>>();
  private readonly listeners = new Set<{ key: string; fn: (e: RuntimeEvent) => void }>();
  private nextPort = 32768;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly resources: { cpus: number; memoryBytes: number } = { cpus: 2, memoryBytes: 4 * 2 ** 30 },
  ) {}

  /** Make an image available locally (as if built or pulled before). */
  addLocalImage(ref: string): void {
    this.localImages.add(normalize(ref));
  }

  /** Make an image pullable. */
  addRegistryImage(ref: string): void {
    this.registryImages.add(normalize(ref));
  }

  /** Make a running container exit with a code, as if its process ended. */
  exit(id: string, code: number, oom = false): void {
    const c = this.get(id);
    if (c.state.status !== "running") return;
    this.finish(c, code, oom);
  }

  /** Set a running container's health, as a health check would. */
  setHealth(id: string, health: "healthy" | "unhealthy"): void {
    const c = this.get(id);
    c.state.health = health;
    this.emit(c, { type: "health", id, health });
  }

  async info(): Promise<RuntimeInfo> {
    return { version: "memory", apiVersion: "1.41", ...this.resources };
  }

  async hasImage(ref: string): Promise<boolean> {
    return this.localImages.has(normalize(ref));
  }

  async pullImage(ref: string): Promise<void> {
    if (!this.registryImages.has(normalize(ref))) {
      throw new RuntimeError(
        `Error response from daemon: pull access denied for ${ref}, repository does not exist or may require 'docker login'`,
        "image",
      );
    }
    this.localImages.add(normalize(ref));
  }

  async importImage(ref: string, rootfsTar: Buffer): Promise<void> {
    if (rootfsTar.length < 1024 || rootfsTar.length % 512 !== 0)
      throw new RuntimeError(`import ${ref}: not a tar archive`, "image");
    this.localImages.add(normalize(ref));
  }

  async create(spec: ContainerSpec): Promise<string> {
    if (!this.localImages.has(normalize(spec.image)))
      throw new RuntimeError(`No such image: ${spec.image}`, "image");
    for (const c of this.containers.values()) {
      if (c.state.name === spec.name)
        throw new RuntimeError(`Conflict. The container name "/${spec.name}" is already in use`, "conflict");
    }
    const id = hexId(32);
    this.containers.set(id, {
      spec,
      state: {
        id,
        name: spec.name,
        image: spec.image,
        labels: { ...spec.labels },
        status: "created",
        oomKilled: false,
        ports: [],
        networks: {},
      },
      output: [],
      followers: new Set(),
    });
    return id;
  }

  async start(id: string): Promise<void> {
    const c = this.get(id);
    if (c.state.status === "running") return;
    c.state.status = "running";
    c.state.startedAt = this.clock.now();
    delete c.state.exitCode;
    delete c.state.finishedAt;
    c.state.ports = c.spec.ports.map((p) => ({
      containerPort: p.containerPort,
      hostPort: p.hostPort || this.nextPort++,
      protocol: p.protocol,
      hostIp: p.hostIp ?? "0.0.0.0",
    }));
    if (c.spec.networkMode === "bridge")
      c.state.networks = {
        bridge: {
          ipAddress: `172.17.${(this.containers.size >> 8) & 255}.${this.containers.size & 255}`,
          macAddress: "02:42:ac:11:00:02",
        },
      };
    if (c.spec.healthCheck) c.state.health = "starting";
    this.emit(c, { type: "start", id });
    const cmd = c.spec.command ?? [];
    if (cmd[0] === "fake:print") {
      let code = 0;
      for (const arg of cmd.slice(1)) {
        if (arg.startsWith("exit:")) code = Number(arg.slice(5));
        else this.write(c, "stdout", arg);
      }
      queueMicrotask(() => this.finish(c, code, false));
    }
  }

  async stop(id: string, timeoutSec: number): Promise<void> {
    const c = this.containers.get(id);
    if (c?.state.status !== "running") return;
    const ignoresTerm = c.spec.command?.[0] === "fake:ignore-term";
    if (ignoresTerm && timeoutSec > 0) {
      await new Promise((r) => setTimeout(r, Math.min(timeoutSec * 1000, 50)));
    }
    this.finish(c, ignoresTerm ? 137 : 143, false);
  }

  async kill(id: string, signal = "SIGKILL"): Promise<void> {
    const c = this.containers.get(id);
    if (c?.state.status !== "running") return;
    if (signal === "SIGTERM" && c.spec.command?.[0] === "fake:ignore-term") return;
    this.finish(c, signal === "SIGTERM" ? 143 : 137, false);
  }

  async remove(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    if (c.state.status === "running") this.finish(c, 137, false);
    this.containers.delete(id);
    this.emit(c, { type: "destroy", id });
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const c = this.containers.get(id);
    return c ? structuredClone(c.state) : undefined;
  }

  async list(labels: Record<string, string>): Promise<ContainerState[]> {
    const out: ContainerState[] = [];
    for (const c of this.containers.values()) {
      if (Object.entries(labels).every(([k, v]) => c.state.labels[k] === v))
        out.push(structuredClone(c.state));
    }
    return out;
  }

  events(labelKey: string, listener: (e: RuntimeEvent) => void): Subscription {
    const entry = { key: labelKey, fn: listener };
    this.listeners.add(entry);
    return { close: () => this.listeners.delete(entry) };
  }

  logs(id: string, sinceMs: number, onLine: (line: LogLine) => void, onEnd?: () => void): Subscription {
    const c = this.containers.get(id);
    if (!c) {
      queueMicrotask(() => onEnd?.());
      return { close() {} };
    }
    for (const line of c.output) if (line.timestamp >= sinceMs) onLine(line);
    if (c.state.status !== "running" && c.state.status !== "created") {
      queueMicrotask(() => onEnd?.());
      return { close() {} };
    }
    const follower = { onLine, ...(onEnd ? { onEnd } : {}) };
    c.followers.add(follower);
    return { close: () => c.followers.delete(follower) };
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const c = this.containers.get(id);
    if (!c) return undefined;
    const raw = {
      read: new Date(this.clock.now()).toISOString(),
      cpu_stats: { cpu_usage: { total_usage: 0 } },
      memory_stats: { usage: 1 << 20 },
    };
    return { raw, cpuTotalNs: 0, memoryBytes: 1 << 20 };
  }

  async createVolume(name: string, opts: { labels?: Record<string, string> }): Promise<void> {
    if (!this.volumes.has(name)) this.volumes.set(name, opts.labels ?? {});
  }

  async removeVolume(name: string): Promise<void> {
    this.volumes.delete(name);
  }

  async listVolumes(labels: Record<string, string>): Promise<string[]> {
    return [...this.volumes]
      .filter(([, l]) => Object.entries(labels).every(([k, v]) => l[k] === v))
      .map(([n]) => n);
  }

  private get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError(`No such container: ${id}`, "not-found");
    return c;
  }

  private write(c: FakeContainer, stream: LogLine["stream"], message: string): void {
    const timestamp = this.clock.now();
    const line = { stream, timestamp, cursor: logCursor(new Date(timestamp).toISOString()), message };
    c.output.push(line);
    for (const f of c.followers) f.onLine(line);
  }

  private finish(c: FakeContainer, code: number, oom: boolean): void {
    if (c.state.status !== "running") return;
    c.state.status = "exited";
    c.state.exitCode = code;
    c.state.oomKilled = oom;
    c.state.finishedAt = this.clock.now();
    if (oom) this.emit(c, { type: "oom", id: c.state.id });
    this.emit(c, { type: "die", id: c.state.id });
    for (const f of c.followers) f.onEnd?.();
    c.followers.clear();
  }

  private emit(c: FakeContainer, e: RuntimeEvent): void {
    for (const l of this.listeners) if (l.key in c.state.labels) l.fn(e);
  }
}

const normalize = (ref: string) => (ref.includes(":") || ref.includes("@") ? ref : `${ref}:latest`);
