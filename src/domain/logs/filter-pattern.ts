/**
 * CloudWatch Logs filter patterns (FilterLogEvents' filterPattern), compiled once into a matcher.
 *
 * Supported:
 * - Terms: `ERROR Exception` (all must occur), `"exact phrase"`, `-excluded`, `?optional` (when a
 *   pattern has optional terms, at least one must occur). Matching is case-sensitive and by
 *   substring. An empty pattern matches everything.
 * - JSON patterns: `{ $.a.b[0] = "x*" }` with `=`, `!=` (strings with `*` wildcards, or numbers),
 *   `<`, `<=`, `>`, `>=` (numbers), `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`, combined with
 *   `&&`, `||` and parentheses. A message that is not JSON, or lacks the field, does not match
 *   (so `!=` does not match a missing field, as on AWS).
 *
 * Space-delimited patterns (`[ip, user, ...]`) and regular expressions (`%...%`) are refused with an
 * InvalidParameterException that says Berth does not support them.
 */
import { AwsError, Errors } from "../../errors/catalog.js";
import { wildcardMatcher } from "../../lib/wildcard.js";

export type Matcher = (message: string) => boolean;

const invalid = () => new AwsError(Errors.InvalidParameter, "Invalid filter pattern");
const unsupported = (what: string) =>
  new AwsError(
    Errors.InvalidParameter,
    `Berth does not support ${what} in filter patterns; use terms, quoted phrases or a JSON pattern ({ $.field = value }).`,
  );

export function compileFilterPattern(pattern: string | undefined): Matcher {
  const text = (pattern ?? "").trim();
  if (text === "") return () => true;
  if (text.startsWith("{")) return compileJson(text);
  if (text.startsWith("[")) throw unsupported("space-delimited patterns ([...])");
  if (text.startsWith("%")) throw unsupported("regular expressions (%...%)");
  return compileTerms(text);
}

// --- Terms ----------------------------------------------------------------------------------------

export interface Term {
  kind: "required" | "excluded" | "optional";
  text: string;
}

export function parseTerms(text: string): Term[] {
  const terms: Term[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    let kind: Term["kind"] = "required";
    if (text[i] === "-" || text[i] === "?") {
      kind = text[i] === "-" ? "excluded" : "optional";
      i++;
      if (i >= text.length || /\s/.test(text[i]!)) throw invalid();
    }
    let term = "";
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i]!;
        if (c === "\\" && i + 1 < text.length) {
          term += text[i + 1];
          i += 2;
          continue;
        }
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        term += c;
        i++;
      }
      if (!closed || (i < text.length && !/\s/.test(text[i]!))) throw invalid();
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) {
        if (text[i] === '"') throw invalid();
        term += text[i];
        i++;
      }
    }
    if (term === "") throw invalid();
    terms.push({ kind, text: term });
  }
  return terms;
}

function compileTerms(text: string): Matcher {
  const terms = parseTerms(text);
  const required = terms.filter((t) => t.kind === "required").map((t) => t.text);
  const excluded = terms.filter((t) => t.kind === "excluded").map((t) => t.text);
  const optional = terms.filter((t) => t.kind === "optional").map((t) => t.text);
  return (m) =>
    required.every((t) => m.includes(t)) &&
    !excluded.some((t) => m.includes(t)) &&
    (optional.length === 0 || optional.some((t) => m.includes(t)));
}

// --- JSON patterns --------------------------------------------------------------------------------

type Step = string | number;
type Literal = { kind: "string"; value: string } | { kind: "number"; value: number };
export type JsonExpr =
  | { op: "and" | "or"; left: JsonExpr; right: JsonExpr }
  | { op: "cmp"; path: Step[]; cmp: "=" | "!=" | "<" | "<=" | ">" | ">="; literal: Literal }
  | { op: "is"; path: Step[]; what: "NULL" | "TRUE" | "FALSE" | "NOT EXISTS" };

type Token =
  | { t: "(" | ")" | "&&" | "||" | "{" | "}" }
  | { t: "cmp"; v: "=" | "!=" | "<" | "<=" | ">" | ">=" }
  | { t: "selector"; v: string }
  | { t: "string"; v: string }
  | { t: "word"; v: string };

function lexJson(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "{" || c === "}" || c === "(" || c === ")") {
      out.push({ t: c });
      i++;
    } else if (text.startsWith("&&", i) || text.startsWith("||", i)) {
      out.push({ t: text.slice(i, i + 2) as "&&" | "||" });
      i += 2;
    } else if (text.startsWith("!=", i) || text.startsWith("<=", i) || text.startsWith(">=", i)) {
      out.push({ t: "cmp", v: text.slice(i, i + 2) as "!=" | "<=" | ">=" });
      i += 2;
    } else if (c === "=" || c === "<" || c === ">") {
      out.push({ t: "cmp", v: c });
      i++;
    } else if (c === '"') {
      let s = "";
      i++;
      let closed = false;
      while (i < text.length) {
        if (text[i] === "\\" && i + 1 < text.length) {
          s += text[i + 1];
          i += 2;
        } else if (text[i] === '"') {
          closed = true;
          i++;
          break;
        } else {
          s += text[i];
          i++;
        }
      }
      if (!closed) throw invalid();
      out.push({ t: "string", v: s });
    } else {
      let w = "";
      while (i < text.length && !/[\s(){}=!<>&|"]/.test(text[i]!)) {
        w += text[i];
        i++;
      }
      if (w === "") throw invalid();
      out.push(w.startsWith("$") ? { t: "selector", v: w } : { t: "word", v: w });
    }
  }
  return out;
}

function parseSelector(sel: string): Step[] {
  // $.a.b[0].c — keys of letters, digits, _, -, @ and :; array indexes in brackets.
  if (!sel.startsWith("$")) throw invalid();
  const steps: Step[] = [];
  let i = 1;
  while (i < sel.length) {
    if (sel[i] === ".") {
      const m = /^[A-Za-z0-9_\-@:]+/.exec(sel.slice(i + 1));
      if (!m) {
        if (sel[i + 1] === "*") throw unsupported("wildcard selectors ($.*)");
        throw invalid();
      }
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (sel[i] === "[") {
      const m = /^\[(\d+)\]/.exec(sel.slice(i));
      if (!m) {
        if (sel.startsWith("[*]", i)) throw unsupported("wildcard selectors ([*])");
        throw invalid();
      }
      steps.push(Number(m[1]));
      i += m[0].length;
    } else {
      throw invalid();
    }
  }
  if (steps.length === 0) throw invalid();
  return steps;
}

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

export function parseJsonPattern(text: string): JsonExpr {
  const tokens = lexJson(text);
  let p = 0;
  const peek = () => tokens[p];
  const take = () => tokens[p++];
  const expect = (t: Token["t"]) => {
    if (take()?.t !== t) throw invalid();
  };

  const condition = (): JsonExpr => {
    const tok = take();
    if (tok?.t === "(") {
      const e = or();
      expect(")");
      return e;
    }
    if (tok?.t !== "selector") throw invalid();
    const path = parseSelector(tok.v);
    const next = take();
    if (next?.t === "cmp") {
      const lit = take();
      let literal: Literal;
      if (lit?.t === "string") literal = { kind: "string", value: lit.v };
      else if (lit?.t === "word" && NUMBER.test(lit.v)) literal = { kind: "number", value: Number(lit.v) };
      else if (lit?.t === "word") literal = { kind: "string", value: lit.v };
      else throw invalid();
      if (next.v !== "=" && next.v !== "!=" && literal.kind !== "number") throw invalid();
      return { op: "cmp", path, cmp: next.v, literal };
    }
    if (next?.t === "word" && next.v === "IS") {
      const w = take();
      if (w?.t === "word" && (w.v === "NULL" || w.v === "TRUE" || w.v === "FALSE"))
        return { op: "is", path, what: w.v };
      throw invalid();
    }
    if (next?.t === "word" && next.v === "NOT") {
      const w = take();
      if (w?.t === "word" && w.v === "EXISTS") return { op: "is", path, what: "NOT EXISTS" };
      throw invalid();
    }
    throw invalid();
  };
  const and = (): JsonExpr => {
    let left = condition();
    while (peek()?.t === "&&") {
      take();
      left = { op: "and", left, right: condition() };
    }
    return left;
  };
  const or = (): JsonExpr => {
    let left = and();
    while (peek()?.t === "||") {
      take();
      left = { op: "or", left, right: and() };
    }
    return left;
  };

  expect("{");
  const expr = or();
  expect("}");
  if (p !== tokens.length) throw invalid();
  return expr;
}

function lookup(doc: unknown, path: readonly Step[]): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const step of path) {
    if (typeof step === "number") {
      if (!Array.isArray(cur) || step >= cur.length) return { found: false };
      cur = cur[step];
    } else {
      if (cur === null || typeof cur !== "object" || Array.isArray(cur) || !Object.hasOwn(cur, step))
        return { found: false };
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: cur };
}

function compileExpr(e: JsonExpr): (doc: unknown) => boolean {
  switch (e.op) {
    case "and": {
      const l = compileExpr(e.left);
      const r = compileExpr(e.right);
      return (d) => l(d) && r(d);
    }
    case "or": {
      const l = compileExpr(e.left);
      const r = compileExpr(e.right);
      return (d) => l(d) || r(d);
    }
    case "is":
      return (d) => {
        const { found, value } = lookup(d, e.path);
        if (e.what === "NOT EXISTS") return !found;
        if (!found) return false;
        return e.what === "NULL" ? value === null : value === (e.what === "TRUE");
      };
    case "cmp": {
      const { literal, cmp } = e;
      if (literal.kind === "number") {
        const n = literal.value;
        const test = {
          "=": (x: number) => x === n,
          "!=": (x: number) => x !== n,
          "<": (x: number) => x < n,
          "<=": (x: number) => x <= n,
          ">": (x: number) => x > n,
          ">=": (x: number) => x >= n,
        }[cmp];
        return (d) => {
          const { found, value } = lookup(d, e.path);
          return found && typeof value === "number" && test(value);
        };
      }
      // `*` is the only wildcard of a JSON string literal: `?` stands for itself.
      const matches = wildcardMatcher(literal.value, { question: false });
      return (d) => {
        const { found, value } = lookup(d, e.path);
        if (!found || value === null || typeof value === "object") return false;
        const hit = matches(String(value));
        return cmp === "=" ? hit : !hit;
      };
    }
  }
}

function compileJson(text: string): Matcher {
  const test = compileExpr(parseJsonPattern(text));
  return (m) => {
    const s = m.trimStart();
    if (s[0] !== "{" && s[0] !== "[") return false;
    let doc: unknown;
    try {
      doc = JSON.parse(m);
    } catch {
      return false;
    }
    return test(doc);
  };
}
