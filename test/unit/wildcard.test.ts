/**
 * The shared wildcard matcher (src/lib/wildcard.ts): a table of cases, `?` as a literal for the APIs
 * that know only `*`, literal pieces mixed in, agreement with the anchored RegExp it replaces on
 * random small inputs, and pathological patterns against long values (exponential for a
 * backtracking RegExp; this test would not finish if the matcher backtracked that way).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ANY_RUN,
  compileWildcard,
  literalPattern,
  parseWildcard,
  wildcardMatch,
  wildcardMatcher,
} from "../../src/lib/wildcard.js";
import { forSeeds } from "../helpers/random.js";

/** `*` any run, `?` one character (when a wildcard), everything else literal, whole value. */
const CASES: [pattern: string, value: string, want: boolean][] = [
  ["", "", true],
  ["", "a", false],
  ["*", "", true],
  ["*", "anything at all", true],
  ["**", "", true],
  ["***", "abc", true],
  ["?", "", false],
  ["?", "x", true],
  ["?", "xy", false],
  ["lab-?", "lab-a", true],
  ["lab-?", "lab-", false],
  ["lab-a", "lab-a", true],
  ["lab-a", "Lab-a", false], // case-sensitive
  ["lab-a", "lab-ab", false],
  ["lab*", "lab", true],
  ["lab*", "la", false],
  ["lab*", "xlab", false], // anchored at the start
  ["*lab", "labx", false], // and at the end
  ["*-a", "lab-a", true],
  ["*-a", "lab-b", false],
  ["a*b*c", "aXXbYYc", true],
  ["a*b*c", "aXXbYY", false],
  ["a*b", "abab", true],
  ["*ab*ab", "xabyab", true],
  ["*aab", "aaab", true],
  ["a?c*", "abcdef", true],
  ["?*?", "a", false],
  ["?*?", "ab", true],
  ["a*?", "a", false],
  ["a*?", "ab", true],
  ["a.b", "aXb", false], // a dot is no wildcard
  ["a+", "aa", false],
  ["(a)|b", "(a)|b", true],
  ["[ab]", "a", false],
  ["[ab]", "[ab]", true],
  ["^a$", "^a$", true],
  ["{x}$", "{x}$", true],
  ["a\\*", "a\\bc", true], // a backslash stands for itself and escapes nothing
  ["a\\*", "a*", false],
  ["a?b", "a\nb", true], // `?` is any character, a line break included
  ["*", "line\nbreak", true],
  ["?", "\u{1F600}", false], // a character is a UTF-16 code unit, as for a RegExp without `u`
  ["??", "\u{1F600}", true],
];

const show = (pattern: string, value: string) => `${JSON.stringify(pattern)} ~ ${JSON.stringify(value)}`;

/** The anchored RegExp the callers used to build (what the matcher must agree with). */
function reference(pattern: string, value: string, question: boolean): boolean {
  const source = [...pattern]
    .map((c) =>
      c === "*" ? "[^]*" : c === "?" && question ? "[^]" : c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`).test(value);
}

describe("wildcard matching", () => {
  it("matches `*` as any run, `?` as one character, and everything else literally", () => {
    for (const [pattern, value, want] of CASES) {
      assert.equal(wildcardMatch(pattern, value), want, show(pattern, value));
      assert.equal(wildcardMatcher(pattern)(value), want, `compiled: ${show(pattern, value)}`);
    }
  });

  it("takes `?` literally when the API knows only `*`", () => {
    const q = { question: false };
    assert.equal(wildcardMatch("a?b", "a?b", q), true);
    assert.equal(wildcardMatch("a?b", "axb", q), false);
    assert.equal(wildcardMatch("*?", "what?", q), true);
    assert.equal(wildcardMatch("*?", "what", q), false);
    assert.equal(wildcardMatcher("a?", q)("ab"), false);
    assert.equal(wildcardMatcher("a?*", q)("a?b"), true);
  });

  it("takes literal pieces literally, wildcards and all", () => {
    // As IAM builds `arn:aws:s3:::bucket/${aws:username}/*` for a user named `a*`.
    const pattern = [...parseWildcard("home/"), ...literalPattern("a*?"), ...parseWildcard("/*")];
    assert.equal(pattern[pattern.length - 1], ANY_RUN);
    const m = compileWildcard(pattern);
    assert.equal(m("home/a*?/file"), true);
    assert.equal(m("home/abc/file"), false);
    assert.equal(m("home/a*x/file"), false);
    const q = compileWildcard([...literalPattern("?"), ...parseWildcard("?*")]);
    assert.equal(q("?x"), true);
    assert.equal(q("xx"), false);
  });

  it("agrees with the anchored RegExp on random small patterns and values", () => {
    const pat = ["a", "b", "*", "?", ".", "\n", "\\"];
    const val = ["a", "b", "?", "*", ".", "\n", "\\"];
    forSeeds(20261126, 3000, (r) => {
      const pattern = Array.from({ length: r.int(0, 7) }, () => r.pick(pat)).join("");
      const value = Array.from({ length: r.int(0, 8) }, () => r.pick(val)).join("");
      for (const question of [true, false]) {
        const want = reference(pattern, value, question);
        assert.equal(
          wildcardMatch(pattern, value, { question }),
          want,
          `${show(pattern, value)} ?=${question}`,
        );
        assert.equal(wildcardMatcher(pattern, { question })(value), want, `compiled ${show(pattern, value)}`);
      }
    });
  });

  it("decides pathological patterns against long values without backtracking blow-up", () => {
    const aaa = "a".repeat(100_000);
    const stars = `${"*a".repeat(12)}*b`; // *a*a*a*a*a*a*a*a*a*a*a*a*b
    assert.equal(wildcardMatch(stars, aaa), false);
    assert.equal(wildcardMatcher(stars)(aaa), false);
    assert.equal(wildcardMatch(stars, `${aaa}b`), true);
    assert.equal(wildcardMatch(`${"*a".repeat(20)}*c`, `${aaa}b`), false);
    assert.equal(wildcardMatch(`${"*?".repeat(20)}*c`, `${aaa}b`), false);
    assert.equal(wildcardMatch(`${"*a".repeat(12)}*b`, aaa, { question: false }), false);
    assert.equal(wildcardMatch(`*${"a".repeat(50)}b`, aaa), false);
    // Every segment between the stars has to be searched for, the last in vain.
    assert.equal(wildcardMatch(`${"*a".repeat(12)}*b*`, aaa), false);
    assert.equal(wildcardMatch(`${"*a?".repeat(12)}*b*`, aaa), false);
    assert.equal(wildcardMatch(`${"*a?".repeat(12)}*b*`, `${aaa}b`), true);
    assert.equal(wildcardMatch(`${"*a".repeat(12)}*?b?*`, aaa), false);
  });
});
