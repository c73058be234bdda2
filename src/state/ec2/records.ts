/** EC2 networking records and their accessors (one kind per resource, keys in kinds.ts). */
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K } from "./kinds.js";

export interface Ec2Tag {
  Key: string;
  Value: string;
}

export interface VpcRecord {
  id: string;
  cidr: string;
  cidrAssociationId: string;
  isDefault: boolean;
  dhcpOptionsId: string;
  instanceTenancy: string;
  /** The VPC's default security group. */
  defaultGroupId: string;
  createdAt: number;
  tags: Ec2Tag[];
}

export interface SubnetRecord {
  id: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
  availabilityZoneId: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
  createdAt: number;
  tags: Ec2Tag[];
}

/** One security group rule: a protocol and port range, and exactly one peer. */
export interface RuleRecord {
  id: string;
  egress: boolean;
  /** "-1" (all), "tcp", "udp", "icmp", "icmpv6", or a protocol number. */
  protocol: string;
  /** -1 when the protocol has no ports; ICMP: type and code. */
  fromPort: number;
  toPort: number;
  cidrIpv4?: string;
  cidrIpv6?: string;
  /** A referenced security group (same account, same VPC). */
  groupId?: string;
  description?: string;
  tags: Ec2Tag[];
}

export interface SecurityGroupRecord {
  id: string;
  name: string;
  description: string;
  vpcId: string;
  rules: RuleRecord[];
  createdAt: number;
  tags: Ec2Tag[];
}

export interface NetworkInterfaceRecord {
  id: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  privateIp: string;
  macAddress: string;
  groupIds: string[];
  description: string;
  interfaceType: "interface";
  status: "available" | "in-use";
  requesterManaged: boolean;
  /** The local "public" address, when the interface has one (assignPublicIp ENABLED). */
  publicIp?: string;
  attachment?: { id: string; status: "attaching" | "attached" | "detaching"; attachTime: number };
  /** The ECS task using the interface. */
  taskArn?: string;
  createdAt: number;
  tags: Ec2Tag[];
}

export const regionKey = (region: string, id: string) => `${region}/${id}`;
export const pad10 = (n: number) => String(n).padStart(10, "0");

export const getVpc = (tx: ReadTx, region: string, id: string) =>
  tx.get<VpcRecord>(K.vpc, regionKey(region, id));
export const getSubnet = (tx: ReadTx, region: string, id: string) =>
  tx.get<SubnetRecord>(K.subnet, regionKey(region, id));
export const getGroup = (tx: ReadTx, region: string, id: string) =>
  tx.get<SecurityGroupRecord>(K.securityGroup, regionKey(region, id));
export const getInterface = (tx: ReadTx, region: string, id: string) =>
  tx.get<NetworkInterfaceRecord>(K.networkInterface, regionKey(region, id));

export const listVpcs = (tx: ReadTx, region: string) => tx.scan<VpcRecord>(K.vpc, { prefix: `${region}/` });
export const listSubnets = (tx: ReadTx, region: string) =>
  tx.scan<SubnetRecord>(K.subnet, { prefix: `${region}/` });
export const listGroups = (tx: ReadTx, region: string) =>
  tx.scan<SecurityGroupRecord>(K.securityGroup, { prefix: `${region}/` });
export const listInterfaces = (tx: ReadTx, region: string) =>
  tx.scan<NetworkInterfaceRecord>(K.networkInterface, { prefix: `${region}/` });

export const putVpc = (tx: WriteTx, region: string, v: VpcRecord, expectVersion?: number) =>
  tx.put(K.vpc, regionKey(region, v.id), v, expectVersion === undefined ? {} : { expectVersion });
export const putSubnet = (tx: WriteTx, region: string, v: SubnetRecord, expectVersion?: number) =>
  tx.put(K.subnet, regionKey(region, v.id), v, expectVersion === undefined ? {} : { expectVersion });
export const putGroup = (tx: WriteTx, region: string, v: SecurityGroupRecord, expectVersion?: number) =>
  tx.put(K.securityGroup, regionKey(region, v.id), v, expectVersion === undefined ? {} : { expectVersion });
export const putInterface = (
  tx: WriteTx,
  region: string,
  v: NetworkInterfaceRecord,
  expectVersion?: number,
) =>
  tx.put(
    K.networkInterface,
    regionKey(region, v.id),
    v,
    expectVersion === undefined ? {} : { expectVersion },
  );

/** How many addresses of a subnet are in use. */
export const addressesInUse = (tx: ReadTx, region: string, subnetId: string) =>
  tx.count(K.address, `${region}/${subnetId}/`);

export type Stored<T> = StoredRecord<T>;
