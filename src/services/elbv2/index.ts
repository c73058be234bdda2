/**
 * Elastic Load Balancing v2 (awsQuery, version 2015-12-01): Application and Network Load Balancers
 * whose listeners bind ports of this machine, served by HAProxy (src/lb/). Handlers only read and
 * write the store; the load balancer controller applies the result to the data plane.
 */
import * as sdk from "@aws-sdk/client-elastic-load-balancing-v2";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import type { Store } from "../../state/store.js";
import type { AuthzResolver, ServiceDefinition } from "../service.js";
import { type ListenerPorts, listenerHandlers } from "./listeners.js";
import { loadBalancerHandlers } from "./load-balancers.js";
import { ruleHandlers } from "./rules.js";
import { tagHandlers } from "./tags.js";
import { targetGroupHandlers } from "./target-groups.js";
import { targetHandlers } from "./targets.js";

export interface Elbv2Deps {
  store: Store;
  /** Whether ports of this machine are free for new listeners (the load balancer controller). */
  ports: ListenerPorts;
}

let model: ServiceModel | undefined;
export const elbv2Model = () => (model ??= new ServiceModel(sdk));

/** Operations act on the resource they name; creations and account-wide lists on `*`. */
const onArn =
  (member: string): AuthzResolver<Record<string, unknown>> =>
  (input) => {
    const v = input[member];
    const arns = Array.isArray(v) ? (v as string[]) : typeof v === "string" ? [v] : [];
    return arns.length > 0 ? arns.map((resource) => ({ resource })) : [{ resource: "*" }];
  };

export function elbv2Service(deps: Elbv2Deps): ServiceDefinition {
  const { store } = deps;
  return {
    id: "elbv2",
    title: "Elastic Load Balancing v2",
    signingName: "elasticloadbalancing",
    protocol: "awsQuery",
    xmlNamespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    model: elbv2Model(),
    validationError: Errors.Validation,
    handlers: {
      ...loadBalancerHandlers(store),
      ...targetGroupHandlers(store),
      ...targetHandlers(store),
      ...listenerHandlers(store, deps.ports),
      ...ruleHandlers(store),
      ...tagHandlers(store),
    },
    authorization: {
      operations: {
        DeleteLoadBalancer: onArn("LoadBalancerArn"),
        DescribeLoadBalancerAttributes: onArn("LoadBalancerArn"),
        ModifyLoadBalancerAttributes: onArn("LoadBalancerArn"),
        ModifyTargetGroup: onArn("TargetGroupArn"),
        DeleteTargetGroup: onArn("TargetGroupArn"),
        DescribeTargetGroupAttributes: onArn("TargetGroupArn"),
        ModifyTargetGroupAttributes: onArn("TargetGroupArn"),
        RegisterTargets: onArn("TargetGroupArn"),
        DeregisterTargets: onArn("TargetGroupArn"),
        DescribeTargetHealth: onArn("TargetGroupArn"),
        CreateListener: onArn("LoadBalancerArn"),
        ModifyListener: onArn("ListenerArn"),
        DeleteListener: onArn("ListenerArn"),
        CreateRule: onArn("ListenerArn"),
        ModifyRule: onArn("RuleArn"),
        DeleteRule: onArn("RuleArn"),
        AddTags: onArn("ResourceArns"),
        RemoveTags: onArn("ResourceArns"),
      } as Record<string, AuthzResolver>,
    },
    notes: {
      CreateLoadBalancer:
        "Types application and network. Listeners bind ports of this machine: internet-facing on all addresses, internal on 127.0.0.1. DNSName is what AWS would print; it does not resolve. Subnets and security groups are recorded, not enforced.",
      DeleteLoadBalancer: "Deletes its listeners and rules; honours deletion protection.",
      ModifyLoadBalancerAttributes:
        "Honoured: deletion_protection.enabled, idle_timeout.timeout_seconds, routing.http.xff_header_processing.mode. Attributes that need AWS infrastructure (access logs, WAF, zonal shift) accept only their default.",
      CreateTargetGroup:
        "Protocols HTTP, HTTPS (to targets, certificates not verified, as ALB does) and TCP; target types instance (the ec2InstanceId of a container instance, reached on this machine) and ip (an IPv4 address in the ranges RegisterTargets allows). Health checks run by HAProxy.",
      ModifyTargetGroupAttributes:
        "Honoured: deregistration_delay.timeout_seconds, stickiness (lb_cookie: cookie AWSALB; source_ip), slow_start.duration_seconds, load_balancing.algorithm.type (round_robin, least_outstanding_requests as least connections, weighted_random), proxy_protocol_v2.enabled, target_health_state.unhealthy.connection_termination.enabled. preserve_client_ip is recorded; targets see this machine's address.",
      RegisterTargets:
        "ip targets must be in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 (as on AWS), 127.0.0.0/8 (servers on this machine) or 198.18.0.0/15 (awsvpc public addresses); publicly routable, link-local (169.254.0.0/16, cloud metadata), multicast and reserved addresses are refused with InvalidTarget. Registration reaches HAProxy through its runtime API without a reload. A new target must pass one health check before it receives traffic; the first check runs within a quarter second.",
      DeregisterTargets:
        "The target drains (no new requests, open ones finish) for the deregistration delay, then its connections are closed and it is removed.",
      DescribeTargetHealth:
        "From HAProxy's own health checks: initial, healthy, unhealthy (Target.ResponseCodeMismatch, Target.Timeout, Target.FailedHealthChecks), draining, unused (Target.NotRegistered, Target.NotInUse).",
      CreateListener:
        "HTTP (Application) and TCP (Network). HTTPS and TLS need a certificate, and Berth has none: they answer CertificateNotFound. UDP is refused (HAProxy does not proxy it). A port can hold one listener on this machine.",
      CreateRule:
        "Conditions path-pattern, host-header, http-header, http-request-method, query-string, source-ip (wildcards; no RegexValues). Actions forward (weighted), redirect, fixed-response. Rule changes reach HAProxy through a hitless reload.",
    },
  };
}
