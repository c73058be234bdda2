/** CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup. */
import type {
  CreateSecurityGroupRequest,
  CreateSecurityGroupResult,
  DeleteSecurityGroupRequest,
  DeleteSecurityGroupResult,
  DescribeSecurityGroupsRequest,
  DescribeSecurityGroupsResult,
  SecurityGroup,
} from "@aws-sdk/client-ec2";
import { checkFilters, type FilterFields, matchesFilters } from "../../domain/ec2/filters.js";
import { ec2Id } from "../../domain/ec2/ids.js";
import { toIpPermissions } from "../../domain/ec2/permissions.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { K } from "../../state/ec2/kinds.js";
import {
  listGroups,
  listInterfaces,
  listVpcs,
  putGroup,
  regionKey,
  type SecurityGroupRecord,
  type Stored,
  type VpcRecord,
} from "../../state/ec2/records.js";
import { initialRules } from "../../state/ec2/vpcs.js";
import type { ReadTx, Store } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import {
  checkId,
  dryRun,
  ec2Arn,
  groupOrThrow,
  invalidValue,
  pageOf,
  paginate,
  tagsFor,
  vpcOrThrow,
} from "./common.js";

/** Security groups per VPC, as AWS's default quota. */
export const GROUP_LIMIT = 2500;

export function renderGroup(
  g: SecurityGroupRecord,
  ctx: Pick<RequestContext, "region" | "accountId">,
): SecurityGroup {
  return {
    GroupId: g.id,
    IpPermissionsEgress: toIpPermissions(
      g.rules.filter((r) => r.egress),
      ctx.accountId,
    ),
    ...(g.tags.length ? { Tags: g.tags } : {}),
    VpcId: g.vpcId,
    SecurityGroupArn: ec2Arn(ctx, "security-group", g.id),
    OwnerId: ctx.accountId,
    GroupName: g.name,
    Description: g.description,
    IpPermissions: toIpPermissions(
      g.rules.filter((r) => !r.egress),
      ctx.accountId,
    ),
  };
}

export async function defaultVpc(tx: ReadTx, region: string): Promise<VpcRecord> {
  const vpc = (await listVpcs(tx, region)).find((v) => v.value.isDefault)?.value;
  if (!vpc) throw new AwsError(Errors.VpcIdNotSpecified, "No default VPC for this user");
  return vpc;
}

/** A group named by id, or by name in the default VPC (as EC2 resolves GroupName). */
export async function groupByRef(
  tx: ReadTx,
  region: string,
  ref: { GroupId?: string | undefined; GroupName?: string | undefined },
): Promise<Stored<SecurityGroupRecord>> {
  if (ref.GroupId) return groupOrThrow(tx, region, ref.GroupId);
  if (!ref.GroupName)
    throw new AwsError(
      Errors.Ec2MissingParameter,
      "The request must contain the parameter groupName or groupId",
    );
  const vpc = await defaultVpc(tx, region);
  const g = (await listGroups(tx, region)).find(
    (x) => x.value.vpcId === vpc.id && x.value.name === ref.GroupName,
  );
  if (!g)
    throw new AwsError(
      Errors.InvalidGroupNotFound,
      `The security group '${ref.GroupName}' does not exist in default VPC '${vpc.id}'`,
    );
  return g;
}

const ASCII = /^[\x20-\x7e]*$/;

function checkName(name: string, what: "GroupName" | "GroupDescription"): void {
  if (name.length === 0 || name.length > 255)
    throw invalidValue(`Value (${name}) for parameter ${what} is invalid. Length must be between 1 and 255.`);
  if (!ASCII.test(name))
    throw invalidValue(
      `Value (${name}) for parameter ${what} is invalid. Character sets beyond ASCII are not supported.`,
    );
}

export function securityGroupHandlers(store: Store) {
  const create: Handler<CreateSecurityGroupRequest, CreateSecurityGroupResult> = (input, ctx) => {
    checkName(input.GroupName!, "GroupName");
    checkName(input.Description!, "GroupDescription");
    if (input.GroupName!.toLowerCase().startsWith("sg-"))
      throw invalidValue("Group names may not be in the format sg-*.");
    const tags = tagsFor(input.TagSpecifications, "security-group");
    if (input.VpcId !== undefined) checkId("vpc", input.VpcId);
    dryRun(input);
    return store.write(async (tx) => {
      const vpc = input.VpcId
        ? (await vpcOrThrow(tx, ctx.region, input.VpcId)).value
        : await defaultVpc(tx, ctx.region);
      const siblings = (await listGroups(tx, ctx.region)).filter((g) => g.value.vpcId === vpc.id);
      if (siblings.some((g) => g.value.name === input.GroupName))
        throw new AwsError(
          Errors.InvalidGroupDuplicate,
          `The security group '${input.GroupName}' already exists for VPC '${vpc.id}'`,
        );
      if (siblings.length >= GROUP_LIMIT)
        throw new AwsError(
          Errors.SecurityGroupLimitExceeded,
          "The maximum number of security groups has been reached.",
        );
      const id = ec2Id("sg");
      const group: SecurityGroupRecord = {
        id,
        name: input.GroupName!,
        description: input.Description!,
        vpcId: vpc.id,
        rules: initialRules(id, false),
        createdAt: ctx.now,
        tags,
      };
      await putGroup(tx, ctx.region, group, 0);
      return {
        GroupId: id,
        ...(tags.length ? { Tags: tags } : {}),
        SecurityGroupArn: ec2Arn(ctx, "security-group", id),
      };
    });
  };

  const describe: Handler<DescribeSecurityGroupsRequest, DescribeSecurityGroupsResult> = (input, ctx) => {
    const perm =
      (egress: boolean, pick: (r: SecurityGroupRecord["rules"][number]) => string | undefined) =>
      (g: SecurityGroupRecord) =>
        g.rules.filter((r) => r.egress === egress).map(pick);
    const fields: FilterFields<SecurityGroupRecord> = {
      description: (g) => [g.description],
      "group-id": (g) => [g.id],
      "group-name": (g) => [g.name],
      "owner-id": () => [ctx.accountId],
      "vpc-id": (g) => [g.vpcId],
      "ip-permission.cidr": perm(false, (r) => r.cidrIpv4),
      "ip-permission.ipv6-cidr": perm(false, (r) => r.cidrIpv6),
      "ip-permission.from-port": perm(false, (r) => String(r.fromPort)),
      "ip-permission.to-port": perm(false, (r) => String(r.toPort)),
      "ip-permission.protocol": perm(false, (r) => r.protocol),
      "ip-permission.group-id": perm(false, (r) => r.groupId),
      "ip-permission.user-id": perm(false, (r) => (r.groupId ? ctx.accountId : undefined)),
      "egress.ip-permission.cidr": perm(true, (r) => r.cidrIpv4),
      "egress.ip-permission.ipv6-cidr": perm(true, (r) => r.cidrIpv6),
      "egress.ip-permission.from-port": perm(true, (r) => String(r.fromPort)),
      "egress.ip-permission.to-port": perm(true, (r) => String(r.toPort)),
      "egress.ip-permission.protocol": perm(true, (r) => r.protocol),
      "egress.ip-permission.group-id": perm(true, (r) => r.groupId),
      "egress.ip-permission.user-id": perm(true, (r) => (r.groupId ? ctx.accountId : undefined)),
    };
    checkFilters(input.Filters, fields, true);
    for (const id of input.GroupIds ?? []) checkId("sg", id);
    const page = pageOf("DescribeSecurityGroups", input);
    dryRun(input);
    return store.read(async (tx) => {
      let groups = (await listGroups(tx, ctx.region)).map((r) => r.value);
      if (input.GroupIds?.length) {
        const missing = input.GroupIds.find((id) => !groups.some((g) => g.id === id));
        if (missing)
          throw new AwsError(Errors.InvalidGroupNotFound, `The security group '${missing}' does not exist`);
        groups = groups.filter((g) => input.GroupIds!.includes(g.id));
      }
      if (input.GroupNames?.length) {
        const vpc = await defaultVpc(tx, ctx.region);
        const inDefault = groups.filter((g) => g.vpcId === vpc.id);
        const missing = input.GroupNames.find((n) => !inDefault.some((g) => g.name === n));
        if (missing)
          throw new AwsError(
            Errors.InvalidGroupNotFound,
            `The security group '${missing}' does not exist in default VPC '${vpc.id}'`,
          );
        groups = inDefault.filter((g) => input.GroupNames!.includes(g.name));
      }
      groups = groups.filter((g) => matchesFilters(g, input.Filters, fields));
      const { items, NextToken } = paginate("DescribeSecurityGroups", groups, page, (g) => g.id);
      return { SecurityGroups: items.map((g) => renderGroup(g, ctx)), ...(NextToken ? { NextToken } : {}) };
    });
  };

  const del: Handler<DeleteSecurityGroupRequest, DeleteSecurityGroupResult> = (input, ctx) => {
    if (input.GroupId !== undefined) checkId("sg", input.GroupId);
    dryRun(input);
    return store.write(async (tx) => {
      const g = (await groupByRef(tx, ctx.region, input)).value;
      const vpcs = await listVpcs(tx, ctx.region);
      if (vpcs.some((v) => v.value.defaultGroupId === g.id))
        throw new AwsError(
          Errors.CannotDelete,
          `the specified group: "${g.id}" name: "${g.name}" cannot be deleted by a user`,
        );
      const referenced = (await listGroups(tx, ctx.region)).some(
        (o) => o.value.id !== g.id && o.value.rules.some((r) => r.groupId === g.id),
      );
      const used = (await listInterfaces(tx, ctx.region)).some((n) => n.value.groupIds.includes(g.id));
      if (referenced || used)
        throw new AwsError(Errors.DependencyViolation, `resource ${g.id} has a dependent object`);
      await tx.delete(K.securityGroup, regionKey(ctx.region, g.id));
      return { Return: true, GroupId: g.id };
    });
  };

  return { CreateSecurityGroup: create, DescribeSecurityGroups: describe, DeleteSecurityGroup: del };
}
