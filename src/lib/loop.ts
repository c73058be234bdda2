/**
 * A periodic background job (retention enforcement, lifecycle policies, reconcilers): runs `tick`
 * every `intervalMs`, never overlapping itself, logging failures instead of crashing. `tick` is given
 * the clock's time so the work it does stays testable.
 */
import type { Clock } from "./clock.js";
import type { Logger } from "./log.js";

export interface Loop {
  readonly name: string;
  /** Run one tick now (tests; or to react to a change sooner than the interval). */
  kick(): Promise<void>;
  stop(): Promise<void>;
}

export function startLoop(opts: {
  name: string;
  intervalMs: number;
  clock: Clock;
  log: Logger;
  tick: (now: number) => Promise<void>;
  /** Start the first tick right away (default) or after one interval. */
  immediate?: boolean;
}): Loop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const runOnce = (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      try {
        await opts.tick(opts.clock.now());
      } catch (err) {
        opts.log.error("background loop failed", {
          loop: opts.name,
          error: err instanceof Error ? err : String(err),
        });
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().then(() => schedule(opts.intervalMs));
    }, delay);
    timer.unref();
  };
  schedule(opts.immediate === false ? opts.intervalMs : 0);

  return {
    name: opts.name,
    kick: runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
