// Two journals in one database never see each other's events, snapshots, idempotency keys, read models or change
// notices: on PGlite and on a real server.
import { type NewEvent, persist, projectionEventOf, randomId, saveSnapshot } from 'eventfold';
import type { PostgresDatabase, PostgresJournal } from 'eventfold/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTargets } from '../test-support/postgres-targets.ts';
import { totals } from '../test-support/totals.ts';

const events = (from: number, count: number): NewEvent<{ n: number }>[] =>
  Array.from({ length: count }, (_, i) => ({
    sequenceNr: from + i,
    event: { n: from + i },
    timestamp: 1,
    eventId: randomId(),
    type: 'numbered',
    schemaVersion: 1,
    metadata: {},
  }));
const record = (key: string) => ({ key, fingerprint: 'f', commandId: 'c', fromSequenceNr: 1, toSequenceNr: 2, timestamp: 1 });

/** Resolves when `listener` has been called `count` times. */
function calls(count: number) {
  let seen = 0;
  let done = () => {};
  const reached = new Promise<void>((resolve) => (done = resolve));
  return {
    listener: () => {
      if (++seen >= count) done();
    },
    reached,
    get seen() {
      return seen;
    },
  };
}

function describeIsolation(name: string, open: () => Promise<{ database: PostgresDatabase; done: () => Promise<void> }>) {
  describe(`journals in one database, on ${name}`, () => {
    let database: PostgresDatabase;
    let done = async () => {};
    beforeAll(async () => {
      ({ database, done } = await open());
    }, 60_000);
    afterAll(() => done());

    const pair = async (): Promise<[PostgresJournal, PostgresJournal]> => {
      const tag = randomId();
      return [await database.journal(`a-${tag}`), await database.journal(`b-${tag}`)];
    };

    it('keep their events, stream heads, positions, snapshots and idempotency keys apart', async () => {
      const [a, b] = await pair();
      await a.append([{ streamId: 's', events: events(1, 3), snapshot: { sequenceNr: 3, state: 'a', timestamp: 1 }, idempotency: [record('k')] }]);
      expect(await b.append([{ streamId: 's', events: events(1, 2), idempotency: [record('k')] }])).toEqual([{ positions: [1, 2] }]);
      await saveSnapshot(b, 's', { sequenceNr: 1, state: 'b', timestamp: 1 });
      expect((await a.load('s')).map((e) => e.event)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect((await b.load('s')).map((e) => e.position)).toEqual([1, 2]);
      expect(await a.highestSequenceNr('s')).toBe(3);
      expect(await b.highestSequenceNr('s')).toBe(2);
      expect((await b.loadAfter(0, 10)).map((e) => e.sequenceNr)).toEqual([1, 2]);
      expect(await a.listSnapshots('s')).toEqual([3]);
      expect(await b.loadSnapshot('s')).toMatchObject({ sequenceNr: 1, state: 'b' });
      expect(await a.findIdempotencyRecord('s', 'k')).toEqual(record('k'));
      await persist(a, 'only-a', events(4, 1).map((e) => ({ ...e, sequenceNr: 1 })));
      expect(await a.streamIds()).toEqual(['only-a', 's']);
      expect(await b.streamIds()).toEqual(['s']);
    });

    it('take event ids of their own: an id one journal stores is free in another', async () => {
      const [a, b] = await pair();
      const [event] = events(1, 1);
      await persist(a, 's', [event!]);
      await persist(b, 's', [event!]);
      const [again] = await a.append([{ streamId: 't', events: [event!] }]);
      expect(again).toMatchObject({ error: { code: 'conflict', message: expect.stringContaining('is taken') } });
    });

    it('keep their read models and checkpoints apart, rebuilds included', async () => {
      const [a, b] = await pair();
      await a.append([{ streamId: 's', events: events(1, 2) }], { projections: [totals] });
      await b.append([{ streamId: 's', events: events(1, 1) }], { projections: [totals] });
      expect(await a.readModel('totals')).toEqual({ checkpoint: { position: 2 }, documents: [{ id: 's', doc: { count: 2, sum: 3 } }] });
      expect(await b.readModel('totals')).toEqual({ checkpoint: { position: 1 }, documents: [{ id: 's', doc: { count: 1, sum: 1 } }] });
      expect(await a.resetProjection('totals')).toBe(2);
      const all = (await a.loadAfter(0, 10)).map((event) => projectionEventOf(event.streamId, event));
      expect(await a.projectEvents(totals, all, 0)).toBe(true);
      expect(await b.loadCheckpoint('totals')).toEqual({ position: 1 });
      expect((await b.readModel('totals')).documents).toEqual([{ id: 's', doc: { count: 1, sum: 1 } }]);
      expect(await a.readModel('totals')).toEqual({ checkpoint: { position: 2 }, documents: [{ id: 's', doc: { count: 2, sum: 3 } }] });
    });

    it('wake only the watchers of the journal that changed', async () => {
      const [a, b] = await pair();
      const ofA = calls(2);
      const ofB = calls(1);
      const stopA = await a.watch(ofA.listener);
      const stopB = await b.watch(ofB.listener);
      await persist(a, 's', events(1, 1));
      await persist(a, 's', events(2, 1));
      await ofA.reached;
      expect(ofB.seen).toBe(0);
      await persist(b, 's', events(1, 1));
      await ofB.reached;
      expect(ofA.seen).toBe(2);
      stopA();
      stopB();
    });
  });
}

for (const [name, open] of postgresTargets('eventfold_isolation')) describeIsolation(name, open);
