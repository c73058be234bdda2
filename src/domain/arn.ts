/** Amazon Resource Names. Berth always uses the `aws` partition. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  /** Everything after the fifth colon, e.g. `cluster/default` or `task-definition/web:3`. */
  resource: string;
}

export function formatArn(a: Omit<Arn, "partition"> & { partition?: string }): string {
  return `arn:${a.partition ?? "aws"}:${a.service}:${a.region}:${a.accountId}:${a.resource}`;
}

/** Parse an ARN, or return undefined when the string is not one. */
export function parseArn(s: string): Arn | undefined {
  if (!s.startsWith("arn:")) return undefined;
  const parts = s.split(":");
  if (parts.length < 6) return undefined;
  const [, partition, service, region, accountId] = parts as [string, string, string, string, string];
  if (!partition || !service) return undefined;
  return { partition, service, region, accountId, resource: parts.slice(5).join(":") };
}

export const isArn = (s: string): boolean => parseArn(s) !== undefined;
