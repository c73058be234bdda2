/** Shared by ELBv2 handlers: lookups by ARN with ELBv2's not-found errors, usage maps, output shapes. */
import type { Listener, LoadBalancer, Rule, TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import { type ParsedElbArn, parseElbArn, ruleArn } from "../../domain/elbv2/arns.js";
import { invalid } from "../../domain/elbv2/validate.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getLb, getListener, getRule, getTg } from "../../state/elbv2/access.js";
import type {
  ListenerRecord,
  LoadBalancerRecord,
  RuleRecord,
  TargetGroupRecord,
} from "../../state/elbv2/records.js";
import type { ReadTx, StoredRecord } from "../../state/store.js";
import type { RequestContext } from "../service.js";

export const lbNotFound = () =>
  new AwsError(Errors.LoadBalancerNotFound, "One or more load balancers not found");
export const tgNotFound = () =>
  new AwsError(Errors.TargetGroupNotFound, "One or more target groups not found");
export const listenerNotFound = () =>
  new AwsError(Errors.ListenerNotFound, "One or more listeners not found");
export const ruleNotFound = () => new AwsError(Errors.RuleNotFound, "One or more rules not found");

const ARN_SHAPE: Record<ParsedElbArn["kind"], RegExp> = {
  loadbalancer:
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]*:\d{12}:loadbalancer\/(app|net)\/[^/]+\/[^/]+$/,
  targetgroup: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]*:\d{12}:targetgroup\/[^/]+\/[^/]+$/,
  listener:
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]*:\d{12}:listener\/(app|net)\/[^/]+\/[^/]+\/[^/]+$/,
  "listener-rule":
    /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]*:\d{12}:listener-rule\/(app|net)\/[^/]+\/[^/]+\/[^/]+\/[^/]+$/,
};
const KIND_TEXT: Record<ParsedElbArn["kind"], string> = {
  loadbalancer: "load balancer",
  targetgroup: "target group",
  listener: "listener",
  "listener-rule": "listener rule",
};

/** Refuse a string that is not shaped like an ARN of this kind (ValidationError, as ELBv2 answers). */
export function checkArn(arn: string, kind: ParsedElbArn["kind"]): void {
  if (!ARN_SHAPE[kind].test(arn)) throw invalid(`'${arn}' is not a valid ${KIND_TEXT[kind]} ARN`);
}

export async function findLb(
  tx: ReadTx,
  ctx: RequestContext,
  arn: string,
): Promise<StoredRecord<LoadBalancerRecord> | undefined> {
  checkArn(arn, "loadbalancer");
  const p = parseElbArn(ctx, arn);
  if (p?.kind !== "loadbalancer") return undefined;
  const rec = await getLb(tx, ctx.region, p.name);
  return rec && rec.value.arn === arn ? rec : undefined;
}

export async function mustGetLb(tx: ReadTx, ctx: RequestContext, arn: string) {
  const rec = await findLb(tx, ctx, arn);
  if (!rec) throw lbNotFound();
  return rec;
}

export async function findTg(
  tx: ReadTx,
  ctx: RequestContext,
  arn: string,
): Promise<StoredRecord<TargetGroupRecord> | undefined> {
  checkArn(arn, "targetgroup");
  const p = parseElbArn(ctx, arn);
  if (p?.kind !== "targetgroup") return undefined;
  const rec = await getTg(tx, ctx.region, p.name);
  return rec && rec.value.arn === arn ? rec : undefined;
}

export async function mustGetTg(tx: ReadTx, ctx: RequestContext, arn: string) {
  const rec = await findTg(tx, ctx, arn);
  if (!rec) throw tgNotFound();
  return rec;
}

export async function findListener(
  tx: ReadTx,
  ctx: RequestContext,
  arn: string,
): Promise<StoredRecord<ListenerRecord> | undefined> {
  checkArn(arn, "listener");
  const p = parseElbArn(ctx, arn);
  if (p?.kind !== "listener") return undefined;
  const rec = await getListener(tx, ctx.region, p.lbName, p.id);
  return rec && rec.value.arn === arn ? rec : undefined;
}

export async function mustGetListener(tx: ReadTx, ctx: RequestContext, arn: string) {
  const rec = await findListener(tx, ctx, arn);
  if (!rec) throw listenerNotFound();
  return rec;
}

/** A rule by ARN: a stored rule, or a listener's default rule. */
export type FoundRule =
  | { kind: "rule"; rec: StoredRecord<RuleRecord>; listener: StoredRecord<ListenerRecord> }
  | { kind: "default"; listener: StoredRecord<ListenerRecord> };

export async function findRule(tx: ReadTx, ctx: RequestContext, arn: string): Promise<FoundRule | undefined> {
  checkArn(arn, "listener-rule");
  const p = parseElbArn(ctx, arn) as Extract<ParsedElbArn, { kind: "listener-rule" }> | undefined;
  if (p?.kind !== "listener-rule") return undefined;
  const listener = await getListener(tx, ctx.region, p.lbName, p.listenerId);
  if (!listener || !arn.startsWith(listener.value.arn.replace(":listener/", ":listener-rule/")))
    return undefined;
  if (listener.value.defaultRuleId === p.id) return { kind: "default", listener };
  const rec = await getRule(tx, ctx.region, p.lbName, p.listenerId, p.id);
  return rec && rec.value.arn === arn ? { kind: "rule", rec, listener } : undefined;
}

export async function mustGetRule(tx: ReadTx, ctx: RequestContext, arn: string): Promise<FoundRule> {
  const r = await findRule(tx, ctx, arn);
  if (!r) throw ruleNotFound();
  return r;
}

/** The ARN of a listener's default rule. */
export function defaultRuleArn(ctx: RequestContext, l: ListenerRecord, lbId: string): string {
  return ruleArn(ctx, l.lbType, l.lbName, lbId, l.id, l.defaultRuleId);
}

export const lbIdOf = (l: ListenerRecord) => l.lbArn.slice(l.lbArn.lastIndexOf("/") + 1);

export { forwardedGroups, targetGroupUsage } from "../../state/elbv2/usage.js";

// --- Output shapes ----------------------------------------------------------------------------

export function renderLb(lb: LoadBalancerRecord): LoadBalancer {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: lb.canonicalHostedZoneId,
    CreatedTime: new Date(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    ...(lb.vpcId ? { VpcId: lb.vpcId } : {}),
    State: { Code: lb.state, ...(lb.stateReason ? { Reason: lb.stateReason } : {}) },
    Type: lb.type,
    AvailabilityZones: lb.subnets.map((s) => ({
      ZoneName: s.zoneName,
      SubnetId: s.subnetId,
      ...(lb.type === "network" ? { LoadBalancerAddresses: [] } : {}),
    })),
    ...(lb.securityGroups.length > 0 ? { SecurityGroups: lb.securityGroups } : {}),
    IpAddressType: lb.ipAddressType,
  };
}

export function renderTg(tg: TargetGroupRecord, lbArns: readonly string[]): TargetGroup {
  const hc = tg.healthCheck;
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    ...(tg.vpcId ? { VpcId: tg.vpcId } : {}),
    HealthCheckProtocol: hc.protocol,
    HealthCheckPort: hc.port,
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThreshold,
    UnhealthyThresholdCount: hc.unhealthyThreshold,
    ...(hc.path !== undefined ? { HealthCheckPath: hc.path } : {}),
    ...(hc.matcher !== undefined ? { Matcher: { HttpCode: hc.matcher } } : {}),
    LoadBalancerArns: [...lbArns],
    TargetType: tg.targetType,
    ...(tg.protocolVersion ? { ProtocolVersion: tg.protocolVersion } : {}),
    IpAddressType: tg.ipAddressType,
  };
}

export function renderListener(l: ListenerRecord): Listener {
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.lbArn,
    Port: l.port,
    Protocol: l.protocol,
    DefaultActions: l.defaultActions,
  };
}

export function renderRule(r: RuleRecord): Rule {
  return {
    RuleArn: r.arn,
    Priority: String(r.priority),
    Conditions: r.conditions,
    Actions: r.actions,
    IsDefault: false,
  };
}

export function renderDefaultRule(ctx: RequestContext, l: ListenerRecord): Rule {
  return {
    RuleArn: defaultRuleArn(ctx, l, lbIdOf(l)),
    Priority: "default",
    Conditions: [],
    Actions: l.defaultActions,
    IsDefault: true,
  };
}
