/**
 * A seeded generator of numbers in [0, 1) (mulberry32): the reliability tests draw their choices from a seed they
 * print, so that a failing run can be replayed with `EVENTFOLD_SEED=…`. Plain code, for the Node side and the
 * harness page alike.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `EVENTFOLD_SEED` when set, else a new one. */
export function runSeed(env: Record<string, string | undefined>): number {
  const given = env.EVENTFOLD_SEED;
  return given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
}
