/**
 * A small seeded random source for property tests, so that a failure reproduces: each test prints
 * its seed when it fails, and BERTH_TEST_SEED=<n> replays exactly that run.
 */

export interface Random {
  /** The seed this source started from. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: tiny, fast, and good enough to explore state spaces. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

/**
 * Run `body` once for each of `runs` seeds from `base`. A failure names the seed that reproduces it;
 * BERTH_TEST_SEED=<seed> runs that seed alone.
 */
export function forSeeds(base: number, runs: number, body: (r: Random) => void): void {
  const only = process.env.BERTH_TEST_SEED;
  const seeds = only !== undefined ? [Number(only)] : Array.from({ length: runs }, (_, i) => base + i);
  for (const seed of seeds) {
    try {
      body(seeded(seed));
    } catch (err) {
      if (err instanceof Error) err.message = `[BERTH_TEST_SEED=${seed}] ${err.message}`;
      throw err;
    }
  }
}
