/** A secret's recovery window ending, which needs time to pass: handlers called with chosen times. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AwsError } from "../../src/errors/catalog.js";
import { purgeExpiredSecrets } from "../../src/services/secretsmanager/purge.js";
import { VAULT } from "../../src/state/vault.js";
import { handlerBerth } from "../helpers/handlers.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

describe("Secrets Manager recovery window", () => {
  it("a deleted secret is gone once its window ends, its name free, its values purged", async () => {
    const { berth, call } = handlerBerth();
    const token = "12345678-1234-1234-1234-123456789012";
    await call(
      "secretsmanager",
      "CreateSecret",
      { Name: "s", SecretString: "v", ClientRequestToken: token },
      { now: T0 },
    );
    const del = await call(
      "secretsmanager",
      "DeleteSecret",
      { SecretId: "s", RecoveryWindowInDays: 7 },
      { now: T0 },
    );
    assert.equal((del.DeletionDate as Date).getTime(), T0 + 7 * DAY);
    // Still there (and restorable) just before the window ends.
    const before = await call(
      "secretsmanager",
      "DescribeSecret",
      { SecretId: "s" },
      { now: T0 + 7 * DAY - 1 },
    );
    assert.equal((before.DeletedDate as Date).getTime(), T0);
    await assert.rejects(
      call("secretsmanager", "DescribeSecret", { SecretId: "s" }, { now: T0 + 7 * DAY }),
      (err: AwsError) => err.def.code === "ResourceNotFoundException",
    );
    const vaultCount = () => berth.store.read((tx) => tx.count(VAULT, "us-east-1/secretsmanager/"));
    assert.equal(await vaultCount(), 1);
    assert.equal(await purgeExpiredSecrets(berth.store, T0 + 6 * DAY), 0);
    assert.equal(await purgeExpiredSecrets(berth.store, T0 + 7 * DAY), 1);
    assert.equal(await vaultCount(), 0);
    const again = await call(
      "secretsmanager",
      "CreateSecret",
      { Name: "s", SecretString: "new", ClientRequestToken: token },
      { now: T0 + 8 * DAY },
    );
    assert.equal(again.VersionId, token);
  });

  it("a name whose window ended is free even before the purge loop runs", async () => {
    const { call } = handlerBerth();
    await call(
      "secretsmanager",
      "CreateSecret",
      { Name: "s", SecretString: "v", ClientRequestToken: "a".repeat(32) },
      { now: T0 },
    );
    await call("secretsmanager", "DeleteSecret", { SecretId: "s", RecoveryWindowInDays: 30 }, { now: T0 });
    const c = await call(
      "secretsmanager",
      "CreateSecret",
      { Name: "s", SecretString: "w", ClientRequestToken: "b".repeat(32) },
      { now: T0 + 31 * DAY },
    );
    assert.equal(c.VersionId, "b".repeat(32));
    const v = await call("secretsmanager", "GetSecretValue", { SecretId: "s" }, { now: T0 + 31 * DAY });
    assert.equal(v.SecretString, "w");
  });

  it("LastAccessedDate is the day of the last read", async () => {
    const { call } = handlerBerth();
    await call(
      "secretsmanager",
      "CreateSecret",
      { Name: "s", SecretString: "v", ClientRequestToken: "c".repeat(32) },
      { now: T0 },
    );
    await call("secretsmanager", "GetSecretValue", { SecretId: "s" }, { now: T0 + 2 * DAY + 5000 });
    const d = await call("secretsmanager", "DescribeSecret", { SecretId: "s" }, { now: T0 + 3 * DAY });
    assert.equal((d.LastAccessedDate as Date).getTime(), T0 + 2 * DAY);
  });
});
