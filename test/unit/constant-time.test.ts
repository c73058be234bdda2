/**
 * The comparison Secrets Manager uses for a retried CreateSecret/PutSecretValue: equal bytes are
 * equal, any difference (content, length, a prefix, the empty value) is not, and the inputs are left
 * as they were.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { constantTimeEqual } from "../../src/crypto/constant-time.js";

describe("constantTimeEqual", () => {
  it("is true for the same bytes, in different buffers", () => {
    assert.equal(constantTimeEqual(Buffer.from("s3cr3t-value"), Buffer.from("s3cr3t-value")), true);
    assert.equal(constantTimeEqual(Buffer.alloc(0), new Uint8Array(0)), true);
    const big = Buffer.alloc(65_536, 0xab);
    assert.equal(constantTimeEqual(big, Buffer.from(big)), true);
  });

  it("is false for different content, lengths, prefixes and the empty value", () => {
    const secret = Buffer.from('{"password":"hunter2"}');
    const cases: [string, Buffer][] = [
      ["last byte differs", Buffer.from('{"password":"hunter3"}')],
      ["first byte differs", Buffer.from('["password":"hunter2"}')],
      ["a prefix", secret.subarray(0, secret.length - 1)],
      ["one byte longer", Buffer.concat([secret, Buffer.from(" ")])],
      ["empty", Buffer.alloc(0)],
    ];
    for (const [name, other] of cases) {
      assert.equal(constantTimeEqual(secret, other), false, name);
      assert.equal(constantTimeEqual(other, secret), false, `${name} (swapped)`);
    }
  });

  it("compares bytes, not text: the same string in another encoding differs", () => {
    assert.equal(constantTimeEqual(Buffer.from("é", "utf8"), Buffer.from("é", "latin1")), false);
  });

  it("leaves its inputs unchanged", () => {
    const a = Buffer.from("abc");
    const b = Buffer.from("abd");
    constantTimeEqual(a, b);
    assert.equal(a.toString(), "abc");
    assert.equal(b.toString(), "abd");
  });
});
