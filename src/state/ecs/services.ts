import type {
  CapacityProviderStrategyItem,
  DeploymentConfiguration,
  LoadBalancer,
  NetworkConfiguration,
  PlacementConstraint,
  PlacementStrategy,
  ServiceRegistry,
  Tag,
} from "@aws-sdk/client-ecs";
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { K } from "./kinds.js";

/** One deployment of a service (the API's Deployment, with epoch-ms times). */
export interface DeploymentRecord {
  /** ecs-svc/<19 digits> */
  id: string;
  status: "PRIMARY" | "ACTIVE";
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: number;
  updatedAt: number;
  launchType: string;
  /** Fargate: the platform version the deployment runs (resolved, e.g. 1.4.0). */
  platformVersion?: string;
  rolloutState: "IN_PROGRESS" | "COMPLETED" | "FAILED";
  rolloutStateReason: string;
  /** The ServiceDeployment (ListServiceDeployments) this deployment is, and its record key. */
  serviceDeploymentArn: string;
  serviceDeploymentKey: string;
  /** The service revision it deploys. */
  serviceRevisionArn: string;
  /** Set when this deployment is a circuit-breaker rollback: the failed deployment's record key. */
  rollbackOf?: string;
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

export interface ServiceRecord {
  name: string;
  arn: string;
  cluster: string;
  clusterArn: string;
  status: "ACTIVE" | "DRAINING" | "INACTIVE";
  desiredCount: number;
  schedulingStrategy: "REPLICA" | "DAEMON";
  /** EC2 or FARGATE; with a capacity provider strategy, FARGATE (the API then shows the strategy instead). */
  launchType: string;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** Fargate: the platform version asked for (LATEST by default). */
  platformVersion?: string;
  taskDefinition: string;
  deploymentConfiguration: Required<
    Pick<DeploymentConfiguration, "maximumPercent" | "minimumHealthyPercent">
  > & {
    deploymentCircuitBreaker: {
      enable: boolean;
      rollback: boolean;
      /** Absent means true: a healthy task of the deployment resets the failure count. */
      resetOnHealthyTask?: boolean;
      thresholdConfiguration?: { type: "COUNT" | "BOUNDED_PERCENT" | "UNBOUNDED_PERCENT"; value: number };
    };
  };
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  loadBalancers: LoadBalancer[];
  serviceRegistries: ServiceRegistry[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  propagateTags: "NONE" | "TASK_DEFINITION" | "SERVICE";
  enableECSManagedTags: boolean;
  createdAt: number;
  createdBy: string;
  roleArn?: string;
  /** Newest first, at most MAX_EVENTS. */
  events: ServiceEvent[];
  /** PRIMARY first. */
  deployments: DeploymentRecord[];
  tags: Tag[];
  /** Scheduler bookkeeping. */
  scheduler: {
    /** The service reached a steady state (to report it once, then every 6 hours). */
    steadySince?: number;
    lastSteadyEventAt?: number;
    /** Launches wait until this time after repeated start failures. */
    throttledUntil?: number;
    /**
     * The start throttle's memory: consecutive failed starts of the primary's tasks, the newest
     * failure's time, and the failed tasks already counted.
     */
    startFailures?: { count: number; lastAt: number; seen: string[] };
    /** Task ids already counted as failures for the primary deployment's circuit breaker. */
    counted: string[];
    /** The primary deployment's consecutive failures (the circuit breaker's failureCount). */
    failures: number;
    /** The last deployment that completed: what a circuit-breaker rollback goes back to. */
    lastCompleted?: {
      id: string;
      taskDefinition: string;
      serviceRevisionArn: string;
      serviceDeploymentKey: string;
    };
    /** Unhealthy tasks stopped whose replacements have not started yet (for the event wording). */
    unhealthyReplacements: number;
    /** Unhealthy tasks (ids) kept running while their replacements start (steady state), counted once. */
    replacing?: string[];
    /** The last placement-failure message, not repeated within a few minutes. */
    lastPlacementFailure?: { message: string; at: number };
  };
}

/** A service deployment as ListServiceDeployments/DescribeServiceDeployments report it. */
export interface ServiceDeploymentRecord {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  service: string;
  deploymentId: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  stoppedAt?: number;
  updatedAt: number;
  sourceServiceRevisions: {
    arn: string;
    requestedTaskCount: number;
    runningTaskCount: number;
    pendingTaskCount: number;
  }[];
  targetServiceRevision: {
    arn: string;
    requestedTaskCount: number;
    runningTaskCount: number;
    pendingTaskCount: number;
  };
  status:
    | "PENDING"
    | "SUCCESSFUL"
    | "STOPPED"
    | "STOP_REQUESTED"
    | "IN_PROGRESS"
    | "ROLLBACK_REQUESTED"
    | "ROLLBACK_IN_PROGRESS"
    | "ROLLBACK_SUCCESSFUL"
    | "ROLLBACK_FAILED";
  statusReason?: string;
  deploymentConfiguration: ServiceRecord["deploymentConfiguration"];
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string };
  deploymentCircuitBreaker?: {
    status: "TRIGGERED" | "MONITORING" | "MONITORING_COMPLETE" | "DISABLED";
    failureCount: number;
    threshold: number;
  };
  taskDefinition: string;
}

export const serviceKey = (region: string, cluster: string, name: string) => `${region}/${cluster}/${name}`;

export const getService = (tx: ReadTx, region: string, cluster: string, name: string) =>
  tx.get<ServiceRecord>(K.service, serviceKey(region, cluster, name));

export const putService = (tx: WriteTx, region: string, rec: ServiceRecord, expectVersion: number) =>
  tx.put(K.service, serviceKey(region, rec.cluster, rec.name), rec, { expectVersion });

export const listServices = (
  tx: ReadTx,
  region: string,
  cluster: string,
): Promise<StoredRecord<ServiceRecord>[]> =>
  tx.scan<ServiceRecord>(K.service, { prefix: `${region}/${cluster}/` });

// ServiceDeployment records sort by service, then creation (zero-padded ms), then id.
export const serviceDeploymentKey = (
  region: string,
  cluster: string,
  service: string,
  createdAt: number,
  id: string,
) => `${region}/${cluster}/${service}#${String(createdAt).padStart(15, "0")}#${id}`;

export const listServiceDeployments = (tx: ReadTx, region: string, cluster: string, service: string) =>
  tx.scan<ServiceDeploymentRecord>(K.serviceDeployment, { prefix: `${region}/${cluster}/${service}#` });
