/**
 * The service scheduler with a load balancer health gate (src/control/scheduler): a task behind a
 * load balancer counts as healthy only when its targets are; one whose target is unhealthy is
 * replaced with ELB's wording once healthCheckGracePeriodSeconds has passed; and services without
 * load balancers keep ECS's settling period.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterSnapshot } from "../../src/control/cluster-snapshot.js";
import { drainEvents } from "../../src/control/scheduler/applier.js";
import { schedule } from "../../src/control/scheduler/schedule.js";
import type { GateVerdict, Health } from "../../src/control/scheduler/types.js";
import type { StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import type { ContainerInstanceRecord } from "../../src/state/ecs/container-instances.js";
import type { ServiceRecord } from "../../src/state/ecs/services.js";
import type { TaskRecord } from "../../src/state/ecs/tasks.js";

const TD = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1";
const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";
const NOW = 1_000_000;

const td: StoredTaskDefinition = {
  family: "web",
  revision: 1,
  taskDefinitionArn: TD,
  status: "ACTIVE",
  registeredAt: 0,
  containerDefinitions: [{ name: "web", image: "x", memory: 32, portMappings: [{ containerPort: 8080 }] }],
} as StoredTaskDefinition;

function service(over: Partial<ServiceRecord> = {}): ServiceRecord {
  return {
    name: "web",
    arn: "arn:aws:ecs:us-east-1:000000000000:service/default/web",
    cluster: "default",
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
    status: "ACTIVE",
    desiredCount: 1,
    schedulingStrategy: "REPLICA",
    launchType: "EC2",
    taskDefinition: TD,
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
    },
    placementConstraints: [],
    placementStrategy: [],
    loadBalancers: [{ targetGroupArn: TG, containerName: "web", containerPort: 8080 }],
    serviceRegistries: [],
    propagateTags: "NONE",
    enableECSManagedTags: false,
    createdAt: 0,
    createdBy: "x",
    events: [],
    deployments: [
      {
        id: "ecs-svc/1",
        status: "PRIMARY",
        taskDefinition: TD,
        desiredCount: 1,
        pendingCount: 0,
        runningCount: 1,
        failedTasks: 0,
        createdAt: 0,
        updatedAt: 0,
        launchType: "EC2",
        rolloutState: "IN_PROGRESS",
        rolloutStateReason: "",
        serviceDeploymentArn: "sd",
        serviceDeploymentKey: "sdk",
        serviceRevisionArn: "sr",
      },
    ],
    tags: [],
    scheduler: { counted: [], failures: 0, unhealthyReplacements: 0 },
    ...over,
  };
}

function task(startedAt: number): TaskRecord {
  return {
    id: "t1",
    cluster: "default",
    instanceId: "i1",
    task: {
      taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/t1",
      clusterArn: "c",
      taskDefinitionArn: TD,
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      containers: [],
      overrides: {},
      createdAt: 0,
      startedAt,
      group: "service:web",
      startedBy: "ecs-svc/1",
      healthStatus: "UNKNOWN",
    },
    tags: [],
  };
}

const instance: ContainerInstanceRecord = {
  id: "i1",
  arn: "arn:aws:ecs:us-east-1:000000000000:container-instance/default/i1",
  cluster: "default",
  name: "host",
  status: "ACTIVE",
  registeredAt: 0,
  lastSeenAt: NOW,
  tokenHash: "",
  resources: { cpu: 2048, memoryMiB: 4096, reservedPorts: [], reservedUdpPorts: [] },
  attributes: [],
  versionInfo: { agentVersion: "1", agentHash: "", dockerVersion: "" },
  tags: [],
};

function plan(
  svc: ServiceRecord,
  t: TaskRecord,
  gate: (s: ServiceRecord, t: TaskRecord) => Health | GateVerdict,
) {
  const snapshot: ClusterSnapshot = {
    region: "us-east-1",
    cluster: "default",
    now: NOW,
    instances: [{ kind: "ecs.instance", key: "us-east-1/default/i1", version: 1, value: instance }],
    tasks: [{ kind: "ecs.task", key: "us-east-1/default/t1", version: 1, value: t }],
    services: [{ kind: "ecs.service", key: "us-east-1/default/web", version: 1, value: svc }],
    taskDefinitions: new Map([[TD, td]]),
    seq: 1,
    fargateHosts: [],
    subnetZones: new Map(),
  };
  let n = 0;
  return schedule({
    snapshot,
    now: NOW,
    agentTimeoutMs: 60_000,
    settleMs: 40_000,
    random: () => 0.5,
    newId: () => `id${n++}`,
    healthGate: gate,
  }).services[0]!;
}

const unhealthy: GateVerdict = {
  health: "unhealthy",
  reason: `Task failed ELB health checks in (target-group ${TG})`,
  event: `(service web) (instance host) (port 32768) is unhealthy in (target-group ${TG}) due to (reason Health checks failed).`,
};

describe("schedule with a load balancer health gate", () => {
  it("completes a deployment only once the targets are healthy, without ECS's settling period", () => {
    const waiting = plan(service(), task(NOW - 1000), () => "unknown");
    assert.equal(waiting.next?.deployments[0]?.rolloutState ?? "IN_PROGRESS", "IN_PROGRESS");
    const done = plan(service(), task(NOW - 1000), () => "healthy");
    assert.equal(done.next?.deployments[0]?.rolloutState, "COMPLETED");
  });

  it("replaces a task whose target is unhealthy, in ELB's words", () => {
    const p = plan(service(), task(NOW - 60_000), () => unhealthy);
    assert.deepEqual(
      p.stops.map((s) => s.reason),
      [`Task failed ELB health checks in (target-group ${TG})`],
    );
    const events = p.next!.events.map((e) => e.message);
    assert.ok(events.includes(unhealthy.event!));
    assert.ok(!events.some((m) => m.includes("failed container health checks")));
  });

  it("honours healthCheckGracePeriodSeconds", () => {
    const inGrace = plan(
      service({ healthCheckGracePeriodSeconds: 120 }),
      task(NOW - 60_000),
      () => unhealthy,
    );
    assert.deepEqual(inGrace.stops, []);
    const after = plan(service({ healthCheckGracePeriodSeconds: 30 }), task(NOW - 60_000), () => unhealthy);
    assert.equal(after.stops.length, 1);
  });

  it("keeps the settling period for services without load balancers", () => {
    const svc = service({ loadBalancers: [] });
    const early = plan(svc, task(NOW - 1000), () => "healthy");
    assert.equal(early.next?.deployments[0]?.rolloutState ?? "IN_PROGRESS", "IN_PROGRESS");
    const settled = plan(svc, task(NOW - 41_000), () => "healthy");
    assert.equal(settled.next?.deployments[0]?.rolloutState, "COMPLETED");
  });
});

describe("drainEvents", () => {
  it("words deregistration and draining as ECS does", () => {
    assert.deepEqual(
      drainEvents("web", [
        { stopNotBefore: 5, deregistered: [{ targetGroupArn: TG, count: 1 }] },
        { deregistered: [{ targetGroupArn: TG, count: 1 }] },
        { deregistered: [] },
      ]),
      [
        `(service web) deregistered 2 targets in (target-group ${TG})`,
        "(service web) has begun draining connections on 2 tasks.",
      ],
    );
    assert.deepEqual(drainEvents("web", [{ deregistered: [] }]), []);
  });
});
