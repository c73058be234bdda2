/**
 * What an agent needs to set up an awsvpc task's network: the interface (from the task record), its
 * subnet and VPC (gateway, DNS), and its security groups' rules resolved against the interfaces of the
 * VPC — read from EC2 state at poll time, so a rule change or a new group member reaches the agents
 * with their next poll (the change feed wakes them).
 */
import {
  dnsServerOf,
  formatIp,
  gatewayOf,
  parseCidr,
  privateDnsDomain,
  privateDnsName,
} from "../domain/ec2/cidr.js";
import { interfacePolicy } from "../domain/ec2/policy.js";
import {
  listGroups,
  listInterfaces,
  listSubnets,
  listVpcs,
  type NetworkInterfaceRecord,
  type SecurityGroupRecord,
  type SubnetRecord,
  type VpcRecord,
} from "../state/ec2/records.js";
import type { TaskRecord } from "../state/ecs/tasks.js";
import type { ReadTx } from "../state/store.js";
import type { TaskNetworkSpec } from "./protocol.js";

export interface Ec2View {
  groups: Map<string, SecurityGroupRecord>;
  subnets: Map<string, SubnetRecord>;
  vpcs: Map<string, VpcRecord>;
  interfaces: NetworkInterfaceRecord[];
}

export async function readEc2View(tx: ReadTx, region: string): Promise<Ec2View> {
  return {
    groups: new Map((await listGroups(tx, region)).map((r) => [r.value.id, r.value])),
    subnets: new Map((await listSubnets(tx, region)).map((r) => [r.value.id, r.value])),
    vpcs: new Map((await listVpcs(tx, region)).map((r) => [r.value.id, r.value])),
    interfaces: (await listInterfaces(tx, region)).map((r) => r.value),
  };
}

/** The network spec of an awsvpc task; undefined when the task has none or its subnet is gone. */
export function networkSpec(rec: TaskRecord, region: string, view: Ec2View): TaskNetworkSpec | undefined {
  const net = rec.network;
  if (!net) return undefined;
  const subnet = view.subnets.get(net.subnetId);
  const vpc = view.vpcs.get(net.vpcId);
  if (!subnet || !vpc) return undefined;
  const subnetCidr = parseCidr(subnet.cidr)!;
  const vpcCidr = parseCidr(vpc.cidr)!;
  const members = view.interfaces
    .filter((n) => n.vpcId === net.vpcId)
    .map((n) => ({ ip: n.privateIp, groupIds: n.groupIds }));
  const groups = net.groupIds.flatMap((id) => (view.groups.has(id) ? [view.groups.get(id)!] : []));
  const policy = interfacePolicy(groups, members);
  return {
    eniId: net.eniId,
    attachmentId: net.attachmentId,
    macAddress: net.macAddress,
    privateIp: net.privateIp,
    subnetId: subnet.id,
    subnetCidr: subnet.cidr,
    gateway: formatIp(gatewayOf(subnetCidr)),
    vpcId: vpc.id,
    vpcCidr: vpc.cidr,
    dnsServer: formatIp(dnsServerOf(vpcCidr)),
    dnsSearch: privateDnsDomain(region),
    privateDnsName: privateDnsName(net.privateIp, region),
    ...(net.publicIp ? { publicIp: net.publicIp } : {}),
    ingress: policy.ingress,
    egress: policy.egress,
  };
}
