/**
 * Creating VPCs (each with its default security group) and the default VPC every region of a new
 * account has: 172.31.0.0/16 with a default /20 subnet in each Availability Zone.
 */
import { ec2Id } from "../../domain/ec2/ids.js";
import { zonesOf } from "../../domain/ec2/zones.js";
import type { Store, WriteTx } from "../store.js";
import { K } from "./kinds.js";
import {
  type Ec2Tag,
  putGroup,
  putSubnet,
  putVpc,
  type RuleRecord,
  type SecurityGroupRecord,
  type SubnetRecord,
  type VpcRecord,
} from "./records.js";

export const DEFAULT_VPC_CIDR = "172.31.0.0/16";

/** A new group's rules: AWS gives every group "all outbound"; a default group also "all from itself". */
export function initialRules(groupId: string, isDefaultGroup: boolean): RuleRecord[] {
  const rules: RuleRecord[] = [];
  if (isDefaultGroup)
    rules.push({
      id: ec2Id("sgr"),
      egress: false,
      protocol: "-1",
      fromPort: -1,
      toPort: -1,
      groupId,
      tags: [],
    });
  rules.push({
    id: ec2Id("sgr"),
    egress: true,
    protocol: "-1",
    fromPort: -1,
    toPort: -1,
    cidrIpv4: "0.0.0.0/0",
    tags: [],
  });
  return rules;
}

export async function createVpc(
  tx: WriteTx,
  region: string,
  opts: { cidr: string; isDefault: boolean; instanceTenancy?: string; now: number; tags: Ec2Tag[] },
): Promise<VpcRecord> {
  const id = ec2Id("vpc");
  const groupId = ec2Id("sg");
  const vpc: VpcRecord = {
    id,
    cidr: opts.cidr,
    cidrAssociationId: ec2Id("vpc-cidr-assoc"),
    isDefault: opts.isDefault,
    dhcpOptionsId: ec2Id("dopt"),
    instanceTenancy: opts.instanceTenancy ?? "default",
    defaultGroupId: groupId,
    createdAt: opts.now,
    tags: opts.tags,
  };
  const group: SecurityGroupRecord = {
    id: groupId,
    name: "default",
    description: "default VPC security group",
    vpcId: id,
    rules: initialRules(groupId, true),
    createdAt: opts.now,
    tags: [],
  };
  await putVpc(tx, region, vpc, 0);
  await putGroup(tx, region, group, 0);
  return vpc;
}

async function createDefaults(tx: WriteTx, region: string, now: number): Promise<void> {
  const vpc = await createVpc(tx, region, { cidr: DEFAULT_VPC_CIDR, isDefault: true, now, tags: [] });
  for (const [i, zone] of zonesOf(region).entries()) {
    const subnet: SubnetRecord = {
      id: ec2Id("subnet"),
      vpcId: vpc.id,
      cidr: `172.31.${i * 16}.0/20`,
      availabilityZone: zone.name,
      availabilityZoneId: zone.id,
      defaultForAz: true,
      mapPublicIpOnLaunch: true,
      createdAt: now,
      tags: [],
    };
    await putSubnet(tx, region, subnet, 0);
  }
}

/**
 * Make the region's default VPC the first time the region's EC2 state is used. Once made (even if
 * the user deletes it later, as on AWS) it is not made again.
 */
export async function ensureDefaultNetwork(store: Store, region: string, now: number): Promise<void> {
  const done = await store.read((tx) => tx.get(K.account, region));
  if (done) return;
  await store.write(async (tx) => {
    if (await tx.get(K.account, region)) return;
    await createDefaults(tx, region, now);
    await tx.put(K.account, region, { defaultVpcCreatedAt: now }, { expectVersion: 0 });
  });
}
