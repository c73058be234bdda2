/** CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup, DeleteTargetGroup and target group attributes. */
import type {
  CreateTargetGroupInput,
  CreateTargetGroupOutput,
  DeleteTargetGroupInput,
  DescribeTargetGroupAttributesInput,
  DescribeTargetGroupAttributesOutput,
  DescribeTargetGroupsInput,
  DescribeTargetGroupsOutput,
  ModifyTargetGroupAttributesInput,
  ModifyTargetGroupAttributesOutput,
  ModifyTargetGroupInput,
  ModifyTargetGroupOutput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { elbId, targetGroupArn } from "../../domain/elbv2/arns.js";
import { applyTgAttributes, defaultTgAttributes } from "../../domain/elbv2/attributes.js";
import { healthCheckSettings } from "../../domain/elbv2/health-check.js";
import { checkName, checkPort, checkTags, invalid, pageOf } from "../../domain/elbv2/validate.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { deleteTarget, getTg, listTargets, listTgs, tgKey } from "../../state/elbv2/access.js";
import { ELB } from "../../state/elbv2/kinds.js";
import type { TargetGroupRecord } from "../../state/elbv2/records.js";
import type { Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import { findTg, mustGetLb, mustGetTg, renderTg, targetGroupUsage, tgNotFound } from "./common.js";

const MAX_TARGET_GROUPS = 3000;

const attributesOut = (a: Record<string, string>) =>
  Object.entries(a).map(([Key, Value]) => ({ Key, Value }));

function protocolOf(p: string | undefined): TargetGroupRecord["protocol"] {
  if (p === undefined)
    throw invalid("A protocol must be specified for target groups with target type 'instance' or 'ip'");
  if (p === "HTTP" || p === "HTTPS" || p === "TCP") return p;
  if (["UDP", "TCP_UDP", "QUIC", "TCP_QUIC"].includes(p))
    throw new AwsError(
      Errors.UnsupportedProtocol,
      `Berth's load balancer data plane (HAProxy) does not proxy UDP; protocol '${p}' is not supported`,
    );
  if (p === "TLS") throw new AwsError(Errors.UnsupportedProtocol, "Berth does not support TLS target groups");
  throw new AwsError(Errors.UnsupportedProtocol, `Protocol '${p}' is not supported for target groups`);
}

export function targetGroupHandlers(store: Store) {
  const create: Handler<CreateTargetGroupInput, CreateTargetGroupOutput> = (input, ctx) => {
    const name = input.Name!;
    checkName("Target group", name);
    const targetType = (input.TargetType ?? "instance") as string;
    if (targetType === "lambda" || targetType === "alb")
      throw invalid(`Berth does not support target groups with target type '${targetType}'`);
    if (targetType !== "instance" && targetType !== "ip")
      throw invalid(`Target type '${targetType}' is not valid`);
    const protocol = protocolOf(input.Protocol);
    const port = checkPort(input.Port, "target group port");
    const http = protocol !== "TCP";
    if (input.ProtocolVersion !== undefined) {
      if (!http) throw invalid("A protocol version can only be specified for HTTP and HTTPS target groups");
      if (input.ProtocolVersion !== "HTTP1")
        throw invalid(`Berth supports protocol version HTTP1 only, not '${input.ProtocolVersion}'`);
    }
    if ((input.IpAddressType ?? "ipv4") !== "ipv4") throw invalid("Berth target groups use IPv4 only");
    if (input.TargetControlPort !== undefined) throw invalid("Berth does not support target control ports");
    if (input.VpcId !== undefined && !/^vpc-[0-9a-z]+$/.test(input.VpcId))
      throw invalid(`VPC ID '${input.VpcId}' is not valid`);
    const healthCheck = healthCheckSettings({ protocol, targetType: targetType as "instance" | "ip" }, input);
    const tags = checkTags(input.Tags);
    return store.write(async (tx) => {
      const existing = await getTg(tx, ctx.region, name);
      if (existing) {
        const e = existing.value;
        const same =
          e.protocol === protocol &&
          e.port === port &&
          e.targetType === targetType &&
          (e.vpcId ?? "") === (input.VpcId ?? "") &&
          JSON.stringify(e.healthCheck) === JSON.stringify(healthCheck);
        if (!same)
          throw new AwsError(
            Errors.DuplicateTargetGroupName,
            `A target group with the same name '${name}' exists, but with different settings`,
          );
        const usage = await targetGroupUsage(tx, ctx.region);
        return { TargetGroups: [renderTg(e, [...(usage.get(e.arn) ?? [])])] };
      }
      if ((await listTgs(tx, ctx.region)).length >= MAX_TARGET_GROUPS)
        throw new AwsError(
          Errors.TooManyTargetGroups,
          `You have reached the limit of ${MAX_TARGET_GROUPS} target groups`,
        );
      const id = elbId();
      const rec: TargetGroupRecord = {
        arn: targetGroupArn(ctx, name, id),
        name,
        id,
        protocol,
        port,
        ...(input.VpcId ? { vpcId: input.VpcId } : {}),
        targetType: targetType as "instance" | "ip",
        ...(http ? { protocolVersion: "HTTP1" as const } : {}),
        ipAddressType: "ipv4",
        healthCheck,
        attributes: defaultTgAttributes(protocol, targetType),
        tags,
        createdAt: ctx.now,
      };
      await tx.put(ELB.targetGroup, tgKey(ctx.region, name), rec, { expectVersion: 0 });
      return { TargetGroups: [renderTg(rec, [])] };
    });
  };

  const describe: Handler<DescribeTargetGroupsInput, DescribeTargetGroupsOutput> = (input, ctx) => {
    const arns = input.TargetGroupArns ?? [];
    const names = input.Names ?? [];
    const given = [input.LoadBalancerArn !== undefined, arns.length > 0, names.length > 0].filter(
      Boolean,
    ).length;
    if (given > 1)
      throw invalid(
        "Only one of load balancer ARN, target group ARNs or target group names can be specified",
      );
    return store.read(async (tx) => {
      const usage = await targetGroupUsage(tx, ctx.region);
      let recs: TargetGroupRecord[];
      if (arns.length > 0) {
        recs = [];
        for (const arn of arns) {
          const r = await findTg(tx, ctx, arn);
          if (!r) throw tgNotFound();
          recs.push(r.value);
        }
      } else if (names.length > 0) {
        recs = [];
        for (const n of names) {
          const r = await getTg(tx, ctx.region, n);
          if (!r) throw tgNotFound();
          recs.push(r.value);
        }
      } else {
        recs = (await listTgs(tx, ctx.region)).map((r) => r.value);
        if (input.LoadBalancerArn !== undefined) {
          const lb = await mustGetLb(tx, ctx, input.LoadBalancerArn);
          recs = recs.filter((t) => usage.get(t.arn)?.has(lb.value.arn));
        }
      }
      const page = pageOf(recs, (r) => r.name, input.Marker, input.PageSize);
      return {
        TargetGroups: page.items.map((t) => renderTg(t, [...(usage.get(t.arn) ?? [])])),
        ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}),
      };
    });
  };

  const modify: Handler<ModifyTargetGroupInput, ModifyTargetGroupOutput> = (input, ctx) =>
    store.write(async (tx) => {
      const tg = await mustGetTg(tx, ctx, input.TargetGroupArn!);
      const healthCheck = healthCheckSettings(tg.value, input, tg.value.healthCheck);
      const next = { ...tg.value, healthCheck };
      await tx.put(ELB.targetGroup, tg.key, next, { expectVersion: tg.version });
      const usage = await targetGroupUsage(tx, ctx.region);
      return { TargetGroups: [renderTg(next, [...(usage.get(next.arn) ?? [])])] };
    });

  const del: Handler<DeleteTargetGroupInput> = async (input, ctx) => {
    await store.write(async (tx) => {
      // Deleting a target group that does not exist succeeds, as on AWS.
      const tg = await findTg(tx, ctx, input.TargetGroupArn!);
      if (!tg) return;
      if ((await targetGroupUsage(tx, ctx.region)).has(tg.value.arn)) {
        throw new AwsError(
          Errors.ElbResourceInUse,
          `Target group '${tg.value.arn}' is currently in use by a listener or a rule`,
        );
      }
      for (const t of await listTargets(tx, ctx.region, tg.value.name)) await deleteTarget(tx, t.key);
      await tx.delete(ELB.targetGroup, tg.key);
    });
    return {};
  };

  const describeAttributes: Handler<
    DescribeTargetGroupAttributesInput,
    DescribeTargetGroupAttributesOutput
  > = (input, ctx) =>
    store.read(async (tx) => {
      const tg = await mustGetTg(tx, ctx, input.TargetGroupArn!);
      return { Attributes: attributesOut(tg.value.attributes) };
    });

  const modifyAttributes: Handler<ModifyTargetGroupAttributesInput, ModifyTargetGroupAttributesOutput> = (
    input,
    ctx,
  ) =>
    store.write(async (tx) => {
      const tg = await mustGetTg(tx, ctx, input.TargetGroupArn!);
      const attributes = applyTgAttributes(tg.value.protocol, tg.value.attributes, input.Attributes ?? []);
      await tx.put(ELB.targetGroup, tg.key, { ...tg.value, attributes }, { expectVersion: tg.version });
      return { Attributes: attributesOut(attributes) };
    });

  return {
    CreateTargetGroup: create,
    DescribeTargetGroups: describe,
    ModifyTargetGroup: modify,
    DeleteTargetGroup: del,
    DescribeTargetGroupAttributes: describeAttributes,
    ModifyTargetGroupAttributes: modifyAttributes,
  };
}
