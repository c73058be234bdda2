/**
 * The container runtime as the agent needs it — narrow on purpose. The Docker implementation drives
 * the real engine; the in-memory one lets schedulers and benchmarks run thousands of "containers"
 * without Docker. Both pass test/contract/runtime.case.ts.
 */

export interface PortBinding {
  containerPort: number;
  /** 0 asks for a dynamic host port. */
  hostPort: number;
  protocol: "tcp" | "udp";
  /** Host address to bind (default all). */
  hostIp?: string;
}

export interface Mount {
  type: "bind" | "volume" | "tmpfs";
  /** Host path (bind) or volume name (volume). */
  source?: string;
  target: string;
  readOnly?: boolean;
  /** tmpfs only. */
  tmpfsSizeBytes?: number;
  tmpfsOptions?: string[];
}

export interface HealthCheckSpec {
  /** Docker form: ["CMD", ...] or ["CMD-SHELL", "..."]. */
  test: string[];
  intervalSec: number;
  timeoutSec: number;
  retries: number;
  startPeriodSec: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  command?: string[];
  entryPoint?: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  tty?: boolean;
  openStdin?: boolean;
  /** "bridge", "host", "none", "container:<id>", or a network name. */
  networkMode: string;
  /** Aliases on a user-defined network (bridge-mode links). */
  networkAliases?: string[];
  /** `<container name or id>:<alias>`; on a user-defined network the alias resolves through its DNS. */
  links?: string[];
  ports: PortBinding[];
  cpuShares?: number;
  /** Hard limit. */
  memoryBytes?: number;
  /** Soft limit. */
  memoryReservationBytes?: number;
  /** CFS quota for task-level cpu limits, in nano-CPUs. */
  nanoCpus?: number;
  /** A cgroup parent shared by the task's containers (task-level limits). */
  cgroupParent?: string;
  ulimits?: { name: string; soft: number; hard: number }[];
  mounts?: Mount[];
  volumesFrom?: string[];
  devices?: { hostPath: string; containerPath?: string; permissions?: string }[];
  capAdd?: string[];
  capDrop?: string[];
  init?: boolean;
  shmSizeBytes?: number;
  privileged?: boolean;
  readonlyRootfs?: boolean;
  dns?: string[];
  dnsSearch?: string[];
  extraHosts?: string[];
  sysctls?: Record<string, string>;
  healthCheck?: HealthCheckSpec;
  /** Seconds between SIGTERM and SIGKILL when stopped. */
  stopTimeoutSec?: number;
  pidMode?: string;
  ipcMode?: string;
  securityOpt?: string[];
  /** Options of the engine's json-file log driver (default: max-size 10m, max-file 3). */
  logOptions?: Record<string, string>;
}

export type ContainerStatus =
  | "created"
  | "running"
  | "paused"
  | "restarting"
  | "removing"
  | "exited"
  | "dead";

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  /** The image's content id, when known. */
  imageId?: string;
  labels: Record<string, string>;
  status: ContainerStatus;
  exitCode?: number;
  oomKilled: boolean;
  /** Epoch ms; undefined before the first start. */
  startedAt?: number;
  finishedAt?: number;
  /** The engine's error when a start failed. */
  error?: string;
  health?: "starting" | "healthy" | "unhealthy";
  ports: { containerPort: number; hostPort: number; protocol: "tcp" | "udp"; hostIp: string }[];
  /** Addresses per network name. */
  networks: Record<string, { ipAddress: string; macAddress: string }>;
  pid?: number;
}

export type RuntimeEvent =
  | { type: "start" | "die" | "oom" | "destroy"; id: string }
  | { type: "health"; id: string; health: "starting" | "healthy" | "unhealthy" };

export interface ContainerStats {
  /** Raw Docker stats JSON (the metadata endpoint serves it as is). */
  raw: Record<string, unknown>;
  cpuTotalNs: number;
  memoryBytes: number;
}

export interface LogLine {
  stream: "stdout" | "stderr";
  /** Epoch ms, from the engine. */
  timestamp: number;
  /** The engine's timestamp at full precision, fixed width, so that cursors compare as strings. */
  cursor: string;
  message: string;
}

/** `2026-01-01T00:00:00.123Z` or `...00.123456789Z` → fixed-width nanosecond form. */
export function logCursor(timestamp: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(timestamp);
  if (!m) return timestamp;
  return `${m[1]}.${(m[2] ?? "").padEnd(9, "0").slice(0, 9)}Z`;
}

export interface Subscription {
  close(): void;
}

export interface RuntimeInfo {
  /** The engine's version, e.g. "20.10.24". */
  version: string;
  apiVersion: string;
  cpus: number;
  memoryBytes: number;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** The runtime refused or failed: the message is fit to show a user (as a container reason). */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly kind: "not-found" | "conflict" | "image" | "engine",
  ) {
    super(message);
    this.name = "RuntimeError";
  }
}

export interface ContainerRuntime {
  info(): Promise<RuntimeInfo>;
  hasImage(ref: string): Promise<boolean>;
  /** Pull an image; rejects with RuntimeError("image") when the registry refuses. */
  pullImage(ref: string, auth?: RegistryAuth): Promise<void>;
  /** Make an image from a tar archive of its file system (the agent's own pause image). */
  importImage(ref: string, rootfsTar: Buffer): Promise<void>;
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after `timeoutSec`. */
  stop(id: string, timeoutSec: number): Promise<void>;
  kill(id: string, signal?: string): Promise<void>;
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerState | undefined>;
  /** Containers carrying all of these labels. */
  list(labels: Record<string, string>): Promise<ContainerState[]>;
  /** Lifecycle events of containers carrying the label `key` (any value). */
  events(labelKey: string, listener: (e: RuntimeEvent) => void): Subscription;
  /** Follow a container's output from `sinceMs`; ends when the container stops. */
  logs(id: string, sinceMs: number, onLine: (line: LogLine) => void, onEnd?: () => void): Subscription;
  stats(id: string): Promise<ContainerStats | undefined>;
  createVolume(
    name: string,
    opts: { driver?: string; driverOpts?: Record<string, string>; labels?: Record<string, string> },
  ): Promise<void>;
  removeVolume(name: string): Promise<void>;
  listVolumes(labels: Record<string, string>): Promise<string[]>;
}
