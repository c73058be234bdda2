/** CreateVpc, DescribeVpcs, DeleteVpc. */
import type {
  CreateVpcRequest,
  CreateVpcResult,
  DeleteVpcRequest,
  DescribeVpcsRequest,
  DescribeVpcsResult,
  Vpc,
} from "@aws-sdk/client-ec2";
import { overlaps, parseCidr } from "../../domain/ec2/cidr.js";
import { checkFilters, type FilterFields, matchesFilters } from "../../domain/ec2/filters.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { K } from "../../state/ec2/kinds.js";
import {
  listGroups,
  listInterfaces,
  listSubnets,
  listVpcs,
  regionKey,
  type VpcRecord,
} from "../../state/ec2/records.js";
import { createVpc } from "../../state/ec2/vpcs.js";
import type { Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import { checkId, dryRun, invalidValue, oneOf, pageOf, paginate, tagsFor, vpcOrThrow } from "./common.js";

/** Ranges a VPC may not use: this host, link-local (metadata, DNS, Berth's routers), multicast and beyond. */
const RESERVED = ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3"].map((c) => parseCidr(c)!);

/** VPCs per region, as AWS's default quota. */
export const VPC_LIMIT = 5;

export function renderVpc(v: VpcRecord, ownerId: string, state: "pending" | "available" = "available"): Vpc {
  return {
    OwnerId: ownerId,
    InstanceTenancy: v.instanceTenancy as Vpc["InstanceTenancy"],
    Ipv6CidrBlockAssociationSet: [],
    CidrBlockAssociationSet: [
      { AssociationId: v.cidrAssociationId, CidrBlock: v.cidr, CidrBlockState: { State: "associated" } },
    ],
    IsDefault: v.isDefault,
    BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
    VpcId: v.id,
    State: state,
    CidrBlock: v.cidr,
    DhcpOptionsId: v.dhcpOptionsId,
    ...(v.tags.length ? { Tags: v.tags } : {}),
  };
}

const VPC_FILTERS = (ownerId: string): FilterFields<VpcRecord> => ({
  cidr: (v) => [v.cidr],
  "cidr-block-association.cidr-block": (v) => [v.cidr],
  "cidr-block-association.association-id": (v) => [v.cidrAssociationId],
  "cidr-block-association.state": () => ["associated"],
  "dhcp-options-id": (v) => [v.dhcpOptionsId],
  "is-default": (v) => [String(v.isDefault)],
  "owner-id": () => [ownerId],
  state: () => ["available"],
  "vpc-id": (v) => [v.id],
});

export function vpcHandlers(store: Store) {
  const create: Handler<CreateVpcRequest, CreateVpcResult> = (input, ctx) => {
    if (input.Ipv4IpamPoolId || input.Ipv6IpamPoolId)
      throw invalidValue("Berth does not have IPAM pools; give the VPC a CidrBlock.");
    if (input.AmazonProvidedIpv6CidrBlock || input.Ipv6CidrBlock || input.Ipv6Pool)
      throw invalidValue("Berth does not support IPv6 CIDR blocks for VPCs.");
    if (input.CidrBlock === undefined)
      throw new AwsError(
        Errors.Ec2MissingParameter,
        "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.",
      );
    const cidr = parseCidr(input.CidrBlock);
    if (!cidr)
      throw invalidValue(
        `Value (${input.CidrBlock}) for parameter cidrBlock is invalid. This is not a valid CIDR block.`,
      );
    if (cidr.prefix < 16 || cidr.prefix > 28 || RESERVED.some((r) => overlaps(r, cidr)))
      throw new AwsError(Errors.InvalidVpcRange, `The CIDR '${input.CidrBlock}' is invalid.`);
    oneOf("instanceTenancy", input.InstanceTenancy, ["default", "dedicated"]);
    const tags = tagsFor(input.TagSpecifications, "vpc");
    dryRun(input);
    return store.write(async (tx) => {
      if ((await tx.count(K.vpc, `${ctx.region}/`)) >= VPC_LIMIT)
        throw new AwsError(Errors.VpcLimitExceeded, "The maximum number of VPCs has been reached.");
      const vpc = await createVpc(tx, ctx.region, {
        cidr: input.CidrBlock!,
        isDefault: false,
        ...(input.InstanceTenancy ? { instanceTenancy: input.InstanceTenancy } : {}),
        now: ctx.now,
        tags,
      });
      return { Vpc: renderVpc(vpc, ctx.accountId, "pending") };
    });
  };

  const describe: Handler<DescribeVpcsRequest, DescribeVpcsResult> = (input, ctx) => {
    const fields = VPC_FILTERS(ctx.accountId);
    checkFilters(input.Filters, fields, true);
    for (const id of input.VpcIds ?? []) checkId("vpc", id);
    const page = pageOf("DescribeVpcs", input);
    dryRun(input);
    return store.read(async (tx) => {
      let vpcs = (await listVpcs(tx, ctx.region)).map((r) => r.value);
      if (input.VpcIds?.length) {
        const missing = input.VpcIds.find((id) => !vpcs.some((v) => v.id === id));
        if (missing)
          throw new AwsError(Errors.InvalidVpcIdNotFound, `The vpc ID '${missing}' does not exist`);
        vpcs = vpcs.filter((v) => input.VpcIds!.includes(v.id));
      }
      vpcs = vpcs.filter((v) => matchesFilters(v, input.Filters, fields));
      const { items, NextToken } = paginate("DescribeVpcs", vpcs, page, (v) => v.id);
      return { Vpcs: items.map((v) => renderVpc(v, ctx.accountId)), ...(NextToken ? { NextToken } : {}) };
    });
  };

  const del: Handler<DeleteVpcRequest, Record<string, never>> = (input, ctx) => {
    dryRun(input);
    return store.write(async (tx) => {
      const vpc = await vpcOrThrow(tx, ctx.region, input.VpcId!);
      const id = vpc.value.id;
      const inUse =
        (await listSubnets(tx, ctx.region)).some((s) => s.value.vpcId === id) ||
        (await listInterfaces(tx, ctx.region)).some((n) => n.value.vpcId === id) ||
        (await listGroups(tx, ctx.region)).some(
          (g) => g.value.vpcId === id && g.value.id !== vpc.value.defaultGroupId,
        );
      if (inUse)
        throw new AwsError(
          Errors.DependencyViolation,
          `The vpc '${id}' has dependencies and cannot be deleted.`,
        );
      await tx.delete(K.securityGroup, regionKey(ctx.region, vpc.value.defaultGroupId));
      await tx.delete(K.vpc, regionKey(ctx.region, id));
      return {};
    });
  };

  return { CreateVpc: create, DescribeVpcs: describe, DeleteVpc: del };
}
