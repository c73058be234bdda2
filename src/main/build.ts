/**
 * Wires Berth together. This is the only place objects are constructed and connected; everything
 * else receives its dependencies. `build` is kept apart from `listen` so tests construct a whole
 * Berth in-process on port 0.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Config } from "../config/config.js";
import { createGateway, type Gateway } from "../gateway/gateway.js";
import { rootIdentity } from "../identity/identity.js";
import { type Clock, systemClock } from "../lib/clock.js";
import { createLogger, type Logger } from "../lib/log.js";
import { ecsService } from "../services/ecs/index.js";
import type { ServiceDefinition } from "../services/service.js";
import { stsService } from "../services/sts/index.js";
import { SqliteStore } from "../state/sqlite/sqlite-store.js";
import type { Store } from "../state/store.js";
import type { RootCredentials } from "./credentials.js";
import { internalRoutes } from "./internal-routes.js";

export interface BuildOptions {
  config: Config;
  credentials: Pick<RootCredentials, "accessKeyId" | "secretAccessKey">;
  clock?: Clock;
  log?: Logger;
  /** Defaults to SQLite at <dataDir>/state.db. */
  store?: Store;
  /** Throw on handler output the model does not know (tests). */
  strictOutput?: boolean;
}

export interface Berth {
  readonly config: Config;
  readonly store: Store;
  readonly server: Server;
  readonly services: readonly ServiceDefinition[];
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
  const identity = rootIdentity({ accountId: config.accountId, ...opts.credentials });
  const services: ServiceDefinition[] = [
    ecsService({ store: theStore, accountId: config.accountId }),
    stsService(),
  ];
  let ready = false;
  let gateway: Gateway | undefined;
  gateway = createGateway({
    services,
    identity,
    clock,
    log,
    strictOutput: opts.strictOutput ?? false,
    routes: [
      internalRoutes({
        version: VERSION,
        isReady: () => ready,
        reset: () => theStore.wipe(),
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
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.host, () => {
          server.off("error", reject);
          ready = true;
          const { port } = server.address() as AddressInfo;
          const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
          resolve(`http://${host}:${port}`);
        });
      }),
    async close() {
      ready = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await theStore.close();
    },
  };
}
