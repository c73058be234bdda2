/**
 * A VPC on this host: a network namespace of its own (`bvpc-<vpc>`), the VPC's router. Every task
 * interface of the VPC is a veth pair with one end (`eth0`) in the task's namespace and the other
 * (`e<eni>`) in the router, with a /32 route to the task's address; the router answers ARP for the
 * subnet's other addresses (proxy ARP) and has each subnet's gateway address, so tasks of one subnet,
 * or of several, reach each other through it — and through its FORWARD chain, where security groups
 * are enforced (sg-rules.ts). Addresses of the VPC that no task has are unreachable.
 *
 * The router's only other link is its uplink to the host (`up0` ↔ `bvu<vpc>`, a /30 from
 * 169.254.64.0/18): metadata and DNS traffic leave through it DNAT'ed to the agent's endpoint, and the
 * host reaches tasks' local public addresses through it. VPCs share nothing else, so they are isolated
 * from each other and may overlap.
 *
 * One `VpcRouters` per process serves every agent of the process (they share the host's VPCs); it
 * makes a router on first use and removes it when its last interface is gone.
 */
import { access } from "node:fs/promises";
import type { TaskNetworkSpec } from "../../agentapi/protocol.js";
import { formatIp, parseCidr, parseIp } from "../../domain/ec2/cidr.js";
import { Mutex } from "../../lib/mutex.js";
import { inNetns, ipBatch, run } from "./exec.js";
import { routerRules, UPLINK } from "./sg-rules.js";

/**
 * The host address agents serve awsvpc tasks' metadata and DNS on, as the routers reach it: a
 * link-local address on an interface of its own (an empty bridge, which every kernel Docker runs on
 * has), so that it can never be an address of a VPC (an agent's bridge gateway could be: Docker picks
 * those from ranges VPCs use too).
 */
export const HOST_ENDPOINT = { iface: "berth0", address: "169.254.171.1" } as const;

/** Make the endpoint interface (once per host; it stays, like Docker's own bridge). */
export async function ensureHostEndpoint(): Promise<void> {
  await run("ip", ["link", "add", HOST_ENDPOINT.iface, "type", "bridge"]).catch((err) => {
    if (!/File exists/.test(String(err))) throw err;
  });
  await ipBatch([
    `addr replace ${HOST_ENDPOINT.address}/32 dev ${HOST_ENDPOINT.iface}`,
    `link set ${HOST_ENDPOINT.iface} up`,
  ]);
}

export interface Router {
  netns: string;
  /** The host end of the uplink. */
  hostLink: string;
  hostAddress: string;
  routerAddress: string;
}

const TRANSIT = { base: parseIp("169.254.64.0")!, slots: 4096 };
const vpcKey = (vpcId: string) => {
  const hex = vpcId.replace(/^vpc-/, "");
  if (!/^[0-9a-f]{8,17}$/.test(hex)) throw new Error(`invalid VPC id ${vpcId}`);
  return hex.slice(-12);
};
export const routerNetns = (vpcId: string) => `bvpc-${vpcKey(vpcId)}`;
const hostLinkOf = (vpcId: string) => `bvu${vpcKey(vpcId).slice(-10)}`;

function hash(s: string): number {
  let h = 2166136261;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

export class VpcRouters {
  private readonly locks = new Map<string, Mutex>();
  /** Routers this process made or used (the ones `collectAll` may remove). */
  private readonly known = new Set<string>();

  private lock<T>(netns: string, fn: () => Promise<T>): Promise<T> {
    let m = this.locks.get(netns);
    if (!m) {
      m = new Mutex();
      this.locks.set(netns, m);
    }
    return m.run(fn);
  }

  /** Run `fn` while no other attach or removal of this VPC's router runs in this process. */
  locked<T>(vpcId: string, fn: () => Promise<T>): Promise<T> {
    return this.lock(routerNetns(vpcId), fn);
  }

  /** The VPC's router, made if needed. Call under `locked`. */
  async ensure(spec: Pick<TaskNetworkSpec, "vpcId" | "vpcCidr">): Promise<Router> {
    const netns = routerNetns(spec.vpcId);
    const hostLink = hostLinkOf(spec.vpcId);
    this.known.add(netns);
    const existing = await this.find(spec.vpcId);
    if (existing) return existing;
    const vpcCidr = parseCidr(spec.vpcCidr);
    if (!vpcCidr) throw new Error(`invalid VPC CIDR ${spec.vpcCidr}`);
    await run("ip", ["netns", "add", netns]);
    try {
      await inNetns(netns, "sysctl", [
        "-q",
        "-w",
        "net.ipv4.ip_forward=1",
        "net.ipv4.conf.default.proxy_arp=1",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
      ]);
      const slot = await this.freeSlot(spec.vpcId);
      const hostAddress = formatIp(TRANSIT.base + slot * 4 + 1);
      const routerAddress = formatIp(TRANSIT.base + slot * 4 + 2);
      await run("ip", ["link", "add", hostLink, "type", "veth", "peer", "name", UPLINK, "netns", netns]);
      await ipBatch([`addr add ${hostAddress}/30 dev ${hostLink}`, `link set ${hostLink} up`]);
      await ipBatch(
        [
          "link set lo up",
          `addr add ${routerAddress}/30 dev ${UPLINK}`,
          `link set ${UPLINK} up`,
          `route add default via ${hostAddress} dev ${UPLINK}`,
          `route add unreachable ${spec.vpcCidr}`,
        ],
        netns,
      );
      await inNetns(netns, "iptables-restore", ["-w", "5"], routerRules());
      return { netns, hostLink, hostAddress, routerAddress };
    } catch (err) {
      await run("ip", ["netns", "del", netns]).catch(() => undefined);
      throw err;
    }
  }

  /** The router of a VPC if this host has one. */
  async find(vpcId: string): Promise<Router | undefined> {
    const netns = routerNetns(vpcId);
    const hostLink = hostLinkOf(vpcId);
    const present = await access(`/run/netns/${netns}`).then(
      () => true,
      () => false,
    );
    if (!present) return undefined;
    const out = await run("ip", ["-o", "-4", "addr", "show", "dev", hostLink]).catch(() => "");
    const m = /inet (\d+\.\d+\.\d+\.\d+)\/30/.exec(out);
    if (!m) return undefined;
    const host = parseIp(m[1]!)!;
    return { netns, hostLink, hostAddress: m[1]!, routerAddress: formatIp(host + 1) };
  }

  /** A /30 of the transit range no uplink on this host uses, near the VPC's hash. */
  private async freeSlot(vpcId: string): Promise<number> {
    const used = new Set<number>();
    const out = await run("ip", ["-o", "-4", "addr", "show"]);
    for (const m of out.matchAll(/inet (169\.254\.\d+\.\d+)\/30/g)) {
      const ip = parseIp(m[1]!)!;
      if (ip >= TRANSIT.base && ip < TRANSIT.base + TRANSIT.slots * 4)
        used.add(Math.floor((ip - TRANSIT.base) / 4));
    }
    const start = hash(vpcId) % TRANSIT.slots;
    for (let i = 0; i < TRANSIT.slots; i++) {
      const slot = (start + i) % TRANSIT.slots;
      if (!used.has(slot)) return slot;
    }
    throw new Error("no free transit address for another VPC router");
  }

  /** Remove the VPC's router when no task interface is left in it. Call under `locked`. */
  collect(vpcId: string): Promise<boolean> {
    return this.collectByName(routerNetns(vpcId));
  }

  /** Remove the routers this process used that have no interface left (after an agent removed its tasks). */
  async collectAll(): Promise<void> {
    for (const netns of [...this.known]) await this.lock(netns, () => this.collectByName(netns));
  }

  private async collectByName(netns: string): Promise<boolean> {
    const links = await run("ip", ["-n", netns, "-o", "link", "show"]).catch(() => undefined);
    if (links === undefined) {
      this.known.delete(netns);
      return false;
    }
    if (/^\d+: e[0-9a-f]{14}[@:]/m.test(links)) return false;
    // Deleting the namespace deletes the uplink, and with it the host's end of the pair.
    await run("ip", ["netns", "del", netns]).catch(() => undefined);
    this.known.delete(netns);
    return true;
  }
}
