import { decodeToken, encodeToken } from "../../domain/pagination.js";
import { AwsError, Errors } from "../../errors/catalog.js";

export interface PageRequest {
  maxResults?: number | undefined;
  nextToken?: string | undefined;
}

export interface Page {
  /** Resume after this key. */
  after: string | undefined;
  /** How many items the page holds. */
  limit: number;
}

/** Validate ECS pagination input: maxResults 1..max (default `max`), nextToken from the same list. */
export function pageOf(list: string, req: PageRequest, max = 100): Page {
  const limit = req.maxResults ?? max;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new AwsError(Errors.InvalidParameter, `maxResults must be between 1 and ${max}.`);
  }
  let after: string | undefined;
  if (req.nextToken !== undefined) {
    after = decodeToken(list, req.nextToken);
    if (after === undefined)
      throw new AwsError(Errors.InvalidParameter, "Invalid token: the nextToken is not valid.");
  }
  return { after, limit };
}

/**
 * Cut a list fetched with `limit + 1` items into a page and the token for the next one.
 */
export function cut<T>(
  list: string,
  items: readonly T[],
  limit: number,
  keyOf: (t: T) => string,
): { items: T[]; nextToken?: string } {
  if (items.length <= limit) return { items: [...items] };
  const page = items.slice(0, limit);
  return { items: page, nextToken: encodeToken(list, keyOf(page[page.length - 1]!)) };
}
