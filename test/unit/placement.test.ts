/**
 * What a task reserves and where it goes: taskNeeds, remaining and shortfall
 * (src/domain/ecs/resources.ts), and placeTasks (src/domain/ecs/placement.ts) with its filtering
 * reasons, spreading, and a seeded property test that placement never over-commits an instance.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest, TaskOverride } from "@aws-sdk/client-ecs";
import { type Candidate, placeTasks } from "../../src/domain/ecs/placement.js";
import {
  DEFAULT_RESERVED_PORTS,
  type InstanceResources,
  type ResourceNeeds,
  remaining,
  resourceList,
  shortfall,
  taskNeeds,
} from "../../src/domain/ecs/resources.js";
import { buildTaskDefinition, type StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import { forSeeds } from "../helpers/random.js";

type Container = Record<string, unknown>;

function td(containers: Container[], extra: Record<string, unknown> = {}): StoredTaskDefinition {
  return buildTaskDefinition(
    { family: "web", containerDefinitions: containers, ...extra } as unknown as RegisterTaskDefinitionRequest,
    {
      arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
      revision: 1,
      registeredAt: 0,
      registeredBy: "arn:aws:iam::000000000000:root",
    },
  );
}
const C = (name: string, over: Container = {}): Container => ({ name, image: "nginx", memory: 64, ...over });
const needs = (over: Partial<ResourceNeeds> = {}): ResourceNeeds => ({
  cpu: 0,
  memory: 0,
  tcpPorts: [],
  udpPorts: [],
  ...over,
});

describe("taskNeeds", () => {
  const cases: { name: string; td: StoredTaskDefinition; overrides?: TaskOverride; want: ResourceNeeds }[] = [
    {
      name: "sums container cpu and hard memory limits",
      td: td([C("a", { cpu: 128, memory: 100 }), C("b", { cpu: 64, memory: 50 })]),
      want: needs({ cpu: 192, memory: 150 }),
    },
    {
      name: "reserves memoryReservation when set, else memory",
      td: td([
        C("a", { memory: 512, memoryReservation: 128 }),
        C("b", { memory: undefined, memoryReservation: 32 }),
      ]),
      want: needs({ memory: 160 }),
    },
    {
      name: "task-level cpu and memory win over the containers",
      td: td([C("a", { cpu: 128, memory: 100 })], { cpu: "0.5 vCPU", memory: "1 GB" }),
      want: needs({ cpu: 512, memory: 1024 }),
    },
    {
      name: "task-level cpu alone, container memory summed",
      td: td([C("a", { cpu: 128, memory: 100 }), C("b", { memory: 28 })], { cpu: "256" }),
      want: needs({ cpu: 256, memory: 128 }),
    },
    {
      name: "container overrides replace cpu, memory and memoryReservation",
      td: td([C("a", { cpu: 128, memory: 100 }), C("b", { memory: 50 })]),
      overrides: {
        containerOverrides: [
          { name: "a", cpu: 10, memory: 20 },
          { name: "b", memoryReservation: 5 },
        ],
      },
      want: needs({ cpu: 10, memory: 25 }),
    },
    {
      name: "task-level overrides win over the definition's task-level size",
      td: td([C("a")], { cpu: "1024", memory: "2048" }),
      overrides: { cpu: "2048", memory: "4096" },
      want: needs({ cpu: 2048, memory: 4096 }),
    },
    {
      name: "bridge: static host ports by protocol; dynamic (0) and ranges reserve none",
      td: td([
        C("a", {
          portMappings: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 53, hostPort: 5353, protocol: "udp" },
            { containerPort: 81 },
            { containerPort: 82, hostPort: 0 },
            { containerPortRange: "9000-9010" },
          ],
        }),
      ]),
      want: needs({ memory: 64, tcpPorts: [8080], udpPorts: [5353] }),
    },
    {
      name: "host: the container port is the host port",
      td: td([C("a", { portMappings: [{ containerPort: 80 }, { containerPort: 53, protocol: "udp" }] })], {
        networkMode: "host",
      }),
      want: needs({ memory: 64, tcpPorts: [80], udpPorts: [53] }),
    },
    {
      name: "awsvpc: ports are the task's own, none on the instance",
      td: td([C("a", { portMappings: [{ containerPort: 80 }] })], {
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
      }),
      want: needs({ cpu: 256, memory: 512 }),
    },
    {
      name: "none: no ports",
      td: td([C("a")], { networkMode: "none" }),
      want: needs({ memory: 64 }),
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(taskNeeds(c.td, c.overrides), c.want));
});

describe("remaining and shortfall", () => {
  const instance: InstanceResources = {
    cpu: 2048,
    memory: 4096,
    reservedTcp: DEFAULT_RESERVED_PORTS,
    reservedUdp: [],
  };

  it("subtracts every task's needs and collects the ports in use", () => {
    const r = remaining(instance, [
      needs({ cpu: 512, memory: 1000, tcpPorts: [80] }),
      needs({ cpu: 10, memory: 1, udpPorts: [53] }),
    ]);
    assert.deepEqual([r.cpu, r.memory], [1526, 3095]);
    assert.deepEqual(
      [...r.tcp].sort((a, b) => a - b),
      [22, 80, 2375, 2376, 51678, 51679],
    );
    assert.deepEqual([...r.udp], [53]);
  });
  it("does not change the instance it was given", () => {
    remaining(instance, [needs({ tcpPorts: [80] })]);
    assert.deepEqual(instance.reservedTcp, DEFAULT_RESERVED_PORTS);
  });

  const r = remaining(instance, [needs({ cpu: 2000, memory: 4000, tcpPorts: [80], udpPorts: [53] })]);
  const cases: { name: string; n: ResourceNeeds; want: string | undefined }[] = [
    { name: "fits exactly", n: needs({ cpu: 48, memory: 96 }), want: undefined },
    { name: "one CPU unit too many", n: needs({ cpu: 49 }), want: "RESOURCE:CPU" },
    { name: "one MiB too many", n: needs({ memory: 97 }), want: "RESOURCE:MEMORY" },
    { name: "CPU is checked before memory", n: needs({ cpu: 49, memory: 97 }), want: "RESOURCE:CPU" },
    { name: "a TCP port in use", n: needs({ tcpPorts: [80] }), want: "RESOURCE:PORTS" },
    { name: "a reserved port", n: needs({ tcpPorts: [22] }), want: "RESOURCE:PORTS" },
    { name: "a UDP port in use", n: needs({ udpPorts: [53] }), want: "RESOURCE:PORTS" },
    {
      name: "the same number on the other protocol is free",
      n: needs({ tcpPorts: [53], udpPorts: [80] }),
      want: undefined,
    },
    { name: "the same port twice in one task", n: needs({ tcpPorts: [8080, 8080] }), want: "RESOURCE:PORTS" },
  ];
  for (const c of cases) it(`${c.name}: ${c.want ?? "fits"}`, () => assert.equal(shortfall(r, c.n), c.want));

  it("lists resources as DescribeContainerInstances does, ports sorted", () => {
    assert.deepEqual(resourceList(1024, 512, [443, 80], [53]), [
      { name: "CPU", type: "INTEGER", integerValue: 1024, longValue: 0, doubleValue: 0 },
      { name: "MEMORY", type: "INTEGER", integerValue: 512, longValue: 0, doubleValue: 0 },
      {
        name: "PORTS",
        type: "STRINGSET",
        integerValue: 0,
        longValue: 0,
        doubleValue: 0,
        stringSetValue: ["80", "443"],
      },
      {
        name: "PORTS_UDP",
        type: "STRINGSET",
        integerValue: 0,
        longValue: 0,
        doubleValue: 0,
        stringSetValue: ["53"],
      },
    ]);
  });
});

/** A candidate instance that is valid by default: ACTIVE, connected, 1024 CPU, 2048 MiB, no tasks. */
function candidate(
  id: string,
  over: Partial<Candidate> & { cpu?: number; memory?: number; tcp?: number[] } = {},
): Candidate {
  const { cpu = 1024, memory = 2048, tcp = [], ...rest } = over;
  return {
    id,
    arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/default/${id}`,
    status: "ACTIVE",
    connected: true,
    attributes: new Map([["ecs.os-type", "linux"]]),
    remaining: { cpu, memory, tcp: new Set(tcp), udp: new Set() },
    taskCount: 0,
    ...rest,
  };
}
const arnOf = (id: string) => `arn:aws:ecs:us-east-1:000000000000:container-instance/default/${id}`;

describe("placeTasks", () => {
  const small = needs({ cpu: 100, memory: 100 });

  it("filters instances, with ECS's reason for each", () => {
    const result = placeTasks(
      1,
      needs({ cpu: 100, memory: 100, tcpPorts: [80] }),
      ["ecs.capability.x"],
      [
        candidate("a", { status: "DRAINING" }),
        candidate("b", { status: "INACTIVE" }),
        candidate("c", { connected: false }),
        candidate("d"),
        candidate("e", { attributes: new Map([["ecs.capability.x", undefined]]), cpu: 50 }),
        candidate("f", { attributes: new Map([["ecs.capability.x", undefined]]), memory: 50 }),
        candidate("g", { attributes: new Map([["ecs.capability.x", undefined]]), tcp: [80] }),
      ],
    );
    assert.deepEqual(result.placed, []);
    assert.deepEqual(result.failures, [
      { arn: arnOf("a"), reason: "INACTIVE" },
      { arn: arnOf("b"), reason: "INACTIVE" },
      { arn: arnOf("c"), reason: "AGENT" },
      { arn: arnOf("d"), reason: "ATTRIBUTE" },
      { arn: arnOf("e"), reason: "RESOURCE:CPU" },
      { arn: arnOf("f"), reason: "RESOURCE:MEMORY" },
      { arn: arnOf("g"), reason: "RESOURCE:PORTS" },
    ]);
  });
  it("reports no failures when every task was placed, even if some instances did not fit", () => {
    const result = placeTasks(1, small, [], [candidate("a", { connected: false }), candidate("b")]);
    assert.deepEqual(result, { placed: ["b"], failures: [] });
  });
  it("spreads by task count, ties broken by id", () => {
    const result = placeTasks(
      5,
      small,
      [],
      [candidate("b", { taskCount: 1 }), candidate("a", { taskCount: 2 }), candidate("c")],
    );
    assert.deepEqual(result.placed, ["c", "b", "c", "a", "b"]);
  });
  it("places what fits and says why the rest did not", () => {
    const result = placeTasks(
      4,
      needs({ cpu: 400, memory: 100 }),
      [],
      [candidate("a"), candidate("b", { cpu: 500 })],
    );
    assert.deepEqual(result.placed, ["a", "b", "a"]);
    assert.deepEqual(
      [...result.failures].sort((x, y) => x.arn.localeCompare(y.arn)),
      [
        { arn: arnOf("a"), reason: "RESOURCE:CPU" },
        { arn: arnOf("b"), reason: "RESOURCE:CPU" },
      ],
    );
  });
  it("a static host port fits once per instance", () => {
    const result = placeTasks(3, needs({ tcpPorts: [8080] }), [], [candidate("a"), candidate("b")]);
    assert.deepEqual(result.placed, ["a", "b"]);
    assert.deepEqual(
      result.failures.map((f) => f.reason),
      ["RESOURCE:PORTS", "RESOURCE:PORTS"],
    );
  });
  it("does not change the candidates it was given", () => {
    const cs = [candidate("a", { tcp: [1] })];
    placeTasks(2, needs({ cpu: 10, memory: 10, tcpPorts: [80] }), [], cs);
    assert.deepEqual(
      [cs[0]!.remaining.cpu, cs[0]!.remaining.memory, [...cs[0]!.remaining.tcp], cs[0]!.taskCount],
      [1024, 2048, [1], 0],
    );
  });
  it("places nothing on an empty cluster, without failures to name", () => {
    assert.deepEqual(placeTasks(2, small, [], []), { placed: [], failures: [] });
  });

  it("property: never over-commits an instance, spreads evenly, and stops only when nothing fits", () => {
    forSeeds(4242, 400, (r) => {
      const pool: Candidate[] = Array.from({ length: r.int(1, 6) }, (_, i) =>
        candidate(`i${i}`, {
          cpu: r.int(0, 4096),
          memory: r.int(0, 8192),
          tcp: r.chance(0.3) ? [8080] : [],
          taskCount: r.int(0, 3),
          status: r.chance(0.1) ? "DRAINING" : "ACTIVE",
          connected: r.chance(0.9),
          attributes: new Map(r.chance(0.8) ? [["need", "x"]] : []),
        }),
      );
      const n = needs({
        cpu: r.int(0, 1024),
        memory: r.int(1, 2048),
        tcpPorts: r.chance(0.3) ? [8080] : [],
      });
      const required = r.chance(0.5) ? ["need"] : [];
      const count = r.int(1, 10);
      const result = placeTasks(count, n, required, pool);
      const context = JSON.stringify({
        n,
        required,
        count,
        pool: pool.map((p) => ({
          ...p,
          attributes: [...p.attributes],
          remaining: { ...p.remaining, tcp: [...p.remaining.tcp] },
        })),
        result,
      });
      assert.ok(result.placed.length <= count, context);
      const perInstance = new Map<string, number>();
      for (const id of result.placed) perInstance.set(id, (perInstance.get(id) ?? 0) + 1);
      for (const [id, k] of perInstance) {
        const c = pool.find((p) => p.id === id)!;
        assert.equal(c.status, "ACTIVE", context);
        assert.ok(c.connected, context);
        for (const a of required) assert.ok(c.attributes.has(a), context);
        assert.ok(k * n.cpu <= c.remaining.cpu, `cpu over-committed on ${id}: ${context}`);
        assert.ok(k * n.memory <= c.remaining.memory, `memory over-committed on ${id}: ${context}`);
        if (n.tcpPorts.length > 0) {
          assert.ok(k === 1, `host port placed twice on ${id}: ${context}`);
          assert.ok(!c.remaining.tcp.has(8080), `host port in use on ${id}: ${context}`);
        }
      }
      // Spread: each task went to an instance with the fewest tasks among those it fitted on then.
      const state = pool.map((c) => ({
        c,
        count: c.taskCount,
        cpu: c.remaining.cpu,
        memory: c.remaining.memory,
        ports: c.remaining.tcp.has(8080),
      }));
      for (const id of result.placed) {
        const fits = state.filter(
          (s) =>
            s.c.status === "ACTIVE" &&
            s.c.connected &&
            required.every((a) => s.c.attributes.has(a)) &&
            s.cpu >= n.cpu &&
            s.memory >= n.memory &&
            !(n.tcpPorts.length > 0 && s.ports),
        );
        const chosen = state.find((s) => s.c.id === id)!;
        assert.ok(fits.includes(chosen), `placed on ${id}, which did not fit: ${context}`);
        assert.equal(chosen.count, Math.min(...fits.map((s) => s.count)), `not the least loaded: ${context}`);
        chosen.count++;
        chosen.cpu -= n.cpu;
        chosen.memory -= n.memory;
        if (n.tcpPorts.length > 0) chosen.ports = true;
      }
      if (result.placed.length < count) {
        assert.ok(result.failures.length > 0, `unplaced tasks without reasons: ${context}`);
        // Nothing fits anywhere any more: every instance that was never used has a reason.
        for (const c of pool)
          assert.ok(
            result.failures.some((f) => f.arn === c.arn),
            `no reason for ${c.id}: ${context}`,
          );
      } else {
        assert.deepEqual(result.failures, [], context);
      }
    });
  });
});
