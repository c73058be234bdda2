/**
 * Probing awsvpc tasks on the real host: connections made from a task's own network namespace (its
 * pause container's), and what Berth left behind. Every command runs with execFile, no shell.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Task } from "@aws-sdk/client-ecs";

const run = promisify(execFile);

/** The pid of a task's pause container (the holder of its network namespace). */
export async function pausePid(taskArn: string): Promise<number> {
  const { stdout } = await run("/usr/bin/docker", [
    "ps",
    "-q",
    "--filter",
    `label=com.amazonaws.ecs.task-arn=${taskArn}`,
    "--filter",
    "label=com.amazonaws.ecs.container-name=~internal~ecs~pause",
  ]);
  const id = stdout.trim().split("\n")[0];
  if (!id) throw new Error(`no pause container for ${taskArn}`);
  const { stdout: pid } = await run("/usr/bin/docker", ["inspect", "-f", "{{.State.Pid}}", id]);
  return Number(pid.trim());
}

/** GET http://<ip>:<port><path> from inside the network namespace of process `pid`; the body, or undefined. */
export async function fetchFrom(pid: number, url: string, timeoutSec = 0.5): Promise<string | undefined> {
  try {
    const { stdout } = await run("nsenter", [
      `--net=/proc/${pid}/ns/net`,
      "curl",
      "-s",
      "-f",
      "--max-time",
      String(timeoutSec),
      url,
    ]);
    return stdout;
  } catch {
    return undefined;
  }
}

/** The task's private address, from its ENI attachment. */
export function privateIp(t: Task): string {
  const d = t.attachments?.[0]?.details?.find((x) => x.name === "privateIPv4Address")?.value;
  if (!d) throw new Error(`task ${t.taskArn} has no private address yet`);
  return d;
}

export const detail = (t: Task, name: string): string | undefined =>
  t.attachments?.[0]?.details?.find((x) => x.name === name)?.value;

/** Run a command in a task's container (docker exec). */
export async function execIn(containerId: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run("/usr/bin/docker", ["exec", containerId, ...args], { timeout: 10_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${args.join(" ")} failed: ${e.stdout ?? ""} ${e.stderr ?? ""} ${e.message}`);
  }
}

/** VPC router namespaces and uplinks on this host (what must be gone after a test). */
export async function leftovers(): Promise<{ namespaces: string[]; uplinks: string[] }> {
  const ns = (await run("ip", ["netns", "list"])).stdout;
  const links = (await run("ip", ["-o", "link", "show"])).stdout;
  return {
    namespaces: [...ns.matchAll(/^(bvpc-[0-9a-f]+)/gm)].map((m) => m[1]!),
    uplinks: [...links.matchAll(/^\d+: (bvu[0-9a-f]+)[@:]/gm)].map((m) => m[1]!),
  };
}
