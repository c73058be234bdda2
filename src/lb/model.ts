/**
 * The data plane as the store describes it: one frontend per listener, one backend per target
 * group a listener or rule forwards to, one server per registered target. Read in one transaction
 * across every region (listener ports belong to this machine, not to a region).
 */
import type { Action, RuleCondition } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ELB } from "../state/elbv2/kinds.js";
import type {
  HealthCheckSettings,
  ListenerRecord,
  LoadBalancerRecord,
  RuleRecord,
  TargetGroupRecord,
  TargetHealthRecord,
  TargetRecord,
} from "../state/elbv2/records.js";
import type { ReadTx } from "../state/store.js";

export interface RuleView {
  priority: number;
  conditions: RuleCondition[];
  actions: Action[];
}

export interface Frontend {
  /** l_<listener id> */
  name: string;
  listenerArn: string;
  lbArn: string;
  lbType: "application" | "network";
  /** 0.0.0.0 for internet-facing load balancers, 127.0.0.1 for internal ones. */
  bindAddress: string;
  port: number;
  /** Rules by priority, then the default actions. */
  rules: RuleView[];
  defaultActions: Action[];
  attributes: Record<string, string>;
}

export interface Server {
  /** The target's record key (region/tg/id:port). */
  key: string;
  /** HAProxy's server name, derived from the key. */
  name: string;
  target: TargetRecord;
  health: TargetHealthRecord | undefined;
}

export interface Backend {
  /** tg_<target group id> */
  name: string;
  tgArn: string;
  protocol: TargetGroupRecord["protocol"];
  healthCheck: HealthCheckSettings;
  attributes: Record<string, string>;
  /** The idle timeout of the load balancer that uses the group. */
  idleTimeoutSeconds: number;
  lbType: "application" | "network";
  servers: Server[];
}

export interface DataPlane {
  frontends: Frontend[];
  backends: Backend[];
  /** Load balancers still provisioning, by record key. */
  provisioning: string[];
}

export const frontendName = (listenerId: string) => `l_${listenerId}`;
export const backendName = (tgId: string) => `tg_${tgId}`;

/** A server name HAProxy accepts, unique per target key and readable enough in `show stat`. */
export function serverName(key: string, t: Pick<TargetRecord, "id" | "port">): string {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619) >>> 0;
  const id = t.id.replace(/[^A-Za-z0-9]/g, "_").slice(0, 40);
  return `t_${id}_${t.port}_${h.toString(16).padStart(8, "0")}`;
}

const forwarded = (actions: readonly Action[]) =>
  actions.flatMap((a) =>
    a.Type === "forward" ? (a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn!) : [],
  );

export async function readDataPlane(tx: ReadTx): Promise<DataPlane> {
  const lbs = await tx.scan<LoadBalancerRecord>(ELB.loadBalancer);
  const lbByArn = new Map(lbs.map((l) => [l.value.arn, l.value]));
  const listeners = await tx.scan<ListenerRecord>(ELB.listener);
  const rules = await tx.scan<RuleRecord>(ELB.rule);
  const rulesByListener = new Map<string, RuleRecord[]>();
  for (const r of rules) {
    const list = rulesByListener.get(r.value.listenerArn) ?? [];
    list.push(r.value);
    rulesByListener.set(r.value.listenerArn, list);
  }
  const frontends: Frontend[] = [];
  const usedBy = new Map<string, LoadBalancerRecord>();
  for (const l of listeners) {
    const lb = lbByArn.get(l.value.lbArn);
    if (!lb) continue;
    const ruleViews = (rulesByListener.get(l.value.arn) ?? [])
      .sort((a, b) => a.priority - b.priority)
      .map((r) => ({ priority: r.priority, conditions: r.conditions, actions: r.actions }));
    frontends.push({
      name: frontendName(l.value.id),
      listenerArn: l.value.arn,
      lbArn: lb.arn,
      lbType: lb.type,
      bindAddress: lb.scheme === "internal" ? "127.0.0.1" : "0.0.0.0",
      port: l.value.port,
      rules: ruleViews,
      defaultActions: l.value.defaultActions,
      attributes: lb.attributes,
    });
    for (const tg of [
      ...forwarded(l.value.defaultActions),
      ...ruleViews.flatMap((r) => forwarded(r.actions)),
    ])
      usedBy.set(tg, lb);
  }
  frontends.sort((a, b) => a.port - b.port);
  const backends: Backend[] = [];
  const tgs = await tx.scan<TargetGroupRecord>(ELB.targetGroup);
  for (const tg of tgs) {
    const lb = usedBy.get(tg.value.arn);
    if (!lb) continue;
    const region = tg.key.slice(0, tg.key.indexOf("/"));
    const targets = await tx.scan<TargetRecord>(ELB.target, { prefix: `${region}/${tg.value.name}/` });
    const servers: Server[] = [];
    for (const t of targets) {
      if (t.value.tgArn !== tg.value.arn) continue;
      const h = await tx.get<TargetHealthRecord>(ELB.health, t.key);
      servers.push({ key: t.key, name: serverName(t.key, t.value), target: t.value, health: h?.value });
    }
    backends.push({
      name: backendName(tg.value.id),
      tgArn: tg.value.arn,
      protocol: tg.value.protocol,
      healthCheck: tg.value.healthCheck,
      attributes: tg.value.attributes,
      idleTimeoutSeconds: Number(
        lb.attributes["idle_timeout.timeout_seconds"] ?? (lb.type === "network" ? 350 : 60),
      ),
      lbType: lb.type,
      servers,
    });
  }
  backends.sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    frontends,
    backends,
    provisioning: lbs.filter((l) => l.value.state === "provisioning").map((l) => l.key),
  };
}
