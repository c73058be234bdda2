/**
 * CloudWatch Logs ARNs. A log group has two: `arn` ends in `:*` (IAM policies for most actions) and
 * `logGroupArn` does not (logGroupIdentifier inputs and the tagging APIs).
 */
import { AwsError, Errors } from "../../errors/catalog.js";
import { formatArn, parseArn } from "../arn.js";

export interface Scope {
  region: string;
  accountId: string;
}

export const logGroupArn = (s: Scope, group: string) =>
  formatArn({ service: "logs", region: s.region, accountId: s.accountId, resource: `log-group:${group}` });

export const logGroupArnStar = (s: Scope, group: string) => `${logGroupArn(s, group)}:*`;

export const logStreamArn = (s: Scope, group: string, stream: string) =>
  `${logGroupArn(s, group)}:log-stream:${stream}`;

export const GROUP_NOT_FOUND = "The specified log group does not exist.";
export const STREAM_NOT_FOUND = "The specified log stream does not exist.";

/**
 * The log group an operation names, from `logGroupName` or `logGroupIdentifier` (a name or a
 * log-group ARN without `:*`); exactly one must be given. An ARN of another account or region
 * names a group Berth cannot see: not found (cross-account observability is not supported).
 */
export function groupNameOf(s: Scope, input: { logGroupName?: string; logGroupIdentifier?: string }): string {
  const { logGroupName: name, logGroupIdentifier: id } = input;
  if ((name === undefined) === (id === undefined)) {
    throw new AwsError(
      Errors.InvalidParameter,
      "Either logGroupName or logGroupIdentifier must be specified, but not both.",
    );
  }
  if (name !== undefined) return name;
  return groupNameOfArnOrName(s, id!);
}

/** A name, or a log-group ARN (without `:*`) in this account and region. */
export function groupNameOfArnOrName(s: Scope, id: string): string {
  if (!id.startsWith("arn:")) return id;
  const arn = parseArn(id);
  if (
    arn?.service !== "logs" ||
    !arn.resource.startsWith("log-group:") ||
    arn.resource.length === "log-group:".length ||
    arn.resource.indexOf(":", "log-group:".length) >= 0
  ) {
    throw new AwsError(Errors.InvalidParameter, `The ARN '${id}' is not a log group ARN.`);
  }
  if (arn.region !== s.region || arn.accountId !== s.accountId)
    throw new AwsError(Errors.ResourceNotFound, GROUP_NOT_FOUND);
  return arn.resource.slice("log-group:".length);
}
