/**
 * Seeds of the chaos test that once failed, run in every quick run as regression cases: each with the devices and
 * steps it failed with.
 */
export const CHAOS_SEEDS: readonly { readonly seed: number; readonly devices: number; readonly steps: number }[] = [];
