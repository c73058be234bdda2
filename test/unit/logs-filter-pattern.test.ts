/**
 * CloudWatch Logs filter patterns: which messages each pattern matches, and which patterns are
 * refused. Expectations follow the AWS filter pattern syntax guide (terms are case-sensitive, a
 * JSON comparison on a missing field never matches, not even `!=`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilterPattern } from "../../src/domain/logs/filter-pattern.js";
import { AwsError } from "../../src/errors/catalog.js";

const MESSAGES = {
  bad: "[ERROR 400] BAD REQUEST",
  unauth: "[ERROR 401] UNAUTHORIZED REQUEST",
  args: "[ERROR 420] INVALID ARGUMENTS",
  ok: "[SUCCESS 200] AUTHORIZED REQUEST",
  warn: "[WARN] disk at 91% on /dev/sda1",
  lower: "error: lower case",
  json1: JSON.stringify({
    level: "error",
    code: 500,
    latency: 1200.5,
    user: { id: 7, name: "Ana" },
    tags: ["a", "b"],
  }),
  json2: JSON.stringify({
    level: "info",
    code: 200,
    latency: 30,
    user: { id: 8, name: "Bo" },
    ok: true,
    gone: null,
  }),
  json3: JSON.stringify({ level: "warn", ip: "10.1.2.3", ok: false }),
  notJson: "{ not json",
} as const;
type Name = keyof typeof MESSAGES;

const CASES: { pattern: string; matches: Name[] }[] = [
  { pattern: "", matches: Object.keys(MESSAGES) as Name[] },
  { pattern: "   ", matches: Object.keys(MESSAGES) as Name[] },
  { pattern: "ERROR", matches: ["bad", "unauth", "args"] },
  { pattern: "ERROR ARGUMENTS", matches: ["args"] },
  { pattern: "ERROR -ARGUMENTS", matches: ["bad", "unauth"] },
  { pattern: "?ERROR ?WARN", matches: ["bad", "unauth", "args", "warn"] },
  { pattern: "?SUCCESS ?WARN -disk", matches: ["ok"] },
  { pattern: "REQUEST ?400 ?200", matches: ["bad", "ok"] },
  { pattern: '"BAD REQUEST"', matches: ["bad"] },
  { pattern: '"ERROR 401"', matches: ["unauth"] },
  { pattern: '-"ERROR 4"', matches: ["ok", "warn", "lower", "json1", "json2", "json3", "notJson"] },
  { pattern: '"91%"', matches: ["warn"] },
  { pattern: "error", matches: ["lower", "json1"] },
  { pattern: '{ $.level = "error" }', matches: ["json1"] },
  { pattern: "{ $.level = error }", matches: ["json1"] },
  { pattern: '{ $.level != "error" }', matches: ["json2", "json3"] },
  { pattern: "{ $.code = 500 }", matches: ["json1"] },
  { pattern: "{ $.code != 500 }", matches: ["json2"] },
  { pattern: "{ $.code >= 200 }", matches: ["json1", "json2"] },
  { pattern: "{ $.latency > 1000 }", matches: ["json1"] },
  { pattern: "{ $.latency < 100.5 }", matches: ["json2"] },
  { pattern: "{ $.latency <= 30 }", matches: ["json2"] },
  { pattern: "{ $.user.id = 7 }", matches: ["json1"] },
  { pattern: '{ $.user.name = "A*" }', matches: ["json1"] },
  { pattern: '{ $.ip = "10.1.*" }', matches: ["json3"] },
  { pattern: "{ $.ip != 10.9.* }", matches: ["json3"] },
  { pattern: '{ $.tags[1] = "b" }', matches: ["json1"] },
  { pattern: '{ $.tags[2] = "b" }', matches: [] },
  { pattern: '{ $.level = "error" || $.level = "warn" }', matches: ["json1", "json3"] },
  { pattern: '{ $.level = "info" && $.code = 200 }', matches: ["json2"] },
  { pattern: '{ ($.level = "info" || $.level = "error") && $.code > 300 }', matches: ["json1"] },
  { pattern: '{ $.level = "warn" || $.level = "info" && $.code = 500 }', matches: ["json3"] },
  { pattern: "{ $.gone IS NULL }", matches: ["json2"] },
  { pattern: "{ $.ok IS TRUE }", matches: ["json2"] },
  { pattern: "{ $.ok IS FALSE }", matches: ["json3"] },
  { pattern: "{ $.ip NOT EXISTS }", matches: ["json1", "json2"] },
  { pattern: '{ $.level = "*" }', matches: ["json1", "json2", "json3"] },
];

describe("filter patterns: matching", () => {
  for (const c of CASES) {
    it(`${JSON.stringify(c.pattern)} matches ${c.matches.join(", ") || "nothing"}`, () => {
      const m = compileFilterPattern(c.pattern);
      const got = (Object.keys(MESSAGES) as Name[]).filter((n) => m(MESSAGES[n]));
      assert.deepEqual(got.sort(), [...c.matches].sort());
    });
  }
});

const REFUSED: { pattern: string; message: RegExp }[] = [
  { pattern: '"unclosed', message: /^Invalid filter pattern$/ },
  { pattern: 'ab"cd', message: /^Invalid filter pattern$/ },
  { pattern: "- ERROR", message: /^Invalid filter pattern$/ },
  { pattern: "{ $.level = ", message: /^Invalid filter pattern$/ },
  { pattern: "{ $.level = error", message: /^Invalid filter pattern$/ },
  { pattern: "{ level = error }", message: /^Invalid filter pattern$/ },
  { pattern: "{ $.code > abc }", message: /^Invalid filter pattern$/ },
  { pattern: "{ $.a = 1 && }", message: /^Invalid filter pattern$/ },
  { pattern: "{ $.a = 1 } extra", message: /^Invalid filter pattern$/ },
  { pattern: "[ip, user, status = 404]", message: /space-delimited/ },
  { pattern: "%ERR[0-9]+%", message: /regular expressions/ },
  { pattern: "{ $.items[*].id = 1 }", message: /wildcard selectors/ },
];

describe("filter patterns: refused", () => {
  for (const c of REFUSED) {
    it(`${JSON.stringify(c.pattern)} is an InvalidParameterException`, () => {
      assert.throws(
        () => compileFilterPattern(c.pattern),
        (err: unknown) =>
          err instanceof AwsError &&
          err.def.code === "InvalidParameterException" &&
          c.message.test(err.message),
      );
    });
  }
});

describe("filter patterns: JSON string wildcards", () => {
  const msg = (v: string) => JSON.stringify({ v });
  it("take `*` as any run and every other character literally", () => {
    const cases: [pattern: string, value: string, want: boolean][] = [
      ['{ $.v = "a?c" }', "a?c", true], // `?` is no wildcard in a JSON pattern
      ['{ $.v = "a?c" }', "abc", false],
      ['{ $.v = "a.c" }', "abc", false],
      ['{ $.v = "a*c" }', "a\nc", true], // `*` spans line breaks
      ['{ $.v = "a*" }', "ba", false], // the whole value
      ['{ $.v = "*(x)*" }', "y(x)y", true],
    ];
    for (const [pattern, value, want] of cases)
      assert.equal(compileFilterPattern(pattern)(msg(value)), want, `${pattern} ~ ${JSON.stringify(value)}`);
  });

  it("decide a pathological pattern against a long value without backtracking blow-up", () => {
    // As a backtracking RegExp (`*` → `.*`) this took exponential time: FilterLogEvents hung.
    const stars = `${"*a".repeat(12)}*b`;
    const aaa = "a".repeat(100_000);
    assert.equal(compileFilterPattern(`{ $.v = "${stars}" }`)(msg(aaa)), false);
    assert.equal(compileFilterPattern(`{ $.v != "${stars}" }`)(msg(aaa)), true);
    assert.equal(compileFilterPattern(`{ $.v = "${stars}" }`)(msg(`${aaa}b`)), true);
  });
});
