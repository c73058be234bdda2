import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pickJsonKey, secretsManagerReference, ssmRegion } from "../../src/domain/ecs/secret-reference.js";

const ARN = "arn:aws:secretsmanager:eu-west-1:000000000000:secret:prod/db-AbCdEf";

describe("task secret references", () => {
  it("tells Secrets Manager ARNs (whole, partial, with the suffix) from SSM parameters", () => {
    assert.deepEqual(secretsManagerReference(ARN), { secretId: ARN, region: "eu-west-1", jsonKey: "" });
    assert.deepEqual(secretsManagerReference(`${ARN}:password:AWSPREVIOUS:v-1`), {
      secretId: ARN,
      region: "eu-west-1",
      jsonKey: "password",
      stage: "AWSPREVIOUS",
      versionId: "v-1",
    });
    assert.deepEqual(secretsManagerReference(`${ARN}:::v-1`), {
      secretId: ARN,
      region: "eu-west-1",
      jsonKey: "",
      versionId: "v-1",
    });
    assert.equal(secretsManagerReference(`${ARN}:password`), "invalid");
    assert.equal(secretsManagerReference("arn:aws:secretsmanager:eu-west-1:000000000000:other:x"), "invalid");
    assert.equal(secretsManagerReference("/app/db/password"), undefined);
    assert.equal(secretsManagerReference("arn:aws:ssm:eu-west-1:000000000000:parameter/a"), undefined);
  });

  it("reads SSM references in their ARN's region, names in the task's", () => {
    assert.equal(ssmRegion("arn:aws:ssm:eu-west-1:000000000000:parameter/a", "us-east-1"), "eu-west-1");
    assert.equal(ssmRegion("/a:3", "us-east-1"), "us-east-1");
  });

  it("picks JSON keys and prints them as the ECS agent does", () => {
    const doc = JSON.stringify({ s: "text", n: 5432, b: true, z: null, o: { a: 1 }, l: [1, 2] });
    assert.equal(pickJsonKey(ARN, doc, "s"), "text");
    assert.equal(pickJsonKey(ARN, doc, "n"), "5432");
    assert.equal(pickJsonKey(ARN, doc, "b"), "true");
    assert.equal(pickJsonKey(ARN, doc, "z"), "<nil>");
    assert.equal(pickJsonKey(ARN, doc, "o"), '{"a":1}');
    assert.equal(pickJsonKey(ARN, doc, "l"), "[1,2]");
    assert.equal(pickJsonKey(ARN, doc, ""), doc);
  });

  it("explains a key it cannot pick without showing the value", () => {
    assert.deepEqual(pickJsonKey(ARN, '{"a":1}', "b"), {
      error: "retrieved secret from Secrets Manager did not contain json key b",
    });
    const notJson = pickJsonKey(ARN, "hunter2", "a");
    assert.ok(typeof notJson !== "string" && !notJson.error.includes("hunter2"));
    assert.deepEqual(pickJsonKey(ARN, "[1]", "a"), {
      error: "json: cannot unmarshal array into Go value of type map[string]interface {}",
    });
  });
});
