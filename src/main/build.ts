/**
 * Wires Berth together. This is the only place objects are constructed and connected; everything
 * else receives its dependencies. `build` is kept apart from `listen` so tests construct a whole
 * Berth in-process on port 0.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Agent } from "../agent/agent.js";
import { VpcRouters } from "../agent/network/vpc-router.js";
import { agentApi, type LogSink } from "../agentapi/server.js";
import { createAuthorizer } from "../authz/authorizer.js";
import { callerPolicyCache } from "../authz/caller-policies.js";
import type { Config } from "../config/config.js";
import { targetHealthGate } from "../control/load-balancing/health-gate.js";
import { serviceTargetRegistrar } from "../control/load-balancing/registrar.js";
import { checkServiceLoadBalancers } from "../control/load-balancing/service-check.js";
import { deregisterOnStop } from "../control/load-balancing/stop-hook.js";
import { serviceScheduler } from "../control/scheduler/loop.js";
import { taskJanitor } from "../control/task-janitor.js";
import { type KeyringSource, masterKeySource } from "../crypto/master-key.js";
import { createGateway, type Gateway } from "../gateway/gateway.js";
import { iamAccessKeys } from "../identity/access-keys.js";
import { chainIdentity, type IdentityResolver, rootIdentity } from "../identity/identity.js";
import { rootArn } from "../identity/principal.js";
import { aesGcmSealer, fileKey } from "../identity/sealer.js";
import { taskCredentialIssuer } from "../identity/task-roles.js";
import { temporaryCredentials } from "../identity/temporary.js";
import { type LbController, lbController } from "../lb/controller.js";
import { type Clock, systemClock } from "../lib/clock.js";
import { createLogger, type Logger } from "../lib/log.js";
import { ec2Service } from "../services/ec2/index.js";
import { ecsService } from "../services/ecs/index.js";
import { elbv2Service } from "../services/elbv2/index.js";
import { iamService } from "../services/iam/index.js";
import { kmsService } from "../services/kms/index.js";
import { logsService } from "../services/logs/index.js";
import { logsRetention } from "../services/logs/retention.js";
import { logSink } from "../services/logs/sink.js";
import { secretsManagerService } from "../services/secretsmanager/index.js";
import { secretPurgeComponent } from "../services/secretsmanager/purge.js";
import type { ServiceDefinition } from "../services/service.js";
import { ssmService } from "../services/ssm/index.js";
import { stsService } from "../services/sts/index.js";
import { watchIam } from "../state/iam/watch.js";
import { SqliteStore } from "../state/sqlite/sqlite-store.js";
import type { Store } from "../state/store.js";
import { type LocalAgentOptions, localAgent } from "./agent-component.js";
import type { RootCredentials } from "./credentials.js";
import { internalRoutes } from "./internal-routes.js";
import { buildRegistry, type RegistryHandle } from "./registry.js";

export interface BuildOptions {
  config: Config;
  credentials: Pick<RootCredentials, "accessKeyId" | "secretAccessKey">;
  clock?: Clock;
  log?: Logger;
  /** Defaults to SQLite at <dataDir>/state.db. */
  store?: Store;
  /** Throw on handler output the model does not know (tests). */
  strictOutput?: boolean;
  /** The token agents join with (see join-token.ts). */
  joinToken?: string;
  /** Run an agent in-process (`berth up` does); false for a control plane only. */
  agent?: LocalAgentOptions | false;
  /** More in-process agents on this host, each its own container instance. */
  agents?: LocalAgentOptions[];
  /** Run Berth-managed Fargate capacity in-process (`berth up` does): an agent that runs FARGATE tasks. */
  fargate?: LocalAgentOptions | false;
  /** How long after its last call an agent counts as disconnected (default 60 s). */
  agentTimeoutMs?: number;
  /** How long STOPPED tasks stay describable (default 1 h). */
  stoppedTaskRetentionMs?: number;
  /** A service task without health checks counts as healthy this long after it runs (default 40 s). */
  serviceSettleMs?: number;
  /** The master keyring that seals secrets; defaults to the config's key, or `<data-dir>/master.key`. */
  keyring?: KeyringSource;
  /** Further principals besides the root credentials (tests; IAM users plug in here). */
  identities?: IdentityResolver[];
}

/**
 * A part of Berth with a life of its own (background loops, the agent, child processes). Started
 * after the server listens, stopped before the store closes, reset by `berth reset`.
 */
export interface Component {
  readonly name: string;
  start?(): Promise<void>;
  /** Forget all state (after the store has been wiped). */
  reset?(): Promise<void>;
  stop?(): Promise<void>;
}

export interface Berth {
  readonly config: Config;
  readonly store: Store;
  readonly server: Server;
  readonly services: readonly ServiceDefinition[];
  readonly components: readonly Component[];
  /** The master keyring sealing secrets at rest. */
  readonly keyring: KeyringSource;
  /** The load balancer controller (HAProxy supervision); `destroy()` also stops HAProxy. */
  readonly loadBalancers: LbController;
  /** The in-process agent, once started. */
  agent(): Agent | undefined;
  /** Every in-process agent (the Fargate host included). */
  agents(): Agent[];
  /** The container registry's background work, to run on demand. */
  readonly registry: RegistryHandle;
  /** The in-process Fargate host, once started. */
  fargateAgent(): Agent | undefined;
  /** Listen on config.host:config.port (0 picks a free port). Resolves to the endpoint URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export function build(opts: BuildOptions): Berth {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger({ level: config.logLevel });
  let store = opts.store;
  if (!store) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    store = new SqliteStore({ path: join(config.dataDir, "state.db"), synchronous: config.durability });
  }
  const theStore = store;
  // IAM and STS: secrets sealed with a key in the data dir (read on first use), identities and
  // compiled policies cached until IAM state changes.
  const sealer = aesGcmSealer(fileKey(join(config.dataDir, "iam-sealing.key")));
  const iamGeneration = watchIam(theStore);
  const policies = callerPolicyCache({ store: theStore, generation: iamGeneration });
  const identity = chainIdentity(
    rootIdentity({ accountId: config.accountId, ...opts.credentials }),
    iamAccessKeys({ store: theStore, sealer, accountId: config.accountId, generation: iamGeneration }),
    temporaryCredentials({ sealer, accountId: config.accountId }),
    ...(opts.identities ?? []),
  );
  const keyring =
    opts.keyring ??
    masterKeySource({
      dataDir: config.dataDir,
      masterKey: config.masterKey,
      masterKeyFile: config.masterKeyFile,
      warn: (msg, fields) => log.warn(msg, fields),
    });
  const authorizer = createAuthorizer({ policies });
  let url = "";
  const registry = buildRegistry({
    config,
    store: theStore,
    identity,
    authorizer,
    compilePolicy: (doc) => policies.compile(doc, "resource"),
    clock,
    log,
    // The registry host docker uses: Berth's own address, known once it listens.
    registryHost: () => (url ? new URL(url).host : `${config.host}:${config.port}`),
  });
  // Load balancers: HAProxy supervised by the controller, which also answers port questions.
  const lb = lbController({
    store: theStore,
    clock,
    log: log.child({ component: "load-balancers" }),
    dataDir: config.dataDir,
  });
  const services: ServiceDefinition[] = [
    ecsService({
      store: theStore,
      accountId: config.accountId,
      agentTimeoutMs: opts.agentTimeoutMs ?? config.agentTimeoutMs,
      loadBalancing: { check: checkServiceLoadBalancers, beforeStop: deregisterOnStop },
    }),
    logsService({ store: theStore }),
    stsService({ store: theStore, sealer, compileTrust: (doc) => policies.compile(doc, "trust") }),
    iamService({ store: theStore, sealer, generation: iamGeneration }),
    // Secrets, configuration and keys (SSM Parameter Store, Secrets Manager, KMS).
    ssmService({ store: theStore, keyring }),
    secretsManagerService({ store: theStore, keyring }),
    kmsService({ store: theStore, keyring }),
    ...registry.services,
    // Load balancers (ELBv2); HAProxy is the data plane (src/lb/).
    elbv2Service({ store: theStore, ports: lb.ports }),
    // VPCs, subnets, security groups and task network interfaces (awsvpc networking).
    ec2Service({ store: theStore }),
  ];
  const components: Component[] = [
    secretPurgeComponent({ store: theStore, clock, log: log.child({ component: "secrets-purge" }) }),
    lb,
  ];
  const joinToken = opts.joinToken ?? randomBytes(24).toString("base64url");
  // Container output that agents ship for awslogs goes into CloudWatch Logs.
  const logs: LogSink = logSink({ store: theStore, clock, log: log.child({ component: "logs" }) });
  components.push(logsRetention({ store: theStore, clock, log: log.child({ component: "logs-retention" }) }));
  const agentRoute = agentApi({
    store: theStore,
    clock,
    log: log.child({ component: "agent-api" }),
    accountId: config.accountId,
    joinToken,
    logs,
    credentials: taskCredentialIssuer({ store: theStore, sealer }),
    // Tasks without an execution role pull their own images from Berth's registry with a short,
    // pull-only login the account issues for them (an instance role's part; see agentapi/server.ts).
    registryLogin: (region, repositories) =>
      registry.handle.pullLogin(
        opts.credentials.accessKeyId,
        rootArn(config.accountId),
        region,
        repositories,
      ),
  });
  components.push({ name: "agent-api", stop: async () => agentRoute.close() });
  components.push(
    taskJanitor({
      store: theStore,
      clock,
      log,
      retentionMs: opts.stoppedTaskRetentionMs ?? config.stoppedTaskRetentionMs,
      agentTimeoutMs: opts.agentTimeoutMs ?? config.agentTimeoutMs,
    }),
  );
  // Services behind load balancers: target health gates their tasks' health; stopping tasks drain.
  const targetHealth = targetHealthGate({
    store: theStore,
    log: log.child({ component: "service-load-balancing" }),
    onChange: () => void scheduler.kick(),
  });
  components.push({
    name: "target-health-gate",
    start: () => targetHealth.start(),
    stop: async () => targetHealth.stop(),
  });
  const scheduler = serviceScheduler({
    store: theStore,
    clock,
    log: log.child({ component: "service-scheduler" }),
    accountId: config.accountId,
    agentTimeoutMs: opts.agentTimeoutMs ?? config.agentTimeoutMs,
    settleMs: opts.serviceSettleMs ?? config.serviceSettleMs,
    healthGate: targetHealth.gate,
    beforeStop: deregisterOnStop,
  });
  components.push(scheduler);
  components.push(
    serviceTargetRegistrar({
      store: theStore,
      clock,
      log: log.child({ component: "service-load-balancing" }),
    }),
  );
  // In-process agents: `agent` for one, `agents` for several on this host (each its own instance),
  // and `fargate` for the Berth-managed Fargate host. They share the host's VPC routers.
  const vpcRouters = new VpcRouters();
  const agentOptions = [...(opts.agent ? [opts.agent] : []), ...(opts.agents ?? [])];
  const common = {
    url: () => url,
    joinToken,
    region: config.region,
    dataDir: config.dataDir,
    // Berth's own port is known only once it listens (port 0 picks one).
    reservedPorts: () => [Number(new URL(url).port)],
    clock,
    log,
    vpcRouters,
  };
  const agentComponents = agentOptions.map((a, i) =>
    localAgent({
      ...a,
      ...(opts.agents && !a.dir ? { dir: `agent-${a.name ?? i + 1}` } : {}),
      ...common,
    }),
  );
  if (opts.fargate) {
    agentComponents.push(
      localAgent({
        name: `${hostname()}-fargate`,
        dir: "fargate-agent",
        ...opts.fargate,
        fargate: true,
        ...common,
      }),
    );
  }
  const reset = async () => {
    await theStore.wipe();
    for (const c of components) await c.reset?.();
  };
  let ready = false;
  let gateway: Gateway | undefined;
  gateway = createGateway({
    services,
    identity,
    authorizer,
    clock,
    log,
    strictOutput: opts.strictOutput ?? false,
    routes: [
      agentRoute,
      registry.route,
      internalRoutes({
        version: VERSION,
        isReady: () => ready,
        reset,
        gateway: () => gateway!,
      }),
    ],
  });
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => gateway!.handle(req, res));

  return {
    config,
    store: theStore,
    server,
    services,
    components,
    keyring,
    loadBalancers: lb,
    agent: () => (opts.agent || opts.agents ? agentComponents[0]?.agent() : undefined),
    fargateAgent: () => (opts.fargate ? agentComponents[agentComponents.length - 1]?.agent() : undefined),
    agents: () => agentComponents.map((c) => c.agent()).filter((a): a is Agent => a !== undefined),
    registry: registry.handle,
    async listen() {
      url = await new Promise<string>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          const { port } = server.address() as AddressInfo;
          const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
          resolve(`http://${host}:${port}`);
        });
      });
      for (const a of agentComponents) {
        // Agents talk to the control plane over HTTP, so they start once the port is open.
        if (!components.includes(a)) components.push(a);
      }
      // The registry resets last: its reset deletes files, and the agent's reset is sensitive to
      // time passing between the store wipe and its own reset.
      for (const c of registry.components) if (!components.includes(c)) components.push(c);
      for (const c of components) await c.start?.();
      ready = true;
      return url;
    },
    async close() {
      ready = false;
      for (const c of [...components].reverse()) {
        try {
          await c.stop?.();
        } catch (err) {
          log.error("component failed to stop", {
            component: c.name,
            error: err instanceof Error ? err : String(err),
          });
        }
      }
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      iamGeneration.stop();
      await theStore.close();
    },
  };
}
