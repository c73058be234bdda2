/**
 * Network interfaces that ECS creates for awsvpc tasks: an address from the subnet (the lowest free
 * one), a MAC address, the task's security groups and, with assignPublicIp, a local "public" address
 * this host can reach (from 198.18.0.0/15, a range no real network uses). Released when the task
 * stops, which frees both addresses.
 */
import { randomInt } from "node:crypto";
import { formatIp, parseCidr, parseIp, usableRange } from "../../domain/ec2/cidr.js";
import { ec2Id, macAddress } from "../../domain/ec2/ids.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { ReadTx, WriteTx } from "../store.js";
import { K } from "./kinds.js";
import {
  getInterface,
  type NetworkInterfaceRecord,
  pad10,
  putInterface,
  regionKey,
  type SubnetRecord,
} from "./records.js";

/** The range local "public" addresses come from. */
export const PUBLIC_RANGE = { base: parseIp("198.18.0.0")!, size: 2 ** 17 };

async function freeAddress(tx: ReadTx, region: string, subnet: SubnetRecord): Promise<number> {
  const cidr = parseCidr(subnet.cidr)!;
  const { first, last } = usableRange(cidr);
  const used = new Set(
    (await tx.scan(K.address, { prefix: `${region}/${subnet.id}/` })).map((r) =>
      Number(r.key.slice(r.key.lastIndexOf("/") + 1)),
    ),
  );
  for (let ip = first; ip <= last; ip++) if (!used.has(ip)) return ip;
  throw new AwsError(
    Errors.InsufficientFreeAddressesInSubnet,
    `There are not enough free addresses in subnet '${subnet.id}' to satisfy the requested number of instances.`,
  );
}

async function freePublicAddress(tx: ReadTx, region: string): Promise<number> {
  // Random, not lowest-free: several Berths on one host then rarely pick the same address.
  for (let i = 0; i < 64; i++) {
    const ip = PUBLIC_RANGE.base + 1 + randomInt(PUBLIC_RANGE.size - 2);
    if ((ip & 255) === 0 || (ip & 255) === 255) continue;
    if (!(await tx.get(K.publicAddress, `${region}/${pad10(ip)}`))) return ip;
  }
  throw new AwsError(Errors.InsufficientFreeAddressesInSubnet, "No free public address is left.");
}

export interface NewTaskInterface {
  subnet: SubnetRecord;
  groupIds: string[];
  description: string;
  taskArn: string;
  publicIp: boolean;
  now: number;
}

export async function createTaskInterface(
  tx: WriteTx,
  region: string,
  n: NewTaskInterface,
): Promise<NetworkInterfaceRecord> {
  const id = ec2Id("eni");
  const ip = await freeAddress(tx, region, n.subnet);
  await tx.put(K.address, `${region}/${n.subnet.id}/${pad10(ip)}`, { eni: id }, { expectVersion: 0 });
  let publicIp: string | undefined;
  if (n.publicIp) {
    const p = await freePublicAddress(tx, region);
    await tx.put(K.publicAddress, `${region}/${pad10(p)}`, { eni: id }, { expectVersion: 0 });
    publicIp = formatIp(p);
  }
  const rec: NetworkInterfaceRecord = {
    id,
    subnetId: n.subnet.id,
    vpcId: n.subnet.vpcId,
    availabilityZone: n.subnet.availabilityZone,
    privateIp: formatIp(ip),
    macAddress: macAddress(),
    groupIds: n.groupIds,
    description: n.description,
    interfaceType: "interface",
    status: "in-use",
    requesterManaged: true,
    ...(publicIp ? { publicIp } : {}),
    attachment: { id: ec2Id("eni-attach"), status: "attaching", attachTime: n.now },
    taskArn: n.taskArn,
    createdAt: n.now,
    tags: [],
  };
  await putInterface(tx, region, rec, 0);
  return rec;
}

/** Delete an interface and free its addresses. Returns false when it was gone already. */
export async function deleteInterface(tx: WriteTx, region: string, id: string): Promise<boolean> {
  const rec = await getInterface(tx, region, id);
  if (!rec) return false;
  await tx.delete(K.address, `${region}/${rec.value.subnetId}/${pad10(parseIp(rec.value.privateIp)!)}`);
  if (rec.value.publicIp)
    await tx.delete(K.publicAddress, `${region}/${pad10(parseIp(rec.value.publicIp)!)}`);
  await tx.delete(K.networkInterface, regionKey(region, id));
  return true;
}
