/**
 * Security group rules: AuthorizeSecurityGroupIngress/Egress, RevokeSecurityGroupIngress/Egress,
 * DescribeSecurityGroupRules. Every change commits in one transaction; the agents that enforce the
 * rules learn of it through the change feed (see docs/ARCHITECTURE.md, "Security groups").
 */
import type {
  AuthorizeSecurityGroupEgressRequest,
  AuthorizeSecurityGroupEgressResult,
  AuthorizeSecurityGroupIngressRequest,
  AuthorizeSecurityGroupIngressResult,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupRulesResult,
  IpPermission,
  RevokedSecurityGroupRule,
  RevokeSecurityGroupEgressRequest,
  RevokeSecurityGroupEgressResult,
  RevokeSecurityGroupIngressRequest,
  RevokeSecurityGroupIngressResult,
} from "@aws-sdk/client-ec2";
import { checkFilters, type FilterFields, matchesFilters } from "../../domain/ec2/filters.js";
import { ec2Id } from "../../domain/ec2/ids.js";
import {
  peerText,
  type RuleSpec,
  rulesOf,
  sameRule,
  toIpPermissions,
  toSecurityGroupRule,
} from "../../domain/ec2/permissions.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { listGroups, putGroup, type RuleRecord, type SecurityGroupRecord } from "../../state/ec2/records.js";
import type { Store, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { checkId, dryRun, ec2Arn, pageOf, paginate, tagsFor } from "./common.js";
import { groupByRef } from "./security-groups.js";

/** Inbound and outbound rules per group, as AWS's default quota. */
export const RULES_PER_DIRECTION = 60;

type AuthorizeInput = AuthorizeSecurityGroupIngressRequest | AuthorizeSecurityGroupEgressRequest;
type RevokeInput = RevokeSecurityGroupIngressRequest | RevokeSecurityGroupEgressRequest;

/** Resolve a rule's source group (by id, or by name within the group's own VPC). */
async function groupResolver(tx: WriteTx, region: string, target: SecurityGroupRecord) {
  const groups = (await listGroups(tx, region)).map((g) => g.value);
  return (ref: { groupId?: string; groupName?: string }): string => {
    if (ref.groupId) {
      checkId("sg", ref.groupId);
      const g = groups.find((x) => x.id === ref.groupId);
      if (!g)
        throw new AwsError(Errors.InvalidGroupNotFound, `The security group '${ref.groupId}' does not exist`);
      if (g.vpcId !== target.vpcId)
        throw new AwsError(
          Errors.InvalidGroupNotFound,
          `You have specified two resources that belong to different networks. The security group '${g.id}' does not exist in VPC '${target.vpcId}'`,
        );
      return g.id;
    }
    const g = groups.find((x) => x.vpcId === target.vpcId && x.name === ref.groupName);
    if (!g)
      throw new AwsError(
        Errors.InvalidGroupNotFound,
        `The security group '${ref.groupName}' does not exist in VPC '${target.vpcId}'`,
      );
    return g.id;
  };
}

const ruleArn = (ctx: RequestContext, id: string) => ec2Arn(ctx, "security-group-rule", id);

function revokedView(r: RuleRecord, groupId: string): RevokedSecurityGroupRule {
  return {
    SecurityGroupRuleId: r.id,
    GroupId: groupId,
    IsEgress: r.egress,
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...(r.cidrIpv4 ? { CidrIpv4: r.cidrIpv4 } : {}),
    ...(r.cidrIpv6 ? { CidrIpv6: r.cidrIpv6 } : {}),
    ...(r.groupId ? { ReferencedGroupId: r.groupId } : {}),
    ...(r.description !== undefined ? { Description: r.description } : {}),
  };
}

export function ruleHandlers(store: Store) {
  const authorize =
    (egress: boolean) =>
    (input: AuthorizeInput, ctx: RequestContext): Promise<AuthorizeSecurityGroupIngressResult> => {
      const tags = tagsFor(input.TagSpecifications, "security-group-rule");
      const legacy = input as AuthorizeSecurityGroupIngressRequest;
      if (egress && !input.GroupId)
        throw new AwsError(Errors.Ec2MissingParameter, "The request must contain the parameter groupId");
      if (input.GroupId !== undefined) checkId("sg", input.GroupId);
      dryRun(input);
      return store.write(async (tx) => {
        const g = await groupByRef(tx, ctx.region, {
          GroupId: input.GroupId,
          GroupName: egress ? undefined : legacy.GroupName,
        });
        const specs = rulesOf(egress, input, await groupResolver(tx, ctx.region, g.value));
        const added: RuleRecord[] = [];
        for (const spec of specs) {
          if ([...g.value.rules, ...added].some((r) => sameRule(r, spec)))
            throw new AwsError(
              Errors.InvalidPermissionDuplicate,
              `the specified rule "${peerText(spec)}" already exists`,
            );
          added.push({ ...spec, id: ec2Id("sgr"), tags });
        }
        const count = [...g.value.rules, ...added].filter((r) => r.egress === egress).length;
        if (count > RULES_PER_DIRECTION)
          throw new AwsError(
            Errors.RulesPerSecurityGroupLimitExceeded,
            "The maximum number of rules per security group has been reached.",
          );
        await putGroup(tx, ctx.region, { ...g.value, rules: [...g.value.rules, ...added] }, g.version);
        return {
          Return: true,
          SecurityGroupRules: added.map((r) =>
            toSecurityGroupRule(r, g.value, ctx.accountId, ruleArn(ctx, r.id)),
          ),
        };
      });
    };

  const revoke =
    (egress: boolean) =>
    (input: RevokeInput, ctx: RequestContext): Promise<RevokeSecurityGroupIngressResult> => {
      const legacy = input as RevokeSecurityGroupIngressRequest;
      if (egress && !input.GroupId)
        throw new AwsError(Errors.Ec2MissingParameter, "The request must contain the parameter groupId");
      if (input.GroupId !== undefined) checkId("sg", input.GroupId);
      const byId = input.SecurityGroupRuleIds ?? [];
      for (const id of byId) checkId("sgr", id);
      if (byId.length > 0 && ((input.IpPermissions ?? []).length > 0 || input.IpProtocol !== undefined))
        throw new AwsError(
          Errors.Ec2InvalidParameterCombination,
          "The parameter 'securityGroupRuleIds' may not be used in combination with 'ipPermissions'.",
        );
      dryRun(input);
      return store.write(async (tx) => {
        const g = await groupByRef(tx, ctx.region, {
          GroupId: input.GroupId,
          GroupName: egress ? undefined : legacy.GroupName,
        });
        const mine = g.value.rules.filter((r) => r.egress === egress);
        let removed: RuleRecord[];
        const unknown: RuleSpec[] = [];
        if (byId.length > 0) {
          const missing = byId.find((id) => !mine.some((r) => r.id === id));
          if (missing)
            throw new AwsError(
              Errors.InvalidSecurityGroupRuleIdNotFound,
              `The security group rule ID '${missing}' does not exist`,
            );
          removed = mine.filter((r) => byId.includes(r.id));
        } else {
          const specs = rulesOf(egress, input, await groupResolver(tx, ctx.region, g.value));
          removed = [];
          for (const spec of specs) {
            const hit = mine.find((r) => sameRule(r, spec));
            if (hit) removed.push(hit);
            else unknown.push(spec);
          }
          if (removed.length === 0)
            throw new AwsError(
              Errors.InvalidPermissionNotFound,
              "The specified rule does not exist in this security group.",
            );
        }
        const ids = new Set(removed.map((r) => r.id));
        await putGroup(
          tx,
          ctx.region,
          { ...g.value, rules: g.value.rules.filter((r) => !ids.has(r.id)) },
          g.version,
        );
        const unknownPermissions: IpPermission[] = toIpPermissions(
          unknown.map((u) => ({ ...u, id: "", tags: [] })),
          ctx.accountId,
        );
        return {
          Return: true,
          ...(unknownPermissions.length ? { UnknownIpPermissions: unknownPermissions } : {}),
          RevokedSecurityGroupRules: removed.map((r) => revokedView(r, g.value.id)),
        };
      });
    };

  const describe: Handler<DescribeSecurityGroupRulesRequest, DescribeSecurityGroupRulesResult> = (
    input,
    ctx,
  ) => {
    type Row = RuleRecord & { group: SecurityGroupRecord };
    const fields: FilterFields<Row> = {
      "group-id": (r) => [r.group.id],
      "security-group-rule-id": (r) => [r.id],
    };
    checkFilters(input.Filters, fields, true);
    for (const id of input.SecurityGroupRuleIds ?? []) checkId("sgr", id);
    const page = pageOf("DescribeSecurityGroupRules", input);
    dryRun(input);
    return store.read(async (tx) => {
      let rows: Row[] = (await listGroups(tx, ctx.region)).flatMap((g) =>
        g.value.rules.map((r) => ({ ...r, group: g.value })),
      );
      if (input.SecurityGroupRuleIds?.length) {
        const missing = input.SecurityGroupRuleIds.find((id) => !rows.some((r) => r.id === id));
        if (missing)
          throw new AwsError(
            Errors.InvalidSecurityGroupRuleIdNotFound,
            `The security group rule ID '${missing}' does not exist`,
          );
        rows = rows.filter((r) => input.SecurityGroupRuleIds!.includes(r.id));
      }
      rows = rows.filter((r) => matchesFilters(r, input.Filters, fields));
      const { items, NextToken } = paginate("DescribeSecurityGroupRules", rows, page, (r) => r.id);
      return {
        SecurityGroupRules: items.map(({ group, ...r }) =>
          toSecurityGroupRule(r, group, ctx.accountId, ruleArn(ctx, r.id)),
        ),
        ...(NextToken ? { NextToken } : {}),
      };
    });
  };

  return {
    AuthorizeSecurityGroupIngress: authorize(false) as Handler<
      AuthorizeSecurityGroupIngressRequest,
      AuthorizeSecurityGroupIngressResult
    >,
    AuthorizeSecurityGroupEgress: authorize(true) as Handler<
      AuthorizeSecurityGroupEgressRequest,
      AuthorizeSecurityGroupEgressResult
    >,
    RevokeSecurityGroupIngress: revoke(false) as Handler<
      RevokeSecurityGroupIngressRequest,
      RevokeSecurityGroupIngressResult
    >,
    RevokeSecurityGroupEgress: revoke(true) as Handler<
      RevokeSecurityGroupEgressRequest,
      RevokeSecurityGroupEgressResult
    >,
    DescribeSecurityGroupRules: describe,
  };
}
