/**
 * Seeds of the chaos test that once failed, run in every quick run as regression cases: each with the devices and
 * steps it failed with.
 */
export const CHAOS_SEEDS: readonly { readonly seed: number; readonly devices: number; readonly steps: number }[] = [
  // Killed a device before its worker had answered the client: the kill waited forever for the client to see it lost.
  { seed: 2072057154, devices: 4, steps: 150 },
];
