import {
  createRuntime,
  defineEntity,
  defineProjection,
  type EntityLock,
  type EventJournal,
  type RuntimeErrorContext,
  snapshotEvery,
  streamIdOf,
} from 'eventfold';
import { describe, expect, it } from 'vitest';
import { counter } from './counter.ts';
import { FaultyJournal } from './faulty-journal.ts';
import { gate } from './gate.ts';
import { mutexLock } from './mutex-lock.ts';

interface Journals {
  open(): Promise<EventJournal>;
  openSecond(journal: EventJournal): Promise<EventJournal>;
}

const stream = (id: string) => streamIdOf('counter', id);
const add = (amount: number) => ({ type: 'add' as const, amount });

/** The fold of a counter's stored events, to compare a runtime's states with. */
async function foldOf(journal: EventJournal, id: string): Promise<number> {
  return (await journal.load(stream(id))).reduce((total, { event }) => total + (event as { amount: number }).amount, 0);
}

/**
 * What holds at the edges of a commit: hooks that throw after it, journals that answer wrongly or close under
 * recovering entities, transactions bounded under load, a projection that throws on one command of a write, states
 * that an `evolve` tries to change in place, and a closed runtime.
 */
export function describeRuntimeEdges({ open, openSecond }: Journals): void {
  describe('after a commit', () => {
    it('settles every command of a group commit whose write hook throws, and reports the hook to onError', async () => {
      const journal = await open();
      const reported: RuntimeErrorContext[] = [];
      const runtime = createRuntime({
        journal,
        entities: { counter: counter() },
        onWrite: ({ id }) => {
          if (id === 'c1') throw new Error('hook exploded');
        },
        onError: (_, context) => reported.push(context),
      });
      const sent = ['c1', 'c2', 'c3'].flatMap((id) => [runtime.send('counter', id, add(1)), runtime.send('counter', id, add(2))]);
      const results = await Promise.all(sent);
      expect(results.map((result) => result.sequenceNr)).toEqual([1, 2, 1, 2, 1, 2]);
      expect(reported.length).toBeGreaterThan(0);
      expect(reported.every((context) => context.during === 'on-write' && context.streamId === stream('c1'))).toBe(true);
      // The entity is idle again and decides on the stored state.
      expect(await runtime.send('counter', 'c1', add(4))).toMatchObject({ sequenceNr: 3, state: { value: 7 } });
    });

    it('keeps a projection live when one of its subscribers throws, and reports the subscriber', async () => {
      const journal = await open();
      const reported: RuntimeErrorContext[] = [];
      const totals = defineProjection<number>({
        name: 'totals',
        documentId: (event) => event.entityId,
        evolve: (total = 0, { event }) => total + (event as { amount: number }).amount,
      });
      const runtime = createRuntime({
        journal,
        entities: { counter: counter() },
        projections: [totals],
        onError: (_, context) => reported.push(context),
      });
      const heard: string[] = [];
      runtime.subscribeProjection('totals', () => {
        throw new Error('subscriber exploded');
      });
      runtime.subscribeProjection('totals', (status) => heard.push(status.state));
      await runtime.send('counter', 'c1', add(5));
      await runtime.send('counter', 'c1', add(6));
      // Live again once it has caught up (a journal whose inline update was not taken has it catch up after the commit).
      await expect.poll(() => runtime.projectionStatus('totals').state).toBe('live');
      expect((await runtime.readModel('totals')).documents).toEqual([{ id: 'c1', doc: 11 }]);
      expect(heard.length).toBeGreaterThan(0);
      expect(reported.length).toBeGreaterThan(0);
      expect(reported.every((context) => context.during === 'listener' && context.projection === 'totals')).toBe(true);
    });
  });

  describe('a journal that answers a group commit wrongly', () => {
    it('reports the outcome as unknown, then decides on what the journal really holds', async () => {
      const journal = new FaultyJournal(await open());
      const runtime = createRuntime({ journal, entities: { counter: counter() } });
      const append = journal.append.bind(journal);
      // Stores everything, then loses the answer.
      journal.append = async (writes, options) => {
        await append(writes, options);
        return [];
      };
      await expect(runtime.send('counter', 'c1', add(1))).rejects.toMatchObject({ code: 'outcome-unknown' });
      journal.append = append;
      expect(await runtime.send('counter', 'c1', add(2))).toMatchObject({ sequenceNr: 2, state: { value: 3 } });
      expect(await foldOf(journal, 'c1')).toBe(3);
    });
  });

  describe('transactions under load', () => {
    it('bounds the events of a transaction, so a failed one takes only its own commands with it', async () => {
      const journal = new FaultyJournal(await open());
      const runtime = createRuntime({ journal, entities: { counter: counter() }, maxEventsPerTransaction: 10 });
      const sizes: number[] = [];
      const append = journal.append.bind(journal);
      journal.append = (writes, options) => {
        sizes.push(writes.reduce((sum, write) => sum + write.events.length, 0));
        // The second transaction fails, as a full disk would fail it.
        if (sizes.length === 2) return Promise.reject(new DOMException('The disk is full', 'QuotaExceededError'));
        return append(writes, options);
      };
      await Promise.all([runtime.state('counter', 'c1'), runtime.state('counter', 'c2')]);
      const held = gate();
      journal.writeGate = held.promise;
      const first = runtime.send('counter', 'c1', add(1));
      await expect.poll(() => journal.appendCalls).toBe(1);
      // While the first transaction is held, 45 commands pile up on one entity and 5 on another.
      const piled = [
        ...Array.from({ length: 45 }, () => runtime.send('counter', 'c1', add(1))),
        ...Array.from({ length: 5 }, () => runtime.send('counter', 'c2', add(1))),
      ];
      held.open();
      await first;
      const outcomes = await Promise.allSettled(piled);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(failed).toHaveLength(sizes[1]!);
      expect(failed.every((outcome) => (outcome.reason as { code?: string }).code === 'storage-failed')).toBe(true);
      const stored = (await journal.highestSequenceNr(stream('c1'))) + (await journal.highestSequenceNr(stream('c2')));
      expect(stored).toBe(1 + 50 - failed.length);
      expect(await foldOf(journal, 'c1')).toBe((await runtime.state('counter', 'c1')).state.value);
      // Each command stored once, in the order it was decided.
      const causes = (await journal.load(stream('c1'))).map((event) => event.metadata.causationId);
      expect(new Set(causes).size).toBe(causes.length);
    });
  });

  describe('an inline projection that throws on one command', () => {
    const picky = defineProjection<number>({
      name: 'picky',
      documentId: (event) => event.entityId,
      evolve: (total = 0, { event }) => {
        const { amount } = event as { amount: number };
        if (amount === 13) throw new Error('13 is unlucky');
        return total + amount;
      },
    });

    it('fails that command only: the others of its write are decided again and stored', async () => {
      const journal = await open();
      const runtime = createRuntime({ journal, entities: { counter: counter() }, projections: [picky] });
      await runtime.state('counter', 'c1');
      const [unlucky, lucky, after] = await Promise.allSettled([
        runtime.send('counter', 'c1', add(13)),
        runtime.send('counter', 'c1', add(1)),
        runtime.send('counter', 'c1', add(2)),
      ]);
      expect(unlucky).toMatchObject({ status: 'rejected', reason: { code: 'handler-failed' } });
      expect(lucky).toMatchObject({ status: 'fulfilled', value: { state: { value: 1 } } });
      expect(after).toMatchObject({ status: 'fulfilled', value: { state: { value: 3 } } });
      expect(await foldOf(journal, 'c1')).toBe(3);
      expect((await runtime.readModel('picky')).documents).toEqual([{ id: 'c1', doc: 3 }]);
    });
  });

  describe('states', () => {
    /** A counter whose `evolve` changes the state it is given: a bug that must never reach the journal. */
    const mutating = defineEntity<{ value: number }, { amount: number }, { amount: number }>({
      initialState: () => ({ value: 0 }),
      decide: (command) => [{ amount: command.amount }],
      evolve(state, event) {
        state.value += event.amount;
        return state;
      },
      snapshotPolicy: snapshotEvery(2),
    });

    it('refuses an evolve that changes the state it is given, storing nothing', async () => {
      const journal = await open();
      const runtime = createRuntime({ journal, entities: { mutating } });
      const failure = await runtime.send('mutating', 'm1', { amount: 10 }).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'handler-failed', handler: 'evolve' });
      expect(String((failure as Error).message)).toMatch(/frozen/);
      expect(await journal.highestSequenceNr(streamIdOf('mutating', 'm1'))).toBe(0);
      expect(await runtime.state('mutating', 'm1')).toEqual({ state: { value: 0 }, sequenceNr: 0 });
    });

    it('freezes inside a state its initialState froze only on top, so a push into it fails the command', async () => {
      const journal = await open();
      const shallow = defineEntity<{ n: number; items: number[] }, { v: number }, { v: number }>({
        initialState: () => Object.freeze({ n: 0, items: [] }),
        decide: (command) => [{ v: command.v }],
        evolve(state, event) {
          state.items.push(event.v);
          return Object.freeze({ ...state, n: state.n + 1 });
        },
      });
      const runtime = createRuntime({ journal, entities: { shallow } });
      await expect(runtime.send('shallow', 's1', { v: 1 })).rejects.toMatchObject({ code: 'handler-failed' });
      expect(await runtime.state('shallow', 's1')).toEqual({ state: { n: 0, items: [] }, sequenceNr: 0 });
    });

    it('decides on a copy of a state holding a Map, so a Map changed in place never changes a result handed out', async () => {
      const journal = await open();
      const keys = defineEntity<{ seen: Map<string, number> }, { key: string }, { key: string }>({
        initialState: () => ({ seen: new Map() }),
        decide: (command) => [{ key: command.key }],
        evolve(state, event) {
          state.seen.set(event.key, 1);
          return { ...state };
        },
      });
      const runtime = createRuntime({ journal, entities: { keys } });
      const first = await runtime.send('keys', 'k1', { key: 'a' });
      const second = await runtime.send('keys', 'k1', { key: 'b' });
      expect([...first.state.seen.keys()]).toEqual(['a']);
      expect([...second.state.seen.keys()]).toEqual(['a', 'b']);
    });

    it('never changes a state it has handed out, and a fresh runtime recovers the fold of the stored events', async () => {
      const journal = await open();
      const second = await openSecond(journal);
      const runtime = createRuntime({ journal, entities: { counter: counter(snapshotEvery(3)) } });
      const other = createRuntime({ journal: second, entities: { counter: counter(snapshotEvery(3)) } });
      const first = await runtime.send('counter', 'c1', add(1));
      expect(Object.isFrozen(first.state)).toBe(true);
      expect(Object.isFrozen(first.state.added)).toBe(true);
      // Another writer gets in between: the runtime loses races, catches up and decides again.
      await Promise.all([
        ...Array.from({ length: 10 }, () => runtime.send('counter', 'c1', add(1))),
        ...Array.from({ length: 10 }, () => other.send('counter', 'c1', add(1))),
      ]);
      expect(first.state).toEqual({ value: 1, added: [1] });
      const fresh = createRuntime({ journal, entities: { counter: counter(snapshotEvery(3)) } });
      expect((await fresh.state('counter', 'c1')).state.value).toBe(await foldOf(journal, 'c1'));
      expect(await foldOf(journal, 'c1')).toBe(21);
    });
  });

  describe('writers racing on one entity', () => {
    /** Four runtimes on one journal (as four tabs), each sending `count` commands to one counter, eight at a time. */
    async function hammer(options: { lock?: ReturnType<typeof mutexLock> | null; maxConflictRetries: number }, journalLock?: EntityLock) {
      const first = await open();
      const opened = [first, ...(await Promise.all([1, 2, 3].map(() => openSecond(first))))];
      const journals = journalLock ? opened.map((journal) => Object.assign(new FaultyJournal(journal), { lock: journalLock })) : opened;
      const runtimes = journals.map((journal) => createRuntime({ journal, entities: { counter: counter() }, ...options }));
      let gaveUp = 0;
      await Promise.all(
        runtimes.map(async (runtime) => {
          for (let wave = 0; wave < 5; wave++) {
            await Promise.all(
              Array.from({ length: 8 }, () =>
                runtime.send('counter', 'shared', add(1)).catch((error: { code?: string }) => {
                  if (error.code !== 'conflict') throw error;
                  gaveUp++;
                }),
              ),
            );
          }
        }),
      );
      return { gaveUp, stored: await foldOf(first, 'shared') };
    }

    it('gives no command up when the writers share the entity lock', async () => {
      const lock = mutexLock();
      const { gaveUp, stored } = await hammer({ lock, maxConflictRetries: 1 });
      expect(gaveUp).toBe(0);
      expect(stored).toBe(4 * 5 * 8);
    });

    it("takes the journal's own lock when the runtime is given none", async () => {
      const lock = mutexLock();
      const { gaveUp, stored } = await hammer({ maxConflictRetries: 1 }, lock);
      expect(gaveUp).toBe(0);
      expect(stored).toBe(4 * 5 * 8);
      expect(lock.granted).toBeGreaterThan(0);
    });

    it('without the lock, writers that lose too many races give up (what the lock is for)', async () => {
      const { gaveUp, stored } = await hammer({ lock: null, maxConflictRetries: 0 });
      expect(gaveUp).toBeGreaterThan(0);
      expect(stored).toBe(4 * 5 * 8 - gaveUp);
    });
  });

  describe('close', () => {
    it('rejects every call after close with a ClosedError, reads included', async () => {
      const journal = await open();
      const runtime = createRuntime({
        journal,
        entities: { counter: counter() },
        projections: [defineProjection({ name: 'p', documentId: () => undefined, evolve: () => undefined })],
      });
      await runtime.send('counter', 'c1', add(1));
      await runtime.close();
      const calls: Array<() => Promise<unknown>> = [
        () => runtime.send('counter', 'c1', add(1)),
        () => runtime.state('counter', 'c1'),
        () => runtime.stateAt('counter', 'c1', 1),
        () => runtime.events('counter', 'c1'),
        () => runtime.snapshots('counter', 'c1'),
        () => runtime.entityIds('counter'),
        () => runtime.readModel('p'),
        () => runtime.rebuildProjection('p'),
        async () => runtime.projectionStatus('p'),
      ];
      for (const call of calls) await expect(call()).rejects.toMatchObject({ code: 'closed' });
      expect(() => runtime.subscribe('counter', 'c1', () => {})).toThrow(expect.objectContaining({ code: 'closed' }));
    });

    it('fails the calls of entities recovering when their journal closes with ClosedError, and nothing else', async () => {
      const inner = await open();
      const journal = new FaultyJournal(inner);
      const runtime = createRuntime({ journal, entities: { counter: counter() }, pageSize: 1 });
      for (const id of ['c1', 'c2', 'c3']) {
        await runtime.send('counter', id, add(1));
        await runtime.send('counter', id, add(1));
      }
      const fresh = createRuntime({ journal, entities: { counter: counter() }, pageSize: 1 });
      const held = gate();
      journal.loadGate = held.promise;
      const calls = ['c1', 'c2', 'c3'].flatMap((id) => [fresh.state('counter', id), fresh.send('counter', id, add(1))]);
      for (const id of ['c1', 'c2', 'c3']) fresh.refresh('counter', id);
      await expect.poll(() => journal.loads.length).toBeGreaterThan(0);
      await inner.close();
      held.open();
      const outcomes = await Promise.allSettled(calls);
      for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'closed' } });
    });
  });
}
