import { highestPosition, persist, saveSnapshot } from '../../core/journal-functions.ts';
import { assertEqual, assertIncreasing, assertMatches, assertRejects } from './assertions.ts';
import { eventLogCases } from './event-log-contract.ts';
import { numbered, positionsOf, totals, unpositioned } from './fixtures.ts';
import { idempotencyCases } from './idempotency-contract.ts';
import { readModelCases } from './read-model-contract.ts';
import { type Contract, contractOf, type JournalFactory, type TestRunner } from './runner.ts';
import { sharingCases } from './sharing-contract.ts';
import { snapshotCases } from './snapshot-contract.ts';

/**
 * The whole contract of the journal port (`EventJournal`): the event log, snapshots, idempotency records and read
 * models suites, two handles on one journal (`openSecond`), and the lifecycle (every call after `close` rejects with a `ClosedError`; with `reopen`, what was
 * stored survives a restart), run on the journals `factory` opens with the runner's functions. A journal that
 * passes it keeps every promise the runtime relies on; the IndexedDB, in-memory and PostgreSQL journals run it.
 *
 * ```ts
 * import { afterEach, describe, it } from 'vitest'; // or '@jest/globals', 'node:test', Mocha's globals
 * import { describeJournalContract } from 'eventfold/testing';
 *
 * describeJournalContract('MyJournal', {
 *   open: (options) => openMyJournal({ ...options, database: freshName() }),
 *   reopen: async (journal) => (await journal.close(), openMyJournal({ database: nameOf(journal) })),
 *   cleanup: dropMyDatabases,
 * }, { describe, it, afterEach });
 * ```
 */
export function describeJournalContract(name: string, factory: JournalFactory, runner: TestRunner): void {
  runner.describe(`${name} (EventJournal contract)`, () => {
    const contract = contractOf(factory, runner);
    contract.describe('event log', () => eventLogCases(contract));
    snapshotCases(contract);
    idempotencyCases(contract);
    readModelCases(contract);
    sharingCases(contract, factory);
    lifecycleCases(contract);
  });
}

/** The lifecycle cases of `describeJournalContract`. */
function lifecycleCases({ open, track, reopen, describe, it }: Contract): void {
  describe('lifecycle', () => {
    it('rejects every call after close with a closed error', async () => {
      const journal = await open();
      await journal.close();
      const calls: [string, () => Promise<unknown>][] = [
        ['persist', () => persist(journal, 'e1', numbered(1, 1))],
        ['load', () => journal.load('e1')],
        ['highestSequenceNr', () => journal.highestSequenceNr('e1')],
        ['loadSnapshot', () => journal.loadSnapshot('e1')],
        ['listSnapshots', () => journal.listSnapshots('e1')],
        ['streamIds', () => journal.streamIds()],
        ['loadAfter', () => journal.loadAfter(0, 1)],
        ['highestPosition', () => highestPosition(journal)],
        ['findIdempotencyRecord', () => journal.findIdempotencyRecord('e1', 'k')],
        ['append', () => journal.append([{ streamId: 'e1', events: numbered(1, 1) }])],
        ['saveSnapshot', () => saveSnapshot(journal, 'e1', { sequenceNr: 1, state: {}, timestamp: 1 })],
        ['projectEvents', () => journal.projectEvents(totals, [], 0)],
        ['loadCheckpoint', () => journal.loadCheckpoint('totals')],
        ['readModel', () => journal.readModel('totals')],
        ['resetProjection', () => journal.resetProjection('totals')],
      ];
      for (const [method, call] of calls) await assertRejects(call(), { code: 'closed' }, `${method} after close`);
    });

    // Only durable journals can be reopened; an in-memory one has nothing to keep.
    if (reopen) {
      it('keeps events and snapshots across closing and reopening', async () => {
        const journal = await open();
        const events = numbered(1, 3);
        const before = await persist(journal, 'e1', events);
        await saveSnapshot(journal, 'e1', { sequenceNr: 2, state: { total: 3 }, timestamp: 1 });
        const reopened = track(await reopen(journal));
        assertEqual(unpositioned(await reopened.load('e1')), events, "load('e1') without positions, after reopening");
        assertEqual(await reopened.highestSequenceNr('e1'), 3, "highestSequenceNr('e1') after reopening");
        assertMatches(
          await reopened.loadSnapshot('e1'),
          { sequenceNr: 2, state: { total: 3 }, timestamp: 1 },
          "loadSnapshot('e1') after reopening",
        );
        const [next] = await persist(reopened, 'e1', numbered(4, 1));
        assertEqual(await reopened.highestSequenceNr('e1'), 4, "highestSequenceNr('e1') after appending to the reopened journal");
        const loaded = positionsOf(await reopened.load('e1'));
        // The positions from before the restart stay, and the next commit comes after them.
        assertEqual(loaded, [...before, next], "the positions of load('e1') after reopening");
        assertIncreasing(loaded, "the positions of load('e1') after reopening");
      });
    }
  });
}
