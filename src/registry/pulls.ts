/**
 * Records when images are pulled (DescribeImages lastRecordedPullTime) without a store write on
 * every pull: pulls are collected and written together, one transaction per batch, shortly after.
 */
import type { Logger } from "../lib/log.js";
import { K } from "../state/ecr/kinds.js";
import type { ImageRecord } from "../state/ecr/records.js";
import type { Store } from "../state/store.js";

export class PullRecorder {
  private pending = new Map<string, number>();
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  /** Note a pull of the image stored under `imageKey`. */
  record(imageKey: string, now: number): void {
    this.pending.set(imageKey, Math.max(now, this.pending.get(imageKey) ?? 0));
    if (!this.flushing) {
      this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.write());
    }
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.write(async (tx) => {
        for (const [key, at] of batch) {
          const rec = await tx.get<ImageRecord>(K.image, key);
          if (rec && (rec.value.lastPulledAt ?? 0) < at) {
            await tx.put(K.image, key, { ...rec.value, lastPulledAt: at }, { expectVersion: rec.version });
          }
        }
      });
    } catch (err) {
      this.log.warn("could not record image pulls", {
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      this.flushing = undefined;
      if (this.pending.size > 0)
        this.record([...this.pending.keys()][0]!, this.pending.values().next().value!);
    }
  }

  /** Wait until every pull noted so far is written. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
