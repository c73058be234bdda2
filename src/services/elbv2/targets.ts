/** RegisterTargets, DeregisterTargets and DescribeTargetHealth. */
import { isIPv4 } from "node:net";
import type {
  DeregisterTargetsInput,
  DescribeTargetHealthInput,
  DescribeTargetHealthOutput,
  RegisterTargetsInput,
  TargetDescription,
  TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { IP_TARGET_RANGES, isAllowedIpTarget } from "../../domain/elbv2/ip-targets.js";
import { describeTargetHealth } from "../../domain/elbv2/target-health.js";
import { invalid } from "../../domain/elbv2/validate.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { ContainerInstanceRecord } from "../../state/ecs/container-instances.js";
import { K } from "../../state/ecs/kinds.js";
import { getHealth, getTarget, listTargets, targetKey } from "../../state/elbv2/access.js";
import type { TargetGroupRecord, TargetRecord } from "../../state/elbv2/records.js";
import { deregisterTarget, MAX_TARGETS, registerTarget } from "../../state/elbv2/targets.js";
import type { ReadTx, Store } from "../../state/store.js";
import type { Handler, RequestContext } from "../service.js";
import { mustGetTg, targetGroupUsage } from "./common.js";

const invalidTarget = (m: string) => new AwsError(Errors.InvalidTarget, m);

/** Where the data plane reaches an instance target registered through the API: this machine. */
export const INSTANCE_ADDRESS = "127.0.0.1";

function targetPort(tg: TargetGroupRecord, t: TargetDescription): number {
  const port = t.Port ?? tg.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw invalid(`Port '${port}' must be between 1 and 65535`);
  return port;
}

const label = (t: { id: string; port: number }) => `Id=${t.id},Port=${t.port}`;

/** The container instances of a region by ec2InstanceId (their agent's name). */
async function activeInstanceNames(tx: ReadTx, region: string): Promise<Set<string>> {
  const all = await tx.scan<ContainerInstanceRecord>(K.containerInstance, { prefix: `${region}/` });
  return new Set(all.filter((i) => i.value.status !== "INACTIVE").map((i) => i.value.name));
}

export function targetHandlers(store: Store) {
  const register: Handler<RegisterTargetsInput> = async (input, ctx) => {
    const targets = input.Targets ?? [];
    if (targets.length === 0) throw invalid("At least one target must be specified");
    await store.write(async (tx) => {
      const tg = await mustGetTg(tx, ctx, input.TargetGroupArn!);
      const instances =
        tg.value.targetType === "instance" ? await activeInstanceNames(tx, ctx.region) : undefined;
      const missing: string[] = [];
      const resolved: Omit<TargetRecord, "tgArn" | "registeredAt">[] = [];
      for (const t of targets) {
        const id = t.Id!;
        const port = targetPort(tg.value, t);
        if (t.QuicServerId !== undefined) throw invalid("Berth does not support QUIC server ids");
        if (tg.value.targetType === "ip") {
          if (!isIPv4(id)) throw invalidTarget(`The IP address '${id}' is not a valid IPv4 address`);
          if (!isAllowedIpTarget(id))
            throw invalidTarget(
              `The IP address '${id}' is not in a valid range for targets; use an address in ${IP_TARGET_RANGES.join(", ")}`,
            );
          if (
            t.AvailabilityZone !== undefined &&
            t.AvailabilityZone !== "all" &&
            !t.AvailabilityZone.startsWith(ctx.region)
          )
            throw invalid(`Availability zone '${t.AvailabilityZone}' is not in region '${ctx.region}'`);
          resolved.push({
            id,
            port,
            address: id,
            ...(t.AvailabilityZone ? { availabilityZone: t.AvailabilityZone } : {}),
          });
        } else {
          if (t.AvailabilityZone !== undefined)
            throw invalid("An Availability Zone cannot be specified for targets of type 'instance'");
          if (!instances!.has(id)) missing.push(`'${id}'`);
          else resolved.push({ id, port, address: INSTANCE_ADDRESS });
        }
      }
      if (missing.length > 0)
        throw invalidTarget(
          `The following targets are not in a running state and can't be registered: ${missing.join(", ")}`,
        );
      for (const r of resolved) {
        if (!(await registerTarget(tx, ctx.region, tg.value, r, ctx.now)))
          throw new AwsError(
            Errors.TooManyTargets,
            `You have reached the limit of ${MAX_TARGETS} targets for target group '${tg.value.arn}'`,
          );
      }
    });
    return {};
  };

  const deregister: Handler<DeregisterTargetsInput> = async (input, ctx) => {
    const targets = input.Targets ?? [];
    if (targets.length === 0) throw invalid("At least one target must be specified");
    await store.write(async (tx) => {
      const tg = await mustGetTg(tx, ctx, input.TargetGroupArn!);
      const inUse = (await targetGroupUsage(tx, ctx.region)).has(tg.value.arn);
      const recs = [];
      const missing: string[] = [];
      const seen = new Set<string>();
      for (const t of targets) {
        const port = targetPort(tg.value, t);
        const key = targetKey(ctx.region, tg.value.name, t.Id!, port);
        // A target named twice is deregistered once.
        if (seen.has(key)) continue;
        seen.add(key);
        const rec = await getTarget(tx, key);
        if (!rec) missing.push(label({ id: t.Id!, port }));
        else recs.push(rec);
      }
      if (missing.length > 0)
        throw invalidTarget(
          `The following targets are not registered in target group '${tg.value.arn}': ${missing.join(", ")}`,
        );
      for (const rec of recs) await deregisterTarget(tx, tg.value, rec, inUse, ctx.now);
    });
    return {};
  };

  const describeHealth: Handler<DescribeTargetHealthInput, DescribeTargetHealthOutput> = (input, ctx) => {
    for (const i of input.Include ?? [])
      if (i !== "AnomalyDetection" && i !== "All") throw invalid(`Include value '${i}' is not valid`);
    return store.read(async (tx) => describe(tx, ctx, input));
  };

  async function describe(
    tx: ReadTx,
    ctx: RequestContext,
    input: DescribeTargetHealthInput,
  ): Promise<DescribeTargetHealthOutput> {
    const tg = await mustGetTg(tx, ctx, input.TargetGroupArn!);
    const inUse = (await targetGroupUsage(tx, ctx.region)).has(tg.value.arn);
    const hcPort = (port: number) =>
      tg.value.healthCheck.port === "traffic-port" ? String(port) : tg.value.healthCheck.port;
    const out: TargetHealthDescription[] = [];
    const one = async (id: string, port: number, rec: TargetRecord | undefined, key: string) => {
      const h = rec ? await getHealth(tx, key) : undefined;
      out.push({
        Target: {
          Id: id,
          Port: port,
          ...(rec?.availabilityZone ? { AvailabilityZone: rec.availabilityZone } : {}),
        },
        HealthCheckPort: hcPort(port),
        TargetHealth: describeTargetHealth({ target: rec, inUse, health: h?.value, now: ctx.now }),
      });
    };
    if (input.Targets && input.Targets.length > 0) {
      const instances =
        tg.value.targetType === "instance" ? await activeInstanceNames(tx, ctx.region) : undefined;
      for (const t of input.Targets) {
        const id = t.Id!;
        if (instances && !instances.has(id))
          throw invalidTarget(`The following targets are not valid instances: '${id}'`);
        const port = targetPort(tg.value, t);
        const key = targetKey(ctx.region, tg.value.name, id, port);
        const rec = await getTarget(tx, key);
        await one(id, port, rec?.value, key);
      }
    } else {
      for (const rec of await listTargets(tx, ctx.region, tg.value.name)) {
        // Targets whose deregistration delay has passed are gone, whether or not they were cleaned up.
        if (rec.value.drainUntil !== undefined && rec.value.drainUntil <= ctx.now) continue;
        await one(rec.value.id, rec.value.port, rec.value, rec.key);
      }
    }
    return { TargetHealthDescriptions: out };
  }

  return {
    RegisterTargets: register,
    DeregisterTargets: deregister,
    DescribeTargetHealth: describeHealth,
  };
}
