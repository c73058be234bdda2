/**
 * IAM wildcards: `*` matches any run of characters (including none), `?` exactly one, matched by the
 * linear-time matcher of src/lib/wildcard.ts (never a RegExp: patterns come from policies).
 */
import { compileWildcard, literalPattern, parseWildcard, wildcardMatcher } from "../../lib/wildcard.js";
import { type ContextKeys, resolve, type Template } from "./context.js";

export type Matcher = (value: string) => boolean;

const always: Matcher = () => true;

/** Compile `pattern`. With `ignoreCase` the caller must pass values already lower-cased. */
export function wildcard(pattern: string, ignoreCase = false): Matcher {
  return wildcardMatcher(ignoreCase ? pattern.toLowerCase() : pattern);
}

/**
 * A template with policy variables as a wildcard pattern: in each request the policy's own text
 * keeps its wildcards and each substituted value is taken literally (a `*` in a user name is no
 * wildcard). A variable with no value matches nothing. With `ignoreCase` the substituted values are
 * lower-cased (the policy's text already is, and so must the values matched be). The matcher for
 * each substitution is compiled once and cached (a few hundred at most).
 */
export function templateWildcard(
  t: Template,
  ignoreCase = false,
): (value: string, ctx: ContextKeys) => boolean {
  const cache = new Map<string, Matcher>();
  return (value, ctx) => {
    const pieces = resolve(t, ctx);
    if (!pieces) return false;
    let key = ""; // the substituted values, each after its length: the policy's text never varies
    for (const p of pieces) if (p.substituted) key += `${p.text.length}:${p.text}`;
    let m = cache.get(key);
    if (!m) {
      const elements: number[] = [];
      for (const p of pieces) {
        const part = p.substituted
          ? literalPattern(ignoreCase ? p.text.toLowerCase() : p.text)
          : parseWildcard(p.text);
        for (const e of part) elements.push(e);
      }
      m = compileWildcard(elements);
      if (cache.size >= 256) cache.clear();
      cache.set(key, m);
    }
    return m(value);
  };
}

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
