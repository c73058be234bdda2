/** Shared EC2 handler pieces: DryRun, paging, tags and tag specifications, id checks, lookups, ARNs. */
import type { TagSpecification } from "@aws-sdk/client-ec2";
import { formatArn } from "../../domain/arn.js";
import { type Ec2IdPrefix, isEc2Id } from "../../domain/ec2/ids.js";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { AwsError, type ErrorDef, Errors } from "../../errors/catalog.js";
import {
  type Ec2Tag,
  getGroup,
  getInterface,
  getSubnet,
  getVpc,
  type NetworkInterfaceRecord,
  type SecurityGroupRecord,
  type Stored,
  type SubnetRecord,
  type VpcRecord,
} from "../../state/ec2/records.js";
import type { ReadTx } from "../../state/store.js";
import type { RequestContext } from "../service.js";

export const invalidValue = (m: string) => new AwsError(Errors.InvalidParameterValue, m);

/** DryRun: the caller was authorized (the gateway checked), so the request would have succeeded. */
export function dryRun(input: { DryRun?: boolean | undefined }): void {
  if (input.DryRun)
    throw new AwsError(Errors.Ec2DryRun, "Request would have succeeded, but DryRun flag is set.");
}

export interface Page {
  after: string | undefined;
  limit: number;
}

/** MaxResults (5-1000, default all) and NextToken of a Describe* operation. */
export function pageOf(
  list: string,
  input: { MaxResults?: number | undefined; NextToken?: string | undefined },
  min = 5,
  max = 1000,
): Page {
  const n = input.MaxResults;
  if (n !== undefined && (!Number.isInteger(n) || n < min || n > max))
    throw invalidValue(
      `Value ( ${n} ) for parameter maxResults is invalid. Parameter must be between ${min} and ${max}.`,
    );
  let after: string | undefined;
  if (input.NextToken !== undefined) {
    after = decodeToken(list, input.NextToken);
    if (after === undefined)
      throw new AwsError(Errors.Ec2InvalidNextToken, `The token '${input.NextToken}' is invalid`);
  }
  return { after, limit: n ?? Number.MAX_SAFE_INTEGER };
}

/** Sort by key, resume after the page token, cut at the limit. */
export function paginate<T>(
  list: string,
  items: readonly T[],
  page: Page,
  keyOf: (t: T) => string,
): { items: T[]; NextToken?: string } {
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = page.after === undefined ? sorted : sorted.filter((t) => keyOf(t) > page.after!);
  if (rest.length <= page.limit) return { items: rest };
  const out = rest.slice(0, page.limit);
  return { items: out, NextToken: encodeToken(list, keyOf(out[out.length - 1]!)) };
}

const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;

export function checkTags(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[],
): Ec2Tag[] {
  const out = new Map<string, string>();
  for (const t of tags) {
    const key = t.Key ?? "";
    if (key === "") throw invalidValue("Tag key cannot be empty.");
    if (key.length > TAG_KEY_MAX)
      throw invalidValue(`Tag key exceeds the maximum length of ${TAG_KEY_MAX} characters`);
    if (key.toLowerCase().startsWith("aws:"))
      throw invalidValue("Tag keys starting with 'aws:' are reserved for internal use");
    const value = t.Value ?? "";
    if (value.length > TAG_VALUE_MAX)
      throw invalidValue(`Tag value exceeds the maximum length of ${TAG_VALUE_MAX} characters`);
    out.set(key, value);
  }
  return [...out].map(([Key, Value]) => ({ Key, Value }));
}

/** Merge tags (later wins), refusing more than 50 on one resource. */
export function mergeTags(current: readonly Ec2Tag[], add: readonly Ec2Tag[], resourceId: string): Ec2Tag[] {
  const m = new Map(current.map((t) => [t.Key, t.Value]));
  for (const t of add) m.set(t.Key, t.Value);
  if (m.size > 50)
    throw new AwsError(
      Errors.Ec2TagLimitExceeded,
      `The maximum number of Tags for a resource has been reached. Resource: ${resourceId}`,
    );
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}

/** The tags a create request asks for through TagSpecifications of the given resource type. */
export function tagsFor(specs: readonly TagSpecification[] | undefined, resourceType: string): Ec2Tag[] {
  const tags: { Key?: string; Value?: string }[] = [];
  for (const s of specs ?? []) {
    if (s.ResourceType !== resourceType)
      throw invalidValue(
        `'${s.ResourceType ?? ""}' is not a valid taggable resource type for this operation.`,
      );
    if ((s.Tags ?? []).length === 0) throw invalidValue("Tag specification must have at least one tag");
    for (const t of s.Tags ?? [])
      tags.push({ ...(t.Key !== undefined ? { Key: t.Key } : {}), Value: t.Value ?? "" });
  }
  return mergeTags([], checkTags(tags), "(new resource)");
}

const MALFORMED: Record<string, ErrorDef> = {
  vpc: Errors.InvalidVpcIdMalformed,
  subnet: Errors.InvalidSubnetIdMalformed,
  sg: Errors.InvalidGroupIdMalformed,
  eni: Errors.InvalidNetworkInterfaceIdMalformed,
  sgr: Errors.InvalidSecurityGroupRuleIdMalformed,
};

export function checkId(prefix: Ec2IdPrefix, id: string): void {
  if (!isEc2Id(prefix, id)) {
    const def =
      (Object.hasOwn(MALFORMED, prefix) ? MALFORMED[prefix] : undefined) ?? Errors.InvalidParameterValue;
    throw new AwsError(def, `Invalid id: "${id}" (expecting "${prefix}-...")`);
  }
}

export async function vpcOrThrow(tx: ReadTx, region: string, id: string): Promise<Stored<VpcRecord>> {
  checkId("vpc", id);
  const v = await getVpc(tx, region, id);
  if (!v) throw new AwsError(Errors.InvalidVpcIdNotFound, `The vpc ID '${id}' does not exist`);
  return v;
}

export async function subnetOrThrow(tx: ReadTx, region: string, id: string): Promise<Stored<SubnetRecord>> {
  checkId("subnet", id);
  const s = await getSubnet(tx, region, id);
  if (!s) throw new AwsError(Errors.InvalidSubnetIdNotFound, `The subnet ID '${id}' does not exist`);
  return s;
}

export async function groupOrThrow(
  tx: ReadTx,
  region: string,
  id: string,
): Promise<Stored<SecurityGroupRecord>> {
  checkId("sg", id);
  const g = await getGroup(tx, region, id);
  if (!g) throw new AwsError(Errors.InvalidGroupNotFound, `The security group '${id}' does not exist`);
  return g;
}

export async function interfaceOrThrow(
  tx: ReadTx,
  region: string,
  id: string,
): Promise<Stored<NetworkInterfaceRecord>> {
  checkId("eni", id);
  const n = await getInterface(tx, region, id);
  if (!n)
    throw new AwsError(
      Errors.InvalidNetworkInterfaceIdNotFound,
      `The networkInterface ID '${id}' does not exist`,
    );
  return n;
}

export const ec2Arn = (ctx: Pick<RequestContext, "region" | "accountId">, type: string, id: string) =>
  formatArn({ service: "ec2", region: ctx.region, accountId: ctx.accountId, resource: `${type}/${id}` });

/** Any value of an enum-like string list, or an error naming the parameter. */
export function oneOf(name: string, value: string | undefined, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value))
    throw invalidValue(
      `Value (${value}) for parameter ${name} is invalid. Allowed values: ${allowed.join(", ")}.`,
    );
}
