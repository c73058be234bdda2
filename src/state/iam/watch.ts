/**
 * A generation number that moves whenever IAM state changes (or the store is wiped). Caches of
 * identities and compiled policies tag entries with the generation they were read at and trust
 * them only while it is current. Store listeners run right after commit, before the writing
 * request answers, so no request that follows a change sees a stale entry.
 */
import { WIPE_KIND } from "../sqlite/sqlite-store.js";
import type { Store } from "../store.js";
import { IAM_KIND_PREFIX } from "./kinds.js";

export interface IamGeneration {
  current(): number;
  stop(): void;
}

export function watchIam(store: Store): IamGeneration {
  let generation = 0;
  const stop = store.subscribe((changes) => {
    for (const c of changes) {
      if (c.kind.startsWith(IAM_KIND_PREFIX) || c.kind === WIPE_KIND) {
        generation++;
        return;
      }
    }
  });
  return { current: () => generation, stop };
}
