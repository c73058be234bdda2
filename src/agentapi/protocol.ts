/**
 * The agent API: how an agent and the control plane talk, in-process (`berth up`) or across
 * machines (`berth agent`) alike. Plain JSON over HTTP under /_berth/agent/v1/:
 *
 *   POST register  join token → container instance + instance token (or resume with the token)
 *   POST poll      long-poll for the instance's desired tasks; returns at once when they changed
 *   POST report    actual state of tasks and containers, as the agent knows it
 *   POST logs      container output for CloudWatch Logs (awslogs)
 *   POST credentials  a task's role or execution role credentials (the task must be on the instance)
 *
 * Every call but register carries `authorization: Bearer <instance token>`.
 */
import type { Attribute, TaskOverride } from "@aws-sdk/client-ecs";
import type { StoredTaskDefinition } from "../domain/ecs/task-definition.js";

export const AGENT_API_PREFIX = "/_berth/agent/v1/";

export interface RegisterRequest {
  /** The join token `berth up` prints; needed for a new instance. */
  joinToken?: string;
  /** To resume an instance after an agent restart (keeps its identity and its containers). */
  resume?: { containerInstanceArn: string; instanceToken: string };
  region: string;
  cluster: string;
  /** Shown as ec2InstanceId; unique per cluster. */
  name: string;
  /** Register as Berth-managed Fargate capacity for the region (cluster is then ignored). */
  fargate?: boolean;
  resources: { cpu: number; memoryMiB: number; reservedPorts: number[]; reservedUdpPorts: number[] };
  attributes: Attribute[];
  versionInfo: { agentVersion: string; agentHash: string; dockerVersion: string };
}

export interface RegisterResponse {
  containerInstanceArn: string;
  instanceToken: string;
  region: string;
  cluster: string;
  clusterArn: string;
  accountId: string;
}

/** A security group rule as the data path enforces it: peers resolved to IPv4 CIDRs. */
export interface NetworkRuleSpec {
  /** "-1" (all), "tcp", "udp", "icmp", or a protocol number. */
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
}

/** An awsvpc task's interface and what its security groups allow (see docs/ARCHITECTURE.md). */
export interface TaskNetworkSpec {
  eniId: string;
  attachmentId: string;
  macAddress: string;
  privateIp: string;
  subnetId: string;
  subnetCidr: string;
  /** The subnet's router (network + 1): the task's default gateway. */
  gateway: string;
  vpcId: string;
  vpcCidr: string;
  /** The VPC's DNS server (VPC network + 2) and the search domain. */
  dnsServer: string;
  dnsSearch: string;
  privateDnsName: string;
  /** A local "public" address this host routes to the task (assignPublicIp ENABLED). */
  publicIp?: string;
  ingress: NetworkRuleSpec[];
  egress: NetworkRuleSpec[];
}

/** A task as the agent must run it. */
export interface DesiredTask {
  taskArn: string;
  clusterArn: string;
  desiredStatus: "RUNNING" | "STOPPED";
  /** What the control plane last accepted from the agent. */
  lastStatus: string;
  taskDefinition: StoredTaskDefinition;
  overrides: TaskOverride;
  /** Container ARNs by container name. */
  containerArns: Record<string, string>;
  launchType: string;
  group?: string;
  startedBy?: string;
  availabilityZone: string;
  createdAt: number;
  /** Set when the control plane asked the task to stop. */
  stopCode?: string;
  /**
   * Epoch ms before which a task asked to stop keeps running (DEACTIVATING): its load balancer
   * targets are draining.
   */
  stopNotBefore?: number;
  stoppedReason?: string;
  /** awsvpc tasks: the interface to set up and the security group rules to enforce. */
  network?: TaskNetworkSpec;
  /** Fargate tasks: ephemeral storage in GiB. */
  ephemeralStorageGiB?: number;
  /** Changes whenever anything above changes (network rules excepted: they change the poll digest). */
  version: number;
}

export interface PollRequest {
  /** The `digest` of the last poll response; the call waits while nothing has changed. */
  since?: string;
  /** How long to wait for a change, at most. */
  waitMs?: number;
}

export interface PollResponse {
  digest: string;
  instanceStatus: string;
  tasks: DesiredTask[];
}

/** One port (containerPort, hostPort) or, for a containerPortRange, the whole range (as ECS reports it). */
export interface NetworkBindingReport {
  bindIP: string;
  containerPort?: number;
  hostPort?: number;
  protocol: "tcp" | "udp";
  containerPortRange?: string;
  hostPortRange?: string;
}

export interface ContainerReport {
  name: string;
  lastStatus: "PENDING" | "RUNNING" | "STOPPED";
  runtimeId?: string;
  imageDigest?: string;
  exitCode?: number;
  reason?: string;
  networkBindings?: NetworkBindingReport[];
  healthStatus?: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
}

export interface TaskReport {
  taskArn: string;
  lastStatus: string;
  healthStatus?: "HEALTHY" | "UNHEALTHY" | "UNKNOWN";
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  executionStoppedAt?: number;
  stoppedAt?: number;
  /** When the agent stops a task on its own (an essential container exited, a start failed). */
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerReport[];
}

export interface ReportRequest {
  tasks: TaskReport[];
}

/** Credentials for a task's role or execution role. */
export interface CredentialsRequest {
  taskArn: string;
  role: "task" | "execution";
}

export interface CredentialsResponse {
  roleArn: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiration: number;
}

/**
 * Registry credentials for pulling a task's image from Berth's own registry when the task has no
 * execution role, as an EC2 instance role would pull from ECR: a short login that may only pull the
 * repositories the task's images name in that registry (see server.ts `registryAuth`).
 */
export interface RegistryAuthRequest {
  taskArn: string;
  /** The registry: a region. */
  region: string;
}

export interface RegistryAuthResponse {
  username: string;
  password: string;
}

export interface LogBatch {
  logGroupName: string;
  logStreamName: string;
  createGroup: boolean;
  events: { timestamp: number; message: string }[];
}

export interface LogsRequest {
  batches: LogBatch[];
  /** The region of the batches' log groups (a container's awslogs-region); the instance's when absent. */
  region?: string;
}
