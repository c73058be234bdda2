/**
 * Regions and Availability Zones as Berth presents them: every region has three zones, `<region>a`,
 * `b` and `c` (the zones `berth up --agents N` puts its container instances in), with AWS-style zone
 * ids (`use1-az1`).
 */

/** The regions DescribeRegions lists (the standard AWS commercial regions). */
export const REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ca-central-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
] as const;

const DIRECTIONS: Record<string, string> = {
  east: "e",
  west: "w",
  north: "n",
  south: "s",
  central: "c",
  northeast: "ne",
  northwest: "nw",
  southeast: "se",
  southwest: "sw",
};

/** `us-east-1` → `use1`, `ap-southeast-2` → `apse2`. */
export function regionCode(region: string): string {
  const [area = "", direction = "", n = ""] = region.split("-");
  // Own keys only: the region comes from the request's signature (`us-constructor-1` is well-formed).
  const code = Object.hasOwn(DIRECTIONS, direction) ? DIRECTIONS[direction] : direction.slice(0, 1);
  return `${area}${code}${n}`;
}

export interface Zone {
  name: string;
  id: string;
}

export const ZONE_LETTERS = ["a", "b", "c"] as const;

export function zonesOf(region: string): Zone[] {
  return ZONE_LETTERS.map((l, i) => ({ name: `${region}${l}`, id: `${regionCode(region)}-az${i + 1}` }));
}

export const zoneByName = (region: string, name: string): Zone | undefined =>
  zonesOf(region).find((z) => z.name === name);

export const zoneById = (region: string, id: string): Zone | undefined =>
  zonesOf(region).find((z) => z.id === id);
