/** The in-process agent of `berth up`: the same Agent a remote host runs, talking HTTP to this control plane. */
import { hostname } from "node:os";
import { join } from "node:path";
import type { Attribute } from "@aws-sdk/client-ecs";
import { Agent, type AgentNetwork } from "../agent/agent.js";
import type { PullBehavior } from "../agent/engine/task-runner.js";
import { dockerNetwork } from "../agent/network/bridge.js";
import type { VpcRouters } from "../agent/network/vpc-router.js";
import { DockerRuntime } from "../agent/runtime/docker-runtime.js";
import type { ContainerRuntime } from "../agent/runtime/runtime.js";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/log.js";
import type { Component } from "./build.js";

export interface LocalAgentOptions {
  /** The agent's folder under the data dir (default "agent"). */
  dir?: string;
  runtime?: ContainerRuntime;
  network?: AgentNetwork;
  name?: string;
  cluster?: string;
  cpu?: number;
  memoryMiB?: number;
  attributes?: Attribute[];
  pullBehavior?: PullBehavior;
  cleanupWaitMs?: number;
  cgroups?: boolean;
  bindIp?: string;
  /** Be Berth-managed Fargate capacity for the region (not a container instance of a cluster). */
  fargate?: boolean;
}

export function localAgent(
  opts: LocalAgentOptions & {
    url: () => string;
    joinToken: string;
    region: string;
    dataDir: string;
    reservedPorts: () => number[];
    clock: Clock;
    log: Logger;
    /** The host's VPC routers, shared by the process's agents. */
    vpcRouters?: VpcRouters;
  },
): Component & { agent(): Agent | undefined } {
  let agent: Agent | undefined;
  const make = () =>
    new Agent({
      controlPlaneUrl: opts.url(),
      joinToken: opts.joinToken,
      region: opts.region,
      cluster: opts.cluster ?? "default",
      name: opts.name ?? hostname(),
      dataDir: join(opts.dataDir, opts.dir ?? "agent"),
      runtime: opts.runtime ?? new DockerRuntime(),
      network: opts.network ?? dockerNetwork(opts.vpcRouters),
      clock: opts.clock,
      log: opts.log.child({ component: "agent" }),
      reservedPorts: opts.reservedPorts(),
      ...(opts.cpu !== undefined ? { cpu: opts.cpu } : {}),
      ...(opts.memoryMiB !== undefined ? { memoryMiB: opts.memoryMiB } : {}),
      ...(opts.attributes ? { attributes: opts.attributes } : {}),
      ...(opts.pullBehavior ? { pullBehavior: opts.pullBehavior } : {}),
      ...(opts.cleanupWaitMs !== undefined ? { cleanupWaitMs: opts.cleanupWaitMs } : {}),
      ...(opts.cgroups !== undefined ? { cgroups: opts.cgroups } : {}),
      ...(opts.bindIp !== undefined ? { bindIp: opts.bindIp } : {}),
      ...(opts.fargate ? { fargate: true } : {}),
    });
  return {
    name: opts.fargate ? "fargate-agent" : "agent",
    agent: () => agent,
    async start() {
      agent = make();
      await agent.start();
      await agent.ready;
    },
    async reset() {
      await agent?.reset();
      await agent?.ready;
    },
    async stop() {
      await agent?.stop();
    },
  };
}
