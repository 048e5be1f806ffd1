import { fingerprintOf } from '../../core/identity.ts';
import { persist, saveSnapshot } from '../../core/journal-functions.ts';
import { keptSnapshots } from '../../core/snapshot-retention.ts';
import { MAX_STREAM_ID_LENGTH } from '../../core/validation.ts';
import { assertEqual, assertMatches, assertRejects } from './assertions.ts';
import { numbered } from './fixtures.ts';
import { type Contract, contractOf, type JournalFactory, type TestRunner } from './runner.ts';

/**
 * The snapshots' contract (`SnapshotStore`, and snapshots written by `append` and `saveSnapshot`): round trips
 * stamped with their checksum, the newest at or below a bound, the bounded number kept and thinned (`open({ snapshotsKept })`),
 * and the refusal of snapshots beyond their stream or of values that cannot be stored, run on the journals
 * `factory` opens with the runner's functions.
 *
 * ```ts
 * import { afterEach, describe, it } from 'node:test';
 * describeSnapshotContract('MyJournal', { open: async (options) => new MyJournal(options) }, { describe, it, afterEach });
 * ```
 */
export function describeSnapshotContract(name: string, factory: JournalFactory, runner: TestRunner): void {
  runner.describe(`${name} (snapshot contract)`, () => snapshotCases(contractOf(factory, runner)));
}

/** The cases of `describeSnapshotContract`, inside the caller's `describe`. */
export function snapshotCases({ open, describe, it }: Contract): void {
  describe('snapshots', () => {
    it('round-trips a snapshot', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 5));
      const snapshot = { sequenceNr: 5, state: { total: 15, names: ['a'] }, timestamp: 7, schemaVersion: 3 };
      await saveSnapshot(journal, 'e1', snapshot);
      // Stamped with the checksum of its state, whatever checksum it came with.
      assertEqual(await journal.loadSnapshot('e1'), { ...snapshot, checksum: fingerprintOf(snapshot.state) }, "loadSnapshot('e1')");
      await saveSnapshot(journal, 'e1', { ...snapshot, sequenceNr: 4, checksum: 'forged' });
      assertEqual((await journal.loadSnapshot('e1', 4))?.checksum, fingerprintOf(snapshot.state), 'the checksum of a snapshot saved with a forged one');
    });

    it('gives undefined when there is no snapshot', async () => {
      const journal = await open();
      assertEqual(await journal.loadSnapshot('e1'), undefined, "loadSnapshot('e1')");
      assertEqual(await journal.listSnapshots('e1'), [], "listSnapshots('e1')");
    });

    it('returns the newest snapshot, which an older one never replaces', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 10));
      await saveSnapshot(journal, 'e1', { sequenceNr: 4, state: 'four', timestamp: 1 });
      await saveSnapshot(journal, 'e1', { sequenceNr: 8, state: 'eight', timestamp: 2 });
      await saveSnapshot(journal, 'e1', { sequenceNr: 6, state: 'six', timestamp: 3 });
      assertMatches(await journal.loadSnapshot('e1'), { sequenceNr: 8, state: 'eight' }, "loadSnapshot('e1')");
    });

    it('returns the newest snapshot at or below a bound', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 10));
      for (const sequenceNr of [3, 6, 9]) await saveSnapshot(journal, 'e1', { sequenceNr, state: sequenceNr, timestamp: 1 });
      assertEqual((await journal.loadSnapshot('e1', 8))?.sequenceNr, 6, "the sequence number of loadSnapshot('e1', 8)");
      assertEqual((await journal.loadSnapshot('e1', 6))?.sequenceNr, 6, "the sequence number of loadSnapshot('e1', 6)");
      assertEqual((await journal.loadSnapshot('e1', 2))?.sequenceNr, undefined, "the sequence number of loadSnapshot('e1', 2)");
      assertEqual((await journal.loadSnapshot('e1', 0))?.sequenceNr, undefined, "the sequence number of loadSnapshot('e1', 0)");
    });

    it('keeps a bounded number of snapshots, thinned evenly over the history, the newest kept', async () => {
      const journal = await open({ snapshotsKept: 3 });
      await persist(journal, 'e1', numbered(1, 10));
      for (let sequenceNr = 1; sequenceNr <= 10; sequenceNr++) {
        await saveSnapshot(journal, 'e1', { sequenceNr, state: sequenceNr, timestamp: 1 });
      }
      // Beyond 3, the newest and the oldest of each interval of 8 (the spacing that fits 10 events into 3).
      assertEqual(await journal.listSnapshots('e1'), [1, 8, 10], "listSnapshots('e1')");
      assertEqual((await journal.loadSnapshot('e1'))?.sequenceNr, 10, "the sequence number of loadSnapshot('e1')");
      assertEqual((await journal.loadSnapshot('e1', 9))?.sequenceNr, 8, "the sequence number of loadSnapshot('e1', 9)");
      assertEqual((await journal.loadSnapshot('e1', 7))?.sequenceNr, 1, "the sequence number of loadSnapshot('e1', 7)");
      assertEqual(await journal.listSnapshots('nobody'), [], "listSnapshots('nobody')");
    });

    it('thins the snapshots written with events by the rule of keptSnapshots, stream by stream', async () => {
      const journal = await open({ snapshotsKept: 5 });
      let expected: number[] = [];
      for (let from = 1; from <= 120; from += 3) {
        // Two streams in each append, one snapshotted: the other keeps none.
        const snapshot = { sequenceNr: from + 2, state: { at: from + 2 }, timestamp: 1 };
        await journal.append([
          { streamId: 'e1', events: numbered(from, 3), snapshot },
          { streamId: 'e2', events: numbered(from, 3) },
        ]);
        expected = keptSnapshots([...expected, from + 2], 5);
      }
      assertEqual(await journal.listSnapshots('e1'), expected, "listSnapshots('e1')");
      assertEqual(expected.length, 5, 'the number of snapshots kept');
      assertEqual(await journal.listSnapshots('e2'), [], "listSnapshots('e2')");
      assertMatches(await journal.loadSnapshot('e1', expected[1]), { sequenceNr: expected[1], state: { at: expected[1] } }, 'a thinned stream\'s older snapshot');
    });

    it('refuses a snapshot beyond the stream or with a bad sequence number', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 2));
      await assertRejects(
        saveSnapshot(journal, 'e1', { sequenceNr: 3, state: {}, timestamp: 1 }),
        { code: 'invalid-snapshot', sequenceNr: 3, highestSequenceNr: 2 },
        'a snapshot at 3 of a stream at 2',
      );
      await assertRejects(
        saveSnapshot(journal, 'e1', { sequenceNr: 0, state: {}, timestamp: 1 }),
        { code: 'invalid-argument' },
        'a snapshot at 0',
      );
      assertEqual(await journal.loadSnapshot('e1'), undefined, "loadSnapshot('e1')");
    });

    it('refuses a snapshot whose state cannot be stored, naming the value', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 1));
      const snapshot = { sequenceNr: 1, state: { items: [1, () => 2] }, timestamp: 1 };
      await assertRejects(
        saveSnapshot(journal, 'e1', snapshot),
        { code: 'not-cloneable', path: 'snapshot.state.items[1]' },
        'a snapshot holding a function',
      );
      assertEqual(await journal.loadSnapshot('e1'), undefined, "loadSnapshot('e1')");
    });

    for (const [what, streamId] of [
      ['an empty stream id', ''],
      ['a non-string stream id', 42],
      ['a stream id that is too long', 'x'.repeat(MAX_STREAM_ID_LENGTH + 1)],
    ] as const) {
      it(`rejects ${what}`, async () => {
        const journal = await open();
        const id = streamId as string;
        await assertRejects(journal.loadSnapshot(id), { code: 'invalid-argument' }, `loadSnapshot of ${what}`);
        await assertRejects(journal.listSnapshots(id), { code: 'invalid-argument' }, `listSnapshots of ${what}`);
      });
    }
  });
}
