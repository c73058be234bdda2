/**
 * Record kinds of ELBv2 state and their key layouts. Names of load balancers and target groups are
 * unique per region, so they key their records; listeners and rules sort under their load
 * balancer. Ports are a property of this machine, not of a region: their claims are global.
 */
export const ELB = {
  /** `${region}/${lbName}` → LoadBalancerRecord */
  loadBalancer: "elbv2.lb",
  /** `${region}/${tgName}` → TargetGroupRecord */
  targetGroup: "elbv2.tg",
  /** `${region}/${lbName}/${listenerId}` → ListenerRecord */
  listener: "elbv2.listener",
  /** `${region}/${lbName}/${listenerId}/${ruleId}` → RuleRecord (not the default rule) */
  rule: "elbv2.rule",
  /** `${region}/${tgName}/${targetId}:${port}` → TargetRecord */
  target: "elbv2.target",
  /** the target's key → TargetHealthRecord, written by the load balancer controller */
  health: "elbv2.health",
  /** `global/${port padded to 5}` → PortClaim: which listener binds a port of this machine */
  port: "elbv2.port",
  /** `${region}/${cluster}/${taskId}` → TaskTargetsRecord: the targets ECS registered for a task */
  taskTargets: "elbv2.task-targets",
} as const;

export const ELB_KINDS: ReadonlySet<string> = new Set(Object.values(ELB));
