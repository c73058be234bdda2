/**
 * What CreateService and UpdateService check about a service's loadBalancers, with ECS's wording:
 * the target group exists and a load balancer uses it, the container and its port exist in the
 * task definition, and the target type fits the network mode.
 */
import type { LoadBalancer } from "@aws-sdk/client-ecs";
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getTgByArn } from "../../state/elbv2/access.js";
import { targetGroupUsage } from "../../state/elbv2/usage.js";
import type { ReadTx } from "../../state/store.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

/** ECS's quota of target groups per service. */
export const MAX_SERVICE_LOAD_BALANCERS = 5;

export async function checkServiceLoadBalancers(
  tx: ReadTx,
  region: string,
  lbs: readonly LoadBalancer[],
  td: StoredTaskDefinition,
): Promise<LoadBalancer[]> {
  if (lbs.length > MAX_SERVICE_LOAD_BALANCERS)
    throw invalid(`loadBalancers can have at most ${MAX_SERVICE_LOAD_BALANCERS} items.`);
  const usage = lbs.length > 0 ? await targetGroupUsage(tx, region) : new Map<string, Set<string>>();
  const mode = td.networkMode ?? "bridge";
  const seen = new Set<string>();
  const out: LoadBalancer[] = [];
  for (const lb of lbs) {
    if (lb.loadBalancerName !== undefined)
      throw invalid("Berth does not support Classic Load Balancers (loadBalancerName); use targetGroupArn.");
    if (lb.advancedConfiguration !== undefined)
      throw invalid("Berth does not support advancedConfiguration (blue/green deployments).");
    if (!lb.targetGroupArn) throw invalid("loadBalancers.targetGroupArn should not be null or empty.");
    if (!lb.containerName || lb.containerPort === undefined)
      throw invalid(
        "loadBalancers: containerName and containerPort must be specified with a targetGroupArn.",
      );
    const tg = await getTgByArn(tx, region, lb.targetGroupArn);
    if (!tg)
      throw invalid(
        "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.",
      );
    if (!usage.has(tg.value.arn))
      throw invalid(
        `The target group with targetGroupArn ${tg.value.arn} does not have an associated load balancer.`,
      );
    const wanted = mode === "awsvpc" ? "ip" : "instance";
    if (tg.value.targetType !== wanted)
      throw invalid(
        `The provided target group ${tg.value.arn} has target type ${tg.value.targetType}, which is incompatible with the ${mode} network mode specified in the task definition.`,
      );
    const container = td.containerDefinitions.find((c) => c.name === lb.containerName);
    if (!container) throw invalid(`The container ${lb.containerName} does not exist in the task definition.`);
    if (!(container.portMappings ?? []).some((p) => p.containerPort === lb.containerPort))
      throw invalid(
        `The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`,
      );
    const id = `${tg.value.arn}|${lb.containerName}|${lb.containerPort}`;
    if (seen.has(id))
      throw invalid(`loadBalancers names target group ${tg.value.arn} with the same container port twice.`);
    seen.add(id);
    out.push({
      targetGroupArn: tg.value.arn,
      containerName: lb.containerName,
      containerPort: lb.containerPort,
    });
  }
  return out;
}
