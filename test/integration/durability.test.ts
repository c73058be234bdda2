/**
 * An acknowledged write survives kill -9: stream writes at a running Berth process, SIGKILL it
 * mid-stream, restart on the same data dir, and find every acknowledged write.
 */
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from "@aws-sdk/client-ecs";
import { tempDir } from "../helpers/berth.js";
import { spawnBerth } from "../helpers/process.js";

describe("durability", () => {
  it("keeps every acknowledged write across kill -9", { timeout: 120_000 }, async () => {
    const dir = await tempDir();
    try {
      const first = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      const creds = JSON.parse(await readFile(join(dir, "credentials.json"), "utf8"));
      const client = (url: string) =>
        new ECSClient({ endpoint: url, region: "us-east-1", credentials: creds, maxAttempts: 1 });
      const ecs = client(first.url);
      const ackedClusters: string[] = [];
      const ackedRevisions: number[] = [];
      let stop = false;
      let n = 0;
      const worker = async (w: number) => {
        while (!stop) {
          const i = n++;
          try {
            if (i % 2 === 0) {
              await ecs.send(new CreateClusterCommand({ clusterName: `c-${w}-${i}` }));
              ackedClusters.push(`c-${w}-${i}`);
            } else {
              const r = await ecs.send(
                new RegisterTaskDefinitionCommand({
                  family: "dur",
                  containerDefinitions: [
                    {
                      name: "app",
                      image: "busybox",
                      memory: 32,
                      environment: [{ name: "I", value: String(i) }],
                    },
                  ],
                }),
              );
              ackedRevisions.push(r.taskDefinition!.revision!);
            }
          } catch {
            // In flight when the process died: not acknowledged, so no promise to keep.
          }
        }
      };
      const workers = Array.from({ length: 6 }, (_, w) => worker(w));
      // Kill once a good number of writes have been acknowledged, with more in flight.
      while (ackedClusters.length + ackedRevisions.length < 200) await new Promise((r) => setImmediate(r));
      await first.kill9();
      stop = true;
      await Promise.all(workers);

      const second = await spawnBerth(["--port", "0", "--data-dir", dir, "--no-agent"]);
      try {
        const ecs2 = client(second.url);
        for (let i = 0; i < ackedClusters.length; i += 100) {
          const batch = ackedClusters.slice(i, i + 100);
          const d = await ecs2.send(new DescribeClustersCommand({ clusters: batch }));
          assert.deepEqual(d.failures, [], `lost clusters: ${JSON.stringify(d.failures)}`);
          assert.equal(d.clusters?.length, batch.length);
        }
        for (const rev of ackedRevisions) {
          const d = await ecs2.send(new DescribeTaskDefinitionCommand({ taskDefinition: `dur:${rev}` }));
          assert.equal(d.taskDefinition?.revision, rev);
        }
        // Revision numbers stay unique and the family counter never goes backwards.
        const next = await ecs2.send(
          new RegisterTaskDefinitionCommand({
            family: "dur",
            containerDefinitions: [{ name: "app", image: "busybox", memory: 32 }],
          }),
        );
        assert.ok(next.taskDefinition!.revision! > Math.max(0, ...ackedRevisions));
        const listed = await ecs2.send(
          new ListTaskDefinitionsCommand({ familyPrefix: "dur", maxResults: 100 }),
        );
        assert.ok((listed.taskDefinitionArns?.length ?? 0) > 0);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
