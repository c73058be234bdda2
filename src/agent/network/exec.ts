/**
 * Running the network tools (ip, iptables-restore, nsenter) with fixed argument lists through
 * execFile: no shell, and every value that reaches an argument was checked by its caller. Batches go
 * through stdin (`ip -batch -`, `iptables-restore`) so one process does many changes.
 */
import { execFile } from "node:child_process";

export class NetworkCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command}: ${stderr.trim() || "failed"}`);
    this.name = "NetworkCommandError";
  }
}

export function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err)
          reject(new NetworkCommandError(`${cmd} ${args.slice(0, 4).join(" ")}`, stderr || err.message));
        else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `ip -batch -` in the host namespace or in a named one (`ip -n`). */
export const ipBatch = (lines: readonly string[], netns?: string) =>
  run("ip", [...(netns ? ["-n", netns] : []), "-batch", "-"], `${lines.join("\n")}\n`);

/** A command inside the network namespace of a process (the pause container's). */
export const inProcessNetns = (pid: number, cmd: string, args: readonly string[], input?: string) =>
  run("nsenter", [`--net=/proc/${pid}/ns/net`, cmd, ...args], input);

/** A command inside a named network namespace (/run/netns/<name>). */
export const inNetns = (name: string, cmd: string, args: readonly string[], input?: string) =>
  run("nsenter", [`--net=/run/netns/${name}`, cmd, ...args], input);
