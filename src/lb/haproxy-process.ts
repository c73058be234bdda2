/**
 * The HAProxy process: started in master-worker mode as a daemon, so that it keeps serving when
 * Berth stops or restarts, and found again through its master socket when Berth starts. Reloads go
 * through the master (`reload`): the master re-executes itself with the configuration file, the new
 * worker takes the listening sockets over from the old one (`expose-fd listeners`), and the old
 * worker finishes its connections. Server states are saved to the state file just before.
 */
import { execFile, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ConfigPaths } from "./haproxy-config.js";
import { command, type ProcInfo, parseProc } from "./haproxy-socket.js";

const run = promisify(execFile);

/** HAProxy gets no environment of Berth's (which may hold credentials and master keys). */
const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };

export interface HaproxyPaths extends ConfigPaths {
  dir: string;
  config: string;
  masterSocket: string;
  pidFile: string;
  log: string;
}

export function haproxyPaths(dir: string): HaproxyPaths {
  return {
    dir,
    config: join(dir, "haproxy.cfg"),
    masterSocket: join(dir, "master.sock"),
    adminSocket: join(dir, "admin.sock"),
    stateFile: join(dir, "server-state"),
    pidFile: join(dir, "haproxy.pid"),
    bodies: join(dir, "bodies"),
    log: join(dir, "haproxy.log"),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HaproxyProcess {
  constructor(
    readonly paths: HaproxyPaths,
    private readonly bin = "/usr/sbin/haproxy",
  ) {}

  /** The running master and its workers, or undefined when none answers on the master socket. */
  async proc(): Promise<ProcInfo | undefined> {
    if (!existsSync(this.paths.masterSocket)) return undefined;
    try {
      return parseProc(await command(this.paths.masterSocket, "show proc", 2000));
    } catch {
      return undefined;
    }
  }

  /**
   * Every process of this HAProxy (master, current and old workers), found by its command line:
   * unlike the master socket, this answers during a reload too.
   */
  async pids(): Promise<number[]> {
    const out: number[] = [];
    for (const entry of await readdir("/proc").catch(() => [] as string[])) {
      if (!/^\d+$/.test(entry)) continue;
      const cmd = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
      const args = cmd.split("\0");
      if (args[0] === this.bin && args.includes("-f") && args[args.indexOf("-f") + 1] === this.paths.config)
        out.push(Number(entry));
    }
    return out;
  }

  /** The worker's `show info` pid, when the stats socket answers. */
  async workerPid(): Promise<number | undefined> {
    try {
      const info = await command(this.paths.adminSocket, "show info", 2000);
      const m = /^Pid: (\d+)$/m.exec(info);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The configuration the running process was last given (the file on disk). */
  currentConfig(): string | undefined {
    try {
      return readFileSync(this.paths.config, "utf8");
    } catch {
      return undefined;
    }
  }

  /** Write the configuration file atomically (a reload re-reads it from this path). */
  writeConfig(text: string): void {
    const tmp = `${this.paths.config}.new`;
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, this.paths.config);
  }

  /** Check a configuration without applying it. */
  async check(text: string): Promise<void> {
    const file = `${this.paths.config}.check`;
    writeFileSync(file, text, { mode: 0o600 });
    try {
      await run(this.bin, ["-c", "-q", "-f", file], { env: ENV });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`HAProxy refused the generated configuration: ${e.stderr?.trim() || e.message}`);
    }
  }

  /** Start HAProxy with the configuration file; resolves once its worker answers. */
  async start(): Promise<ProcInfo> {
    const log = openSync(this.paths.log, "a", 0o600);
    try {
      const child = spawn(
        this.bin,
        [
          "-W",
          "-D",
          "-S",
          `${this.paths.masterSocket},mode,600`,
          "-f",
          this.paths.config,
          "-p",
          this.paths.pidFile,
        ],
        { detached: true, stdio: ["ignore", log, log], env: ENV, cwd: this.paths.dir },
      );
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("exit", resolve);
      });
      if (code !== 0) throw new Error(`HAProxy exited with ${code}: ${this.logTail()}`);
    } finally {
      closeSync(log);
    }
    return this.waitReady(undefined);
  }

  /**
   * Reload: save server states, then ask the master to re-execute. Resolves once the new worker
   * answers; rejects (the old worker keeps serving) when the new configuration fails to load.
   */
  async reload(before: ProcInfo): Promise<ProcInfo> {
    const states = await command(this.paths.adminSocket, "show servers state");
    writeFileSync(this.paths.stateFile, states, { mode: 0o600 });
    await command(this.paths.masterSocket, "reload").catch(() => "");
    return this.waitReady(before);
  }

  private async waitReady(before: ProcInfo | undefined): Promise<ProcInfo> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const p = await this.proc();
      if (p && before && p.failedReloads > before.failedReloads)
        throw new Error(`HAProxy could not load the new configuration: ${this.logTail()}`);
      const fresh = p?.workers.find((w) => w.reloads === 0);
      if (p && fresh && (!before || p.reloads > before.reloads)) {
        if ((await this.workerPid()) === fresh.pid) return p;
      }
      await sleep(25);
    }
    throw new Error(`HAProxy did not become ready: ${this.logTail()}`);
  }

  /** Stop HAProxy (its master and workers) and wait until it has gone. */
  async stop(): Promise<void> {
    const p = await this.proc();
    const pids = p ? [p.masterPid, ...p.workers.map((w) => w.pid)] : await this.pids();
    if (pids.length === 0) return;
    // The master stops its workers; without a master that answers, each process is asked.
    for (const pid of p ? [p.masterPid] : pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // gone already
      }
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && pids.some(alive)) await sleep(20);
  }

  logTail(): string {
    try {
      return readFileSync(this.paths.log, "utf8").split("\n").slice(-15).join("\n");
    } catch {
      return "(no log)";
    }
  }
}

/** Whether a process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
