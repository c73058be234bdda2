/**
 * Record kinds of EC2 networking state and their key layouts. Keys start with the region; ids are
 * unique within a region.
 */
export const K = {
  /** `${region}` — the account's per-region set-up: whether the default VPC was made. */
  account: "ec2.account",
  /** `${region}/${vpcId}` */
  vpc: "ec2.vpc",
  /** `${region}/${subnetId}` */
  subnet: "ec2.subnet",
  /** `${region}/${groupId}` — a security group with its rules */
  securityGroup: "ec2.sg",
  /** `${region}/${eniId}` */
  networkInterface: "ec2.eni",
  /** `${region}/${subnetId}/${address as 10 digits}` — addresses in use, for allocation */
  address: "ec2.address",
  /** `${region}/${publicIp as 10 digits}` — the local "public" addresses in use */
  publicAddress: "ec2.public-address",
} as const;

export const EC2_KINDS: ReadonlySet<string> = new Set(Object.values(K));
