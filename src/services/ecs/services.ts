/** ECS services: CreateService, UpdateService, DeleteService, DescribeServices, ListServices, deployments and revisions. */
import type {
  CreateServiceRequest,
  CreateServiceResponse,
  DeleteServiceRequest,
  DeleteServiceResponse,
  DescribeServiceDeploymentsRequest,
  DescribeServiceDeploymentsResponse,
  DescribeServiceRevisionsRequest,
  DescribeServiceRevisionsResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  Failure,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  ListServicesByNamespaceRequest,
  ListServicesByNamespaceResponse,
  ListServicesRequest,
  ListServicesResponse,
  LoadBalancer,
  Service,
  ServiceDeployment,
  ServiceRevision,
  UpdateServiceRequest,
  UpdateServiceResponse,
} from "@aws-sdk/client-ecs";
import { parseArn } from "../../domain/arn.js";
import { clusterName, NAME, type Scope } from "../../domain/ecs/arns.js";
import { type AwsvpcChoice, awsvpcChoice, renderNetworkConfiguration } from "../../domain/ecs/awsvpc.js";
import { chooseLaunch, resolvePlatformVersion, unsupportedOnFargate } from "../../domain/ecs/fargate.js";
import { parseConstraints, parseStrategies } from "../../domain/ecs/placement-input.js";
import { unsupportedForRun } from "../../domain/ecs/runnable.js";
import {
  beginDeployment,
  deploymentConfiguration,
  newDeployment,
  renderService,
  renderServiceDeployment,
  serviceArn,
} from "../../domain/ecs/service.js";
import { validateTags } from "../../domain/ecs/tags.js";
import type { StoredTaskDefinition } from "../../domain/ecs/task-definition.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { type ClusterRecord, getCluster } from "../../state/ecs/clusters.js";
import { K } from "../../state/ecs/kinds.js";
import {
  type DeploymentRecord,
  getService,
  listServiceDeployments,
  listServices,
  putService,
  type ServiceDeploymentRecord,
  type ServiceRecord,
  serviceDeploymentKey,
  serviceKey,
} from "../../state/ecs/services.js";
import type { ReadTx, Store, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { validateStrategy } from "./clusters.js";
import { cut, pageOf } from "./paging.js";
import { resolveTaskDefinition } from "./task-definitions.js";
import { resolveAwsvpc } from "./task-network.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);
const notFound = () => new AwsError(Errors.ServiceNotFound, "Service not found.");

async function activeCluster(
  tx: ReadTx,
  ctx: RequestContext,
  id: string | undefined,
): Promise<ClusterRecord> {
  const name = clusterName(ctx, id);
  const c = await getCluster(tx, ctx.region, name);
  if (!c) throw new AwsError(Errors.ClusterNotFound, "Cluster not found.");
  if (c.value.status !== "ACTIVE")
    throw new AwsError(Errors.ClusterNotFound, "The referenced cluster was inactive.");
  return c.value;
}

/** A service named by name or ARN → its name (and cluster when the ARN names one). */
function serviceRef(s: Scope, ref: string): { name: string; cluster?: string } | undefined {
  if (!ref.startsWith("arn:")) return NAME.test(ref) ? { name: ref } : undefined;
  const arn = parseArn(ref);
  if (arn?.service !== "ecs" || arn.region !== s.region || arn.accountId !== s.accountId) return undefined;
  const parts = arn.resource.split("/");
  if (parts[0] !== "service") return undefined;
  return parts.length === 3
    ? { cluster: parts[1]!, name: parts[2]! }
    : parts.length === 2
      ? { name: parts[1]! }
      : undefined;
}

async function definitionFor(
  tx: ReadTx,
  ctx: RequestContext,
  ref: string | undefined,
  updating: boolean,
): Promise<StoredTaskDefinition> {
  if (!ref) throw invalid("TaskDefinition should not be null or empty.");
  const rec = await resolveTaskDefinition(tx, ctx, ref);
  if (!rec) throw new AwsError(Errors.EcsClient, "TaskDefinition not found.");
  if (rec.value.td.status !== "ACTIVE")
    throw new AwsError(updating ? Errors.EcsClient : Errors.InvalidParameter, "TaskDefinition is inactive");
  const why = unsupportedForRun(rec.value.td);
  if (why)
    throw invalid(
      `Berth cannot run ${rec.value.td.family}:${rec.value.td.revision}: ${why}. See docs/COMPATIBILITY.md.`,
    );
  return rec.value.td;
}

/** Fields Berth cannot honour yet; refused rather than ignored. */
function refuseUnsupported(
  input: Partial<CreateServiceRequest & UpdateServiceRequest>,
  loadBalancing: boolean,
): void {
  if (!loadBalancing && (input.loadBalancers ?? []).length > 0)
    throw invalid("Berth does not support loadBalancers on services yet.");
  if ((input.serviceRegistries ?? []).length > 0)
    throw invalid("Berth does not support serviceRegistries (Cloud Map) yet.");
  if (input.serviceConnectConfiguration?.enabled) throw invalid("Berth does not support Service Connect.");
  if ((input.volumeConfigurations ?? []).length > 0)
    throw invalid("Berth does not support volumeConfigurations (EBS volumes).");
  if ((input.vpcLatticeConfigurations ?? []).length > 0) throw invalid("Berth does not support VPC Lattice.");
  if ((input.gatewayConnectors ?? []).length > 0) throw invalid("Berth does not support gateway connectors.");
  if (input.monitoring) throw invalid("Berth does not support service monitoring configuration.");
  if (input.enableExecuteCommand) throw invalid("Berth does not support ECS Exec (enableExecuteCommand).");
  if (input.availabilityZoneRebalancing === "ENABLED")
    throw invalid(
      "Berth does not rebalance services across Availability Zones; set availabilityZoneRebalancing to DISABLED.",
    );
  if (input.deploymentController && input.deploymentController.type !== "ECS") {
    throw invalid(
      `Berth supports the ECS deployment controller only; ${input.deploymentController.type} is not supported.`,
    );
  }
}

/**
 * A service's launch (EC2 or FARGATE, by launch type or capacity provider strategy), platform version
 * and network configuration, checked against its task definition and the EC2 state.
 */
async function checkServiceLaunch(
  tx: ReadTx,
  ctx: RequestContext,
  td: StoredTaskDefinition,
  svc: Pick<
    ServiceRecord,
    "launchType" | "schedulingStrategy" | "placementConstraints" | "placementStrategy"
  > & {
    networkConfiguration?: ServiceRecord["networkConfiguration"] | undefined;
  },
): Promise<AwsvpcChoice | undefined> {
  if (svc.launchType === "FARGATE") {
    const why = unsupportedOnFargate(td);
    if (why) throw invalid(why);
    if (svc.schedulingStrategy === "DAEMON")
      throw invalid("The DAEMON scheduling strategy is not supported with the FARGATE launch type.");
    if (svc.placementConstraints.length > 0 || svc.placementStrategy.length > 0)
      throw invalid(
        "Task placement constraints and strategies are not supported with the FARGATE launch type.",
      );
  }
  const choice = awsvpcChoice(td.networkMode, svc.networkConfiguration, svc.launchType);
  if (choice) await resolveAwsvpc(tx, ctx.region, choice);
  return choice;
}

function checkPropagate(p: string | undefined): ServiceRecord["propagateTags"] | undefined {
  if (p === undefined) return undefined;
  if (p !== "NONE" && p !== "TASK_DEFINITION" && p !== "SERVICE")
    throw invalid("propagateTags should be one of [TASK_DEFINITION,SERVICE,NONE]");
  return p;
}

function checkGrace(g: number | undefined): void {
  if (g !== undefined && (!Number.isInteger(g) || g < 0 || g > 2147483647))
    throw invalid("healthCheckGracePeriodSeconds must be between 0 and 2147483647.");
}

/** Record a deployment's ServiceDeployment and ServiceRevision. */
async function recordDeployment(
  tx: WriteTx,
  ctx: RequestContext,
  svc: ServiceRecord,
  d: DeploymentRecord,
  previous: DeploymentRecord[],
): Promise<void> {
  const sd: ServiceDeploymentRecord = {
    arn: d.serviceDeploymentArn,
    serviceArn: svc.arn,
    clusterArn: svc.clusterArn,
    service: svc.name,
    deploymentId: d.id,
    createdAt: ctx.now,
    startedAt: ctx.now,
    updatedAt: ctx.now,
    sourceServiceRevisions: previous.map((p) => ({
      arn: p.serviceRevisionArn,
      requestedTaskCount: p.desiredCount,
      runningTaskCount: p.runningCount,
      pendingTaskCount: p.pendingCount,
    })),
    targetServiceRevision: {
      arn: d.serviceRevisionArn,
      requestedTaskCount: svc.desiredCount,
      runningTaskCount: 0,
      pendingTaskCount: 0,
    },
    status: "IN_PROGRESS",
    deploymentConfiguration: svc.deploymentConfiguration,
    taskDefinition: d.taskDefinition,
  };
  await tx.put(K.serviceDeployment, d.serviceDeploymentKey, sd, { expectVersion: 0 });
  for (const p of previous) {
    const rec = await tx.get<ServiceDeploymentRecord>(K.serviceDeployment, p.serviceDeploymentKey);
    if (rec && (rec.value.status === "IN_PROGRESS" || rec.value.status === "PENDING")) {
      await tx.put(
        K.serviceDeployment,
        p.serviceDeploymentKey,
        {
          ...rec.value,
          status: "STOP_REQUESTED",
          statusReason: "Superseded by a newer deployment.",
          updatedAt: ctx.now,
        },
        { expectVersion: rec.version },
      );
    }
  }
  const revision: ServiceRevision = {
    serviceRevisionArn: d.serviceRevisionArn,
    serviceArn: svc.arn,
    clusterArn: svc.clusterArn,
    taskDefinition: d.taskDefinition,
    ...(svc.capacityProviderStrategy
      ? { capacityProviderStrategy: svc.capacityProviderStrategy }
      : { launchType: svc.launchType as ServiceRevision["launchType"] }),
    ...(d.platformVersion ? { platformVersion: d.platformVersion, platformFamily: "Linux" } : {}),
    loadBalancers: svc.loadBalancers,
    serviceRegistries: svc.serviceRegistries,
    ...(svc.networkConfiguration ? { networkConfiguration: svc.networkConfiguration } : {}),
    containerImages: [],
    guardDutyEnabled: false,
    serviceConnectConfiguration: { enabled: false },
    createdAt: new Date(ctx.now),
  };
  await tx.put(
    K.serviceRevision,
    `${ctx.region}/${svc.cluster}/${svc.name}#${d.id.slice("ecs-svc/".length)}`,
    { ...revision, createdAt: ctx.now },
  );
}

/** How services reach their load balancers (ECS service load balancing, src/control/load-balancing/). */
export interface ServiceLoadBalancing {
  /** Check a service's loadBalancers against the store and the task definition; returns them normalised. */
  check(
    tx: ReadTx,
    region: string,
    lbs: readonly LoadBalancer[],
    td: StoredTaskDefinition,
  ): Promise<LoadBalancer[]>;
}

/** The role ECS uses for services behind load balancers when CreateService names none. */
const serviceLinkedRole = (accountId: string) =>
  `arn:aws:iam::${accountId}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`;

export function serviceHandlers(store: Store, opts: { loadBalancing?: ServiceLoadBalancing } = {}) {
  const lbs = opts.loadBalancing;
  const create: Handler<CreateServiceRequest, CreateServiceResponse> = (input, ctx) => {
    const name = input.serviceName!;
    if (!NAME.test(name))
      throw invalid("Service name must be 1-255 characters: letters, numbers, hyphens and underscores.");
    refuseUnsupported(input, lbs !== undefined);
    const strategy = (input.schedulingStrategy ?? "REPLICA") as "REPLICA" | "DAEMON";
    if (strategy !== "REPLICA" && strategy !== "DAEMON")
      throw invalid("schedulingStrategy should be one of [REPLICA,DAEMON]");
    if (strategy === "DAEMON") {
      if (input.desiredCount !== undefined) {
        throw invalid(
          "The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again",
        );
      }
      if ((input.placementStrategy ?? []).length > 0) {
        throw invalid(
          "The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again",
        );
      }
    } else if (input.desiredCount === undefined) {
      throw invalid("Desired count is required for services using the REPLICA scheduling strategy.");
    }
    const desired = input.desiredCount ?? 0;
    if (!Number.isInteger(desired) || desired < 0)
      throw invalid("desiredCount must be a non-negative integer.");
    const config = deploymentConfiguration(input.deploymentConfiguration, undefined, strategy);
    const tdConstraintsCount = 0;
    parseConstraints(input.placementConstraints, tdConstraintsCount);
    parseStrategies(input.placementStrategy);
    checkGrace(input.healthCheckGracePeriodSeconds);
    const propagate = checkPropagate(input.propagateTags) ?? "NONE";
    const tags = validateTags(input.tags);
    if (input.clientToken !== undefined && (input.clientToken.length < 1 || input.clientToken.length > 36))
      throw invalid("clientToken must be 1-36 characters.");
    return store.write(async (tx) => {
      const cluster = await activeCluster(tx, ctx, input.cluster);
      const td = await definitionFor(tx, ctx, input.taskDefinition, false);
      parseConstraints(input.placementConstraints, (td.placementConstraints ?? []).length);
      const launch = chooseLaunch(
        input.launchType,
        input.capacityProviderStrategy,
        cluster.defaultCapacityProviderStrategy,
      );
      const launchType = launch.launchType;
      const strategyItems = launch.strategy
        ? validateStrategy(launch.strategy, cluster.capacityProviders)
        : undefined;
      const platformVersion = resolvePlatformVersion(launchType, input.platformVersion);
      const choice = await checkServiceLaunch(tx, ctx, td, {
        launchType,
        schedulingStrategy: strategy,
        placementConstraints: input.placementConstraints ?? [],
        placementStrategy: input.placementStrategy ?? [],
        networkConfiguration: input.networkConfiguration,
      });
      const existing = await getService(tx, ctx.region, cluster.name, name);
      if (existing && existing.value.status !== "INACTIVE")
        throw invalid("Creation of service was not idempotent.");
      const loadBalancers = lbs ? await lbs.check(tx, ctx.region, input.loadBalancers ?? [], td) : [];
      const arn = serviceArn(ctx, cluster.name, name);
      const deployment = newDeployment({
        scope: ctx,
        cluster: cluster.name,
        service: name,
        taskDefinition: td.taskDefinitionArn,
        launchType,
        platformVersion,
        now: ctx.now,
        serviceDeploymentKey: (at, id) => serviceDeploymentKey(ctx.region, cluster.name, name, at, id),
      });
      const svc: ServiceRecord = {
        name,
        arn,
        cluster: cluster.name,
        clusterArn: cluster.arn,
        status: "ACTIVE",
        desiredCount: desired,
        schedulingStrategy: strategy,
        launchType,
        ...(strategyItems ? { capacityProviderStrategy: strategyItems } : {}),
        ...(launchType === "FARGATE" ? { platformVersion: input.platformVersion ?? "LATEST" } : {}),
        ...(choice ? { networkConfiguration: renderNetworkConfiguration(choice) } : {}),
        taskDefinition: td.taskDefinitionArn,
        deploymentConfiguration: config,
        placementConstraints: input.placementConstraints ?? [],
        placementStrategy: input.placementStrategy ?? [],
        loadBalancers,
        serviceRegistries: [],
        ...(input.healthCheckGracePeriodSeconds !== undefined
          ? { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds }
          : {}),
        propagateTags: propagate,
        enableECSManagedTags: input.enableECSManagedTags ?? false,
        createdAt: ctx.now,
        createdBy: ctx.principal.arn,
        ...(input.role
          ? {
              roleArn: input.role.startsWith("arn:")
                ? input.role
                : `arn:aws:iam::${ctx.accountId}:role/${input.role}`,
            }
          : loadBalancers.length > 0 || choice
            ? // Services behind load balancers and awsvpc services use ECS's service-linked role, as on AWS.
              { roleArn: serviceLinkedRole(ctx.accountId) }
            : {}),
        events: [],
        deployments: [deployment],
        tags,
        scheduler: { counted: [], failures: 0, unhealthyReplacements: 0 },
      };
      await putService(tx, ctx.region, svc, existing?.version ?? 0);
      await recordDeployment(tx, ctx, svc, deployment, []);
      return { service: renderService(svc, true) };
    });
  };

  const locate = async (tx: ReadTx, ctx: RequestContext, clusterId: string | undefined, ref: string) => {
    const cluster = await activeCluster(tx, ctx, clusterId);
    const r = serviceRef(ctx, ref);
    if (!r || (r.cluster && r.cluster !== cluster.name)) throw notFound();
    const svc = await getService(tx, ctx.region, cluster.name, r.name);
    if (!svc) throw notFound();
    return { cluster, svc };
  };

  const update: Handler<UpdateServiceRequest, UpdateServiceResponse> = (input, ctx) => {
    refuseUnsupported(input, lbs !== undefined);
    checkGrace(input.healthCheckGracePeriodSeconds);
    const propagate = checkPropagate(input.propagateTags);
    if (
      input.desiredCount !== undefined &&
      (!Number.isInteger(input.desiredCount) || input.desiredCount < 0)
    ) {
      throw invalid("desiredCount must be a non-negative integer.");
    }
    return store.write(async (tx) => {
      const { cluster, svc } = await locate(tx, ctx, input.cluster, input.service!);
      if (svc.value.status !== "ACTIVE")
        throw new AwsError(Errors.ServiceNotActive, "Service was not ACTIVE.");
      const next: ServiceRecord = structuredClone(svc.value);
      if (input.desiredCount !== undefined) {
        if (next.schedulingStrategy === "DAEMON") {
          throw invalid(
            "The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again",
          );
        }
        next.desiredCount = input.desiredCount;
      }
      if (input.deploymentConfiguration)
        next.deploymentConfiguration = deploymentConfiguration(
          input.deploymentConfiguration,
          next.deploymentConfiguration,
          next.schedulingStrategy,
        );
      if (input.placementStrategy !== undefined) {
        if (next.schedulingStrategy === "DAEMON" && input.placementStrategy.length > 0) {
          throw invalid(
            "The daemon scheduling strategy does not support placement strategies. Remove the placement strategy and try again",
          );
        }
        parseStrategies(input.placementStrategy);
        next.placementStrategy = input.placementStrategy;
      }
      if (input.placementConstraints !== undefined) {
        parseConstraints(input.placementConstraints);
        next.placementConstraints = input.placementConstraints;
      }
      if (input.healthCheckGracePeriodSeconds !== undefined)
        next.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
      if (propagate) next.propagateTags = propagate;
      if (input.enableECSManagedTags !== undefined) next.enableECSManagedTags = input.enableECSManagedTags;
      let td: StoredTaskDefinition | undefined;
      if (input.taskDefinition !== undefined) td = await definitionFor(tx, ctx, input.taskDefinition, true);
      const changesDefinition = td !== undefined && td.taskDefinitionArn !== next.taskDefinition;
      // Launch settings: a new strategy, platform version or network configuration makes a new deployment.
      let changesLaunch = false;
      if (input.capacityProviderStrategy !== undefined) {
        const launch = chooseLaunch(
          undefined,
          input.capacityProviderStrategy,
          cluster.defaultCapacityProviderStrategy,
        );
        if (launch.launchType !== next.launchType)
          throw invalid(
            "Updating a service from a launch type to a capacity provider strategy is not supported.",
          );
        if (launch.strategy)
          next.capacityProviderStrategy = validateStrategy(launch.strategy, cluster.capacityProviders);
        changesLaunch = true;
      }
      if (input.platformVersion !== undefined) {
        resolvePlatformVersion(next.launchType, input.platformVersion);
        changesLaunch ||= input.platformVersion !== next.platformVersion;
        next.platformVersion = input.platformVersion;
      }
      if (td || changesLaunch || input.networkConfiguration !== undefined) {
        const definition = td ?? (await definitionFor(tx, ctx, next.taskDefinition, true));
        const choice = await checkServiceLaunch(tx, ctx, definition, {
          ...next,
          networkConfiguration: input.networkConfiguration ?? next.networkConfiguration,
        });
        const rendered = choice ? renderNetworkConfiguration(choice) : undefined;
        changesLaunch ||= JSON.stringify(rendered) !== JSON.stringify(next.networkConfiguration);
        if (rendered) next.networkConfiguration = rendered;
        else delete next.networkConfiguration;
      }
      // Load balancers are checked against the task definition the service will run.
      let changesLoadBalancers = false;
      if (
        lbs &&
        (input.loadBalancers !== undefined || (changesDefinition && next.loadBalancers.length > 0))
      ) {
        const runs = td ?? (await definitionFor(tx, ctx, next.taskDefinition, true));
        const checked = await lbs.check(tx, ctx.region, input.loadBalancers ?? next.loadBalancers, runs);
        changesLoadBalancers = JSON.stringify(checked) !== JSON.stringify(next.loadBalancers);
        next.loadBalancers = checked;
        if (checked.length > 0 && !next.roleArn) next.roleArn = serviceLinkedRole(ctx.accountId);
      }
      if (changesDefinition || changesLaunch || changesLoadBalancers || input.forceNewDeployment) {
        const arn = td?.taskDefinitionArn ?? next.taskDefinition;
        const deployment = newDeployment({
          scope: ctx,
          cluster: cluster.name,
          service: next.name,
          taskDefinition: arn,
          launchType: next.launchType,
          platformVersion: resolvePlatformVersion(next.launchType, next.platformVersion),
          now: ctx.now,
          serviceDeploymentKey: (at, id) => serviceDeploymentKey(ctx.region, cluster.name, next.name, at, id),
        });
        const previous = beginDeployment(next, deployment);
        await recordDeployment(tx, ctx, next, deployment, previous);
      } else if (input.desiredCount !== undefined && input.desiredCount !== svc.value.desiredCount) {
        delete next.scheduler.steadySince;
      }
      const stored = await putService(tx, ctx.region, next, svc.version);
      return { service: renderService(stored.value, true) };
    });
  };

  const del: Handler<DeleteServiceRequest, DeleteServiceResponse> = (input, ctx) =>
    store.write(async (tx) => {
      const { svc } = await locate(tx, ctx, input.cluster, input.service!);
      if (svc.value.status !== "ACTIVE") return { service: renderService(svc.value, false) };
      if (svc.value.schedulingStrategy === "REPLICA" && svc.value.desiredCount > 0 && !input.force) {
        throw invalid("The service cannot be stopped while it is scaled above 0.");
      }
      const next: ServiceRecord = { ...svc.value, status: "DRAINING", desiredCount: 0 };
      const stored = await putService(tx, ctx.region, next, svc.version);
      return { service: renderService(stored.value, false) };
    });

  const describe: Handler<DescribeServicesRequest, DescribeServicesResponse> = (input, ctx) => {
    const refs = input.services ?? [];
    if (refs.length === 0) throw invalid("Services cannot be empty.");
    if (refs.length > 10) throw invalid("service names can have at most 10 items.");
    const withTags = (input.include ?? []).includes("TAGS");
    return store.read(async (tx) => {
      const cluster = await activeCluster(tx, ctx, input.cluster);
      const services: Service[] = [];
      const failures: Failure[] = [];
      for (const ref of refs) {
        const r = serviceRef(ctx, ref);
        const svc =
          r && (!r.cluster || r.cluster === cluster.name)
            ? await getService(tx, ctx.region, cluster.name, r.name)
            : undefined;
        if (svc) services.push(renderService(svc.value, withTags));
        else failures.push({ arn: r ? serviceArn(ctx, cluster.name, r.name) : ref, reason: "MISSING" });
      }
      return { services, failures };
    });
  };

  const list: Handler<ListServicesRequest, ListServicesResponse> = (input, ctx) => {
    if (
      input.launchType !== undefined &&
      !["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"].includes(input.launchType)
    ) {
      throw invalid("launchType should be one of [EC2,FARGATE,EXTERNAL,MANAGED_INSTANCES]");
    }
    if (input.schedulingStrategy !== undefined && !["REPLICA", "DAEMON"].includes(input.schedulingStrategy)) {
      throw invalid("schedulingStrategy should be one of [REPLICA,DAEMON]");
    }
    const listId = `ListServices|${input.launchType ?? ""}|${input.schedulingStrategy ?? ""}`;
    const page = pageOf(listId, { ...input, maxResults: input.maxResults ?? 10 });
    return store.read(async (tx) => {
      const cluster = await activeCluster(tx, ctx, input.cluster);
      const all = (await listServices(tx, ctx.region, cluster.name)).filter(
        (s) =>
          s.value.status === "ACTIVE" &&
          (input.launchType === undefined || s.value.launchType === input.launchType) &&
          (input.schedulingStrategy === undefined ||
            s.value.schedulingStrategy === input.schedulingStrategy) &&
          (page.after === undefined || s.key > page.after),
      );
      const { items, nextToken } = cut(listId, all.slice(0, page.limit + 1), page.limit, (s) => s.key);
      return { serviceArns: items.map((s) => s.value.arn), ...(nextToken ? { nextToken } : {}) };
    });
  };

  const listByNamespace: Handler<ListServicesByNamespaceRequest, ListServicesByNamespaceResponse> = (
    input,
  ) => {
    // Berth has no Cloud Map namespaces (yet), so no namespace a caller names exists.
    throw new AwsError(Errors.NamespaceNotFound, `Namespace not found: ${input.namespace}`);
  };

  const listDeployments: Handler<ListServiceDeploymentsRequest, ListServiceDeploymentsResponse> = (
    input,
    ctx,
  ) => {
    const statuses = new Set(input.status ?? []);
    const listId = `ListServiceDeployments|${input.service}|${[...statuses].join(",")}`;
    const page = pageOf(listId, { ...input, maxResults: input.maxResults ?? 20 });
    return store.read(async (tx) => {
      const { cluster, svc } = await locate(tx, ctx, input.cluster, input.service!);
      const before = input.createdAt?.before?.getTime();
      const after = input.createdAt?.after?.getTime();
      const all = (await listServiceDeployments(tx, ctx.region, cluster.name, svc.value.name))
        .reverse()
        .filter(
          (d) =>
            (statuses.size === 0 || statuses.has(d.value.status)) &&
            (before === undefined || d.value.createdAt < before) &&
            (after === undefined || d.value.createdAt > after) &&
            (page.after === undefined || d.key < page.after),
        );
      const { items, nextToken } = cut(listId, all.slice(0, page.limit + 1), page.limit, (d) => d.key);
      return {
        serviceDeployments: items.map((d) => ({
          serviceDeploymentArn: d.value.arn,
          serviceArn: d.value.serviceArn,
          clusterArn: d.value.clusterArn,
          ...(d.value.startedAt !== undefined ? { startedAt: new Date(d.value.startedAt) } : {}),
          createdAt: new Date(d.value.createdAt),
          ...(d.value.finishedAt !== undefined ? { finishedAt: new Date(d.value.finishedAt) } : {}),
          targetServiceRevisionArn: d.value.targetServiceRevision.arn,
          status: d.value.status,
          ...(d.value.statusReason ? { statusReason: d.value.statusReason } : {}),
        })),
        ...(nextToken ? { nextToken } : {}),
      };
    });
  };

  const describeDeployments: Handler<
    DescribeServiceDeploymentsRequest,
    DescribeServiceDeploymentsResponse
  > = (input, ctx) => {
    const arns = input.serviceDeploymentArns ?? [];
    if (arns.length === 0) throw invalid("serviceDeploymentArns cannot be empty.");
    if (arns.length > 20) throw invalid("serviceDeploymentArns can have at most 20 items.");
    return store.read(async (tx) => {
      const serviceDeployments: ServiceDeployment[] = [];
      const failures: Failure[] = [];
      for (const arn of arns) {
        const found = await findServiceDeployment(tx, ctx, arn);
        if (found) serviceDeployments.push(renderServiceDeployment(found) as ServiceDeployment);
        else failures.push({ arn, reason: "MISSING" });
      }
      return { serviceDeployments, failures };
    });
  };

  const describeRevisions: Handler<DescribeServiceRevisionsRequest, DescribeServiceRevisionsResponse> = (
    input,
    ctx,
  ) => {
    const arns = input.serviceRevisionArns ?? [];
    if (arns.length === 0) throw invalid("serviceRevisionArns cannot be empty.");
    if (arns.length > 20) throw invalid("serviceRevisionArns can have at most 20 items.");
    return store.read(async (tx) => {
      const serviceRevisions: ServiceRevision[] = [];
      const failures: Failure[] = [];
      for (const arn of arns) {
        const a = parseArn(arn);
        const parts = a?.resource.split("/") ?? [];
        const ok =
          a &&
          a.service === "ecs" &&
          a.region === ctx.region &&
          a.accountId === ctx.accountId &&
          parts[0] === "service-revision" &&
          parts.length === 4;
        const rec = ok
          ? await tx.get<ServiceRevision & { createdAt: number }>(
              K.serviceRevision,
              `${ctx.region}/${parts[1]}/${parts[2]}#${parts[3]}`,
            )
          : undefined;
        if (rec) serviceRevisions.push({ ...rec.value, createdAt: new Date(rec.value.createdAt) });
        else failures.push({ arn, reason: "MISSING" });
      }
      return { serviceRevisions, failures };
    });
  };

  return {
    CreateService: create,
    UpdateService: update,
    DeleteService: del,
    DescribeServices: describe,
    ListServices: list,
    ListServicesByNamespace: listByNamespace,
    ListServiceDeployments: listDeployments,
    DescribeServiceDeployments: describeDeployments,
    DescribeServiceRevisions: describeRevisions,
  };
}

async function findServiceDeployment(
  tx: ReadTx,
  ctx: RequestContext,
  arn: string,
): Promise<ServiceDeploymentRecord | undefined> {
  const a = parseArn(arn);
  const parts = a?.resource.split("/") ?? [];
  if (
    a?.service !== "ecs" ||
    a.region !== ctx.region ||
    a.accountId !== ctx.accountId ||
    parts[0] !== "service-deployment" ||
    parts.length !== 4
  )
    return undefined;
  for (const d of await listServiceDeployments(tx, ctx.region, parts[1]!, parts[2]!))
    if (d.value.arn === arn) return d.value;
  return undefined;
}

/** Tagging a service by its (long) ARN. */
export const serviceTaggable = {
  async find(tx: ReadTx, region: string, path: string) {
    const [cluster, name, extra] = path.split("/");
    if (!cluster || !name || extra !== undefined)
      throw invalid("Long arn format must be used for tagging operations");
    return tx.get<ServiceRecord>(K.service, serviceKey(region, cluster, name));
  },
};
