/** The ECS cluster query language (memberOf constraints, ListContainerInstances filter): hostile input. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileQuery, type QueryTarget } from "../../src/domain/ecs/query-language.js";
import { AwsError, Errors } from "../../src/errors/catalog.js";

function target(over: Partial<QueryTarget> = {}): QueryTarget {
  return {
    agentConnected: true,
    agentVersion: "1.80.0",
    attributes: new Map([["ecs.instance-type", "t3.small"]]),
    ec2InstanceId: "i-0123456789abcdef0123456789",
    registeredAt: Date.UTC(2026, 0, 1),
    runningTasksCount: 3,
    taskGroups: new Set(["service:web"]),
    ...over,
  };
}

function refuses(expression: string, message: RegExp): void {
  assert.throws(
    () => compileQuery(expression),
    (err: unknown) =>
      err instanceof AwsError && err.def.code === Errors.InvalidParameter.code && message.test(err.message),
    expression,
  );
}

const CATASTROPHIC = "'(.*)*(.*)*(.*)*(.*)*!'";

describe("cluster query language", () => {
  it("a JavaScript prototype member is an unknown operator, refused when parsed", () => {
    for (const op of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
      refuses(`runningTasksCount ${op} 5`, new RegExp(`unknown operator '${op}'`));
    }
  });

  it("operators still work, by symbol and by word, in any case", () => {
    assert.equal(compileQuery("runningTasksCount < 5")(target()), true);
    assert.equal(compileQuery("runningTasksCount GREATER_THAN 5")(target()), false);
    assert.equal(compileQuery("attribute:ecs.instance-type =~ t3.*")(target()), true);
    assert.equal(compileQuery("attribute:ecs.instance-type not_matches t3.*")(target()), false);
    assert.equal(compileQuery("ec2InstanceId !~ 'i-9.*'")(target()), true);
  });

  it("an invalid pattern is refused when parsed", () => {
    refuses("ec2InstanceId =~ '(unclosed'", /'\(unclosed' is not a valid pattern/);
  });

  it("a pattern that runs out of time makes the expression false, for =~, !~ and under not", {
    timeout: 60_000,
  }, () => {
    for (const expression of [
      `ec2InstanceId =~ ${CATASTROPHIC}`,
      `ec2InstanceId !~ ${CATASTROPHIC}`,
      `not(ec2InstanceId =~ ${CATASTROPHIC})`,
      `!(ec2InstanceId !~ ${CATASTROPHIC})`,
      `runningTasksCount < 5 and ec2InstanceId !~ ${CATASTROPHIC}`,
      `runningTasksCount > 5 or ec2InstanceId !~ ${CATASTROPHIC}`,
    ]) {
      const query = compileQuery(expression);
      // Evaluated for many instances: each answers false (the pattern's budget is spent once).
      for (let i = 0; i < 50; i++) assert.equal(query(target()), false, expression);
    }
  });

  it("a decided branch still decides: the pattern is not needed when `or` is already true", () => {
    const query = compileQuery(`runningTasksCount < 5 or ec2InstanceId =~ ${CATASTROPHIC}`);
    assert.equal(query(target()), true);
  });
});
