import {
  type Checkpoint,
  defineProjection,
  type EventJournal,
  highestPosition,
  persist,
  projectionEventOf,
} from 'eventfold';
import { describe, expect, it } from 'vitest';
import { envelope, numbered } from './events.ts';
import { type Total, totals } from './totals.ts';

/** The read-model half of the `EventJournal` contract: inline and catch-up projections, reads, resets. */
export function describeReadModelContract(open: () => Promise<EventJournal>): void {
  describe('read models', () => {
    const withN = (sequenceNr: number, n: number) => envelope(sequenceNr, { n });
    const eventsAfter = async (journal: EventJournal, position: number) =>
      (await journal.loadAfter(position, 1_000)).map((event) => projectionEventOf(event.streamId, event));

    it('updates an inline projection that is caught up, in the transaction of the writes', async () => {
      const journal = await open();
      const projections = [totals];
      await journal.append([{ streamId: 'a', events: numbered(1, 2) }], { projections });
      await journal.append(
        [
          { streamId: 'a', events: [withN(3, 10)] },
          { streamId: 'b', events: [withN(1, 5)] },
        ],
        { projections },
      );
      expect(await journal.readModel('totals')).toEqual({
        checkpoint: { position: 4 },
        documents: [
          { id: 'a', doc: { count: 3, sum: 13 } },
          { id: 'b', doc: { count: 1, sum: 5 } },
        ],
      });
    });

    it('leaves out a write the projection fails on, with a handler error, and stores the others', async () => {
      const journal = await open();
      const outcomes = await journal.append(
        [
          { streamId: 'a', events: [withN(1, 1)] },
          { streamId: 'b', events: [withN(1, 13)] },
          { streamId: 'b', events: [withN(2, 2)] },
          { streamId: 'c', events: [withN(1, 3)] },
        ],
        { projections: [totals] },
      );
      expect(outcomes[0]).toMatchObject({ positions: [1] });
      expect(outcomes[1]).toMatchObject({ error: { code: 'handler-failed', handler: 'project', message: expect.stringContaining('unlucky') } });
      expect(outcomes[2]).toMatchObject({ error: { code: 'conflict', entityId: 'b' } });
      expect(outcomes[3]).toMatchObject({ positions: [2] });
      expect(await journal.highestSequenceNr('b')).toBe(0);
      expect((await journal.readModel('totals')).documents.map((d) => d.id)).toEqual(['a', 'c']);
      expect(await journal.loadCheckpoint('totals')).toEqual({ position: 2 });
    });

    it('refuses a projection not made with defineProjection with an invalid-argument error, and stores nothing', async () => {
      const journal = await open();
      const { name, documentId, evolve } = totals;
      // What the types refuse (a plain object where a defined projection is expected), the journal refuses too.
      const plain = { name, documentId, evolve } as never;
      const refused = expect.objectContaining({ code: 'invalid-argument', argument: 'projections', message: expect.stringContaining('defineProjection') });
      await expect(journal.append([{ streamId: 'a', events: numbered(1, 1) }], { projections: [plain] })).rejects.toEqual(refused);
      await expect(journal.projectEvents(plain, [], 0)).rejects.toEqual(refused);
      expect(await highestPosition(journal)).toBe(0);
      expect(await journal.loadCheckpoint('totals')).toBeUndefined();
    });

    it('leaves a projection that is behind the journal to catch up', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 2));
      await journal.append([{ streamId: 'a', events: numbered(3, 1) }], { projections: [totals] });
      expect(await journal.readModel('totals')).toEqual({ checkpoint: undefined, documents: [] });

      expect(await journal.projectEvents(totals, await eventsAfter(journal, 0), 0)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({
        checkpoint: { position: 3 },
        documents: [{ id: 'a', doc: { count: 3, sum: 6 } }],
      });
      await journal.append([{ streamId: 'a', events: numbered(4, 1) }], { projections: [totals] });
      expect((await journal.readModel('totals')).documents[0]!.doc).toEqual({ count: 4, sum: 10 });
    });

    it('applies catch-up events only from the expected checkpoint, exactly once', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 3));
      const events = await eventsAfter(journal, 0);
      expect(await journal.projectEvents(totals, events.slice(0, 2), 0)).toBe(true);
      expect(await journal.projectEvents(totals, events.slice(0, 2), 0)).toBe(false);
      expect(await journal.projectEvents(totals, events.slice(2), 2)).toBe(true);
      expect((await journal.readModel('totals')).documents[0]!.doc).toEqual({ count: 3, sum: 6 });
    });

    it('changes nothing when a catch-up projection throws or makes a document that cannot be stored', async () => {
      const journal = await open();
      await persist(journal, 'a', [withN(1, 1), withN(2, 13)]);
      await expect(journal.projectEvents(totals, await eventsAfter(journal, 0), 0)).rejects.toMatchObject({
        code: 'handler-failed',
        handler: 'project',
      });
      const unstorable = { ...totals, evolve: () => ({ callback: () => 1 }) };
      await expect(journal.projectEvents(unstorable, await eventsAfter(journal, 0), 0)).rejects.toMatchObject({
        code: 'handler-failed',
        cause: { code: 'not-cloneable' },
      });
      expect(await journal.readModel('totals')).toEqual({ checkpoint: undefined, documents: [] });
    });

    it('deletes a document when the projection returns undefined', async () => {
      const journal = await open();
      await journal.append([{ streamId: 'a', events: [withN(1, 4)] }], { projections: [totals] });
      await journal.append([{ streamId: 'a', events: [withN(2, -1)] }], { projections: [totals] });
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 2 }, documents: [] });
    });

    it('reads documents by ids, by prefix and up to a limit, in order of id', async () => {
      const journal = await open();
      const writes = ['acc:b', 'acc:a', 'other:c', 'acc:c'].map((streamId) => ({ streamId, events: numbered(1, 1) }));
      await journal.append(writes, { projections: [totals] });
      const ids = async (query: Parameters<EventJournal['readModel']>[1]) =>
        (await journal.readModel('totals', query)).documents.map((d) => d.id);
      expect(await ids({})).toEqual(['acc:a', 'acc:b', 'acc:c', 'other:c']);
      expect(await ids({ prefix: 'acc:', limit: 2 })).toEqual(['acc:a', 'acc:b']);
      expect(await ids({ ids: ['other:c', 'missing', 'acc:b'] })).toEqual(['acc:b', 'other:c']);
      expect(await journal.readModel('nothing')).toEqual({ checkpoint: undefined, documents: [] });
      await expect(journal.readModel('totals', { limit: 0 })).rejects.toMatchObject({ code: 'invalid-argument' });
    });

    it('reads documents whose ids begin with or continue their prefix with U+FFFF', async () => {
      const journal = await open();
      const all = ['\uffff', '\uffffa', 'a\uffff', 'a\uffff\uffffb', 'a', 'ab', 'b'];
      await journal.append(all.map((streamId) => ({ streamId, events: numbered(1, 1) })), { projections: [totals] });
      const ids = async (prefix: string) => (await journal.readModel('totals', { prefix })).documents.map((d) => d.id);
      expect(await ids('')).toEqual([...all].sort());
      expect(await ids('\uffff')).toEqual(['\uffff', '\uffffa']);
      expect(await ids('a\uffff')).toEqual(['a\uffff', 'a\uffff\uffffb']);
      expect(await ids('a')).toEqual(['a', 'ab', 'a\uffff', 'a\uffff\uffffb']);
    });

    it('reports in each stored write the inline projections its transaction updated, with their checkpoints', async () => {
      const journal = await open();
      const [first] = await journal.append([{ streamId: 'a', events: numbered(1, 1) }], { projections: [totals] });
      expect(first).toEqual({ positions: [1], projected: new Map([['totals', { position: 1 }]]) });
      // Behind (an event stored without it): not updated, and not reported.
      await persist(journal, 'a', numbered(2, 1));
      const [behind] = await journal.append([{ streamId: 'a', events: numbered(3, 1) }], { projections: [totals] });
      expect(behind).toMatchObject({ positions: [3] });
      expect((behind as { projected?: Map<string, Checkpoint> }).projected?.has('totals') ?? false).toBe(false);
    });

    it('rebuilds into a shadow: reads keep the served documents, which inline writes keep updating, until it replaces them at once', async () => {
      const journal = await open();
      await journal.append([{ streamId: 'a', events: numbered(1, 3) }], { projections: [totals] });
      expect(await journal.resetProjection('totals')).toBe(3);
      expect(await journal.readModel('totals')).toEqual({
        checkpoint: { position: 3, rebuilding: { position: 0, total: 3 } },
        documents: [{ id: 'a', doc: { count: 3, sum: 6 } }],
      });
      const [outcome] = await journal.append([{ streamId: 'a', events: numbered(4, 1) }], { projections: [totals] });
      const during = { position: 4, rebuilding: { position: 0, total: 3 } };
      expect(outcome).toEqual({ positions: [4], projected: new Map([['totals', during]]) });
      const served = [{ id: 'a', doc: { count: 4, sum: 10 } }];
      expect(await journal.readModel('totals')).toEqual({ checkpoint: during, documents: served });

      // The rebuild runs new code (ten times the sums), so that it shows which copy is served.
      const events = await eventsAfter(journal, 0);
      expect(await journal.projectEvents(tenfold, events.slice(0, 2), 0)).toBe(true);
      expect(await journal.projectEvents(tenfold, events.slice(0, 2), 0)).toBe(false);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 4, rebuilding: { position: 2, total: 3 } }, documents: served });
      // At its total, but behind the served documents: not swapped in yet.
      expect(await journal.projectEvents(tenfold, events.slice(2, 3), 2)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 4, rebuilding: { position: 3, total: 3 } }, documents: served });
      expect(await journal.projectEvents(tenfold, events.slice(3), 3)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 4 }, documents: [{ id: 'a', doc: { count: 4, sum: 100 } }] });
      // A pass that read the checkpoint before the swap finds it moved.
      expect(await journal.projectEvents(tenfold, events.slice(3), 3)).toBe(false);
      const [after] = await journal.append([{ streamId: 'a', events: numbered(5, 1) }], { projections: [tenfold] });
      expect(after).toEqual({ positions: [5], projected: new Map([['totals', { position: 5 }]]) });
      expect((await journal.readModel('totals')).documents).toEqual([{ id: 'a', doc: { count: 5, sum: 150 } }]);
      // A second rebuild swaps back and forth without leftovers of either copy.
      await journal.append([{ streamId: 'b', events: [withN(1, -1)] }]);
      expect(await journal.resetProjection('totals')).toBe(6);
      expect(await journal.projectEvents(totals, await eventsAfter(journal, 0), 0)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 6 }, documents: [{ id: 'a', doc: { count: 5, sum: 15 } }] });
    });

    it('serves nothing of a rebuild that has no documents from before it until it is complete', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 3));
      expect(await journal.resetProjection('totals')).toBe(3);
      const events = await eventsAfter(journal, 0);
      expect(await journal.projectEvents(totals, events.slice(0, 2), 0)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 0, rebuilding: { position: 2, total: 3 } }, documents: [] });
      expect(await journal.projectEvents(totals, events.slice(2), 2)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 3 }, documents: [{ id: 'a', doc: { count: 3, sum: 6 } }] });
    });

    it('starts a rebuild begun again from nothing, dropping the unfinished shadow, and rebuilds nothing of an empty journal', async () => {
      const journal = await open();
      expect(await journal.resetProjection('totals')).toBe(0);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 0 }, documents: [] });
      await journal.append([{ streamId: 'a', events: numbered(1, 3) }], { projections: [totals] });
      await journal.resetProjection('totals');
      const events = await eventsAfter(journal, 0);
      await journal.projectEvents(totals, events.slice(0, 2), 0);
      await journal.resetProjection('totals');
      expect(await journal.loadCheckpoint('totals')).toEqual({ position: 3, rebuilding: { position: 0, total: 3 } });
      expect(await journal.projectEvents(totals, events.slice(2), 2)).toBe(false);
      expect(await journal.projectEvents(totals, events, 0)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 3 }, documents: [{ id: 'a', doc: { count: 3, sum: 6 } }] });
    });

    it('folds a projection that changes its documents in place as its pure equivalent, across a careful retry', async () => {
      const journal = await open();
      const writes = [
        [{ streamId: 'a', events: [withN(1, 1)] }],
        // Two events for one doc; then a write the projection fails on, which makes the journal plan again.
        [{ streamId: 'a', events: [withN(2, 2), withN(3, 3)] }, { streamId: 'b', events: [withN(1, 13)] }, { streamId: 'c', events: [withN(1, 4)] }],
        [{ streamId: 'a', events: [withN(4, 4)] }, { streamId: 'c', events: [withN(2, 5)] }],
      ];
      for (const batch of writes) await journal.append(batch, { projections: [mutating] });
      expect(await journal.readModel('totals')).toEqual({
        checkpoint: { position: 6 },
        documents: [
          { id: 'a', doc: { count: 4, sum: 10 } },
          { id: 'c', doc: { count: 2, sum: 9 } },
        ],
      });
      // Catching up folds the same.
      expect(await journal.resetProjection('totals')).toBe(6);
      expect(await journal.projectEvents(mutating, await eventsAfter(journal, 0), 0)).toBe(true);
      expect((await journal.readModel('totals')).documents).toEqual([
        { id: 'a', doc: { count: 4, sum: 10 } },
        { id: 'c', doc: { count: 2, sum: 9 } },
      ]);
    });
  });
}

/** `totals` with ten times the sums: new code for the same read model. */
const tenfold = defineProjection<Total, { n: number }>({
  ...totals,
  evolve: (total, event) => totals.evolve(total, { ...event, event: { n: event.event.n * 10 } }),
});

/** `totals` written the careless way: it changes the doc it is given and returns it. */
const mutating = defineProjection<{ count: number; sum: number }, { n: number }>({
  name: 'totals',
  documentId: (event) => event.streamId,
  evolve(total, { event }) {
    if (event.n === 13) throw new Error('unlucky event');
    const doc = total ?? { count: 0, sum: 0 };
    doc.count++;
    doc.sum += event.n;
    return doc;
  },
});
