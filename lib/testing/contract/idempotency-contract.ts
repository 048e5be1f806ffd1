import { assertEqual, assertMatches, assertRejects, assertThat, containing } from './assertions.ts';
import { numbered, positionsOf, record } from './fixtures.ts';
import { type Contract, contractOf, type JournalFactory, type TestRunner } from './runner.ts';

/**
 * The idempotency records' contract (`IdempotencyStore`, and the records written by `append`): stored with their
 * events or alone, found by stream and key, a reused key refusing its write and no other, malformed records
 * refused, run on the journals `factory` opens with the runner's functions.
 *
 * ```ts
 * import { afterEach, describe, it } from '@jest/globals';
 * describeIdempotencyContract('MyJournal', { open: async () => new MyJournal() }, { describe, it, afterEach });
 * ```
 */
export function describeIdempotencyContract(name: string, factory: JournalFactory, runner: TestRunner): void {
  runner.describe(`${name} (idempotency contract)`, () => idempotencyCases(contractOf(factory, runner)));
}

/** The cases of `describeIdempotencyContract`, inside the caller's `describe`. */
export function idempotencyCases({ open, describe, it }: Contract): void {
  describe('idempotency records', () => {
    it('stores a record with its events, and finds it by entity and key', async () => {
      const journal = await open();
      const k1 = record('a', 'k1', 1, 2);
      const outcomes = await journal.append([{ streamId: 'a', events: numbered(1, 2), idempotency: [k1] }]);
      const stored = positionsOf(await journal.load('a'));
      assertEqual(stored.length, 2, "the number of events of load('a')");
      assertEqual(outcomes, [{ positions: stored }], "the outcomes of the write: the positions of the events stored");
      assertEqual(await journal.findIdempotencyRecord('a', 'k1'), k1, "findIdempotencyRecord('a', 'k1')");
      assertEqual(await journal.findIdempotencyRecord('a', 'k2'), undefined, "findIdempotencyRecord('a', 'k2')");
      assertEqual(await journal.findIdempotencyRecord('b', 'k1'), undefined, "findIdempotencyRecord('b', 'k1')");
    });

    it('stores a record without events, for a command that recorded none', async () => {
      const journal = await open();
      const k1 = record('a', 'k1', 1, 0);
      assertEqual(
        await journal.append([{ streamId: 'a', events: [], idempotency: [k1] }]),
        [{ positions: [] }],
        'the outcomes of a write of a record alone',
      );
      assertEqual(await journal.findIdempotencyRecord('a', 'k1'), k1, "findIdempotencyRecord('a', 'k1')");
    });

    it('refuses a write that reuses a key, storing none of its events, and keeps the other writes', async () => {
      const journal = await open();
      const k1 = record('a', 'k1', 1, 1);
      await journal.append([{ streamId: 'a', events: numbered(1, 1), idempotency: [k1] }]);
      const outcomes = await journal.append([
        { streamId: 'a', events: numbered(2, 1), idempotency: [record('a', 'k1', 2, 2)] },
        { streamId: 'b', events: numbered(1, 1), idempotency: [record('b', 'k1', 1, 1)] },
        { streamId: 'b', events: numbered(2, 1), idempotency: [record('b', 'k1', 2, 2)] },
      ]);
      assertMatches(
        outcomes[0],
        { error: { code: 'conflict', entityId: 'a', message: containing('"k1"') } },
        "the outcome of the write to 'a' that reuses its key",
      );
      assertThat(typeof outcomes[1] === 'object' && 'positions' in outcomes[1], "the outcome of the write to 'b'", 'stored (with positions)', outcomes[1]);
      assertMatches(outcomes[2], { error: { code: 'conflict', entityId: 'b' } }, "the outcome of the second write to 'b' with the same key");
      assertEqual(await journal.highestSequenceNr('a'), 1, "highestSequenceNr('a')");
      assertEqual(await journal.highestSequenceNr('b'), 1, "highestSequenceNr('b')");
      assertEqual(await journal.findIdempotencyRecord('a', 'k1'), k1, "findIdempotencyRecord('a', 'k1')");
    });

    it('rejects a malformed record or key, storing nothing', async () => {
      const journal = await open();
      await assertRejects(
        journal.append([{ streamId: 'a', events: numbered(1, 1), idempotency: [{ ...record('a', 'k', 1, 1), key: '' }] }]),
        { code: 'invalid-argument', argument: 'idempotency[0].key' },
        'a write with an empty key',
      );
      await assertRejects(journal.findIdempotencyRecord('a', ''), { code: 'invalid-argument' }, "findIdempotencyRecord('a', '')");
      assertEqual(await journal.highestSequenceNr('a'), 0, "highestSequenceNr('a')");
    });
  });
}
