/** What the service scheduler takes and gives. See README.md in this folder. */
import type { ServiceDeploymentRecord, ServiceRecord } from "../../state/ecs/services.js";
import type { TaskRecord } from "../../state/ecs/tasks.js";
import type { ClusterSnapshot } from "../cluster-snapshot.js";

export type Health = "healthy" | "unhealthy" | "unknown";

/** A health gate's verdict with its reason: how the task's stop and the service event word it. */
export interface GateVerdict {
  health: Health;
  /** The stopped reason when the task is replaced, e.g. "Task failed ELB health checks in (target-group arn)". */
  reason?: string;
  /** The service event that says why. */
  event?: string;
}

export interface SchedulerInput {
  /** The cluster as it is, services included. */
  snapshot: ClusterSnapshot;
  now: number;
  agentTimeoutMs: number;
  /** Randomness for the random placement strategy. */
  random: () => number;
  /** New ids (task ids are 32 hex characters, others UUIDs); injected to keep planning pure. */
  newId: (kind: "task" | "container" | "event") => string;
  /**
   * A further health verdict on a RUNNING task beyond its container health checks (load balancer
   * target health); "unknown" holds a task back from counting as healthy.
   */
  healthGate?: (service: ServiceRecord, task: TaskRecord) => Health | GateVerdict;
  /** A RUNNING task without health checks counts as healthy this long after it started (ECS: 40 s). */
  settleMs: number;
}

export interface Launch {
  taskId: string;
  containerIds: string[];
  /** The container instance, or for Fargate services the Berth-managed Fargate host. */
  instanceId: string;
  deploymentId: string;
  taskDefinitionArn: string;
  /** Fargate services: FARGATE or FARGATE_SPOT (the service's capacity provider strategy). */
  capacityProviderName?: string;
  /** awsvpc services: the subnet the task's network interface goes in. */
  subnetId?: string;
}

export interface Stop {
  /** The task record key and the version the plan saw. */
  key: string;
  version: number;
  reason: string;
}

export interface ServicePlan {
  serviceKey: string;
  /** The service record version the plan was made from; the applier drops the plan if it moved. */
  serviceVersion: number;
  launches: Launch[];
  stops: Stop[];
  /** The service record after this pass (counts, deployments, events), when it changed. */
  next?: ServiceRecord;
  /** Changes to ServiceDeployment records, by record key. */
  deploymentUpdates: { key: string; patch: Partial<ServiceDeploymentRecord> }[];
}

export interface Plan {
  region: string;
  cluster: string;
  /** The store sequence the snapshot was read at. */
  seq: number;
  services: ServicePlan[];
}
