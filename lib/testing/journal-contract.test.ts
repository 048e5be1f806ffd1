import { type EventJournal, highestPosition, InMemoryJournal, persist, type PersistedEvent, type StreamOf } from 'eventfold';
import { describeJournalContract, type JournalFactory } from 'eventfold/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { collectCases, failuresOf } from '../test-support/collected-cases.ts';
import { GappedJournal } from '../test-support/gapped-journal.ts';
import { numbered } from '../test-support/events.ts';
import { totals } from '../test-support/totals.ts';

const gapped: JournalFactory = { open: async (options) => new GappedJournal(new InMemoryJournal(options)) };

// Positions are unique and increase in commit order, nothing more: the whole suite passes on a journal with gaps.
describeJournalContract('GappedJournal', gapped, { describe, it, afterEach });

describe('GappedJournal', () => {
  it('shows positions with gaps, not starting at 1, and reads after any number between them', async () => {
    const journal = new GappedJournal(new InMemoryJournal());
    expect(await persist(journal, 'a', numbered(1, 2))).toEqual([4, 7]);
    const [outcome] = await journal.append([{ streamId: 'b', events: numbered(1, 1) }], { projections: [totals] });
    expect(outcome).toEqual({ positions: [10] });
    expect((await journal.loadAfter(5, 10)).map((e) => e.position)).toEqual([7, 10]);
    expect((await journal.loadAfter(7, 10)).map((e) => e.position)).toEqual([10]);
    expect(await highestPosition(journal)).toBe(10);
    expect(await journal.resetProjection('totals')).toBe(10);
    expect(await journal.loadCheckpoint('totals')).toEqual({ position: 0, rebuilding: { position: 0, total: 10 } });
  });
});

describe('the journal contract', () => {
  /** The cases of the whole suite, on journals from `open`. */
  const casesOn = (open: JournalFactory['open']) =>
    collectCases((runner) => describeJournalContract('journal', { open }, runner));

  it('fails a journal that skips an event when a reader resumes after a position', async () => {
    const failures = await failuresOf(casesOn(async (options) => new SkippingJournal(new InMemoryJournal(options))));
    expect([...failures.keys()]).toEqual(
      expect.arrayContaining([
        'journal (EventJournal contract) > event log > global positions > resumes after any position, never skipping nor repeating an event, and ends at the highest position',
      ]),
    );
    const failure = failures.values().next().value as Error;
    expect(failure).toMatchObject({ name: 'SpecificationError', message: expect.stringMatching(/^Expected .+, but got /) });
  });

  it('fails a journal whose positions go down in commit order', async () => {
    const failures = await failuresOf(casesOn(async (options) => new DescendingJournal(new InMemoryJournal(options))));
    expect([...failures.keys()]).toEqual(
      expect.arrayContaining([
        'journal (EventJournal contract) > event log > global positions > numbers events across entities in the order they were stored, and loads them in that order',
        'journal (EventJournal contract) > event log > global positions > gives no position to a write that failed, and keeps positions increasing after it',
      ]),
    );
  });

  it('passes the in-memory journal whole, run case by case without a test runner', async () => {
    const cases = casesOn(async (options) => new InMemoryJournal(options));
    expect(cases.length).toBeGreaterThan(60);
    expect(await failuresOf(cases)).toEqual(new Map());
  }, 60_000);
});

/** Loses the first event after any position but 0, as a follower of a sequence that skipped a late commit would. */
class SkippingJournal extends GappedJournal {
  override async loadAfter(afterPosition: number, limit: number): Promise<(PersistedEvent & StreamOf)[]> {
    const events = await super.loadAfter(afterPosition, limit + 1);
    return (afterPosition > 0 ? events.slice(1) : events).slice(0, limit);
  }
}

/**
 * Gives each write positions below those of the writes before it, and reads them back consistently (in ascending
 * order of position, so newest first): unique positions, but not in commit order.
 */
class DescendingJournal implements EventJournal {
  readonly kind = 'local';
  constructor(readonly inner: EventJournal) {}
  append: EventJournal['append'] = async (writes, options) =>
    (await this.inner.append(writes, options)).map((outcome) => ('error' in outcome ? outcome : { ...outcome, positions: outcome.positions.map(down) }));
  load: EventJournal['load'] = async (...args) => (await this.inner.load(...args)).map((event) => ({ ...event, position: down(event.position) }));
  loadAfter: EventJournal['loadAfter'] = async (afterPosition, limit) => {
    if (!Number.isSafeInteger(afterPosition) || afterPosition < 0) return this.inner.loadAfter(afterPosition, limit);
    await this.inner.loadAfter(0, limit); // refuses what the inner journal refuses (a bad limit, a closed journal)
    const all = (await this.inner.loadAfter(0, 100_000)).map((event) => ({ ...event, position: down(event.position) })).reverse();
    return all.filter((event) => event.position > afterPosition).slice(0, limit);
  };
  highestSequenceNr: EventJournal['highestSequenceNr'] = (...args) => this.inner.highestSequenceNr(...args);
  streamIds: EventJournal['streamIds'] = (...args) => this.inner.streamIds(...args);
  loadSnapshot: EventJournal['loadSnapshot'] = (...args) => this.inner.loadSnapshot(...args);
  listSnapshots: EventJournal['listSnapshots'] = (...args) => this.inner.listSnapshots(...args);
  findIdempotencyRecord: EventJournal['findIdempotencyRecord'] = (...args) => this.inner.findIdempotencyRecord(...args);
  projectEvents: EventJournal['projectEvents'] = (...args) => this.inner.projectEvents(...args);
  loadCheckpoint: EventJournal['loadCheckpoint'] = (...args) => this.inner.loadCheckpoint(...args);
  readModel: EventJournal['readModel'] = (...args) => this.inner.readModel(...args);
  resetProjection: EventJournal['resetProjection'] = (...args) => this.inner.resetProjection(...args);
  close: EventJournal['close'] = () => this.inner.close();
}

/** Positions that go down as the journal grows. */
const down = (position: number) => 1_000_000 - position;
