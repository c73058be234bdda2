/** CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer and load balancer attributes. */
import type {
  CreateLoadBalancerInput,
  CreateLoadBalancerOutput,
  DeleteLoadBalancerInput,
  DescribeLoadBalancerAttributesInput,
  DescribeLoadBalancerAttributesOutput,
  DescribeLoadBalancersInput,
  DescribeLoadBalancersOutput,
  ModifyLoadBalancerAttributesInput,
  ModifyLoadBalancerAttributesOutput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  canonicalHostedZoneId,
  dnsName,
  elbId,
  type LbType,
  loadBalancerArn,
} from "../../domain/elbv2/arns.js";
import { applyLbAttributes, defaultLbAttributes } from "../../domain/elbv2/attributes.js";
import { checkName, checkTags, invalid, pageOf } from "../../domain/elbv2/validate.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getLb, lbKey, listLbs, listListeners, listRules, portKey } from "../../state/elbv2/access.js";
import { ELB } from "../../state/elbv2/kinds.js";
import type { LoadBalancerRecord } from "../../state/elbv2/records.js";
import type { Store } from "../../state/store.js";
import type { Handler } from "../service.js";
import { findLb, lbNotFound, mustGetLb, renderLb } from "./common.js";

const MAX_LOAD_BALANCERS = 50;

const attributesOut = (a: Record<string, string>) =>
  Object.entries(a).map(([Key, Value]) => ({ Key, Value }));

export function loadBalancerHandlers(store: Store) {
  const create: Handler<CreateLoadBalancerInput, CreateLoadBalancerOutput> = (input, ctx) => {
    const name = input.Name!;
    checkName("Load balancer", name);
    const type = (input.Type ?? "application") as string;
    if (type === "gateway") throw invalid("Berth does not support Gateway Load Balancers");
    if (type !== "application" && type !== "network")
      throw invalid(`Load balancer type '${type}' is not valid`);
    const scheme = input.Scheme ?? "internet-facing";
    if (scheme !== "internet-facing" && scheme !== "internal")
      throw invalid(`Scheme '${scheme}' must be 'internet-facing' or 'internal'`);
    const ipAddressType = input.IpAddressType ?? "ipv4";
    if (ipAddressType !== "ipv4")
      throw invalid(
        `Berth load balancers listen on IPv4 only; IpAddressType '${ipAddressType}' is not supported`,
      );
    if (input.CustomerOwnedIpv4Pool !== undefined || input.IpamPools !== undefined)
      throw invalid("Berth does not support customer-owned or IPAM address pools");
    if (input.EnablePrefixForIpv6SourceNat === "on") throw invalid("Berth does not support IPv6 source NAT");
    if (input.Subnets !== undefined && input.SubnetMappings !== undefined)
      throw invalid("Subnets and SubnetMappings cannot be specified at the same time");
    for (const m of input.SubnetMappings ?? []) {
      if (m.AllocationId || m.PrivateIPv4Address || m.IPv6Address || m.SourceNatIpv6Prefix)
        throw invalid("Berth does not support Elastic IPs or fixed addresses in subnet mappings");
    }
    const subnetIds = [...(input.Subnets ?? input.SubnetMappings?.map((m) => m.SubnetId ?? "") ?? [])];
    for (const s of subnetIds)
      if (!/^subnet-[0-9a-z]+$/.test(s)) throw invalid(`Subnet ID '${s}' is not valid`);
    if (new Set(subnetIds).size !== subnetIds.length) throw invalid("Subnets must be unique");
    const securityGroups = [...(input.SecurityGroups ?? [])];
    for (const g of securityGroups)
      if (!/^sg-[0-9a-z]+$/.test(g)) throw invalid(`Security group '${g}' is not valid`);
    const tags = checkTags(input.Tags);
    return store.write(async (tx) => {
      const existing = await getLb(tx, ctx.region, name);
      if (existing) {
        const e = existing.value;
        const same =
          e.type === type &&
          e.scheme === scheme &&
          e.subnets.map((s) => s.subnetId).join() === subnetIds.join() &&
          e.securityGroups.join() === securityGroups.join();
        if (!same)
          throw new AwsError(
            Errors.DuplicateLoadBalancerName,
            `A load balancer with the same name '${name}' exists, but with different settings`,
          );
        return { LoadBalancers: [renderLb(e)] };
      }
      if ((await listLbs(tx, ctx.region)).length >= MAX_LOAD_BALANCERS)
        throw new AwsError(
          Errors.InvalidConfigurationRequest,
          `You have reached the limit of ${MAX_LOAD_BALANCERS} load balancers in this region`,
        );
      const id = elbId();
      const rec: LoadBalancerRecord = {
        arn: loadBalancerArn(ctx, type as LbType, name, id),
        name,
        id,
        type: type as LbType,
        scheme,
        ipAddressType: "ipv4",
        dnsName: dnsName(ctx.region, type as LbType, scheme, name, id),
        canonicalHostedZoneId: canonicalHostedZoneId(ctx.region, type as LbType),
        createdAt: ctx.now,
        state: "provisioning",
        subnets: subnetIds.map((subnetId, i) => ({
          subnetId,
          zoneName: `${ctx.region}${String.fromCharCode(97 + (i % 26))}`,
        })),
        securityGroups,
        attributes: defaultLbAttributes(type as LbType),
        tags,
      };
      await tx.put(ELB.loadBalancer, lbKey(ctx.region, name), rec, { expectVersion: 0 });
      return { LoadBalancers: [renderLb(rec)] };
    });
  };

  const describe: Handler<DescribeLoadBalancersInput, DescribeLoadBalancersOutput> = (input, ctx) => {
    const arns = input.LoadBalancerArns ?? [];
    const names = input.Names ?? [];
    if (arns.length > 0 && names.length > 0)
      throw invalid("Load balancer names and load balancer ARNs cannot be specified at the same time");
    if (arns.length > 20 || names.length > 20) throw invalid("You can specify up to 20 load balancers");
    return store.read(async (tx) => {
      let recs: LoadBalancerRecord[];
      if (arns.length > 0) {
        recs = [];
        for (const arn of arns) {
          const r = await findLb(tx, ctx, arn);
          if (!r) throw lbNotFound();
          recs.push(r.value);
        }
      } else if (names.length > 0) {
        recs = [];
        const missing: string[] = [];
        for (const n of names) {
          const r = await getLb(tx, ctx.region, n);
          if (r) recs.push(r.value);
          else missing.push(n);
        }
        if (missing.length > 0)
          throw new AwsError(
            Errors.LoadBalancerNotFound,
            `Load balancers '[${missing.join(", ")}]' not found`,
          );
      } else {
        recs = (await listLbs(tx, ctx.region)).map((r) => r.value);
      }
      const page = pageOf(recs, (r) => r.name, input.Marker, input.PageSize);
      return {
        LoadBalancers: page.items.map(renderLb),
        ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}),
      };
    });
  };

  const del: Handler<DeleteLoadBalancerInput> = async (input, ctx) => {
    await store.write(async (tx) => {
      // Deleting a load balancer that does not exist succeeds, as on AWS.
      const lb = await findLb(tx, ctx, input.LoadBalancerArn!);
      if (!lb) return;
      if (lb.value.attributes["deletion_protection.enabled"] === "true") {
        throw new AwsError(
          Errors.OperationNotPermitted,
          `Load balancer '${lb.value.arn}' cannot be deleted because deletion protection is enabled`,
        );
      }
      for (const l of await listListeners(tx, ctx.region, lb.value.name)) {
        await tx.delete(ELB.port, portKey(l.value.port));
        await tx.delete(ELB.listener, l.key);
      }
      for (const r of await listRules(tx, ctx.region, lb.value.name)) await tx.delete(ELB.rule, r.key);
      await tx.delete(ELB.loadBalancer, lb.key);
    });
    return {};
  };

  const describeAttributes: Handler<
    DescribeLoadBalancerAttributesInput,
    DescribeLoadBalancerAttributesOutput
  > = (input, ctx) =>
    store.read(async (tx) => {
      const lb = await mustGetLb(tx, ctx, input.LoadBalancerArn!);
      return { Attributes: attributesOut(lb.value.attributes) };
    });

  const modifyAttributes: Handler<ModifyLoadBalancerAttributesInput, ModifyLoadBalancerAttributesOutput> = (
    input,
    ctx,
  ) =>
    store.write(async (tx) => {
      const lb = await mustGetLb(tx, ctx, input.LoadBalancerArn!);
      const attributes = applyLbAttributes(lb.value.type, lb.value.attributes, input.Attributes ?? []);
      await tx.put(ELB.loadBalancer, lb.key, { ...lb.value, attributes }, { expectVersion: lb.version });
      return { Attributes: attributesOut(attributes) };
    });

  return {
    CreateLoadBalancer: create,
    DescribeLoadBalancers: describe,
    DeleteLoadBalancer: del,
    DescribeLoadBalancerAttributes: describeAttributes,
    ModifyLoadBalancerAttributes: modifyAttributes,
  };
}
