/**
 * IAM wildcards: `*` matches any run of characters (including none), `?` exactly one. Patterns are
 * compiled once into the cheapest test that decides them: equality, a prefix check, or a RegExp.
 */
export type Matcher = (value: string) => boolean;

const always: Matcher = () => true;

/** Compile `pattern`. With `ignoreCase` the caller must pass values already lower-cased. */
export function wildcard(pattern: string, ignoreCase = false): Matcher {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  if (p === "*") return always;
  const star = p.indexOf("*");
  const hasQuestion = p.includes("?");
  if (star < 0 && !hasQuestion) return (v) => v === p;
  if (!hasQuestion && star === p.length - 1) {
    const prefix = p.slice(0, -1);
    return (v) => v.startsWith(prefix);
  }
  const re = new RegExp(`^${wildcardSource(p)}$`, "s");
  return (v) => re.test(v);
}

/** Whether a pattern contains wildcards at all. */
export const hasWildcard = (pattern: string): boolean => pattern.includes("*") || pattern.includes("?");

/**
 * ARN matching as ArnLike/ArnEquals do it: the six colon-separated parts are matched one by one
 * (the last part keeps any further colons), each with wildcards, case-sensitively.
 */
export function arnWildcard(pattern: string): Matcher {
  if (pattern === "*") return always;
  const parts = splitArn(pattern);
  if (!parts) return wildcard(pattern);
  const matchers = parts.map((p) => wildcard(p));
  return (v) => {
    const got = splitArn(v);
    if (!got) return false;
    for (let i = 0; i < 6; i++) if (!matchers[i]!(got[i]!)) return false;
    return true;
  };
}

function splitArn(s: string): string[] | undefined {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < 5; i++) {
    const c = s.indexOf(":", from);
    if (c < 0) return undefined;
    out.push(s.slice(from, c));
    from = c + 1;
  }
  out.push(s.slice(from));
  return out[0] === "arn" ? out : undefined;
}

/** The RegExp source of a wildcard pattern (no anchors). */
export const wildcardSource = (pattern: string): string =>
  pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");

/** Text that a RegExp matches literally. */
export const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
