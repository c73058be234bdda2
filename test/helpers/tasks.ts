/** Small helpers for end-to-end task tests: register, run, wait, and look inside containers. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  type ContainerDefinition,
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { eventually } from "./berth.js";

const exec = promisify(execFile);

/** `docker <args>`; resolves with stdout, rejects when docker exits non-zero. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec("/usr/bin/docker", args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Run a command inside a container (no shell on the host side). */
export async function dockerExec(id: string, ...cmd: string[]): Promise<string> {
  return docker("exec", id, ...cmd);
}

/** `sh -c script` inside a container, with stderr folded into stdout; never rejects. */
export async function shIn(id: string, script: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await exec("/usr/bin/docker", ["exec", id, "sh", "-c", `${script} 2>&1`]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === "number" ? e.code : 1, out: e.stdout ?? "" };
  }
}

// biome-ignore lint/suspicious/noExplicitAny: docker inspect's JSON is large and loosely typed
export async function inspect(id: string): Promise<any> {
  return JSON.parse(await docker("inspect", id))[0];
}

/** A shell command for a long-running container that exits 0 at once on SIGTERM. */
export const SLEEP = "trap 'exit 0' TERM; sleep 600 & wait";

export class Tasks {
  private n = 0;

  constructor(
    private readonly ecs: ECSClient,
    private readonly prefix: string,
  ) {}

  async register(
    containers: ContainerDefinition[],
    extra: Partial<RegisterTaskDefinitionCommandInput> = {},
  ): Promise<string> {
    const r = await this.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `${this.prefix}-${process.pid}-${++this.n}`,
        containerDefinitions: containers,
        ...extra,
      }),
    );
    return r.taskDefinition!.taskDefinitionArn!;
  }

  async run(taskDefinition: string, extra: Partial<RunTaskCommandInput> = {}): Promise<Task> {
    const r = await this.ecs.send(new RunTaskCommand({ taskDefinition, ...extra }));
    assert.deepEqual(r.failures, []);
    return r.tasks![0]!;
  }

  async stop(arn: string, reason?: string): Promise<void> {
    await this.ecs.send(new StopTaskCommand({ task: arn, ...(reason ? { reason } : {}) }));
  }

  async describe(arn: string): Promise<Task> {
    return (await this.ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!;
  }

  async until(arn: string, pred: (t: Task) => boolean, what: string, timeoutMs = 30_000): Promise<Task> {
    let last: Task | undefined;
    try {
      return await eventually(
        async () => {
          last = await this.describe(arn);
          return pred(last) ? last : undefined;
        },
        { timeoutMs, intervalMs: 100, what },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; the task was ${JSON.stringify(summary(last))}`);
    }
  }

  running(arn: string, timeoutMs?: number): Promise<Task> {
    return this.until(arn, (t) => t.lastStatus === "RUNNING", "RUNNING", timeoutMs);
  }

  stopped(arn: string, timeoutMs?: number): Promise<Task> {
    return this.until(arn, (t) => t.lastStatus === "STOPPED", "STOPPED", timeoutMs);
  }
}

/** What matters of a task when a wait fails. */
function summary(t: Task | undefined) {
  return (
    t && {
      lastStatus: t.lastStatus,
      healthStatus: t.healthStatus,
      stopCode: t.stopCode,
      stoppedReason: t.stoppedReason,
      containers: t.containers?.map((c) => ({
        name: c.name,
        lastStatus: c.lastStatus,
        exitCode: c.exitCode,
        reason: c.reason,
        healthStatus: c.healthStatus,
      })),
    }
  );
}

/** The runtime id of a task's container. */
export function idOf(t: Task, name: string): string {
  const c = t.containers?.find((x) => x.name === name);
  assert.ok(c?.runtimeId, `container ${name} has a runtime id`);
  return c.runtimeId;
}

export const taskIdOf = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);
