/** SafeRegex: callers' regular expressions run with a time budget instead of stalling the process. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SafeRegex } from "../../src/lib/safe-regex.js";

// Each of these takes seconds to hours on a backtracking engine for the input beside it.
const PATHOLOGICAL: [string, string][] = [
  ["^(?:(a+)+b)$", "a".repeat(40)],
  ["^(?:(.*)*(.*)*(.*)*(.*)*!)$", "i-0123456789abcdef0123456789"],
  ["^(?:(a|a)*c)$", "a".repeat(40)],
];

describe("SafeRegex", () => {
  it("matches and misses like a RegExp for ordinary patterns", () => {
    const re = new SafeRegex("^(?:i-[0-9a-f]+)$");
    assert.equal(re.test("i-0abc"), true);
    assert.equal(re.test("i-0abz"), false);
    assert.equal(re.test(""), false);
    const unicode = new SafeRegex("^(?:\\p{L}+)$", "u");
    assert.equal(unicode.test("héllo"), true);
    assert.equal(unicode.test("h3llo"), false);
  });

  it("can be tested many times (the shared context is reset between tests)", () => {
    const digits = new SafeRegex("^\\d+$");
    const letters = new SafeRegex("^[a-z]+$");
    for (let i = 0; i < 200; i++) {
      assert.equal(digits.test(String(i)), true);
      assert.equal(letters.test(String(i)), false);
      assert.equal(letters.test("abc"), true);
    }
  });

  it("answers 'timeout' for a catastrophic pattern instead of running to the end", {
    timeout: 60_000,
  }, () => {
    for (const [pattern, input] of PATHOLOGICAL) {
      assert.equal(new SafeRegex(pattern, "", 20).test(input), "timeout", pattern);
    }
  });

  it("after one timeout, answers 'timeout' for every later input without running again", () => {
    const re = new SafeRegex("^(?:(a+)+b)$", "", 20);
    assert.equal(re.test("aab"), true);
    assert.equal(re.test("a".repeat(40)), "timeout");
    assert.equal(re.test("aab"), "timeout");
  });

  it("a timeout does not affect other patterns", () => {
    assert.equal(new SafeRegex("^(?:(a+)+b)$", "", 20).test("a".repeat(40)), "timeout");
    assert.equal(new SafeRegex("^(?:(a+)+b)$", "", 20).test("aaab"), true);
    assert.equal(new SafeRegex("^a+$").test("aaa"), true);
  });

  it("throws SyntaxError for an invalid pattern, when it is compiled", () => {
    assert.throws(() => new SafeRegex("(unclosed"), SyntaxError);
    assert.throws(() => new SafeRegex("\\p{Nope}", "u"), SyntaxError);
    assert.throws(() => new SafeRegex("a", "g"), SyntaxError);
  });
});
