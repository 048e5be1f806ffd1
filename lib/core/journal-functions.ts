import type { EventLog, NewEvent, Snapshot } from './journal.ts';

/**
 * Appends one stream's events, atomically: `append` with a single write, its conflict thrown rather than reported.
 * Resolves with the events' global positions.
 */
export async function persist(log: Pick<EventLog, 'append'>, streamId: string, events: readonly NewEvent[]): Promise<number[]> {
  const [outcome] = await log.append([{ streamId, events }]);
  if (outcome && 'error' in outcome) throw outcome.error;
  return [...(outcome?.positions ?? [])];
}

/** Stores a snapshot of a stream on its own: `append` with a write that has no events. */
export async function saveSnapshot(log: Pick<EventLog, 'append'>, streamId: string, snapshot: Snapshot): Promise<void> {
  const [outcome] = await log.append([{ streamId, events: [], snapshot }]);
  if (outcome && 'error' in outcome) throw outcome.error;
}

/**
 * The highest global position of the journal, or 0 when it is empty. Positions need not be contiguous, so it is
 * found by searching with one-event reads (`loadAfter(p, 1)` is empty exactly when `p` is at or above the head):
 * about 2·log2(head) reads, for a question asked rarely (a projection's first read on a journal with history).
 */
export async function highestPosition(log: Pick<EventLog, 'loadAfter'>): Promise<number> {
  const after = async (position: number) => (await log.loadAfter(position, 1))[0]?.position;
  let found = await after(0);
  if (found === undefined) return 0;
  // Gallop up from the first position until nothing lies beyond, then bisect between the last hit and the miss.
  let step = 1;
  let miss: number | undefined;
  while (miss === undefined) {
    const probe = found + step;
    const next = await after(probe - 1);
    if (next === undefined) miss = probe - 1;
    else {
      found = next;
      step *= 2;
    }
  }
  // Invariant: an event at `found`, none above `miss`; found <= miss.
  while (found < miss) {
    const middle: number = found + Math.ceil((miss - found) / 2);
    const next = await after(middle - 1);
    if (next === undefined) miss = middle - 1;
    else found = next;
  }
  return found;
}
