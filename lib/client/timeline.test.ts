import type { EntityChange, PersistedEvent, Recovered } from 'eventfold';
import { describe, expect, it } from 'vitest';
import { Timeline, type TimelineSource } from './timeline.ts';

/** Events numbered `from` to `to`. */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ sequenceNr: from + i }) as PersistedEvent);

/** A source whose reads wait until the test settles them, one target at a time, in any order. */
function controlledSource() {
  const waiting = new Map<number, (value: Recovered<number>) => void>();
  const asked: number[] = [];
  let listener: ((change: EntityChange<number, unknown>) => void) | undefined;
  const source: TimelineSource<number, unknown> = {
    subscribe(heard) {
      listener = heard;
      return () => (listener = undefined);
    },
    historyAt(sequenceNr, tail) {
      asked.push(sequenceNr);
      return new Promise((resolve) => waiting.set(sequenceNr, (past) => resolve({ ...past, events: range(Math.max(1, sequenceNr - tail + 1), sequenceNr) })));
    },
    events: async (from, to) => range(from, to),
  };
  return {
    source,
    asked,
    head: (sequenceNr: number) => listener?.({ state: sequenceNr * 10, sequenceNr, events: [] }),
    settle: async (sequenceNr: number) => {
      waiting.get(sequenceNr)!({ state: sequenceNr * 10, sequenceNr, events: [] });
      waiting.delete(sequenceNr);
      await new Promise((resolve) => setTimeout(resolve));
    },
  };
}

describe('a timeline scrubbed fast', () => {
  it('loads two seeks at once, the newest waiting beyond them, and never goes back to an older one', async () => {
    const { source, asked, head, settle } = controlledSource();
    const timeline = new Timeline(source, { window: 5 });
    const stop = timeline.subscribe(() => {});
    head(1_000);
    await new Promise((resolve) => setTimeout(resolve));
    expect(timeline.getSnapshot()).toMatchObject({ live: true, head: 1_000 });

    timeline.seek(100);
    timeline.seek(200);
    timeline.seek(300);
    timeline.seek(400);
    // The second starts without waiting for the first; beyond two, only the newest target waits.
    expect(asked).toEqual([100, 200]);
    await settle(200);
    expect(timeline.getSnapshot()).toMatchObject({ position: 400, stateSequenceNr: 200, state: 2_000 });
    expect(asked).toEqual([100, 200, 400]);
    // The first ends after the second was shown: dropped.
    await settle(100);
    expect(timeline.getSnapshot()).toMatchObject({ stateSequenceNr: 200 });
    await settle(400);
    expect(timeline.getSnapshot()).toMatchObject({ position: 400, stateSequenceNr: 400, state: 4_000 });
    expect(timeline.getSnapshot().events.map((e) => e.sequenceNr)).toEqual([396, 397, 398, 399, 400]);

    // A seek that ends after the timeline went live does not take it back to the past.
    timeline.seek(50);
    timeline.goLive();
    await settle(50);
    expect(timeline.getSnapshot()).toMatchObject({ live: true, position: 1_000, stateSequenceNr: 1_000 });
    stop();
  });
});
