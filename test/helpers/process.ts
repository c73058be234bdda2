/** Run Berth as a real child process (the way users do), for CLI and crash tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

export interface BerthProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** SIGKILL and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit; returns the exit code. */
  stop(): Promise<number | null>;
}

/** Start `bin/berth up` (set-up skipped: the test command has run it) and wait for its banner. */
export function spawnBerth(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<BerthProcess> {
  return spawnCommand(["up", ...args], env, /is up: (http:\/\/[^\s]+)/, timeoutMs);
}

/** Start `bin/berth agent ...` and wait until it has joined; `url` is its container instance ARN. */
export function spawnAgent(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<BerthProcess> {
  return spawnCommand(["agent", ...args], env, / as (arn:aws:ecs:[^\s]+)/, timeoutMs);
}

async function spawnCommand(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs: number,
): Promise<BerthProcess> {
  const child = spawn(`${repoRoot}bin/berth`, args, {
    cwd: repoRoot,
    env: { ...process.env, BERTH_SKIP_SETUP: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`berth ${args[0]} did not start in ${timeoutMs}ms:\n${out}\n${err}`)),
      timeoutMs,
    );
    const onData = () => {
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`berth ${args[0]} exited with ${code} before starting:\n${out}\n${err}`));
    });
  });
  const exited = once(child, "exit");
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
    async stop() {
      child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/**
 * Remove what the in-process agent of a Berth that ran from `dataDir` leaves on the host on purpose
 * (tasks outlive Berth): its containers, volumes, bridge network and endpoint route. Tests call it
 * so Docker's address pools are not used up.
 */
export async function removeAgentLeftovers(dataDir: string, agentDir?: string): Promise<void> {
  // `berth up` runs an EC2 agent and the Fargate host, each in its own folder of the data dir.
  for (const dir of agentDir ? [agentDir] : [`${dataDir}/agent`, `${dataDir}/fargate-agent`])
    await removeLeftoversOf(dir);
}

async function removeLeftoversOf(agentDir: string): Promise<void> {
  const { readFile } = await import("node:fs/promises");
  const { DockerRuntime } = await import("../../src/agent/runtime/docker-runtime.js");
  const { removeBridge, unrouteEndpoint } = await import("../../src/agent/network/bridge.js");
  let arn: string | undefined;
  try {
    arn = (JSON.parse(await readFile(`${agentDir}/agent.json`, "utf8")) as { containerInstanceArn?: string })
      .containerInstanceArn;
  } catch {
    return;
  }
  if (!arn) return;
  const id = arn.slice(arn.lastIndexOf("/") + 1);
  const rt = new DockerRuntime();
  for (const c of await rt.list({ "berth.instance": id })) await rt.remove(c.id);
  for (const v of await rt.listVolumes({ "berth.instance": id })) await rt.removeVolume(v);
  await unrouteEndpoint(`brb${id.slice(0, 12)}`).catch(() => undefined);
  await removeBridge(id);
}
