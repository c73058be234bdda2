/** ECS resource names and ARNs. */
import { AwsError, Errors } from "../../errors/catalog.js";
import { formatArn, parseArn } from "../arn.js";

export interface Scope {
  region: string;
  accountId: string;
}

/** Cluster, family and container names: up to 255 letters, digits, hyphens and underscores. */
export const NAME = /^[A-Za-z0-9_-]{1,255}$/;

export const clusterArn = (s: Scope, name: string) =>
  formatArn({ service: "ecs", region: s.region, accountId: s.accountId, resource: `cluster/${name}` });

export const taskDefinitionArn = (s: Scope, family: string, revision: number) =>
  formatArn({
    service: "ecs",
    region: s.region,
    accountId: s.accountId,
    resource: `task-definition/${family}:${revision}`,
  });

/**
 * A cluster given by name or ARN → its name. An ARN from another region or account names a
 * cluster this region cannot see, which AWS reports as not found.
 */
export function clusterName(s: Scope, identifier: string | undefined): string {
  const id = identifier ?? "default";
  if (!id.startsWith("arn:")) {
    if (!NAME.test(id)) {
      throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
    }
    return id;
  }
  const arn = parseArn(id);
  const name = arn?.resource.startsWith("cluster/") ? arn.resource.slice("cluster/".length) : undefined;
  if (arn?.service !== "ecs" || !name || !NAME.test(name)) {
    throw new AwsError(Errors.InvalidParameter, `Invalid cluster identifier: ${id}`);
  }
  if (arn.region !== s.region || arn.accountId !== s.accountId) {
    throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
  }
  return name;
}

/** Parse `family`, `family:revision` or a task definition ARN. */
export function parseTaskDefinitionRef(s: Scope, ref: string): { family: string; revision?: number } {
  let body = ref;
  if (ref.startsWith("arn:")) {
    const arn = parseArn(ref);
    if (arn?.service !== "ecs" || !arn.resource.startsWith("task-definition/")) {
      throw new AwsError(Errors.EcsClient, `Invalid task definition: ${ref}`);
    }
    if (arn.region !== s.region || arn.accountId !== s.accountId) {
      throw new AwsError(Errors.EcsClient, "Unable to describe task definition.");
    }
    body = arn.resource.slice("task-definition/".length);
  }
  const colon = body.lastIndexOf(":");
  if (colon < 0) {
    if (!NAME.test(body)) throw new AwsError(Errors.EcsClient, "Unable to describe task definition.");
    return { family: body };
  }
  const family = body.slice(0, colon);
  const revText = body.slice(colon + 1);
  const revision = Number(revText);
  if (!NAME.test(family)) throw new AwsError(Errors.EcsClient, "Unable to describe task definition.");
  if (!/^\d+$/.test(revText) || revision < 1) {
    // ECS answers a malformed revision with InvalidParameterException (a missing one is a ClientException).
    throw new AwsError(Errors.InvalidParameter, `Invalid revision number. Number: ${revText}`);
  }
  return { family, revision };
}
