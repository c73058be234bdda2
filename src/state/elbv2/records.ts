/** ELBv2 records as stored: the API's shapes where they fit, with epoch-ms times. */
import type { Action, RuleCondition, Tag } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { LbType } from "../../domain/elbv2/arns.js";

export interface LoadBalancerRecord {
  arn: string;
  name: string;
  id: string;
  type: LbType;
  scheme: "internet-facing" | "internal";
  ipAddressType: "ipv4";
  dnsName: string;
  canonicalHostedZoneId: string;
  createdAt: number;
  /** provisioning until the data plane has applied it, then active. */
  state: "provisioning" | "active" | "failed";
  stateReason?: string;
  vpcId?: string;
  subnets: { subnetId: string; zoneName: string }[];
  securityGroups: string[];
  attributes: Record<string, string>;
  tags: Tag[];
}

export interface HealthCheckSettings {
  enabled: boolean;
  protocol: "HTTP" | "HTTPS" | "TCP";
  /** "traffic-port" or a port number as a string, as the API says it. */
  port: string;
  path?: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** HTTP codes, e.g. "200", "200,202", "200-299" (HTTP and HTTPS checks). */
  matcher?: string;
}

export interface TargetGroupRecord {
  arn: string;
  name: string;
  id: string;
  protocol: "HTTP" | "HTTPS" | "TCP";
  port: number;
  vpcId?: string;
  targetType: "instance" | "ip";
  protocolVersion?: "HTTP1";
  ipAddressType: "ipv4";
  healthCheck: HealthCheckSettings;
  attributes: Record<string, string>;
  tags: Tag[];
  createdAt: number;
}

export interface ListenerRecord {
  arn: string;
  id: string;
  lbArn: string;
  lbName: string;
  lbType: LbType;
  port: number;
  protocol: "HTTP" | "TCP";
  /** The default rule's actions, normalised as DescribeListeners reports them. */
  defaultActions: Action[];
  /** The id of the listener's default rule (its ARN is derived from it). */
  defaultRuleId: string;
  tags: Tag[];
  /** Tags of the default rule (AddTags on its ARN). */
  defaultRuleTags?: Tag[];
  createdAt: number;
}

export interface RuleRecord {
  arn: string;
  id: string;
  listenerArn: string;
  priority: number;
  conditions: RuleCondition[];
  actions: Action[];
  tags: Tag[];
}

export interface TargetRecord {
  tgArn: string;
  /** The target as registered: an instance id (ec2InstanceId of a container instance) or an IP. */
  id: string;
  port: number;
  availabilityZone?: string;
  /** Where the data plane reaches the target. */
  address: string;
  registeredAt: number;
  /** The ECS task that registered it (service load balancing). */
  taskArn?: string;
  /** Set by DeregisterTargets: the target drains until then and is removed afterwards. */
  drainUntil?: number;
}

export type TargetHealthState = "initial" | "healthy" | "unhealthy" | "unused" | "draining" | "unavailable";

/** A target's health as the data plane's own checks last saw it (written on changes only). */
export interface TargetHealthRecord {
  state: "initial" | "healthy" | "unhealthy";
  reason?: string;
  description?: string;
  /** When the state last changed (epoch ms). */
  since: number;
  /** The target has passed a health check since it was registered (it left `initial`). */
  passedOnce: boolean;
}

/** Which listener holds a port of this machine. */
export interface PortClaim {
  listenerArn: string;
  region: string;
}

/** The targets ECS registered for a service task, so that stopping the task deregisters them. */
export interface TaskTargetsRecord {
  taskArn: string;
  cluster: string;
  service: string;
  targets: { tgArn: string; id: string; port: number }[];
  /** The targets have been deregistered (the task is stopping). */
  deregistered: boolean;
}
