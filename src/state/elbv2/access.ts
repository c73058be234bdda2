/** Keys and accessors of ELBv2 records (layouts in kinds.ts). */
import type { ReadTx, StoredRecord, WriteTx } from "../store.js";
import { ELB } from "./kinds.js";
import type {
  ListenerRecord,
  LoadBalancerRecord,
  PortClaim,
  RuleRecord,
  TargetGroupRecord,
  TargetHealthRecord,
  TargetRecord,
  TaskTargetsRecord,
} from "./records.js";

export const lbKey = (region: string, name: string) => `${region}/${name}`;
export const tgKey = (region: string, name: string) => `${region}/${name}`;
export const listenerKey = (region: string, lbName: string, id: string) => `${region}/${lbName}/${id}`;
export const ruleKey = (region: string, lbName: string, listenerId: string, id: string) =>
  `${region}/${lbName}/${listenerId}/${id}`;
export const targetKey = (region: string, tgName: string, id: string, port: number) =>
  `${region}/${tgName}/${id}:${port}`;
export const portKey = (port: number) => `global/${String(port).padStart(5, "0")}`;
export const taskTargetsKey = (region: string, cluster: string, taskId: string) =>
  `${region}/${cluster}/${taskId}`;

export const getLb = (tx: ReadTx, region: string, name: string) =>
  tx.get<LoadBalancerRecord>(ELB.loadBalancer, lbKey(region, name));
export const listLbs = (tx: ReadTx, region: string) =>
  tx.scan<LoadBalancerRecord>(ELB.loadBalancer, { prefix: `${region}/` });

export const getTg = (tx: ReadTx, region: string, name: string) =>
  tx.get<TargetGroupRecord>(ELB.targetGroup, tgKey(region, name));
export const listTgs = (tx: ReadTx, region: string) =>
  tx.scan<TargetGroupRecord>(ELB.targetGroup, { prefix: `${region}/` });

export const getListener = (tx: ReadTx, region: string, lbName: string, id: string) =>
  tx.get<ListenerRecord>(ELB.listener, listenerKey(region, lbName, id));
/** A region's listeners, or one load balancer's. */
export const listListeners = (tx: ReadTx, region: string, lbName?: string) =>
  tx.scan<ListenerRecord>(ELB.listener, { prefix: lbName ? `${region}/${lbName}/` : `${region}/` });

export const getRule = (tx: ReadTx, region: string, lbName: string, listenerId: string, id: string) =>
  tx.get<RuleRecord>(ELB.rule, ruleKey(region, lbName, listenerId, id));
/** A listener's rules (not the default rule), or every rule of a load balancer. */
export async function listRules(
  tx: ReadTx,
  region: string,
  lbName: string,
  listenerId?: string,
): Promise<StoredRecord<RuleRecord>[]> {
  return tx.scan<RuleRecord>(ELB.rule, {
    prefix: listenerId ? `${region}/${lbName}/${listenerId}/` : `${region}/${lbName}/`,
  });
}

export const getTarget = (tx: ReadTx, key: string) => tx.get<TargetRecord>(ELB.target, key);
export const listTargets = (tx: ReadTx, region: string, tgName: string) =>
  tx.scan<TargetRecord>(ELB.target, { prefix: `${region}/${tgName}/` });
export const getHealth = (tx: ReadTx, key: string) => tx.get<TargetHealthRecord>(ELB.health, key);

export async function deleteTarget(tx: WriteTx, key: string): Promise<void> {
  await tx.delete(ELB.target, key);
  await tx.delete(ELB.health, key);
}

export const getPortClaim = (tx: ReadTx, port: number) => tx.get<PortClaim>(ELB.port, portKey(port));

export const getTaskTargets = (tx: ReadTx, key: string) => tx.get<TaskTargetsRecord>(ELB.taskTargets, key);

/** A target group by ARN within a region (undefined when the ARN names none). */
export async function getTgByArn(tx: ReadTx, region: string, arn: string) {
  const m = /^arn:[^:]+:elasticloadbalancing:[^:]*:\d{12}:targetgroup\/([^/]+)\/[0-9a-f]{16}$/.exec(arn);
  if (!m) return undefined;
  const rec = await getTg(tx, region, m[1]!);
  return rec && rec.value.arn === arn ? rec : undefined;
}
