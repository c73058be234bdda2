/**
 * Regular expressions written by callers (ECS `=~` queries, SSM AllowedPattern) run on V8's
 * backtracking engine, where a pattern such as `(a+)+b` takes exponential time on some inputs.
 * A SafeRegex runs each test inside `node:vm` with a timeout: V8 interrupts the match when the
 * budget is spent and the answer is "timeout" instead of a stalled event loop.
 *
 * A pattern that has once exceeded its budget is not run again: every later test answers
 * "timeout" at once, so one compiled pattern costs at most one budget however many values it is
 * tested against (a query over every container instance of a cluster, each scheduler pass).
 * Answers for recent inputs are remembered, as the values a pattern meets repeat (instance types,
 * zones), and a test in the vm costs ~50 µs against well under 1 µs for a plain RegExp.
 *
 *   const re = new SafeRegex("^(?:i-[0-9a-f]+)$");   // throws SyntaxError when invalid
 *   re.test("i-0abc")                                 // true | false | "timeout"
 */
import { createContext, Script } from "node:vm";

/** Milliseconds one test may take before it is interrupted. */
export const DEFAULT_REGEX_BUDGET_MS = 50;

interface Slots {
  re?: RegExp;
  input?: string;
}

// One context and one compiled script for every test keep the per-call cost small (tens of µs,
// mostly the watchdog vm starts for the timeout). Tests are synchronous, so the slots are never
// shared by two tests at once.
const slots: Slots = createContext(Object.create(null) as Slots);
const runTest = new Script("re.test(input)", { filename: "berth:safe-regex" });

export type RegexOutcome = boolean | "timeout";

/** Inputs whose answer one SafeRegex remembers; the memory starts afresh when it is full. */
const REMEMBERED = 256;

export class SafeRegex {
  private readonly re: RegExp;
  private exhausted = false;
  private readonly answers = new Map<string, boolean>();

  /** Throws SyntaxError when `source` is not a valid pattern (as `new RegExp` does). */
  constructor(
    source: string,
    flags = "",
    private readonly budgetMs = DEFAULT_REGEX_BUDGET_MS,
  ) {
    if (/[gy]/.test(flags)) throw new SyntaxError("SafeRegex does not take the g or y flag");
    this.re = new RegExp(source, flags);
  }

  /** Whether the pattern matches `input`, or "timeout" when the budget ran out (now or before). */
  test(input: string): RegexOutcome {
    if (this.exhausted) return "timeout";
    const known = this.answers.get(input);
    if (known !== undefined) return known;
    slots.re = this.re;
    slots.input = input;
    try {
      const answer = runTest.runInContext(slots, { timeout: this.budgetMs }) === true;
      if (this.answers.size >= REMEMBERED) this.answers.clear();
      this.answers.set(input, answer);
      return answer;
    } catch (err) {
      if ((err as { code?: unknown }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        this.exhausted = true;
        return "timeout";
      }
      throw err;
    } finally {
      slots.re = undefined;
      slots.input = undefined;
    }
  }
}
