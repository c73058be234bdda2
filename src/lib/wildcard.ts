/**
 * Wildcard patterns as AWS APIs take them (IAM policies, EC2 Describe filters, CloudWatch Logs JSON
 * filter patterns, ECR tag filters): `*` stands for any run of characters (none included), `?` for
 * exactly one, and every other character (backslash too) for itself, case-sensitively; a pattern
 * matches the whole value. Characters are UTF-16 code units, as a RegExp without the `u` flag sees
 * them, and line breaks are characters like any other.
 *
 * Matching never builds a RegExp: a backtracking regular expression made from `*a*a*a*b` takes
 * exponential time on a long run of `a`s, and these patterns come from requests. Instead a pattern
 * is split at its `*`s into segments; the first must match at the start of the value, the last at
 * its end, and each one between is placed at its leftmost match after the one before (found with
 * indexOf when it has no `?`). Placing a segment as far left as it goes leaves the most room for
 * the rest, so no `*` is ever revisited: O(pattern × value) at worst, linear in practice.
 */

/** Which characters of a pattern's text are wildcards. */
export interface WildcardOptions {
  /**
   * Whether `?` stands for exactly one character (the default). CloudWatch Logs and ECR tag patterns
   * know only `*`: for them `?` stands for itself.
   */
  readonly question?: boolean;
}

/** A pattern element that matches any run of characters. */
export const ANY_RUN = -1;
/** A pattern element that matches exactly one character. */
export const ANY_ONE = -2;

/**
 * A parsed pattern: per element, a UTF-16 code unit that must match itself, or ANY_RUN or ANY_ONE.
 * Build one from pattern text (`parseWildcard`) and text taken literally (`literalPattern`), joined
 * end to end when a pattern mixes the two (IAM policy variables substitute literal values), then
 * compile it (`compileWildcard`).
 */
export type WildcardPattern = readonly number[];

/** Parse wildcard text, e.g. `parseWildcard("ecs:Describe*")`. */
export function parseWildcard(text: string, options: WildcardOptions = {}): number[] {
  const question = options.question ?? true;
  const out = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c === 42 /* * */ ? ANY_RUN : c === 63 /* ? */ && question ? ANY_ONE : c;
  }
  return out;
}

/** Text that matches only itself, `*` and `?` included. */
export function literalPattern(text: string): number[] {
  const out = new Array<number>(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** A run of a pattern between `*`s: its elements, and its text when it holds no `?`. */
interface Segment {
  readonly elements: readonly number[];
  readonly text: string | undefined;
}

function segment(elements: number[]): Segment {
  if (elements.includes(ANY_ONE)) return { elements, text: undefined };
  let text = "";
  for (const c of elements) text += String.fromCharCode(c);
  return { elements, text };
}

/** Does `s` match `value` at `at` (which leaves room for it)? */
function matchesAt(s: Segment, value: string, at: number): boolean {
  if (s.text !== undefined) return value.startsWith(s.text, at);
  const e = s.elements;
  for (let i = 0; i < e.length; i++) if (e[i] !== ANY_ONE && e[i] !== value.charCodeAt(at + i)) return false;
  return true;
}

/** The leftmost position in [from, end - length] where `s` matches, or -1. */
function find(s: Segment, value: string, from: number, end: number): number {
  const last = end - s.elements.length;
  if (s.text !== undefined) {
    const at = value.indexOf(s.text, from);
    return at >= 0 && at <= last ? at : -1;
  }
  for (let at = from; at <= last; at++) if (matchesAt(s, value, at)) return at;
  return -1;
}

/**
 * Compile a pattern once into the test that decides it.
 *
 * @example
 *   const m = compileWildcard(parseWildcard("arn:aws:ecs:*:123456789012:cluster/prod-?"));
 *   m("arn:aws:ecs:us-east-1:123456789012:cluster/prod-a"); // true
 */
export function compileWildcard(pattern: WildcardPattern): (value: string) => boolean {
  const segments: Segment[] = [];
  let current: number[] = [];
  for (const e of pattern) {
    if (e !== ANY_RUN) current.push(e);
    else {
      segments.push(segment(current));
      current = [];
    }
  }
  segments.push(segment(current));
  const head = segments[0]!;
  if (segments.length === 1) {
    const n = head.elements.length;
    return head.text !== undefined ? (v) => v === head.text : (v) => v.length === n && matchesAt(head, v, 0);
  }
  const tail = segments[segments.length - 1]!;
  const middle = segments.slice(1, -1).filter((s) => s.elements.length > 0);
  const fixed = head.elements.length + tail.elements.length;
  return (v) => {
    const end = v.length - tail.elements.length;
    if (v.length < fixed || !matchesAt(head, v, 0) || !matchesAt(tail, v, end)) return false;
    let from = head.elements.length;
    for (const s of middle) {
      const at = find(s, v, from, end);
      if (at < 0) return false;
      from = at + s.elements.length;
    }
    return true;
  };
}

/** Compile wildcard text; see `compileWildcard`. */
export const wildcardMatcher = (pattern: string, options?: WildcardOptions): ((value: string) => boolean) =>
  compileWildcard(parseWildcard(pattern, options));

/** Does `value` match the wildcard text `pattern`? For one-off matches; compile patterns used often. */
export const wildcardMatch = (pattern: string, value: string, options?: WildcardOptions): boolean =>
  wildcardMatcher(pattern, options)(value);
