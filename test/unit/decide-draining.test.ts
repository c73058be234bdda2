import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide, knownStatus, type ObservedTask } from "../../src/agent/engine/decide.js";

const running = (name: string) => ({
  name,
  essential: true,
  dependsOn: [],
  needsRunning: [],
  needsCreated: [],
  startTimeoutSec: 0,
  stopTimeoutSec: 30,
  hasHealthCheck: false,
  id: `id-${name}`,
  status: "running" as const,
  stopRequested: false,
});

describe("decide: draining before a stop", () => {
  const task = (draining: boolean): ObservedTask => ({
    desiredStatus: "STOPPED",
    images: "done",
    containers: [running("web")],
    cleanedUp: false,
    draining,
  });

  it("keeps the containers running and reports DEACTIVATING while targets drain", () => {
    assert.deepEqual(decide(task(true), 0), []);
    assert.equal(knownStatus(task(true)), "DEACTIVATING");
  });

  it("stops them once the drain is over", () => {
    assert.deepEqual(decide(task(false), 0), [{ type: "stop", name: "web", timeoutSec: 30 }]);
    assert.equal(knownStatus(task(false)), "STOPPING");
  });
});
