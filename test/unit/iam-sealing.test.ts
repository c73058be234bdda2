/**
 * Sealing (secret access keys, STS session tokens): values open only with the same key and purpose,
 * tampering is detected, and a session token carries its session intact. The key file is created
 * once with mode 0600 and reused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { aesGcmSealer, fileKey } from "../../src/identity/sealer.js";
import { issueRoleSession } from "../../src/identity/session-issuer.js";
import { openSessionToken } from "../../src/identity/session-token.js";
import { tempDir } from "../helpers/berth.js";

const key = randomBytes(32);
const sealer = aesGcmSealer(() => key);

describe("sealer", () => {
  it("opens what it sealed, for the same purpose only", () => {
    const sealed = sealer.seal(
      Buffer.from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
      "iam-secret-access-key",
    );
    assert.ok(sealed.startsWith("s1."));
    assert.ok(!sealed.includes("wJalrXUtnFEMI"));
    assert.equal(
      sealer.open(sealed, "iam-secret-access-key")?.toString(),
      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    assert.equal(sealer.open(sealed, "sts-session-token"), undefined);
  });

  it("two seals of the same value differ (random IV)", () => {
    assert.notEqual(sealer.seal(Buffer.from("x"), "p"), sealer.seal(Buffer.from("x"), "p"));
  });

  it("detects tampering and refuses other keys and formats", () => {
    const sealed = sealer.seal(Buffer.from("secret"), "p");
    const raw = Buffer.from(sealed.slice(3), "base64url");
    raw[14] = (raw[14] ?? 0) ^ 1;
    assert.equal(sealer.open(`s1.${raw.toString("base64url")}`, "p"), undefined);
    assert.equal(aesGcmSealer(() => randomBytes(32)).open(sealed, "p"), undefined);
    assert.equal(sealer.open("plain-text", "p"), undefined);
    assert.equal(sealer.open("s1.AAAA", "p"), undefined);
  });

  it("fileKey creates the key once (mode 0600) and reuses it", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "sub", "iam-sealing.key");
      const first = fileKey(path)();
      assert.equal(first.length, 32);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(fileKey(path)(), first);
      assert.deepEqual(readFileSync(path), first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("session tokens", () => {
  it("carry the session and its policies, sealed", () => {
    const issued = issueRoleSession(sealer, {
      accountId: "123456789012",
      role: {
        arn: "arn:aws:iam::123456789012:role/app/deployer",
        name: "deployer",
        id: "AROAEXAMPLEEXAMPLE123",
      },
      sessionName: "ci-42",
      now: 1_767_225_600_000,
      durationSeconds: 900,
      policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}',
      policyArns: ["arn:aws:iam::aws:policy/IAMReadOnlyAccess"],
    });
    assert.match(issued.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(issued.assumedRoleArn, "arn:aws:sts::123456789012:assumed-role/deployer/ci-42");
    assert.equal(issued.assumedRoleId, "AROAEXAMPLEEXAMPLE123:ci-42");
    assert.equal(issued.expiresAt, 1_767_225_600_000 + 900_000);
    assert.ok(!issued.sessionToken.includes(issued.secretAccessKey));
    const claims = openSessionToken(sealer, issued.sessionToken);
    assert.equal(claims?.akid, issued.accessKeyId);
    assert.equal(claims?.secret, issued.secretAccessKey);
    assert.equal(claims?.role.arn, "arn:aws:iam::123456789012:role/app/deployer");
    assert.deepEqual(claims?.policyArns, ["arn:aws:iam::aws:policy/IAMReadOnlyAccess"]);
    assert.equal(
      openSessionToken(
        aesGcmSealer(() => randomBytes(32)),
        issued.sessionToken,
      ),
      undefined,
    );
  });
});
