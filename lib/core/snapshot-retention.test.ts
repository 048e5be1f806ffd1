import { describe, expect, it } from 'vitest';
import { runSeed, seededRandom } from '../test-support/seeded-random.ts';
import { keptSnapshots, snapshotSpacing } from './snapshot-retention.ts';

/** Keeps the snapshots as a journal does: one snapshot stored at a time, thinned after each. */
function storeEach(sequenceNrs: Iterable<number>, kept: number): number[] {
  let stored: number[] = [];
  for (const sequenceNr of sequenceNrs) stored = keptSnapshots([...stored, sequenceNr], kept);
  return stored;
}

const every = (step: number, to: number) => Array.from({ length: Math.floor(to / step) }, (_, i) => (i + 1) * step);
const gaps = (sequenceNrs: readonly number[]) => sequenceNrs.slice(1).map((s, i) => s - sequenceNrs[i]!);

describe('keptSnapshots', () => {
  it('keeps every snapshot while there are no more than the bound', () => {
    expect(keptSnapshots([3, 6, 9], 3)).toEqual([3, 6, 9]);
    expect(storeEach(every(100, 100_000), 1_000)).toEqual(every(100, 100_000));
  });

  it('keeps only the newest when one is kept', () => {
    expect(storeEach([1, 2, 3, 4], 1)).toEqual([4]);
  });

  it('thins a long stream to even spacing, the newest kept', () => {
    const kept = storeEach(every(100, 1_000_000), 1_000);
    expect(kept.length).toBeLessThanOrEqual(1_000);
    expect(kept.at(-1)).toBe(1_000_000);
    expect(kept[0]).toBe(100);
    const spacing = snapshotSpacing(1_000_000, 1_000);
    expect(spacing).toBe(1_024);
    // Each interval of the spacing keeps its oldest snapshot, so no two kept ones are further apart than the spacing
    // and the policy's own interval.
    expect(Math.max(...gaps(kept))).toBeLessThan(spacing + 100);
    expect(kept.length).toBeGreaterThan(1_000_000 / (spacing + 100));
  });

  it('keeps a subset of what it kept before, however the snapshots arrive', () => {
    const seed = runSeed(process.env);
    const random = seededRandom(seed);
    for (let round = 0; round < 50; round++) {
      const bound = 2 + Math.floor(random() * 40);
      let head = 0;
      let stored: number[] = [];
      for (let i = 0; i < 500; i++) {
        head += 1 + Math.floor(random() * 30);
        const next = keptSnapshots([...stored, head], bound);
        const context = `seed ${seed}, round ${round}, bound ${bound}, head ${head}`;
        expect(next.length, context).toBeLessThanOrEqual(bound);
        expect(next.at(-1), context).toBe(head);
        expect(next.every((s) => s === head || stored.includes(s)), context).toBe(true);
        // Spread over the history: no gap more than twice the spacing of the newest.
        expect(Math.max(0, ...gaps(next)), context).toBeLessThan(2 * snapshotSpacing(head, bound) + 30);
        stored = next;
      }
    }
  });
});
