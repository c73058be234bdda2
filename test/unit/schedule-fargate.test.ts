/**
 * The service scheduler (src/control/scheduler/schedule.ts) with Fargate and awsvpc services: tasks go
 * to Berth-managed Fargate hosts by free memory, spread over the configuration's zones, split by the
 * capacity provider strategy; awsvpc services on EC2 run in their subnets' zones.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest } from "@aws-sdk/client-ecs";
import type { ClusterSnapshot } from "../../src/control/cluster-snapshot.js";
import { schedule } from "../../src/control/scheduler/schedule.js";
import { newDeployment } from "../../src/domain/ecs/service.js";
import { buildTaskDefinition, type StoredTaskDefinition } from "../../src/domain/ecs/task-definition.js";
import type { ContainerInstanceRecord } from "../../src/state/ecs/container-instances.js";
import type { FargateHost } from "../../src/state/ecs/fargate-hosts.js";
import type { ServiceRecord } from "../../src/state/ecs/services.js";
import type { StoredRecord } from "../../src/state/store.js";

const NOW = 1_000_000;
const scope = { region: "us-east-1", accountId: "000000000000" };

function definition(fargate: boolean): StoredTaskDefinition {
  return buildTaskDefinition(
    {
      family: "web",
      networkMode: "awsvpc",
      ...(fargate ? { requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "1024" } : {}),
      containerDefinitions: [{ name: "web", image: "web", memory: 1024 }],
    } as RegisterTaskDefinitionRequest,
    {
      arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
      revision: 1,
      registeredAt: 0,
      registeredBy: "x",
    },
  );
}

function service(over: Partial<ServiceRecord>): StoredRecord<ServiceRecord> {
  const d = newDeployment({
    scope,
    cluster: "c",
    service: "web",
    taskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
    launchType: over.launchType ?? "FARGATE",
    now: NOW,
    serviceDeploymentKey: () => "k",
  });
  const value: ServiceRecord = {
    name: "web",
    arn: "arn:aws:ecs:us-east-1:000000000000:service/c/web",
    cluster: "c",
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/c",
    status: "ACTIVE",
    desiredCount: 4,
    schedulingStrategy: "REPLICA",
    launchType: "FARGATE",
    taskDefinition: d.taskDefinition,
    deploymentConfiguration: {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
    },
    placementConstraints: [],
    placementStrategy: [],
    loadBalancers: [],
    serviceRegistries: [],
    networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: [] } },
    propagateTags: "NONE",
    enableECSManagedTags: false,
    createdAt: NOW,
    createdBy: "x",
    events: [],
    deployments: [d],
    tags: [],
    scheduler: { counted: [], failures: 0, unhealthyReplacements: 0 },
    ...over,
  };
  return { kind: "ecs.service", key: "us-east-1/c/web", version: 1, value };
}

function host(id: string, memoryMiB: number, usedMiB = 0): FargateHost {
  return { id, arn: `arn:fargate/${id}`, connected: true, lastSeenAt: NOW, active: true, memoryMiB, usedMiB };
}

function instance(id: string, zone: string): StoredRecord<ContainerInstanceRecord> {
  return {
    kind: "ecs.instance",
    key: `us-east-1/c/${id}`,
    version: 1,
    value: {
      id,
      arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/c/${id}`,
      cluster: "c",
      name: id,
      status: "ACTIVE",
      registeredAt: 0,
      lastSeenAt: NOW,
      tokenHash: "",
      resources: { cpu: 4096, memoryMiB: 8192, reservedPorts: [], reservedUdpPorts: [] },
      attributes: [
        { name: "ecs.availability-zone", value: zone },
        { name: "ecs.capability.task-eni" },
        { name: "com.amazonaws.ecs.capability.docker-remote-api.1.18" },
      ],
      versionInfo: { agentVersion: "1", agentHash: "", dockerVersion: "" },
      tags: [],
    },
  };
}

function snapshot(
  svc: StoredRecord<ServiceRecord>,
  td: StoredTaskDefinition,
  extra: Partial<ClusterSnapshot>,
): ClusterSnapshot {
  return {
    region: "us-east-1",
    cluster: "c",
    now: NOW,
    instances: [],
    tasks: [],
    services: [svc],
    taskDefinitions: new Map([[td.taskDefinitionArn, td]]),
    seq: 1,
    fargateHosts: [],
    subnetZones: new Map([
      ["subnet-a", "us-east-1a"],
      ["subnet-b", "us-east-1b"],
    ]),
    ...extra,
  };
}

let ids = 0;
const input = (snap: ClusterSnapshot) => ({
  snapshot: snap,
  now: NOW,
  agentTimeoutMs: 60_000,
  settleMs: 0,
  random: () => 0.5,
  newId: () => `id-${++ids}`,
});

describe("the service scheduler with Fargate and awsvpc services", () => {
  it("launches a Fargate service's tasks on Fargate hosts while memory lasts, spread over the subnets' zones", () => {
    const td = definition(true);
    const svc = service({
      capacityProviderStrategy: [
        { capacityProvider: "FARGATE", weight: 1, base: 0 },
        { capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 },
      ],
    });
    const plan = schedule(
      input(snapshot(svc, td, { fargateHosts: [host("h1", 2048), host("h2", 4096, 2048)] })),
    );
    const launches = plan.services[0]!.launches;
    assert.equal(launches.length, 4);
    assert.deepEqual(launches.map((l) => l.instanceId).sort(), ["h1", "h1", "h2", "h2"]);
    assert.deepEqual(
      launches.map((l) => l.subnetId),
      ["subnet-a", "subnet-b", "subnet-a", "subnet-b"],
    );
    assert.deepEqual(
      launches.map((l) => l.capacityProviderName),
      ["FARGATE", "FARGATE_SPOT", "FARGATE", "FARGATE_SPOT"],
    );
  });

  it("says so when Fargate capacity runs out", () => {
    const td = definition(true);
    const plan = schedule(input(snapshot(service({}), td, { fargateHosts: [host("h1", 2048)] })));
    assert.equal(plan.services[0]!.launches.length, 2);
    const events = plan.services[0]!.next!.events.map((e) => e.message);
    assert.ok(
      events.some((m) =>
        /^\(service web\) was unable to place a task\. Reason: Capacity is unavailable at this time/.test(m),
      ),
      events.join("\n"),
    );
  });

  it("runs an awsvpc service on EC2 only in its subnets' zones, in the subnet of the instance's zone", () => {
    const td = definition(false);
    const svc = service({
      launchType: "EC2",
      desiredCount: 2,
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-b"], securityGroups: [] } },
    });
    const snap = snapshot(svc, td, {
      instances: [instance("i-a", "us-east-1a"), instance("i-b", "us-east-1b")],
    });
    const launches = schedule(input(snap)).services[0]!.launches;
    assert.deepEqual(
      launches.map((l) => [l.instanceId, l.subnetId, l.capacityProviderName]),
      [
        ["i-b", "subnet-b", undefined],
        ["i-b", "subnet-b", undefined],
      ],
    );
  });
});
