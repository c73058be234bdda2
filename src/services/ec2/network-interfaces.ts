/**
 * DescribeNetworkInterfaces: the interfaces ECS made for awsvpc tasks (Berth creates no others).
 * Their life is the task's: made at launch, deleted once the task has stopped.
 */
import type {
  DescribeNetworkInterfacesRequest,
  DescribeNetworkInterfacesResult,
  NetworkInterface,
} from "@aws-sdk/client-ec2";
import { privateDnsName } from "../../domain/ec2/cidr.js";
import { checkFilters, type FilterFields, matchesFilters } from "../../domain/ec2/filters.js";
import { zoneByName } from "../../domain/ec2/zones.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { listGroups, listInterfaces, type NetworkInterfaceRecord } from "../../state/ec2/records.js";
import type { Store } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { checkId, dryRun, pageOf, paginate } from "./common.js";

/** `ec2-198-18-0-5.compute-1.amazonaws.com` (us-east-1) or `ec2-….<region>.compute.amazonaws.com`. */
export const publicDnsName = (ip: string, region: string) =>
  `ec2-${ip.replace(/\./g, "-")}.${region === "us-east-1" ? "compute-1" : `${region}.compute`}.amazonaws.com`;

export function renderInterface(
  n: NetworkInterfaceRecord,
  groupNames: ReadonlyMap<string, string>,
  ctx: Pick<RequestContext, "region" | "accountId">,
): NetworkInterface {
  const dns = privateDnsName(n.privateIp, ctx.region);
  const association = n.publicIp
    ? { IpOwnerId: "amazon", PublicDnsName: publicDnsName(n.publicIp, ctx.region), PublicIp: n.publicIp }
    : undefined;
  return {
    ...(association ? { Association: association } : {}),
    ...(n.attachment
      ? {
          Attachment: {
            AttachTime: new Date(n.attachment.attachTime),
            AttachmentId: n.attachment.id,
            DeleteOnTermination: false,
            DeviceIndex: 1,
            NetworkCardIndex: 0,
            InstanceOwnerId: "amazon-aws",
            Status: n.attachment.status,
          },
        }
      : {}),
    AvailabilityZone: n.availabilityZone,
    ...(zoneByName(ctx.region, n.availabilityZone)
      ? { AvailabilityZoneId: zoneByName(ctx.region, n.availabilityZone)!.id }
      : {}),
    Description: n.description,
    Groups: n.groupIds.map((id) => ({ GroupId: id, GroupName: groupNames.get(id) ?? "" })),
    InterfaceType: n.interfaceType,
    Ipv6Addresses: [],
    MacAddress: n.macAddress,
    NetworkInterfaceId: n.id,
    OwnerId: ctx.accountId,
    PrivateDnsName: dns,
    PrivateIpAddress: n.privateIp,
    PrivateIpAddresses: [
      {
        ...(association ? { Association: association } : {}),
        Primary: true,
        PrivateDnsName: dns,
        PrivateIpAddress: n.privateIp,
      },
    ],
    RequesterManaged: n.requesterManaged,
    SourceDestCheck: true,
    Status: n.status,
    SubnetId: n.subnetId,
    TagSet: n.tags,
    VpcId: n.vpcId,
  };
}

export function networkInterfaceHandlers(store: Store) {
  const describe: Handler<DescribeNetworkInterfacesRequest, DescribeNetworkInterfacesResult> = (
    input,
    ctx,
  ) => {
    let names = new Map<string, string>();
    const fields: FilterFields<NetworkInterfaceRecord> = {
      "network-interface-id": (n) => [n.id],
      "subnet-id": (n) => [n.subnetId],
      "vpc-id": (n) => [n.vpcId],
      "availability-zone": (n) => [n.availabilityZone],
      description: (n) => [n.description],
      "group-id": (n) => n.groupIds,
      "group-name": (n) => n.groupIds.map((g) => names.get(g)),
      "mac-address": (n) => [n.macAddress],
      "private-ip-address": (n) => [n.privateIp],
      "addresses.private-ip-address": (n) => [n.privateIp],
      "addresses.primary": () => ["true"],
      "private-dns-name": (n) => [privateDnsName(n.privateIp, ctx.region)],
      status: (n) => [n.status],
      "interface-type": (n) => [n.interfaceType],
      "requester-managed": (n) => [String(n.requesterManaged)],
      "source-dest-check": () => ["true"],
      "attachment.status": (n) => [n.attachment?.status],
      "attachment.attachment-id": (n) => [n.attachment?.id],
      "association.public-ip": (n) => [n.publicIp],
      "owner-id": () => [ctx.accountId],
    };
    checkFilters(input.Filters, fields, true);
    for (const id of input.NetworkInterfaceIds ?? []) checkId("eni", id);
    const page = pageOf("DescribeNetworkInterfaces", input);
    dryRun(input);
    return store.read(async (tx) => {
      names = new Map((await listGroups(tx, ctx.region)).map((g) => [g.value.id, g.value.name]));
      let all = (await listInterfaces(tx, ctx.region)).map((r) => r.value);
      if (input.NetworkInterfaceIds?.length) {
        const missing = input.NetworkInterfaceIds.find((id) => !all.some((n) => n.id === id));
        if (missing)
          throw new AwsError(
            Errors.InvalidNetworkInterfaceIdNotFound,
            `The networkInterface ID '${missing}' does not exist`,
          );
        all = all.filter((n) => input.NetworkInterfaceIds!.includes(n.id));
      }
      all = all.filter((n) => matchesFilters(n, input.Filters, fields));
      const { items, NextToken } = paginate("DescribeNetworkInterfaces", all, page, (n) => n.id);
      return {
        NetworkInterfaces: items.map((n) => renderInterface(n, names, ctx)),
        ...(NextToken ? { NextToken } : {}),
      };
    });
  };
  return { DescribeNetworkInterfaces: describe };
}
