/**
 * ECS's cluster query language, used by memberOf placement constraints and the filter of
 * ListContainerInstances. An expression compares a subject of a container instance with values:
 *
 *   attribute:ecs.instance-type == t2.small
 *   attribute:ecs.availability-zone in [us-east-1a, us-east-1b] and attribute:gpu exists
 *   task:group == service:web or runningTasksCount < 5
 *
 * Subjects: agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt,
 * runningTasksCount, task:group. Operators (symbol or word): == equals, != not_equals, > greater_than,
 * >= greater_than_equal, < less_than, <= less_than_equal, exists, !exists not_exists, in, !in not_in,
 * =~ matches, !~ not_matches. Expressions combine with not (!), and (&&), or (||) and parentheses,
 * binding in that order. `exists` takes no argument (`attribute:gpu exists`); agentVersion compares
 * as a version, registeredAt as a date.
 *
 * `=~` and `!~` patterns come from callers and run with a time budget (src/lib/safe-regex.ts). An
 * instance for which a pattern runs out of budget is one the expression cannot be decided for, and
 * the whole expression is false for it — whatever the operator (`!~` as well as `=~`) and whatever
 * `not` surrounds it — so a pathological memberOf constraint places no task and a filter lists no
 * such instance, rather than either matching everything.
 */
import { AwsError, Errors } from "../../errors/catalog.js";
import { SafeRegex } from "../../lib/safe-regex.js";

export interface QueryTarget {
  agentConnected: boolean;
  agentVersion: string;
  attributes: ReadonlyMap<string, string | undefined>;
  ec2InstanceId: string;
  /** Epoch ms. */
  registeredAt: number;
  runningTasksCount: number;
  /** Groups of the tasks on the instance (`service:web`, `family:api`, ...). */
  taskGroups: ReadonlySet<string>;
}

export type Query = (t: QueryTarget) => boolean;

const OPERATORS: Record<string, string> = {
  "==": "eq",
  equals: "eq",
  "!=": "ne",
  not_equals: "ne",
  ">": "gt",
  greater_than: "gt",
  ">=": "ge",
  greater_than_equal: "ge",
  "<": "lt",
  less_than: "lt",
  "<=": "le",
  less_than_equal: "le",
  exists: "exists",
  "!exists": "nexists",
  not_exists: "nexists",
  in: "in",
  "!in": "nin",
  not_in: "nin",
  "=~": "match",
  matches: "match",
  "!~": "nmatch",
  not_matches: "nmatch",
};

export const MAX_EXPRESSION_LENGTH = 2000;

function invalid(expression: string, why: string): AwsError {
  return new AwsError(Errors.InvalidParameter, `Invalid cluster query expression '${expression}': ${why}`);
}

/** Thrown while evaluating when a pattern ran out of time; compileQuery turns it into false. */
const UNDECIDED = Symbol("undecided");

type Token = { kind: "word" | "string" | "op" | "(" | ")" | "[" | "]" | ","; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if ("()[],".includes(c)) {
      out.push({ kind: c as Token["kind"], text: c });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new Error("unterminated quote");
      out.push({ kind: "string", text: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (["==", "!=", ">=", "<=", "=~", "!~", "&&", "||"].includes(two)) {
      out.push({ kind: "op", text: two });
      i += 2;
      continue;
    }
    if (
      c === "!" &&
      src[i + 1] !== "=" &&
      src[i + 1] !== "~" &&
      !src.startsWith("!exists", i) &&
      !src.startsWith("!in", i)
    ) {
      out.push({ kind: "op", text: "!" });
      i++;
      continue;
    }
    if (src.startsWith("!exists", i) || src.startsWith("!in", i)) {
      const w = src.startsWith("!exists", i) ? "!exists" : "!in";
      out.push({ kind: "op", text: w });
      i += w.length;
      continue;
    }
    if (c === ">" || c === "<") {
      out.push({ kind: "op", text: c });
      i++;
      continue;
    }
    let j = i;
    while (
      j < src.length &&
      !/[\s()[\],'"]/.test(src[j]!) &&
      !["==", "!=", ">=", "<=", "=~", "!~"].includes(src.slice(j, j + 2))
    )
      j++;
    if (j === i) throw new Error(`unexpected '${c}'`);
    out.push({ kind: "word", text: src.slice(i, j) });
    i = j;
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private next(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw invalid(this.source, "unexpected end of expression");
    return t;
  }

  parse(): Query {
    const q = this.or();
    if (this.peek()) throw invalid(this.source, `unexpected '${this.peek()!.text}'`);
    return q;
  }

  private isWord(t: Token | undefined, ...words: string[]) {
    return t !== undefined && (t.kind === "word" || t.kind === "op") && words.includes(t.text.toLowerCase());
  }

  private or(): Query {
    let left = this.and();
    while (this.isWord(this.peek(), "or", "||")) {
      this.i++;
      const l = left;
      const r = this.and();
      left = (t) => l(t) || r(t);
    }
    return left;
  }

  private and(): Query {
    let left = this.primary();
    while (this.isWord(this.peek(), "and", "&&")) {
      this.i++;
      const l = left;
      const r = this.primary();
      left = (t) => l(t) && r(t);
    }
    return left;
  }

  private primary(): Query {
    const t = this.peek();
    // not(...) / !(...) negates a factor.
    if ((t?.kind === "word" && t.text.toLowerCase() === "not") || (t?.kind === "op" && t.text === "!")) {
      this.i++;
      const inner = this.primary();
      return (x) => !inner(x);
    }
    if (t?.kind === "(") {
      this.i++;
      const q = this.or();
      if (this.next().kind !== ")") throw invalid(this.source, "missing ')'");
      return q;
    }
    return this.comparison();
  }

  private values(): string[] {
    const t = this.next();
    if (t.kind === "[") {
      const out: string[] = [];
      for (;;) {
        const v = this.next();
        if (v.kind === "]" && out.length === 0) break;
        if (v.kind !== "word" && v.kind !== "string")
          throw invalid(this.source, `expected a value, got '${v.text}'`);
        out.push(v.text);
        const sep = this.next();
        if (sep.kind === "]") break;
        if (sep.kind !== ",") throw invalid(this.source, `expected ',' or ']', got '${sep.text}'`);
      }
      return out;
    }
    if (t.kind !== "word" && t.kind !== "string")
      throw invalid(this.source, `expected a value, got '${t.text}'`);
    return [t.text];
  }

  private comparison(): Query {
    const subjectTok = this.next();
    if (subjectTok.kind !== "word")
      throw invalid(this.source, `expected a subject, got '${subjectTok.text}'`);
    const subject = subjectTok.text;
    const get = subjectReader(subject, this.source);
    const opTok = this.next();
    const opName = opTok.text.toLowerCase();
    // Own keys only: `constructor` or `__proto__` is an unknown operator, not a prototype member.
    const op = Object.hasOwn(OPERATORS, opName) ? OPERATORS[opName] : undefined;
    if (!op) throw invalid(this.source, `unknown operator '${opTok.text}'`);
    if (op === "exists") return (t) => get.exists(t);
    if (op === "nexists") return (t) => !get.exists(t);
    const values = this.values();
    if ((op === "in" || op === "nin") === false && values.length !== 1)
      throw invalid(this.source, `${opTok.text} takes one value`);
    const v = values[0]!;
    switch (op) {
      case "eq":
        return (t) => get.values(t).some((x) => x === v);
      case "ne":
        return (t) => !get.values(t).some((x) => x === v);
      case "in":
        return (t) => get.values(t).some((x) => values.includes(x));
      case "nin":
        return (t) => !get.values(t).some((x) => values.includes(x));
      case "match":
      case "nmatch": {
        let re: SafeRegex;
        try {
          re = new SafeRegex(`^(?:${v})$`);
        } catch {
          throw invalid(this.source, `'${v}' is not a valid pattern`);
        }
        const matches = (x: string): boolean => {
          const r = re.test(x);
          if (r === "timeout") throw UNDECIDED;
          return r;
        };
        return op === "match" ? (t) => get.values(t).some(matches) : (t) => !get.values(t).some(matches);
      }
      default: {
        const test = {
          gt: (d: number) => d > 0,
          ge: (d: number) => d >= 0,
          lt: (d: number) => d < 0,
          le: (d: number) => d <= 0,
        }[op as "gt"];
        if (subject === "agentVersion") {
          if (!/^\d+(\.\d+)*/.test(v)) throw invalid(this.source, `'${v}' is not a version`);
          return (t) => get.values(t).some((x) => test(compareVersions(x, v)));
        }
        const bound = subject === "registeredAt" ? parseDate(v) : Number(v);
        if (Number.isNaN(bound))
          throw invalid(this.source, `'${v}' is not a ${subject === "registeredAt" ? "date" : "number"}`);
        return (t) => get.values(t).some((x) => test(Number(x) - bound));
      }
    }
  }
}

/** 1.14.5 vs 1.2: numeric parts compared in order; trailing text after the numbers is ignored. */
function compareVersions(a: string, b: string): number {
  const pa = (/^[\d.]+/.exec(a)?.[0] ?? "").split(".").map(Number);
  const pb = (/^[\d.]+/.exec(b)?.[0] ?? "").split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** registeredAt accepts 2018-06-18T22:28:28+00:00, ...Z, 2018-06-18T22:28:28 (UTC) and 2018-06-18. */
function parseDate(v: string): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return Date.parse(`${v}T00:00:00Z`);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(v)) return Date.parse(`${v}Z`);
  return /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : Number.NaN;
}

interface SubjectReader {
  exists(t: QueryTarget): boolean;
  values(t: QueryTarget): string[];
}

function subjectReader(subject: string, source: string): SubjectReader {
  if (subject.startsWith("attribute:")) {
    const name = subject.slice("attribute:".length);
    if (!name) throw invalid(source, "attribute: needs a name");
    return {
      exists: (t) => t.attributes.has(name),
      values: (t) => {
        if (!t.attributes.has(name)) return [];
        return [t.attributes.get(name) ?? ""];
      },
    };
  }
  const one = (f: (t: QueryTarget) => string): SubjectReader => ({
    exists: () => true,
    values: (t) => [f(t)],
  });
  switch (subject) {
    case "agentConnected":
      return one((t) => String(t.agentConnected));
    case "agentVersion":
      return one((t) => t.agentVersion);
    case "ec2InstanceId":
      return one((t) => t.ec2InstanceId);
    case "registeredAt":
      return one((t) => String(t.registeredAt));
    case "runningTasksCount":
      return one((t) => String(t.runningTasksCount));
    case "task:group":
      return { exists: (t) => t.taskGroups.size > 0, values: (t) => [...t.taskGroups] };
    default:
      throw invalid(source, `unknown subject '${subject}'`);
  }
}

/** Compile an expression once; the result is evaluated for many instances. */
export function compileQuery(expression: string): Query {
  if (expression.length === 0) throw invalid(expression, "the expression is empty");
  if (expression.length > MAX_EXPRESSION_LENGTH)
    throw invalid(expression.slice(0, 40), `longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let tokens: Token[];
  try {
    tokens = tokenize(expression);
  } catch (err) {
    throw invalid(expression, (err as Error).message);
  }
  const query = new Parser(tokens, expression).parse();
  return (t) => {
    try {
      return query(t);
    } catch (err) {
      if (err === UNDECIDED) return false;
      throw err;
    }
  };
}
