/**
 * Amazon EC2 (ec2Query): the networking subset ECS users touch — VPCs, subnets, security groups and
 * their rules, the network interfaces awsvpc tasks get, zones, regions and tags. Every region gets a
 * default VPC (with a default subnet per zone and a default security group) the first time its EC2
 * state is used, as a new AWS account has.
 *
 * The model is read lazily: @aws-sdk/client-ec2 takes most of a second to load, and only EC2 API
 * requests need it (the ECS side uses the state modules).
 */
import { createRequire } from "node:module";
import { Errors } from "../../errors/catalog.js";
import { ServiceModel } from "../../protocol/model.js";
import { ensureDefaultNetwork } from "../../state/ec2/vpcs.js";
import type { Store } from "../../state/store.js";
import type { Handler, ServiceDefinition } from "../service.js";
import { networkInterfaceHandlers } from "./network-interfaces.js";
import { regionHandlers } from "./regions.js";
import { ruleHandlers } from "./rules.js";
import { securityGroupHandlers } from "./security-groups.js";
import { subnetHandlers } from "./subnets.js";
import { tagHandlers } from "./tags.js";
import { vpcHandlers } from "./vpcs.js";

let model: ServiceModel | undefined;
/** The EC2 model, read once per process, on first use. */
export const ec2Model = (): ServiceModel =>
  (model ??= new ServiceModel(
    createRequire(import.meta.url)("@aws-sdk/client-ec2") as Record<string, unknown>,
  ));

export interface Ec2Deps {
  store: Store;
}

export function ec2Service(deps: Ec2Deps): ServiceDefinition {
  const { store } = deps;
  // Regions whose default network exists; forgotten when the store is wiped.
  const ready = new Set<string>();
  store.subscribe((changes) => {
    if (changes.some((c) => c.kind === "_wipe")) ready.clear();
  });
  const withDefaults =
    (h: Handler): Handler =>
    async (input, ctx) => {
      if (!ready.has(ctx.region)) {
        await ensureDefaultNetwork(store, ctx.region, ctx.now);
        ready.add(ctx.region);
      }
      return h(input, ctx);
    };
  const handlers: Record<string, Handler> = {
    ...vpcHandlers(store),
    ...subnetHandlers(store),
    ...securityGroupHandlers(store),
    ...ruleHandlers(store),
    ...networkInterfaceHandlers(store),
    ...tagHandlers(store),
    ...regionHandlers(),
  } as Record<string, Handler>;
  return {
    id: "ec2",
    title: "Amazon EC2",
    signingName: "ec2",
    protocol: "ec2Query",
    xmlNamespace: "http://ec2.amazonaws.com/doc/2016-11-15/",
    get model() {
      return ec2Model();
    },
    validationError: Errors.Ec2MissingParameter,
    handlers: Object.fromEntries(Object.entries(handlers).map(([k, h]) => [k, withDefaults(h)])),
    notes: {
      CreateVpc:
        "IPv4 CIDR blocks /16 to /28; no IPv6 or IPAM. At most 5 VPCs per region. VPCs are isolated from each other on the host (one network namespace each).",
      CreateSubnet: "IPv4 only; zones are the region's a, b and c.",
      AuthorizeSecurityGroupIngress:
        "Protocols all, tcp, udp, icmp and numbers; CIDR and security-group peers (same VPC); enforced on running tasks within a second. A protocol 0 (HOPOPT) rule is kept but lets nothing through. Prefix lists do not exist.",
      AuthorizeSecurityGroupEgress: "As ingress; egress rules are enforced too (default: all outbound).",
      DescribeNetworkInterfaces: "Lists the interfaces of awsvpc tasks (Berth creates no others).",
      DescribeRegions: "Every region works; each has its own state.",
      DescribeAvailabilityZones: "Three zones per region: a, b and c.",
    },
  };
}
