/**
 * CreateListener, DescribeListeners, ModifyListener, DeleteListener. Listeners bind ports of this
 * machine: a port is claimed in the store (one listener per port, across all load balancers and
 * regions) in the same transaction that creates the listener, after checking that nothing else on
 * the machine holds it.
 */
import type {
  Action,
  CreateListenerInput,
  CreateListenerOutput,
  DeleteListenerInput,
  DescribeListenersInput,
  DescribeListenersOutput,
  ModifyListenerInput,
  ModifyListenerOutput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { elbId, listenerArn } from "../../domain/elbv2/arns.js";
import { normalizeActions } from "../../domain/elbv2/rules.js";
import { checkPort, checkTags, invalid, pageOf } from "../../domain/elbv2/validate.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getPortClaim, listenerKey, listListeners, listRules, portKey } from "../../state/elbv2/access.js";
import { ELB } from "../../state/elbv2/kinds.js";
import type { ListenerRecord, LoadBalancerRecord, PortClaim } from "../../state/elbv2/records.js";
import type { ReadTx, Store, WriteTx } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import {
  findListener,
  findTg,
  listenerNotFound,
  mustGetLb,
  mustGetListener,
  renderListener,
  targetGroupUsage,
  tgNotFound,
} from "./common.js";

const MAX_LISTENERS = 50;

/** What the handlers ask the data plane about ports of this machine. */
export interface ListenerPorts {
  /** Whether something other than Berth's load balancers holds the port on this machine. */
  heldElsewhere(port: number): Promise<boolean>;
}

function listenerProtocol(
  lb: LoadBalancerRecord,
  p: string | undefined,
  certificates: unknown[],
): "HTTP" | "TCP" {
  if (p === undefined) throw invalid("A listener protocol must be specified");
  const alb = lb.type === "application";
  const fits = alb
    ? ["HTTP", "HTTPS"].includes(p)
    : ["TCP", "TLS", "UDP", "TCP_UDP", "QUIC", "TCP_QUIC"].includes(p);
  if (!fits)
    throw new AwsError(
      Errors.UnsupportedProtocol,
      `Protocol '${p}' is not supported for ${alb ? "Application" : "Network"} Load Balancers`,
    );
  if (p === "HTTPS" || p === "TLS") {
    if (certificates.length === 0) throw invalid(`A certificate must be specified for ${p} listeners`);
    const arn = (certificates[0] as { CertificateArn?: string }).CertificateArn ?? "";
    // Berth has no certificate store, so no certificate exists.
    throw new AwsError(Errors.CertificateNotFound, `Certificate '${arn}' not found`);
  }
  if (p !== "HTTP" && p !== "TCP")
    throw new AwsError(
      Errors.UnsupportedProtocol,
      `Berth's load balancer data plane (HAProxy) does not proxy UDP or QUIC; protocol '${p}' is not supported`,
    );
  return p;
}

/**
 * The target groups an action list forwards to must exist, speak the listener's protocol family
 * and belong to no other load balancer.
 */
export async function checkForwardTargets(
  tx: ReadTx,
  ctx: RequestContext,
  lb: LoadBalancerRecord,
  listenerProtocol: string,
  arns: readonly string[],
): Promise<void> {
  if (arns.length === 0) return;
  const usage = await targetGroupUsage(tx, ctx.region);
  const elsewhere: string[] = [];
  for (const arn of arns) {
    const tg = await findTg(tx, ctx, arn);
    if (!tg) throw tgNotFound();
    const ok = lb.type === "application" ? tg.value.protocol !== "TCP" : tg.value.protocol === "TCP";
    if (!ok)
      throw new AwsError(
        Errors.IncompatibleProtocols,
        `The target group '${arn}' uses protocol '${tg.value.protocol}', which is incompatible with the '${listenerProtocol}' listener of a load balancer of type '${lb.type}'`,
      );
    const users = usage.get(arn);
    if (users && [...users].some((u) => u !== lb.arn)) elsewhere.push(arn);
  }
  if (elsewhere.length > 0)
    throw new AwsError(
      Errors.TargetGroupAssociationLimit,
      `The following target groups cannot be associated with more than one load balancer: ${elsewhere.join(", ")}`,
    );
}

async function claimPort(
  tx: WriteTx,
  ctx: RequestContext,
  lb: LoadBalancerRecord,
  port: number,
  listener: string,
): Promise<void> {
  const claim = await getPortClaim(tx, port);
  if (claim) {
    if (claim.value.listenerArn.includes(`/${lb.name}/${lb.id}/`))
      throw new AwsError(
        Errors.DuplicateListener,
        `A listener already exists on this port for this load balancer '${lb.arn}'`,
      );
    throw new AwsError(
      Errors.InvalidConfigurationRequest,
      `Port ${port} is already used by listener '${claim.value.listenerArn}'; Berth's listeners bind ports of this machine, so each port can have one listener`,
    );
  }
  await tx.put<PortClaim>(
    ELB.port,
    portKey(port),
    { listenerArn: listener, region: ctx.region },
    { expectVersion: 0 },
  );
}

function checkTlsOptions(input: Partial<CreateListenerInput>): void {
  if (input.SslPolicy !== undefined || (input.AlpnPolicy?.length ?? 0) > 0 || input.MutualAuthentication)
    throw invalid(
      "SSL policies, ALPN policies and mutual authentication apply to HTTPS and TLS listeners only",
    );
}

export function listenerHandlers(store: Store, ports: ListenerPorts) {
  async function portIsFree(port: number): Promise<void> {
    const claimed = await store.read((tx) => getPortClaim(tx, port));
    if (!claimed && (await ports.heldElsewhere(port)))
      throw new AwsError(
        Errors.InvalidConfigurationRequest,
        `Port ${port} is already in use on this machine`,
      );
  }

  const create: Handler<CreateListenerInput, CreateListenerOutput> = async (input, ctx) => {
    const port = checkPort(input.Port, "listener port");
    const tags = checkTags(input.Tags);
    await portIsFree(port);
    return store.write(async (tx) => {
      const lb = await mustGetLb(tx, ctx, input.LoadBalancerArn!);
      const protocol = listenerProtocol(lb.value, input.Protocol, input.Certificates ?? []);
      checkTlsOptions(input);
      if ((input.Certificates?.length ?? 0) > 0)
        throw invalid("Certificates can only be specified for HTTPS and TLS listeners");
      const { actions, targetGroupArns } = normalizeActions(input.DefaultActions, lb.value.type);
      await checkForwardTargets(tx, ctx, lb.value, protocol, targetGroupArns);
      const existing = await listListeners(tx, ctx.region, lb.value.name);
      const same = existing.find((l) => l.value.port === port);
      if (same) {
        // Creating the same listener again returns it, as on AWS.
        if (
          same.value.protocol === protocol &&
          JSON.stringify(same.value.defaultActions) === JSON.stringify(actions)
        )
          return { Listeners: [renderListener(same.value)] };
        throw new AwsError(
          Errors.DuplicateListener,
          `A listener already exists on this port for this load balancer '${lb.value.arn}'`,
        );
      }
      if (existing.length >= MAX_LISTENERS)
        throw new AwsError(
          Errors.TooManyListeners,
          `A load balancer can have at most ${MAX_LISTENERS} listeners`,
        );
      const id = elbId();
      const rec: ListenerRecord = {
        arn: listenerArn(ctx, lb.value.type, lb.value.name, lb.value.id, id),
        id,
        lbArn: lb.value.arn,
        lbName: lb.value.name,
        lbType: lb.value.type,
        port,
        protocol,
        defaultActions: actions,
        defaultRuleId: elbId(),
        tags,
        createdAt: ctx.now,
      };
      await claimPort(tx, ctx, lb.value, port, rec.arn);
      await tx.put(ELB.listener, listenerKey(ctx.region, lb.value.name, id), rec, { expectVersion: 0 });
      return { Listeners: [renderListener(rec)] };
    });
  };

  const describe: Handler<DescribeListenersInput, DescribeListenersOutput> = (input, ctx) => {
    const arns = input.ListenerArns ?? [];
    if (input.LoadBalancerArn === undefined && arns.length === 0)
      throw invalid("You must specify either listener ARNs or a load balancer ARN");
    if (input.LoadBalancerArn !== undefined && arns.length > 0)
      throw invalid("Listener ARNs and a load balancer ARN cannot be specified at the same time");
    return store.read(async (tx) => {
      let recs: ListenerRecord[];
      if (input.LoadBalancerArn !== undefined) {
        const lb = await mustGetLb(tx, ctx, input.LoadBalancerArn);
        recs = (await listListeners(tx, ctx.region, lb.value.name)).map((l) => l.value);
      } else {
        recs = [];
        for (const arn of arns) {
          const l = await findListener(tx, ctx, arn);
          if (!l) throw listenerNotFound();
          recs.push(l.value);
        }
      }
      const page = pageOf(recs, (r) => r.arn, input.Marker, input.PageSize);
      return {
        Listeners: page.items.map(renderListener),
        ...(page.NextMarker ? { NextMarker: page.NextMarker } : {}),
      };
    });
  };

  const modify: Handler<ModifyListenerInput, ModifyListenerOutput> = async (input, ctx) => {
    if (input.Port !== undefined) {
      const port = checkPort(input.Port, "listener port");
      const current = await store.read((tx) => findListener(tx, ctx, input.ListenerArn!));
      if (current && current.value.port !== port) await portIsFree(port);
    }
    return store.write(async (tx) => {
      const l = await mustGetListener(tx, ctx, input.ListenerArn!);
      const lb = await mustGetLb(tx, ctx, l.value.lbArn);
      checkTlsOptions(input);
      const protocol =
        input.Protocol !== undefined
          ? listenerProtocol(lb.value, input.Protocol, input.Certificates ?? [])
          : l.value.protocol;
      if ((input.Certificates?.length ?? 0) > 0)
        throw invalid("Certificates can only be specified for HTTPS and TLS listeners");
      let defaultActions: Action[] = l.value.defaultActions;
      if (input.DefaultActions !== undefined) {
        const n = normalizeActions(input.DefaultActions, lb.value.type);
        await checkForwardTargets(tx, ctx, lb.value, protocol, n.targetGroupArns);
        defaultActions = n.actions;
      }
      const port = input.Port ?? l.value.port;
      if (port !== l.value.port) {
        await claimPort(tx, ctx, lb.value, port, l.value.arn);
        await tx.delete(ELB.port, portKey(l.value.port));
      }
      const next: ListenerRecord = { ...l.value, port, protocol, defaultActions };
      await tx.put(ELB.listener, l.key, next, { expectVersion: l.version });
      return { Listeners: [renderListener(next)] };
    });
  };

  const del: Handler<DeleteListenerInput> = async (input, ctx) => {
    await store.write(async (tx) => {
      const l = await mustGetListener(tx, ctx, input.ListenerArn!);
      for (const r of await listRules(tx, ctx.region, l.value.lbName, l.value.id))
        await tx.delete(ELB.rule, r.key);
      const claim = await getPortClaim(tx, l.value.port);
      if (claim?.value.listenerArn === l.value.arn) await tx.delete(ELB.port, portKey(l.value.port));
      await tx.delete(ELB.listener, l.key);
    });
    return {};
  };

  return {
    CreateListener: create,
    DescribeListeners: describe,
    ModifyListener: modify,
    DeleteListener: del,
  };
}
