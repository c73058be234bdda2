/**
 * Opaque pagination tokens. A token names the last key a page returned; the next page starts after
 * it. Tokens are base64url JSON with a marker so that a token from another list is refused.
 */
export interface PageToken {
  /** Which list the token belongs to. */
  l: string;
  /** The last key returned. */
  k: string;
}

export function encodeToken(list: string, lastKey: string): string {
  return Buffer.from(JSON.stringify({ l: list, k: lastKey } satisfies PageToken)).toString("base64url");
}

/** Returns the last key, or undefined when the token is malformed or belongs to another list. */
export function decodeToken(list: string, token: string): string | undefined {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<PageToken>;
    return t.l === list && typeof t.k === "string" ? t.k : undefined;
  } catch {
    return undefined;
  }
}
