import {
  createRuntime,
  defineEntity,
  type EntityDefinition,
  type EventJournal,
  type NewEvent,
  persist,
  reject,
  saveSnapshot,
  streamIdOf,
} from 'eventfold';
import { describe, expect, it } from 'vitest';
import { envelope } from './events.ts';
import type { SuiteJournals } from './runtime-idempotency-suite.ts';

interface Tally {
  readonly total: number;
  readonly notes: readonly string[];
}
type TallyCommand = { type: 'add'; amount: number } | { type: 'shout' };
type TallyEvent = { type: 'added'; amount: number; note: string } | { type: 'shouted' };

/** The `added` event's schema: v1 `increased` with `by`, v2 `added` with `amount`, v3 with a `note`. */
const addedSchema = (fromV2 = (old: { type: 'added'; amount: number }) => ({ ...old, note: 'upcast' })) =>
  ({
    version: 3,
    aliases: ['increased'],
    upcast: { 1: (old: { by: number }) => ({ type: 'added', amount: old.by }), 2: fromV2 },
  }) as const;

/**
 * A tally whose `added` event went through three versions: v1 was called `increased` and had `by`; v2 renamed it
 * `added` with `amount`; v3 added a `note`.
 */
const tally = (overrides: Partial<EntityDefinition<Tally, TallyCommand, TallyEvent>> = {}) =>
  defineEntity<Tally, TallyCommand, TallyEvent>({
    initialState: () => ({ total: 0, notes: [] }),
    decide: (command) =>
      command.type === 'add'
        ? command.amount > 0
          ? [{ type: 'added', amount: command.amount, note: 'v3' }]
          : reject('amounts are positive')
        : [{ type: 'shouted' }],
    evolve: (state, event) =>
      event.type === 'added' ? { total: state.total + event.amount, notes: [...state.notes, event.note] } : state,
    events: { added: addedSchema(), shouted: {} },
    ...overrides,
  });

const stream = (id: string) => streamIdOf('tally', id);
const stored = (sequenceNr: number, type: string, schemaVersion: number, event: unknown): NewEvent => ({
  ...envelope(sequenceNr, event),
  type,
  schemaVersion,
});
/** Three generations of one event, as the journal holds them: 3 + 4 + 5 = 12. */
const history = [
  stored(1, 'increased', 1, { type: 'increased', by: 3 }),
  stored(2, 'added', 2, { type: 'added', amount: 4 }),
  stored(3, 'added', 3, { type: 'added', amount: 5, note: 'v3' }),
];

/** Event upcasting, unknown events and snapshot migrations, over one journal implementation. */
export function describeSchemaEvolution({ open }: SuiteJournals): void {
  const runtimeOver = (journal: EventJournal, definition = tally(), onError?: (error: unknown) => void) =>
    createRuntime({ journal, entities: { tally: definition }, ...(onError && { onError }) });

  describe('event schema evolution', () => {
    it('upcasts stored events one version at a time, under their current name, and keeps them as stored', async () => {
      const journal = await open();
      await persist(journal, stream('t'), history);
      const runtime = runtimeOver(journal);
      expect(await runtime.state('tally', 't')).toEqual({ state: { total: 12, notes: ['upcast', 'upcast', 'v3'] }, sequenceNr: 3 });
      const events = await runtime.events('tally', 't');
      expect(events.map(({ type, schemaVersion, event }) => ({ type, schemaVersion, event }))).toEqual([
        { type: 'added', schemaVersion: 3, event: { type: 'added', amount: 3, note: 'upcast' } },
        { type: 'added', schemaVersion: 3, event: { type: 'added', amount: 4, note: 'upcast' } },
        { type: 'added', schemaVersion: 3, event: { type: 'added', amount: 5, note: 'v3' } },
      ]);
      expect((await runtime.stateAt('tally', 't', 2)).state.total).toBe(7);
      expect((await journal.load(stream('t'))).map(({ type, schemaVersion }) => [type, schemaVersion])).toEqual([
        ['increased', 1],
        ['added', 2],
        ['added', 3],
      ]);
      const next = await runtime.send('tally', 't', { type: 'add', amount: 1 });
      expect(next.events[0]).toMatchObject({ type: 'added', schemaVersion: 3 });
    });

    it.each([
      ['an upcaster chain with a gap', { added: { version: 3, upcast: { 1: (e: unknown) => e } } }, 'no upcaster from v2 to v3'],
      ['a name used twice', { added: {}, shouted: { aliases: ['added'] } }, '"added" belongs to both'],
      ['a version that is not a positive integer', { added: { version: 1.5 } }, 'version 1.5'],
    ])('refuses at start %s', (_, events, detail) => {
      const definition = tally({ events } as never);
      expect(() => createRuntime({ journal: null as never, entities: { tally: definition } })).toThrow(
        expect.objectContaining({ code: 'invalid-schema', entityType: 'tally', message: expect.stringContaining(detail) }),
      );
    });

    it('refuses an event of a type this build does not know, on that entity only, changing nothing', async () => {
      const journal = await open();
      await persist(journal, stream('t'), [history[0]!, stored(2, 'refunded', 1, { type: 'refunded', amount: 1 })]);
      await persist(journal, stream('other'), [stored(1, 'added', 3, { type: 'added', amount: 5, note: 'v3' })]);
      const runtime = runtimeOver(journal);
      const expected = {
        code: 'unknown-event-type',
        entityType: 'tally',
        entityId: 't',
        streamId: stream('t'),
        type: 'refunded',
        sequenceNr: 2,
      };
      await expect(runtime.state('tally', 't')).rejects.toMatchObject(expected);
      await expect(runtime.send('tally', 't', { type: 'add', amount: 1 })).rejects.toMatchObject(expected);
      await expect(runtime.events('tally', 't')).rejects.toMatchObject(expected);
      expect(await journal.highestSequenceNr(stream('t'))).toBe(2);
      expect(await runtime.send('tally', 'other', { type: 'add', amount: 1 })).toMatchObject({ state: { total: 6 } });
    });

    it('refuses an event of a newer version than this build reads', async () => {
      const journal = await open();
      await persist(journal, stream('t'), [stored(1, 'added', 4, { type: 'added', amount: 1, note: 'x', extra: true })]);
      await expect(runtimeOver(journal).state('tally', 't')).rejects.toMatchObject({
        code: 'unknown-event-type',
        schemaVersion: 4,
        message: expect.stringContaining('reads up to v3'),
      });
    });

    it('reports an upcaster that throws as a handler error, and reads the events once it is fixed', async () => {
      const journal = await open();
      await persist(journal, stream('t'), history);
      const broken = tally();
      const events = { added: addedSchema(() => { throw new Error('bad upcaster'); }), shouted: {} };
      const runtime = runtimeOver(journal, { ...broken, events });
      await expect(runtime.state('tally', 't')).rejects.toMatchObject({
        code: 'handler-failed',
        handler: 'upcast',
        message: expect.stringContaining('bad upcaster'),
      });
      expect(await journal.highestSequenceNr(stream('t'))).toBe(3);
      expect((await runtimeOver(journal).state('tally', 't')).state.total).toBe(12);
    });

    it('refuses an event that decide returns under a type not in the registry, storing nothing', async () => {
      const journal = await open();
      // A registry without `shouted`, which the types refuse: the runtime refuses it too.
      const runtime = runtimeOver(journal, tally({ events: { added: { version: 1 } } as never }));
      await expect(runtime.send('tally', 't', { type: 'shout' })).rejects.toMatchObject({ code: 'unknown-event-type', type: 'shouted' });
      expect(await journal.highestSequenceNr(stream('t'))).toBe(0);
    });
  });

  describe('snapshot migrations', () => {
    // Version 1 of the state was `{ sum }`; version 2 renamed it to `total`; version 3 added `notes`.
    const migrations = {
      1: (state: { sum: number }) => ({ total: state.sum }),
      2: (state: { total: number }) => ({ total: state.total, notes: ['migrated'] }),
    };

    it('migrates an old snapshot step by step, and stores new snapshots at the current version', async () => {
      const journal = await open();
      await persist(journal, stream('t'), history);
      await saveSnapshot(journal, stream('t'), { sequenceNr: 2, state: { sum: 7 }, timestamp: 1, schemaVersion: 1 });
      const runtime = runtimeOver(journal, tally({ stateVersion: 3, migrations, snapshotPolicy: { shouldSnapshot: () => true } }));
      expect((await runtime.state('tally', 't')).state).toEqual({ total: 12, notes: ['migrated', 'v3'] });
      await runtime.send('tally', 't', { type: 'add', amount: 1 });
      expect(await journal.loadSnapshot(stream('t'))).toMatchObject({ sequenceNr: 4, schemaVersion: 3, state: { total: 13 } });
    });

    it.each([
      ['no complete migration chain', { stateVersion: 3, migrations: { 2: migrations[2] } }, 1],
      ['a newer version than this build', { stateVersion: 3, migrations }, 4],
    ])('ignores a snapshot with %s and rebuilds the state from the events', async (_, overrides, snapshotVersion) => {
      const journal = await open();
      await persist(journal, stream('t'), history);
      await saveSnapshot(journal, stream('t'), { sequenceNr: 2, state: 'garbage', timestamp: 1, schemaVersion: snapshotVersion });
      const runtime = runtimeOver(journal, tally(overrides));
      expect((await runtime.state('tally', 't')).state).toEqual({ total: 12, notes: ['upcast', 'upcast', 'v3'] });
      expect((await runtime.stateAt('tally', 't', 2)).state.total).toBe(7);
    });

    it('ignores a snapshot whose migration throws, reports why, and rebuilds from the events', async () => {
      const journal = await open();
      await persist(journal, stream('t'), history);
      await saveSnapshot(journal, stream('t'), { sequenceNr: 3, state: { sum: 12 }, timestamp: 1 });
      const reported: unknown[] = [];
      const failing = { ...migrations, 1: () => { throw new Error('bad migration'); } };
      const runtime = runtimeOver(journal, tally({ stateVersion: 3, migrations: failing }), (error) => reported.push(error));
      expect((await runtime.state('tally', 't')).state).toEqual({ total: 12, notes: ['upcast', 'upcast', 'v3'] });
      expect(reported).toEqual([expect.objectContaining({ message: 'bad migration' })]);
    });
  });
}
