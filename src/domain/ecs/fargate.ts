/**
 * The Fargate launch type as Berth runs it: which launch a RunTask/CreateService asks for (a launch
 * type, a capacity provider strategy, or the cluster's default strategy), how a strategy spreads tasks
 * over FARGATE and FARGATE_SPOT (base first, then by weight), the platform versions, and what a task
 * definition must not use on Fargate. Pure.
 */
import type { CapacityProviderStrategyItem } from "@aws-sdk/client-ecs";
import { AwsError, Errors } from "../../errors/catalog.js";
import { fargateRefusal } from "./fargate-compat.js";
import type { StoredTaskDefinition } from "./task-definition.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

export type FargateProvider = "FARGATE" | "FARGATE_SPOT";

/** Berth runs platform version 1.4.0 (task metadata v4, ephemeral storage); LATEST means it. */
export const PLATFORM_VERSION = "1.4.0";
export const PLATFORM_FAMILY = "Linux";
/** Older Linux platform versions AWS still knows; Berth does not run their older behaviour. */
const OLDER_VERSIONS = ["1.3.0", "1.2.0", "1.1.0", "1.0.0"];

/** Fargate's ephemeral storage: 20 GiB by default, 21-200 GiB when asked for. */
export const DEFAULT_EPHEMERAL_GIB = 20;

export interface Launch {
  launchType: "EC2" | "FARGATE";
  /** The strategy the request (or the cluster's default) gave, when it used one. */
  strategy?: CapacityProviderStrategyItem[];
}

/**
 * The launch a request asks for. A launch type and a strategy together are refused; neither means the
 * cluster's default strategy when it has one, else EC2.
 */
export function chooseLaunch(
  launchType: string | undefined,
  strategy: readonly CapacityProviderStrategyItem[] | undefined,
  clusterDefault: readonly CapacityProviderStrategyItem[],
): Launch {
  if (launchType !== undefined && (strategy ?? []).length > 0)
    throw invalid(
      "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
    );
  if (launchType !== undefined) {
    if (launchType === "EXTERNAL" || launchType === "MANAGED_INSTANCES")
      throw invalid(`Berth does not support launchType ${launchType}; use EC2 or FARGATE.`);
    if (launchType !== "EC2" && launchType !== "FARGATE")
      throw invalid("launchType should be one of [EC2,FARGATE,EXTERNAL,MANAGED_INSTANCES]");
    return { launchType };
  }
  const items = (strategy ?? []).length > 0 ? [...strategy!] : [...clusterDefault];
  if (items.length === 0) return { launchType: "EC2" };
  if (!items.some((i) => (i.weight ?? 0) > 0 || (i.base ?? 0) > 0))
    throw invalid(
      "The capacity provider strategy must have at least one capacity provider with a weight greater than zero.",
    );
  // Berth's only capacity providers are FARGATE and FARGATE_SPOT (clusters.ts refuses others).
  return { launchType: "FARGATE", strategy: items };
}

/**
 * The provider for the next task, given how many tasks each provider already runs for the same
 * service (or this RunTask call): fill the base first, then keep the split closest to the weights.
 */
export function nextProvider(
  strategy: readonly CapacityProviderStrategyItem[] | undefined,
  running: ReadonlyMap<string, number>,
): FargateProvider {
  const items = strategy ?? [];
  if (items.length === 0) return "FARGATE";
  for (const i of items) {
    const base = i.base ?? 0;
    if (base > 0 && (running.get(i.capacityProvider!) ?? 0) < base)
      return i.capacityProvider as FargateProvider;
  }
  const weighted = items.filter((i) => (i.weight ?? 0) > 0);
  if (weighted.length === 0) return items[0]!.capacityProvider as FargateProvider;
  const total = weighted.reduce((s, i) => s + i.weight!, 0);
  const all = [...running.values()].reduce((s, n) => s + n, 0) + 1;
  // The provider furthest below its share once this task is counted.
  let best = weighted[0]!;
  let bestGap = -Infinity;
  for (const i of weighted) {
    const gap = (all * i.weight!) / total - (running.get(i.capacityProvider!) ?? 0);
    if (gap > bestGap) {
      best = i;
      bestGap = gap;
    }
  }
  return best.capacityProvider as FargateProvider;
}

/** The platform version a Fargate request asks for, resolved ("LATEST" → 1.4.0). */
export function resolvePlatformVersion(
  launchType: string,
  requested: string | undefined,
): string | undefined {
  if (launchType !== "FARGATE") {
    if (requested !== undefined)
      throw invalid("The platform version must be null when specifying an EC2 launch type.");
    return undefined;
  }
  if (requested === undefined || requested === "LATEST" || requested === PLATFORM_VERSION)
    return PLATFORM_VERSION;
  if (OLDER_VERSIONS.includes(requested))
    throw invalid(
      `Berth runs Fargate platform version ${PLATFORM_VERSION} only; use LATEST or ${PLATFORM_VERSION}.`,
    );
  throw new AwsError(Errors.PlatformUnknown, `The specified platform version (${requested}) does not exist.`);
}

/**
 * Why a task definition cannot run on Fargate, or undefined when it can: it was not registered for
 * FARGATE, or (stored before Berth enforced them all at registration) it uses what Fargate refuses.
 */
export function unsupportedOnFargate(td: StoredTaskDefinition): string | undefined {
  if (!td.compatibilities?.includes("FARGATE"))
    return "Task definition does not support launch_type FARGATE.";
  return fargateRefusal(td);
}

/** The ephemeral storage a Fargate task gets: the override, else the task definition's, else 20 GiB. */
export function ephemeralGiB(td: StoredTaskDefinition, override: number | undefined): number {
  if (override !== undefined) {
    if (!Number.isInteger(override) || override < 21 || override > 200)
      throw invalid("The ephemeral storage size must be between 21 and 200 GiB.");
    return override;
  }
  return td.ephemeralStorage?.sizeInGiB ?? DEFAULT_EPHEMERAL_GIB;
}
