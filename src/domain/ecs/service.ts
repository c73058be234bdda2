/** Pure rules for ECS services: ids and ARNs, deployment-configuration defaults and checks, rendering. */
import { randomBytes } from "node:crypto";
import type { Deployment, DeploymentConfiguration, Service } from "@aws-sdk/client-ecs";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { DeploymentRecord, ServiceDeploymentRecord, ServiceRecord } from "../../state/ecs/services.js";
import { formatArn } from "../arn.js";
import type { Scope } from "./arns.js";
import { PLATFORM_FAMILY } from "./fargate.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

/**
 * The service that started a task: its group is `service:<name>` and its startedBy a deployment id.
 * A group alone does not make a task a service's: RunTask may be given any group.
 */
export function serviceNameOf(task: {
  group?: string | undefined;
  startedBy?: string | undefined;
}): string | undefined {
  if (!task.group?.startsWith("service:") || !task.startedBy?.startsWith("ecs-svc/")) return undefined;
  return task.group.slice("service:".length);
}

/** `ecs-svc/` and 19 digits, as ECS numbers deployments. */
export function newDeploymentId(): string {
  const n = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
  return `ecs-svc/${n.toString().padStart(19, "0")}`;
}

export const serviceArn = (s: Scope, cluster: string, name: string) =>
  formatArn({
    service: "ecs",
    region: s.region,
    accountId: s.accountId,
    resource: `service/${cluster}/${name}`,
  });
export const serviceRevisionArn = (s: Scope, cluster: string, name: string, deploymentId: string) =>
  formatArn({
    service: "ecs",
    region: s.region,
    accountId: s.accountId,
    resource: `service-revision/${cluster}/${name}/${deploymentId.slice("ecs-svc/".length)}`,
  });

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
export function serviceDeploymentArn(s: Scope, cluster: string, name: string): string {
  const bytes = randomBytes(21);
  let id = "";
  for (const b of bytes) id += ALPHABET[b % 64];
  return formatArn({
    service: "ecs",
    region: s.region,
    accountId: s.accountId,
    resource: `service-deployment/${cluster}/${name}/${id}`,
  });
}

export type CircuitBreakerConfig = ServiceRecord["deploymentConfiguration"]["deploymentCircuitBreaker"];

/** Merge a requested deploymentConfiguration over the current (or default) one, and check it. */
export function deploymentConfiguration(
  requested: DeploymentConfiguration | undefined,
  current: ServiceRecord["deploymentConfiguration"] | undefined,
  strategy: "REPLICA" | "DAEMON",
): ServiceRecord["deploymentConfiguration"] {
  const base = current ?? {
    maximumPercent: strategy === "DAEMON" ? 100 : 200,
    minimumHealthyPercent: strategy === "DAEMON" ? 0 : 100,
    deploymentCircuitBreaker: { enable: false, rollback: false },
  };
  const r = requested ?? {};
  if (r.strategy !== undefined && r.strategy !== "ROLLING") {
    throw invalid(`Berth supports the ROLLING deployment strategy only; ${r.strategy} is not supported.`);
  }
  if ((r.lifecycleHooks ?? []).length > 0 || r.linearConfiguration || r.canaryConfiguration) {
    throw invalid("Berth does not support deployment lifecycle hooks, linear or canary configurations.");
  }
  if (r.alarms?.enable)
    throw invalid("Berth does not support CloudWatch alarms in deployment configurations.");
  if (r.bakeTimeInMinutes !== undefined && r.bakeTimeInMinutes !== 0)
    throw invalid("bakeTimeInMinutes applies to blue/green deployments, which Berth does not support.");
  const out = {
    maximumPercent: r.maximumPercent ?? base.maximumPercent,
    minimumHealthyPercent: r.minimumHealthyPercent ?? base.minimumHealthyPercent,
    deploymentCircuitBreaker:
      (r.deploymentCircuitBreaker as CircuitBreakerConfig | undefined) ?? base.deploymentCircuitBreaker,
  };
  if (
    !Number.isInteger(out.minimumHealthyPercent) ||
    out.minimumHealthyPercent < 0 ||
    out.minimumHealthyPercent > 100
  ) {
    throw invalid("minimumHealthyPercent must be between 0 and 100.");
  }
  if (strategy === "DAEMON" && out.maximumPercent > 100) {
    throw invalid(
      "The daemon scheduling strategy does not support values above 100 for maximumPercent on a deployment configuration. Change the maximumPercent value to 100, and try again",
    );
  }
  if (!Number.isInteger(out.maximumPercent) || out.maximumPercent < (strategy === "DAEMON" ? 0 : 100)) {
    throw invalid("maximumPercent must be at least 100 for services using the REPLICA scheduling strategy.");
  }
  const cb = out.deploymentCircuitBreaker as CircuitBreakerConfig;
  if (cb.thresholdConfiguration) {
    const { type, value } = cb.thresholdConfiguration;
    if (!["COUNT", "BOUNDED_PERCENT", "UNBOUNDED_PERCENT"].includes(type))
      throw invalid("thresholdConfiguration.type should be one of [COUNT,BOUNDED_PERCENT,UNBOUNDED_PERCENT]");
    if (!Number.isInteger(value) || value < 1)
      throw invalid("thresholdConfiguration.value must be a positive integer.");
  }
  return out;
}

export function newDeployment(opts: {
  scope: Scope;
  cluster: string;
  service: string;
  taskDefinition: string;
  launchType: string;
  platformVersion?: string | undefined;
  now: number;
  serviceDeploymentKey: (createdAt: number, id: string) => string;
}): DeploymentRecord {
  const id = newDeploymentId();
  return {
    id,
    status: "PRIMARY",
    taskDefinition: opts.taskDefinition,
    desiredCount: 0,
    pendingCount: 0,
    runningCount: 0,
    failedTasks: 0,
    createdAt: opts.now,
    updatedAt: opts.now,
    launchType: opts.launchType,
    ...(opts.platformVersion ? { platformVersion: opts.platformVersion } : {}),
    rolloutState: "IN_PROGRESS",
    rolloutStateReason: `ECS deployment ${id} in progress.`,
    serviceDeploymentArn: serviceDeploymentArn(opts.scope, opts.cluster, opts.service),
    serviceDeploymentKey: opts.serviceDeploymentKey(opts.now, id),
    serviceRevisionArn: serviceRevisionArn(opts.scope, opts.cluster, opts.service, id),
  };
}

/**
 * Make `deployment` the service's PRIMARY deployment (UpdateService with a new task definition or
 * forceNewDeployment): earlier deployments become ACTIVE and drain, and the circuit breaker and the
 * start throttle start afresh. Changes `svc` in place; returns the earlier deployments.
 */
export function beginDeployment(svc: ServiceRecord, deployment: DeploymentRecord): DeploymentRecord[] {
  const previous = svc.deployments.map((d) => ({ ...d, status: "ACTIVE" as const }));
  svc.deployments = [deployment, ...previous];
  svc.taskDefinition = deployment.taskDefinition;
  svc.scheduler = { ...svc.scheduler, counted: [], failures: 0 };
  delete svc.scheduler.throttledUntil;
  delete svc.scheduler.startFailures;
  delete svc.scheduler.steadySince;
  return previous;
}

export function renderDeployment(d: DeploymentRecord, s?: ServiceRecord): Deployment {
  return {
    id: d.id,
    status: d.status,
    taskDefinition: d.taskDefinition,
    desiredCount: d.desiredCount,
    pendingCount: d.pendingCount,
    runningCount: d.runningCount,
    failedTasks: d.failedTasks,
    createdAt: new Date(d.createdAt),
    updatedAt: new Date(d.updatedAt),
    ...(s?.capacityProviderStrategy
      ? { capacityProviderStrategy: s.capacityProviderStrategy }
      : { launchType: d.launchType as Deployment["launchType"] }),
    ...(d.platformVersion ? { platformVersion: d.platformVersion, platformFamily: PLATFORM_FAMILY } : {}),
    ...(s?.networkConfiguration ? { networkConfiguration: s.networkConfiguration } : {}),
    rolloutState: d.rolloutState,
    rolloutStateReason: d.rolloutStateReason,
  };
}

export function renderService(s: ServiceRecord, withTags: boolean): Service {
  const running = s.deployments.reduce((n, d) => n + d.runningCount, 0);
  const pending = s.deployments.reduce((n, d) => n + d.pendingCount, 0);
  const primary = s.deployments[0];
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: s.clusterArn,
    loadBalancers: s.loadBalancers,
    serviceRegistries: s.serviceRegistries,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: running,
    pendingCount: pending,
    ...(s.capacityProviderStrategy
      ? { capacityProviderStrategy: s.capacityProviderStrategy }
      : { launchType: s.launchType as Service["launchType"] }),
    ...(s.platformVersion ? { platformVersion: s.platformVersion, platformFamily: PLATFORM_FAMILY } : {}),
    taskDefinition: s.taskDefinition,
    deploymentConfiguration: { ...s.deploymentConfiguration, strategy: "ROLLING", bakeTimeInMinutes: 0 },
    deployments: s.status === "INACTIVE" ? [] : s.deployments.map((d) => renderDeployment(d, s)),
    ...(s.roleArn ? { roleArn: s.roleArn } : {}),
    events: s.events.map((e) => ({ id: e.id, createdAt: new Date(e.createdAt), message: e.message })),
    createdAt: new Date(s.createdAt),
    ...(primary && s.status !== "INACTIVE"
      ? {
          currentServiceDeployment: primary.serviceDeploymentArn,
          currentServiceRevisions: s.deployments.map((d) => ({
            arn: d.serviceRevisionArn,
            requestedTaskCount: d.desiredCount,
            runningTaskCount: d.runningCount,
            pendingTaskCount: d.pendingCount,
          })),
        }
      : {}),
    placementConstraints: s.placementConstraints,
    placementStrategy: s.placementStrategy,
    ...(s.networkConfiguration ? { networkConfiguration: s.networkConfiguration } : {}),
    healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds ?? 0,
    schedulingStrategy: s.schedulingStrategy,
    deploymentController: { type: "ECS" },
    ...(withTags ? { tags: s.tags } : {}),
    createdBy: s.createdBy,
    enableECSManagedTags: s.enableECSManagedTags,
    propagateTags: s.propagateTags,
    enableExecuteCommand: false,
    availabilityZoneRebalancing: "DISABLED",
    resourceManagementType: "CUSTOMER",
  };
}

export function renderServiceDeployment(d: ServiceDeploymentRecord) {
  const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: d.serviceArn,
    clusterArn: d.clusterArn,
    createdAt: new Date(d.createdAt),
    ...(d.startedAt !== undefined ? { startedAt: date(d.startedAt) } : {}),
    ...(d.finishedAt !== undefined ? { finishedAt: date(d.finishedAt) } : {}),
    ...(d.stoppedAt !== undefined ? { stoppedAt: date(d.stoppedAt) } : {}),
    updatedAt: new Date(d.updatedAt),
    sourceServiceRevisions: d.sourceServiceRevisions,
    targetServiceRevision: d.targetServiceRevision,
    status: d.status,
    ...(d.statusReason ? { statusReason: d.statusReason } : {}),
    deploymentConfiguration: {
      ...d.deploymentConfiguration,
      strategy: "ROLLING" as const,
      bakeTimeInMinutes: 0,
    },
    ...(d.rollback ? { rollback: { ...d.rollback, startedAt: new Date(d.rollback.startedAt) } } : {}),
    deploymentCircuitBreaker: d.deploymentCircuitBreaker ?? {
      status: d.deploymentConfiguration.deploymentCircuitBreaker.enable ? "MONITORING" : "DISABLED",
      failureCount: 0,
      threshold: 3,
    },
    alarms: { status: "DISABLED" as const },
  };
}
