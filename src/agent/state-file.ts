/** What an agent keeps across restarts, in <agent data dir>/agent.json (written atomically). */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface AgentState {
  containerInstanceArn?: string;
  instanceToken?: string;
  /** The metadata endpoint port, reused so host-mode containers keep a working URL. */
  endpointPort?: number;
  /** The port of the DNS server awsvpc tasks use (kept so that their routers stay right after a restart). */
  dnsPort?: number;
  /** Per container id: the engine timestamp of the last log line shipped. */
  logCursors?: Record<string, string>;
}

export class StateFile {
  private readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {
    this.path = join(dir, "agent.json");
  }

  async load(): Promise<AgentState> {
    try {
      return JSON.parse(await readFile(this.path, "utf8")) as AgentState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw err;
    }
  }

  save(state: AgentState): Promise<void> {
    const text = JSON.stringify(state);
    this.writing = this.writing.then(async () => {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.path);
    });
    return this.writing;
  }
}
