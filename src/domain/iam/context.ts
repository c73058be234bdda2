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
    const special = Object.hasOwn(SPECIAL, body) ? SPECIAL[body] : undefined; // not `${constructor}`
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

/** A piece of a substituted template: the policy's own text, or a value substituted for a variable. */
export interface Piece {
  readonly text: string;
  /** A value from the request (or a variable's default, or `${*}` and friends): never a wildcard. */
  readonly substituted: boolean;
}

/**
 * Substitute a template's variables, keeping apart the policy's own text (which a wildcard pattern
 * reads as wildcards) and the substituted values (which it takes literally). Returns undefined when
 * a variable has no value and no default, in which case IAM treats the element as not matching.
 */
export function resolve(t: Template, ctx: ContextKeys): Piece[] | undefined {
  const out: Piece[] = [];
  for (const p of t.parts) {
    if (typeof p === "string") {
      out.push({ text: p, substituted: false });
      continue;
    }
    if (p.key.startsWith("\u0000")) {
      out.push({ text: p.key.slice(1), substituted: true });
      continue;
    }
    const v = ctx.get(p.key);
    if (v && v.length === 1) out.push({ text: v[0]!, substituted: true });
    else if (p.fallback !== undefined) out.push({ text: p.fallback, substituted: true });
    else return undefined;
  }
  return out;
}

/** Substitute a template's variables into plain text; undefined as for `resolve`. */
export function substitute(t: Template, ctx: ContextKeys): string | undefined {
  const pieces = resolve(t, ctx);
  if (!pieces) return undefined;
  let out = "";
  for (const p of pieces) out += p.text;
  return out;
}
