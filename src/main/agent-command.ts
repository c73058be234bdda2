/**
 * `berth agent`: a standalone agent joining a control plane, for more hosts (or more container
 * instances on one host). It is the same Agent `berth up` runs in-process.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Attribute } from "@aws-sdk/client-ecs";
import { Agent } from "../agent/agent.js";
import type { PullBehavior } from "../agent/engine/task-runner.js";
import { dockerNetwork } from "../agent/network/bridge.js";
import { DockerRuntime } from "../agent/runtime/docker-runtime.js";
import { ConfigError } from "../config/config.js";
import { systemClock } from "../lib/clock.js";
import { createLogger, type Level } from "../lib/log.js";

export const AGENT_USAGE = `  agent    run a standalone agent that joins a control plane as a container instance
           --control-plane URL (required)   --token T (BERTH_JOIN_TOKEN; berth up prints it)
           --cluster NAME (default "default")   --name NAME (default the hostname)
           --region R (BERTH_REGION, default us-east-1)   --data-dir DIR (default ~/.berth-agent-<name>)
           --cpu UNITS   --memory MIB   --attribute NAME=VALUE (repeatable)   --bind-ip ADDR
           --image-pull-behavior default|always|once|prefer-cached
`;

const PULL = new Set(["default", "always", "once", "prefer-cached"]);

export async function agentCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "control-plane": { type: "string" },
      token: { type: "string" },
      cluster: { type: "string" },
      name: { type: "string" },
      region: { type: "string" },
      "data-dir": { type: "string" },
      cpu: { type: "string" },
      memory: { type: "string" },
      attribute: { type: "string", multiple: true },
      "bind-ip": { type: "string" },
      "image-pull-behavior": { type: "string" },
      "log-level": { type: "string" },
    },
  });
  const controlPlane = values["control-plane"];
  if (!controlPlane || !/^https?:\/\//.test(controlPlane))
    throw new ConfigError("--control-plane URL is required");
  const token = values.token ?? process.env.BERTH_JOIN_TOKEN;
  if (!token) throw new ConfigError("--token (or BERTH_JOIN_TOKEN) is required; berth up prints it");
  const name = values.name ?? hostname();
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new ConfigError(`invalid --name: ${name}`);
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`invalid ${flag}: ${v}`);
    return n;
  };
  const attributes: Attribute[] = (values.attribute ?? []).map((a) => {
    const eq = a.indexOf("=");
    const n = eq < 0 ? a : a.slice(0, eq);
    if (!/^[A-Za-z0-9._\-/]{1,128}$/.test(n)) throw new ConfigError(`invalid --attribute: ${a}`);
    return eq < 0 ? { name: n } : { name: n, value: a.slice(eq + 1) };
  });
  const pull = values["image-pull-behavior"];
  if (pull !== undefined && !PULL.has(pull)) throw new ConfigError(`invalid --image-pull-behavior: ${pull}`);
  const log = createLogger({
    level: (values["log-level"] ?? process.env.BERTH_LOG_LEVEL ?? "info") as Level,
    base: { component: "agent" },
  });
  const cpu = num("--cpu", values.cpu);
  const memoryMiB = num("--memory", values.memory);
  const agent = new Agent({
    controlPlaneUrl: controlPlane,
    joinToken: token,
    region: values.region ?? process.env.BERTH_REGION ?? "us-east-1",
    cluster: values.cluster ?? "default",
    name,
    dataDir: values["data-dir"] ?? join(process.env.HOME ?? "/root", `.berth-agent-${name}`),
    runtime: new DockerRuntime(),
    network: dockerNetwork(),
    clock: systemClock,
    log,
    attributes,
    ...(cpu !== undefined ? { cpu } : {}),
    ...(memoryMiB !== undefined ? { memoryMiB } : {}),
    ...(values["bind-ip"] ? { bindIp: values["bind-ip"] } : {}),
    ...(pull ? { pullBehavior: pull as PullBehavior } : {}),
  });
  await agent.start();
  await agent.ready;
  process.stdout.write(`Berth agent ${name} joined ${controlPlane} as ${agent.containerInstanceArn}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    agent.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
