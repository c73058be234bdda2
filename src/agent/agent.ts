/**
 * The Berth agent: turns a host with a container engine into an ECS container instance. It
 * registers (or resumes its identity after a restart), follows its desired tasks by long-polling the
 * control plane, runs them with one TaskRunner each, serves task metadata, ships awslogs output, and
 * reports what it sees. Stopping the agent never stops a task: containers keep running, and the next
 * agent process adopts them.
 */

import { randomUUID } from "node:crypto";
import type { Attribute } from "@aws-sdk/client-ecs";
import type {
  CredentialsResponse,
  DesiredTask,
  PollResponse,
  RegisterRequest,
  TaskNetworkSpec,
  TaskReport,
} from "../agentapi/protocol.js";
import { DEFAULT_RESERVED_PORTS } from "../domain/ecs/resources.js";
import { parseTaskCpu, parseTaskMemory } from "../domain/ecs/task-size.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/log.js";
import { TaskCgroups } from "./cgroups.js";
import { credentialsDocument, TaskCredentials } from "./credentials.js";
import { DnsServer } from "./endpoints/dns.js";
import { MetadataServer } from "./endpoints/metadata.js";
import { effectiveContainer, LABEL, taskIdOf } from "./engine/container-spec.js";
import { type PullBehavior, type RunnerHost, TaskRunner } from "./engine/task-runner.js";
import { LogShipper } from "./logs/shipper.js";
import { ENDPOINT_ADDRESS } from "./network/bridge.js";
import { HostPortRanges } from "./network/host-ports.js";
import { ensurePauseImage, PAUSE_CONTAINER_NAME, pauseSpec } from "./network/pause.js";
import type { Endpoint } from "./network/sg-rules.js";
import { berthRegistryOf, ecrLogin } from "./registry-auth.js";
import type { ContainerRuntime, ContainerState, Subscription } from "./runtime/runtime.js";
import {
  needsSecrets,
  RESOURCE_INIT,
  type ResolvedSecrets,
  resolveSecrets,
  SecretsError,
} from "./secrets.js";
import { AgentApiError, Session } from "./session.js";
import { type AgentState, StateFile } from "./state-file.js";

export const AGENT_VERSION = "1.0.0-berth";
/** How often every task is re-checked against the engine, besides the engine's events. */
const SWEEP_MS = 60_000;

/** Where the agent's bridge-mode containers live and how 169.254.170.2 reaches it. */
export interface AgentNetwork {
  /** Prepare the bridge network; returns its name and the address the endpoint listens on. */
  prepare(instanceId: string): Promise<{ bridgeNetwork: string; endpointAddress: string }>;
  /** Point 169.254.170.2:80 on the bridge at the endpoint server's port. */
  route(instanceId: string, port: number): Promise<void>;
  /** Remove the network and its route (instance gone for good). */
  teardown(instanceId: string): Promise<void>;
  /** awsvpc task interfaces (network/task-interface.ts); absent where the host cannot make them. */
  awsvpc?: AwsvpcInterfaces;
}

export interface AwsvpcInterfaces {
  /** The host address the agent serves awsvpc tasks' metadata and DNS on (routers DNAT to it). */
  readonly endpointAddress: string;
  /** Make that address exist (once per host). */
  prepare(): Promise<void>;
  attach(spec: TaskNetworkSpec, pid: number, endpoint: Endpoint): Promise<void>;
  update(spec: TaskNetworkSpec): Promise<void>;
  detach(spec: TaskNetworkSpec): Promise<void>;
  /** Remove VPC routers left without interfaces (after the agent removed its containers). */
  collect(): Promise<void>;
  /**
   * The address a VPC's tasks reach the agent from: their router masquerades what it DNATs to the
   * agent, so every task of the VPC on this host comes from the router's uplink address.
   */
  sourceAddress(vpcId: string): Promise<string | undefined>;
}

export interface AgentOptions {
  controlPlaneUrl: string;
  joinToken: string;
  region: string;
  cluster: string;
  name: string;
  dataDir: string;
  runtime: ContainerRuntime;
  network: AgentNetwork;
  clock: Clock;
  log: Logger;
  /** CPU units and MiB to register (default: what the engine reports). */
  cpu?: number;
  memoryMiB?: number;
  /** Custom attributes (name=value), e.g. ecs.availability-zone. */
  attributes?: Attribute[];
  /** Host ports no task may use (Berth's own port among them). */
  reservedPorts?: number[];
  /** Host address bridge-mode ports are published on (default all). */
  bindIp?: string;
  pullBehavior?: PullBehavior;
  /** How long stopped tasks' containers are kept before removal. */
  cleanupWaitMs?: number;
  /** Manage task-level cgroups (needs root); off for in-memory runtimes. */
  cgroups?: boolean;
  /** Be Berth-managed Fargate capacity for the region instead of a container instance of `cluster`. */
  fargate?: boolean;
}

interface Registration {
  containerInstanceArn: string;
  instanceId: string;
  clusterName: string;
}

export class Agent {
  private readonly session: Session;
  private readonly stateFile: StateFile;
  private state: AgentState = {};
  private reg: Registration | undefined;
  private readonly runners = new Map<string, TaskRunner>();
  private readonly pendingReports = new Map<string, TaskReport>();
  private reporting: Promise<void> = Promise.resolve();
  private stopped = false;
  private polling: Promise<void> | undefined;
  private events: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private metadata: MetadataServer | undefined;
  private dns: DnsServer | undefined;
  private shipper: LogShipper | undefined;
  private bridge = { bridgeNetwork: "bridge", endpointAddress: "127.0.0.1" };
  private readonly cgroups = new TaskCgroups();
  private readonly hostPorts = new HostPortRanges();
  private readonly pulled = new Set<string>();
  private readonly credentials: TaskCredentials;
  /** Task role credentials ids (the secret part of AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), both ways. */
  private readonly credentialIds = new Map<string, string>();
  private readonly credentialTasks = new Map<string, string>();
  private readonly stoppedAt = new Map<string, number>();
  private digest: string | undefined;
  private lastSweep = 0;
  /** Resolves when the first poll has been applied (tests and `berth up` wait on it). */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(private readonly opts: AgentOptions) {
    this.session = new Session(opts.controlPlaneUrl);
    this.credentials = new TaskCredentials(
      (taskArn, role) => this.session.credentials({ taskArn, role }),
      opts.clock,
    );
    this.stateFile = new StateFile(opts.dataDir);
    this.ready = new Promise((r) => {
      this.markReady = r;
    });
  }

  get containerInstanceArn(): string | undefined {
    return this.reg?.containerInstanceArn;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.state = await this.stateFile.load();
    await this.register();
    const reg = this.reg!;
    this.bridge = await this.opts.network.prepare(reg.instanceId);
    this.metadata = new MetadataServer(
      {
        view: (arn) => this.runners.get(arn)?.view(),
        credentials: (id, remote) => this.serveCredentials(id, remote),
        proxyTo: this.opts.controlPlaneUrl,
      },
      this.opts.runtime,
    );
    const awsvpc = this.opts.network.awsvpc;
    if (awsvpc) await awsvpc.prepare();
    const addresses = [
      ...new Set([this.bridge.endpointAddress, "127.0.0.1", ...(awsvpc ? [awsvpc.endpointAddress] : [])]),
    ];
    const port = await this.metadata.listen(addresses, this.state.endpointPort ?? 0);
    await this.opts.network.route(reg.instanceId, port);
    this.state.endpointPort = port;
    if (awsvpc) {
      // The DNS server of awsvpc tasks' VPCs (their routers send DNS here), on the endpoint address.
      this.dns = new DnsServer();
      this.state.dnsPort = await this.dns.listen(awsvpc.endpointAddress, this.state.dnsPort ?? 0);
    }
    this.state.logCursors ??= {};
    await this.stateFile.save(this.state);
    this.shipper = new LogShipper({
      runtime: this.opts.runtime,
      log: this.opts.log,
      region: this.opts.region,
      cursors: this.state.logCursors,
      saveCursors: () => void this.stateFile.save(this.state),
      send: async (batches, region) => {
        await this.session.logs({ batches, region });
      },
    });
    this.events = this.opts.runtime.events(LABEL.instance, (e) => {
      for (const r of this.runners.values()) if (r.owns(e.id)) void r.kick();
    });
    await this.adoptTokens();
    this.timer = setInterval(() => this.housekeeping(), 5_000);
    this.timer.unref();
    this.polling = this.pollLoop();
  }

  /** Stop the agent process's work. Containers keep running. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.session.abortPoll();
    if (this.timer) clearInterval(this.timer);
    this.events?.close();
    await this.shipper?.close();
    await this.metadata?.close();
    await this.dns?.close();
    await this.flushReports();
    await this.stateFile.save(this.state);
    // The poll in flight was aborted: the loop sees `stopped` and ends.
  }

  /**
   * Remove everything this agent put on the host — containers, volumes, network — and stop.
   * For tests and for a host leaving Berth for good; a plain stop leaves tasks running.
   */
  async destroy(): Promise<void> {
    await this.stop();
    await this.polling?.catch(() => undefined);
    const id = this.reg?.instanceId;
    if (!id) return;
    await this.removeContainersOf(id);
    await this.opts.network.awsvpc?.collect();
    await this.opts.network.teardown(id);
  }

  /**
   * Forget everything (after `berth reset` wiped the control plane): stop and remove this agent's
   * containers and register as a new instance.
   */
  reset(): Promise<void> {
    // `berth reset` and the agent's own poll (refused after the wipe) may both ask: one reset serves both.
    this.resetting ??= this.doReset().finally(() => {
      this.resetting = undefined;
    });
    return this.resetting;
  }

  private resetting: Promise<void> | undefined;

  private async doReset(): Promise<void> {
    const old = this.reg?.instanceId;
    await this.stop();
    await this.polling?.catch(() => undefined);
    if (old) {
      await this.removeContainersOf(old);
      await this.opts.network.awsvpc?.collect();
      await this.opts.network.teardown(old);
    }
    this.runners.clear();
    this.pendingReports.clear();
    this.digest = undefined;
    this.state = {
      ...(this.state.endpointPort ? { endpointPort: this.state.endpointPort } : {}),
      ...(this.state.dnsPort ? { dnsPort: this.state.dnsPort } : {}),
    };
    await this.stateFile.save(this.state);
    this.reg = undefined;
    await this.start();
  }

  private async register(): Promise<void> {
    const info = await this.opts.runtime.info();
    const apiMinor = Number(info.apiVersion.split(".")[1] ?? 41);
    const capabilities = [
      ...Array.from(
        { length: Math.max(0, apiMinor - 16) },
        (_, i) => `com.amazonaws.ecs.capability.docker-remote-api.1.${17 + i}`,
      ),
      "com.amazonaws.ecs.capability.logging-driver.awslogs",
      "com.amazonaws.ecs.capability.logging-driver.json-file",
      "com.amazonaws.ecs.capability.privileged-container",
      "ecs.capability.execution-role-awslogs",
      "ecs.capability.container-health-check",
      "ecs.capability.container-ordering",
      "ecs.capability.task-cpu-mem-limit",
      "ecs.capability.docker-plugin.local",
      "ecs.capability.network.container-port-range",
      "ecs.capability.pid-ipc-namespace-sharing",
      "com.amazonaws.ecs.capability.task-iam-role",
      "com.amazonaws.ecs.capability.task-iam-role-network-host",
      "ecs.capability.secrets.ssm.environment-variables",
      "ecs.capability.secrets.asm.environment-variables",
      "ecs.capability.private-registry-authentication.secretsmanager",
      ...(this.opts.network.awsvpc ? ["ecs.capability.task-eni"] : []),
    ];
    const attributes: Attribute[] = [
      ...capabilities.map((name) => ({ name })),
      { name: "ecs.os-type", value: "linux" },
      { name: "ecs.os-family", value: "LINUX" },
      { name: "ecs.cpu-architecture", value: "x86_64" },
      { name: "ecs.instance-type", value: "berth" },
      ...(this.opts.attributes ?? []),
    ];
    const req: RegisterRequest = {
      region: this.opts.region,
      cluster: this.opts.cluster,
      name: this.opts.name,
      ...(this.opts.fargate ? { fargate: true } : {}),
      resources: {
        cpu: this.opts.cpu ?? info.cpus * 1024,
        memoryMiB: this.opts.memoryMiB ?? Math.floor(info.memoryBytes / 2 ** 20),
        reservedPorts: [...new Set([...DEFAULT_RESERVED_PORTS, ...(this.opts.reservedPorts ?? [])])],
        reservedUdpPorts: [],
      },
      attributes,
      versionInfo: {
        agentVersion: AGENT_VERSION,
        agentHash: "berth",
        dockerVersion: `DockerVersion: ${info.version}`,
      },
    };
    let res: Awaited<ReturnType<Session["register"]>> | undefined;
    const previous = this.state.containerInstanceArn;
    if (previous && this.state.instanceToken) {
      try {
        res = await this.session.register({
          ...req,
          resume: { containerInstanceArn: previous, instanceToken: this.state.instanceToken },
        });
      } catch (err) {
        if (!(err instanceof AgentApiError) || (err.status !== 401 && err.status !== 410)) throw err;
        this.opts.log.warn("previous container instance is gone; registering anew", { previous });
        await this.removeContainersOf(previous.slice(previous.lastIndexOf("/") + 1));
      }
    }
    res ??= await this.session.register({ ...req, joinToken: this.opts.joinToken });
    this.session.setCredentials(res);
    this.state.containerInstanceArn = res.containerInstanceArn;
    this.state.instanceToken = res.instanceToken;
    await this.stateFile.save(this.state);
    this.reg = {
      containerInstanceArn: res.containerInstanceArn,
      instanceId: res.containerInstanceArn.slice(res.containerInstanceArn.lastIndexOf("/") + 1),
      clusterName: res.cluster,
    };
    this.opts.log.info("agent registered", { containerInstanceArn: res.containerInstanceArn });
  }

  /** Stop and remove every container an (earlier) instance of this agent left behind. */
  private async removeContainersOf(instanceId: string): Promise<void> {
    for (const c of await this.opts.runtime.list({ [LABEL.instance]: instanceId })) {
      await this.opts.runtime.stop(c.id, 10).catch(() => undefined);
      await this.opts.runtime.remove(c.id).catch(() => undefined);
    }
    for (const v of await this.opts.runtime.listVolumes({ [LABEL.instance]: instanceId })) {
      await this.opts.runtime.removeVolume(v).catch(() => undefined);
    }
  }

  private async adoptTokens(): Promise<void> {
    for (const c of await this.opts.runtime.list({ [LABEL.instance]: this.reg!.instanceId })) {
      const token = c.labels[LABEL.metadataToken];
      const task = c.labels[LABEL.taskArn];
      const name = c.labels[LABEL.container];
      if (token && task && name) this.metadata!.adopt(token, task, name);
      const credentialsId = c.labels[LABEL.credentialsId];
      if (credentialsId && task) {
        this.credentialIds.set(task, credentialsId);
        this.credentialTasks.set(credentialsId, task);
      }
    }
  }

  /** The task role credentials for `id`, served only to a container of the task it belongs to. */
  private async serveCredentials(id: string, remote: string): Promise<{ status: number; body: unknown }> {
    const taskArn = this.credentialTasks.get(id);
    const view = taskArn ? this.runners.get(taskArn)?.view() : undefined;
    if (!taskArn || !view) return { status: 404, body: { message: "Credentials not found" } };
    const mode = view.spec.taskDefinition.networkMode ?? "bridge";
    const addresses = new Set(
      view.containers.flatMap((c) => Object.values(c.state?.networks ?? {}).map((n) => n.ipAddress)),
    );
    const local = remote === "127.0.0.1" || remote === "::1";
    // awsvpc: the router masquerades, so the check is by VPC (the id in the path stays the secret).
    const vpc = mode === "awsvpc" ? view.spec.network?.vpcId : undefined;
    const fromVpc = vpc ? remote === (await this.opts.network.awsvpc?.sourceAddress(vpc)) : false;
    if (!(mode === "host" ? local : fromVpc || addresses.has(remote))) {
      return { status: 403, body: { message: "These credentials belong to another task." } };
    }
    try {
      return { status: 200, body: credentialsDocument(await this.credentials.get(taskArn, "task")) };
    } catch (err) {
      this.opts.log.warn("task role credentials unavailable", {
        task: taskArn,
        error: err instanceof Error ? err.message : String(err),
      });
      return { status: 500, body: { message: "Unable to get credentials for the task role." } };
    }
  }

  /** Variables a container gets from the agent: the task role's credentials URI and the AWS endpoint. */
  private agentEnv(
    task: DesiredTask,
    mode: string,
  ): { env: Record<string, string>; labels: Record<string, string> } {
    const env: Record<string, string> = {};
    const labels: Record<string, string> = {};
    if (mode !== "none")
      env.AWS_ENDPOINT_URL = mode === "host" ? this.opts.controlPlaneUrl : `http://${ENDPOINT_ADDRESS}`;
    if (task.overrides.taskRoleArn ?? task.taskDefinition.taskRoleArn) {
      let id = this.credentialIds.get(task.taskArn);
      if (!id) {
        id = randomUUID();
        this.credentialIds.set(task.taskArn, id);
        this.credentialTasks.set(id, task.taskArn);
      }
      labels[LABEL.credentialsId] = id;
      if (mode === "host")
        env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${this.metadata!.port}/v2/credentials/${id}`;
      else env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI = `/v2/credentials/${id}`;
    }
    return { env, labels };
  }

  /** Secrets and registry credentials of a task, resolved with its execution role through the AWS APIs. */
  /**
   * Secrets, private registry credentials and logins to Berth's own registry, resolved with the
   * execution role. Images in Berth's private repositories of a task without an execution role are
   * pulled with the container instance's identity (as an EC2 instance role pulls from ECR).
   */
  private async resolveTaskSecrets(task: DesiredTask): Promise<ResolvedSecrets | undefined> {
    const defs = task.taskDefinition.containerDefinitions.map((d) => effectiveContainer(d, task.overrides));
    const fromBerth = defs.flatMap((d) => {
      const registry = d.repositoryCredentials
        ? undefined
        : berthRegistryOf(d.image ?? "", this.opts.controlPlaneUrl);
      return registry && registry !== "public" ? [{ name: d.name!, registry }] : [];
    });
    const secrets = needsSecrets(defs);
    if (!secrets && fromBerth.length === 0) return undefined;
    const hasRole = (task.overrides.executionRoleArn ?? task.taskDefinition.executionRoleArn) !== undefined;
    if (secrets && !hasRole) {
      throw new SecretsError(
        `${RESOURCE_INIT} the task uses secrets or repositoryCredentials but has no executionRoleArn`,
      );
    }
    let credentials: CredentialsResponse | undefined;
    if (hasRole) {
      try {
        credentials = await this.credentials.get(task.taskArn, "execution");
      } catch (err) {
        throw new SecretsError(
          `${RESOURCE_INIT} unable to assume the task execution role: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    const resolved: ResolvedSecrets =
      secrets && credentials
        ? await resolveSecrets({
            endpoint: this.opts.controlPlaneUrl,
            region: this.opts.region,
            credentials,
            containers: defs,
          })
        : { env: new Map(), registry: new Map() };
    const logins = new Map<string, { username: string; password: string }>();
    for (const { name, registry } of fromBerth) {
      let login = logins.get(registry);
      if (!login) {
        login = credentials
          ? await ecrLogin(this.opts.controlPlaneUrl, registry, credentials)
          : await this.session
              .registryAuth({ taskArn: task.taskArn, region: registry })
              .catch((err: unknown) => {
                throw new SecretsError(
                  `${RESOURCE_INIT} unable to retrieve ecr registry auth: ${err instanceof Error ? err.message : String(err)}`,
                );
              });
        logins.set(registry, login);
      }
      resolved.registry.set(name, login);
    }
    return resolved;
  }

  private async pollLoop(): Promise<void> {
    let backoff = 500;
    while (!this.stopped) {
      try {
        const res = await this.session.poll({
          ...(this.digest ? { since: this.digest } : {}),
          waitMs: 20_000,
        });
        if (this.stopped) return;
        await this.apply(res);
        this.digest = res.digest;
        backoff = 500;
        this.markReady();
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof AgentApiError && err.status === 401) {
          // The control plane no longer knows this instance (reset or deregistered and purged).
          this.opts.log.warn("control plane refused this instance; registering anew");
          // Not awaited: reset waits for this loop to end.
          this.reset().catch((e) => this.opts.log.error("re-registration failed", { error: String(e) }));
          return;
        }
        this.opts.log.warn("poll failed; retrying", {
          error: err instanceof Error ? err.message : String(err),
          inMs: backoff,
        });
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private host(): RunnerHost {
    const reg = this.reg!;
    return {
      runtime: this.opts.runtime,
      clock: this.opts.clock,
      log: this.opts.log,
      instanceId: reg.instanceId,
      clusterName: reg.clusterName,
      region: this.opts.region,
      bridgeNetwork: this.bridge.bridgeNetwork,
      bindIp: this.opts.bindIp ?? "",
      pullBehavior: this.opts.pullBehavior ?? "default",
      pulled: this.pulled,
      metadataUrls: (task, container, mode) => {
        const token = this.metadata!.tokenFor(task.taskArn, container);
        const base =
          mode === "host" ? `http://127.0.0.1:${this.metadata!.port}` : `http://${ENDPOINT_ADDRESS}`;
        return { v3: `${base}/v3/${token}`, v4: `${base}/v4/${token}`, token };
      },
      hostPortRange: (count, protocol) => this.hostPorts.take(count, protocol),
      taskCgroup: async (task) => {
        if (this.opts.cgroups === false) return undefined;
        const td = task.taskDefinition;
        const cpu = task.overrides.cpu ?? td.cpu;
        const memory = task.overrides.memory ?? td.memory;
        if (cpu === undefined && memory === undefined) return undefined;
        return this.cgroups.create(taskIdOf(task.taskArn), {
          ...(cpu !== undefined ? { cpu: parseTaskCpu(cpu) ?? 0 } : {}),
          ...(memory !== undefined ? { memoryMiB: parseTaskMemory(memory) ?? 0 } : {}),
        });
      },
      removeTaskCgroup: async (task) => {
        if (this.opts.cgroups !== false) await this.cgroups.remove(taskIdOf(task.taskArn));
      },
      containerStarted: (task, def, id) => this.shipper?.follow(task, def, id),
      agentEnv: (task, mode) => this.agentEnv(task, mode),
      resolveSecrets: (task) => this.resolveTaskSecrets(task),
      report: (r) => this.queueReport(r),
      ...(this.opts.network.awsvpc
        ? {
            attachNetwork: (task: DesiredTask, cgroupParent: string | undefined) =>
              this.attachNetwork(task, cgroupParent),
            updateNetwork: async (task: DesiredTask) => {
              if (task.network) await this.opts.network.awsvpc!.update(task.network);
            },
            detachNetwork: (task: DesiredTask) => this.detachNetwork(task),
          }
        : {}),
    };
  }

  private pauseImageReady: Promise<void> | undefined;

  /**
   * Create the task's pause container (or find it after a restart). It is started and the task's
   * interface set up (`ready`) while the task's containers are created: they only need it to exist.
   */
  private async attachNetwork(
    task: DesiredTask,
    cgroupParent: string | undefined,
  ): Promise<{ container: string; ready: Promise<void> }> {
    const net = task.network!;
    const runtime = this.opts.runtime;
    this.pauseImageReady ??= ensurePauseImage(runtime).catch((err) => {
      this.pauseImageReady = undefined;
      throw err;
    });
    await this.pauseImageReady;
    const spec = pauseSpec(task, net, {
      instanceId: this.reg!.instanceId,
      clusterLabel: task.launchType === "FARGATE" ? task.clusterArn : this.reg!.clusterName,
      cgroupParent,
    });
    const existing = (
      await runtime.list({ [LABEL.taskArn]: task.taskArn, [LABEL.container]: PAUSE_CONTAINER_NAME })
    )[0];
    const id = existing?.id ?? (await runtime.create(spec));
    const endpoint: Endpoint = {
      address: this.opts.network.awsvpc!.endpointAddress,
      metadataPort: this.metadata!.port,
      dnsPort: this.dns?.port ?? 0,
    };
    const ready = (async () => {
      await runtime.start(id);
      const pid = (await runtime.inspect(id))?.pid;
      if (!pid) throw new Error("the pause container is not running");
      await this.opts.network.awsvpc!.attach(net, pid, endpoint);
    })();
    return { container: spec.name, ready };
  }

  private async detachNetwork(task: DesiredTask): Promise<void> {
    if (task.network) await this.opts.network.awsvpc!.detach(task.network);
    for (const c of await this.opts.runtime.list({
      [LABEL.taskArn]: task.taskArn,
      [LABEL.container]: PAUSE_CONTAINER_NAME,
    })) {
      await this.opts.runtime.kill(c.id).catch(() => undefined);
      await this.opts.runtime.remove(c.id).catch(() => undefined);
    }
  }

  private async apply(res: PollResponse): Promise<void> {
    const wanted = new Map(res.tasks.map((t) => [t.taskArn, t]));
    if (res.instanceStatus === "INACTIVE") {
      for (const t of wanted.values()) wanted.set(t.taskArn, { ...t, desiredStatus: "STOPPED" });
    }
    let adopted: Map<string, ContainerState[]> | undefined;
    for (const spec of wanted.values()) {
      const existing = this.runners.get(spec.taskArn);
      if (existing) {
        existing.update(spec);
        continue;
      }
      adopted ??= await this.adoptable();
      const runner = new TaskRunner(spec, adopted.get(spec.taskArn) ?? [], this.host());
      this.runners.set(spec.taskArn, runner);
      void runner.kick();
    }
    // Tasks the control plane no longer lists: stop what still runs, then forget them.
    for (const [arn, runner] of this.runners) {
      if (wanted.has(arn)) continue;
      this.runners.delete(arn);
      void this.retire(runner);
    }
    // Containers of tasks nobody wants (the control plane forgot them while this agent was away).
    adopted ??= await this.adoptable();
    for (const [arn, containers] of adopted) {
      if (wanted.has(arn) || this.runners.has(arn)) continue;
      for (const c of containers) {
        await this.opts.runtime.stop(c.id, 10).catch(() => undefined);
        await this.opts.runtime.remove(c.id).catch(() => undefined);
      }
    }
  }

  private async retire(runner: TaskRunner): Promise<void> {
    for (const id of runner.containerIds()) {
      await this.opts.runtime.stop(id, 10).catch(() => undefined);
      this.shipper?.forget(id);
    }
    await runner.removeAll().catch(() => undefined);
    this.metadata?.forget(runner.taskArn);
    this.credentials.forget(runner.taskArn);
    const id = this.credentialIds.get(runner.taskArn);
    if (id) this.credentialTasks.delete(id);
    this.credentialIds.delete(runner.taskArn);
  }

  private async adoptable(): Promise<Map<string, ContainerState[]>> {
    const out = new Map<string, ContainerState[]>();
    for (const c of await this.opts.runtime.list({ [LABEL.instance]: this.reg!.instanceId })) {
      const arn = c.labels[LABEL.taskArn];
      if (!arn) continue;
      const list = out.get(arn) ?? [];
      list.push(c);
      out.set(arn, list);
    }
    return out;
  }

  private queueReport(r: TaskReport): void {
    this.pendingReports.set(r.taskArn, r);
    void this.flushReports();
  }

  private flushReports(): Promise<void> {
    this.reporting = this.reporting.then(async () => {
      if (this.pendingReports.size === 0) return;
      const batch = [...this.pendingReports.values()];
      this.pendingReports.clear();
      try {
        await this.session.report({ tasks: batch });
      } catch (err) {
        for (const r of batch) if (!this.pendingReports.has(r.taskArn)) this.pendingReports.set(r.taskArn, r);
        this.opts.log.warn("report failed; will retry", {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    });
    return this.reporting;
  }

  private housekeeping(): void {
    if (this.pendingReports.size > 0) void this.flushReports();
    const now = this.opts.clock.now();
    const wait = this.opts.cleanupWaitMs ?? 60 * 60 * 1000;
    // Engine events drive the runners; a slow sweep catches anything an event stream missed.
    const sweep = now - this.lastSweep >= SWEEP_MS;
    if (sweep) this.lastSweep = now;
    for (const [arn, r] of this.runners) {
      if (sweep && !r.finished) void r.kick();
      if (!r.finished) continue;
      const since = this.stoppedAt.get(arn) ?? now;
      this.stoppedAt.set(arn, since);
      if (now - since >= wait && r.containerIds().length > 0) {
        for (const id of r.containerIds()) this.shipper?.forget(id);
        void r.removeAll();
      }
    }
  }

  /** What the agent runs, for diagnostics and tests. */
  tasks(): DesiredTask[] {
    return [...this.runners.values()].map((r) => r.view().spec);
  }
}
