/**
 * The Runtime API commands that bring HAProxy's servers to what the store says, without a reload:
 * targets registered since the last reload are added, deregistered ones drained and then removed,
 * new targets held down until their first health check passes. Pure: state in, commands out.
 */
import { hasPassed, serverLine } from "./haproxy-config.js";
import type { DataPlane } from "./model.js";

/** A server as `show servers state` and `show stat` describe it. */
export interface ActualServer {
  /** 0 stopped, 1 starting, 2 running, 3 stopping */
  opState: number;
  /** Bit field: 0x01 forced maintenance, 0x08 forced drain, ... */
  adminState: number;
  uweight: number;
  /** `show stat` check_status without the in-progress marker: INI until the first check. */
  checkStatus: string;
}

const FORCED_MAINT = 0x01;
const FORCED_DRAIN = 0x08;

/**
 * Parse `show servers state` into backend → server → state. `backends` are the backends the running
 * configuration has (from `show stat`), so that a backend without servers is known too.
 */
export function parseServersState(
  text: string,
  checks: Map<string, string>,
  backends: Iterable<string>,
): Map<string, Map<string, ActualServer>> {
  const out = new Map<string, Map<string, ActualServer>>();
  for (const b of backends) out.set(b, new Map());
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#") || /^\d+$/.test(line.trim())) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const [, backend, , server, , op, admin, uweight] = f as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const servers = out.get(backend) ?? new Map<string, ActualServer>();
    servers.set(server, {
      opState: Number(op),
      adminState: Number(admin),
      uweight: Number(uweight),
      checkStatus: checks.get(`${backend}/${server}`) ?? "",
    });
    out.set(backend, servers);
  }
  return out;
}

export function runtimePlan(
  plane: DataPlane,
  actual: Map<string, Map<string, ActualServer>>,
  now: number,
): string[] {
  const cmds: string[] = [];
  for (const b of plane.backends) {
    const have = actual.get(b.name);
    // The backend is not in the running configuration (a reload is pending or failed).
    if (!have) continue;
    const sticky = b.lbType === "application" && b.attributes["stickiness.enabled"] === "true";
    let added = false;
    const wanted = new Set<string>();
    for (const s of b.servers) {
      const draining = s.target.drainUntil !== undefined;
      if (draining && s.target.drainUntil! <= now) continue;
      wanted.add(s.name);
      const id = `${b.name}/${s.name}`;
      const passed = hasPassed(s);
      const cur = have.get(s.name);
      if (!cur) {
        // Added at weight 0, so that no request reaches it before it is held down.
        cmds.push(`add server ${id} ${serverLine(b, s, 0)}`);
        cmds.push(`enable health ${id}`);
        cmds.push(`set server ${id} state ${draining ? "drain" : "ready"}`);
        if (!passed) cmds.push(`set server ${id} health down`);
        cmds.push(`set server ${id} weight 1`);
        added = true;
        continue;
      }
      if (draining && !(cur.adminState & FORCED_DRAIN)) cmds.push(`set server ${id} state drain`);
      if (!draining && cur.adminState & (FORCED_DRAIN | FORCED_MAINT))
        cmds.push(`set server ${id} state ready`);
      const neverChecked = cur.checkStatus === "INI";
      if (!passed && cur.opState === 2 && neverChecked) cmds.push(`set server ${id} health down`);
      if (cur.uweight === 0) cmds.push(`set server ${id} weight 1`);
    }
    for (const name of have.keys()) {
      if (wanted.has(name)) continue;
      const id = `${b.name}/${name}`;
      cmds.push(`set server ${id} state maint`, `shutdown sessions server ${id}`, `del server ${id}`);
    }
    if (added && sticky) cmds.push(`enable dynamic-cookie backend ${b.name}`);
  }
  return cmds;
}
