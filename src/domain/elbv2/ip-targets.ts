/**
 * Which IPv4 addresses a target group of type ip may send traffic to. AWS allows the target group's
 * VPC subnets, the RFC 1918 ranges and RFC 6598 (100.64.0.0/10), and refuses publicly routable
 * addresses. Berth has no real VPC: its load balancers run on this machine, so it allows the private
 * ranges, loopback (local servers) and 198.18.0.0/15 (its awsvpc "public" addresses), and refuses the
 * rest — above all link-local 169.254.0.0/16, where cloud metadata services answer, and any public
 * address, so that a load balancer cannot be turned into a proxy to them. Pure.
 */
import { BlockList, isIPv4 } from "node:net";

/** The ranges an ip target may be in, for messages and documentation. */
export const IP_TARGET_RANGES = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "198.18.0.0/15",
] as const;

const allowed = new BlockList();
for (const cidr of IP_TARGET_RANGES) {
  const [network, prefix] = cidr.split("/") as [string, string];
  allowed.addSubnet(network, Number(prefix), "ipv4");
}

/** Whether `ip` (a dotted IPv4 address) may be registered as an ip target. */
export function isAllowedIpTarget(ip: string): boolean {
  return isIPv4(ip) && allowed.check(ip, "ipv4");
}
