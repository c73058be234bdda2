/**
 * A Berth on an in-memory store whose service handlers tests call directly, with a request context
 * of their choosing (region, time): for rules that depend on time passing, which a signed request
 * cannot fake, and for fast unit-level tests.
 */
import { loadConfig } from "../../src/config/config.js";
import { generateMasterKey, Keyring } from "../../src/crypto/keyring.js";
import { silentLogger } from "../../src/lib/log.js";
import { type Berth, build } from "../../src/main/build.js";
import type { RequestContext } from "../../src/services/service.js";
import { SqliteStore } from "../../src/state/sqlite/sqlite-store.js";

export const ACCOUNT = "000000000000";

export interface HandlerBerth {
  berth: Berth;
  keyring: Keyring;
  call(
    service: string,
    op: string,
    input: unknown,
    opts?: { region?: string; now?: number },
  ): Promise<Record<string, unknown>>;
}

export function handlerBerth(): HandlerBerth {
  const keyring = new Keyring([generateMasterKey()]);
  const berth = build({
    config: loadConfig({ BERTH_PORT: "0", BERTH_DATA_DIR: "/nonexistent" }),
    credentials: { accessKeyId: "AKIATESTTESTTEST", secretAccessKey: "x" },
    store: new SqliteStore({ path: ":memory:" }),
    keyring: { get: () => keyring, describe: () => "test", file: () => undefined },
    log: silentLogger,
  });
  return {
    berth,
    keyring,
    async call(service, op, input, opts = {}) {
      const svc = berth.services.find((s) => s.id === service)!;
      const ctx: RequestContext = {
        requestId: "test",
        region: opts.region ?? "us-east-1",
        accountId: ACCOUNT,
        principal: {
          arn: `arn:aws:iam::${ACCOUNT}:root`,
          accountId: ACCOUNT,
          userId: ACCOUNT,
          kind: "root",
          accessKeyId: "AKIATEST",
        },
        now: opts.now ?? Date.now(),
        service,
        operation: op,
        sourceIp: "127.0.0.1",
        log: silentLogger,
      };
      return (await svc.handlers[op]!(input as never, ctx)) as Record<string, unknown>;
    },
  };
}
