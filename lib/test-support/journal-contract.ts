import {
  type EventJournal,
  fingerprintOf,
  highestPosition,
  MAX_STREAM_ID_LENGTH,
  persist,
  readPages,
  saveSnapshot,
} from 'eventfold';
import { afterEach, describe, expect, it } from 'vitest';
import { envelope, numbered, unpositioned } from './events.ts';
import { describeReadModelContract } from './journal-read-model-contract.ts';

/** How the contract suite gets journals of one implementation. */
export interface JournalFactory {
  /** A fresh, empty journal. */
  open(options?: { snapshotsKept?: number }): Promise<EventJournal>;
  /** A new journal over the same storage as `journal`, after closing it; omitted for non-durable journals. */
  reopen?(journal: EventJournal): Promise<EventJournal>;
  /** Releases what `open` created (databases). */
  cleanup?(): Promise<void>;
}

/** The behaviour every `EventJournal` must have, run against one implementation. */
export function describeJournalContract(name: string, factory: JournalFactory): void {
  describe(`${name} (EventJournal contract)`, () => {
    const opened: EventJournal[] = [];
    const open = async (options?: { snapshotsKept?: number }) => {
      const journal = await factory.open(options);
      opened.push(journal);
      return journal;
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((journal) => journal.close()));
      await factory.cleanup?.();
    });

    describe('persist and load', () => {
      it('loads what was persisted, in ascending order, with every field', async () => {
        const journal = await open();
        const events = numbered(1, 3);
        await persist(journal, 'e1', events);
        expect(unpositioned(await journal.load('e1'))).toEqual(events);
        expect(await journal.highestSequenceNr('e1')).toBe(3);
      });

      it('loads from a sequence number, inclusive', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 5));
        expect((await journal.load('e1', 3)).map((e) => e.sequenceNr)).toEqual([3, 4, 5]);
      });

      it('loads up to a sequence number, inclusive, and nothing for an empty range', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 5));
        expect((await journal.load('e1', 2, 4)).map((e) => e.sequenceNr)).toEqual([2, 3, 4]);
        expect(await journal.load('e1', 4, 3)).toEqual([]);
        expect(await journal.load('e1', 6)).toEqual([]);
      });

      it('gives an unknown entity an empty stream at sequence number 0', async () => {
        const journal = await open();
        expect(await journal.load('nobody')).toEqual([]);
        expect(await journal.highestSequenceNr('nobody')).toBe(0);
      });

      it('accumulates appends across calls', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 2));
        await persist(journal, 'e1', numbered(3, 1));
        await persist(journal, 'e1', numbered(4, 2));
        expect((await journal.load('e1')).map((e) => e.sequenceNr)).toEqual([1, 2, 3, 4, 5]);
        expect(await journal.highestSequenceNr('e1')).toBe(5);
      });

      it('keeps the streams of different entities apart', async () => {
        const journal = await open();
        await persist(journal, 'a', numbered(1, 2));
        await persist(journal, 'b', numbered(1, 3));
        await persist(journal, 'a:b', numbered(1, 1));
        expect(await journal.highestSequenceNr('a')).toBe(2);
        expect(await journal.highestSequenceNr('b')).toBe(3);
        expect(await journal.load('a:b')).toHaveLength(1);
      });

      it('treats an empty batch as nothing to do', async () => {
        const journal = await open();
        await persist(journal, 'e1', []);
        expect(await journal.highestSequenceNr('e1')).toBe(0);
      });

      it('hands out copies: changing a loaded event changes nothing stored', async () => {
        const journal = await open();
        const events = numbered(1, 1);
        await persist(journal, 'e1', events);
        (events[0]!.event as { n: number }).n = 99;
        const [loaded] = await journal.load('e1');
        (loaded!.event as { n: number }).n = 42;
        expect((await journal.load('e1'))[0]!.event).toEqual({ n: 1 });
      });
    });

    describe('sequence numbers', () => {
      it('rejects a duplicate sequence number with a conflict and keeps the stream', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 2));
        await expect(persist(journal, 'e1', numbered(2, 1))).rejects.toMatchObject({
          code: 'conflict',
          entityId: 'e1',
          expected: 1,
          actual: 2,
        });
        expect(unpositioned(await journal.load('e1'))).toEqual(numbered(1, 2));
      });

      it('rejects a gap with a conflict', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 1));
        await expect(persist(journal, 'e1', numbered(3, 1))).rejects.toMatchObject({
          code: 'conflict',
          expected: 2,
          actual: 1,
        });
        expect(await journal.highestSequenceNr('e1')).toBe(1);
      });

      it('rejects a first event that does not start at 1', async () => {
        const journal = await open();
        await expect(persist(journal, 'e1', numbered(2, 1))).rejects.toMatchObject({ code: 'conflict', actual: 0 });
      });

      it('rejects a batch that is not contiguous, storing none of it', async () => {
        const journal = await open();
        const batch = [...numbered(1, 2), ...numbered(4, 1)];
        await expect(persist(journal, 'e1', batch)).rejects.toMatchObject({ code: 'conflict' });
        const duplicated = [...numbered(1, 2), ...numbered(2, 1)];
        await expect(persist(journal, 'e1', duplicated)).rejects.toMatchObject({ code: 'conflict' });
        expect(await journal.load('e1')).toEqual([]);
      });

      it('lets exactly one of two racing writers append the same sequence number', async () => {
        const journal = await open();
        const outcomes = await Promise.allSettled([
          persist(journal, 'e1', [envelope(1, { writer: 'a' }, 1)]),
          persist(journal, 'e1', [envelope(1, { writer: 'b' }, 1)]),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const failed = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(failed.reason).toMatchObject({ code: 'conflict', expected: 0, actual: 1 });
        expect(await journal.load('e1')).toHaveLength(1);
      });
    });

    describe('global positions', () => {
      it('numbers events across entities in the order they were stored, and loads them in that order', async () => {
        const journal = await open();
        expect(await highestPosition(journal)).toBe(0);
        expect(await persist(journal, 'a', numbered(1, 2))).toEqual([1, 2]);
        expect(await persist(journal, 'b', numbered(1, 1))).toEqual([3]);
        expect(await persist(journal, 'a', numbered(3, 1))).toEqual([4]);
        expect((await journal.load('a')).map((e) => e.position)).toEqual([1, 2, 4]);
        expect(await highestPosition(journal)).toBe(4);

        const all = await journal.loadAfter(0, 10);
        expect(all.map((e) => [e.streamId, e.sequenceNr, e.position])).toEqual([
          ['a', 1, 1],
          ['a', 2, 2],
          ['b', 1, 3],
          ['a', 3, 4],
        ]);
        expect(all[2]).toEqual({ ...envelope(1, { n: 1 }), position: 3, streamId: 'b' });
        expect((await journal.loadAfter(2, 1)).map((e) => e.position)).toEqual([3]);
        expect(await journal.loadAfter(4, 10)).toEqual([]);
      });

      it('gives no position to a write that failed, and keeps positions increasing after it', async () => {
        const journal = await open();
        await persist(journal, 'a', numbered(1, 1));
        await expect(persist(journal, 'a', numbered(1, 1))).rejects.toMatchObject({ code: 'conflict' });
        const [position] = await persist(journal, 'b', numbered(1, 1));
        expect(position).toBeGreaterThan(1);
        expect((await journal.loadAfter(0, 10)).map((e) => e.streamId)).toEqual(['a', 'b']);
      });

      it('rejects a bad position or limit', async () => {
        const journal = await open();
        await expect(journal.loadAfter(-1, 10)).rejects.toMatchObject({ code: 'invalid-argument', argument: 'afterPosition' });
        await expect(journal.loadAfter(0, 0)).rejects.toMatchObject({ code: 'invalid-argument', argument: 'limit' });
      });
    });

    describe('idempotency records', () => {
      const record = (key: string, from: number, to: number) => ({
        key,
        fingerprint: `print-${key}`,
        commandId: `command-${key}`,
        fromSequenceNr: from,
        toSequenceNr: to,
        timestamp: 5,
      });

      it('stores a record with its events, and finds it by entity and key', async () => {
        const journal = await open();
        const outcomes = await journal.append([
          { streamId: 'a', events: numbered(1, 2), idempotency: [record('k1', 1, 2)] },
        ]);
        expect(outcomes).toEqual([{ positions: [1, 2] }]);
        expect(await journal.findIdempotencyRecord('a', 'k1')).toEqual(record('k1', 1, 2));
        expect(await journal.findIdempotencyRecord('a', 'k2')).toBeUndefined();
        expect(await journal.findIdempotencyRecord('b', 'k1')).toBeUndefined();
      });

      it('stores a record without events, for a command that recorded none', async () => {
        const journal = await open();
        expect(await journal.append([{ streamId: 'a', events: [], idempotency: [record('k1', 1, 0)] }])).toEqual([
          { positions: [] },
        ]);
        expect(await journal.findIdempotencyRecord('a', 'k1')).toEqual(record('k1', 1, 0));
      });

      it('refuses a write that reuses a key, storing none of its events, and keeps the other writes', async () => {
        const journal = await open();
        await journal.append([{ streamId: 'a', events: numbered(1, 1), idempotency: [record('k1', 1, 1)] }]);
        const outcomes = await journal.append([
          { streamId: 'a', events: numbered(2, 1), idempotency: [record('k1', 2, 2)] },
          { streamId: 'b', events: numbered(1, 1), idempotency: [record('k1', 1, 1)] },
          { streamId: 'b', events: numbered(2, 1), idempotency: [record('k1', 2, 2)] },
        ]);
        expect(outcomes[0]).toMatchObject({ error: { code: 'conflict', entityId: 'a', message: expect.stringContaining('"k1"') } });
        expect(outcomes[1]).toHaveProperty('positions');
        expect(outcomes[2]).toMatchObject({ error: { code: 'conflict', entityId: 'b' } });
        expect(await journal.highestSequenceNr('a')).toBe(1);
        expect(await journal.highestSequenceNr('b')).toBe(1);
        expect(await journal.findIdempotencyRecord('a', 'k1')).toEqual(record('k1', 1, 1));
      });

      it('rejects a malformed record or key, storing nothing', async () => {
        const journal = await open();
        await expect(
          journal.append([{ streamId: 'a', events: numbered(1, 1), idempotency: [{ ...record('k', 1, 1), key: '' }] }]),
        ).rejects.toMatchObject({ code: 'invalid-argument', argument: 'idempotency[0].key' });
        await expect(journal.findIdempotencyRecord('a', '')).rejects.toMatchObject({ code: 'invalid-argument' });
        expect(await journal.highestSequenceNr('a')).toBe(0);
      });
    });

    describeReadModelContract(open);

    describe('group commit (append)', () => {
      it('writes several streams at once, with snapshots, and reports each conflict in place', async () => {
        const journal = await open();
        await persist(journal, 'b', numbered(1, 2));
        const outcomes = await journal.append([
          { streamId: 'a', events: numbered(1, 3), snapshot: { sequenceNr: 3, state: 'a3', timestamp: 1 } },
          { streamId: 'b', events: numbered(2, 1) },
          { streamId: 'c', events: numbered(1, 1) },
          { streamId: 'a', events: numbered(4, 1) },
        ]);
        expect(outcomes[0]).toEqual({ positions: [3, 4, 5] });
        expect(outcomes[1]).toMatchObject({ error: { code: 'conflict', entityId: 'b', expected: 1, actual: 2 } });
        expect(outcomes.slice(2)).toEqual([{ positions: [6] }, { positions: [7] }]);
        expect(await journal.highestSequenceNr('a')).toBe(4);
        expect(await journal.highestSequenceNr('b')).toBe(2);
        expect(await journal.highestSequenceNr('c')).toBe(1);
        expect(await journal.loadSnapshot('a')).toEqual({ sequenceNr: 3, state: 'a3', timestamp: 1, checksum: fingerprintOf('a3') });
      });

      it('stores nothing of a call with a malformed write or a snapshot beyond its stream', async () => {
        const journal = await open();
        await expect(
          journal.append([
            { streamId: 'a', events: numbered(1, 1) },
            { streamId: 'b', events: [envelope(1, () => 1, 1)] },
          ]),
        ).rejects.toMatchObject({ code: 'not-cloneable' });
        await expect(
          journal.append([
            { streamId: 'a', events: numbered(1, 1) },
            { streamId: 'b', events: numbered(1, 1), snapshot: { sequenceNr: 2, state: {}, timestamp: 1 } },
          ]),
        ).rejects.toMatchObject({ code: 'invalid-snapshot' });
        expect(await journal.highestSequenceNr('a')).toBe(0);
        expect(await journal.streamIds()).toEqual([]);
      });

      it('lists the entities that have events, by prefix', async () => {
        const journal = await open();
        for (const id of ['account:b', 'account:a', 'counter:a', 'accounts']) await persist(journal, id, numbered(1, 1));
        expect(await journal.streamIds()).toEqual(['account:a', 'account:b', 'accounts', 'counter:a']);
        expect(await journal.streamIds('account:')).toEqual(['account:a', 'account:b']);
        expect(await journal.streamIds('nothing:')).toEqual([]);
      });

      it('lists ids that begin with or continue their prefix with U+FFFF', async () => {
        const journal = await open();
        const ids = ['\uffff', '\uffffa', 'a\uffff', 'a\uffff\uffffb', 'a', 'ab', 'b'];
        for (const id of ids) await persist(journal, id, numbered(1, 2));
        expect(await journal.streamIds()).toEqual([...ids].sort());
        expect(await journal.streamIds('\uffff')).toEqual(['\uffff', '\uffffa']);
        expect(await journal.streamIds('a\uffff')).toEqual(['a\uffff', 'a\uffff\uffffb']);
        expect(await journal.streamIds('a\uffff\uffff')).toEqual(['a\uffff\uffffb']);
        expect(await journal.streamIds('a')).toEqual(['a', 'ab', 'a\uffff', 'a\uffff\uffffb']);
      });

      it('stores a stream id of the longest length, and refuses a longer one', async () => {
        const journal = await open();
        const longest = 'x'.repeat(MAX_STREAM_ID_LENGTH);
        await journal.append([{ streamId: longest, events: numbered(1, 1), snapshot: { sequenceNr: 1, state: 1, timestamp: 1 } }]);
        expect(await journal.streamIds()).toEqual([longest]);
        expect(await journal.load(longest)).toHaveLength(1);
        expect(await journal.listSnapshots(longest)).toEqual([1]);
        await expect(persist(journal, `${longest}x`, numbered(1, 1))).rejects.toMatchObject({
          code: 'invalid-argument',
          message: expect.stringContaining(`at most ${MAX_STREAM_ID_LENGTH} characters`),
        });
      });
    });

    describe('bad input', () => {
      it('rejects a non-cloneable event, names it, and stores none of the batch', async () => {
        const journal = await open();
        const batch = [
          envelope(1, { ok: true }, 1),
          envelope(2, { nested: { callback: () => 1 } }, 1),
        ];
        await expect(persist(journal, 'e1', batch)).rejects.toMatchObject({
          code: 'not-cloneable',
          path: 'events[1].event.nested.callback',
          found: 'function',
        });
        await expect(
          persist(journal, 'e1', [envelope(1, { tag: Symbol('x') }, 1)]),
        ).rejects.toMatchObject({ code: 'not-cloneable', path: 'events[0].event.tag', found: 'symbol' });
        class Money {
          constructor(readonly cents: number) {}
        }
        await expect(
          persist(journal, 'e1', [envelope(1, [new Money(5)], 1)]),
        ).rejects.toMatchObject({ code: 'not-cloneable', path: 'events[0].event[0]', found: 'Money' });
        expect(await journal.highestSequenceNr('e1')).toBe(0);
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
        expect((await journal.load('e1'))[0]!.event).toEqual(event);
      });

      it.each([
        ['an empty stream id', ''],
        ['a non-string stream id', 42],
        ['a stream id that is too long', 'x'.repeat(MAX_STREAM_ID_LENGTH + 1)],
      ])('rejects %s', async (_, entityId) => {
        const journal = await open();
        const id = entityId as string;
        await expect(persist(journal, id, numbered(1, 1))).rejects.toMatchObject({ code: 'invalid-argument', argument: 'streamId' });
        await expect(journal.load(id)).rejects.toMatchObject({ code: 'invalid-argument' });
        await expect(journal.highestSequenceNr(id)).rejects.toMatchObject({ code: 'invalid-argument' });
        await expect(journal.loadSnapshot(id)).rejects.toMatchObject({ code: 'invalid-argument' });
      });

      it.each([
        ['zero', 0],
        ['negative', -1],
        ['fractional', 1.5],
        ['NaN', Number.NaN],
        ['infinite', Number.POSITIVE_INFINITY],
        ['a string', '1'],
      ])('rejects a sequence number that is %s', async (_, sequenceNr) => {
        const journal = await open();
        const batch = [envelope(sequenceNr as number, {}, 1)];
        await expect(persist(journal, 'e1', batch)).rejects.toMatchObject({ code: 'invalid-argument' });
        await expect(journal.load('e1', sequenceNr as number)).rejects.toMatchObject({
          code: 'invalid-argument',
          argument: 'fromSequenceNr',
        });
        expect(await journal.highestSequenceNr('e1')).toBe(0);
      });

      it.each([
        ['no event id', { eventId: undefined }, 'events[0].eventId'],
        ['an empty type', { type: '' }, 'events[0].type'],
        ['a schema version of 0', { schemaVersion: 0 }, 'events[0].schemaVersion'],
        ['metadata that is not an object', { metadata: 'flow' }, 'events'],
      ])('rejects an envelope with %s', async (_, change, argument) => {
        const journal = await open();
        const event = { ...envelope(1, {}), ...change } as never;
        await expect(persist(journal, 'e1', [event])).rejects.toMatchObject({ code: 'invalid-argument', argument });
        expect(await journal.highestSequenceNr('e1')).toBe(0);
      });

      it('rejects metadata that cannot be stored, naming the value', async () => {
        const journal = await open();
        const event = { ...envelope(1, {}), metadata: { user: { greet: () => 'hi' } } };
        await expect(persist(journal, 'e1', [event])).rejects.toMatchObject({
          code: 'not-cloneable',
          path: 'events[0].metadata.user.greet',
        });
      });

      it('rejects events that are not PersistedEvents', async () => {
        const journal = await open();
        await expect(persist(journal, 'e1', [null as never])).rejects.toMatchObject({ code: 'invalid-argument' });
        await expect(persist(journal, 'e1', 'events' as never)).rejects.toMatchObject({ code: 'invalid-argument' });
        await expect(
          persist(journal, 'e1', [envelope(1, {}, Number.NaN)]),
        ).rejects.toMatchObject({ code: 'invalid-argument', argument: 'events[0].timestamp' });
      });
    });

    describe('snapshots', () => {
      it('round-trips a snapshot', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 5));
        const snapshot = { sequenceNr: 5, state: { total: 15, names: ['a'] }, timestamp: 7, schemaVersion: 3 };
        await saveSnapshot(journal, 'e1', snapshot);
        // Stamped with the checksum of its state, whatever checksum it came with.
        expect(await journal.loadSnapshot('e1')).toEqual({ ...snapshot, checksum: fingerprintOf(snapshot.state) });
        await saveSnapshot(journal, 'e1', { ...snapshot, sequenceNr: 4, checksum: 'forged' });
        expect((await journal.loadSnapshot('e1', 4))?.checksum).toBe(fingerprintOf(snapshot.state));
      });

      it('gives undefined when there is no snapshot', async () => {
        const journal = await open();
        expect(await journal.loadSnapshot('e1')).toBeUndefined();
        expect(await journal.listSnapshots('e1')).toEqual([]);
      });

      it('returns the newest snapshot, which an older one never replaces', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 10));
        await saveSnapshot(journal, 'e1', { sequenceNr: 4, state: 'four', timestamp: 1 });
        await saveSnapshot(journal, 'e1', { sequenceNr: 8, state: 'eight', timestamp: 2 });
        await saveSnapshot(journal, 'e1', { sequenceNr: 6, state: 'six', timestamp: 3 });
        expect(await journal.loadSnapshot('e1')).toMatchObject({ sequenceNr: 8, state: 'eight' });
      });

      it('returns the newest snapshot at or below a bound', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 10));
        for (const sequenceNr of [3, 6, 9]) await saveSnapshot(journal, 'e1', { sequenceNr, state: sequenceNr, timestamp: 1 });
        expect((await journal.loadSnapshot('e1', 8))?.sequenceNr).toBe(6);
        expect((await journal.loadSnapshot('e1', 6))?.sequenceNr).toBe(6);
        expect((await journal.loadSnapshot('e1', 2))?.sequenceNr).toBeUndefined();
        expect((await journal.loadSnapshot('e1', 0))?.sequenceNr).toBeUndefined();
      });

      it('keeps a bounded number of the newest snapshots', async () => {
        const journal = await open({ snapshotsKept: 3 });
        await persist(journal, 'e1', numbered(1, 10));
        for (let sequenceNr = 1; sequenceNr <= 10; sequenceNr++) {
          await saveSnapshot(journal, 'e1', { sequenceNr, state: sequenceNr, timestamp: 1 });
        }
        expect((await journal.loadSnapshot('e1'))?.sequenceNr).toBe(10);
        expect((await journal.loadSnapshot('e1', 8))?.sequenceNr).toBe(8);
        expect(await journal.loadSnapshot('e1', 7)).toBeUndefined();
        expect(await journal.listSnapshots('e1')).toEqual([8, 9, 10]);
        expect(await journal.listSnapshots('nobody')).toEqual([]);
      });

      it('refuses a snapshot beyond the stream or with a bad sequence number', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 2));
        await expect(saveSnapshot(journal, 'e1', { sequenceNr: 3, state: {}, timestamp: 1 })).rejects.toMatchObject({
          code: 'invalid-snapshot',
          sequenceNr: 3,
          highestSequenceNr: 2,
        });
        await expect(saveSnapshot(journal, 'e1', { sequenceNr: 0, state: {}, timestamp: 1 })).rejects.toMatchObject({
          code: 'invalid-argument',
        });
        expect(await journal.loadSnapshot('e1')).toBeUndefined();
      });

      it('refuses a snapshot whose state cannot be stored, naming the value', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 1));
        const snapshot = { sequenceNr: 1, state: { items: [1, () => 2] }, timestamp: 1 };
        await expect(saveSnapshot(journal, 'e1', snapshot)).rejects.toMatchObject({
          code: 'not-cloneable',
          path: 'snapshot.state.items[1]',
        });
        expect(await journal.loadSnapshot('e1')).toBeUndefined();
      });
    });

    describe('long streams', () => {
      it('reads a stream of 100,000 events in bounded pages', async () => {
        const journal = await open();
        const total = 100_000;
        for (let from = 1; from <= total; from += 10_000) await persist(journal, 'long', numbered(from, 10_000));
        expect(await journal.highestSequenceNr('long')).toBe(total);

        let pages = 0;
        let expected = 1;
        for await (const page of readPages(journal, 'long', { pageSize: 2_500 })) {
          pages++;
          expect(page.length).toBeLessThanOrEqual(2_500);
          for (const event of page) {
            if (event.sequenceNr !== expected) expect(event.sequenceNr).toBe(expected);
            expected++;
          }
        }
        expect(pages).toBe(40);
        expect(expected - 1).toBe(total);
      }, 60_000);
    });

    describe('lifecycle', () => {
      it('rejects every call after close with a closed error', async () => {
        const journal = await open();
        await journal.close();
        for (const call of [
          () => persist(journal, 'e1', numbered(1, 1)),
          () => journal.load('e1'),
          () => journal.highestSequenceNr('e1'),
          () => journal.loadSnapshot('e1'),
          () => journal.listSnapshots('e1'),
          () => journal.streamIds(),
          () => journal.loadAfter(0, 1),
          () => highestPosition(journal),
          () => journal.findIdempotencyRecord('e1', 'k'),
          () => journal.append([{ streamId: 'e1', events: numbered(1, 1) }]),
          () => saveSnapshot(journal, 'e1', { sequenceNr: 1, state: {}, timestamp: 1 }),
        ]) {
          await expect(call()).rejects.toMatchObject({ code: 'closed' });
        }
      });

      // Only durable journals can be reopened; the in-memory one has nothing to keep.
      const { reopen } = factory;
      if (reopen) it('keeps events and snapshots across closing and reopening', async () => {
        const journal = await open();
        await persist(journal, 'e1', numbered(1, 3));
        await saveSnapshot(journal, 'e1', { sequenceNr: 2, state: { total: 3 }, timestamp: 1 });
        const reopened = await reopen(journal);
        opened.push(reopened);
        expect(unpositioned(await reopened.load('e1'))).toEqual(numbered(1, 3));
        expect(await reopened.highestSequenceNr('e1')).toBe(3);
        expect(await reopened.loadSnapshot('e1')).toMatchObject({ sequenceNr: 2, state: { total: 3 }, timestamp: 1 });
        await persist(reopened, 'e1', numbered(4, 1));
        expect(await reopened.highestSequenceNr('e1')).toBe(4);
        expect((await reopened.load('e1')).map((e) => e.position)).toEqual([1, 2, 3, 4]);
      });
    });
  });
}
