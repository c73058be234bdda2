/** EC2 resource ids (`vpc-` and 17 hex digits, as AWS makes them) and interface MAC addresses. */
import { randomBytes } from "node:crypto";

export type Ec2IdPrefix = "vpc" | "subnet" | "sg" | "sgr" | "eni" | "eni-attach" | "dopt" | "vpc-cidr-assoc";

export const ec2Id = (prefix: Ec2IdPrefix): string =>
  `${prefix}-${randomBytes(9).toString("hex").slice(0, 17)}`;

/** The id's form: `prefix-` and 8 or 17 hex digits. */
export const isEc2Id = (prefix: Ec2IdPrefix, id: string): boolean =>
  new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(id);

/** A locally administered unicast MAC address, as AWS gives ENIs (`0e:…`, `02:…`). */
export function macAddress(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}
