/** Helpers shared by the CloudWatch Logs handlers. */
import { GROUP_NOT_FOUND, STREAM_NOT_FOUND } from "../../domain/logs/arns.js";
import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { AwsError, Errors } from "../../errors/catalog.js";
import { getGroup } from "../../state/logs/groups.js";
import { getStream } from "../../state/logs/streams.js";
import type { ReadTx } from "../../state/store.js";

export async function requireGroup(tx: ReadTx, region: string, name: string) {
  const rec = await getGroup(tx, region, name);
  if (!rec) throw new AwsError(Errors.ResourceNotFound, GROUP_NOT_FOUND);
  return rec;
}

export async function requireStream(tx: ReadTx, region: string, group: string, name: string) {
  const rec = await getStream(tx, region, group, name);
  if (!rec) throw new AwsError(Errors.ResourceNotFound, STREAM_NOT_FOUND);
  return rec;
}

const INVALID_TOKEN = "The specified nextToken is invalid.";

/** The key a nextToken resumes after; tokens are bound to the list (and query) they came from. */
export function resumeAfter(list: string, token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const key = decodeToken(list, token);
  if (key === undefined) throw new AwsError(Errors.InvalidParameter, INVALID_TOKEN);
  return key;
}

export const tokenFor = encodeToken;
export { INVALID_TOKEN };

/**
 * An SDK request type with the members the model requires made non-optional: the gateway refuses a
 * request without them before the handler runs.
 */
export type With<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> };
