import {
  createRuntime,
  type EventJournal,
  type PersistedEvent,
  type SnapshotPolicy,
  snapshotEvery,
  StorageError,
  streamIdOf,
} from 'eventfold';
import { afterEach, describe, expect, it } from 'vitest';
import { type CounterEvent, counter } from './counter.ts';
import { FaultyJournal } from './faulty-journal.ts';

/** How the runtime suite gets journals. */
export interface RuntimeJournalFactory {
  /** A fresh, empty journal. */
  open(): Promise<EventJournal>;
  /** A second handle on the storage of `journal`, as another tab would open it. */
  openSecond(journal: EventJournal): Promise<EventJournal>;
  cleanup?(): Promise<void>;
}

const stream = (id: string) => streamIdOf('counter', id);
const added = (amount: number, total: number, sequenceNr: number): PersistedEvent<CounterEvent> => ({
  sequenceNr,
  event: { type: 'added', amount, total },
  timestamp: 1_700_000_000_000,
});

/** The entity runtime's behaviour over one journal implementation. */
export function describeRuntimeSuite(name: string, factory: RuntimeJournalFactory): void {
  describe(`EntityRuntime over ${name}`, () => {
    const journals: EventJournal[] = [];
    const open = async () => {
      const journal = await factory.open();
      journals.push(journal);
      return journal;
    };
    const runtimeOver = (journal: EventJournal, policy?: SnapshotPolicy, maxConflictRetries?: number) =>
      createRuntime({
        journal,
        entities: { counter: counter(policy) },
        ...(maxConflictRetries !== undefined && { maxConflictRetries }),
      });

    afterEach(async () => {
      await Promise.all(journals.splice(0).map((journal) => journal.close()));
      await factory.cleanup?.();
    });

    describe('commands', () => {
      it('adds 10 then 5, reads 15, and the journal holds both events', async () => {
        const journal = await open();
        const runtime = runtimeOver(journal);
        const first = await runtime.send('counter', 'c1', { type: 'add', amount: 10 });
        expect(first).toMatchObject({ state: { value: 10 }, sequenceNr: 1 });
        expect(first.events).toMatchObject([{ sequenceNr: 1, event: { type: 'added', amount: 10, total: 10 } }]);
        const second = await runtime.send('counter', 'c1', { type: 'add', amount: 5 });
        expect(second).toMatchObject({ state: { value: 15, added: [10, 5] }, sequenceNr: 2 });
        expect(await runtime.state('counter', 'c1')).toEqual({ state: { value: 15, added: [10, 5] }, sequenceNr: 2 });
        const stored = await journal.load(stream('c1'));
        expect(stored.map((e) => e.event)).toEqual([
          { type: 'added', amount: 10, total: 10 },
          { type: 'added', amount: 5, total: 15 },
        ]);
      });

      it('resolves a command that decides nothing without writing', async () => {
        const journal = await open();
        const runtime = runtimeOver(journal);
        await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        const result = await runtime.send('counter', 'c1', { type: 'noop' });
        expect(result).toEqual({ state: { value: 1, added: [1] }, sequenceNr: 1, events: [] });
        expect(await journal.highestSequenceNr(stream('c1'))).toBe(1);
      });

      it('keeps entities apart, and does not make one wait for another', async () => {
        const journal = new FaultyJournal(await open());
        await journal.persist(stream('slow'), [added(1, 1, 1)]);
        const runtime = runtimeOver(journal);
        await runtime.send('counter', 'fast', { type: 'add', amount: 1 });
        // Hold every journal read: 'slow' must recover and waits; 'fast' is live and does not.
        let release!: () => void;
        journal.loadGate = new Promise((resolve) => (release = resolve));
        const slow = runtime.send('counter', 'slow', { type: 'add', amount: 2 });
        const fast = await runtime.send('counter', 'fast', { type: 'add', amount: 2 });
        expect(fast.state.value).toBe(3);
        release();
        expect((await slow).state.value).toBe(3);
      });

      it('stamps events with the clock it was given', async () => {
        const journal = await open();
        const runtime = createRuntime({ journal, entities: { counter: counter() }, clock: () => 1234 });
        const { events } = await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        expect(events[0]?.timestamp).toBe(1234);
      });
    });

    describe('recovery', () => {
      it('recovers 150 from stored events of 100 and 50', async () => {
        const journal = await open();
        await journal.persist(stream('c1'), [added(100, 100, 1), added(50, 150, 2)]);
        const runtime = runtimeOver(journal);
        expect(await runtime.state('counter', 'c1')).toEqual({ state: { value: 150, added: [100, 50] }, sequenceNr: 2 });
        const next = await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        expect(next).toMatchObject({ state: { value: 151 }, sequenceNr: 3 });
      });

      it('stores a snapshot of 3 at sequence number 3 after three increments with snapshotEvery(3)', async () => {
        const journal = await open();
        const runtime = runtimeOver(journal, snapshotEvery(3));
        for (let i = 0; i < 2; i++) await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        expect(await journal.loadSnapshot(stream('c1'))).toBeUndefined();
        await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        expect(await journal.loadSnapshot(stream('c1'))).toMatchObject({
          sequenceNr: 3,
          state: { value: 3, added: [1, 1, 1] },
        });
      });

      it('keeps the snapshot rhythm across restarts, counting by sequence number', async () => {
        const journal = await open();
        await runtimeOver(journal, snapshotEvery(3)).send('counter', 'c1', { type: 'add', amount: 1 });
        await runtimeOver(journal, snapshotEvery(3)).send('counter', 'c1', { type: 'add', amount: 1 });
        expect(await journal.loadSnapshot(stream('c1'))).toBeUndefined();
        await runtimeOver(journal, snapshotEvery(3)).send('counter', 'c1', { type: 'add', amount: 1 });
        expect((await journal.loadSnapshot(stream('c1')))?.sequenceNr).toBe(3);
      });

      it('recovers 37 from a snapshot of 30 at sequence number 3 plus event 4 adding 7', async () => {
        const journal = await open();
        await journal.persist(stream('c1'), [added(10, 10, 1), added(10, 20, 2), added(10, 30, 3), added(7, 37, 4)]);
        // The snapshot's state differs from the fold of events 1-3, which proves recovery started from it.
        await journal.saveSnapshot(stream('c1'), { sequenceNr: 3, state: { value: 30, added: ['snapshot'] }, timestamp: 1 });
        const runtime = runtimeOver(journal);
        expect(await runtime.state('counter', 'c1')).toEqual({ state: { value: 37, added: ['snapshot', 7] }, sequenceNr: 4 });
      });

      it('applies commands sent during recovery after it, in the order they were sent', async () => {
        const journal = await open();
        const history = Array.from({ length: 500 }, (_, i) => added(1, i + 1, i + 1));
        await journal.persist(stream('c1'), history);
        const runtime = runtimeOver(journal);
        // Sent in one tick, before the recovery that the first one starts can have finished.
        const results = await Promise.all([2, 3, 4].map((amount) => runtime.send('counter', 'c1', { type: 'add', amount })));
        expect(results.map((r) => r.sequenceNr)).toEqual([501, 502, 503]);
        expect(results.map((r) => r.state.value)).toEqual([502, 505, 509]);
        expect((await runtime.state('counter', 'c1')).state.added.slice(-3)).toEqual([2, 3, 4]);
      });

      it('recovers a long stream in pages', async () => {
        const journal = await open();
        const total = 2_500;
        await journal.persist(stream('c1'), Array.from({ length: total }, (_, i) => added(1, i + 1, i + 1)));
        const loads: Array<[number | undefined, number | undefined]> = [];
        const spy = new FaultyJournal(journal);
        const load = spy.load.bind(spy);
        spy.load = (id, from, to) => (loads.push([from, to]), load(id, from, to));
        const runtime = createRuntime({ journal: spy, entities: { counter: counter() }, pageSize: 1_000 });
        expect((await runtime.state('counter', 'c1')).sequenceNr).toBe(total);
        expect(loads).toEqual([
          [1, 1_000],
          [1_001, 2_000],
          [2_001, 3_000],
        ]);
      });
    });

    describe('failures leave the entity as it was, and usable', () => {
      async function withOneEvent() {
        const journal = new FaultyJournal(await open());
        const runtime = runtimeOver(journal);
        await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        const unchanged = async () => {
          expect(await runtime.state('counter', 'c1')).toEqual({ state: { value: 1, added: [1] }, sequenceNr: 1 });
          expect(await journal.highestSequenceNr(stream('c1'))).toBe(1);
          const next = await runtime.send('counter', 'c1', { type: 'add', amount: 2 });
          expect(next).toMatchObject({ state: { value: 3 }, sequenceNr: 2 });
        };
        return { journal, runtime, unchanged };
      }

      it('rejects a refused command with its reason', async () => {
        const { runtime, unchanged } = await withOneEvent();
        await expect(runtime.send('counter', 'c1', { type: 'add', amount: -1 })).rejects.toMatchObject({
          code: 'rejected',
          reason: 'cannot add a negative amount',
          entityId: stream('c1'),
        });
        await unchanged();
      });

      it('turns a decide that throws into a handler error', async () => {
        const { runtime, unchanged } = await withOneEvent();
        const error = await runtime.send('counter', 'c1', { type: 'throw-in-decide' }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'handler-failed', handler: 'decide', message: expect.stringMatching(/decide exploded/) });
        expect((error as Error).cause).toBeInstanceOf(Error);
        await unchanged();
      });

      it('turns an evolve that throws into a handler error and stores no poison event', async () => {
        const { runtime, unchanged } = await withOneEvent();
        await expect(runtime.send('counter', 'c1', { type: 'poison' })).rejects.toMatchObject({
          code: 'handler-failed',
          handler: 'evolve',
        });
        await unchanged();
      });

      it('refuses an event that cannot be stored, naming the value', async () => {
        const { runtime, unchanged } = await withOneEvent();
        await expect(runtime.send('counter', 'c1', { type: 'emit', payload: { onClick: () => {} } })).rejects.toMatchObject({
          code: 'not-cloneable',
          path: 'events[0].event.payload.onClick',
        });
        await unchanged();
      });

      it('reports a failed write as a storage error', async () => {
        const { journal, runtime, unchanged } = await withOneEvent();
        journal.failNext('persist', new DOMException('The disk is full', 'QuotaExceededError'));
        const error = await runtime.send('counter', 'c1', { type: 'add', amount: 5 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageError);
        expect(error).toMatchObject({ code: 'storage-failed', cause: { name: 'QuotaExceededError' } });
        await unchanged();
      });

      it('fails the commands waiting on a recovery that fails, then recovers on the next command', async () => {
        const journal = new FaultyJournal(await open());
        await journal.persist(stream('c1'), [added(1, 1, 1)]);
        const runtime = runtimeOver(journal);
        journal.failNext('load', new DOMException('connection lost', 'UnknownError'));
        await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({
          code: 'storage-failed',
        });
        expect(await runtime.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({
          state: { value: 2 },
          sequenceNr: 2,
        });
      });

      it('refuses a stored event that evolve cannot apply instead of building a wrong state', async () => {
        const journal = await open();
        await journal.persist(stream('c1'), [added(1, 1, 1), { sequenceNr: 2, event: { type: 'poison' }, timestamp: 1 }]);
        const runtime = runtimeOver(journal);
        await expect(runtime.state('counter', 'c1')).rejects.toMatchObject({ code: 'handler-failed', handler: 'evolve' });
        await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({
          code: 'handler-failed',
        });
        expect(await journal.highestSequenceNr(stream('c1'))).toBe(2);
      });

      it('succeeds a command whose snapshot cannot be stored, and reports the snapshot error', async () => {
        const journal = new FaultyJournal(await open());
        const reported: unknown[] = [];
        const runtime = createRuntime({
          journal,
          entities: { counter: counter(snapshotEvery(1)) },
          onSnapshotError: (error) => reported.push(error),
        });
        journal.failNext('saveSnapshot', new DOMException('The disk is full', 'QuotaExceededError'));
        expect(await runtime.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({ sequenceNr: 1 });
        expect(reported).toHaveLength(1);
        await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        expect((await journal.loadSnapshot(stream('c1')))?.sequenceNr).toBe(2);
      });

      it.each([
        ['an unknown entity type', 'ledger', 'c1', 'type'],
        ['an empty entity id', 'counter', '', 'entityId'],
        ['a non-string entity id', 'counter', 7, 'entityId'],
      ])('refuses %s with a typed error', async (_, type, id, argument) => {
        const runtime = runtimeOver(await open());
        await expect(runtime.send(type as 'counter', id as string, { type: 'add', amount: 1 })).rejects.toMatchObject({
          code: 'invalid-argument',
          argument,
        });
        expect(await runtime.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({ sequenceNr: 1 });
      });

      it('refuses calls after close, once the calls under way have finished', async () => {
        const runtime = runtimeOver(await open());
        const underWay = runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        await runtime.close();
        expect(await underWay).toMatchObject({ sequenceNr: 1 });
        await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({ code: 'closed' });
        await expect(runtime.state('counter', 'c1')).rejects.toMatchObject({ code: 'closed' });
      });
    });

    describe('optimistic concurrency', () => {
      it('honours each kind of expected version', async () => {
        const runtime = runtimeOver(await open());
        const add = { type: 'add', amount: 1 } as const;
        await expect(runtime.send('counter', 'c1', add, { expectedVersion: 'stream-exists' })).rejects.toMatchObject({
          code: 'conflict',
          expected: 'stream-exists',
          actual: 0,
        });
        expect(await runtime.send('counter', 'c1', add, { expectedVersion: 'no-stream' })).toMatchObject({ sequenceNr: 1 });
        await expect(runtime.send('counter', 'c1', add, { expectedVersion: 'no-stream' })).rejects.toMatchObject({
          code: 'conflict',
          expected: 'no-stream',
          actual: 1,
        });
        expect(await runtime.send('counter', 'c1', add, { expectedVersion: 1 })).toMatchObject({ sequenceNr: 2 });
        await expect(runtime.send('counter', 'c1', add, { expectedVersion: 1 })).rejects.toMatchObject({
          code: 'conflict',
          expected: 1,
          actual: 2,
        });
        expect(await runtime.send('counter', 'c1', add, { expectedVersion: 'stream-exists' })).toMatchObject({ sequenceNr: 3 });
        expect(await runtime.send('counter', 'c1', add, { expectedVersion: 'any' })).toMatchObject({ sequenceNr: 4 });
      });

      it('lets two runtimes race on one entity without a duplicate, a gap or a stale decision', async () => {
        const journal = new FaultyJournal(await open());
        const other = new FaultyJournal(await factory.openSecond(journal.inner));
        journals.push(other);
        const runtimes = [runtimeOver(journal, undefined, 100), runtimeOver(other, undefined, 100)];
        const perRuntime = 25;
        await Promise.all(
          runtimes.flatMap((runtime, r) =>
            Array.from({ length: perRuntime }, (_, i) => runtime.send('counter', 'c1', { type: 'add', amount: r * 100 + i + 1 })),
          ),
        );
        const events = await journal.load(stream('c1'));
        expect(events.map((e) => e.sequenceNr)).toEqual(Array.from({ length: 2 * perRuntime }, (_, i) => i + 1));
        // Each total was decided on the state left by every event before it.
        let total = 0;
        for (const { event } of events as PersistedEvent<CounterEvent & { type: 'added' }>[]) {
          total += event.amount;
          expect(event.total).toBe(total);
        }
        for (const runtime of runtimes) expect((await runtime.state('counter', 'c1')).state.value).toBe(total);
        // The race was real: writers lost, caught up and decided again.
        const lost = [...journal.persistFailures, ...other.persistFailures];
        expect(lost.length).toBeGreaterThan(0);
        for (const error of lost) expect(error).toMatchObject({ code: 'conflict' });
      });

      it('gives up with a conflict after its retries, writing nothing twice', async () => {
        const journal = await open();
        const other = await factory.openSecond(journal);
        journals.push(other);
        const stale = runtimeOver(journal, undefined, 0);
        await stale.send('counter', 'c1', { type: 'add', amount: 1 });
        await runtimeOver(other).send('counter', 'c1', { type: 'add', amount: 1 });
        await expect(stale.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({
          code: 'conflict',
          expected: 1,
          actual: 2,
        });
        expect(await journal.highestSequenceNr(stream('c1'))).toBe(2);
        // The loser recovers the winner's event before its next decision.
        expect(await stale.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({
          state: { value: 3 },
          sequenceNr: 3,
        });
      });
    });
  });
}
