import {
  createRuntime,
  defineEntity,
  type EventJournal,
  type NewEvent,
  persist,
  type PersistedEvent,
  saveSnapshot,
  snapshotEvery,
  type SnapshotPolicy,
  StorageError,
  streamIdOf,
} from 'eventfold';
import { afterEach, describe, expect, it } from 'vitest';
import { type CounterEvent, counter } from './counter.ts';
import { FaultyJournal } from './faulty-journal.ts';
import { envelope } from './events.ts';
import { describeEnvelopesAndIdempotency } from './runtime-idempotency-suite.ts';
import { describeRuntimeEdges } from './runtime-edges-suite.ts';
import { describeProjections } from './runtime-projection-suite.ts';
import { describeSchemaEvolution } from './runtime-schema-suite.ts';
import { gate } from './gate.ts';

/** How the runtime suite gets journals. */
export interface RuntimeJournalFactory {
  /** A fresh, empty journal. */
  open(): Promise<EventJournal>;
  /** A second handle on the storage of `journal`, as another tab would open it. */
  openSecond(journal: EventJournal): Promise<EventJournal>;
  cleanup?(): Promise<void>;
}

const stream = (id: string) => streamIdOf('counter', id);
const added = (amount: number, total: number, sequenceNr: number): NewEvent<CounterEvent> => ({
  ...envelope(sequenceNr, { type: 'added', amount, total }),
  type: 'added',
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

    const openSecond = async (journal: EventJournal) => {
      const second = await factory.openSecond(journal);
      journals.push(second);
      return second;
    };
    describeEnvelopesAndIdempotency({ open, openSecond });
    describeSchemaEvolution({ open, openSecond });
    describeProjections({ open, openSecond });
    describeRuntimeEdges({ open, openSecond });

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
        await persist(journal, stream('slow'), [added(1, 1, 1)]);
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
        await persist(journal, stream('c1'), [added(100, 100, 1), added(50, 150, 2)]);
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
        await persist(journal, stream('c1'), [added(10, 10, 1), added(10, 20, 2), added(10, 30, 3), added(7, 37, 4)]);
        // The snapshot's state differs from the fold of events 1-3, which proves recovery started from it.
        await saveSnapshot(journal, stream('c1'), { sequenceNr: 3, state: { value: 30, added: ['snapshot'] }, timestamp: 1 });
        const runtime = runtimeOver(journal);
        expect(await runtime.state('counter', 'c1')).toEqual({ state: { value: 37, added: ['snapshot', 7] }, sequenceNr: 4 });
      });

      it('applies commands sent during recovery after it, in the order they were sent', async () => {
        const journal = await open();
        const history = Array.from({ length: 500 }, (_, i) => added(1, i + 1, i + 1));
        await persist(journal, stream('c1'), history);
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
        await persist(journal, stream('c1'), Array.from({ length: total }, (_, i) => added(1, i + 1, i + 1)));
        const spy = new FaultyJournal(journal);
        const runtime = createRuntime({ journal: spy, entities: { counter: counter() }, pageSize: 1_000 });
        expect((await runtime.state('counter', 'c1')).sequenceNr).toBe(total);
        expect(spy.loads).toEqual([
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
          entityType: 'counter', entityId: 'c1', streamId: stream('c1'),
          message: 'Command rejected by counter "c1": cannot add a negative amount',
        });
        await unchanged();
      });

      it('turns a decide that throws into a handler error', async () => {
        const { runtime, unchanged } = await withOneEvent();
        const error = await runtime.send('counter', 'c1', { type: 'throw-in-decide' }).catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'handler-failed', handler: 'decide', entityType: 'counter', entityId: 'c1', streamId: stream('c1') });
        expect((error as Error).message).toBe('decide of counter "c1" threw: decide exploded');
        expect((error as Error).cause).toBeInstanceOf(Error);
        await unchanged();
      });

      it('says what a decide returned when it returns no events and no rejection (a Promise, undefined, an object)', async () => {
        const journal = await open();
        const base = counter();
        // An async decide that rejects too: its rejection is handled, never left unhandled.
        const returns = (value: () => unknown) => ({ ...base, decide: value }) as unknown as typeof base;
        const runtime = createRuntime({
          journal,
          entities: {
            counter: base,
            asynchronous: returns(async () => [{ type: 'added', amount: 1, total: 1 }]),
            failingAsynchronous: returns(async () => Promise.reject(new Error('later'))),
            forgetful: returns(() => undefined),
            objectReturning: returns(() => ({ type: 'added', amount: 1, total: 1 })),
          },
        });
        const add = { type: 'add', amount: 1 } as const;
        const failure = (type: string, returned: string, advice: string) => ({
          code: 'handler-failed',
          handler: 'decide',
          entityType: type,
          entityId: 'p',
          message: `decide of ${type} "p" returned ${returned}: ${advice}`,
          cause: expect.any(TypeError),
        });
        const synchronous = 'decide must be synchronous: read what it needs before the command is sent, and return the events or reject(reason)';
        const array = 'decide must return an array of events ([] for none) or reject(reason)';
        await expect(runtime.send('asynchronous', 'p', add)).rejects.toMatchObject(failure('asynchronous', 'a Promise', synchronous));
        await expect(runtime.send('failingAsynchronous', 'p', add)).rejects.toMatchObject(failure('failingAsynchronous', 'a Promise', synchronous));
        await expect(runtime.send('forgetful', 'p', add)).rejects.toMatchObject(failure('forgetful', 'undefined', array));
        await expect(runtime.send('objectReturning', 'p', add)).rejects.toMatchObject(failure('objectReturning', 'an object', array));
        expect(await journal.streamIds('')).toEqual([]);
        expect(await runtime.send('counter', 'p', add)).toMatchObject({ sequenceNr: 1 });
      });

      it('says that an evolve returned a Promise, storing nothing', async () => {
        const journal = await open();
        const base = counter();
        const runtime = createRuntime({ journal, entities: { counter: { ...base, evolve: async () => base.initialState() } as unknown as typeof base } });
        await expect(runtime.send('counter', 'p', { type: 'add', amount: 1 })).rejects.toMatchObject({
          code: 'handler-failed',
          handler: 'evolve',
          message: 'evolve of counter "p" returned a Promise: evolve must be synchronous: return the next state itself',
        });
        expect(await journal.highestSequenceNr(stream('p'))).toBe(0);
      });

      it('turns an evolve that throws into a handler error and stores no poison event', async () => {
        const { runtime, unchanged } = await withOneEvent();
        await expect(runtime.send('counter', 'c1', { type: 'poison' })).rejects.toMatchObject({
          code: 'handler-failed',
          handler: 'evolve',
          entityType: 'counter', entityId: 'c1', streamId: stream('c1'),
        });
        await unchanged();
      });

      it('refuses a command or an event that cannot be stored, naming the value', async () => {
        const { runtime, unchanged } = await withOneEvent();
        await expect(runtime.send('counter', 'c1', { type: 'emit', payload: { onClick: () => {} } })).rejects.toMatchObject({
          code: 'not-cloneable',
          path: 'command.payload.onClick',
        });
        await expect(runtime.send('counter', 'c1', { type: 'emit-unstorable' })).rejects.toMatchObject({
          code: 'not-cloneable',
          path: 'events[0].event.payload.onClick',
        });
        await unchanged();
      });

      it('reports a failed write as a storage error', async () => {
        const { journal, runtime, unchanged } = await withOneEvent();
        journal.failNext('append', new DOMException('The disk is full', 'QuotaExceededError'));
        const error = await runtime.send('counter', 'c1', { type: 'add', amount: 5 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StorageError);
        expect(error).toMatchObject({ code: 'storage-failed', cause: { name: 'QuotaExceededError' } });
        await unchanged();
      });

      it('fails the commands waiting on a recovery that fails, then recovers on the next command', async () => {
        const journal = new FaultyJournal(await open());
        await persist(journal, stream('c1'), [added(1, 1, 1)]);
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
        await persist(journal, stream('c1'), [added(1, 1, 1), { ...envelope(2, { type: 'poison' }), type: 'poison' }]);
        const runtime = runtimeOver(journal);
        await expect(runtime.state('counter', 'c1')).rejects.toMatchObject({ code: 'handler-failed', handler: 'evolve' });
        await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({
          code: 'handler-failed',
        });
        expect(await journal.highestSequenceNr(stream('c1'))).toBe(2);
      });

      it('writes the events of a command whose state cannot be snapshotted, and reports why', async () => {
        const journal = await open();
        const reported: unknown[] = [];
        // A state holding a function cannot be stored: the snapshot is skipped, the events are not.
        const holder = defineEntity<{ n: number; format?: () => string }, number, number>({
          initialState: () => ({ n: 0 }),
          decide: (n) => [n],
          evolve: (state, n) => (n === 2 ? { n: state.n + n, format: () => 'x' } : { n: state.n + n }),
          snapshotPolicy: snapshotEvery(1),
        });
        const runtime = createRuntime({ journal, entities: { holder }, onError: (error, context) => reported.push({ error, context }) });
        expect(await runtime.send('holder', 'h1', 2)).toMatchObject({ sequenceNr: 1 });
        expect(reported).toMatchObject([
          { error: { code: 'not-cloneable', path: 'snapshot.state.format' }, context: { streamId: 'holder:h1', during: 'snapshot' } },
        ]);
        expect(await journal.loadSnapshot('holder:h1')).toBeUndefined();
        await runtime.send('holder', 'h1', 3);
        expect(await journal.loadSnapshot('holder:h1')).toMatchObject({ sequenceNr: 2, state: { n: 5 } });
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
          entityType: 'counter', entityId: 'c1', streamId: stream('c1'),
          message: expect.stringMatching(/^Conflict on counter "c1": /),
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
        // Both hold the entity before either writes, so that each decides its first commands on the empty stream and
        // one of them must lose the race, however fast the other's appends are.
        await Promise.all(runtimes.map((runtime) => runtime.state('counter', 'c1')));
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
        const lost = [...journal.writeFailures, ...other.writeFailures];
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

    describe('group commit', () => {
      it('acknowledges 1,000 concurrent commands to one entity in far fewer transactions, contiguously', async () => {
        const journal = new FaultyJournal(await open());
        const runtime = runtimeOver(journal);
        const results = await Promise.all(
          Array.from({ length: 1_000 }, () => runtime.send('counter', 'c1', { type: 'add', amount: 1 })),
        );
        expect(results.map((r) => r.sequenceNr)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
        expect(results.at(-1)?.state.value).toBe(1_000);
        expect(journal.appendCalls).toBeLessThan(10);
        const events = await journal.load(stream('c1'));
        expect(events.map((e) => e.sequenceNr)).toEqual(results.map((r) => r.sequenceNr));
      });

      it('writes the commands of 100 entities together, each stream contiguous', async () => {
        const journal = new FaultyJournal(await open());
        const runtime = runtimeOver(journal);
        const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
        await Promise.all(
          Array.from({ length: 10 }, () => ids.map((id) => runtime.send('counter', id, { type: 'add', amount: 1 }))).flat(),
        );
        expect(journal.appendCalls).toBeLessThan(20);
        for (const id of ids) {
          expect((await journal.load(stream(id))).map((e) => e.sequenceNr)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        }
        expect(await runtime.entityIds('counter')).toEqual([...ids].sort());
      });

      it('fails every command of a failed transaction and decides the ones queued behind it again', async () => {
        const journal = new FaultyJournal(await open());
        const runtime = runtimeOver(journal);
        await runtime.state('counter', 'c1');
        const held = gate();
        journal.writeGate = held.promise;
        journal.failNext('append', new DOMException('The disk is full', 'QuotaExceededError'));
        const deposit = runtime.send('counter', 'c1', { type: 'add', amount: 10 });
        // The deposit's write is sealed once it reached the journal, where it waits at the gate.
        await expect.poll(() => journal.appendCalls).toBe(1);
        // Decided on the 10 not yet written: it must be decided again once that write has failed.
        const take = runtime.send('counter', 'c1', { type: 'take', amount: 5 });
        const other = runtime.send('counter', 'c2', { type: 'add', amount: 1 });
        held.open();
        await expect(deposit).rejects.toMatchObject({ code: 'storage-failed' });
        await expect(take).rejects.toMatchObject({ code: 'rejected', reason: 'cannot take 5 from 0' });
        expect(await other).toMatchObject({ sequenceNr: 1 });
        expect(await journal.highestSequenceNr(stream('c1'))).toBe(0);
        expect(await runtime.send('counter', 'c1', { type: 'add', amount: 3 })).toMatchObject({ state: { value: 3 }, sequenceNr: 1 });
      });

      it('fails the commands of a journal that answers a group commit wrongly as of unknown outcome, and keeps serving', async () => {
        const journal = new FaultyJournal(await open());
        const runtime = runtimeOver(journal);
        const append = journal.append.bind(journal);
        journal.append = async () => [];
        await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({
          code: 'outcome-unknown',
          message: expect.stringContaining('the journal answered 0 outcomes for 1 writes'),
        });
        journal.append = append;
        expect(await runtime.send('counter', 'c1', { type: 'add', amount: 2 })).toMatchObject({ state: { value: 2 }, sequenceNr: 1 });
      });

      it('keeps one bad command from failing the others written with it', async () => {
        const journal = await open();
        const runtime = runtimeOver(journal);
        const [good, bad, after] = await Promise.allSettled([
          runtime.send('counter', 'c1', { type: 'add', amount: 1 }),
          runtime.send('counter', 'c1', { type: 'emit', payload: Symbol('nope') }),
          runtime.send('counter', 'c1', { type: 'add', amount: 2 }),
        ]);
        expect(good).toMatchObject({ status: 'fulfilled', value: { sequenceNr: 1 } });
        expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'not-cloneable' } });
        expect(after).toMatchObject({ status: 'fulfilled', value: { sequenceNr: 2, state: { value: 3 } } });
      });
    });

    describe('subscriptions', () => {
      it('tells subscribers of each write with its events and the new state, until they unsubscribe', async () => {
        const runtime = runtimeOver(await open());
        const changes: Array<{ sequenceNrs: number[]; value: number; sequenceNr: number }> = [];
        const unsubscribe = runtime.subscribe('counter', 'c1', ({ events, state, sequenceNr }) =>
          changes.push({ sequenceNrs: events.map((e) => e.sequenceNr), value: state.value, sequenceNr }),
        );
        await runtime.send('counter', 'c1', { type: 'add', amount: 5 });
        await Promise.all([3, 4].map((amount) => runtime.send('counter', 'c1', { type: 'add', amount })));
        unsubscribe();
        await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
        expect(changes.flatMap((c) => c.sequenceNrs)).toEqual([1, 2, 3]);
        expect(changes.at(-1)).toMatchObject({ value: 12, sequenceNr: 3 });
      });

      it('tells subscribers of events another writer appended, once refreshed', async () => {
        const journal = await open();
        const other = await factory.openSecond(journal);
        journals.push(other);
        const reader = runtimeOver(journal);
        const writer = runtimeOver(other);
        const seen: number[] = [];
        reader.subscribe('counter', 'c1', ({ events }) => seen.push(...events.map((e) => e.sequenceNr)));
        await reader.state('counter', 'c1');
        await writer.send('counter', 'c1', { type: 'add', amount: 1 });
        await writer.send('counter', 'c1', { type: 'add', amount: 1 });
        reader.refresh('counter', 'c1');
        await expect.poll(() => seen).toEqual([1, 2]);
        expect(await reader.state('counter', 'c1')).toMatchObject({ state: { value: 2 }, sequenceNr: 2 });
      });

      it('keeps a failing subscriber from hurting the entity, and reports it', async () => {
        const reported: unknown[] = [];
        const runtime = createRuntime({
          journal: await open(),
          entities: { counter: counter() },
          onError: (error, context) => reported.push(context),
        });
        runtime.subscribe('counter', 'c1', () => {
          throw new Error('listener exploded');
        });
        expect(await runtime.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({ sequenceNr: 1 });
        expect(reported).toEqual([{ streamId: stream('c1'), during: 'listener' }]);
      });
    });

    describe('time travel and reads', () => {
      it('gives the state at every sequence number, equal to a full replay, starting from snapshots', async () => {
        const journal = new FaultyJournal(await open());
        const runtime = runtimeOver(journal, snapshotEvery(100));
        const amounts = Array.from({ length: 300 }, (_, i) => (i * 7919) % 101);
        for (const amount of amounts) await runtime.send('counter', 'c1', { type: 'add', amount });
        const replay = counter();
        let expected = replay.initialState();
        for (let sequenceNr = 0; sequenceNr <= amounts.length; sequenceNr++) {
          if (sequenceNr > 0) expected = replay.evolve(expected, { type: 'added', amount: amounts[sequenceNr - 1]!, total: 0 });
          journal.loads.length = 0;
          const past = await runtime.stateAt('counter', 'c1', sequenceNr);
          expect(past.sequenceNr).toBe(sequenceNr);
          expect(past.state.value).toBe(expected.value);
          // Folded from the newest snapshot at or below, reading from the snapshot's own event (the proof that the
          // stream reaches it): never more than 101 events read.
          const snapshotAt = Math.floor(sequenceNr / 100) * 100;
          expect(journal.loads[0]?.[0] ?? Math.max(1, snapshotAt)).toBe(Math.max(1, snapshotAt));
        }
        expect((await runtime.stateAt('counter', 'c1', 10_000)).sequenceNr).toBe(300);
        await expect(runtime.stateAt('counter', 'c1', -1)).rejects.toMatchObject({ code: 'invalid-argument' });
      });

      it('gives the state at a position with the events leading to it, in one read of the journal', async () => {
        const journal = new FaultyJournal(await open());
        const runtime = runtimeOver(journal, snapshotEvery(100));
        const amounts = Array.from({ length: 250 }, (_, i) => (i * 7919) % 101);
        for (const amount of amounts) await runtime.send('counter', 'c1', { type: 'add', amount });
        for (const [sequenceNr, tail] of [[0, 50], [1, 50], [30, 50], [99, 10], [100, 50], [120, 50], [150, 50], [250, 7], [250, 0], [180, 250]] as const) {
          journal.loads.length = 0;
          const past = await runtime.historyAt('counter', 'c1', sequenceNr, tail);
          expect(journal.loads).toHaveLength(sequenceNr === 0 ? 0 : 1);
          expect(past.state).toEqual((await runtime.stateAt('counter', 'c1', sequenceNr)).state);
          expect(past.sequenceNr).toBe(sequenceNr);
          const from = Math.max(1, sequenceNr - tail + 1);
          expect(past.events).toEqual(sequenceNr === 0 || tail === 0 ? [] : await runtime.events('counter', 'c1', from, sequenceNr));
        }
        // Beyond the head: the newest state, and the tail before it.
        const beyond = await runtime.historyAt('counter', 'c1', 10_000, 3);
        expect(beyond.sequenceNr).toBe(250);
        expect(beyond.events.map((event) => event.sequenceNr)).toEqual([248, 249, 250]);
        for (const tail of [-1, 1.5, 10_001, Number.NaN]) {
          await expect(runtime.historyAt('counter', 'c1', 5, tail)).rejects.toMatchObject({ code: 'invalid-argument', argument: 'tail' });
        }
      });

      it('reads a range of events and lists the entities of a type', async () => {
        const runtime = runtimeOver(await open());
        for (const id of ['b', 'a', 'c']) await runtime.send('counter', id, { type: 'add', amount: 1 });
        for (let i = 0; i < 4; i++) await runtime.send('counter', 'a', { type: 'add', amount: i });
        expect((await runtime.events('counter', 'a', 2, 3)).map((e) => e.event)).toMatchObject([{ amount: 0 }, { amount: 1 }]);
        expect(await runtime.entityIds('counter')).toEqual(['a', 'b', 'c']);
        await expect(runtime.entityIds('ledger' as 'counter')).rejects.toMatchObject({ code: 'invalid-argument' });
      });
    });

    describe('stream length guard', () => {
      it('refuses to replay more events than the definition allows, and replays from a snapshot within it', async () => {
        const journal = await open();
        await persist(journal, stream('c1'), Array.from({ length: 10 }, (_, i) => added(1, i + 1, i + 1)));
        const guarded = { ...counter(), maxReplayedEvents: 5 };
        const runtime = createRuntime({ journal, entities: { counter: guarded } });
        await expect(runtime.state('counter', 'c1')).rejects.toMatchObject({
          code: 'stream-too-long',
          entityType: 'counter',
          entityId: 'c1',
          streamId: stream('c1'),
          replayed: 10,
          limit: 5,
          message: expect.stringContaining('snapshotEvery'),
        });
        await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({ code: 'stream-too-long' });
        expect(await journal.highestSequenceNr(stream('c1'))).toBe(10);
        expect((await runtime.stateAt('counter', 'c1', 4)).state.value).toBe(4);
        await expect(runtime.stateAt('counter', 'c1', 9)).rejects.toMatchObject({ code: 'stream-too-long', replayed: 9 });

        await saveSnapshot(journal, stream('c1'), { sequenceNr: 6, state: { value: 6, added: [] }, timestamp: 1 });
        expect(await runtime.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({ state: { value: 11 }, sequenceNr: 11 });
      });
    });

    describe('memory', () => {
      it('passivates idle entities, keeps subscribed ones, and recovers passivated ones on use', async () => {
        let now = 0;
        const runtime = createRuntime({
          journal: await open(),
          entities: { counter: counter() },
          clock: () => now,
          passivateAfterMs: 1_000,
        });
        for (let i = 0; i < 50; i++) await runtime.send('counter', `c${i}`, { type: 'add', amount: i });
        runtime.subscribe('counter', 'c7', () => {});
        expect(runtime.activeEntities).toBe(50);
        now = 2_000;
        await runtime.send('counter', 'fresh', { type: 'add', amount: 1 });
        expect(runtime.activeEntities).toBe(2);
        expect(await runtime.state('counter', 'c42')).toMatchObject({ state: { value: 42 }, sequenceNr: 1 });
      });
    });
  });
}
