import { type EventJournal, projectionEventOf } from 'eventfold';
import { describe, expect, it } from 'vitest';
import { envelope, numbered } from './events.ts';
import { totals } from './totals.ts';

/** The read-model half of the `EventJournal` contract: inline and catch-up projections, reads, resets. */
export function describeReadModelContract(open: () => Promise<EventJournal>): void {
  describe('read models', () => {
    const withN = (sequenceNr: number, n: number) => envelope(sequenceNr, { n });
    const eventsAfter = async (journal: EventJournal, position: number) =>
      (await journal.loadAfter(position, 1_000)).map((event) => projectionEventOf(event.entityId, event));

    it('updates an inline projection that is caught up, in the transaction of the writes', async () => {
      const journal = await open();
      const projections = [totals];
      await journal.persistMany([{ entityId: 'a', events: numbered(1, 2) }], { projections });
      await journal.persistMany(
        [
          { entityId: 'a', events: [withN(3, 10)] },
          { entityId: 'b', events: [withN(1, 5)] },
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
      const outcomes = await journal.persistMany(
        [
          { entityId: 'a', events: [withN(1, 1)] },
          { entityId: 'b', events: [withN(1, 13)] },
          { entityId: 'b', events: [withN(2, 2)] },
          { entityId: 'c', events: [withN(1, 3)] },
        ],
        { projections: [totals] },
      );
      expect(outcomes[0]).toEqual({ positions: [1] });
      expect(outcomes[1]).toMatchObject({ error: { code: 'handler-failed', handler: 'project', message: expect.stringContaining('unlucky') } });
      expect(outcomes[2]).toMatchObject({ error: { code: 'conflict', entityId: 'b' } });
      expect(outcomes[3]).toEqual({ positions: [2] });
      expect(await journal.highestSequenceNr('b')).toBe(0);
      expect((await journal.readModel('totals')).documents.map((d) => d.id)).toEqual(['a', 'c']);
      expect(await journal.loadCheckpoint('totals')).toEqual({ position: 2 });
    });

    it('leaves a projection that is behind the journal to catch up', async () => {
      const journal = await open();
      await journal.persist('a', numbered(1, 2));
      await journal.persistMany([{ entityId: 'a', events: numbered(3, 1) }], { projections: [totals] });
      expect(await journal.readModel('totals')).toEqual({ checkpoint: undefined, documents: [] });

      expect(await journal.projectEvents(totals, await eventsAfter(journal, 0), 0)).toBe(true);
      expect(await journal.readModel('totals')).toEqual({
        checkpoint: { position: 3 },
        documents: [{ id: 'a', doc: { count: 3, sum: 6 } }],
      });
      await journal.persistMany([{ entityId: 'a', events: numbered(4, 1) }], { projections: [totals] });
      expect((await journal.readModel('totals')).documents[0]!.doc).toEqual({ count: 4, sum: 10 });
    });

    it('applies catch-up events only from the expected checkpoint, exactly once', async () => {
      const journal = await open();
      await journal.persist('a', numbered(1, 3));
      const events = await eventsAfter(journal, 0);
      expect(await journal.projectEvents(totals, events.slice(0, 2), 0)).toBe(true);
      expect(await journal.projectEvents(totals, events.slice(0, 2), 0)).toBe(false);
      expect(await journal.projectEvents(totals, events.slice(2), 2)).toBe(true);
      expect((await journal.readModel('totals')).documents[0]!.doc).toEqual({ count: 3, sum: 6 });
    });

    it('changes nothing when a catch-up projection throws or makes a document that cannot be stored', async () => {
      const journal = await open();
      await journal.persist('a', [withN(1, 1), withN(2, 13)]);
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
      await journal.persistMany([{ entityId: 'a', events: [withN(1, 4)] }], { projections: [totals] });
      await journal.persistMany([{ entityId: 'a', events: [withN(2, -1)] }], { projections: [totals] });
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 2 }, documents: [] });
    });

    it('reads documents by ids, by prefix and up to a limit, in order of id', async () => {
      const journal = await open();
      const writes = ['acc:b', 'acc:a', 'other:c', 'acc:c'].map((entityId) => ({ entityId, events: numbered(1, 1) }));
      await journal.persistMany(writes, { projections: [totals] });
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
      await journal.persistMany(all.map((entityId) => ({ entityId, events: numbered(1, 1) })), { projections: [totals] });
      const ids = async (prefix: string) => (await journal.readModel('totals', { prefix })).documents.map((d) => d.id);
      expect(await ids('')).toEqual([...all].sort());
      expect(await ids('\uffff')).toEqual(['\uffff', '\uffffa']);
      expect(await ids('a\uffff')).toEqual(['a\uffff', 'a\uffff\uffffb']);
      expect(await ids('a')).toEqual(['a', 'ab', 'a\uffff', 'a\uffff\uffffb']);
    });

    it('resets a read model for a rebuild, which is over when it reaches the head it started from', async () => {
      const journal = await open();
      await journal.persistMany([{ entityId: 'a', events: numbered(1, 3) }], { projections: [totals] });
      expect(await journal.resetProjection('totals')).toBe(3);
      expect(await journal.readModel('totals')).toEqual({ checkpoint: { position: 0, rebuilding: { total: 3 } }, documents: [] });
      // Inline updates wait while the read model is rebuilt.
      await journal.persistMany([{ entityId: 'a', events: numbered(4, 1) }], { projections: [totals] });
      const events = await eventsAfter(journal, 0);
      await journal.projectEvents(totals, events.slice(0, 2), 0);
      expect(await journal.loadCheckpoint('totals')).toEqual({ position: 2, rebuilding: { total: 3 } });
      await journal.projectEvents(totals, events.slice(2), 2);
      expect(await journal.readModel('totals')).toEqual({
        checkpoint: { position: 4 },
        documents: [{ id: 'a', doc: { count: 4, sum: 10 } }],
      });
    });
  });
}
