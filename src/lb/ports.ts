/**
 * Whether a TCP port of this machine is held by another process: try to bind it, then let go. A port
 * that only Berth's own HAProxy listens on (an old worker finishing after a reload, say) is not held
 * by another process: the listening sockets are matched to HAProxy's processes through /proc.
 */
import { readdir, readFile, readlink } from "node:fs/promises";
import { createServer } from "node:net";

function tryBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      resolve(err.code === "EADDRINUSE" || err.code === "EACCES");
    });
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(false));
    });
  });
}

/** Inodes of the sockets listening on a TCP port (IPv4 and IPv6). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const out = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
      if (f.length > 9 && f[1]!.endsWith(`:${hex}`) && f[3] === "0A") out.add(f[9]!);
    }
  }
  return out;
}

async function socketInodes(pid: number): Promise<Set<string>> {
  const out = new Set<string>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) out.add(m[1]!);
  }
  return out;
}

/**
 * True when something holds the port and at least one of its listening sockets belongs to none of
 * `ours` (Berth's HAProxy processes).
 */
export async function portHeld(
  port: number,
  ours: readonly number[] = [],
  host = "0.0.0.0",
): Promise<boolean> {
  if (!(await tryBind(port, host))) return false;
  if (ours.length === 0) return true;
  const listening = await listeningInodes(port);
  if (listening.size === 0) return true;
  const mine = new Set<string>();
  for (const pid of ours) for (const inode of await socketInodes(pid)) mine.add(inode);
  return [...listening].some((inode) => !mine.has(inode));
}
