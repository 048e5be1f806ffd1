import type { EventJournal } from '../../core/journal.ts';
import { highestPosition, persist } from '../../core/journal-functions.ts';
import { type Checkpoint, projectionEventOf } from '../../core/projection.ts';
import { assertEqual, assertMatches, assertRejects, containing } from './assertions.ts';
import { everything, mutating, numbered, positionsOf, tenfold, totals, withN } from './fixtures.ts';
import { type Contract, contractOf, type JournalFactory, type TestRunner } from './runner.ts';

/**
 * The read models' contract (`ReadModelStore`, and inline projections through `append`): inline projections in
 * the transaction of their writes, catch-up from a checkpoint exactly once, reads by ids, prefix and limit, and
 * rebuilds into a shadow that replaces the served documents at once, run on the journals `factory` opens with the
 * runner's functions. Checkpoints are compared with the positions the journal gave, whatever they are.
 *
 * ```ts
 * // Mocha, with its globals
 * describeReadModelContract('MyJournal', { open: async () => new MyJournal() }, { describe, it, afterEach });
 * ```
 */
export function describeReadModelContract(name: string, factory: JournalFactory, runner: TestRunner): void {
  runner.describe(`${name} (read model contract)`, () => readModelCases(contractOf(factory, runner)));
}

/** The events after `position` as projections see them. */
async function eventsAfter(journal: EventJournal, position: number) {
  return (await journal.loadAfter(position, 1_000)).map((event) => projectionEventOf(event.streamId, event));
}

/** The global positions of every event of `journal`. */
async function positions(journal: EventJournal): Promise<number[]> {
  return positionsOf(await everything(journal));
}

/** The cases of `describeReadModelContract`, inside the caller's `describe`. */
export function readModelCases({ open, describe, it }: Contract): void {
  describe('read models', () => {
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
      const all = await positions(journal);
      assertEqual(all.length, 4, 'the number of events stored');
      assertEqual(
        await journal.readModel('totals'),
        {
          checkpoint: { position: all[3] },
          documents: [
            { id: 'a', doc: { count: 3, sum: 13 } },
            { id: 'b', doc: { count: 1, sum: 5 } },
          ],
        },
        "readModel('totals')",
      );
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
      const all = await everything(journal);
      assertEqual(all.map((e) => e.streamId), ['a', 'c'], 'the streams of the events stored');
      const [a, c] = positionsOf(all);
      assertMatches(outcomes[0], { positions: [a] }, "the outcome of the write to 'a'");
      assertMatches(
        outcomes[1],
        { error: { code: 'handler-failed', handler: 'project', message: containing('unlucky') } },
        "the outcome of the write to 'b' that the projection fails on",
      );
      assertMatches(outcomes[2], { error: { code: 'conflict', entityId: 'b' } }, "the outcome of the write to 'b' that follows it");
      assertMatches(outcomes[3], { positions: [c] }, "the outcome of the write to 'c'");
      assertEqual(await journal.highestSequenceNr('b'), 0, "highestSequenceNr('b')");
      assertEqual((await journal.readModel('totals')).documents.map((d) => d.id), ['a', 'c'], "the ids of readModel('totals')");
      assertEqual(await journal.loadCheckpoint('totals'), { position: c }, "loadCheckpoint('totals')");
    });

    it('refuses a projection not made with defineProjection with an invalid-argument error, and stores nothing', async () => {
      const journal = await open();
      const { name, documentId, evolve } = totals;
      // What the types refuse (a plain object where a defined projection is expected), the journal refuses too.
      const plain = { name, documentId, evolve } as never;
      const refused = { code: 'invalid-argument', argument: 'projections', message: containing('defineProjection') };
      await assertRejects(
        journal.append([{ streamId: 'a', events: numbered(1, 1) }], { projections: [plain] }),
        refused,
        'an append with a plain projection',
      );
      await assertRejects(journal.projectEvents(plain, [], 0), refused, 'projectEvents with a plain projection');
      assertEqual(await highestPosition(journal), 0, 'highestPosition');
      assertEqual(await journal.loadCheckpoint('totals'), undefined, "loadCheckpoint('totals')");
    });

    it('leaves a projection that is behind the journal to catch up', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 2));
      await journal.append([{ streamId: 'a', events: numbered(3, 1) }], { projections: [totals] });
      assertEqual(await journal.readModel('totals'), { checkpoint: undefined, documents: [] }, "readModel('totals'), behind");

      assertEqual(await journal.projectEvents(totals, await eventsAfter(journal, 0), 0), true, 'projectEvents of every event after 0');
      const all = await positions(journal);
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: all[2] }, documents: [{ id: 'a', doc: { count: 3, sum: 6 } }] },
        "readModel('totals'), caught up",
      );
      await journal.append([{ streamId: 'a', events: numbered(4, 1) }], { projections: [totals] });
      assertEqual((await journal.readModel('totals')).documents[0]!.doc, { count: 4, sum: 10 }, "the doc of 'a', updated inline");
    });

    it('applies catch-up events only from the expected checkpoint, exactly once', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 3));
      const events = await eventsAfter(journal, 0);
      assertEqual(await journal.projectEvents(totals, events.slice(0, 2), 0), true, 'projectEvents of the first two events after 0');
      assertEqual(await journal.projectEvents(totals, events.slice(0, 2), 0), false, 'projectEvents of the same events again');
      const second = events[1]!.position;
      assertEqual(await journal.projectEvents(totals, events.slice(2), second), true, `projectEvents of the third event after ${second}`);
      assertEqual((await journal.readModel('totals')).documents[0]!.doc, { count: 3, sum: 6 }, "the doc of 'a'");
    });

    it('changes nothing when a catch-up projection throws or makes a document that cannot be stored', async () => {
      const journal = await open();
      await persist(journal, 'a', [withN(1, 1), withN(2, 13)]);
      await assertRejects(
        journal.projectEvents(totals, await eventsAfter(journal, 0), 0),
        { code: 'handler-failed', handler: 'project' },
        'projectEvents of an event the projection throws on',
      );
      const unstorable = { ...totals, evolve: () => ({ callback: () => 1 }) };
      await assertRejects(
        journal.projectEvents(unstorable, await eventsAfter(journal, 0), 0),
        { code: 'handler-failed', cause: { code: 'not-cloneable' } },
        'projectEvents of a projection that makes a function',
      );
      assertEqual(await journal.readModel('totals'), { checkpoint: undefined, documents: [] }, "readModel('totals')");
    });

    it('deletes a document when the projection returns undefined', async () => {
      const journal = await open();
      await journal.append([{ streamId: 'a', events: [withN(1, 4)] }], { projections: [totals] });
      await journal.append([{ streamId: 'a', events: [withN(2, -1)] }], { projections: [totals] });
      const all = await positions(journal);
      assertEqual(await journal.readModel('totals'), { checkpoint: { position: all[1] }, documents: [] }, "readModel('totals')");
    });

    it('reads documents by ids, by prefix and up to a limit, in order of id', async () => {
      const journal = await open();
      const writes = ['acc:b', 'acc:a', 'other:c', 'acc:c'].map((streamId) => ({ streamId, events: numbered(1, 1) }));
      await journal.append(writes, { projections: [totals] });
      const ids = async (query: Parameters<EventJournal['readModel']>[1]) =>
        (await journal.readModel('totals', query)).documents.map((d) => d.id);
      assertEqual(await ids({}), ['acc:a', 'acc:b', 'acc:c', 'other:c'], "the ids of readModel('totals', {})");
      assertEqual(await ids({ prefix: 'acc:', limit: 2 }), ['acc:a', 'acc:b'], "the ids of readModel('totals', { prefix: 'acc:', limit: 2 })");
      assertEqual(await ids({ ids: ['other:c', 'missing', 'acc:b'] }), ['acc:b', 'other:c'], "the ids of readModel('totals', { ids })");
      assertEqual(await journal.readModel('nothing'), { checkpoint: undefined, documents: [] }, "readModel('nothing')");
      await assertRejects(journal.readModel('totals', { limit: 0 }), { code: 'invalid-argument' }, "readModel('totals', { limit: 0 })");
    });

    it('reads documents whose ids begin with or continue their prefix with U+FFFF', async () => {
      const journal = await open();
      const all = ['\uffff', '\uffffa', 'a\uffff', 'a\uffff\uffffb', 'a', 'ab', 'b'];
      await journal.append(all.map((streamId) => ({ streamId, events: numbered(1, 1) })), { projections: [totals] });
      const ids = async (prefix: string) => (await journal.readModel('totals', { prefix })).documents.map((d) => d.id);
      assertEqual(await ids(''), [...all].sort(), "the ids of prefix ''");
      assertEqual(await ids('\uffff'), ['\uffff', '\uffffa'], "the ids of prefix '\\uffff'");
      assertEqual(await ids('a\uffff'), ['a\uffff', 'a\uffff\uffffb'], "the ids of prefix 'a\\uffff'");
      assertEqual(await ids('a'), ['a', 'ab', 'a\uffff', 'a\uffff\uffffb'], "the ids of prefix 'a'");
    });

    it('reports in each stored write the inline projections its transaction updated, with their checkpoints', async () => {
      const journal = await open();
      const [first] = await journal.append([{ streamId: 'a', events: numbered(1, 1) }], { projections: [totals] });
      const [p1] = await positions(journal);
      assertEqual(first, { positions: [p1], projected: new Map([['totals', { position: p1 }]]) }, 'the outcome of an inline write');
      // Behind (an event stored without it): not updated, and not reported.
      await persist(journal, 'a', numbered(2, 1));
      const [behind] = await journal.append([{ streamId: 'a', events: numbered(3, 1) }], { projections: [totals] });
      const p3 = (await positions(journal))[2];
      assertMatches(behind, { positions: [p3] }, 'the outcome of a write of a projection behind');
      assertEqual(
        (behind as { projected?: Map<string, Checkpoint> }).projected?.has('totals') ?? false,
        false,
        'whether the outcome of a write of a projection behind reports it',
      );
    });

    it('rebuilds into a shadow: reads keep the served documents, which inline writes keep updating, until it replaces them at once', async () => {
      const journal = await open();
      await journal.append([{ streamId: 'a', events: numbered(1, 3) }], { projections: [totals] });
      let p = await positions(journal);
      assertEqual(await journal.resetProjection('totals'), p[2], 'resetProjection: the highest position');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: p[2], rebuilding: { position: 0, total: p[2] } }, documents: [{ id: 'a', doc: { count: 3, sum: 6 } }] },
        "readModel('totals') at the start of a rebuild",
      );
      const [outcome] = await journal.append([{ streamId: 'a', events: numbered(4, 1) }], { projections: [totals] });
      p = await positions(journal);
      const during = { position: p[3], rebuilding: { position: 0, total: p[2] } };
      assertEqual(outcome, { positions: [p[3]], projected: new Map([['totals', during]]) }, 'the outcome of an inline write during the rebuild');
      const served = [{ id: 'a', doc: { count: 4, sum: 10 } }];
      assertEqual(await journal.readModel('totals'), { checkpoint: during, documents: served }, "readModel('totals') during the rebuild");

      // The rebuild runs new code (ten times the sums), so that it shows which copy is served.
      const events = await eventsAfter(journal, 0);
      assertEqual(await journal.projectEvents(tenfold, events.slice(0, 2), 0), true, 'projectEvents of the first two events into the shadow');
      assertEqual(await journal.projectEvents(tenfold, events.slice(0, 2), 0), false, 'projectEvents of the same events again');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: p[3], rebuilding: { position: p[1], total: p[2] } }, documents: served },
        "readModel('totals') with the shadow at the second event",
      );
      // At its total, but behind the served documents: not swapped in yet.
      assertEqual(await journal.projectEvents(tenfold, events.slice(2, 3), p[1]!), true, 'projectEvents of the third event into the shadow');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: p[3], rebuilding: { position: p[2], total: p[2] } }, documents: served },
        "readModel('totals') with the shadow at its total, behind the served documents",
      );
      assertEqual(await journal.projectEvents(tenfold, events.slice(3), p[2]!), true, 'projectEvents of the fourth event into the shadow');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: p[3] }, documents: [{ id: 'a', doc: { count: 4, sum: 100 } }] },
        "readModel('totals') once the shadow replaced the served documents",
      );
      // A pass that read the checkpoint before the swap finds it moved.
      assertEqual(await journal.projectEvents(tenfold, events.slice(3), p[2]!), false, 'projectEvents from before the swap');
      const [after] = await journal.append([{ streamId: 'a', events: numbered(5, 1) }], { projections: [tenfold] });
      p = await positions(journal);
      assertEqual(after, { positions: [p[4]], projected: new Map([['totals', { position: p[4] }]]) }, 'the outcome of an inline write after the swap');
      assertEqual((await journal.readModel('totals')).documents, [{ id: 'a', doc: { count: 5, sum: 150 } }], "the documents of readModel('totals')");
      // A second rebuild swaps back and forth without leftovers of either copy.
      await journal.append([{ streamId: 'b', events: [withN(1, -1)] }]);
      p = await positions(journal);
      assertEqual(await journal.resetProjection('totals'), p[5], 'resetProjection: the highest position, again');
      assertEqual(await journal.projectEvents(totals, await eventsAfter(journal, 0), 0), true, 'projectEvents of every event into the second shadow');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: p[5] }, documents: [{ id: 'a', doc: { count: 5, sum: 15 } }] },
        "readModel('totals') after the second rebuild",
      );
    });

    it('serves nothing of a rebuild that has no documents from before it until it is complete', async () => {
      const journal = await open();
      await persist(journal, 'a', numbered(1, 3));
      const p = await positions(journal);
      assertEqual(await journal.resetProjection('totals'), p[2], 'resetProjection: the highest position');
      const events = await eventsAfter(journal, 0);
      assertEqual(await journal.projectEvents(totals, events.slice(0, 2), 0), true, 'projectEvents of the first two events');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: 0, rebuilding: { position: p[1], total: p[2] } }, documents: [] },
        "readModel('totals') during the rebuild",
      );
      assertEqual(await journal.projectEvents(totals, events.slice(2), p[1]!), true, 'projectEvents of the third event');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: p[2] }, documents: [{ id: 'a', doc: { count: 3, sum: 6 } }] },
        "readModel('totals') after the rebuild",
      );
    });

    it('starts a rebuild begun again from nothing, dropping the unfinished shadow, and rebuilds nothing of an empty journal', async () => {
      const journal = await open();
      assertEqual(await journal.resetProjection('totals'), 0, 'resetProjection of an empty journal');
      assertEqual(await journal.readModel('totals'), { checkpoint: { position: 0 }, documents: [] }, "readModel('totals') of an empty journal");
      await journal.append([{ streamId: 'a', events: numbered(1, 3) }], { projections: [totals] });
      const p = await positions(journal);
      await journal.resetProjection('totals');
      const events = await eventsAfter(journal, 0);
      await journal.projectEvents(totals, events.slice(0, 2), 0);
      await journal.resetProjection('totals');
      assertEqual(
        await journal.loadCheckpoint('totals'),
        { position: p[2], rebuilding: { position: 0, total: p[2] } },
        "loadCheckpoint('totals') after the rebuild began again",
      );
      assertEqual(await journal.projectEvents(totals, events.slice(2), p[1]!), false, 'projectEvents from where the dropped shadow was');
      assertEqual(await journal.projectEvents(totals, events, 0), true, 'projectEvents of every event');
      assertEqual(
        await journal.readModel('totals'),
        { checkpoint: { position: p[2] }, documents: [{ id: 'a', doc: { count: 3, sum: 6 } }] },
        "readModel('totals') after the rebuild",
      );
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
      const p = await positions(journal);
      assertEqual(p.length, 6, 'the number of events stored');
      const folded = [
        { id: 'a', doc: { count: 4, sum: 10 } },
        { id: 'c', doc: { count: 2, sum: 9 } },
      ];
      assertEqual(await journal.readModel('totals'), { checkpoint: { position: p[5] }, documents: folded }, "readModel('totals')");
      // Catching up folds the same.
      assertEqual(await journal.resetProjection('totals'), p[5], 'resetProjection: the highest position');
      assertEqual(await journal.projectEvents(mutating, await eventsAfter(journal, 0), 0), true, 'projectEvents of every event');
      assertEqual((await journal.readModel('totals')).documents, folded, "the documents of readModel('totals') after the rebuild");
    });
  });
}
