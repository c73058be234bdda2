/**
 * An awsvpc task's interface on this host: plugged into its VPC's router (vpc-router.ts) from the
 * network namespace of the task's pause container, addressed and routed as its subnet says, with its
 * security groups as the router's filter chains (sg-rules.ts) and, with a public address, a host route
 * to it. `update` replaces the rules; `detach` removes everything attach made.
 */
import type { TaskNetworkSpec } from "../../agentapi/protocol.js";
import { parseCidr, parseIp } from "../../domain/ec2/cidr.js";
import { inNetns, inProcessNetns, ipBatch, NetworkCommandError, run } from "./exec.js";
import { attachRules, detachRules, type Endpoint, linkName, updateRules } from "./sg-rules.js";
import { routerNetns, type VpcRouters } from "./vpc-router.js";

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Every value that reaches a command is checked here first. */
function checked(spec: TaskNetworkSpec): { prefix: number } {
  const subnet = parseCidr(spec.subnetCidr);
  if (!subnet || !parseCidr(spec.vpcCidr)) throw new Error("invalid subnet or VPC CIDR");
  for (const ip of [spec.privateIp, spec.gateway, spec.dnsServer, ...(spec.publicIp ? [spec.publicIp] : [])])
    if (parseIp(ip) === undefined) throw new Error(`invalid address ${ip}`);
  if (!MAC.test(spec.macAddress)) throw new Error(`invalid MAC address ${spec.macAddress}`);
  if (!/^eni-[0-9a-f]{8,17}$/.test(spec.eniId)) throw new Error(`invalid interface id ${spec.eniId}`);
  return { prefix: subnet.prefix };
}

export class TaskInterfaces {
  constructor(private readonly routers: VpcRouters) {}

  /** Plug the task (whose pause container is process `pid`) into its VPC. */
  async attach(spec: TaskNetworkSpec, pid: number, endpoint: Endpoint): Promise<void> {
    const { prefix } = checked(spec);
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pause process id ${pid}`);
    const link = linkName(spec.eniId);
    await this.routers.locked(spec.vpcId, async () => {
      const router = await this.routers.ensure(spec);
      const netns = router.netns;
      try {
        await run("ip", [
          "link",
          "add",
          link,
          "netns",
          netns,
          "type",
          "veth",
          "peer",
          "name",
          "eth0",
          "netns",
          String(pid),
        ]);
      } catch (err) {
        // Attached already (an agent adopting a running task after a restart): keep it.
        if (!(err instanceof NetworkCommandError && /File exists/.test(err.stderr))) throw err;
        return;
      }
      // The router's side, the task's side and the rules are independent: set them up at once.
      await Promise.all([
        ipBatch(
          [
            // The subnet's router and the VPC's DNS server are the router's own addresses (so it
            // answers ARP for them: the DNS address can be inside a task's subnet).
            `addr replace ${spec.gateway}/32 dev lo`,
            `addr replace ${spec.dnsServer}/32 dev lo`,
            `link set ${link} up`,
            `route replace ${spec.privateIp}/32 dev ${link}`,
          ],
          netns,
        ),
        inProcessNetns(
          pid,
          "ip",
          ["-batch", "-"],
          [
            "link set lo up",
            `link set eth0 address ${spec.macAddress}`,
            `addr add ${spec.privateIp}/${prefix} dev eth0`,
            "link set eth0 up",
            `route add default via ${spec.gateway} dev eth0`,
            "",
          ].join("\n"),
        ),
        inNetns(netns, "iptables-restore", ["-w", "5", "--noflush"], attachRules(spec, endpoint)),
      ]);
      if (spec.publicIp)
        await run("ip", [
          "route",
          "replace",
          `${spec.publicIp}/32`,
          "via",
          router.routerAddress,
          "dev",
          router.hostLink,
        ]);
    });
  }

  /** Replace the task's security group rules (new connections see them at once). */
  async update(spec: TaskNetworkSpec): Promise<void> {
    checked(spec);
    await this.routers.locked(spec.vpcId, async () => {
      if (!(await this.routers.find(spec.vpcId))) return;
      await inNetns(routerNetns(spec.vpcId), "iptables-restore", ["-w", "5", "--noflush"], updateRules(spec));
    });
  }

  /** Remove the task's interface, rules and route; the router goes with its last interface. */
  async detach(spec: TaskNetworkSpec): Promise<void> {
    checked(spec);
    const netns = routerNetns(spec.vpcId);
    await this.routers.locked(spec.vpcId, async () => {
      if (spec.publicIp) await run("ip", ["route", "del", `${spec.publicIp}/32`]).catch(() => undefined);
      if (!(await this.routers.find(spec.vpcId))) return;
      await inNetns(netns, "iptables-restore", ["-w", "5", "--noflush"], detachRules(spec.eniId)).catch(
        async () => {
          // Some of it was gone already: remove what is left one step at a time.
          for (const block of detachRules(spec.eniId).split("COMMIT")) {
            const table = /\*(\w+)/.exec(block)?.[1];
            for (const line of block.split("\n").filter((l) => l.startsWith("-"))) {
              await inNetns(netns, "iptables", ["-w", "5", "-t", table!, ...line.split(" ")]).catch(
                () => undefined,
              );
            }
          }
        },
      );
      await run("ip", ["-n", netns, "link", "del", linkName(spec.eniId)]).catch(() => undefined);
      await run("ip", ["-n", netns, "route", "del", `${spec.privateIp}/32`]).catch(() => undefined);
      await this.routers.collect(spec.vpcId);
    });
  }
}
