/**
 * Seeds of the chaos test that once failed, run in every quick run as regression cases: each with the devices and
 * steps it failed with.
 */
export const CHAOS_SEEDS: readonly { readonly seed: number; readonly devices: number; readonly steps: number }[] = [
  // Its first step kills a device whose worker has not answered the client yet: the client never sees such a worker
  // lost (it learns of a worker's end through a lock taken in that answer), so the test kills a device once it runs.
  { seed: 2072057154, devices: 4, steps: 150 },
];
