/** GetLogEvents tokens, event ids, and PutLogEvents' batch rules (pure logic). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, MAX_AGE_MS, MAX_FUTURE_MS, validateBatch } from "../../src/domain/logs/ingest.js";
import {
  decodeGapToken,
  encodeGapToken,
  eventId,
  gapAfter,
  gapBefore,
} from "../../src/domain/logs/tokens.js";
import { AwsError } from "../../src/errors/catalog.js";

describe("GetLogEvents tokens", () => {
  it("have AWS's f/<56 digits>/s and b/<56 digits>/s form and round-trip", () => {
    for (const gap of [
      { ts: 0, seq: 0 },
      { ts: 1_767_225_600_000, seq: 42 },
      { ts: 999_999_999_999_999, seq: Number.MAX_SAFE_INTEGER },
    ]) {
      for (const dir of ["f", "b"] as const) {
        const t = encodeGapToken(dir, gap);
        assert.match(t, /^[fb]\/\d{56}\/s$/);
        assert.equal(t[0], dir);
        assert.deepEqual(decodeGapToken(t), { dir, gap });
      }
    }
  });

  it("refuse anything else", () => {
    for (const t of ["", "f/", "x/00/s", "f/123/s", `f/${"0".repeat(56)}`, `f/${"9".repeat(56)}/s`, "b/ab/s"])
      assert.equal(decodeGapToken(t), undefined, t);
  });

  it("gaps sit just after and just before an event", () => {
    assert.deepEqual(gapAfter({ ts: 5, seq: 3 }), { ts: 5, seq: 4 });
    assert.deepEqual(gapBefore({ ts: 5, seq: 3 }), { ts: 5, seq: 3 });
  });
});

describe("event ids", () => {
  it("are 56 digits, grow with the timestamp, and differ per stream and seq", () => {
    const a = eventId(1_767_225_600_000, "00000000000000ff", 1);
    const b = eventId(1_767_225_600_001, "0000000000000000", 0);
    const c = eventId(1_767_225_600_000, "00000000000000fe", 1);
    const d = eventId(1_767_225_600_000, "00000000000000ff", 2);
    for (const x of [a, b, c, d]) assert.match(x, /^\d{56}$/);
    assert.ok(BigInt(b) > BigInt(a));
    assert.equal(new Set([a, b, c, d]).size, 4);
  });
});

const NOW = Date.UTC(2026, 0, 15);
const ev = (timestamp: number, message = "m") => ({ timestamp, message });
const invalid = (re: RegExp) => (err: unknown) =>
  err instanceof AwsError && err.def.code === "InvalidParameterException" && re.test(err.message);

describe("PutLogEvents batch rules", () => {
  it("accept a chronological batch", () => {
    validateBatch([ev(NOW - 10), ev(NOW - 10), ev(NOW)]);
  });

  it("refuse an empty batch, empty messages and negative timestamps, naming each", () => {
    assert.throws(() => validateBatch([]), invalid(/at 'logEvents' .*greater than or equal to 1/));
    assert.throws(
      () => validateBatch([ev(NOW, ""), ev(-1)]),
      invalid(
        /^2 validation errors detected: .*'logEvents.1.member.message'.*; .*'logEvents.2.member.timestamp'/,
      ),
    );
  });

  it("refuse more than 10,000 events", () => {
    const events = Array.from({ length: 10_001 }, () => ev(NOW));
    assert.throws(() => validateBatch(events), invalid(/less than or equal to 10000/));
  });

  it("count 26 bytes per event against 1,048,576", () => {
    const msg = "x".repeat(1_048_576 - 26);
    validateBatch([ev(NOW, msg)]);
    assert.throws(
      () => validateBatch([ev(NOW, `${msg}é`)]),
      invalid(/^Upload too large: 1048578 bytes exceeds limit of 1048576$/),
    );
  });

  it("refuse events out of order and a span over 24 hours", () => {
    assert.throws(() => validateBatch([ev(NOW), ev(NOW - 1)]), invalid(/chronological order/));
    assert.throws(() => validateBatch([ev(NOW - 86_400_001), ev(NOW)]), invalid(/span more than 24 hours/));
  });

  it("reject too old, expired and too new events by index, keeping the rest", () => {
    const events = [
      ev(NOW - MAX_AGE_MS - 1, "ancient"),
      ev(NOW - 3 * 86_400_000, "expired"),
      ev(NOW, "kept"),
      ev(NOW + MAX_FUTURE_MS, "edge"),
      ev(NOW + MAX_FUTURE_MS + 1, "future"),
    ];
    const r = classify(events, NOW, 1);
    assert.deepEqual(
      r.accepted.map((e) => e.message),
      ["kept", "edge"],
    );
    assert.deepEqual(r.rejected, {
      tooOldLogEventEndIndex: 1,
      expiredLogEventEndIndex: 2,
      tooNewLogEventStartIndex: 4,
    });
    assert.deepEqual(classify([ev(NOW)], NOW), { accepted: [ev(NOW)] });
  });
});
