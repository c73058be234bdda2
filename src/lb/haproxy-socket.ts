/**
 * HAProxy's CLI over its Unix sockets: the master socket (process control: `show proc`, `reload`)
 * and the workers' stats socket (the Runtime API: `show stat`, `add server`, `set server`, ...).
 * One command per connection; HAProxy answers and closes.
 */
import { createConnection } from "node:net";

export class HaproxyCommandError extends Error {}

/** Send one command; resolves to HAProxy's answer. */
export function command(socket: string, cmd: string, timeoutMs = 5000): Promise<string> {
  if (/[\r\n;]/.test(cmd)) throw new Error(`refusing to send a multi-command line to HAProxy: ${cmd}`);
  return new Promise((resolve, reject) => {
    let out = "";
    const conn = createConnection(socket);
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new HaproxyCommandError(`HAProxy did not answer '${cmd}' within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.end(`${cmd}\n`));
    conn.on("data", (d: string) => {
      out += d;
    });
    conn.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    conn.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** A runtime command that changes state: HAProxy answers nothing on success, or a message. */
export async function mutate(socket: string, cmd: string, ok: RegExp = /^$/): Promise<void> {
  const answer = (await command(socket, cmd)).trim();
  if (!ok.test(answer)) throw new HaproxyCommandError(`HAProxy refused '${cmd}': ${answer}`);
}

/** One row of `show stat`, by column name. */
export type StatRow = Readonly<Record<string, string>>;

export function parseStat(csv: string): StatRow[] {
  const lines = csv.split("\n").filter((l) => l.length > 0);
  const header = lines[0];
  if (!header?.startsWith("# ")) return [];
  const cols = header.slice(2).split(",");
  return lines.slice(1).map((line) => {
    const f = line.split(",");
    const row: Record<string, string> = {};
    cols.forEach((c, i) => {
      if (c) row[c] = f[i] ?? "";
    });
    return row;
  });
}

export interface ProcInfo {
  masterPid: number;
  reloads: number;
  failedReloads: number;
  /** Worker pids, newest first, with how many reloads ago each started. */
  workers: { pid: number; reloads: number }[];
}

/** Parse the master's `show proc`. */
export function parseProc(text: string): ProcInfo | undefined {
  let master: ProcInfo | undefined;
  const workers: ProcInfo["workers"] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/.exec(line);
    if (m) master = { masterPid: Number(m[1]), reloads: Number(m[2]), failedReloads: Number(m[3]), workers };
    const w = /^(\d+)\s+worker\s+(\d+)/.exec(line);
    if (w) workers.push({ pid: Number(w[1]), reloads: Number(w[2]) });
  }
  return master;
}
