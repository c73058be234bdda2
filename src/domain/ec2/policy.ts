/**
 * What an interface's security groups allow, resolved for the data path: each rule's peer becomes
 * IPv4 CIDRs — a CIDR rule its block, a security-group rule the addresses of every interface in that
 * group (in the same VPC). The agent turns the result into packet filter rules. Pure.
 */
import type { RuleRecord, SecurityGroupRecord } from "../../state/ec2/records.js";

export interface PolicyRule {
  /** "-1" (all), "tcp", "udp", "icmp", or a protocol number. */
  protocol: string;
  /** -1 when the protocol has no ports; ICMP: type and code. */
  fromPort: number;
  toPort: number;
  /** IPv4 peers; empty means the rule matches nothing (a group with no members yet). */
  cidrs: string[];
}

export interface InterfacePolicy {
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

export interface Member {
  ip: string;
  groupIds: readonly string[];
}

/** Resolve the rules of `groups` (an interface's security groups) against the VPC's interfaces. */
export function interfacePolicy(
  groups: readonly SecurityGroupRecord[],
  members: readonly Member[],
): InterfacePolicy {
  const out: InterfacePolicy = { ingress: [], egress: [] };
  const byKey = new Map<string, PolicyRule>();
  for (const g of groups) {
    for (const r of g.rules) {
      const cidrs = peers(r, members);
      if (cidrs === undefined) continue;
      const list = r.egress ? out.egress : out.ingress;
      const key = `${r.egress}|${r.protocol}|${r.fromPort}|${r.toPort}`;
      let p = byKey.get(key);
      if (!p) {
        p = { protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, cidrs: [] };
        byKey.set(key, p);
        list.push(p);
      }
      for (const c of cidrs) if (!p.cidrs.includes(c)) p.cidrs.push(c);
    }
  }
  for (const p of [...out.ingress, ...out.egress]) p.cidrs.sort();
  return out;
}

/** IPv4 peers of a rule; undefined for peers the data path does not carry (IPv6). */
function peers(r: RuleRecord, members: readonly Member[]): string[] | undefined {
  if (r.cidrIpv4) return [r.cidrIpv4];
  if (r.groupId) return members.filter((m) => m.groupIds.includes(r.groupId!)).map((m) => `${m.ip}/32`);
  return undefined;
}
