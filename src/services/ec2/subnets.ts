/** CreateSubnet, DescribeSubnets, DeleteSubnet. */
import type {
  CreateSubnetRequest,
  CreateSubnetResult,
  DeleteSubnetRequest,
  DescribeSubnetsRequest,
  DescribeSubnetsResult,
  Subnet,
} from "@aws-sdk/client-ec2";
import { containsCidr, overlaps, parseCidr, usableCount } from "../../domain/ec2/cidr.js";
import { checkFilters, type FilterFields, matchesFilters } from "../../domain/ec2/filters.js";
import { ec2Id } from "../../domain/ec2/ids.js";
import { zoneById, zoneByName, zonesOf } from "../../domain/ec2/zones.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { K } from "../../state/ec2/kinds.js";
import {
  addressesInUse,
  listInterfaces,
  listSubnets,
  putSubnet,
  regionKey,
  type SubnetRecord,
} from "../../state/ec2/records.js";
import type { Store } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import {
  checkId,
  dryRun,
  ec2Arn,
  invalidValue,
  pageOf,
  paginate,
  subnetOrThrow,
  tagsFor,
  vpcOrThrow,
} from "./common.js";

export function renderSubnet(
  s: SubnetRecord,
  ctx: Pick<RequestContext, "region" | "accountId">,
  inUse: number,
): Subnet {
  return {
    AvailabilityZoneId: s.availabilityZoneId,
    MapCustomerOwnedIpOnLaunch: false,
    OwnerId: ctx.accountId,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    ...(s.tags.length ? { Tags: s.tags } : {}),
    SubnetArn: ec2Arn(ctx, "subnet", s.id),
    EnableDns64: false,
    Ipv6Native: false,
    PrivateDnsNameOptionsOnLaunch: {
      HostnameType: "ip-name",
      EnableResourceNameDnsARecord: false,
      EnableResourceNameDnsAAAARecord: false,
    },
    BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
    SubnetId: s.id,
    State: "available",
    VpcId: s.vpcId,
    CidrBlock: s.cidr,
    AvailableIpAddressCount: usableCount(parseCidr(s.cidr)!) - inUse,
    AvailabilityZone: s.availabilityZone,
    DefaultForAz: s.defaultForAz,
    MapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
  };
}

export function subnetHandlers(store: Store) {
  const create: Handler<CreateSubnetRequest, CreateSubnetResult> = (input, ctx) => {
    if (input.Ipv4IpamPoolId || input.Ipv6IpamPoolId)
      throw invalidValue("Berth does not have IPAM pools; give the subnet a CidrBlock.");
    if (input.Ipv6CidrBlock || input.Ipv6Native) throw invalidValue("Berth does not support IPv6 subnets.");
    if (input.OutpostArn) throw invalidValue("Berth has no Outposts.");
    if (input.CidrBlock === undefined)
      throw new AwsError(Errors.Ec2MissingParameter, "The request must contain the parameter cidrBlock");
    const cidr = parseCidr(input.CidrBlock);
    if (!cidr)
      throw invalidValue(
        `Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
      );
    if (input.AvailabilityZone && input.AvailabilityZoneId)
      throw new AwsError(
        Errors.Ec2InvalidParameterCombination,
        "Only one of availabilityZone or availabilityZoneId may be specified.",
      );
    const zones = zonesOf(ctx.region);
    const zone = input.AvailabilityZone
      ? zoneByName(ctx.region, input.AvailabilityZone)
      : input.AvailabilityZoneId
        ? zoneById(ctx.region, input.AvailabilityZoneId)
        : undefined;
    if ((input.AvailabilityZone || input.AvailabilityZoneId) && !zone)
      throw invalidValue(
        `Value (${input.AvailabilityZone ?? input.AvailabilityZoneId}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.map((z) => z.name).join(", ")}.`,
      );
    const tags = tagsFor(input.TagSpecifications, "subnet");
    checkId("vpc", input.VpcId!);
    dryRun(input);
    return store.write(async (tx) => {
      const vpc = await vpcOrThrow(tx, ctx.region, input.VpcId!);
      if (cidr.prefix < 16 || cidr.prefix > 28 || !containsCidr(parseCidr(vpc.value.cidr)!, cidr))
        throw new AwsError(Errors.InvalidSubnetRange, `The CIDR '${input.CidrBlock}' is invalid.`);
      const siblings = (await listSubnets(tx, ctx.region)).filter((s) => s.value.vpcId === vpc.value.id);
      if (siblings.some((s) => overlaps(parseCidr(s.value.cidr)!, cidr)))
        throw new AwsError(
          Errors.InvalidSubnetConflict,
          `The CIDR '${input.CidrBlock}' conflicts with another subnet`,
        );
      // Without a zone, AWS picks one: the zone with the fewest subnets of this VPC.
      const chosen =
        zone ??
        [...zones].sort(
          (a, b) =>
            siblings.filter((s) => s.value.availabilityZone === a.name).length -
            siblings.filter((s) => s.value.availabilityZone === b.name).length,
        )[0]!;
      const subnet: SubnetRecord = {
        id: ec2Id("subnet"),
        vpcId: vpc.value.id,
        cidr: input.CidrBlock!,
        availabilityZone: chosen.name,
        availabilityZoneId: chosen.id,
        defaultForAz: false,
        mapPublicIpOnLaunch: false,
        createdAt: ctx.now,
        tags,
      };
      await putSubnet(tx, ctx.region, subnet, 0);
      return { Subnet: renderSubnet(subnet, ctx, 0) };
    });
  };

  const describe: Handler<DescribeSubnetsRequest, DescribeSubnetsResult> = (input, ctx) => {
    const fields: FilterFields<SubnetRecord & { free: number }> = {
      "availability-zone": (s) => [s.availabilityZone],
      "availability-zone-id": (s) => [s.availabilityZoneId],
      "available-ip-address-count": (s) => [String(s.free)],
      "cidr-block": (s) => [s.cidr],
      cidr: (s) => [s.cidr],
      cidrBlock: (s) => [s.cidr],
      "default-for-az": (s) => [String(s.defaultForAz)],
      defaultForAz: (s) => [String(s.defaultForAz)],
      "map-public-ip-on-launch": (s) => [String(s.mapPublicIpOnLaunch)],
      "owner-id": () => [ctx.accountId],
      state: () => ["available"],
      "subnet-arn": (s) => [ec2Arn(ctx, "subnet", s.id)],
      "subnet-id": (s) => [s.id],
      "vpc-id": (s) => [s.vpcId],
    };
    checkFilters(input.Filters, fields, true);
    for (const id of input.SubnetIds ?? []) checkId("subnet", id);
    const page = pageOf("DescribeSubnets", input);
    dryRun(input);
    return store.read(async (tx) => {
      let subnets = (await listSubnets(tx, ctx.region)).map((r) => r.value);
      if (input.SubnetIds?.length) {
        const missing = input.SubnetIds.find((id) => !subnets.some((s) => s.id === id));
        if (missing)
          throw new AwsError(Errors.InvalidSubnetIdNotFound, `The subnet ID '${missing}' does not exist`);
        subnets = subnets.filter((s) => input.SubnetIds!.includes(s.id));
      }
      const withFree = [];
      for (const s of subnets) {
        const used = await addressesInUse(tx, ctx.region, s.id);
        withFree.push({ ...s, free: usableCount(parseCidr(s.cidr)!) - used, used });
      }
      const matching = withFree.filter((s) => matchesFilters(s, input.Filters, fields));
      const { items, NextToken } = paginate("DescribeSubnets", matching, page, (s) => s.id);
      return {
        Subnets: items.map(({ used, free: _free, ...s }) => renderSubnet(s, ctx, used)),
        ...(NextToken ? { NextToken } : {}),
      };
    });
  };

  const del: Handler<DeleteSubnetRequest, Record<string, never>> = (input, ctx) => {
    dryRun(input);
    return store.write(async (tx) => {
      const s = await subnetOrThrow(tx, ctx.region, input.SubnetId!);
      if ((await listInterfaces(tx, ctx.region)).some((n) => n.value.subnetId === s.value.id))
        throw new AwsError(
          Errors.DependencyViolation,
          `The subnet '${s.value.id}' has dependencies and cannot be deleted.`,
        );
      await tx.delete(K.subnet, regionKey(ctx.region, s.value.id));
      return {};
    });
  };

  return { CreateSubnet: create, DescribeSubnets: describe, DeleteSubnet: del };
}
