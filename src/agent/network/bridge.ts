/**
 * The agent's network plumbing for bridge-mode tasks: a Docker bridge network of its own, and the
 * route that makes 169.254.170.2 — the address ECS containers use for task metadata and
 * credentials — reach this agent's endpoint server, the way the ECS agent does it (a DNAT rule on
 * the bridge). Commands run with execFile and fixed arguments; no user string reaches a shell.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import Docker from "dockerode";

const run = promisify(execFile);
export const ENDPOINT_ADDRESS = "169.254.170.2";

export interface BridgeNetwork {
  name: string;
  /** Linux bridge interface name. */
  iface: string;
  gateway: string;
  subnet: string;
}

/** Create (or find) the agent's bridge network. Name and interface derive from the instance id. */
export async function ensureBridge(
  instanceId: string,
  socketPath = "/var/run/docker.sock",
): Promise<BridgeNetwork> {
  const docker = new Docker({ socketPath });
  const name = `berth-${instanceId.slice(0, 12)}`;
  const iface = `brb${instanceId.slice(0, 12)}`;
  const inspect = async () => {
    const n = (await docker.getNetwork(name).inspect()) as {
      IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] };
    };
    const cfg = n.IPAM?.Config?.[0];
    if (!cfg?.Gateway || !cfg.Subnet) throw new Error(`network ${name} has no gateway`);
    return { name, iface, gateway: cfg.Gateway, subnet: cfg.Subnet };
  };
  try {
    return await inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  try {
    await docker.createNetwork({
      Name: name,
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: { "berth.instance": instanceId },
      Options: { "com.docker.network.bridge.name": iface, "com.docker.network.bridge.enable_icc": "true" },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
  }
  return inspect();
}

export async function removeBridge(instanceId: string, socketPath = "/var/run/docker.sock"): Promise<void> {
  const docker = new Docker({ socketPath });
  try {
    await docker.getNetwork(`berth-${instanceId.slice(0, 12)}`).remove();
  } catch {
    // gone already, or still in use by containers being removed
  }
}

async function iptables(args: string[]): Promise<string> {
  const { stdout } = await run("iptables", ["-w", "5", ...args]);
  return stdout;
}

/**
 * Route 169.254.170.2:80 from containers on `iface` to the endpoint server at gateway:port,
 * replacing any rule for this interface that points elsewhere.
 */
export async function routeEndpoint(iface: string, gateway: string, port: number): Promise<void> {
  if (!/^[a-z0-9]{1,15}$/.test(iface) || !/^[\d.]+$/.test(gateway) || !Number.isInteger(port)) {
    throw new Error("invalid endpoint route");
  }
  const rule = [
    "-i",
    iface,
    "-d",
    `${ENDPOINT_ADDRESS}/32`,
    "-p",
    "tcp",
    "-m",
    "tcp",
    "--dport",
    "80",
    "-j",
    "DNAT",
    "--to-destination",
    `${gateway}:${port}`,
  ];
  await unrouteEndpoint(iface, `${gateway}:${port}`);
  try {
    await iptables(["-t", "nat", "-C", "PREROUTING", ...rule]);
  } catch {
    await iptables(["-t", "nat", "-I", "PREROUTING", ...rule]);
  }
}

/** Remove this interface's endpoint rules (except one pointing at `keep`). */
export async function unrouteEndpoint(iface: string, keep?: string): Promise<void> {
  const rules = (await iptables(["-t", "nat", "-S", "PREROUTING"])).split("\n");
  for (const line of rules) {
    if (!line.includes(`-i ${iface} `) || !line.includes(ENDPOINT_ADDRESS)) continue;
    if (keep && line.includes(`--to-destination ${keep}`)) continue;
    const args = line.replace(/^-A PREROUTING /, "").split(" ");
    await iptables(["-t", "nat", "-D", "PREROUTING", ...args]).catch(() => undefined);
  }
}

import type { AgentNetwork } from "../agent.js";
import { TaskInterfaces } from "./task-interface.js";
import { ensureHostEndpoint, HOST_ENDPOINT, VpcRouters } from "./vpc-router.js";

/**
 * The real network: a bridge per agent and the 169.254.170.2 DNAT rule, and awsvpc task interfaces
 * through the host's VPC routers (shared by the agents of one process: pass the same `routers`).
 */
export function dockerNetwork(routers: VpcRouters = new VpcRouters()): AgentNetwork {
  let bridge: BridgeNetwork | undefined;
  const interfaces = new TaskInterfaces(routers);
  return {
    awsvpc: {
      endpointAddress: HOST_ENDPOINT.address,
      prepare: ensureHostEndpoint,
      attach: (spec, pid, endpoint) => interfaces.attach(spec, pid, endpoint),
      update: (spec) => interfaces.update(spec),
      detach: (spec) => interfaces.detach(spec),
      collect: () => routers.collectAll(),
      sourceAddress: async (vpcId) => (await routers.find(vpcId))?.routerAddress,
    },
    async prepare(instanceId) {
      bridge = await ensureBridge(instanceId);
      return { bridgeNetwork: bridge.name, endpointAddress: bridge.gateway };
    },
    async route(_instanceId, port) {
      if (bridge) await routeEndpoint(bridge.iface, bridge.gateway, port);
    },
    async teardown(instanceId) {
      if (bridge) await unrouteEndpoint(bridge.iface);
      await removeBridge(instanceId);
    },
  };
}

/** No network plumbing (in-memory runtimes in tests and benchmarks). */
export const noNetwork: AgentNetwork = {
  prepare: async () => ({ bridgeNetwork: "bridge", endpointAddress: "127.0.0.1" }),
  route: async () => {},
  teardown: async () => {},
};
