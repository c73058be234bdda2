/**
 * The request context a policy is evaluated against: condition keys and their values, and policy
 * variables (`${aws:username}`) substituted from them.
 */

/**
 * Condition keys, looked up lower-cased (IAM key names are case-insensitive), each with its values;
 * a key that is absent is not in the request. Single-valued keys hold one value. A Map is one; the
 * authorizer's is lazy, computing a key only when a condition asks for it.
 */
export interface ContextKeys {
  get(key: string): readonly string[] | undefined;
}

/** Build a context from plain entries; undefined values are left out. */
export function contextOf(
  entries: Record<string, string | readonly string[] | undefined>,
): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined) continue;
    out.set(k.toLowerCase(), typeof v === "string" ? [v] : v);
  }
  return out;
}

type Part = string | { key: string; fallback?: string };

/** A string with `${key}` variables, split once so substitution is a walk over its parts. */
export interface Template {
  readonly parts: readonly Part[];
}

const SPECIAL: Record<string, string> = { "*": "*", "?": "?", $: "$" };

/** Split `pattern` into literal and variable parts; undefined when it has no variables. */
export function parseTemplate(pattern: string): Template | undefined {
  if (!pattern.includes("${")) return undefined;
  const parts: Part[] = [];
  let i = 0;
  let literal = "";
  while (i < pattern.length) {
    const start = pattern.indexOf("${", i);
    if (start < 0) break;
    const end = pattern.indexOf("}", start + 2);
    if (end < 0) break;
    literal += pattern.slice(i, start);
    const body = pattern.slice(start + 2, end).trim();
    const special = SPECIAL[body];
    if (special !== undefined) {
      // ${*} and friends stand for the literal character, not a wildcard: escape it as its own part.
      if (literal) parts.push(literal);
      literal = "";
      parts.push({ key: `\u0000${special}` });
    } else {
      if (literal) parts.push(literal);
      literal = "";
      const comma = body.indexOf(",");
      if (comma < 0) parts.push({ key: body.toLowerCase() });
      else {
        const fallback = /^'(.*)'$/.exec(body.slice(comma + 1).trim())?.[1];
        parts.push({
          key: body.slice(0, comma).trim().toLowerCase(),
          ...(fallback !== undefined ? { fallback } : {}),
        });
      }
    }
    i = end + 1;
  }
  literal += pattern.slice(i);
  if (literal) parts.push(literal);
  return { parts };
}

const same = (s: string) => s;

/**
 * Substitute a template's variables. `quote` turns a substituted value into text the caller's
 * matcher takes literally, and `literal` translates the policy's own text (for example from a
 * wildcard pattern to a RegExp source). Returns undefined when a variable has no value and no
 * default, in which case IAM treats the element as not matching.
 */
export function substitute(
  t: Template,
  ctx: ContextKeys,
  quote: (s: string) => string = same,
  literal: (s: string) => string = same,
): string | undefined {
  let out = "";
  for (const p of t.parts) {
    if (typeof p === "string") {
      out += literal(p);
      continue;
    }
    if (p.key.startsWith("\u0000")) {
      out += quote(p.key.slice(1));
      continue;
    }
    const v = ctx.get(p.key);
    if (v && v.length === 1) out += quote(v[0]!);
    else if (p.fallback !== undefined) out += quote(p.fallback);
    else return undefined;
  }
  return out;
}
