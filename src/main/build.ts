/**
 * Wires Berth together. This is the only place objects are constructed and connected; everything
 * else receives its dependencies. `build` is kept apart from `listen` so tests construct a whole
 * Berth in-process on port 0.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Agent } from "../agent/agent.js";
import { agentApi, type LogSink } from "../agentapi/server.js";
import type { Config } from "../config/config.js";
import { createGateway, type Gateway } from "../gateway/gateway.js";
import { chainIdentity, type IdentityResolver, rootIdentity } from "../identity/identity.js";
import { type Clock, systemClock } from "../lib/clock.js";
import { createLogger, type Logger } from "../lib/log.js";
import { ecsService } from "../services/ecs/index.js";
import type { ServiceDefinition } from "../services/service.js";
import { stsService } from "../services/sts/index.js";
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
  /** The in-process agent, once started. */
  agent(): Agent | undefined;
  /** The container registry's background work, to run on demand. */
  readonly registry: RegistryHandle;
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
  const identity = chainIdentity(
    rootIdentity({ accountId: config.accountId, ...opts.credentials }),
    ...(opts.identities ?? []),
  );
  let url = "";
  const registry = buildRegistry({
    config,
    store: theStore,
    identity,
    clock,
    log,
    // The registry host docker uses: Berth's own address, known once it listens.
    registryHost: () => (url ? new URL(url).host : `${config.host}:${config.port}`),
  });
  const services: ServiceDefinition[] = [
    ecsService({ store: theStore, accountId: config.accountId }),
    stsService(),
    ...registry.services,
  ];
  const components: Component[] = [];
  const joinToken = opts.joinToken ?? randomBytes(24).toString("base64url");
  // CloudWatch Logs arrives with its service; until then shipped output waits in the agents' buffers.
  const logSink: LogSink = {
    put: async () => {
      throw new Error("CloudWatch Logs is not available in this build");
    },
  };
  const agentRoute = agentApi({
    store: theStore,
    clock,
    log: log.child({ component: "agent-api" }),
    accountId: config.accountId,
    joinToken,
    logs: logSink,
  });
  components.push({ name: "agent-api", stop: async () => agentRoute.close() });
  const agentComponent =
    opts.agent === false || opts.agent === undefined
      ? undefined
      : localAgent({
          ...opts.agent,
          url: () => url,
          joinToken,
          region: config.region,
          dataDir: config.dataDir,
          // Berth's own port is known only once it listens (port 0 picks one).
          reservedPorts: () => [Number(new URL(url).port)],
          clock,
          log,
        });
  const reset = async () => {
    await theStore.wipe();
    for (const c of components) await c.reset?.();
  };
  let ready = false;
  let gateway: Gateway | undefined;
  gateway = createGateway({
    services,
    identity,
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
    agent: () => agentComponent?.agent(),
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
      if (agentComponent && !components.includes(agentComponent)) {
        // The agent talks to the control plane over HTTP, so it starts once the port is open.
        components.push(agentComponent);
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
      await theStore.close();
    },
  };
}
