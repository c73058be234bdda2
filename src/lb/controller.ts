/**
 * The load balancer controller: keeps HAProxy equal to the ELBv2 state in the store.
 *
 * - Sync (on every ELBv2 change, and every second): read the data plane model, render the
 *   configuration. A change of anything but the servers (listeners, rules, target group settings)
 *   is applied by a hitless reload; servers (targets) are added, drained and removed through the
 *   Runtime API without one. Targets whose deregistration delay has passed are deleted here.
 * - Health (every 100-500 ms): read HAProxy's `show stat`, translate its checks into ELBv2 target
 *   health (src/lb/health.ts), promote new targets that passed their first check, and record
 *   changes in the store, where DescribeTargetHealth and ECS read them.
 * - HAProxy runs as a daemon that outlives Berth: `stop` leaves it serving; the next start finds it
 *   through its master socket and reloads only if the configuration differs. `destroy` stops it.
 *
 * Both loops run under one mutex, so Runtime API commands never interleave with a reload.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../lib/clock.js";
import type { Logger } from "../lib/log.js";
import { Mutex } from "../lib/mutex.js";
import type { Component } from "../main/build.js";
import type { ListenerPorts } from "../services/elbv2/listeners.js";
import { ELB } from "../state/elbv2/kinds.js";
import type { LoadBalancerRecord, TargetHealthRecord, TargetRecord } from "../state/elbv2/records.js";
import { WIPE_KIND } from "../state/sqlite/sqlite-store.js";
import type { Store } from "../state/store.js";
import { type RenderedConfig, renderConfig } from "./haproxy-config.js";
import { HaproxyProcess, haproxyPaths } from "./haproxy-process.js";
import { command, mutate, parseStat } from "./haproxy-socket.js";
import { checkStatus, observe } from "./health.js";
import { type DataPlane, readDataPlane } from "./model.js";
import { portHeld } from "./ports.js";
import { parseServersState, runtimePlan } from "./runtime-plan.js";

export interface LbControllerOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  dataDir: string;
  /** The HAProxy binary (Debian's haproxy package). */
  bin?: string;
  syncIntervalMs?: number;
  /** Called after target health changes were recorded. */
  onHealthChange?: () => void;
}

export interface LbController extends Component {
  /** What CreateListener asks about ports of this machine. */
  readonly ports: ListenerPorts;
  /** Sync now (tests). */
  kick(): Promise<void>;
  /** Stop HAProxy as well (tests, and `berth reset`); `stop` leaves it serving. */
  destroy(): Promise<void>;
}

/** Paths end up in HAProxy's configuration; refuse any that would need quoting. */
const SAFE_PATH = /^[A-Za-z0-9/._+@~-]+$/;
const RUNTIME_OK = /^(|New server registered\.|Server deleted\.)$/;
/** Kinds whose changes make the controller sync (health is its own output). */
const WATCHED = new Set<string>([ELB.loadBalancer, ELB.targetGroup, ELB.listener, ELB.rule, ELB.target]);

export function lbController(opts: LbControllerOptions): LbController {
  const paths = haproxyPaths(join(opts.dataDir, "lb"));
  const haproxy = new HaproxyProcess(paths, opts.bin);
  const log = opts.log;
  const mutex = new Mutex();
  let enabled = false;
  let stopped = true;
  let applied: { structure: string; text: string } | undefined;
  let bound = new Set<number>();
  let plane: DataPlane | undefined;
  let unsubscribe: (() => void) | undefined;
  let syncTimer: NodeJS.Timeout | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let syncQueued = false;
  let lastError = "";

  const structureOf = (text: string | undefined) => /^# structure ([0-9a-f]+)$/m.exec(text ?? "")?.[1];

  function report(what: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    // The same failure every second is logged once.
    if (message === lastError) return;
    lastError = message;
    log.error(what, { error: message });
  }

  function writeBodies(cfg: RenderedConfig): void {
    for (const [path, body] of cfg.bodies) if (!existsSync(path)) writeFileSync(path, body, { mode: 0o600 });
  }

  /** Bodies HAProxy read when it loaded the configuration; the ones it no longer names can go. */
  function removeOldBodies(cfg: RenderedConfig): void {
    for (const f of readdirSync(paths.bodies)) {
      const path = join(paths.bodies, f);
      if (!cfg.bodies.has(path)) rmSync(path, { force: true });
    }
  }

  /** Delete targets whose deregistration delay has passed (in every target group, used or not). */
  async function expireDrained(now: number): Promise<boolean> {
    const keys = await opts.store.read(async (tx) =>
      (await tx.scan<TargetRecord>(ELB.target))
        .filter((t) => t.value.drainUntil !== undefined && t.value.drainUntil <= now)
        .map((t) => t.key),
    );
    if (keys.length === 0) return false;
    await opts.store.write(async (tx) => {
      for (const key of keys) {
        const t = await tx.get<TargetRecord>(ELB.target, key);
        if (t?.value.drainUntil !== undefined && t.value.drainUntil <= now) {
          await tx.delete(ELB.target, key);
          await tx.delete(ELB.health, key);
        }
      }
    });
    return true;
  }

  async function markActive(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await opts.store.write(async (tx) => {
      for (const key of keys) {
        const lb = await tx.get<LoadBalancerRecord>(ELB.loadBalancer, key);
        if (lb?.value.state === "provisioning")
          await tx.put(
            ELB.loadBalancer,
            key,
            { ...lb.value, state: "active" },
            { expectVersion: lb.version },
          );
      }
    });
  }

  async function applyRuntime(p: DataPlane, now: number): Promise<void> {
    const checks = new Map<string, string>();
    const backends: string[] = [];
    for (const row of parseStat(await command(paths.adminSocket, "show stat"))) {
      if (row.svname === "BACKEND") backends.push(row.pxname!);
      else checks.set(`${row.pxname}/${row.svname}`, checkStatus(row));
    }
    const actual = parseServersState(
      await command(paths.adminSocket, "show servers state"),
      checks,
      backends,
    );
    for (const cmd of runtimePlan(p, actual, now)) {
      try {
        await mutate(paths.adminSocket, cmd, RUNTIME_OK);
      } catch (err) {
        // A server with connections still open cannot be deleted yet; the next sync tries again.
        log.debug("runtime command failed", {
          command: cmd,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }

  async function sync(): Promise<void> {
    const now = opts.clock.now();
    let p = await opts.store.read((tx) => readDataPlane(tx));
    if (await expireDrained(now)) p = await opts.store.read((tx) => readDataPlane(tx));
    if (p.frontends.length === 0) {
      if ((await haproxy.pids()).length > 0) {
        await haproxy.stop();
        log.info("HAProxy stopped: no listeners left");
      }
      applied = undefined;
      bound = new Set();
      plane = p;
      await markActive(p.provisioning);
      return;
    }
    const cfg = renderConfig(p, paths);
    const text = `# structure ${cfg.structure}\n${cfg.text}`;
    writeBodies(cfg);
    const running = await haproxy.proc();
    // A HAProxy whose master does not answer is never started twice: wait for it.
    if (!running && (await haproxy.pids()).length > 0)
      throw new Error("HAProxy is running but its master socket does not answer; trying again");
    if (!running) {
      await haproxy.check(text);
      haproxy.writeConfig(text);
      const proc = await haproxy.start();
      log.info("HAProxy started", { pid: proc.masterPid, listeners: p.frontends.length });
    } else {
      // After a Berth restart: what the running HAProxy was last given.
      applied ??= {
        structure: structureOf(haproxy.currentConfig()) ?? "",
        text: haproxy.currentConfig() ?? "",
      };
      if (applied.structure !== cfg.structure) {
        const refused = await haproxy.check(text).then(
          () => undefined,
          (err: unknown) => err,
        );
        if (refused) {
          // HAProxy keeps its last good configuration: every load balancer goes on serving, and
          // target changes of the backends it has still go through the Runtime API. The structural
          // change waits until the resource HAProxy refuses is changed or removed.
          report("HAProxy refused the new load balancer configuration; keeping the last one", refused);
          await applyRuntime(p, now);
          plane = p;
          if (waitingForFirstCheck()) pokeHealth();
          return;
        }
        haproxy.writeConfig(text);
        await haproxy.reload(running);
        log.info("HAProxy reloaded", { listeners: p.frontends.length, backends: p.backends.length });
      } else if (applied.text !== text) {
        // Only servers changed: the file follows, for the next reload; the Runtime API applies them.
        haproxy.writeConfig(text);
      }
    }
    applied = { structure: cfg.structure, text };
    removeOldBodies(cfg);
    bound = new Set(cfg.ports);
    await applyRuntime(p, now);
    plane = p;
    await markActive(p.provisioning);
    if (waitingForFirstCheck()) pokeHealth();
  }

  /** Some target has not passed its first health check yet. */
  const waitingForFirstCheck = () =>
    plane?.backends.some((b) =>
      b.servers.some((s) => !s.health?.passedOnce && s.target.drainUntil === undefined),
    ) ?? false;

  /** Look at health soon (a new target's first check runs within DOWN_INTERVAL_MS). */
  function pokeHealth(): void {
    if (stopped || !healthTimer) return;
    clearTimeout(healthTimer);
    healthTimer = setTimeout(tickHealth, 50).unref();
  }

  async function health(): Promise<void> {
    const p = plane;
    if (!p || p.frontends.length === 0 || !applied) return;
    const now = opts.clock.now();
    let rows: ReturnType<typeof parseStat>;
    try {
      rows = parseStat(await command(paths.adminSocket, "show stat", 2000));
    } catch {
      return;
    }
    const byId = new Map(rows.map((r) => [`${r.pxname}/${r.svname}`, r]));
    const writes: { key: string; registeredAt: number; health: TargetHealthRecord }[] = [];
    for (const b of p.backends) {
      for (const s of b.servers) {
        if (s.target.drainUntil !== undefined) continue;
        const row = byId.get(`${b.name}/${s.name}`);
        if (!row) continue;
        const o = observe({
          row,
          target: s.target,
          health: s.health,
          hc: b.healthCheck,
          alb: b.lbType === "application",
          now,
        });
        if (o.promote) {
          await mutate(paths.adminSocket, `set server ${b.name}/${s.name} health up`, RUNTIME_OK).catch(
            (err) => log.debug("promotion failed", { server: s.name, error: String(err) }),
          );
        }
        if (o.next) {
          writes.push({ key: s.key, registeredAt: s.target.registeredAt, health: o.next });
          s.health = o.next;
        }
      }
    }
    if (writes.length === 0) return;
    await opts.store.write(async (tx) => {
      for (const w of writes) {
        const t = await tx.get<TargetRecord>(ELB.target, w.key);
        if (t && t.value.registeredAt === w.registeredAt) await tx.put(ELB.health, w.key, w.health);
      }
    });
    opts.onHealthChange?.();
  }

  const runSync = () =>
    mutex.run(async () => {
      syncQueued = false;
      if (!enabled || stopped) return;
      try {
        await sync();
        lastError = "";
      } catch (err) {
        report("load balancer sync failed", err);
      }
    });

  const queueSync = () => {
    if (syncQueued) return;
    syncQueued = true;
    setImmediate(() => void runSync());
  };

  const tickSync = () => {
    if (stopped) return;
    void runSync().finally(() => {
      if (!stopped) syncTimer = setTimeout(tickSync, opts.syncIntervalMs ?? 1000).unref();
    });
  };

  const tickHealth = () => {
    if (stopped) return;
    void mutex
      .run(async () => {
        if (!enabled || stopped) return;
        try {
          await health();
        } catch (err) {
          report("load balancer health check read failed", err);
        }
      })
      .finally(() => {
        if (stopped) return;
        // Quick while a new target waits for its first check, so it serves within a second.
        const waiting = plane?.backends.some((b) =>
          b.servers.some((s) => !s.health?.passedOnce && s.target.drainUntil === undefined),
        );
        healthTimer = setTimeout(tickHealth, waiting ? 50 : 500).unref();
      });
  };

  function prepare(): boolean {
    const bin = opts.bin ?? "/usr/sbin/haproxy";
    if (!existsSync(bin)) {
      log.error(
        "HAProxy not found; load balancer listeners will not serve traffic (scripts/setup.sh installs it)",
        {
          bin,
        },
      );
      return false;
    }
    if (!SAFE_PATH.test(paths.dir)) {
      log.error(
        "the data dir path has characters HAProxy's configuration cannot carry; load balancers are disabled",
        {
          dir: paths.dir,
        },
      );
      return false;
    }
    mkdirSync(paths.bodies, { recursive: true, mode: 0o700 });
    return true;
  }

  return {
    name: "load-balancers",
    ports: {
      async heldElsewhere(port: number) {
        // A port in HAProxy's configuration is Berth's own; the store's claims decide about it.
        if (bound.has(port)) return false;
        return portHeld(port, async () => (enabled ? haproxy.pids() : []));
      },
    },
    async start() {
      stopped = false;
      enabled = prepare();
      if (!enabled) return;
      unsubscribe = opts.store.subscribe((changes) => {
        if (changes.some((c) => WATCHED.has(c.kind) || c.kind === WIPE_KIND)) queueSync();
      });
      await runSync();
      tickSync();
      tickHealth();
    },
    async reset() {
      await runSync();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (syncTimer) clearTimeout(syncTimer);
      if (healthTimer) clearTimeout(healthTimer);
      await mutex.run(() => undefined);
    },
    async kick() {
      await runSync();
    },
    async destroy() {
      await this.stop?.();
      await haproxy.stop();
    },
  };
}
