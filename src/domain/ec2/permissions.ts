/**
 * Security group permissions: the request forms (IpPermissions, or the legacy top-level CidrIp /
 * IpProtocol / FromPort / ToPort / SourceSecurityGroupName) turned into single rules — one protocol,
 * one port range, one peer — as DescribeSecurityGroupRules shows them; and rules grouped back into
 * IpPermissions for DescribeSecurityGroups. Pure.
 */
import type { IpPermission, SecurityGroupRule } from "@aws-sdk/client-ec2";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { RuleRecord } from "../../state/ec2/records.js";
import { parseCidr } from "./cidr.js";

/** A rule without its id and tags: what Authorize adds and Revoke matches. */
export type RuleSpec = Omit<RuleRecord, "id" | "tags">;

const invalid = (m: string) => new AwsError(Errors.InvalidParameterValue, m);

const PROTOCOL_NAMES: Record<string, string> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };

/** "tcp", "TCP", "6" → "tcp"; "all"/"-1" → "-1"; other protocol numbers stay numbers. */
export function normalizeProtocol(p: string | undefined): string {
  const v = (p ?? "").trim().toLowerCase();
  if (v === "-1" || v === "all") return "-1";
  if (v === "tcp" || v === "udp" || v === "icmp" || v === "icmpv6") return v;
  if (/^\d{1,3}$/.test(v) && Number(v) <= 255) return PROTOCOL_NAMES[String(Number(v))] ?? String(Number(v));
  throw invalid(`Invalid value '${p ?? ""}' for IP protocol. Unknown protocol.`);
}

function ports(protocol: string, from: number | undefined, to: number | undefined): [number, number] {
  if (protocol === "tcp" || protocol === "udp") {
    if (from === undefined || to === undefined)
      throw invalid("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.");
    if (!Number.isInteger(from) || from < 0 || from > 65535)
      throw invalid(`Invalid value '${from}' for fromPort. Must be between 0 and 65535.`);
    if (!Number.isInteger(to) || to < 0 || to > 65535)
      throw invalid(`Invalid value '${to}' for toPort. Must be between 0 and 65535.`);
    if (from > to)
      throw invalid(`Invalid value '${from}-${to}' for portRange. fromPort is greater than toPort.`);
    return [from, to];
  }
  if (protocol === "icmp" || protocol === "icmpv6") {
    const type = from ?? -1;
    const code = to ?? -1;
    if (!Number.isInteger(type) || type < -1 || type > 255)
      throw invalid(`Invalid value '${type}' for ICMP type. Must be between -1 and 255.`);
    if (!Number.isInteger(code) || code < -1 || code > 255)
      throw invalid(`Invalid value '${code}' for ICMP code. Must be between -1 and 255.`);
    if (type === -1 && code !== -1) throw invalid("Invalid ICMP code: a code needs an ICMP type.");
    return [type, code];
  }
  // All traffic and other protocols have no ports.
  return [-1, -1];
}

/** Resolves a source group named by id or name to its id (and checks it is usable). */
export type GroupResolver = (ref: { groupId?: string; groupName?: string }) => string;

export interface LegacyRuleInput {
  IpProtocol?: string | undefined;
  FromPort?: number | undefined;
  ToPort?: number | undefined;
  CidrIp?: string | undefined;
  SourceSecurityGroupName?: string | undefined;
}

/** The single rules a request describes. */
export function rulesOf(
  egress: boolean,
  input: { IpPermissions?: IpPermission[] | undefined } & LegacyRuleInput,
  resolveGroup: GroupResolver,
): RuleSpec[] {
  const permissions: IpPermission[] = [...(input.IpPermissions ?? [])];
  const legacy =
    input.IpProtocol !== undefined || input.CidrIp !== undefined || input.SourceSecurityGroupName;
  if (legacy) {
    if (permissions.length > 0) {
      throw new AwsError(
        Errors.Ec2InvalidParameterCombination,
        "The parameter 'ipPermissions' may not be used in combination with 'ipProtocol', 'fromPort', 'toPort', 'cidrIp' or 'sourceSecurityGroupName'",
      );
    }
    permissions.push({
      IpProtocol: input.IpProtocol ?? (input.SourceSecurityGroupName ? "-1" : undefined),
      FromPort: input.FromPort,
      ToPort: input.ToPort,
      ...(input.CidrIp !== undefined ? { IpRanges: [{ CidrIp: input.CidrIp }] } : {}),
      ...(input.SourceSecurityGroupName
        ? { UserIdGroupPairs: [{ GroupName: input.SourceSecurityGroupName }] }
        : {}),
    });
  }
  const out: RuleSpec[] = [];
  for (const p of permissions) {
    const protocol = normalizeProtocol(p.IpProtocol);
    const [fromPort, toPort] = ports(protocol, p.FromPort, p.ToPort);
    const base = { egress, protocol, fromPort, toPort };
    const before = out.length;
    for (const r of p.IpRanges ?? []) {
      const c = r.CidrIp ?? "";
      if (!parseCidr(c)) throw invalid(`CIDR block ${c} is malformed`);
      out.push({
        ...base,
        cidrIpv4: c,
        ...(r.Description !== undefined ? { description: r.Description } : {}),
      });
    }
    for (const r of p.Ipv6Ranges ?? []) {
      const c = r.CidrIpv6 ?? "";
      if (!/^[0-9a-fA-F:]+\/\d{1,3}$/.test(c)) throw invalid(`CIDR block ${c} is malformed`);
      out.push({
        ...base,
        cidrIpv6: c.toLowerCase(),
        ...(r.Description !== undefined ? { description: r.Description } : {}),
      });
    }
    for (const g of p.UserIdGroupPairs ?? []) {
      if (!g.GroupId && !g.GroupName)
        throw new AwsError(
          Errors.InvalidPermissionMalformed,
          "Either GroupId or GroupName must be specified for a security group peer.",
        );
      const groupId = resolveGroup({
        ...(g.GroupId ? { groupId: g.GroupId } : {}),
        ...(g.GroupName ? { groupName: g.GroupName } : {}),
      });
      out.push({ ...base, groupId, ...(g.Description !== undefined ? { description: g.Description } : {}) });
    }
    for (const l of p.PrefixListIds ?? []) {
      throw new AwsError(
        Errors.InvalidPrefixListIdNotFound,
        `The prefix list '${l.PrefixListId ?? ""}' does not exist.`,
      );
    }
    if (out.length === before)
      throw new AwsError(
        Errors.Ec2MissingParameter,
        "Either 'cidrIp', 'ipv6CidrIp', 'sourceSecurityGroupName' or 'ipPermissions' with a peer must be specified.",
      );
  }
  if (out.length === 0)
    throw new AwsError(Errors.Ec2MissingParameter, "The request must contain the parameter ipPermissions");
  return out;
}

/** Do two rules describe the same permission (descriptions aside)? */
export const sameRule = (a: RuleSpec, b: RuleSpec): boolean =>
  a.egress === b.egress &&
  a.protocol === b.protocol &&
  a.fromPort === b.fromPort &&
  a.toPort === b.toPort &&
  a.cidrIpv4 === b.cidrIpv4 &&
  a.cidrIpv6 === b.cidrIpv6 &&
  a.groupId === b.groupId;

/** AWS's wording of a rule in InvalidPermission.Duplicate: `peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW`. */
export function peerText(r: RuleSpec): string {
  const peer = r.cidrIpv4 ?? r.cidrIpv6 ?? r.groupId ?? "";
  const what =
    r.protocol === "-1"
      ? "ALL"
      : r.protocol === "tcp" || r.protocol === "udp"
        ? `${r.protocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}`
        : r.protocol === "icmp" || r.protocol === "icmpv6"
          ? `${r.protocol.toUpperCase()}, type: ${r.fromPort}, code: ${r.toPort}`
          : `protocol: ${r.protocol}`;
  return `peer: ${peer}, ${what}, ALLOW`;
}

const hasPorts = (protocol: string) => protocol !== "-1" && /^(tcp|udp|icmp|icmpv6)$/.test(protocol);

/** Rules grouped into IpPermissions (one per protocol and port range), as DescribeSecurityGroups shows them. */
export function toIpPermissions(rules: readonly RuleRecord[], ownerId: string): IpPermission[] {
  const byKey = new Map<string, IpPermission>();
  for (const r of rules) {
    const key = `${r.protocol}|${r.fromPort}|${r.toPort}`;
    let p = byKey.get(key);
    if (!p) {
      p = {
        IpProtocol: r.protocol,
        ...(hasPorts(r.protocol) ? { FromPort: r.fromPort, ToPort: r.toPort } : {}),
        UserIdGroupPairs: [],
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
      };
      byKey.set(key, p);
    }
    const d = r.description !== undefined ? { Description: r.description } : {};
    if (r.cidrIpv4) p.IpRanges!.push({ CidrIp: r.cidrIpv4, ...d });
    if (r.cidrIpv6) p.Ipv6Ranges!.push({ CidrIpv6: r.cidrIpv6, ...d });
    if (r.groupId) p.UserIdGroupPairs!.push({ GroupId: r.groupId, UserId: ownerId, ...d });
  }
  return [...byKey.values()];
}

/** One rule in DescribeSecurityGroupRules' shape. */
export function toSecurityGroupRule(
  r: RuleRecord,
  group: { id: string; vpcId: string },
  ownerId: string,
  arn: string,
): SecurityGroupRule {
  return {
    SecurityGroupRuleId: r.id,
    GroupId: group.id,
    GroupOwnerId: ownerId,
    IsEgress: r.egress,
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...(r.cidrIpv4 ? { CidrIpv4: r.cidrIpv4 } : {}),
    ...(r.cidrIpv6 ? { CidrIpv6: r.cidrIpv6 } : {}),
    ...(r.groupId ? { ReferencedGroupInfo: { GroupId: r.groupId, UserId: ownerId } } : {}),
    ...(r.description !== undefined ? { Description: r.description } : {}),
    Tags: r.tags,
    SecurityGroupRuleArn: arn,
  };
}
