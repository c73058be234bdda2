/** CreateTags, DeleteTags, DescribeTags for VPCs, subnets, security groups, their rules and interfaces. */
import type {
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeTagsRequest,
  DescribeTagsResult,
  TagDescription,
} from "@aws-sdk/client-ec2";
import { checkFilters, type FilterFields, matchesFilters } from "../../domain/ec2/filters.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import {
  type Ec2Tag,
  getGroup,
  listGroups,
  listInterfaces,
  listSubnets,
  listVpcs,
  putGroup,
  putInterface,
  putSubnet,
  putVpc,
} from "../../state/ec2/records.js";
import type { ReadTx, Store, WriteTx } from "../../state/store.js";
import type { Handler } from "../service.js";
import {
  checkId,
  checkTags,
  dryRun,
  groupOrThrow,
  interfaceOrThrow,
  mergeTags,
  pageOf,
  paginate,
  subnetOrThrow,
  vpcOrThrow,
} from "./common.js";

const TYPES: Record<string, string> = {
  vpc: "vpc",
  subnet: "subnet",
  sg: "security-group",
  sgr: "security-group-rule",
  eni: "network-interface",
};

function typeOf(id: string): { prefix: "vpc" | "subnet" | "sg" | "sgr" | "eni"; type: string } {
  const prefix = id.slice(0, id.lastIndexOf("-"));
  // Own keys only: an id such as `constructor-0123abcd` names no resource type.
  const type = Object.hasOwn(TYPES, prefix) ? TYPES[prefix] : undefined;
  if (!type) throw new AwsError(Errors.Ec2InvalidId, `The ID '${id}' is not valid`);
  checkId(prefix as "vpc", id);
  return { prefix: prefix as "vpc", type };
}

/** A resource's tags and how to write them back, in one transaction. */
async function taggable(
  tx: WriteTx,
  region: string,
  id: string,
): Promise<{ tags: Ec2Tag[]; save(tags: Ec2Tag[]): Promise<unknown> }> {
  const { prefix } = typeOf(id);
  switch (prefix) {
    case "vpc": {
      const r = await vpcOrThrow(tx, region, id);
      return { tags: r.value.tags, save: (tags) => putVpc(tx, region, { ...r.value, tags }, r.version) };
    }
    case "subnet": {
      const r = await subnetOrThrow(tx, region, id);
      return { tags: r.value.tags, save: (tags) => putSubnet(tx, region, { ...r.value, tags }, r.version) };
    }
    case "sg": {
      const r = await groupOrThrow(tx, region, id);
      return { tags: r.value.tags, save: (tags) => putGroup(tx, region, { ...r.value, tags }, r.version) };
    }
    case "eni": {
      const r = await interfaceOrThrow(tx, region, id);
      return {
        tags: r.value.tags,
        save: (tags) => putInterface(tx, region, { ...r.value, tags }, r.version),
      };
    }
    case "sgr": {
      const owner = (await listGroups(tx, region)).find((g) => g.value.rules.some((r) => r.id === id));
      if (!owner)
        throw new AwsError(
          Errors.InvalidSecurityGroupRuleIdNotFound,
          `The security group rule ID '${id}' does not exist`,
        );
      // Re-read through the accessor so the version check covers concurrent rule changes.
      const g = (await getGroup(tx, region, owner.value.id))!;
      const rule = g.value.rules.find((r) => r.id === id)!;
      return {
        tags: rule.tags,
        save: (tags) =>
          putGroup(
            tx,
            region,
            { ...g.value, rules: g.value.rules.map((r) => (r.id === id ? { ...r, tags } : r)) },
            g.version,
          ),
      };
    }
  }
}

interface Row extends TagDescription {
  Key: string;
  Value: string;
  ResourceId: string;
  ResourceType: NonNullable<TagDescription["ResourceType"]>;
}

async function allTags(tx: ReadTx, region: string): Promise<Row[]> {
  const rows: Row[] = [];
  const add = (id: string, type: Row["ResourceType"], tags: readonly Ec2Tag[]) => {
    for (const t of tags) rows.push({ Key: t.Key, Value: t.Value, ResourceId: id, ResourceType: type });
  };
  for (const r of await listVpcs(tx, region)) add(r.value.id, "vpc", r.value.tags);
  for (const r of await listSubnets(tx, region)) add(r.value.id, "subnet", r.value.tags);
  for (const r of await listGroups(tx, region)) {
    add(r.value.id, "security-group", r.value.tags);
    for (const rule of r.value.rules) add(rule.id, "security-group-rule", rule.tags);
  }
  for (const r of await listInterfaces(tx, region)) add(r.value.id, "network-interface", r.value.tags);
  return rows;
}

export function tagHandlers(store: Store) {
  const create: Handler<CreateTagsRequest, Record<string, never>> = (input, ctx) => {
    const tags = checkTags(input.Tags ?? []);
    for (const id of input.Resources ?? []) typeOf(id);
    dryRun(input);
    return store.write(async (tx) => {
      for (const id of input.Resources ?? []) {
        const t = await taggable(tx, ctx.region, id);
        await t.save(mergeTags(t.tags, tags, id));
      }
      return {};
    });
  };

  const del: Handler<DeleteTagsRequest, Record<string, never>> = (input, ctx) => {
    for (const id of input.Resources ?? []) typeOf(id);
    for (const t of input.Tags ?? [])
      if (t.Key?.toLowerCase().startsWith("aws:"))
        throw new AwsError(
          Errors.InvalidParameterValue,
          "Tag keys starting with 'aws:' are reserved for internal use",
        );
    dryRun(input);
    return store.write(async (tx) => {
      for (const id of input.Resources ?? []) {
        const t = await taggable(tx, ctx.region, id);
        // No Tags: delete all. A tag with a value deletes only when the value matches; without, any value.
        const next =
          input.Tags === undefined
            ? []
            : t.tags.filter(
                (have) =>
                  !input.Tags!.some(
                    (d) => d.Key === have.Key && (d.Value === undefined || d.Value === have.Value),
                  ),
              );
        if (next.length !== t.tags.length) await t.save(next);
      }
      return {};
    });
  };

  const describe: Handler<DescribeTagsRequest, DescribeTagsResult> = (input, ctx) => {
    const fields: FilterFields<Row> = {
      key: (r) => [r.Key],
      value: (r) => [r.Value],
      "resource-id": (r) => [r.ResourceId],
      "resource-type": (r) => [r.ResourceType],
    };
    checkFilters(input.Filters, fields, false);
    const page = pageOf("DescribeTags", input);
    dryRun(input);
    return store.read(async (tx) => {
      const rows = (await allTags(tx, ctx.region)).filter((r) => matchesFilters(r, input.Filters, fields));
      const { items, NextToken } = paginate(
        "DescribeTags",
        rows,
        page,
        (r) => `${r.ResourceId}\u0000${r.Key}`,
      );
      return { Tags: items, ...(NextToken ? { NextToken } : {}) };
    });
  };

  return { CreateTags: create, DeleteTags: del, DescribeTags: describe };
}
