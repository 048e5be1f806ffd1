import {
  createRuntime,
  type DefinedProjection,
  defineProjection,
  type EventJournal,
  highestPosition,
  persist,
  type Projection,
  projectionEventOf,
  type ProjectionStatus,
  type RuntimeOptions,
  streamIdOf,
} from 'eventfold';
import { describe, expect, it } from 'vitest';
import { type CounterEvent, counter } from './counter.ts';
import { envelope } from './events.ts';
import type { SuiteJournals } from './runtime-idempotency-suite.ts';

interface CounterView {
  readonly value: number;
  readonly commands: number;
}

/** Per counter: its value and how many `added` events it had. Throws on an amount of 13. */
const counterView = (mode: 'inline' | 'catch-up', unlucky = 13): DefinedProjection<CounterView, CounterEvent> =>
  defineProjection<CounterView, CounterEvent>({
    name: `counter-view-${mode}`,
    mode,
    entityTypes: ['counter'],
    documentId: (event) => event.entityId,
    evolve(view, { event }) {
      if (event.type !== 'added') return view;
      if (event.amount === unlucky) throw new Error(`unlucky ${unlucky}`);
      return { value: (view?.value ?? 0) + event.amount, commands: (view?.commands ?? 0) + 1 };
    },
  });

/** Read models kept by the runtime, inline and catch-up, over one journal implementation. */
export function describeProjections({ open, openSecond }: SuiteJournals): void {
  const runtimeOver = (journal: EventJournal, projections: RuntimeOptions<never>['projections'], pageSize?: number) =>
    createRuntime({ journal, entities: { counter: counter() }, projections, ...(pageSize && { pageSize }) });
  const documents = async (runtime: ReturnType<typeof runtimeOver>, name: string) =>
    Object.fromEntries((await runtime.readModel(name)).documents.map(({ id, doc }) => [id, doc]));
  const until = async (runtime: ReturnType<typeof runtimeOver>, name: string, state: ProjectionStatus['state']) => {
    await expect.poll(() => runtime.projectionStatus(name).state).toBe(state);
    return runtime.projectionStatus(name);
  };

  describe('inline projections', () => {
    const inline = counterView('inline');

    it('keep the read model in step with every acknowledged command, in its transaction', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal, [inline]);
      await runtime.send('counter', 'a', { type: 'add', amount: 2 });
      expect(await documents(runtime, inline.name)).toEqual({ a: { value: 2, commands: 1 } });
      const results = await Promise.all([
        runtime.send('counter', 'a', { type: 'add', amount: 3 }),
        runtime.send('counter', 'b', { type: 'add', amount: 4 }),
      ]);
      expect(await documents(runtime, inline.name)).toEqual({ a: { value: 5, commands: 2 }, b: { value: 4, commands: 1 } });
      const { position } = await runtime.readModel(inline.name);
      expect(position).toBe(Math.max(...results.map((result) => result.events[0]!.position)));
    });

    it('reject a command whose events the projection throws on, storing nothing, and keep the entity usable', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal, [inline]);
      await runtime.send('counter', 'a', { type: 'add', amount: 1 });
      await expect(runtime.send('counter', 'a', { type: 'add', amount: 13 })).rejects.toMatchObject({
        code: 'handler-failed',
        handler: 'project',
        projection: inline.name,
        entityType: 'counter',
        entityId: 'a',
        streamId: streamIdOf('counter', 'a'),
        message: expect.stringContaining('unlucky 13'),
      });
      expect(await journal.highestSequenceNr(streamIdOf('counter', 'a'))).toBe(1);
      expect(await runtime.send('counter', 'a', { type: 'add', amount: 2 })).toMatchObject({ state: { value: 3 }, sequenceNr: 2 });
      expect(await documents(runtime, inline.name)).toEqual({ a: { value: 3, commands: 2 } });
    });

    it('are built from the events stored before they existed, refusing reads until built (nothing to serve), then follow inline', async () => {
      const journal = await open();
      const stored = Array.from({ length: 5 }, (_, i) => ({
        ...envelope(i + 1, { type: 'added', amount: 1, total: i + 1 }),
        type: 'added',
      }));
      await persist(journal, streamIdOf('counter', 'a'), stored);
      const runtime = runtimeOver(journal, [inline], 2);
      const reads: Promise<unknown>[] = [];
      runtime.subscribeProjection(inline.name, (status) => {
        if (status.state === 'rebuilding') reads.push(runtime.readModel(inline.name).catch((error: unknown) => error));
      });
      await until(runtime, inline.name, 'live');
      expect(reads.length).toBeGreaterThan(0);
      for (const read of await Promise.all(reads)) expect(read).toMatchObject({ code: 'projection-rebuilding', total: 5 });
      expect(await documents(runtime, inline.name)).toEqual({ a: { value: 5, commands: 5 } });
      await runtime.send('counter', 'a', { type: 'add', amount: 5 });
      expect(await documents(runtime, inline.name)).toEqual({ a: { value: 10, commands: 6 } });
    });
  });

  describe('catch-up projections', () => {
    const catchUp = counterView('catch-up');

    it('follow the global position after the commands, and tell subscribers', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal, [catchUp], 3);
      const heard: ProjectionStatus[] = [];
      runtime.subscribeProjection(catchUp.name, (status) => heard.push(status));
      await Promise.all(Array.from({ length: 20 }, (_, i) => runtime.send('counter', `c${i % 4}`, { type: 'add', amount: 1 })));
      await expect.poll(async () => (await runtime.readModel(catchUp.name)).position).toBe(await highestPosition(journal));
      expect(await documents(runtime, catchUp.name)).toEqual(
        Object.fromEntries(['c0', 'c1', 'c2', 'c3'].map((id) => [id, { value: 5, commands: 5 }])),
      );
      expect(heard.at(-1)).toMatchObject({ state: 'live', position: 20 });
    });

    it('stop at an event they throw on, with the error visible, and resume from there once fixed', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal, [catchUp]);
      await runtime.send('counter', 'a', { type: 'add', amount: 1 });
      // Caught up with the first event before the one it throws on: a runner behind by both reads them in one page,
      // which fails whole (and the projection then stands before both).
      await expect.poll(() => runtime.projectionStatus(catchUp.name).position).toBe(1);
      await runtime.send('counter', 'a', { type: 'add', amount: 13 });
      await runtime.send('counter', 'a', { type: 'add', amount: 2 });
      const failed = await until(runtime, catchUp.name, 'failed');
      expect(failed).toMatchObject({ position: 1, failedAt: 2, error: { code: 'handler-failed', handler: 'project' } });
      expect(await documents(runtime, catchUp.name)).toEqual({ a: { value: 1, commands: 1 } });
      // Commands go on while the read model waits.
      await runtime.send('counter', 'a', { type: 'add', amount: 3 });
      await runtime.close();

      const fixed = runtimeOver(await openSecond(journal), [{ ...counterView('catch-up', -1) }]);
      await until(fixed, catchUp.name, 'live');
      expect(await documents(fixed, catchUp.name)).toEqual({ a: { value: 19, commands: 4 } });
    });

    it('apply every event exactly once when two tabs run the same projection', async () => {
      const journal = await open();
      const tabs = [runtimeOver(journal, [catchUp], 2), runtimeOver(await openSecond(journal), [catchUp], 2)];
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => tabs[i % 2]!.send('counter', `c${i % 3}`, { type: 'add', amount: 20 + i })),
      );
      for (const tab of tabs) tab.refresh('counter', 'c0');
      for (const tab of tabs) {
        await expect.poll(async () => (await tab.readModel(catchUp.name)).position).toBe(await highestPosition(journal));
      }
      const expected = [0, 1, 2].map((c) => {
        const amounts = Array.from({ length: 10 }, (_, k) => 20 + 3 * k + c);
        return [`c${c}`, { value: amounts.reduce((a, b) => a + b, 0), commands: 10 }];
      });
      expect(await documents(tabs[0]!, catchUp.name)).toEqual(Object.fromEntries(expected));
    });
  });

  describe('rebuilds and reads', () => {
    it('rebuild into a shadow, with progress, while reads keep the previous documents, kept up to date inline', async () => {
      const journal = await open();
      const projection = counterView('inline');
      const runtime = runtimeOver(journal, [projection], 10);
      for (let i = 0; i < 30; i++) await runtime.send('counter', `c${i % 3}`, { type: 'add', amount: 1 });
      const before = await documents(runtime, projection.name);

      const progress: [number | undefined, number | undefined][] = [];
      const reads: Promise<unknown>[] = [];
      let during: Promise<unknown> | undefined;
      runtime.subscribeProjection(projection.name, (status) => {
        if (status.state !== 'rebuilding') return;
        progress.push([status.processed, status.total]);
        reads.push(runtime.readModel(projection.name));
        // A command in the middle of the rebuild: its read model shows it at once.
        if (status.processed === 10 && !during) {
          during = runtime.send('counter', 'c0', { type: 'add', amount: 100 }).then(() => runtime.readModel(projection.name));
        }
      });
      expect(await runtime.rebuildProjection(projection.name)).toMatchObject({ state: 'live', position: 31 });
      expect(progress.slice(0, 3)).toEqual([
        [0, 30],
        [0, 30],
        [10, 30],
      ]);
      expect(progress.at(-1)).toEqual([30, 30]);
      for (const read of (await Promise.all(reads)) as Awaited<ReturnType<typeof runtime.readModel>>[]) {
        expect(read.rebuilding).toMatchObject({ total: 30 });
        expect(read.documents.length).toBe(3);
        expect(read.position).toBeGreaterThanOrEqual(30);
      }
      expect(await during).toMatchObject({
        position: 31,
        rebuilding: { total: 30 },
        documents: expect.arrayContaining([{ id: 'c0', doc: { value: 110, commands: 11 } }]),
      });
      const after = await runtime.readModel(projection.name);
      expect(after.rebuilding).toBeUndefined();
      expect(Object.fromEntries(after.documents.map(({ id, doc }) => [id, doc]))).toEqual({ ...before, c0: { value: 110, commands: 11 } });
    });

    it('resume a rebuild cut short by a reload, serving the previous documents until it is complete', async () => {
      const journal = await open();
      const projection = counterView('inline');
      const first = runtimeOver(journal, [projection]);
      for (let i = 0; i < 30; i++) await first.send('counter', `c${i % 3}`, { type: 'add', amount: 1 });
      const before = await documents(first, projection.name);
      // What a tab's rebuild leaves when the tab goes after one page.
      expect(await journal.resetProjection(projection.name)).toBe(30);
      const page = (await journal.loadAfter(0, 10)).map((event) => projectionEventOf(event.streamId, event));
      expect(await journal.projectEvents(projection, page, 0)).toBe(true);
      await first.close();

      const reloaded = runtimeOver(await openSecond(journal), [projection], 10);
      const statuses: ProjectionStatus[] = [];
      const reads: Promise<unknown>[] = [];
      reloaded.subscribeProjection(projection.name, (status) => {
        statuses.push(status);
        if (status.state !== 'live') reads.push(reloaded.readModel(projection.name));
      });
      await until(reloaded, projection.name, 'live');
      expect(statuses[0]).toMatchObject({ state: 'rebuilding', position: 30, processed: 10, total: 30 });
      expect(statuses.findIndex((status) => status.state === 'live')).toBe(statuses.length - 1);
      // A read asked for during the rebuild may be answered after the swap: either way it serves complete documents
      // at position 30, never the half-built shadow.
      for (const read of (await Promise.all(reads)) as Awaited<ReturnType<typeof reloaded.readModel>>[]) {
        expect(read).toMatchObject({ position: 30 });
        if (read.rebuilding) expect(read.rebuilding).toMatchObject({ total: 30 });
        expect(Object.fromEntries(read.documents.map(({ id, doc }) => [id, doc]))).toEqual(before);
      }
      expect(reads.length).toBeGreaterThan(0);
      expect(await journal.loadCheckpoint(projection.name)).toEqual({ position: 30 });
      expect(await documents(reloaded, projection.name)).toEqual(before);
    });

    it('see a rebuild begun by another tab after a write of their own, instead of reporting live, and finish it', async () => {
      const journal = await open();
      const projection = counterView('inline');
      const tab = runtimeOver(journal, [projection], 10);
      for (let i = 0; i < 20; i++) await tab.send('counter', `c${i % 2}`, { type: 'add', amount: 1 });
      await until(tab, projection.name, 'live');
      // Another tab starts a rebuild, and is closed before it gets anywhere.
      const other = await openSecond(journal);
      expect(await other.resetProjection(projection.name)).toBe(20);

      await tab.send('counter', 'c0', { type: 'add', amount: 5 });
      expect(tab.projectionStatus(projection.name)).toMatchObject({ state: 'rebuilding', position: 21, total: 20 });
      expect(await tab.readModel(projection.name)).toMatchObject({ position: 21, rebuilding: { total: 20 } });
      expect(await until(tab, projection.name, 'live')).toMatchObject({ position: 21 });
      expect(await journal.loadCheckpoint(projection.name)).toEqual({ position: 21 });
      expect(await documents(tab, projection.name)).toEqual({ c0: { value: 15, commands: 11 }, c1: { value: 10, commands: 10 } });
    });

    it('keep writing inline into the rebuilt documents that another tab swapped in', async () => {
      const journal = await open();
      const projection = counterView('inline');
      const tab = runtimeOver(journal, [projection]);
      for (let i = 0; i < 4; i++) await tab.send('counter', 'c', { type: 'add', amount: 1 });
      const other = runtimeOver(await openSecond(journal), [projection], 2);
      await until(other, projection.name, 'live');
      expect(await other.rebuildProjection(projection.name)).toMatchObject({ state: 'live', position: 4 });
      await tab.send('counter', 'c', { type: 'add', amount: 10 });
      expect(await documents(tab, projection.name)).toEqual({ c: { value: 14, commands: 5 } });
      expect(await other.rebuildProjection(projection.name)).toMatchObject({ state: 'live', position: 5 });
      await tab.send('counter', 'c', { type: 'add', amount: 100 });
      expect(await documents(other, projection.name)).toEqual({ c: { value: 114, commands: 6 } });
    });

    it('give a projection that changes its documents in place the read model of its pure equivalent', async () => {
      const journal = await open();
      const pure = counterView('inline');
      const careless = defineProjection<{ value: number; commands: number }, CounterEvent>({
        ...pure,
        evolve(view, { event }) {
          if (event.type !== 'added') return view;
          if (event.amount === 13) throw new Error('unlucky 13');
          const doc = view ?? { value: 0, commands: 0 };
          doc.value += event.amount;
          doc.commands++;
          return doc;
        },
      });
      const runtime = runtimeOver(journal, [careless]);
      await runtime.send('counter', 'a', { type: 'add', amount: 1 });
      // In one tick: one write the projection throws on, next to writes it does not.
      const sent = await Promise.allSettled([
        runtime.send('counter', 'a', { type: 'add', amount: 2 }),
        runtime.send('counter', 'b', { type: 'add', amount: 13 }),
        runtime.send('counter', 'a', { type: 'add', amount: 3 }),
      ]);
      expect(sent[1]).toMatchObject({ status: 'rejected', reason: { code: 'handler-failed' } });
      const stored = (await journal.loadAfter(0, 100)).map((event) => projectionEventOf(event.streamId, event));
      const expected: Record<string, unknown> = {};
      for (const event of stored) expected[event.entityId] = pure.evolve(expected[event.entityId] as never, event as never);
      expect(await documents(runtime, careless.name)).toEqual(expected);
    });

    it('refuse an unknown projection, and two projections of one name', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal, []);
      await expect(runtime.readModel('nothing')).rejects.toMatchObject({ code: 'invalid-argument', argument: 'projection' });
      expect(() => runtime.projectionStatus('nothing')).toThrow(expect.objectContaining({ code: 'invalid-argument' }));
      const twice = [counterView('inline'), counterView('inline')];
      expect(() => runtimeOver(journal, twice)).toThrow(expect.objectContaining({ code: 'invalid-argument', argument: 'projections' }));
    });

    it('keep the projection object defineProjection was given: a class instance keeps its prototype and private fields', async () => {
      const journal = await open();
      class Tally {
        readonly #step: number;
        readonly name = 'tally';
        readonly mode = 'inline';
        constructor(step: number) {
          this.#step = step;
        }
        get entityTypes() {
          return ['counter'];
        }
        documentId() {
          return 'all';
        }
        evolve(doc: number | undefined) {
          return (doc ?? 0) + this.#step;
        }
      }
      const instance = new Tally(10);
      const defined = defineProjection<number, CounterEvent, 'tally'>(instance);
      expect(defined).toBe(instance);
      const frozen = Object.freeze(new Tally(1));
      const copy = defineProjection<number, CounterEvent, 'tally'>(frozen);
      expect(Object.getPrototypeOf(copy)).toBe(Tally.prototype);
      const runtime = runtimeOver(journal, [defined]);
      await runtime.send('counter', 'c', { type: 'add', amount: 1 });
      await runtime.send('counter', 'd', { type: 'add', amount: 1 });
      expect(await documents(runtime, 'tally')).toEqual({ all: 20 });
      await runtime.close();
    });

    it('refuse a projection not made with defineProjection, naming it', async () => {
      const journal = await open();
      const { name, mode, documentId, evolve } = counterView('inline');
      const plain: Projection<CounterView, CounterEvent> = { name, mode, documentId, evolve };
      // The types refuse a plain object where a defined projection is expected; the runtime refuses it too.
      expect(() => runtimeOver(journal, [plain as never])).toThrow(
        expect.objectContaining({ code: 'invalid-argument', argument: 'projections', message: expect.stringContaining('defineProjection') }),
      );
      expect(() => runtimeOver(journal, counterView('inline') as never)).toThrow(expect.objectContaining({ code: 'invalid-argument', argument: 'projections' }));
      expect(() => runtimeOver(journal, [null as never])).toThrow(expect.objectContaining({ code: 'invalid-argument', argument: 'projections' }));
      // A defined projection is still checked for its shape.
      const sideways = defineProjection({ ...plain, mode: 'sideways' as never });
      expect(() => runtimeOver(journal, [sideways])).toThrow(expect.objectContaining({ code: 'invalid-argument', message: expect.stringContaining('mode') }));
      const unnamed = defineProjection({ ...plain, name: '' });
      expect(() => runtimeOver(journal, [unnamed])).toThrow(expect.objectContaining({ code: 'invalid-argument', argument: 'projection.name' }));
      const inert = defineProjection({ ...plain, evolve: undefined as never });
      expect(() => runtimeOver(journal, [inert])).toThrow(expect.objectContaining({ code: 'invalid-argument', message: expect.stringContaining('evolve') }));
      const listed = defineProjection({ ...plain, entityTypes: 'counter' as never });
      expect(() => runtimeOver(journal, [listed])).toThrow(expect.objectContaining({ code: 'invalid-argument', message: expect.stringContaining('entityTypes') }));
      // A kit of another shape under eventfold's symbol is no kit.
      const forged = { ...plain, [Symbol.for('eventfold.projectionKit')]: {} };
      expect(() => runtimeOver(journal, [forged as never])).toThrow(expect.objectContaining({ code: 'invalid-argument', message: expect.stringContaining('defineProjection') }));
      // A copy of a defined projection (spread, or of another mode) is still one.
      const spread = { ...counterView('inline'), mode: 'catch-up' as const };
      const runtime = runtimeOver(journal, [spread]);
      expect(runtime.projectionStatus(spread.name)).toMatchObject({ mode: 'catch-up' });
      await runtime.close();
    });
  });
}
