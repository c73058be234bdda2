/**
 * An awsvpc configuration checked against EC2 state, with ECS's wording (ECS reports EC2's error
 * inside an InvalidParameterException): the subnets exist and share one VPC, the security groups exist
 * in it (none given: the VPC's default group). And which subnet each new task gets.
 */
import type { AwsvpcChoice } from "../../domain/ecs/awsvpc.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getGroup, getSubnet, getVpc, type SubnetRecord } from "../../state/ec2/records.js";
import type { ReadTx } from "../../state/store.js";

const invalid = (m: string) => new AwsError(Errors.InvalidParameter, m);

export interface ResolvedAwsvpc {
  choice: AwsvpcChoice;
  vpcId: string;
  subnets: SubnetRecord[];
  groupIds: string[];
}

export async function resolveAwsvpc(
  tx: ReadTx,
  region: string,
  choice: AwsvpcChoice,
): Promise<ResolvedAwsvpc> {
  const subnets: SubnetRecord[] = [];
  for (const id of choice.subnets) {
    const s = await getSubnet(tx, region, id);
    if (!s)
      throw invalid(
        `Error retrieving subnet information for [${id}]: The subnet ID '${id}' does not exist (ErrorCode: InvalidSubnetID.NotFound)`,
      );
    subnets.push(s.value);
  }
  const vpcId = subnets[0]!.vpcId;
  if (subnets.some((s) => s.vpcId !== vpcId)) throw invalid("The subnets must all belong to the same VPC.");
  const groupIds: string[] = [];
  for (const id of choice.securityGroups) {
    const g = await getGroup(tx, region, id);
    if (!g)
      throw invalid(
        `Error retrieving security group information for [${id}]: The security group '${id}' does not exist (ErrorCode: InvalidGroup.NotFound)`,
      );
    if (g.value.vpcId !== vpcId)
      throw invalid(`Security group ${id} and subnet ${subnets[0]!.id} belong to different networks.`);
    groupIds.push(id);
  }
  if (groupIds.length === 0) {
    const vpc = await getVpc(tx, region, vpcId);
    if (vpc) groupIds.push(vpc.value.defaultGroupId);
  }
  return { choice, vpcId, subnets, groupIds };
}

/**
 * The subnet for the next task: among those in `zones` (all when undefined), the one in the zone with
 * the fewest tasks so far, so a service spreads across the configuration's Availability Zones.
 */
export function pickSubnet(
  r: ResolvedAwsvpc,
  tasksPerZone: ReadonlyMap<string, number>,
  zones?: ReadonlySet<string>,
): SubnetRecord | undefined {
  const candidates = r.subnets.filter((s) => !zones || zones.has(s.availabilityZone));
  return candidates.sort(
    (a, b) => (tasksPerZone.get(a.availabilityZone) ?? 0) - (tasksPerZone.get(b.availabilityZone) ?? 0),
  )[0];
}
