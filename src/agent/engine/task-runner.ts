/**
 * Runs one task on the engine: keeps an observed model of its containers, asks `decide` what to do,
 * does it, and reports status changes. Work for a task is serialised: a kick while a pass is under
 * way runs one more pass after it.
 */
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import type { DesiredTask, NetworkBindingReport, TaskReport } from "../../agentapi/protocol.js";
import type { Clock } from "../../lib/clock.js";
import type { Logger } from "../../lib/log.js";
import type { ContainerRuntime, ContainerState } from "../runtime/runtime.js";
import { RuntimeError } from "../runtime/runtime.js";
import { RESOURCE_INIT, type ResolvedSecrets, SecretsError } from "../secrets.js";

/** The registry host of an image reference (docker.io when it names none). */
export function registryHost(image: string): string {
  const first = image.split("/")[0]!;
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : "docker.io";
}

import {
  containerSpec,
  dockerName,
  effectiveContainer,
  LABEL,
  type SpecContext,
  taskIdOf,
  taskVolumeName,
} from "./container-spec.js";
import {
  type Action,
  containerReport,
  decide,
  isStopping,
  knownStatus,
  type ObservedContainer,
  type ObservedTask,
  taskHealth,
} from "./decide.js";
import { networkBindings, rangesToAllocate } from "./ports.js";

/** Preparing a task failed (its network): the message is the stopped reason, as ECS words it. */
export class TaskSetupError extends Error {}

export interface RunnerView {
  spec: DesiredTask;
  known: string;
  containers: { def: ContainerDefinition; observed: ObservedContainer; state?: ContainerState }[];
  times: Pick<
    TaskReport,
    "pullStartedAt" | "pullStoppedAt" | "startedAt" | "executionStoppedAt" | "stoppedAt"
  >;
}

export type PullBehavior = "default" | "always" | "once" | "prefer-cached";

export interface RunnerHost {
  runtime: ContainerRuntime;
  clock: Clock;
  log: Logger;
  instanceId: string;
  clusterName: string;
  region: string;
  bridgeNetwork: string;
  bindIp: string;
  pullBehavior: PullBehavior;
  /** Images this agent has pulled (for "once"). */
  pulled: Set<string>;
  /** Metadata endpoint URLs for a container of a task. */
  metadataUrls(
    task: DesiredTask,
    container: string,
    networkMode: string,
  ): { v3: string; v4: string; token: string };
  /**
   * Variables (and labels) a container of the task gets from the agent: the task role's credentials
   * URI, the endpoint for AWS calls.
   */
  agentEnv(
    task: DesiredTask,
    networkMode: string,
  ): { env: Record<string, string>; labels: Record<string, string> };
  /** Resolve the task's secrets and registry credentials (execution role); undefined when it has none. */
  resolveSecrets(task: DesiredTask): Promise<ResolvedSecrets | undefined>;
  /** The first of `count` contiguous free host ports, for a containerPortRange. */
  hostPortRange(count: number, protocol: "tcp" | "udp"): Promise<number>;
  /** Create the task's cgroup parent with its task-level limits; undefined when it has none. */
  taskCgroup(task: DesiredTask): Promise<string | undefined>;
  removeTaskCgroup(task: DesiredTask): Promise<void>;
  /**
   * awsvpc tasks: make the task's pause container and plug it into the task's VPC. Resolves, once the
   * pause container exists, to its name (the task's containers join its network namespace) and a
   * promise of it running with the interface set up, which must settle before a container starts.
   * Absent on hosts that cannot (in-memory runtimes); idempotent.
   */
  attachNetwork?(
    task: DesiredTask,
    cgroupParent: string | undefined,
  ): Promise<{ container: string; ready: Promise<void> }>;
  /** The task's security group rules changed. */
  updateNetwork?(task: DesiredTask): Promise<void>;
  /** Unplug the task and remove its pause container; idempotent. */
  detachNetwork?(task: DesiredTask): Promise<void>;
  /** A container has started: ship its output if it logs to awslogs. */
  containerStarted(task: DesiredTask, def: ContainerDefinition, id: string): void;
  /** The task's status changed. */
  report(report: TaskReport): void;
}

function observedFromDefinition(
  def: ContainerDefinition,
  td: DesiredTask["taskDefinition"],
): ObservedContainer {
  const first = td.containerDefinitions[0]!.name!;
  const needs = new Set<string>();
  for (const l of def.links ?? []) needs.add(l.split(":")[0]!);
  for (const v of def.volumesFrom ?? []) needs.add(v.sourceContainer!);
  if ((td.pidMode === "task" || td.ipcMode === "task") && def.name !== first) needs.add(first);
  return {
    name: def.name!,
    essential: def.essential !== false,
    dependsOn: (def.dependsOn ?? []).map((d) => ({
      containerName: d.containerName!,
      condition: d.condition as "START",
    })),
    needsRunning: [...needs].filter(
      (n) => n !== def.name && !(def.volumesFrom ?? []).some((v) => v.sourceContainer === n),
    ),
    needsCreated: [...needs].filter((n) => n !== def.name),
    ...(def.startTimeout !== undefined ? { startTimeoutSec: def.startTimeout } : {}),
    stopTimeoutSec: def.stopTimeout ?? 30,
    hasHealthCheck: def.healthCheck !== undefined,
    stopRequested: false,
  };
}

export class TaskRunner {
  private spec: DesiredTask;
  private readonly observed: ObservedTask;
  private readonly states = new Map<string, ContainerState>();
  private pass: Promise<void> = Promise.resolve();
  private queued = false;
  private lastReport = "";
  private times: Pick<
    TaskReport,
    "pullStartedAt" | "pullStoppedAt" | "startedAt" | "executionStoppedAt" | "stoppedAt"
  > = {};
  /**
   * The task's volumes, cgroup and network, made once (see `prepare`): while its images are pulled,
   * or before its first create (creates run concurrently).
   */
  private prepared: Promise<void> | undefined;
  private cgroupParent: string | undefined;
  /** awsvpc: the pause container holding the task's network namespace. */
  private networkContainer: string | undefined;
  /** awsvpc: settles when the task's interface is set up (containers may be created before). */
  private networkReady: Promise<void> | undefined;
  private networkDetached = false;

  constructor(
    spec: DesiredTask,
    adopted: readonly ContainerState[],
    private readonly host: RunnerHost,
  ) {
    this.spec = spec;
    const td = spec.taskDefinition;
    const containers = td.containerDefinitions.map((d) => observedFromDefinition(d, td));
    for (const c of containers) {
      const found = adopted.find((a) => a.labels[LABEL.container] === c.name);
      if (found) {
        c.id = found.id;
        this.observe(c, found);
      }
    }
    const alreadyStopped = spec.lastStatus === "STOPPED";
    this.observed = {
      desiredStatus: alreadyStopped ? "STOPPED" : spec.desiredStatus,
      images: containers.every((c) => c.id !== undefined) ? "done" : "pending",
      containers,
      cleanedUp: alreadyStopped,
    };
  }

  get taskArn(): string {
    return this.spec.taskArn;
  }

  /** Stopped and cleaned up: nothing left to do but remove containers eventually. */
  get finished(): boolean {
    return this.observed.cleanedUp && knownStatus(this.observed) === "STOPPED";
  }

  /** Runtime ids of the task's containers. */
  containerIds(): string[] {
    return this.observed.containers.flatMap((c) => (c.id ? [c.id] : []));
  }

  owns(containerId: string): boolean {
    return this.observed.containers.some((c) => c.id === containerId);
  }

  update(spec: DesiredTask): void {
    const rules = (t: DesiredTask) => JSON.stringify([t.network?.ingress, t.network?.egress]);
    if (spec.network && rules(spec) !== rules(this.spec) && !this.networkDetached) {
      this.host
        .updateNetwork?.(spec)
        .catch((err) =>
          this.host.log.warn("security group update failed", { task: spec.taskArn, error: String(err) }),
        );
    }
    this.spec = spec;
    if (spec.desiredStatus === "STOPPED") this.observed.desiredStatus = "STOPPED";
    this.kick();
  }

  /** Schedule a pass (after the one under way, if any). */
  kick(): Promise<void> {
    if (this.queued) return this.pass;
    this.queued = true;
    this.pass = this.pass.then(async () => {
      this.queued = false;
      try {
        await this.run();
      } catch (err) {
        this.host.log.error("task runner failed", {
          task: this.spec.taskArn,
          error: err instanceof Error ? err : String(err),
        });
      }
    });
    return this.pass;
  }

  /** Current view, for the metadata endpoint. */
  view(): RunnerView {
    return {
      spec: this.spec,
      known: knownStatus(this.observed),
      containers: this.observed.containers.map((o, i) => ({
        def: effectiveContainer(this.spec.taskDefinition.containerDefinitions[i]!, this.spec.overrides),
        observed: o,
        ...(this.states.has(o.name) ? { state: this.states.get(o.name)! } : {}),
      })),
      times: this.times,
    };
  }

  private observe(c: ObservedContainer, s: ContainerState): void {
    this.states.set(c.name, s);
    c.status = s.status;
    if (s.startedAt !== undefined) c.startedAt = s.startedAt;
    if (s.exitCode !== undefined) c.exitCode = s.exitCode;
    c.oomKilled = s.oomKilled;
    if (s.health) c.health = s.health;
    else delete c.health;
  }

  private async refresh(): Promise<void> {
    await Promise.all(
      this.observed.containers.map(async (c) => {
        if (!c.id) return;
        const s = await this.host.runtime.inspect(c.id);
        if (s) this.observe(c, s);
        else if (c.status !== "exited" && c.status !== "dead") {
          c.status = "dead";
          c.error ??= "CannotInspectContainerError: the container was removed from the engine";
        }
      }),
    );
  }

  private async run(): Promise<void> {
    for (let guard = 0; guard < 100; guard++) {
      await this.refresh();
      const now = this.host.clock.now();
      const until = this.spec.stopNotBefore;
      this.observed.draining = until !== undefined && now < until;
      if (this.observed.draining) this.recheckAt(until!);
      const actions = decide(this.observed, now);
      const fail = actions.find((a) => a.type === "fail");
      if (fail) {
        // Decide again as a stopping task before reporting: the observation that made the agent give
        // up (an essential container exited) would otherwise be reported as a fall back to PENDING.
        await this.execute(fail);
        continue;
      }
      this.track(now);
      this.publish();
      if (actions.length === 0) {
        this.recheckWhileWaiting();
        return;
      }
      await Promise.all(actions.map((a) => this.execute(a)));
    }
  }

  private recheck: NodeJS.Timeout | undefined;
  /** Resolved secrets, held in memory only until the containers exist. */
  private secrets: ResolvedSecrets | undefined;
  private drainTimer: NodeJS.Timeout | undefined;

  /** Look again when a drain period ends. */
  private recheckAt(at: number): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(
      () => {
        this.drainTimer = undefined;
        void this.kick();
      },
      Math.max(0, at - this.host.clock.now()),
    );
    this.drainTimer.unref();
  }

  /** While containers wait on dependencies (or a startTimeout), look again every second. */
  private recheckWhileWaiting(): void {
    if (this.recheck || isStopping(this.observed) || knownStatus(this.observed) !== "PENDING") return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      void this.kick();
    }, 1000);
    this.recheck.unref();
  }

  private track(now: number): void {
    const status = knownStatus(this.observed);
    if (status === "RUNNING") this.times.startedAt ??= now;
    if (isStopping(this.observed) && !this.observed.containers.some((c) => c.status === "running"))
      this.times.executionStoppedAt ??= now;
    if (status === "STOPPED") this.times.stoppedAt ??= now;
  }

  private names(): Map<string, string> {
    return new Map(
      this.spec.taskDefinition.containerDefinitions.map((d) => [d.name!, dockerName(this.spec, d.name!)]),
    );
  }

  private async execute(a: Action): Promise<void> {
    const { runtime } = this.host;
    switch (a.type) {
      case "pull":
        // The task's volumes, cgroup and network are made while its images are pulled.
        this.prepared ??= this.prepare();
        this.prepared.catch(() => undefined);
        await this.pull();
        return;
      case "create": {
        const c = this.container(a.name);
        try {
          this.prepared ??= this.prepare();
          await this.prepared;
          const def = this.spec.taskDefinition.containerDefinitions.find((d) => d.name === a.name)!;
          const mode = def.disableNetworking ? "none" : (this.spec.taskDefinition.networkMode ?? "bridge");
          const urls = this.host.metadataUrls(this.spec, a.name, mode);
          const agentEnv = this.host.agentEnv(this.spec, mode);
          // A container's own AWS_ENDPOINT_URL wins over the agent's default.
          if (
            effectiveContainer(def, this.spec.overrides).environment?.some(
              (e) => e.name === "AWS_ENDPOINT_URL",
            )
          ) {
            delete agentEnv.env.AWS_ENDPOINT_URL;
          }
          const hostPortRanges = new Map<number, number>();
          for (const r of rangesToAllocate(def, mode))
            hostPortRanges.set(r.index, await this.host.hostPortRange(r.count, r.protocol));
          const ctx: SpecContext = {
            task: this.spec,
            instanceId: this.host.instanceId,
            clusterName: this.host.clusterName,
            region: this.host.region,
            bridgeNetwork: this.host.bridgeNetwork,
            bindIp: this.host.bindIp,
            metadataV3: urls.v3,
            metadataV4: urls.v4,
            metadataToken: urls.token,
            extraEnv: { ...(this.secrets?.env.get(a.name) ?? {}), ...agentEnv.env },
            extraLabels: agentEnv.labels,
            names: this.names(),
            ...(this.cgroupParent ? { cgroupParent: this.cgroupParent } : {}),
            hostPortRanges,
            ...(this.networkContainer ? { networkContainer: this.networkContainer } : {}),
          };
          c.id = await runtime.create(containerSpec(def, ctx));
        } catch (err) {
          c.error =
            err instanceof TaskSetupError
              ? err.message
              : `CannotCreateContainerError: ${err instanceof Error ? err.message : String(err)}`;
        }
        return;
      }
      case "start": {
        const c = this.container(a.name);
        try {
          await this.networkReady;
          await runtime.start(c.id!);
          const def = this.spec.taskDefinition.containerDefinitions.find((d) => d.name === a.name)!;
          this.host.containerStarted(this.spec, effectiveContainer(def, this.spec.overrides), c.id!);
        } catch (err) {
          c.error =
            err instanceof TaskSetupError
              ? err.message
              : `CannotStartContainerError: ${err instanceof Error ? err.message : String(err)}`;
        }
        return;
      }
      case "stop": {
        const c = this.container(a.name);
        c.stopRequested = true;
        try {
          await runtime.stop(c.id!, a.timeoutSec);
        } catch (err) {
          this.host.log.warn("stop failed; killing", {
            task: this.spec.taskArn,
            container: a.name,
            error: String(err),
          });
          await runtime.kill(c.id!).catch(() => undefined);
        }
        return;
      }
      case "fail":
        this.observed.localStop = { code: a.code, reason: a.reason };
        this.host.log.info("stopping task", { task: this.spec.taskArn, code: a.code, reason: a.reason });
        return;
      case "cleanup":
        await this.detachNetwork();
        await this.host
          .removeTaskCgroup(this.spec)
          .catch((err) => this.host.log.warn("cgroup cleanup failed", { error: String(err) }));
        this.observed.cleanedUp = true;
        return;
    }
  }

  private container(name: string): ObservedContainer {
    return this.observed.containers.find((c) => c.name === name)!;
  }

  private async pull(): Promise<void> {
    const { runtime, clock, pullBehavior, pulled } = this.host;
    this.observed.images = "pulling";
    this.times.pullStartedAt ??= clock.now();
    // Secrets and private registry credentials come first, with the execution role.
    try {
      this.secrets = await this.host.resolveSecrets(this.spec);
    } catch (err) {
      this.observed.images = "failed";
      this.observed.pullError =
        err instanceof SecretsError
          ? err.message
          : `${RESOURCE_INIT} ${err instanceof Error ? err.message : String(err)}`;
      this.times.pullStoppedAt ??= clock.now();
      return;
    }
    const defs = this.spec.taskDefinition.containerDefinitions;
    const images = [...new Set(defs.map((d) => d.image!))];
    for (const image of images) {
      const cached = await runtime.hasImage(image);
      if (pullBehavior === "prefer-cached" && cached) continue;
      if (pullBehavior === "once" && pulled.has(image) && cached) continue;
      const owner = defs.find((d) => d.image === image && this.secrets?.registry.has(d.name!));
      const creds = owner ? this.secrets!.registry.get(owner.name!) : undefined;
      try {
        await runtime.pullImage(image, creds ? { ...creds, serveraddress: registryHost(image) } : undefined);
        pulled.add(image);
      } catch (err) {
        const msg = err instanceof RuntimeError || err instanceof Error ? err.message : String(err);
        // Like the ECS agent's default, a failed pull falls back to an image already on the host.
        if (pullBehavior !== "always" && cached) {
          this.host.log.debug("pull failed; using the cached image", { image, error: msg });
          continue;
        }
        this.observed.images = "failed";
        this.observed.pullError = `CannotPullContainerError: ${msg}`;
        for (const c of this.observed.containers) {
          const def = this.spec.taskDefinition.containerDefinitions.find((d) => d.name === c.name)!;
          if (def.image === image) c.error = this.observed.pullError;
        }
        this.times.pullStoppedAt ??= clock.now();
        return;
      }
    }
    this.observed.images = "done";
    this.times.pullStoppedAt ??= clock.now();
  }

  private async prepareVolumes(): Promise<void> {
    for (const v of this.spec.taskDefinition.volumes ?? []) {
      if (v.host?.sourcePath) continue;
      const dvc = v.dockerVolumeConfiguration;
      const shared = dvc?.scope === "shared";
      const name = shared ? v.name! : taskVolumeName(this.spec, v.name!);
      if (shared) {
        const existing = await this.host.runtime.listVolumes({});
        if (existing.includes(name)) continue;
        if (dvc?.autoprovision === false)
          throw new Error(`shared volume ${name} does not exist and autoprovision is false`);
      }
      await this.host.runtime.createVolume(name, {
        ...(dvc?.driver ? { driver: dvc.driver } : {}),
        ...(dvc?.driverOpts ? { driverOpts: dvc.driverOpts } : {}),
        labels: {
          ...(dvc?.labels ?? {}),
          ...(shared
            ? {}
            : { [LABEL.taskVolume]: this.spec.taskArn, [LABEL.instance]: this.host.instanceId }),
        },
      });
    }
  }

  /**
   * The task's volumes and cgroup, and for awsvpc tasks its pause container (the interface's set-up
   * goes on in `networkReady`). Each step is idempotent, so a runner that adopted some containers
   * prepares again when it must create the rest, and learns the cgroup parent it needs for them.
   */
  private async prepare(): Promise<void> {
    await this.prepareVolumes();
    this.cgroupParent = await this.host.taskCgroup(this.spec);
    if (this.spec.taskDefinition.networkMode !== "awsvpc") return;
    const failed = (err: unknown) =>
      new TaskSetupError(
        `ResourceInitializationError: failed to configure ENI: ${err instanceof Error ? err.message : String(err)}`,
      );
    if (!this.host.attachNetwork || !this.spec.network)
      throw new TaskSetupError(
        "ResourceInitializationError: this agent cannot attach awsvpc network interfaces",
      );
    let n: { container: string; ready: Promise<void> };
    try {
      n = await this.host.attachNetwork(this.spec, this.cgroupParent);
    } catch (err) {
      throw failed(err);
    }
    this.networkContainer = n.container;
    this.networkReady = n.ready.catch((err) => {
      throw failed(err);
    });
    this.networkReady.catch(() => undefined);
  }

  private async detachNetwork(): Promise<void> {
    if (this.networkDetached || this.spec.taskDefinition.networkMode !== "awsvpc" || !this.spec.network)
      return;
    this.networkDetached = true;
    // A set-up still under way finishes first, so that nothing it makes is left behind.
    await this.prepared?.catch(() => undefined);
    await this.networkReady?.catch(() => undefined);
    await this.host
      .detachNetwork?.(this.spec)
      .catch((err) =>
        this.host.log.warn("network detach failed", { task: this.spec.taskArn, error: String(err) }),
      );
  }

  /** Remove the task's containers and task-scoped volumes (after it stopped and its wait elapsed). */
  async removeAll(): Promise<void> {
    await this.detachNetwork();
    for (const c of this.observed.containers) {
      if (!c.id) continue;
      await this.host.runtime.remove(c.id);
      delete c.id;
    }
    for (const name of await this.host.runtime.listVolumes({ [LABEL.taskVolume]: this.spec.taskArn })) {
      await this.host.runtime.removeVolume(name).catch(() => undefined);
    }
  }

  private bindings(name: string, s: ContainerState | undefined): NetworkBindingReport[] | undefined {
    if (s?.status !== "running") return undefined;
    const def = this.spec.taskDefinition.containerDefinitions.find((d) => d.name === name)!;
    const mode = def.disableNetworking ? "none" : (this.spec.taskDefinition.networkMode ?? "bridge");
    return networkBindings(def, mode, s.ports);
  }

  report(): TaskReport {
    const o = this.observed;
    const stop = o.localStop;
    const status = knownStatus(o);
    return {
      taskArn: this.spec.taskArn,
      lastStatus: status,
      healthStatus: taskHealth(o),
      ...this.times,
      ...(stop ? { stopCode: stop.code, stoppedReason: stop.reason } : {}),
      containers: o.containers.map((c) => {
        const s = this.states.get(c.name);
        const bindings = this.bindings(c.name, s);
        return {
          ...containerReport(c, status === "STOPPED"),
          ...(c.id ? { runtimeId: c.id } : {}),
          ...(bindings ? { networkBindings: bindings } : {}),
          ...(s?.imageId ? { imageDigest: s.imageId } : {}),
        };
      }),
    };
  }

  private publish(): void {
    const r = this.report();
    const text = JSON.stringify(r);
    if (text === this.lastReport) return;
    this.lastReport = text;
    this.host.report(r);
  }

  get taskId(): string {
    return taskIdOf(this.spec.taskArn);
  }
}
