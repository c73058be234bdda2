/**
 * awsvpc benchmark (issue: awsvpc networking and Fargate): what the network namespace set-up costs.
 *
 * 1. RunTask → RUNNING for a Fargate task (awsvpc: pause container, interface, router rules) against
 *    the same task in bridge mode on an EC2 container instance of the same host, interleaved one at a
 *    time over N tasks each. Both have the same task size (so both get a task cgroup) and the same
 *    container; RUNNING is the moment the control plane records it (its change feed).
 * 2. The plumbing alone, N times: the pause container's create + start, then the interface's attach
 *    (veth pair, addresses, routes, iptables-restore of the task's rules) and detach.
 *
 *   node dist/bench/awsvpc.js [--tasks 30]
 */
import { parseArgs } from "node:util";
import { DescribeSubnetsCommand } from "@aws-sdk/client-ec2";
import {
  CreateClusterCommand,
  RegisterTaskDefinitionCommand,
  type RunTaskCommandInput,
} from "@aws-sdk/client-ecs";
import { ensurePauseImage, PAUSE_IMAGE } from "../src/agent/network/pause.js";
import { TaskInterfaces } from "../src/agent/network/task-interface.js";
import { VpcRouters } from "../src/agent/network/vpc-router.js";
import { DockerRuntime } from "../src/agent/runtime/docker-runtime.js";
import type { TaskNetworkSpec } from "../src/agentapi/protocol.js";
import { startBerth } from "../test/helpers/berth.js";
import { ec2Client } from "../test/helpers/ec2.js";
import { latencyRow, machine, runningTimer, table } from "./lib.js";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "30" } } });
const N = Number(values.tasks);
const IMAGE = "berth-test/http:latest";
const COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"];

async function runTaskToRunning(): Promise<Record<string, string | number>[]> {
  const opts = { pullBehavior: "prefer-cached" as const, cleanupWaitMs: 0 };
  const b = await startBerth({ agent: opts, fargate: opts });
  const ecs = b.ecs();
  const bridgeMs: number[] = [];
  const awsvpcMs: number[] = [];
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: "default" }));
    const subnet = (await ec2Client(b).send(new DescribeSubnetsCommand({}))).Subnets!.find(
      (s) => s.AvailabilityZone === "us-east-1a",
    )!.SubnetId!;
    const container = { name: "app", image: IMAGE, command: COMMAND, stopTimeout: 2 };
    const size = { cpu: "256", memory: "512" };
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "bench-bridge",
        ...size,
        containerDefinitions: [container],
      }),
    );
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: "bench-awsvpc",
        ...size,
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        containerDefinitions: [container],
      }),
    );
    const timeToRunning = runningTimer(b, ecs);
    const once = async (input: RunTaskCommandInput, into: number[]) => {
      into.push(await timeToRunning(input));
    };
    const bridge = () => once({ taskDefinition: "bench-bridge", launchType: "EC2" }, bridgeMs);
    const awsvpc = () =>
      once(
        {
          taskDefinition: "bench-awsvpc",
          launchType: "FARGATE",
          networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
        },
        awsvpcMs,
      );
    for (let i = 0; i < 3; i++) {
      await bridge();
      await awsvpc();
    }
    bridgeMs.length = awsvpcMs.length = 0;
    for (let i = 0; i < N; i++) {
      // Alternate which goes first, so neither always follows the other's clean-up.
      if (i % 2 === 0) {
        await bridge();
        await awsvpc();
      } else {
        await awsvpc();
        await bridge();
      }
    }
  } finally {
    await b.close();
  }
  const diff = awsvpcMs.map((v, i) => v - (bridgeMs[i] ?? 0));
  return [
    latencyRow("bridge task on an EC2 container instance, RunTask → RUNNING", bridgeMs, [50, 90]),
    latencyRow("awsvpc Fargate task, RunTask → RUNNING", awsvpcMs, [50, 90]),
    latencyRow("difference: awsvpc − bridge, per pair", diff, [50, 90]),
  ];
}

async function plumbing(): Promise<Record<string, string | number>[]> {
  const runtime = new DockerRuntime();
  await ensurePauseImage(runtime);
  const interfaces = new TaskInterfaces(new VpcRouters());
  const pauseMs: number[] = [];
  const attachMs: number[] = [];
  const detachMs: number[] = [];
  const spec = (i: number): TaskNetworkSpec => ({
    eniId: `eni-${(0xbe0000000 + i).toString(16).padStart(17, "0")}`,
    attachmentId: `bench-${i}`,
    macAddress: "0e:00:00:00:00:01",
    privateIp: "10.200.1.4",
    subnetId: "subnet-bench",
    subnetCidr: "10.200.1.0/24",
    gateway: "10.200.1.1",
    vpcId: `vpc-${process.pid.toString(16).padStart(8, "0")}be0c0`,
    vpcCidr: "10.200.0.0/16",
    dnsServer: "10.200.0.2",
    dnsSearch: "ec2.internal",
    privateDnsName: "ip-10-200-1-4.ec2.internal",
    ingress: [{ protocol: "tcp", fromPort: 8080, toPort: 8080, cidrs: ["10.200.0.0/16"] }],
    egress: [{ protocol: "-1", fromPort: -1, toPort: -1, cidrs: ["0.0.0.0/0"] }],
  });
  const endpoint = { address: "169.254.171.1", metadataPort: 1, dnsPort: 2 };
  const pause = async (name: string) => {
    const id = await runtime.create({
      name: `berth-bench-pause-${process.pid}-${name}`,
      image: PAUSE_IMAGE,
      entryPoint: ["/pause"],
      labels: {},
      env: {},
      networkMode: "none",
      ports: [],
    });
    await runtime.start(id);
    return { id, pid: (await runtime.inspect(id))!.pid! };
  };
  // The first interface of a VPC also makes its router; the keeper holds it for the loop.
  const keeper = await pause("keeper");
  const keeperSpec = { ...spec(100_000), privateIp: "10.200.1.200" };
  const r0 = performance.now();
  await interfaces.attach(keeperSpec, keeper.pid, endpoint);
  const routerMs = performance.now() - r0;
  try {
    for (let i = 0; i < N + 3; i++) {
      const t0 = performance.now();
      const p = await pause(String(i));
      const t1 = performance.now();
      await interfaces.attach(spec(i), p.pid, endpoint);
      const t2 = performance.now();
      await interfaces.detach(spec(i));
      const t3 = performance.now();
      await runtime.remove(p.id);
      if (i >= 3) {
        pauseMs.push(t1 - t0);
        attachMs.push(t2 - t1);
        detachMs.push(t3 - t2);
      }
    }
  } finally {
    await interfaces.detach(keeperSpec);
    await runtime.remove(keeper.id);
  }
  return [
    latencyRow("pause container create + start (Docker API)", pauseMs, [50, 90]),
    latencyRow("interface attach: veth pair, addresses, routes, rules (router exists)", attachMs, [50, 90]),
    latencyRow("interface detach", detachMs, [50, 90]),
    latencyRow(
      "first interface of a VPC: router namespace, uplink, skeleton rules, attach",
      [routerMs],
      [50, 90],
    ),
  ];
}

console.log(`# awsvpc network set-up\n\n${machine()}\n`);
console.log(table(await runTaskToRunning()));
console.log();
console.log(table(await plumbing()));
