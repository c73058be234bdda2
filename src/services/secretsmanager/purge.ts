/**
 * Deletes secrets whose recovery window has ended. Lookups already treat such a secret as gone; this
 * loop removes its record and sealed values from the store.
 */
import type { Clock } from "../../lib/clock.js";
import type { Logger } from "../../lib/log.js";
import { type Loop, startLoop } from "../../lib/loop.js";
import type { Component } from "../../main/build.js";
import { purgeSecret, type SecretRecord, SM } from "../../state/secretsmanager/secrets.js";
import type { Store } from "../../state/store.js";

const INTERVAL_MS = 60 * 60 * 1000;

/** One pass: purge every expired secret in every region. Returns how many went. */
export async function purgeExpiredSecrets(store: Store, now: number): Promise<number> {
  return store.write(async (tx) => {
    let n = 0;
    let after: string | undefined;
    for (;;) {
      const page = await tx.scan<SecretRecord>(SM.secret, { limit: 500, ...(after ? { after } : {}) });
      for (const r of page) {
        if (r.value.deletionDate !== undefined && r.value.deletionDate <= now) {
          await purgeSecret(tx, r.key.slice(0, r.key.indexOf("/")), r.value.name);
          n++;
        }
      }
      if (page.length < 500) return n;
      after = page[page.length - 1]!.key;
    }
  });
}

export function secretPurgeComponent(opts: { store: Store; clock: Clock; log: Logger }): Component {
  let loop: Loop | undefined;
  return {
    name: "secrets-purge",
    async start() {
      loop = startLoop({
        name: "secrets-purge",
        intervalMs: INTERVAL_MS,
        clock: opts.clock,
        log: opts.log,
        tick: async (now) => {
          const n = await purgeExpiredSecrets(opts.store, now);
          if (n > 0) opts.log.info("purged secrets past their recovery window", { count: n });
        },
      });
    },
    async stop() {
      await loop?.stop();
    },
  };
}
