import { createRuntime, type EventJournal, streamIdOf } from 'eventfold';
import { describe, expect, it } from 'vitest';
import { counter } from './counter.ts';
import { FaultyJournal } from './faulty-journal.ts';

/** How a runtime sub-suite gets journals; they are closed and cleaned up by the suite that calls it. */
export interface SuiteJournals {
  open(): Promise<EventJournal>;
  openSecond(journal: EventJournal): Promise<EventJournal>;
}

const stream = (id: string) => streamIdOf('counter', id);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Event envelopes and idempotent commands, over one journal implementation. */
export function describeEnvelopesAndIdempotency({ open, openSecond }: SuiteJournals): void {
  const runtimeOver = (journal: EventJournal) => createRuntime({ journal, entities: { counter: counter() } });

  describe('event envelopes', () => {
    it('fills each envelope: event id, type, schema version, position, causation and correlation', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const first = await runtime.send('counter', 'c1', { type: 'add', amount: 1 }, {
        commandId: 'command-1',
        correlationId: 'checkout-7',
        metadata: { user: 'ada' },
      });
      expect(first.events).toEqual([
        expect.objectContaining({
          sequenceNr: 1,
          type: 'added',
          schemaVersion: 1,
          position: expect.any(Number),
          eventId: expect.stringMatching(UUID),
          metadata: { user: 'ada', correlationId: 'checkout-7', causationId: 'command-1' },
        }),
      ]);
      expect(await journal.load(stream('c1'))).toEqual(first.events);

      const second = await runtime.send('counter', 'c1', { type: 'add', amount: 2 });
      const { metadata, eventId, position } = second.events[0]!;
      expect(metadata.causationId).toMatch(UUID);
      expect(metadata.correlationId).toBe(metadata.causationId);
      expect(eventId).not.toBe(first.events[0]!.eventId);
      expect(position).toBeGreaterThan(first.events[0]!.position);
    });

    it('gives the events of concurrent commands to many entities positions in the order they were stored', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => runtime.send('counter', `c${i % 5}`, { type: 'add', amount: i })),
      );
      const positions = results.flatMap((result) => result.events.map((event) => event.position));
      expect(new Set(positions).size).toBe(30);
      const log = await journal.loadAfter(0, 100);
      expect(log.map((event) => event.position)).toEqual([...positions].sort((a, b) => a - b));
      // Per entity, positions follow sequence numbers.
      for (let i = 0; i < 5; i++) {
        const mine = log.filter((event) => event.streamId === stream(`c${i}`));
        expect(mine.map((event) => event.sequenceNr)).toEqual([1, 2, 3, 4, 5, 6]);
      }
    });

    it.each([
      ['an empty idempotency key', { idempotencyKey: '' }, 'invalid-argument'],
      ['a numeric command id', { commandId: 7 }, 'invalid-argument'],
      ['metadata that is an array', { metadata: ['a'] }, 'invalid-argument'],
      ['metadata holding a function', { metadata: { f: () => 1 } }, 'not-cloneable'],
      ['options that are not an object', 'fast', 'invalid-argument'],
    ])('refuses %s and stores nothing', async (_, options, code) => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 }, options as never)).rejects.toMatchObject({ code });
      expect(await journal.highestSequenceNr(stream('c1'))).toBe(0);
      expect(await runtime.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({ sequenceNr: 1 });
    });
  });

  describe('idempotent commands', () => {
    it('answers a retry with the original result and stores nothing new, even after other commands', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const original = await runtime.send('counter', 'c1', { type: 'add', amount: 5 }, { idempotencyKey: 'pay-1' });
      expect(await runtime.send('counter', 'c1', { type: 'add', amount: 5 }, { idempotencyKey: 'pay-1' })).toEqual(original);
      await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
      expect(await runtime.send('counter', 'c1', { amount: 5, type: 'add' }, { idempotencyKey: 'pay-1' })).toEqual(original);
      expect((await journal.load(stream('c1'))).map((event) => event.event)).toEqual([
        { type: 'added', amount: 5, total: 5 },
        { type: 'added', amount: 1, total: 6 },
      ]);
    });

    it('refuses the same key with a different command, storing nothing', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      await runtime.send('counter', 'c1', { type: 'add', amount: 5 }, { idempotencyKey: 'pay-1' });
      await expect(
        runtime.send('counter', 'c1', { type: 'add', amount: 6 }, { idempotencyKey: 'pay-1' }),
      ).rejects.toMatchObject({
        code: 'idempotency-key-reused',
        entityType: 'counter',
        entityId: 'c1',
        streamId: stream('c1'),
        key: 'pay-1',
      });
      expect(await journal.highestSequenceNr(stream('c1'))).toBe(1);
    });

    it('answers a retry sent while the original is still in flight with the same result', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const command = { type: 'add', amount: 3 } as const;
      const [a, b, c] = await Promise.all([
        runtime.send('counter', 'c1', command, { idempotencyKey: 'k' }),
        runtime.send('counter', 'c1', command, { idempotencyKey: 'k' }),
        runtime.send('counter', 'c1', { type: 'add', amount: 4 }, { idempotencyKey: 'k' }).catch((error: unknown) => error),
      ]);
      expect(b).toEqual(a);
      expect(c).toMatchObject({ code: 'idempotency-key-reused' });
      expect(await journal.highestSequenceNr(stream('c1'))).toBe(1);
    });

    it('finds the key from a new runtime, as after a worker crash, and from another tab racing on it', async () => {
      const journal = await open();
      const original = await runtimeOver(journal).send('counter', 'c1', { type: 'add', amount: 2 }, { idempotencyKey: 'k1' });
      const restarted = runtimeOver(await openSecond(journal));
      expect(await restarted.send('counter', 'c1', { type: 'add', amount: 2 }, { idempotencyKey: 'k1' })).toEqual(original);

      const tabs = [runtimeOver(journal), restarted];
      const raced = await Promise.all(tabs.map((tab) => tab.send('counter', 'c1', { type: 'add', amount: 9 }, { idempotencyKey: 'k2' })));
      expect(raced[1]).toEqual(raced[0]);
      expect((await journal.load(stream('c1'))).map((event) => event.event)).toEqual([
        { type: 'added', amount: 2, total: 2 },
        { type: 'added', amount: 9, total: 11 },
      ]);
    });

    it('scopes keys to their entity', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      await runtime.send('counter', 'c1', { type: 'add', amount: 1 }, { idempotencyKey: 'k' });
      expect(await runtime.send('counter', 'c2', { type: 'add', amount: 7 }, { idempotencyKey: 'k' })).toMatchObject({
        state: { value: 7 },
      });
    });

    it('remembers the key of a command that recorded nothing, and forgets a rejected one', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const nothing = await runtime.send('counter', 'c1', { type: 'noop' }, { idempotencyKey: 'n' });
      expect(nothing).toEqual({ state: { value: 0, added: [] }, sequenceNr: 0, events: [] });
      expect(await journal.findIdempotencyRecord(stream('c1'), 'n')).toMatchObject({ fromSequenceNr: 1, toSequenceNr: 0 });
      await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
      expect(await runtime.send('counter', 'c1', { type: 'noop' }, { idempotencyKey: 'n' })).toEqual(nothing);

      await expect(runtime.send('counter', 'c1', { type: 'take', amount: 5 }, { idempotencyKey: 't' })).rejects.toMatchObject({
        code: 'rejected',
      });
      await runtime.send('counter', 'c1', { type: 'add', amount: 9 });
      expect(await runtime.send('counter', 'c1', { type: 'take', amount: 5 }, { idempotencyKey: 't' })).toMatchObject({
        state: { value: 5 },
      });
    });

    it('stores a key and its events together: a failed write leaves neither, and the retry writes once', async () => {
      const journal = new FaultyJournal(await open());
      const runtime = runtimeOver(journal);
      journal.failNext('append', new Error('disk full'));
      await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 }, { idempotencyKey: 'k' })).rejects.toMatchObject({
        code: 'storage-failed',
      });
      expect(await journal.findIdempotencyRecord(stream('c1'), 'k')).toBeUndefined();
      expect(await journal.highestSequenceNr(stream('c1'))).toBe(0);
      const result = await runtime.send('counter', 'c1', { type: 'add', amount: 1 }, { idempotencyKey: 'k' });
      expect(await runtime.send('counter', 'c1', { type: 'add', amount: 1 }, { idempotencyKey: 'k' })).toEqual(result);
      expect(await journal.highestSequenceNr(stream('c1'))).toBe(1);
    });
  });
}
