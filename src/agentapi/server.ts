/**
 * The control plane's end of the agent API (see protocol.ts). Agents register with the join token,
 * then long-poll for their desired tasks and report what they observe. Handlers here are thin:
 * authenticate the instance, then read or write the store in one transaction.
 */
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Attribute } from "@aws-sdk/client-ecs";
import { constantTimeEqual } from "../crypto/constant-time.js";
import { formatArn, parseArn } from "../domain/arn.js";
import { isRegion, parseRegistryImage } from "../domain/ecr/names.js";
import { clusterArn as makeClusterArn } from "../domain/ecs/arns.js";
import { applyReport } from "../domain/ecs/task.js";
import { readBody } from "../gateway/body.js";
import type { PathRoute } from "../gateway/gateway.js";
import { type TaskCredentialIssuer, TaskRoleError } from "../identity/task-roles.js";
import type { Clock } from "../lib/clock.js";
import { hexId } from "../lib/ids.js";
import type { Logger } from "../lib/log.js";
import { EC2_KINDS } from "../state/ec2/kinds.js";
import { type ClusterRecord, getCluster, putCluster } from "../state/ecs/clusters.js";
import {
  type ContainerInstanceRecord,
  getInstance,
  instanceKey,
  putInstance,
} from "../state/ecs/container-instances.js";
import { FARGATE_POOL } from "../state/ecs/fargate-hosts.js";
import { K } from "../state/ecs/kinds.js";
import {
  getTaskDefinitionByArn,
  type TaskDefinitionRecord,
  taskDefinitionKey,
} from "../state/ecs/task-definitions.js";
import { syncTaskNetwork } from "../state/ecs/task-network.js";
import {
  getTask,
  putTask,
  type TaskRecord,
  tasksOnFargateHost,
  tasksOnInstance,
} from "../state/ecs/tasks.js";
import { recordCache } from "../state/record-cache.js";
import type { ReadTx, Store, StoredRecord } from "../state/store.js";
import { type Ec2View, networkSpec, readEc2View } from "./network-spec.js";
import type {
  CredentialsRequest,
  CredentialsResponse,
  DesiredTask,
  LogBatch,
  LogsRequest,
  PollRequest,
  PollResponse,
  RegisterRequest,
  RegisterResponse,
  RegistryAuthRequest,
  RegistryAuthResponse,
  ReportRequest,
} from "./protocol.js";
import { AGENT_API_PREFIX } from "./protocol.js";

/** Where container output for awslogs goes (CloudWatch Logs). */
export interface LogSink {
  put(region: string, batches: readonly LogBatch[]): Promise<void>;
}

export interface AgentApiOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  accountId: string;
  joinToken: string;
  logs: LogSink;
  /** Longest a poll waits for a change. */
  maxPollMs?: number;
  /** Issues task role credentials; without it the credentials call answers 501. */
  credentials?: TaskCredentialIssuer;
  /**
   * A login to Berth's registry in a region for container instances (tasks without an execution
   * role) that may only pull from `repositories`, for a few minutes.
   */
  registryLogin?: (region: string, repositories: readonly string[]) => RegistryAuthResponse;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const sameSecret = (a: string, b: string) => constantTimeEqual(Buffer.from(a), Buffer.from(b));

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function agentApi(opts: AgentApiOptions): PathRoute & { close(): void } {
  const { store, clock, log } = opts;
  const maxPollMs = opts.maxPollMs ?? 20_000;
  /**
   * Polls waiting for a change, by instance key (`region/cluster/instanceId`). A change wakes only
   * the polls of the instance it concerns, so a cluster of many agents does not wake every agent
   * on every heartbeat or report.
   */
  const waiters = new Map<string, Set<() => void>>();
  /**
   * Commits seen per instance key, per cluster (`region/cluster/`: a change whose instance is not
   * known concerns them all) and wipes, so that a poll can tell whether anything changed between
   * the start of its read and the moment it begins to wait.
   */
  const generations = new Map<string, number>();
  let wipes = 0;
  const clusterOf = (instanceKey: string) => instanceKey.slice(0, instanceKey.lastIndexOf("/") + 1);
  const generation = (key: string) =>
    wipes + (generations.get(key) ?? 0) + (generations.get(clusterOf(key)) ?? 0);
  /**
   * The instance key of each task key, learned from the task-on-instance and task-on-Fargate-host
   * indexes and from polls (a Fargate host's instance key is `region/berth.fargate/hostId`).
   */
  const instanceOfTask = new Map<string, string>();
  /** Every instance key a poll has waited on: region-wide changes (EC2) move all of a region's. */
  const polled = new Set<string>();
  let closed = false;
  // Task definitions, parsed once per revision rather than once per task per poll.
  const definitions = recordCache<StoredRecord<TaskDefinitionRecord> | undefined>(store, K.taskDefinition);
  const taskDefinitionOf = (tx: ReadTx, region: string, arn: string) => {
    const m = /:task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
    return m
      ? definitions.get(taskDefinitionKey(region, m[1]!, Number(m[2])), () =>
          getTaskDefinitionByArn(tx, region, arn),
        )
      : Promise.resolve(undefined);
  };
  const unsubscribe = store.subscribe((changes) => {
    const touched = new Set<string>();
    // The index first: a task is created in the same commit as its index entry, which names its
    // instance, so its creation wakes that instance's polls only.
    const gone: string[] = [];
    for (const c of changes) {
      if (c.kind !== K.taskOnInstance && c.kind !== K.taskOnFargateHost) continue;
      const parts = c.key.split("/");
      // task-on-instance: region/cluster/instanceId/taskId; task-on-Fargate-host: region/hostId/cluster/taskId.
      const [region, cluster, instanceId, taskId] =
        c.kind === K.taskOnInstance ? parts : [parts[0], parts[2], parts[1], parts[3]];
      const inst =
        c.kind === K.taskOnInstance
          ? instanceKey(region!, cluster!, instanceId!)
          : instanceKey(region!, FARGATE_POOL, instanceId!);
      instanceOfTask.set(`${region}/${cluster}/${taskId}`, inst);
      if (c.op === "delete") gone.push(`${region}/${cluster}/${taskId}`);
      touched.add(inst);
    }
    for (const c of changes) {
      if (c.kind === K.taskOnInstance || c.kind === K.taskOnFargateHost) continue;
      if (EC2_KINDS.has(c.kind)) {
        // Security groups and their members decide every awsvpc task's rules in the region.
        const region = c.key.slice(0, c.key.indexOf("/") + 1);
        for (const k of polled) if (k.startsWith(region)) touched.add(k);
      } else if (c.kind === K.containerInstance) {
        touched.add(c.key);
      } else if (c.kind === K.task) {
        const inst = instanceOfTask.get(c.key);
        if (inst) touched.add(inst);
        else {
          // Not known yet: every poll of its cluster, and of the region's Fargate hosts.
          touched.add(clusterOf(c.key));
          touched.add(`${c.key.slice(0, c.key.indexOf("/"))}/${FARGATE_POOL}/`);
        }
      } else if (c.kind === "_wipe") {
        wipes++;
        instanceOfTask.clear();
        for (const k of waiters.keys()) touched.add(k);
      }
    }
    for (const t of gone) instanceOfTask.delete(t);
    for (const k of touched) {
      generations.set(k, (generations.get(k) ?? 0) + 1);
      if (k.endsWith("/")) {
        // A cluster-wide change: every poll of the cluster.
        for (const [key, set] of waiters) if (key.startsWith(k)) for (const wake of [...set]) wake();
      } else for (const wake of [...(waiters.get(k) ?? [])]) wake();
    }
  });

  async function authenticate(req: IncomingMessage): Promise<StoredRecord<ContainerInstanceRecord>> {
    const auth = req.headers.authorization ?? "";
    const arnText = String(req.headers["x-berth-instance"] ?? "");
    const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
    const where = locate(arnText);
    if (!token || !where) throw new HttpError(401, "missing or malformed agent credentials");
    const rec = await store.read((tx) => getInstance(tx, where.region, where.cluster, where.id));
    if (!rec || !sameSecret(sha256(token), rec.value.tokenHash))
      throw new HttpError(401, "unknown container instance or wrong token");
    return rec;
  }

  function locate(arn: string): { region: string; cluster: string; id: string } | undefined {
    const a = parseArn(arn);
    const parts = a?.resource.split("/") ?? [];
    if (a?.service !== "ecs" || parts[0] !== "container-instance" || parts.length !== 3) return undefined;
    return { region: a.region, cluster: parts[1]!, id: parts[2]! };
  }

  async function register(request: RegisterRequest): Promise<RegisterResponse> {
    const now = clock.now();
    // Fargate hosts register into the reserved pool instead of a cluster.
    const body = request.fargate ? { ...request, cluster: FARGATE_POOL } : request;
    if (!body.region || !body.cluster || !body.name)
      throw new HttpError(400, "region, cluster and name are required");
    const attrs = (extra: Attribute[]): Attribute[] => {
      const m = new Map<string, Attribute>();
      for (const a of extra)
        if (a.name) m.set(a.name, { name: a.name, ...(a.value !== undefined ? { value: a.value } : {}) });
      if (!m.has("ecs.availability-zone"))
        m.set("ecs.availability-zone", { name: "ecs.availability-zone", value: `${body.region}a` });
      return [...m.values()];
    };
    return store.write(async (tx) => {
      if (body.resume) {
        const where = locate(body.resume.containerInstanceArn);
        const rec = where ? await getInstance(tx, where.region, where.cluster, where.id) : undefined;
        if (!rec || !sameSecret(sha256(body.resume.instanceToken), rec.value.tokenHash)) {
          throw new HttpError(
            401,
            "unknown container instance or wrong token; register again with the join token",
          );
        }
        if (rec.value.status === "INACTIVE") throw new HttpError(410, "container instance was deregistered");
        const next: ContainerInstanceRecord = {
          ...rec.value,
          lastSeenAt: now,
          resources: body.resources,
          attributes: mergeCustom(rec.value.attributes, attrs(body.attributes)),
          versionInfo: body.versionInfo,
        };
        await putInstance(tx, where!.region, next, rec.version);
        const cluster = await getCluster(tx, where!.region, where!.cluster);
        return response(where!.region, next, body.resume.instanceToken, cluster?.value.arn ?? "");
      }
      if (!body.joinToken || !sameSecret(body.joinToken, opts.joinToken))
        throw new HttpError(401, "wrong join token");
      let cluster = (await getCluster(tx, body.region, body.cluster))?.value;
      if (body.cluster === FARGATE_POOL) {
        cluster = undefined;
      } else if (cluster?.status !== "ACTIVE") {
        if (body.cluster !== "default")
          throw new HttpError(404, `cluster ${body.cluster} not found in ${body.region}`);
        // Like the ECS agent, joining the default cluster creates it.
        cluster = {
          name: "default",
          arn: makeClusterArn({ region: body.region, accountId: opts.accountId }, "default"),
          status: "ACTIVE",
          createdAt: now,
          settings: [{ name: "containerInsights", value: "disabled" }],
          capacityProviders: [],
          defaultCapacityProviderStrategy: [],
          tags: [],
        } satisfies ClusterRecord;
        await putCluster(tx, body.region, cluster);
      }
      const id = hexId(16);
      const token = randomBytes(32).toString("base64url");
      const rec: ContainerInstanceRecord = {
        id,
        arn: formatArn({
          service: "ecs",
          region: body.region,
          accountId: opts.accountId,
          resource: `container-instance/${body.cluster}/${id}`,
        }),
        cluster: body.cluster,
        name: body.name,
        status: "ACTIVE",
        registeredAt: now,
        lastSeenAt: now,
        tokenHash: sha256(token),
        resources: body.resources,
        attributes: attrs(body.attributes),
        versionInfo: body.versionInfo,
        tags: [],
      };
      await putInstance(tx, body.region, rec, 0);
      log.info(cluster ? "container instance registered" : "Fargate host registered", {
        instance: rec.arn,
        name: rec.name,
      });
      return response(body.region, rec, token, cluster?.arn ?? "");
    });
  }

  function response(
    region: string,
    rec: ContainerInstanceRecord,
    token: string,
    clusterArn: string,
  ): RegisterResponse {
    return {
      containerInstanceArn: rec.arn,
      instanceToken: token,
      region,
      cluster: rec.cluster,
      clusterArn,
      accountId: opts.accountId,
    };
  }

  async function desired(inst: StoredRecord<ContainerInstanceRecord>, region: string): Promise<PollResponse> {
    return store.read(async (tx) => {
      const fresh = await getInstance(tx, region, inst.value.cluster, inst.value.id);
      const tasks: DesiredTask[] = [];
      const here = instanceKey(region, inst.value.cluster, inst.value.id);
      const recs =
        inst.value.cluster === FARGATE_POOL
          ? await tasksOnFargateHost(tx, region, inst.value.id)
          : await tasksOnInstance(tx, region, inst.value.cluster, inst.value.id);
      let ec2: Ec2View | undefined;
      const nets: string[] = [];
      for (const t of recs) {
        instanceOfTask.set(t.key, here);
        const task = t.value.task;
        const td = await taskDefinitionOf(tx, region, task.taskDefinitionArn);
        if (!td) continue;
        if (t.value.network) ec2 ??= await readEc2View(tx, region);
        const network = ec2 ? networkSpec(t.value, region, ec2) : undefined;
        if (network) nets.push(`${task.taskArn}:${JSON.stringify([network.ingress, network.egress])}`);
        tasks.push({
          taskArn: task.taskArn,
          clusterArn: task.clusterArn,
          desiredStatus: task.desiredStatus,
          lastStatus: task.lastStatus,
          taskDefinition: td.value.td,
          overrides: task.overrides,
          containerArns: Object.fromEntries(task.containers.map((c) => [c.name, c.containerArn])),
          launchType: task.launchType ?? "EC2",
          ...(task.group !== undefined ? { group: task.group } : {}),
          ...(task.startedBy !== undefined ? { startedBy: task.startedBy } : {}),
          availabilityZone: task.availabilityZone ?? `${region}a`,
          createdAt: task.createdAt,
          ...(task.stopCode !== undefined ? { stopCode: task.stopCode } : {}),
          ...(task.stoppedReason !== undefined ? { stoppedReason: task.stoppedReason } : {}),
          ...(t.value.stopNotBefore !== undefined ? { stopNotBefore: t.value.stopNotBefore } : {}),
          ...(network ? { network } : {}),
          ...(task.ephemeralStorage?.sizeInGiB !== undefined
            ? { ephemeralStorageGiB: task.ephemeralStorage.sizeInGiB }
            : {}),
          version: t.version,
        });
      }
      const status = fresh?.value.status ?? "INACTIVE";
      const digest = sha256(
        `${status}|${tasks.map((t) => `${t.taskArn}@${t.version}`).join(",")}|${nets.join(",")}`,
      );
      return { digest, instanceStatus: status, tasks };
    });
  }

  async function touch(inst: StoredRecord<ContainerInstanceRecord>, region: string): Promise<void> {
    const now = clock.now();
    if (now - inst.value.lastSeenAt < 5_000) return;
    await store.write(async (tx) => {
      const cur = await getInstance(tx, region, inst.value.cluster, inst.value.id);
      if (cur) await putInstance(tx, region, { ...cur.value, lastSeenAt: now }, cur.version);
    });
  }

  async function poll(
    inst: StoredRecord<ContainerInstanceRecord>,
    region: string,
    body: PollRequest,
    req: IncomingMessage,
  ): Promise<PollResponse> {
    await touch(inst, region);
    const key = instanceKey(region, inst.value.cluster, inst.value.id);
    polled.add(key);
    // A commit that lands after a read began but before the poll waits wakes nobody; the generation
    // taken before each read shows it, and the poll reads again instead of waiting.
    let seen = generation(key);
    let current = await desired(inst, region);
    const waitMs = Math.min(Math.max(body.waitMs ?? maxPollMs, 0), maxPollMs);
    if (current.digest !== body.since || waitMs === 0) return current;
    const deadline = Date.now() + waitMs;
    while (current.digest === body.since && Date.now() < deadline && !req.socket.destroyed) {
      if (generation(key) === seen) {
        await new Promise<void>((resolve) => {
          const set = waiters.get(key) ?? new Set();
          waiters.set(key, set);
          const done = () => {
            clearTimeout(timer);
            set.delete(done);
            req.socket.off("close", done);
            resolve();
          };
          const timer = setTimeout(done, deadline - Date.now());
          // A waiting poll must not keep a closing process alive.
          timer.unref();
          set.add(done);
          // An agent that gave up (or is stopping) frees its poll at once.
          req.socket.once("close", done);
        });
      }
      if (req.socket.destroyed || closed) return current;
      seen = generation(key);
      current = await desired(inst, region);
    }
    await touch(inst, region);
    return current;
  }

  async function report(
    inst: StoredRecord<ContainerInstanceRecord>,
    region: string,
    body: ReportRequest,
  ): Promise<{ accepted: number }> {
    const now = clock.now();
    let accepted = 0;
    await store.write(async (tx) => {
      for (const r of body.tasks ?? []) {
        const parts = (r.taskArn ?? "").split("/");
        const id = parts[parts.length - 1];
        if (!id) continue;
        // A Fargate host runs tasks of every cluster: the task's own cluster is in its ARN.
        const fargate = inst.value.cluster === FARGATE_POOL;
        const cluster = fargate ? parts[parts.length - 2] : inst.value.cluster;
        if (!cluster) continue;
        const t = await getTask(tx, region, cluster, id);
        if (!t || (fargate ? t.value.fargateHost : t.value.instanceId) !== inst.value.id) continue;
        const next = applyReport(t.value, r, now);
        if (next) {
          await putTask(tx, region, next, t.version);
          await syncTaskNetwork(tx, region, next);
        }
        accepted++;
      }
      const cur = await getInstance(tx, region, inst.value.cluster, inst.value.id);
      if (cur && now - cur.value.lastSeenAt >= 5_000)
        await putInstance(tx, region, { ...cur.value, lastSeenAt: now }, cur.version);
    });
    return { accepted };
  }

  /** The task an agent asks about, which must be on its own instance (one agent never serves another's). */
  async function taskOnThisInstance(
    inst: StoredRecord<ContainerInstanceRecord>,
    region: string,
    taskArn: unknown,
  ): Promise<StoredRecord<TaskRecord>> {
    // task/<cluster>/<id>: a Fargate host runs tasks of every cluster of its region.
    const parts = typeof taskArn === "string" ? (parseArn(taskArn)?.resource.split("/") ?? []) : [];
    const fargate = inst.value.cluster === FARGATE_POOL;
    const cluster = fargate ? parts[1] : inst.value.cluster;
    const id = parts.length === 3 && parts[0] === "task" ? parts[2] : undefined;
    const task = id && cluster ? await store.read((tx) => getTask(tx, region, cluster, id)) : undefined;
    const here = fargate ? task?.value.fargateHost : task?.value.instanceId;
    if (!task || here !== inst.value.id) throw new HttpError(404, "no such task on this container instance");
    return task;
  }

  /**
   * A deregistered instance may still learn that its tasks must stop (poll) and say they stopped
   * (report); it gets nothing more: no credentials, registry logins or log writes. (Its polls keep
   * it looking connected on purpose: the task janitor settles a deregistered instance's stopping
   * tasks only once its agent is gone, since a live agent reports them stopped itself.)
   */
  function requireActive(inst: StoredRecord<ContainerInstanceRecord>): void {
    if (inst.value.status === "INACTIVE") throw new HttpError(403, "container instance was deregistered");
  }

  /**
   * A registry login for a task without an execution role, whose images live in Berth's registry
   * (an EC2 instance role's part on ECS). The token is the account's (the only identity a container
   * instance has to pull with; it is re-resolved against the account's access key like any token),
   * but tokens.ts `pullOnly` confines it: it may only pull (BatchGetImage, GetDownloadUrlForLayer,
   * BatchCheckLayerAvailability, the operations the registry route checks for a pull) from the
   * repositories the task's own images name in the region asked for, and lasts PULL_TOKEN_TTL_MS
   * (the agent asks again for each task start). So an agent can read no more than the task
   * definitions placed on it already name, and write nothing. A region none of the task's images
   * names gets no login; an image in another region's registry (a cross-region pull) does.
   */
  async function registryAuth(
    inst: StoredRecord<ContainerInstanceRecord>,
    region: string,
    body: RegistryAuthRequest,
  ): Promise<RegistryAuthResponse> {
    if (!opts.registryLogin) throw new HttpError(501, "this control plane has no registry");
    requireActive(inst);
    const task = await taskOnThisInstance(inst, region, body.taskArn);
    if (typeof body.region !== "string" || !isRegion(body.region))
      throw new HttpError(400, "region must name a region");
    const td = await store.read((tx) => taskDefinitionOf(tx, region, task.value.task.taskDefinitionArn));
    const repositories = new Set<string>();
    for (const c of td?.value.td.containerDefinitions ?? []) {
      const image = c.image ?? "";
      const slash = image.indexOf("/");
      // Whatever the host: only Berth's registry holds the repository, if anything does.
      const parsed = slash > 0 ? parseRegistryImage(image, image.slice(0, slash)) : undefined;
      if (parsed?.registry === body.region) repositories.add(parsed.name);
    }
    if (repositories.size === 0)
      throw new HttpError(403, `no image of the task is in the registry of ${body.region}`);
    return opts.registryLogin(body.region, [...repositories].sort());
  }

  /**
   * Where the tasks on an instance send container output: `region/group` → the streams they use
   * (`prefix/container/taskId`), or "any" when a container sets no awslogs-stream-prefix (its
   * stream is named by the container's runtime id, which the control plane may not know yet).
   */
  async function logDestinations(
    inst: StoredRecord<ContainerInstanceRecord>,
    region: string,
  ): Promise<Map<string, Set<string> | "any">> {
    return store.read(async (tx) => {
      const recs =
        inst.value.cluster === FARGATE_POOL
          ? await tasksOnFargateHost(tx, region, inst.value.id)
          : await tasksOnInstance(tx, region, inst.value.cluster, inst.value.id);
      const out = new Map<string, Set<string> | "any">();
      for (const t of recs) {
        const td = await taskDefinitionOf(tx, region, t.value.task.taskDefinitionArn);
        for (const c of td?.value.td.containerDefinitions ?? []) {
          if (c.logConfiguration?.logDriver !== "awslogs") continue;
          const o = c.logConfiguration.options ?? {};
          const group = o["awslogs-group"];
          if (!group) continue;
          const key = `${o["awslogs-region"] ?? region}/${group}`;
          const prefix = o["awslogs-stream-prefix"];
          const streams = out.get(key);
          if (!prefix) out.set(key, "any");
          else if (streams !== "any")
            out.set(key, (streams ?? new Set()).add(`${prefix}/${c.name}/${t.value.id}`));
        }
      }
      return out;
    });
  }

  /** Container output, only into the log groups (and streams) of the tasks on this instance. */
  async function shipLogs(
    inst: StoredRecord<ContainerInstanceRecord>,
    region: string,
    body: LogsRequest,
  ): Promise<void> {
    requireActive(inst);
    const logRegion = body?.region ?? region;
    if (typeof logRegion !== "string" || !isRegion(logRegion))
      throw new HttpError(400, "region must name a region");
    const batches = Array.isArray(body?.batches) ? body.batches : [];
    if (batches.length === 0) return;
    const allowed = await logDestinations(inst, region);
    for (const b of batches) {
      const streams = allowed.get(`${logRegion}/${String(b?.logGroupName)}`);
      if (!streams || (streams !== "any" && !streams.has(String(b.logStreamName))))
        throw new HttpError(
          403,
          `no task on this container instance sends its output to log group '${String(b?.logGroupName)}', stream '${String(b?.logStreamName)}' in ${logRegion}`,
        );
    }
    await opts.logs.put(logRegion, batches);
  }

  async function credentials(
    inst: StoredRecord<ContainerInstanceRecord>,
    region: string,
    body: CredentialsRequest,
  ): Promise<CredentialsResponse> {
    if (!opts.credentials) throw new HttpError(501, "this control plane issues no task credentials");
    requireActive(inst);
    const task = await taskOnThisInstance(inst, region, body.taskArn);
    const td = await store.read((tx) =>
      getTaskDefinitionByArn(tx, region, task.value.task.taskDefinitionArn),
    );
    const o = task.value.task.overrides;
    const roleArn =
      body.role === "execution"
        ? (o.executionRoleArn ?? td?.value.td.executionRoleArn)
        : (o.taskRoleArn ?? td?.value.td.taskRoleArn);
    if (!roleArn) throw new HttpError(404, `the task has no ${body.role} role`);
    try {
      const c = await opts.credentials.issue(opts.accountId, roleArn, task.value.id, clock.now());
      return {
        roleArn,
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
        expiration: c.expiresAt,
      };
    } catch (err) {
      if (err instanceof TaskRoleError) throw new HttpError(403, err.message);
      throw err;
    }
  }

  return {
    prefix: AGENT_API_PREFIX,
    close() {
      closed = true;
      unsubscribe();
      definitions.stop();
      for (const set of waiters.values()) for (const wake of [...set]) wake();
    },
    async handle(req, res) {
      try {
        const op = (req.url ?? "").slice(AGENT_API_PREFIX.length).split("?")[0];
        if (req.method !== "POST") throw new HttpError(405, "agent API calls are POSTs");
        const raw = await readBody(req, op === "logs" ? 8 * 1024 * 1024 : 1024 * 1024).catch(() => {
          throw new HttpError(413, "body too large");
        });
        let body: unknown;
        try {
          body = raw.length ? JSON.parse(raw.toString("utf8")) : {};
        } catch {
          throw new HttpError(400, "body is not JSON");
        }
        if (op === "register") {
          reply(res, 200, await register(body as RegisterRequest));
          return;
        }
        const inst = await authenticate(req);
        const region = locate(inst.value.arn)!.region;
        if (op === "poll") reply(res, 200, await poll(inst, region, body as PollRequest, req));
        else if (op === "report") reply(res, 200, await report(inst, region, body as ReportRequest));
        else if (op === "credentials")
          reply(res, 200, await credentials(inst, region, body as CredentialsRequest));
        else if (op === "registry-auth")
          reply(res, 200, await registryAuth(inst, region, body as RegistryAuthRequest));
        else if (op === "logs") {
          await shipLogs(inst, region, body as LogsRequest);
          reply(res, 200, { ok: true });
        } else throw new HttpError(404, `no agent API operation '${op}'`);
      } catch (err) {
        if (err instanceof HttpError) reply(res, err.status, { message: err.message });
        else {
          log.error("agent API failure", {
            error: err instanceof Error ? err : String(err),
            stack: (err as Error)?.stack,
          });
          reply(res, 500, { message: "internal error" });
        }
      }
    },
  };
}

/** Keep attributes set by PutAttributes (custom ones) across agent re-registration. */
function mergeCustom(old: Attribute[], fresh: Attribute[]): Attribute[] {
  const m = new Map(fresh.map((a) => [a.name!, a]));
  for (const a of old)
    if (!a.name?.startsWith("ecs.") && !a.name?.startsWith("com.amazonaws.ecs.") && !m.has(a.name!))
      m.set(a.name!, a);
  return [...m.values()];
}
