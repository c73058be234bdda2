/** DescribeRegions and DescribeAvailabilityZones. */
import type {
  AvailabilityZone,
  DescribeAvailabilityZonesRequest,
  DescribeAvailabilityZonesResult,
  DescribeRegionsRequest,
  DescribeRegionsResult,
  Region,
} from "@aws-sdk/client-ec2";
import { checkFilters, type FilterFields, matchesFilters } from "../../domain/ec2/filters.js";
import { REGIONS, zonesOf } from "../../domain/ec2/zones.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import type { Handler } from "../service.js";
import { dryRun } from "./common.js";

const endpoint = (r: string) => `ec2.${r}.amazonaws.com`;

export function regionHandlers() {
  const regions: Handler<DescribeRegionsRequest, DescribeRegionsResult> = (input, ctx) => {
    const fields: FilterFields<string> = {
      endpoint: (r) => [endpoint(r)],
      "region-name": (r) => [r],
      "opt-in-status": () => ["opt-in-not-required"],
    };
    checkFilters(input.Filters, fields, false);
    dryRun(input);
    // Berth serves every region a request is signed for; the caller's own is listed even if unusual.
    const all = [...new Set<string>([...REGIONS, ctx.region])].sort();
    for (const name of input.RegionNames ?? [])
      if (!all.includes(name))
        throw new AwsError(Errors.InvalidParameterValue, `Invalid region names: [${name}]`);
    const picked = all
      .filter((r) => !input.RegionNames?.length || input.RegionNames.includes(r))
      .filter((r) => matchesFilters(r, input.Filters, fields));
    return {
      Regions: picked.map(
        (r): Region => ({ Endpoint: endpoint(r), RegionName: r, OptInStatus: "opt-in-not-required" }),
      ),
    };
  };

  const zones: Handler<DescribeAvailabilityZonesRequest, DescribeAvailabilityZonesResult> = (input, ctx) => {
    const fields: FilterFields<AvailabilityZone> = {
      "zone-name": (z) => [z.ZoneName],
      "zone-id": (z) => [z.ZoneId],
      "region-name": (z) => [z.RegionName],
      state: (z) => [z.State],
      "zone-type": (z) => [z.ZoneType],
      "group-name": (z) => [z.GroupName],
      "network-border-group": (z) => [z.NetworkBorderGroup],
      "opt-in-status": (z) => [z.OptInStatus],
      message: () => [],
    };
    checkFilters(input.Filters, fields, false);
    dryRun(input);
    const all = zonesOf(ctx.region).map(
      (z): AvailabilityZone => ({
        OptInStatus: "opt-in-not-required",
        Messages: [],
        RegionName: ctx.region,
        ZoneName: z.name,
        ZoneId: z.id,
        GroupName: ctx.region,
        NetworkBorderGroup: ctx.region,
        ZoneType: "availability-zone",
        State: "available",
      }),
    );
    for (const n of input.ZoneNames ?? [])
      if (!all.some((z) => z.ZoneName === n))
        throw new AwsError(Errors.InvalidParameterValue, `The zone '${n}' does not exist.`);
    for (const n of input.ZoneIds ?? [])
      if (!all.some((z) => z.ZoneId === n))
        throw new AwsError(Errors.InvalidParameterValue, `The zone ID '${n}' does not exist.`);
    return {
      AvailabilityZones: all.filter(
        (z) =>
          (!input.ZoneNames?.length || input.ZoneNames.includes(z.ZoneName!)) &&
          (!input.ZoneIds?.length || input.ZoneIds.includes(z.ZoneId!)) &&
          matchesFilters(z, input.Filters, fields),
      ),
    };
  };

  return { DescribeRegions: regions, DescribeAvailabilityZones: zones };
}
