/**
 * ELBv2 identifiers: ARNs, ids, DNS names and hosted zones, in AWS's formats.
 *
 *   loadbalancer/app/<name>/<16 hex>                    (net/ for Network Load Balancers)
 *   targetgroup/<name>/<16 hex>
 *   listener/app/<lb name>/<lb id>/<16 hex>
 *   listener-rule/app/<lb name>/<lb id>/<listener id>/<16 hex>
 */
import { randomBytes } from "node:crypto";
import { formatArn, parseArn } from "../arn.js";

export interface Scope {
  region: string;
  accountId: string;
}

export type LbType = "application" | "network";

/** The `app`/`net` part of load balancer, listener and rule ARNs. */
export const typeSegment = (t: LbType) => (t === "network" ? "net" : "app");

/** A 16-hex-character resource id, as ELBv2 uses. */
export const elbId = (): string => randomBytes(8).toString("hex");

const arn = (s: Scope, resource: string) =>
  formatArn({ service: "elasticloadbalancing", region: s.region, accountId: s.accountId, resource });

export const loadBalancerArn = (s: Scope, type: LbType, name: string, id: string) =>
  arn(s, `loadbalancer/${typeSegment(type)}/${name}/${id}`);
export const targetGroupArn = (s: Scope, name: string, id: string) => arn(s, `targetgroup/${name}/${id}`);
export const listenerArn = (s: Scope, type: LbType, lbName: string, lbId: string, id: string) =>
  arn(s, `listener/${typeSegment(type)}/${lbName}/${lbId}/${id}`);
export const ruleArn = (
  s: Scope,
  type: LbType,
  lbName: string,
  lbId: string,
  listenerId: string,
  id: string,
) => arn(s, `listener-rule/${typeSegment(type)}/${lbName}/${lbId}/${listenerId}/${id}`);

export type ParsedElbArn =
  | { kind: "loadbalancer"; type: LbType; name: string; id: string }
  | { kind: "targetgroup"; name: string; id: string }
  | { kind: "listener"; type: LbType; lbName: string; lbId: string; id: string }
  | { kind: "listener-rule"; type: LbType; lbName: string; lbId: string; listenerId: string; id: string };

const HEX16 = /^[0-9a-f]{16}$/;
const typeOf = (seg: string | undefined): LbType | undefined =>
  seg === "app" ? "application" : seg === "net" ? "network" : undefined;

/** Parse an ELBv2 ARN of this region and account; undefined for anything else. */
export function parseElbArn(s: Scope, value: string): ParsedElbArn | undefined {
  const a = parseArn(value);
  if (a?.service !== "elasticloadbalancing" || a.region !== s.region || a.accountId !== s.accountId)
    return undefined;
  const p = a.resource.split("/");
  const ids = (from: number) => p.slice(from).every((x) => HEX16.test(x));
  switch (p[0]) {
    case "loadbalancer": {
      const type = typeOf(p[1]);
      if (!type || p.length !== 4 || !ids(3)) return undefined;
      return { kind: "loadbalancer", type, name: p[2]!, id: p[3]! };
    }
    case "targetgroup":
      if (p.length !== 3 || !ids(2)) return undefined;
      return { kind: "targetgroup", name: p[1]!, id: p[2]! };
    case "listener": {
      const type = typeOf(p[1]);
      if (!type || p.length !== 5 || !ids(3)) return undefined;
      return { kind: "listener", type, lbName: p[2]!, lbId: p[3]!, id: p[4]! };
    }
    case "listener-rule": {
      const type = typeOf(p[1]);
      if (!type || p.length !== 6 || !ids(3)) return undefined;
      return { kind: "listener-rule", type, lbName: p[2]!, lbId: p[3]!, listenerId: p[4]!, id: p[5]! };
    }
    default:
      return undefined;
  }
}

/**
 * The DNS name AWS would give the load balancer. Berth does not serve it: listeners are reached at
 * this machine's addresses (see README, "Load balancers").
 */
export function dnsName(region: string, type: LbType, scheme: string, name: string, id: string): string {
  const prefix = scheme === "internal" ? "internal-" : "";
  if (type === "network") return `${prefix}${name}-${id}.elb.${region}.amazonaws.com`;
  // Application Load Balancers carry a decimal number instead of the hex id.
  const n = (BigInt(`0x${id}`) % 9_000_000_000n) + 1_000_000_000n;
  return `${prefix}${name}-${n}.${region}.elb.amazonaws.com`;
}

// Route 53 hosted zones of ELB DNS names, per region (AWS's published table).
const ALB_ZONES: Record<string, string> = {
  "us-east-1": "Z35SXDOTRQ7X7K",
  "us-east-2": "Z3AADJGX6KTTL2",
  "us-west-1": "Z368ELLRRE2KJ0",
  "us-west-2": "Z1H1FL5HABSF5",
  "ca-central-1": "ZQSVJUPU6J1EY",
  "eu-west-1": "Z32O12XQLNTSW2",
  "eu-west-2": "ZHURV8PSTC4K8",
  "eu-west-3": "Z3Q77PNBQS71R4",
  "eu-central-1": "Z215JYRZR1TBD5",
  "eu-north-1": "Z23TAZ6LKFMNIO",
  "ap-northeast-1": "Z14GRHDCWA56QT",
  "ap-southeast-1": "Z1LMS91P8CMLE5",
  "ap-southeast-2": "Z1GM3OXH4ZPM65",
  "ap-south-1": "ZP97RAFLXTNZK",
  "sa-east-1": "Z2P70J7HTTTPLU",
};
const NLB_ZONES: Record<string, string> = {
  "us-east-1": "Z26RNL4JYFTOTI",
  "us-east-2": "ZLMOA37VPKANP",
  "us-west-1": "Z24FKFUX50B4VW",
  "us-west-2": "Z18D5FSROUN65G",
  "eu-west-1": "Z2IFOLAFXWLO4F",
  "eu-west-2": "ZD4D7Y8KGAS4G",
  "eu-west-3": "Z1CMS0P5QUZ6D5",
  "eu-central-1": "Z3F0SRJ5LGBH90",
  "eu-north-1": "Z1UDT6IFJ4EJM",
  "ap-northeast-1": "Z31USIVHYNEOWT",
  "ap-southeast-2": "ZCT6FZBF4DROD",
  "ap-south-1": "ZVDDRBQ08TROA",
  "sa-east-1": "ZTK26PT1VY4CU",
};

export function canonicalHostedZoneId(region: string, type: LbType): string {
  return type === "network"
    ? (NLB_ZONES[region] ?? NLB_ZONES["us-east-1"]!)
    : (ALB_ZONES[region] ?? ALB_ZONES["us-east-1"]!);
}
