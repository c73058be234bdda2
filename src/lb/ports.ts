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

/**
 * Inodes of the sockets bound to a TCP port and not connected (IPv4 and IPv6): listening ones, and
 * ones a soft-stopping HAProxy worker keeps bound after it stopped listening.
 */
async function boundInodes(port: number): Promise<Set<string>> {
  const out = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // local and remote addresses are ADDR:PORT in hex; field 9 is the inode (0 for TIME_WAIT).
      if (f.length > 9 && f[1]!.endsWith(`:${hex}`) && /^0+:0000$/.test(f[2]!) && f[9] !== "0")
        out.add(f[9]!);
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
 * True when something holds the port and at least one of its bound sockets belongs to none of
 * `ours()` (Berth's HAProxy processes). A port that is being let go (a HAProxy worker exiting has
 * no command line left but still its sockets for a moment) is asked about again, for up to half a
 * second.
 */
export async function portHeld(
  port: number,
  ours: () => Promise<readonly number[]> = async () => [],
  host = "0.0.0.0",
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    if (!(await heldOnce(port, await ours(), host))) return false;
    if (attempt >= 5) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function heldOnce(port: number, ours: readonly number[], host: string): Promise<boolean> {
  if (!(await tryBind(port, host))) return false;
  if (ours.length === 0) return true;
  const bound = await boundInodes(port);
  if (bound.size === 0) return true;
  const mine = new Set<string>();
  for (const pid of ours) for (const inode of await socketInodes(pid)) mine.add(inode);
  return [...bound].some((inode) => !mine.has(inode));
}
