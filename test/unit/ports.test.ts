/**
 * Port mappings → engine ports → the network bindings ECS reports (agent/engine/ports.ts), and the
 * contiguous host port search for containerPortRange (agent/network/host-ports.ts).
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { networkBindings, publishedPorts, rangesToAllocate } from "../../src/agent/engine/ports.js";
import { HostPortRanges } from "../../src/agent/network/host-ports.js";
import { tempDir } from "../helpers/berth.js";

const def: ContainerDefinition = {
  name: "web",
  portMappings: [
    { containerPort: 80, hostPort: 0, protocol: "tcp" },
    { containerPort: 53, hostPort: 5353, protocol: "udp" },
    { containerPortRange: "9000-9002", protocol: "tcp" },
  ],
};

describe("port mappings", () => {
  it("allocates host ranges only for containerPortRange in bridge mode", () => {
    assert.deepEqual(rangesToAllocate(def, "bridge"), [{ index: 2, count: 3, protocol: "tcp" }]);
    assert.deepEqual(rangesToAllocate(def, "host"), []);
  });

  it("publishes single ports as mapped and a range on its host range", () => {
    assert.deepEqual(publishedPorts(def, "bridge", "", new Map([[2, 40000]])), [
      { containerPort: 80, hostPort: 0, protocol: "tcp", hostIp: "" },
      { containerPort: 53, hostPort: 5353, protocol: "udp", hostIp: "" },
      { containerPort: 9000, hostPort: 40000, protocol: "tcp", hostIp: "" },
      { containerPort: 9001, hostPort: 40001, protocol: "tcp", hostIp: "" },
      { containerPort: 9002, hostPort: 40002, protocol: "tcp", hostIp: "" },
    ]);
    assert.deepEqual(publishedPorts(def, "host", ""), [], "host mode publishes nothing");
  });

  it("reports singles one by one and a contiguous range once, per bind address", () => {
    const engine = (hostIp: string) => [
      { containerPort: 80, hostPort: 49153, protocol: "tcp" as const, hostIp },
      { containerPort: 53, hostPort: 5353, protocol: "udp" as const, hostIp },
      { containerPort: 9001, hostPort: 40001, protocol: "tcp" as const, hostIp },
      { containerPort: 9000, hostPort: 40000, protocol: "tcp" as const, hostIp },
      { containerPort: 9002, hostPort: 40002, protocol: "tcp" as const, hostIp },
    ];
    assert.deepEqual(networkBindings(def, "bridge", [...engine("0.0.0.0"), ...engine("::")]), [
      { bindIP: "0.0.0.0", containerPort: 80, hostPort: 49153, protocol: "tcp" },
      { bindIP: "0.0.0.0", containerPort: 53, hostPort: 5353, protocol: "udp" },
      { bindIP: "::", containerPort: 80, hostPort: 49153, protocol: "tcp" },
      { bindIP: "::", containerPort: 53, hostPort: 5353, protocol: "udp" },
      { bindIP: "0.0.0.0", protocol: "tcp", containerPortRange: "9000-9002", hostPortRange: "40000-40002" },
      { bindIP: "::", protocol: "tcp", containerPortRange: "9000-9002", hostPortRange: "40000-40002" },
    ]);
  });

  it("reports a range the engine scattered port by port", () => {
    const scattered = [
      { containerPort: 9000, hostPort: 40000, protocol: "tcp" as const, hostIp: "" },
      { containerPort: 9001, hostPort: 40007, protocol: "tcp" as const, hostIp: "" },
      { containerPort: 9002, hostPort: 40002, protocol: "tcp" as const, hostIp: "" },
    ];
    const only = { name: "x", portMappings: [def.portMappings![2]!] };
    assert.deepEqual(networkBindings(only, "bridge", scattered), [
      { bindIP: "0.0.0.0", containerPort: 9000, hostPort: 40000, protocol: "tcp" },
      { bindIP: "0.0.0.0", containerPort: 9001, hostPort: 40007, protocol: "tcp" },
      { bindIP: "0.0.0.0", containerPort: 9002, hostPort: 40002, protocol: "tcp" },
    ]);
  });

  it("reports hostPort = containerPort in host mode", () => {
    const hostDef = {
      name: "x",
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: "udp" as const }],
    };
    assert.deepEqual(networkBindings(hostDef, "host", []), [
      { bindIP: "0.0.0.0", containerPort: 8080, hostPort: 8080, protocol: "udp" },
    ]);
  });
});

describe("host port ranges", () => {
  const servers: Server[] = [];
  after(() => {
    for (const s of servers) s.close();
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const s = createServer();
      s.once("error", reject);
      s.listen(port, () => resolve());
      servers.push(s);
    });

  it("skips ports in use, hands out disjoint blocks, and fails when no block fits", async () => {
    // A private ephemeral range of 8 ports whose third port is taken.
    const base = 20_000 + (process.pid % 20_000);
    const file = join(await tempDir(), "range");
    await writeFile(file, `${base}\t${base + 7}\n`);
    await listen(base + 2);
    const ranges = new HostPortRanges(file);
    assert.equal(await ranges.take(2, "tcp"), base, "the block before the busy port");
    assert.equal(await ranges.take(3, "tcp"), base + 3, "after the busy port and the first block");
    await assert.rejects(ranges.take(6, "tcp"), /6 contiguous host ports are unavailable/);
    assert.equal(await ranges.take(2, "udp"), base + 6, "the search goes on after the last block");
  });
});
