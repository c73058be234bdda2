/** CreateRule, ModifyRule, DeleteRule, DescribeRules, SetRulePriorities. */
import type {
  CreateRuleInput,
  CreateRuleOutput,
  DeleteRuleInput,
  DescribeRulesInput,
  DescribeRulesOutput,
  ModifyRuleInput,
  ModifyRuleOutput,
  Rule,
  SetRulePrioritiesInput,
  SetRulePrioritiesOutput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { elbId, ruleArn } from "../../domain/elbv2/arns.js";
import { checkPriority, normalizeActions, normalizeConditions } from "../../domain/elbv2/rules.js";
import { checkTags, invalid, pageOf } from "../../domain/elbv2/validate.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { listRules, ruleKey } from "../../state/elbv2/access.js";
import { ELB } from "../../state/elbv2/kinds.js";
import type { ListenerRecord, RuleRecord } from "../../state/elbv2/records.js";
import type { Store, StoredRecord } from "../../state/store.js";
import type { Handler } from "../service.js";
import { lbIdOf, mustGetLb, mustGetListener, mustGetRule, renderDefaultRule, renderRule } from "./common.js";
import { checkForwardTargets } from "./listeners.js";

const MAX_RULES = 100;

const priorityInUse = (p: number) =>
  new AwsError(Errors.PriorityInUse, `Priority '${p}' is currently in use`);
const defaultRule = (what: string) =>
  new AwsError(Errors.OperationNotPermitted, `The default rule cannot be ${what}`);

function noTransforms(input: {
  Transforms?: unknown[] | undefined;
  ResetTransforms?: boolean | undefined;
}): void {
  if ((input.Transforms?.length ?? 0) > 0 || input.ResetTransforms)
    throw invalid("Berth does not support rule transforms (host header and URL rewrites)");
}

function checkListener(l: ListenerRecord): void {
  if (l.lbType === "network")
    throw invalid("Network Load Balancer listeners have no rules other than the default rule");
}

export function ruleHandlers(store: Store) {
  const create: Handler<CreateRuleInput, CreateRuleOutput> = (input, ctx) => {
    const priority = checkPriority(input.Priority);
    const conditions = normalizeConditions(input.Conditions);
    noTransforms(input);
    const tags = checkTags(input.Tags);
    return store.write(async (tx) => {
      const l = await mustGetListener(tx, ctx, input.ListenerArn!);
      checkListener(l.value);
      const lb = await mustGetLb(tx, ctx, l.value.lbArn);
      const { actions, targetGroupArns } = normalizeActions(input.Actions, lb.value.type);
      await checkForwardTargets(tx, ctx, lb.value, l.value.protocol, targetGroupArns);
      const rules = await listRules(tx, ctx.region, l.value.lbName, l.value.id);
      if (rules.some((r) => r.value.priority === priority)) throw priorityInUse(priority);
      if (rules.length >= MAX_RULES)
        throw new AwsError(
          Errors.TooManyRules,
          `A listener can have at most ${MAX_RULES} rules besides the default rule`,
        );
      const id = elbId();
      const rec: RuleRecord = {
        arn: ruleArn(ctx, l.value.lbType, l.value.lbName, lbIdOf(l.value), l.value.id, id),
        id,
        listenerArn: l.value.arn,
        priority,
        conditions,
        actions,
        tags,
      };
      await tx.put(ELB.rule, ruleKey(ctx.region, l.value.lbName, l.value.id, id), rec, { expectVersion: 0 });
      return { Rules: [renderRule(rec)] };
    });
  };

  const modify: Handler<ModifyRuleInput, ModifyRuleOutput> = (input, ctx) => {
    noTransforms(input);
    return store.write(async (tx) => {
      const found = await mustGetRule(tx, ctx, input.RuleArn!);
      if (found.kind === "default") throw defaultRule("modified; use ModifyListener to change its actions");
      const conditions = input.Conditions !== undefined ? normalizeConditions(input.Conditions) : undefined;
      const lb = await mustGetLb(tx, ctx, found.listener.value.lbArn);
      let actions = found.rec.value.actions;
      if (input.Actions !== undefined) {
        const n = normalizeActions(input.Actions, lb.value.type);
        await checkForwardTargets(tx, ctx, lb.value, found.listener.value.protocol, n.targetGroupArns);
        actions = n.actions;
      }
      const next: RuleRecord = {
        ...found.rec.value,
        conditions: conditions ?? found.rec.value.conditions,
        actions,
      };
      await tx.put(ELB.rule, found.rec.key, next, { expectVersion: found.rec.version });
      return { Rules: [renderRule(next)] };
    });
  };

  const del: Handler<DeleteRuleInput> = async (input, ctx) => {
    await store.write(async (tx) => {
      const found = await mustGetRule(tx, ctx, input.RuleArn!);
      if (found.kind === "default") throw defaultRule("deleted");
      await tx.delete(ELB.rule, found.rec.key);
    });
    return {};
  };

  const describe: Handler<DescribeRulesInput, DescribeRulesOutput> = (input, ctx) => {
    const arns = input.RuleArns ?? [];
    if (input.ListenerArn === undefined && arns.length === 0)
      throw invalid("You must specify either listener ARN or rule ARNs");
    if (input.ListenerArn !== undefined && arns.length > 0)
      throw invalid("Listener ARN and rule ARNs cannot be specified at the same time");
    return store.read(async (tx) => {
      const out: { key: string; rule: Rule }[] = [];
      if (input.ListenerArn !== undefined) {
        const l = await mustGetListener(tx, ctx, input.ListenerArn);
        const rules = (await listRules(tx, ctx.region, l.value.lbName, l.value.id)).sort(
          (a, b) => a.value.priority - b.value.priority,
        );
        for (const r of rules)
          out.push({ key: String(r.value.priority).padStart(5, "0"), rule: renderRule(r.value) });
        out.push({ key: "99999", rule: renderDefaultRule(ctx, l.value) });
      } else {
        for (const [i, arn] of arns.entries()) {
          const found = await mustGetRule(tx, ctx, arn);
          const rule =
            found.kind === "default"
              ? renderDefaultRule(ctx, found.listener.value)
              : renderRule(found.rec.value);
          out.push({ key: String(i).padStart(5, "0"), rule });
        }
      }
      const page = pageOf(out, (r) => r.key, input.Marker, input.PageSize);
      return {
        Rules: page.items.map((r) => r.rule),
        ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}),
      };
    });
  };

  const setPriorities: Handler<SetRulePrioritiesInput, SetRulePrioritiesOutput> = (input, ctx) => {
    const pairs = input.RulePriorities ?? [];
    if (pairs.length === 0) throw invalid("At least one rule priority must be specified");
    for (const p of pairs) checkPriority(p.Priority);
    return store.write(async (tx) => {
      const changed = new Map<string, { rec: StoredRecord<RuleRecord>; priority: number }>();
      const listeners = new Map<string, ListenerRecord>();
      for (const p of pairs) {
        const found = await mustGetRule(tx, ctx, p.RuleArn ?? "");
        if (found.kind === "default") throw defaultRule("given a priority");
        if (changed.has(found.rec.key)) throw invalid(`Rule '${found.rec.value.arn}' is named twice`);
        changed.set(found.rec.key, { rec: found.rec, priority: p.Priority! });
        listeners.set(found.listener.value.arn, found.listener.value);
      }
      // The priorities after the change must be unique within each listener.
      for (const l of listeners.values()) {
        const taken = new Map<number, string>();
        for (const r of await listRules(tx, ctx.region, l.lbName, l.id)) {
          const priority = changed.get(r.key)?.priority ?? r.value.priority;
          if (taken.has(priority)) throw priorityInUse(priority);
          taken.set(priority, r.key);
        }
      }
      const rules: Rule[] = [];
      for (const { rec, priority } of changed.values()) {
        const next = { ...rec.value, priority };
        await tx.put(ELB.rule, rec.key, next, { expectVersion: rec.version });
        rules.push(renderRule(next));
      }
      return { Rules: rules };
    });
  };

  return {
    CreateRule: create,
    ModifyRule: modify,
    DeleteRule: del,
    DescribeRules: describe,
    SetRulePriorities: setPriorities,
  };
}
