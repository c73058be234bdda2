/**
 * Ships the output of containers that use the awslogs log driver into Berth's CloudWatch Logs.
 * Containers always log to the engine's json-file driver (so `docker logs` works); the agent follows
 * that output and sends it on, so a container never blocks on the control plane, whatever `mode`
 * says. A cursor per container (the last line shipped) survives agent restarts, so nothing is sent
 * twice and nothing is skipped while the engine still holds the lines.
 *
 * Stream names follow ECS: `<awslogs-stream-prefix>/<container name>/<task id>`, or the container's
 * id when no prefix is set.
 */
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import type { DesiredTask, LogBatch } from "../../agentapi/protocol.js";
import type { Logger } from "../../lib/log.js";
import { taskIdOf } from "../engine/container-spec.js";
import type { ContainerRuntime, LogLine, Subscription } from "../runtime/runtime.js";

/** CloudWatch Logs limits a PutLogEvents batch to 10,000 events and ~1 MiB. */
const MAX_EVENTS = 10_000;
const MAX_BYTES = 1_000_000;
const MAX_EVENT_BYTES = 256 * 1024 - 26;

interface Follow {
  region: string;
  group: string;
  stream: string;
  createGroup: boolean;
  /** Most lines kept in memory while the control plane is unreachable. */
  maxBuffered: number;
  queue: { line: LogLine }[];
  sub: Subscription;
  done: boolean;
}

export interface LogShipperDeps {
  runtime: ContainerRuntime;
  log: Logger;
  send(batches: LogBatch[], region: string): Promise<void>;
  cursors: Record<string, string>;
  saveCursors(): void;
  /** The region a task's logs go to by default. */
  region: string;
}

export class LogShipper {
  private readonly follows = new Map<string, Follow>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: LogShipperDeps) {}

  /** The flush timer runs only while there is something to follow. */
  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.flush();
      if (this.follows.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    }, 500);
    this.timer.unref();
  }

  /** Start following a container if its task definition sends its output to awslogs. */
  follow(task: DesiredTask, def: ContainerDefinition, containerId: string): void {
    const cfg = def.logConfiguration;
    if (cfg?.logDriver !== "awslogs" || this.follows.has(containerId)) return;
    const o = cfg.options ?? {};
    const prefix = o["awslogs-stream-prefix"];
    const f: Follow = {
      region: o["awslogs-region"] ?? this.deps.region,
      group: o["awslogs-group"] ?? "",
      stream: prefix ? `${prefix}/${def.name}/${taskIdOf(task.taskArn)}` : containerId,
      createGroup: o["awslogs-create-group"] === "true",
      maxBuffered: Math.max(1000, Math.floor(parseSize(o["max-buffer-size"]) / 100)),
      queue: [],
      sub: { close() {} },
      done: false,
    };
    const cursor = this.deps.cursors[containerId] ?? "";
    const sinceMs = cursor ? Date.parse(cursor.slice(0, 23) + "Z") - 1000 : 0;
    f.sub = this.deps.runtime.logs(
      containerId,
      Math.max(0, sinceMs),
      (line) => {
        if (line.cursor <= cursor) return;
        f.queue.push({ line });
        if (f.queue.length > f.maxBuffered) {
          f.queue.splice(0, f.queue.length - f.maxBuffered);
          this.deps.log.warn("log buffer full; dropping oldest lines", { container: containerId });
        }
      },
      () => {
        f.done = true;
      },
    );
    this.follows.set(containerId, f);
    this.ensureTimer();
  }

  /** Send everything buffered; resolves when sent (or failed, to be retried). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const byRegion = new Map<
      string,
      { batches: LogBatch[]; taken: { id: string; f: Follow; n: number; cursor: string }[] }
    >();
    for (const [id, f] of this.follows) {
      if (f.queue.length === 0) {
        if (f.done) this.follows.delete(id);
        continue;
      }
      let bytes = 0;
      let n = 0;
      const events: LogBatch["events"] = [];
      for (const { line } of f.queue) {
        const message =
          line.message.length > MAX_EVENT_BYTES ? line.message.slice(0, MAX_EVENT_BYTES) : line.message;
        const size = Buffer.byteLength(message) + 26;
        if (n >= MAX_EVENTS || bytes + size > MAX_BYTES) break;
        events.push({ timestamp: line.timestamp, message });
        bytes += size;
        n++;
      }
      const entry = byRegion.get(f.region) ?? { batches: [], taken: [] };
      entry.batches.push({
        logGroupName: f.group,
        logStreamName: f.stream,
        createGroup: f.createGroup,
        events,
      });
      entry.taken.push({ id, f, n, cursor: f.queue[n - 1]!.line.cursor });
      byRegion.set(f.region, entry);
    }
    let moved = false;
    const done = (t: { id: string; f: Follow; n: number; cursor: string }) => {
      t.f.queue.splice(0, t.n);
      this.deps.cursors[t.id] = t.cursor;
      moved = true;
    };
    for (const [region, { batches, taken }] of byRegion) {
      try {
        await this.deps.send(batches, region);
        for (const t of taken) done(t);
      } catch (err) {
        if (!refused(err)) {
          this.deps.log.warn("shipping logs failed; will retry", { region, error: errorText(err) });
          continue;
        }
        // The control plane refuses output for a log group no task of this instance names (a task
        // it has forgotten, or this instance was deregistered): retrying cannot help. Send the
        // batches one by one so that only the refused ones are dropped.
        for (const [i, batch] of batches.entries()) {
          const failure =
            batches.length === 1
              ? { err }
              : await this.deps.send([batch], region).then(
                  () => undefined,
                  (e: unknown) => ({ err: e }),
                );
          if (failure && !refused(failure.err)) {
            this.deps.log.warn("shipping logs failed; will retry", { region, error: errorText(failure.err) });
            continue;
          }
          if (failure) {
            this.deps.log.warn("the control plane refused container output; dropping it", {
              region,
              logGroup: batch.logGroupName,
              logStream: batch.logStreamName,
              error: errorText(failure.err),
            });
          }
          done(taken[i]!);
        }
      }
    }
    if (moved) this.deps.saveCursors();
  }

  /** Stop following everything (agent shutdown); buffered lines are flushed first. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    for (const f of this.follows.values()) f.sub.close();
    this.follows.clear();
  }

  forget(containerId: string): void {
    const f = this.follows.get(containerId);
    f?.sub.close();
    this.follows.delete(containerId);
    delete this.deps.cursors[containerId];
  }
}

/** The control plane answered that it will never take these lines (403), rather than failed. */
const refused = (err: unknown) => (err as { status?: unknown } | undefined)?.status === 403;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function parseSize(text: string | undefined): number {
  const m = /^(\d+)([kmg])?$/i.exec(text ?? "");
  if (!m) return 1024 * 1024;
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? "").toLowerCase() as "k" | "m" | "g"] ?? 1;
  return Number(m[1]) * mult;
}
