/**
 * Typed configuration: defaults < environment < flags, validated once, then frozen.
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { Level } from "../lib/log.js";

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** The region a request lands in when nothing says otherwise (CLI examples, registry). */
  readonly region: string;
  readonly accountId: string;
  /** Root credentials given by the operator; when absent they are generated into the data dir. */
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
  readonly logLevel: Level;
  /** SQLite durability: FULL fsyncs every commit (survives power loss); NORMAL survives process crashes. */
  readonly durability: "FULL" | "NORMAL";
  /** How long after its last call an agent counts as disconnected. */
  readonly agentTimeoutMs: number;
  /** How long STOPPED tasks stay describable. */
  readonly stoppedTaskRetentionMs: number;
  /** A service task without health checks counts as healthy this long after it starts running (ECS: 40 s). */
  readonly serviceSettleMs: number;
  /** BERTH_MASTER_KEY: base64 master keys, comma-separated, primary first (see src/crypto/master-key.ts). */
  readonly masterKey: string | undefined;
  /** BERTH_MASTER_KEY_FILE: a master key file; default `<data-dir>/master.key`. */
  readonly masterKeyFile: string | undefined;
}

export const DEFAULT_PORT = 4747;

export interface ConfigFlags {
  host?: string | undefined;
  port?: string | undefined;
  "data-dir"?: string | undefined;
  region?: string | undefined;
  "log-level"?: string | undefined;
}

export class ConfigError extends Error {}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function loadConfig(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}): Config {
  const pick = (flag: string | undefined, envName: string, fallback: string) =>
    flag ?? env[envName] ?? fallback;
  const portText = pick(flags.port, "BERTH_PORT", String(DEFAULT_PORT));
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`invalid port: ${portText}`);
  const region = pick(flags.region, "BERTH_REGION", "us-east-1");
  if (!REGION.test(region)) throw new ConfigError(`invalid region: ${region}`);
  const accountId = env.BERTH_ACCOUNT_ID ?? "000000000000";
  if (!/^\d{12}$/.test(accountId))
    throw new ConfigError(`BERTH_ACCOUNT_ID must be 12 digits, got ${accountId}`);
  const accessKeyId = env.BERTH_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.BERTH_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError("set both BERTH_ACCESS_KEY_ID and BERTH_SECRET_ACCESS_KEY, or neither");
  }
  if (accessKeyId !== undefined && !/^[A-Z0-9]{16,128}$/.test(accessKeyId)) {
    throw new ConfigError("BERTH_ACCESS_KEY_ID must be 16-128 upper-case letters and digits");
  }
  const logLevel = pick(flags["log-level"], "BERTH_LOG_LEVEL", "info");
  if (!["debug", "info", "warn", "error"].includes(logLevel))
    throw new ConfigError(`invalid log level: ${logLevel}`);
  const durability = (env.BERTH_DURABILITY ?? "FULL").toUpperCase();
  if (durability !== "FULL" && durability !== "NORMAL")
    throw new ConfigError("BERTH_DURABILITY must be FULL or NORMAL");
  const ms = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1000)
      throw new ConfigError(`${name} must be a whole number of milliseconds, at least 1000`);
    return n;
  };
  return Object.freeze({
    host: pick(flags.host, "BERTH_HOST", "127.0.0.1"),
    port,
    dataDir: resolve(pick(flags["data-dir"], "BERTH_DATA_DIR", join(homedir(), ".berth"))),
    region,
    accountId,
    accessKeyId,
    secretAccessKey,
    logLevel: logLevel as Level,
    durability,
    agentTimeoutMs: ms("BERTH_AGENT_TIMEOUT_MS", 60_000),
    stoppedTaskRetentionMs: ms("BERTH_STOPPED_TASK_RETENTION_MS", 60 * 60 * 1000),
    serviceSettleMs: ms("BERTH_SERVICE_SETTLE_MS", 40_000),
    masterKey: env.BERTH_MASTER_KEY || undefined,
    masterKeyFile: env.BERTH_MASTER_KEY_FILE ? resolve(env.BERTH_MASTER_KEY_FILE) : undefined,
  });
}
