import { fingerprintOf } from '../../core/identity.ts';
import { highestPosition, persist } from '../../core/journal-functions.ts';
import { readPages } from '../../core/replay.ts';
import { MAX_STREAM_ID_LENGTH } from '../../core/validation.ts';
import { assertEqual, assertIncreasing, assertMatches, assertRejects, assertSame, assertThat, containing } from './assertions.ts';
import { envelope, everything, numbered, positionsOf, unpositioned } from './fixtures.ts';
import { type Contract, contractOf, type JournalFactory, type TestRunner } from './runner.ts';

/**
 * The event log's contract (`EventLog`): appends, reads by stream range and by global position, stream heads,
 * stream listings, group commit, and the refusal of bad input, run on the journals `factory` opens with the
 * runner's functions. Global positions are checked for what the port promises, no more: unique, increasing in
 * commit order, resumable after any position; not contiguous, nor starting anywhere in particular.
 *
 * ```ts
 * import { afterEach, describe, it } from 'vitest';
 * describeEventLogContract('MyJournal', { open: async () => new MyJournal() }, { describe, it, afterEach });
 * ```
 */
export function describeEventLogContract(name: string, factory: JournalFactory, runner: TestRunner): void {
  runner.describe(`${name} (event log contract)`, () => eventLogCases(contractOf(factory, runner)));
}

/** The cases of `describeEventLogContract`, inside the caller's `describe`. */
export function eventLogCases({ open, describe, it }: Contract): void {
  describe('persist and load', () => {
    it('loads what was persisted, in ascending order, with every field', async () => {
      const journal = await open();
      const events = numbered(1, 3);
      await persist(journal, 'e1', events);
      assertEqual(unpositioned(await journal.load('e1')), events, "load('e1') without positions");
      assertEqual(await journal.highestSequenceNr('e1'), 3, "highestSequenceNr('e1')");
    });

    it('loads from a sequence number, inclusive', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 5));
      assertEqual((await journal.load('e1', 3)).map((e) => e.sequenceNr), [3, 4, 5], "the sequence numbers of load('e1', 3)");
    });

    it('loads up to a sequence number, inclusive, and nothing for an empty range', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 5));
      assertEqual((await journal.load('e1', 2, 4)).map((e) => e.sequenceNr), [2, 3, 4], "the sequence numbers of load('e1', 2, 4)");
      assertEqual(await journal.load('e1', 4, 3), [], "load('e1', 4, 3)");
      assertEqual(await journal.load('e1', 6), [], "load('e1', 6)");
    });

    it('gives an unknown entity an empty stream at sequence number 0', async () => {
      const journal = await open();
      assertEqual(await journal.load('nobody'), [], "load('nobody')");
      assertEqual(await journal.highestSequenceNr('nobody'), 0, "highestSequenceNr('nobody')");
    });

    it('accumulates appends across calls', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 2));
      await persist(journal, 'e1', numbered(3, 1));
      await persist(journal, 'e1', numbered(4, 2));
      assertEqual((await journal.load('e1')).map((e) => e.sequenceNr), [1, 2, 3, 4, 5], "the sequence numbers of load('e1')");
      assertEqual(await journal.highestSequenceNr('e1'), 5, "highestSequenceNr('e1')");
    });

    it('keeps the streams of different entities apart', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 2));
      await persist(journal, 'b', numbered(1, 3));
      await persist(journal, 'a:b', numbered(1, 1));
      assertEqual(await journal.highestSequenceNr('a'), 2, "highestSequenceNr('a')");
      assertEqual(await journal.highestSequenceNr('b'), 3, "highestSequenceNr('b')");
      assertEqual((await journal.load('a:b')).length, 1, "the number of events of load('a:b')");
    });

    it('treats an empty batch as nothing to do', async () => {
      const journal = await open();
      await persist(journal, 'e1', []);
      assertEqual(await journal.highestSequenceNr('e1'), 0, "highestSequenceNr('e1') after an empty batch");
    });

    it('hands out copies: changing a loaded event changes nothing stored', async () => {
      const journal = await open();
      const events = numbered(1, 1);
      await persist(journal, 'e1', events);
      (events[0]!.event as { n: number }).n = 99;
      const [loaded] = await journal.load('e1');
      (loaded!.event as { n: number }).n = 42;
      assertEqual((await journal.load('e1'))[0]!.event, { n: 1 }, 'the stored event, after changing the one written and one loaded');
    });
  });

  describe('sequence numbers', () => {
    it('rejects a duplicate sequence number with a conflict and keeps the stream', async () => {
      const journal = await open();
      const events = numbered(1, 2);
      await persist(journal, 'e1', events);
      await assertRejects(persist(journal, 'e1', numbered(2, 1)), { code: 'conflict', entityId: 'e1', expected: 1, actual: 2 }, 'a second event 2');
      assertEqual(unpositioned(await journal.load('e1')), events, "load('e1') without positions");
    });

    it('rejects a gap with a conflict', async () => {
      const journal = await open();
      await persist(journal, 'e1', numbered(1, 1));
      await assertRejects(persist(journal, 'e1', numbered(3, 1)), { code: 'conflict', expected: 2, actual: 1 }, 'event 3 after event 1');
      assertEqual(await journal.highestSequenceNr('e1'), 1, "highestSequenceNr('e1')");
    });

    it('rejects a first event that does not start at 1', async () => {
      const journal = await open();
      await assertRejects(persist(journal, 'e1', numbered(2, 1)), { code: 'conflict', actual: 0 }, 'a first event numbered 2');
    });

    it('rejects a batch that is not contiguous, storing none of it', async () => {
      const journal = await open();
      const batch = [...numbered(1, 2), ...numbered(4, 1)];
      await assertRejects(persist(journal, 'e1', batch), { code: 'conflict' }, 'a batch of events 1, 2 and 4');
      const duplicated = [...numbered(1, 2), ...numbered(2, 1)];
      await assertRejects(persist(journal, 'e1', duplicated), { code: 'conflict' }, 'a batch of events 1, 2 and 2');
      assertEqual(await journal.load('e1'), [], "load('e1')");
    });

    it('lets exactly one of two racing writers append the same sequence number', async () => {
      const journal = await open();
      const outcomes = await Promise.allSettled([
        persist(journal, 'e1', [envelope(1, { writer: 'a' }, 1)]),
        persist(journal, 'e1', [envelope(1, { writer: 'b' }, 1)]),
      ]);
      assertEqual(outcomes.filter((o) => o.status === 'fulfilled').length, 1, 'the number of racing writes stored');
      const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      assertMatches(failed.reason, { code: 'conflict', expected: 0, actual: 1 }, 'the error of the racing write not stored');
      assertEqual((await journal.load('e1')).length, 1, "the number of events of load('e1')");
    });
  });

  describe('global positions', () => {
    it('numbers events across entities in the order they were stored, and loads them in that order', async () => {
      const journal = await open();
      assertEqual(await highestPosition(journal), 0, 'highestPosition of an empty journal');
      const first = await persist(journal, 'a', numbered(1, 2));
      const b = numbered(1, 1);
      const second = await persist(journal, 'b', b);
      const third = await persist(journal, 'a', numbered(3, 1));
      const positions = [...first, ...second, ...third];
      // Each write committed after the one before: its positions are higher.
      assertIncreasing(positions, 'the positions persist gave four events, in the order they were stored');
      assertEqual([first.length, second.length, third.length], [2, 1, 1], 'the number of positions of each persist');
      const [a1, a2, b1, a3] = positions as [number, number, number, number];
      assertEqual(positionsOf(await journal.load('a')), [a1, a2, a3], "the positions of load('a')");
      assertEqual(await highestPosition(journal), a3, 'highestPosition: the position of the event stored last');

      const all = await journal.loadAfter(0, 10);
      assertEqual(
        all.map((e) => [e.streamId, e.sequenceNr, e.position]),
        [
          ['a', 1, a1],
          ['a', 2, a2],
          ['b', 1, b1],
          ['a', 3, a3],
        ],
        'loadAfter(0, 10) as [streamId, sequenceNr, position]',
      );
      assertEqual(all[2], { ...b[0]!, position: b1, streamId: 'b' }, "loadAfter's event of 'b'");
      assertEqual(positionsOf(await journal.loadAfter(a2, 1)), [b1], `the positions of loadAfter(${a2}, 1)`);
      assertEqual(await journal.loadAfter(a3, 10), [], `loadAfter(${a3}, 10), after the last position`);
    });

    it('resumes after any position, never skipping nor repeating an event, and ends at the highest position', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 2));
      await journal.append([
        { streamId: 'b', events: numbered(1, 1) },
        { streamId: 'c', events: numbered(1, 2) },
      ]);
      await persist(journal, 'a', numbered(3, 1));
      const all = await everything(journal);
      const positions = positionsOf(all);
      assertEqual(positions.length, 6, 'the number of events stored');
      assertIncreasing(positions, 'the positions of loadAfter(0, …)');
      assertEqual(await highestPosition(journal), positions.at(-1), 'highestPosition: the last position');
      for (const [i, position] of positions.entries()) {
        // After a position seen, and after any number between it and the next: the events that follow, in order.
        assertEqual(await journal.loadAfter(position, 10), all.slice(i + 1), `loadAfter(${position}, 10)`);
        assertEqual(await journal.loadAfter(position - 1, 1), [all[i]], `loadAfter(${position - 1}, 1)`);
        const previous = i === 0 ? 0 : positions[i - 1]!;
        const between = previous + Math.floor((position - previous) / 2);
        assertEqual(await journal.loadAfter(between, 2), all.slice(i, i + 2), `loadAfter(${between}, 2)`);
      }
      // Reading page by page from each page's last position reads everything once.
      const paged: number[] = [];
      for (let after = 0, page = await journal.loadAfter(0, 4); page.length > 0; page = await journal.loadAfter(after, 4)) {
        paged.push(...positionsOf(page));
        after = page.at(-1)!.position;
      }
      assertEqual(paged, positions, 'the positions read four at a time, each page after the last position of the one before');
    });

    it('gives no position to a write that failed, and keeps positions increasing after it', async () => {
      const journal = await open();
      const [first] = await persist(journal, 'a', numbered(1, 1));
      await assertRejects(persist(journal, 'a', numbered(1, 1)), { code: 'conflict' }, 'a second event 1');
      const [position] = await persist(journal, 'b', numbered(1, 1));
      assertThat(typeof position === 'number' && position > first!, 'the position of the next write', `above ${first}`, position);
      assertEqual((await journal.loadAfter(0, 10)).map((e) => e.streamId), ['a', 'b'], 'the streams of loadAfter(0, 10)');
      assertEqual(positionsOf(await journal.loadAfter(0, 10)), [first, position], 'the positions of loadAfter(0, 10)');
    });

    it('rejects a bad position or limit', async () => {
      const journal = await open();
      await assertRejects(journal.loadAfter(-1, 10), { code: 'invalid-argument', argument: 'afterPosition' }, 'loadAfter(-1, 10)');
      await assertRejects(journal.loadAfter(0, 0), { code: 'invalid-argument', argument: 'limit' }, 'loadAfter(0, 0)');
    });
  });

  describe('group commit (append)', () => {
    it('writes several streams at once, with snapshots, and reports each conflict in place', async () => {
      const journal = await open();
      const [b1, b2] = await persist(journal, 'b', numbered(1, 2));
      const outcomes = await journal.append([
        { streamId: 'a', events: numbered(1, 3), snapshot: { sequenceNr: 3, state: 'a3', timestamp: 1 } },
        { streamId: 'b', events: numbered(2, 1) },
        { streamId: 'c', events: numbered(1, 1) },
        { streamId: 'a', events: numbered(4, 1) },
      ]);
      const all = await everything(journal);
      assertEqual(
        all.map((e) => [e.streamId, e.sequenceNr]),
        [['b', 1], ['b', 2], ['a', 1], ['a', 2], ['a', 3], ['c', 1], ['a', 4]],
        'loadAfter(0, …) as [streamId, sequenceNr]: the earlier write first, then the writes of the call in their order',
      );
      const positions = positionsOf(all);
      assertIncreasing(positions, 'the positions of loadAfter(0, …)');
      assertEqual(positions.slice(0, 2), [b1, b2], "the positions of 'b''s events, as persist gave them");
      assertEqual(outcomes[0], { positions: positions.slice(2, 5) }, "the outcome of the write of 'a' 1–3");
      assertMatches(outcomes[1], { error: { code: 'conflict', entityId: 'b', expected: 1, actual: 2 } }, "the outcome of the write of 'b' 2");
      assertEqual(outcomes.slice(2), [{ positions: [positions[5]] }, { positions: [positions[6]] }], "the outcomes of the writes of 'c' 1 and 'a' 4");
      assertEqual(await journal.highestSequenceNr('a'), 4, "highestSequenceNr('a')");
      assertEqual(await journal.highestSequenceNr('b'), 2, "highestSequenceNr('b')");
      assertEqual(await journal.highestSequenceNr('c'), 1, "highestSequenceNr('c')");
      assertEqual(
        await journal.loadSnapshot('a'),
        { sequenceNr: 3, state: 'a3', timestamp: 1, checksum: fingerprintOf('a3') },
        "loadSnapshot('a')",
      );
    });

    it('stores nothing of a call with a malformed write or a snapshot beyond its stream', async () => {
      const journal = await open();
      await assertRejects(
        journal.append([
          { streamId: 'a', events: numbered(1, 1) },
          { streamId: 'b', events: [envelope(1, () => 1, 1)] },
        ]),
        { code: 'not-cloneable' },
        'a call with a function for an event',
      );
      await assertRejects(
        journal.append([
          { streamId: 'a', events: numbered(1, 1) },
          { streamId: 'b', events: numbered(1, 1), snapshot: { sequenceNr: 2, state: {}, timestamp: 1 } },
        ]),
        { code: 'invalid-snapshot' },
        'a call with a snapshot beyond its stream',
      );
      assertEqual(await journal.highestSequenceNr('a'), 0, "highestSequenceNr('a')");
      assertEqual(await journal.streamIds(), [], 'streamIds()');
    });

    it('lists the entities that have events, by prefix', async () => {
      const journal = await open();
      for (const id of ['account:b', 'account:a', 'counter:a', 'accounts']) await persist(journal, id, numbered(1, 1));
      assertEqual(await journal.streamIds(), ['account:a', 'account:b', 'accounts', 'counter:a'], 'streamIds()');
      assertEqual(await journal.streamIds('account:'), ['account:a', 'account:b'], "streamIds('account:')");
      assertEqual(await journal.streamIds('nothing:'), [], "streamIds('nothing:')");
    });

    it('lists ids that begin with or continue their prefix with U+FFFF', async () => {
      const journal = await open();
      const ids = ['\uffff', '\uffffa', 'a\uffff', 'a\uffff\uffffb', 'a', 'ab', 'b'];
      for (const id of ids) await persist(journal, id, numbered(1, 2));
      assertEqual(await journal.streamIds(), [...ids].sort(), 'streamIds()');
      assertEqual(await journal.streamIds('\uffff'), ['\uffff', '\uffffa'], "streamIds('\\uffff')");
      assertEqual(await journal.streamIds('a\uffff'), ['a\uffff', 'a\uffff\uffffb'], "streamIds('a\\uffff')");
      assertEqual(await journal.streamIds('a\uffff\uffff'), ['a\uffff\uffffb'], "streamIds('a\\uffff\\uffff')");
      assertEqual(await journal.streamIds('a'), ['a', 'ab', 'a\uffff', 'a\uffff\uffffb'], "streamIds('a')");
    });

    it('stores a stream id of the longest length, and refuses a longer one', async () => {
      const journal = await open();
      const longest = 'x'.repeat(MAX_STREAM_ID_LENGTH);
      await journal.append([{ streamId: longest, events: numbered(1, 1), snapshot: { sequenceNr: 1, state: 1, timestamp: 1 } }]);
      assertEqual(await journal.streamIds(), [longest], 'streamIds()');
      assertEqual((await journal.load(longest)).length, 1, 'the number of events of the longest stream id');
      assertEqual(await journal.listSnapshots(longest), [1], 'the snapshots of the longest stream id');
      await assertRejects(
        persist(journal, `${longest}x`, numbered(1, 1)),
        { code: 'invalid-argument', message: containing(`at most ${MAX_STREAM_ID_LENGTH} characters`) },
        'a stream id one character too long',
      );
    });

    it("keeps streams named after Object.prototype's members as any other, new and continued, alone and in one call", async () => {
      const journal = await open();
      const ids = ['__proto__', 'constructor', 'hasOwnProperty', 'toString'];
      const started = await journal.append(ids.map((streamId) => ({ streamId, events: numbered(1, 1), snapshot: { sequenceNr: 1, state: 1, timestamp: 1 } })));
      assertEqual(
        started.map((outcome) => ('positions' in outcome ? outcome.positions.length : outcome)),
        [1, 1, 1, 1],
        'the positions given to each stream started in one call',
      );
      for (const streamId of ids) await persist(journal, streamId, numbered(2, 1));
      for (const streamId of ids) {
        assertEqual(await journal.highestSequenceNr(streamId), 2, `highestSequenceNr(${JSON.stringify(streamId)})`);
        assertEqual((await journal.load(streamId)).map((e) => e.sequenceNr), [1, 2], `the sequence numbers of ${JSON.stringify(streamId)}`);
        assertEqual(await journal.listSnapshots(streamId), [1], `the snapshots of ${JSON.stringify(streamId)}`);
      }
      assertEqual(await journal.streamIds(), [...ids].sort(), 'streamIds()');
      assertEqual((await everything(journal)).map((e) => e.streamId), [...ids, ...ids], 'the streams of loadAfter(0)');
    });
  });

  describe('bad input', () => {
    it('rejects a non-cloneable event, names it, and stores none of the batch', async () => {
      const journal = await open();
      const batch = [envelope(1, { ok: true }, 1), envelope(2, { nested: { callback: () => 1 } }, 1)];
      await assertRejects(
        persist(journal, 'e1', batch),
        { code: 'not-cloneable', path: 'events[1].event.nested.callback', found: 'function' },
        'a batch with a function in its second event',
      );
      await assertRejects(
        persist(journal, 'e1', [envelope(1, { tag: Symbol('x') }, 1)]),
        { code: 'not-cloneable', path: 'events[0].event.tag', found: 'symbol' },
        'an event with a symbol',
      );
      class Money {
        constructor(readonly cents: number) {}
      }
      await assertRejects(
        persist(journal, 'e1', [envelope(1, [new Money(5)], 1)]),
        { code: 'not-cloneable', path: 'events[0].event[0]', found: 'Money' },
        'an event with a class instance',
      );
      assertEqual(await journal.highestSequenceNr('e1'), 0, "highestSequenceNr('e1')");
    });

    it('accepts the structured-cloneable built-ins', async () => {
      const journal = await open();
      const event = {
        at: new Date(5),
        tags: new Set(['a']),
        index: new Map([['k', { v: 1 }]]),
        bytes: new Uint8Array([1, 2]),
        big: 10n,
        nothing: null,
        missing: undefined,
      };
      await persist(journal, 'e1', [envelope(1, event, 1)]);
      assertEqual((await journal.load('e1'))[0]!.event, event, 'the event loaded');
    });

    it('gives back every value exactly, an undefined property included', async () => {
      const journal = await open();
      const event = { missing: undefined, list: [undefined, 1], nested: { missing: undefined }, index: new Map([['k', undefined]]) };
      await persist(journal, 'e1', [envelope(1, event, 1)]);
      const [loaded] = await journal.load('e1');
      assertSame(loaded!.event, event, 'the event loaded (by deepEqual: an undefined property is not a missing one)');
      assertSame((await journal.loadAfter(0, 1))[0]!.event, event, 'the event read by loadAfter');
    });

    for (const [what, streamId] of [
      ['an empty stream id', ''],
      ['a non-string stream id', 42],
      ['a stream id that is too long', 'x'.repeat(MAX_STREAM_ID_LENGTH + 1)],
    ] as const) {
      it(`rejects ${what}`, async () => {
        const journal = await open();
        const id = streamId as string;
        await assertRejects(persist(journal, id, numbered(1, 1)), { code: 'invalid-argument', argument: 'streamId' }, `persist to ${what}`);
        await assertRejects(journal.load(id), { code: 'invalid-argument' }, `load of ${what}`);
        await assertRejects(journal.highestSequenceNr(id), { code: 'invalid-argument' }, `highestSequenceNr of ${what}`);
      });
    }

    for (const [what, sequenceNr] of [
      ['zero', 0],
      ['negative', -1],
      ['fractional', 1.5],
      ['NaN', Number.NaN],
      ['infinite', Number.POSITIVE_INFINITY],
      ['a string', '1'],
    ] as const) {
      it(`rejects a sequence number that is ${what}`, async () => {
        const journal = await open();
        const batch = [envelope(sequenceNr as number, {}, 1)];
        await assertRejects(persist(journal, 'e1', batch), { code: 'invalid-argument' }, `an event numbered ${String(sequenceNr)}`);
        await assertRejects(
          journal.load('e1', sequenceNr as number),
          { code: 'invalid-argument', argument: 'fromSequenceNr' },
          `load('e1', ${String(sequenceNr)})`,
        );
        assertEqual(await journal.highestSequenceNr('e1'), 0, "highestSequenceNr('e1')");
      });
    }

    for (const [what, change, argument] of [
      ['no event id', { eventId: undefined }, 'events[0].eventId'],
      ['an empty type', { type: '' }, 'events[0].type'],
      ['a schema version of 0', { schemaVersion: 0 }, 'events[0].schemaVersion'],
      ['metadata that is not an object', { metadata: 'flow' }, 'events'],
    ] as const) {
      it(`rejects an envelope with ${what}`, async () => {
        const journal = await open();
        const event = { ...envelope(1, {}), ...change } as never;
        await assertRejects(persist(journal, 'e1', [event]), { code: 'invalid-argument', argument }, `an envelope with ${what}`);
        assertEqual(await journal.highestSequenceNr('e1'), 0, "highestSequenceNr('e1')");
      });
    }

    it('rejects metadata that cannot be stored, naming the value', async () => {
      const journal = await open();
      const event = { ...envelope(1, {}), metadata: { user: { greet: () => 'hi' } } };
      await assertRejects(
        persist(journal, 'e1', [event]),
        { code: 'not-cloneable', path: 'events[0].metadata.user.greet' },
        'metadata with a function',
      );
    });

    it('rejects events that are not PersistedEvents', async () => {
      const journal = await open();
      await assertRejects(persist(journal, 'e1', [null as never]), { code: 'invalid-argument' }, 'a null event');
      await assertRejects(persist(journal, 'e1', 'events' as never), { code: 'invalid-argument' }, 'a string for the events');
      await assertRejects(
        persist(journal, 'e1', [envelope(1, {}, Number.NaN)]),
        { code: 'invalid-argument', argument: 'events[0].timestamp' },
        'an event with a NaN timestamp',
      );
    });
  });

  describe('long streams', () => {
    it('reads any range of a long stream whole, once and in order, whatever its bounds', async () => {
      const journal = await open();
      await persist(journal, 'ranged', numbered(1, 1_000));
      await persist(journal, 'ranged-next', numbered(1, 3));
      const sequenceNrs = async (from: number, to?: number) => (await journal.load('ranged', from, to)).map((e) => e.sequenceNr);
      const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
      for (const [from, to] of [[1, 1_000], [7, 999], [128, 384], [255, 257], [1, 129], [900, 1_000]] as const) {
        assertEqual(await sequenceNrs(from, to), span(from, to), `the sequence numbers of load('ranged', ${from}, ${to})`);
      }
      assertEqual(await sequenceNrs(601, 10_000), span(601, 1_000), "load('ranged', 601, 10000), a bound beyond the head");
      assertEqual(await sequenceNrs(2, Number.MAX_SAFE_INTEGER), span(2, 1_000), "load('ranged', 2, MAX_SAFE_INTEGER)");
      assertEqual(await sequenceNrs(1_001, 1_000_000), [], "load('ranged', 1001, 1000000), a range past the head");
    });

    it(
      'reads a stream of 100,000 events in bounded pages',
      async () => {
        const journal = await open();
        const total = 100_000;
        for (let from = 1; from <= total; from += 10_000) await persist(journal, 'long', numbered(from, 10_000));
        assertEqual(await journal.highestSequenceNr('long'), total, "highestSequenceNr('long')");

        let pages = 0;
        let expected = 1;
        for await (const page of readPages(journal, 'long', { pageSize: 2_500 })) {
          pages++;
          assertThat(page.length <= 2_500, 'the length of a page', 'at most 2500', page.length);
          for (const event of page) {
            if (event.sequenceNr !== expected) assertEqual(event.sequenceNr, expected, 'the sequence number of the next event read');
            expected++;
          }
        }
        assertEqual(pages, 40, 'the number of pages read');
        assertEqual(expected - 1, total, 'the number of events read');
      },
      60_000,
    );
  });
}
