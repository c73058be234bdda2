/**
 * The awsvpc network configuration of RunTask, StartTask, CreateService and UpdateService: checked
 * against the task definition's network mode with ECS's messages. Pure; whether the subnets and groups
 * exist is checked against EC2 state by the handlers (services/ecs/task-network.ts).
 */
import type { NetworkConfiguration } from "@aws-sdk/client-ecs";
import { AwsError, Errors } from "../../errors/catalog.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

export interface AwsvpcChoice {
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: boolean;
}

export const MAX_SUBNETS = 16;
export const MAX_SECURITY_GROUPS = 5;

/** Undefined for tasks that are not awsvpc; throws when the configuration and the mode disagree. */
export function awsvpcChoice(
  networkMode: string | undefined,
  nc: NetworkConfiguration | undefined,
  launchType: string,
): AwsvpcChoice | undefined {
  const awsvpc = networkMode === "awsvpc";
  if (!awsvpc) {
    if (nc?.awsvpcConfiguration)
      throw invalid("Network Configuration is not valid for the given networkMode of this task definition.");
    if (launchType === "FARGATE") throw invalid("Task definition does not support launch_type FARGATE.");
    return undefined;
  }
  const c = nc?.awsvpcConfiguration;
  if (!c) throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  const subnets = [...new Set(c.subnets ?? [])];
  if (subnets.length === 0) throw invalid("subnets can not be empty.");
  if (subnets.length > MAX_SUBNETS) throw invalid(`subnets can have at most ${MAX_SUBNETS} items.`);
  const securityGroups = [...new Set(c.securityGroups ?? [])];
  if (securityGroups.length > MAX_SECURITY_GROUPS)
    throw invalid(`securityGroups can have at most ${MAX_SECURITY_GROUPS} items.`);
  const assign = c.assignPublicIp ?? "DISABLED";
  if (assign !== "ENABLED" && assign !== "DISABLED")
    throw invalid("assignPublicIp should be one of [ENABLED,DISABLED]");
  if (assign === "ENABLED" && launchType === "EC2")
    throw invalid("Assign public IP is not supported for this launch type.");
  return { subnets, securityGroups, assignPublicIp: assign === "ENABLED" };
}

/** The configuration as DescribeServices and deployments show it (assignPublicIp spelled out). */
export function renderNetworkConfiguration(c: AwsvpcChoice): NetworkConfiguration {
  return {
    awsvpcConfiguration: {
      subnets: c.subnets,
      securityGroups: c.securityGroups,
      assignPublicIp: c.assignPublicIp ? "ENABLED" : "DISABLED",
    },
  };
}
