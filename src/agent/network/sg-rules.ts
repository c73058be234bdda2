/**
 * Security groups as packet filter rules in a VPC's router namespace, as iptables-restore input. Pure.
 *
 * Every packet between two tasks, and every packet between a task and the host, is forwarded by the
 * router, so its FORWARD chain sees it once, with the sending interface (`-i`) and the receiving one
 * (`-o`). The skeleton (made once per router):
 *
 *   FORWARD (policy DROP)
 *     1. established and related packets          → ACCEPT   (replies; revoking a rule keeps open connections)
 *     2. DNAT'ed to the uplink (metadata, DNS)     → ACCEPT   (not filtered by security groups, as on AWS)
 *     3. → BERTH-EGRESS:  -i e<eni> → O-<eni>: the sender's egress rules; RETURN when allowed, else DROP
 *     4. → BERTH-INGRESS: -o e<eni> → I-<eni>: the receiver's ingress rules; ACCEPT when allowed, else DROP
 *     anything else (a task to the uplink, or to a VPC address no task has) is dropped by the policy.
 *
 * A task's own chains are replaced atomically (iptables-restore declares them, which flushes them), so
 * a rule change applies to new connections at once and to open ones never.
 */
import type { NetworkRuleSpec, TaskNetworkSpec } from "../../agentapi/protocol.js";

/** The part of an interface id that names its router-side link and chains (`eni-` + 17 hex → 14 hex). */
export const eniKey = (eniId: string): string => eniId.replace(/^eni-/, "").slice(-14);
export const linkName = (eniId: string) => `e${eniKey(eniId)}`;
export const ingressChain = (eniId: string) => `I-${eniKey(eniId)}`;
export const egressChain = (eniId: string) => `O-${eniKey(eniId)}`;
export const natChain = (eniId: string) => `N-${eniKey(eniId)}`;

export const UPLINK = "up0";
export const METADATA_ADDRESS = "169.254.170.2";
/** The other address AWS's DNS answers on in every VPC. */
export const LINK_LOCAL_DNS = "169.254.169.253";

const SAFE = /^[A-Za-z0-9.:/_-]+$/;
/** Every value that reaches a rule line is checked: no user string may shape the command. */
function safe(v: string | number): string {
  const s = String(v);
  if (!SAFE.test(s)) throw new Error(`refusing unsafe packet filter value ${JSON.stringify(s)}`);
  return s;
}

/**
 * Protocol 0 (HOPOPT) is a protocol number EC2 accepts like any other, but iptables reads `-p 0` as
 * "all protocols" (and the name `hopopt` resolves to 0 too), so the rule would open every protocol to
 * its peer. iptables cannot say "protocol field equals 0" short of a raw header match (the u32 module,
 * which a kernel may lack, failing the whole restore), and IPv4 has no use for protocol 0 (HOPOPT is
 * an IPv6 extension header), so such a rule gets no line at all: it matches nothing, and the chain's
 * final DROP refuses protocol 0 traffic. Narrower than AWS, never wider.
 */
const matchesNothing = (rule: NetworkRuleSpec): boolean =>
  /^\d+$/.test(rule.protocol) && Number(rule.protocol) === 0;

function match(rule: NetworkRuleSpec): string[] {
  const p = rule.protocol;
  if (p === "-1") return [];
  if (p === "tcp" || p === "udp") {
    const ports = rule.fromPort === rule.toPort ? `${rule.fromPort}` : `${rule.fromPort}:${rule.toPort}`;
    return ["-p", p, "-m", p, "--dport", safe(ports)];
  }
  if (p === "icmp") {
    if (rule.fromPort === -1) return ["-p", "icmp"];
    const type = rule.toPort === -1 ? `${rule.fromPort}` : `${rule.fromPort}/${rule.toPort}`;
    return ["-p", "icmp", "-m", "icmp", "--icmp-type", safe(type)];
  }
  if (/^\d+$/.test(p)) {
    // Never `-p 0`: iptables would read it as every protocol (see matchesNothing).
    if (Number(p) === 0) throw new Error("refusing protocol 0 as a packet filter match");
    return ["-p", p];
  }
  // Other names could mean anything to iptables (`all`, `ip` and `hopopt` are protocol 0, i.e. every one).
  throw new Error(`refusing unknown protocol ${JSON.stringify(p)} as a packet filter match`);
}

/** The lines that fill a task's two chains (after their declarations). */
function chainLines(spec: TaskNetworkSpec): string[] {
  const out: string[] = [];
  const eg = egressChain(spec.eniId);
  const ing = ingressChain(spec.eniId);
  for (const r of spec.egress) {
    if (r.protocol === "icmpv6" || matchesNothing(r)) continue;
    for (const c of r.cidrs) out.push(["-A", eg, "-d", safe(c), ...match(r), "-j", "RETURN"].join(" "));
  }
  out.push(`-A ${eg} -j DROP`);
  for (const r of spec.ingress) {
    if (r.protocol === "icmpv6" || matchesNothing(r)) continue;
    for (const c of r.cidrs) out.push(["-A", ing, "-s", safe(c), ...match(r), "-j", "ACCEPT"].join(" "));
  }
  out.push(`-A ${ing} -j DROP`);
  return out;
}

export interface Endpoint {
  /** The agent's address the router sends metadata and DNS traffic to, and its ports. */
  address: string;
  metadataPort: number;
  dnsPort: number;
}

/**
 * A task's rules when its interface is attached: its filter chains and their jumps, and its nat chain
 * (metadata and DNS to the agent; its public address to its private one).
 */
export function attachRules(spec: TaskNetworkSpec, endpoint: Endpoint): string {
  const link = linkName(spec.eniId);
  const nat = natChain(spec.eniId);
  const ep = safe(endpoint.address);
  const lines = [
    "*nat",
    `:${nat} - [0:0]`,
    `-A ${nat} -i ${link} -d ${METADATA_ADDRESS}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination ${ep}:${safe(endpoint.metadataPort)}`,
  ];
  for (const dns of [spec.dnsServer, LINK_LOCAL_DNS]) {
    for (const proto of ["udp", "tcp"]) {
      lines.push(
        `-A ${nat} -i ${link} -d ${safe(dns)}/32 -p ${proto} -m ${proto} --dport 53 -j DNAT --to-destination ${ep}:${safe(endpoint.dnsPort)}`,
      );
    }
  }
  if (spec.publicIp)
    lines.push(
      `-A ${nat} -i ${UPLINK} -d ${safe(spec.publicIp)}/32 -j DNAT --to-destination ${safe(spec.privateIp)}`,
    );
  lines.push(`-A PREROUTING -j ${nat}`, "COMMIT");
  lines.push(
    "*filter",
    `:${egressChain(spec.eniId)} - [0:0]`,
    `:${ingressChain(spec.eniId)} - [0:0]`,
    ...chainLines(spec),
    `-A BERTH-EGRESS -i ${link} -j ${egressChain(spec.eniId)}`,
    `-A BERTH-INGRESS -o ${link} -j ${ingressChain(spec.eniId)}`,
    "COMMIT",
  );
  return `${lines.join("\n")}\n`;
}

/** A task's filter chains replaced (its jumps and nat chain stay). */
export function updateRules(spec: TaskNetworkSpec): string {
  return [
    "*filter",
    `:${egressChain(spec.eniId)} - [0:0]`,
    `:${ingressChain(spec.eniId)} - [0:0]`,
    ...chainLines(spec),
    "COMMIT",
    "",
  ].join("\n");
}

/** Remove a task's chains and jumps. */
export function detachRules(eniId: string): string {
  const link = linkName(eniId);
  const nat = natChain(eniId);
  const eg = egressChain(eniId);
  const ing = ingressChain(eniId);
  return [
    "*nat",
    `-D PREROUTING -j ${nat}`,
    `-F ${nat}`,
    `-X ${nat}`,
    "COMMIT",
    "*filter",
    `-D BERTH-EGRESS -i ${link} -j ${eg}`,
    `-D BERTH-INGRESS -o ${link} -j ${ing}`,
    `-F ${eg}`,
    `-X ${eg}`,
    `-F ${ing}`,
    `-X ${ing}`,
    "COMMIT",
    "",
  ].join("\n");
}

/** The router's skeleton (see the header): chains, the FORWARD order and the uplink's NAT. */
export function routerRules(): string {
  return [
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ":FORWARD DROP [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":BERTH-EGRESS - [0:0]",
    ":BERTH-INGRESS - [0:0]",
    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    `-A FORWARD -o ${UPLINK} -m conntrack --ctstate DNAT -j ACCEPT`,
    "-A FORWARD -j BERTH-EGRESS",
    "-A FORWARD -j BERTH-INGRESS",
    "COMMIT",
    "*nat",
    ":PREROUTING ACCEPT [0:0]",
    ":INPUT ACCEPT [0:0]",
    ":OUTPUT ACCEPT [0:0]",
    ":POSTROUTING ACCEPT [0:0]",
    `-A POSTROUTING -o ${UPLINK} -m conntrack --ctstate DNAT -j MASQUERADE`,
    "COMMIT",
    "",
  ].join("\n");
}
