import { createRuntime, defineEntity, type EventJournal, MAX_ENTITY_ID_LENGTH, snapshotEvery, streamIdOf } from 'eventfold';
import { afterEach, describe, expect, it } from 'vitest';
import { counter } from './counter.ts';

/** How the values suite gets journals. */
export interface ValuesJournalFactory {
  open(): Promise<EventJournal>;
  cleanup?(): Promise<void>;
}

interface Node {
  readonly n: number;
  next: Node | undefined;
}

/** A state that is a ring of `n` nodes, or a tower of `n` levels of two references to the next one. */
const shaped = defineEntity<{ shape: unknown; n: number }, { ring: number } | { tower: number }, { ring: number } | { tower: number }>({
  initialState: () => ({ shape: null, n: 0 }),
  decide: (command) => [command],
  evolve(_, event) {
    if ('ring' in event) {
      const nodes: Node[] = Array.from({ length: event.ring }, (_, n) => ({ n, next: undefined }));
      nodes.forEach((node, i) => (node.next = nodes[(i + 1) % nodes.length]));
      return { shape: nodes[0], n: event.ring };
    }
    let node: object = { leaf: true };
    for (let i = 0; i < event.tower; i++) node = { left: node, right: node };
    return { shape: node, n: event.tower };
  },
  snapshotPolicy: snapshotEvery(2),
});

/** Values at the edges (cyclic states, Maps under idempotency keys, the longest ids) over one journal implementation. */
export function describeRuntimeValues(name: string, factory: ValuesJournalFactory): void {
  describe(`EntityRuntime over ${name}: values at the edges`, () => {
    const journals: EventJournal[] = [];
    const open = async () => {
      const journal = await factory.open();
      journals.push(journal);
      return journal;
    };
    afterEach(async () => {
      await Promise.all(journals.splice(0).map((journal) => journal.close()));
      await factory.cleanup?.();
    });
    const runtimeOver = (journal: EventJournal) =>
      createRuntime({ journal, entities: { counter: counter(snapshotEvery(1)), shaped } });

    it('snapshots a cyclic state in a group commit shared with another entity, and recovers it', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      await runtime.send('shaped', 's1', { ring: 1 });
      await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
      // Both entities are recovered: their next commands share one transaction.
      const [ring, added] = await Promise.all([
        runtime.send('shaped', 's1', { ring: 3 }),
        runtime.send('counter', 'c1', { type: 'add', amount: 2 }),
      ]);
      expect(added.events[0]!.position).toBe(ring.events[0]!.position + 1);
      expect(await runtime.snapshots('shaped', 's1')).toEqual([2]);
      const snapshot = await journal.loadSnapshot(streamIdOf('shaped', 's1'));
      expect(snapshot?.state).toEqual(ring.state);

      const fresh = runtimeOver(journal);
      const { state } = await fresh.state('shaped', 's1');
      const first = state.shape as Node;
      expect([first.n, first.next!.n, first.next!.next!.n, first.next!.next!.next]).toEqual([0, 1, 2, first]);
      expect(await fresh.state('counter', 'c1')).toMatchObject({ state: { value: 3 }, sequenceNr: 2 });
    });

    it('stores a command without the snapshot whose checksum cannot be computed, and reports it', async () => {
      const journal = await open();
      const reported: unknown[] = [];
      const runtime = createRuntime({
        journal,
        entities: { counter: counter(snapshotEvery(1)), shaped },
        onError: (error, { during }) => reported.push({ error, during }),
      });
      await runtime.send('shaped', 's1', { ring: 1 });
      await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
      const [tower, added] = await Promise.all([
        runtime.send('shaped', 's1', { tower: 40 }),
        runtime.send('counter', 'c1', { type: 'add', amount: 2 }),
      ]);
      expect(added).toMatchObject({ state: { value: 3 } });
      expect(tower).toMatchObject({ sequenceNr: 2 });
      expect(await runtime.snapshots('shaped', 's1')).toEqual([]);
      expect(reported).toMatchObject([{ error: { code: 'not-cloneable' }, during: 'snapshot' }]);
    });

    it('fails only the write of a group commit whose snapshot the journal cannot checksum', async () => {
      const journal = await open();
      let tower: object = { leaf: true };
      for (let i = 0; i < 40; i++) tower = { left: tower, right: tower };
      const event = (sequenceNr: number) => ({
        sequenceNr, event: { n: sequenceNr }, timestamp: 1, eventId: `e-${Math.random()}`, type: 'event', schemaVersion: 1, metadata: {},
      });
      const [bad, good] = await journal.append([
        { streamId: 'shaped:t', events: [event(1)], snapshot: { sequenceNr: 1, state: tower, timestamp: 1 } },
        { streamId: 'counter:c', events: [event(1)] },
      ]);
      expect(bad).toMatchObject({ error: { code: 'not-cloneable' } });
      expect(good).toMatchObject({ positions: [expect.any(Number)] });
      expect(await journal.highestSequenceNr('shaped:t')).toBe(0);
      expect(await journal.highestSequenceNr('counter:c')).toBe(1);
    });

    it('refuses a different Map under a used idempotency key, and stores nothing', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const options = { idempotencyKey: 'k1' };
      await runtime.send('counter', 'c1', { type: 'emit', payload: new Map([['a', 1]]) }, options);
      await expect(runtime.send('counter', 'c1', { type: 'emit', payload: new Map([['a', 2]]) }, options)).rejects.toMatchObject({
        code: 'idempotency-key-reused',
      });
      const again = await createRuntime({ journal, entities: { counter: counter() } }).send(
        'counter', 'c1', { type: 'emit', payload: new Map([['a', 1]]) }, options,
      );
      expect(again.sequenceNr).toBe(1);
      expect(await journal.highestSequenceNr(streamIdOf('counter', 'c1'))).toBe(1);
    });

    it(`serves an entity id of exactly ${MAX_ENTITY_ID_LENGTH} characters end to end, and refuses one more`, async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const id = 'x'.repeat(MAX_ENTITY_ID_LENGTH);
      await runtime.send('counter', id, { type: 'add', amount: 1 });
      await runtime.send('counter', id, { type: 'add', amount: 2 });
      expect(await runtime.state('counter', id)).toMatchObject({ state: { value: 3 }, sequenceNr: 2 });
      expect(await runtime.entityIds('counter')).toEqual([id]);
      expect((await runtime.events('counter', id)).map((event) => event.sequenceNr)).toEqual([1, 2]);
      expect(await runtime.snapshots('counter', id)).toEqual([1, 2]);
      expect(await runtimeOver(journal).stateAt('counter', id, 1)).toMatchObject({ state: { value: 1 } });

      const longer = `${id}x`;
      await expect(runtime.send('counter', longer, { type: 'add', amount: 1 })).rejects.toMatchObject({
        code: 'invalid-argument',
        message: expect.stringContaining(`at most ${MAX_ENTITY_ID_LENGTH} characters`),
      });
      await expect(runtime.state('counter', longer)).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    it('lists entity ids that begin with or hold U+FFFF', async () => {
      const journal = await open();
      const runtime = runtimeOver(journal);
      const ids = ['\uffff', '\uffffa', 'a\uffff', 'a\uffff\uffffb', 'a'];
      for (const id of ids) await runtime.send('counter', id, { type: 'add', amount: 1 });
      expect(await runtime.entityIds('counter')).toEqual([...ids].sort());
    });
  });
}
