// The one-statement append (planned on what a handle knows, its guesses checked by the tables' keys) against the
// in-memory journal: two handles of one PostgreSQL journal take turns on random calls (right, stale and skipping
// sequence numbers, streams another handle started, idempotency keys and event ids used before, snapshots), and
// each call must end as it does on the in-memory journal, which plans every call on everything it holds. The port is
// counted, to show that every way of the one-statement append was taken: stored, refused by a claim another write
// came before, and refused by a wrong guess.
import { type AppendOutcome, type EventJournal, InMemoryJournal, type NewEvent, type StreamWrite } from 'eventfold';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';
import { envelope } from '../test-support/events.ts';
import { runSeed, seededRandom } from '../test-support/seeded-random.ts';
import { openPgAdapter } from './pg-adapter.ts';
import { openPgliteAdapter } from './pglite-adapter.ts';
import { PostgresDatabase } from './postgres-database.ts';
import { prepareSchema } from './schema.ts';
import type { Row, SqlPort } from './sql-port.ts';

const SEED = runSeed(process.env);
const CALLS = 300;
const STREAMS = ['a', 'b', 'c', '__proto__'];

/** How the port's one-statement writes ended. */
interface Counts {
  stored: number;
  claimLost: number;
  refused: number;
}

/** `port`, with its one-statement writes counted. */
function counted(port: SqlPort, counts: Counts): SqlPort {
  return {
    ...port,
    async write<R = Row>(text: string, params: readonly unknown[]) {
      try {
        const rows = await port.write<R>(text, params);
        if (rows.length > 0) counts.stored++;
        else counts.claimLost++;
        return rows;
      } catch (error) {
        counts.refused++;
        throw error;
      }
    },
  };
}

/** What an outcome says, comparable across journals: its positions, or its error's code. */
const said = (outcome: AppendOutcome) => ('error' in outcome ? { code: (outcome.error as { code?: string }).code } : outcome);

/**
 * A random call of one to three writes, made against what `reference` holds; some take an event id of `stored`
 * (those are in `reused`).
 */
async function randomCall(random: () => number, reference: EventJournal, stored: readonly string[], reused: Set<StreamWrite>): Promise<StreamWrite[]> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const writes: StreamWrite[] = [];
  for (let w = 1 + Math.floor(random() * 3); w > 0; w--) {
    const streamId = pick(STREAMS);
    const head = (await reference.highestSequenceNr(streamId)) + writes.filter((write) => write.streamId === streamId).reduce((n, write) => n + write.events.length, 0);
    const roll = random();
    // Mostly the next sequence number; else one that was taken, one past a gap, or the stream's first.
    const from = roll < 0.7 ? head + 1 : roll < 0.8 ? Math.max(1, head) : roll < 0.9 ? head + 2 : 1;
    const events: NewEvent[] = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, i) => envelope(from + i, { n: from + i }));
    const reuse = stored.length > 0 && random() < 0.08;
    if (reuse) events[0] = { ...events[0]!, eventId: pick(stored) };
    const last = from + events.length - 1;
    const key = random() < 0.25 ? `key-${Math.floor(random() * 4)}` : undefined;
    const write: StreamWrite = {
      streamId,
      events,
      ...(random() < 0.2 && { snapshot: { sequenceNr: last, state: { at: last, tags: new Set([streamId]) }, timestamp: 7 } }),
      ...(key && { idempotency: [{ key, fingerprint: `print-${key}`, commandId: `command-${last}`, fromSequenceNr: from, toSequenceNr: last, timestamp: 5 }] }),
    };
    if (reuse) reused.add(write);
    writes.push(write);
  }
  return writes;
}

/**
 * How the call should end on a journal that keeps event ids unique: a write with a stored event id refused with a
 * conflict, the others as the in-memory journal (which does not) ends them without it. Appends them to `reference`.
 */
async function expectedOutcomes(reference: EventJournal, writes: readonly StreamWrite[], reused: ReadonlySet<StreamWrite>, stored: string[]) {
  const kept = writes.filter((write) => !reused.has(write));
  const outcomes = await reference.append(kept);
  kept.forEach((write, i) => {
    if ('positions' in outcomes[i]!) stored.push(...write.events.map((event) => event.eventId));
  });
  return writes.map((write) => (reused.has(write) ? { code: 'conflict' } : said(outcomes[kept.indexOf(write)]!)));
}

/** Runs the random calls on two handles of one journal and on the in-memory journal, comparing every outcome. */
async function compare(database: PostgresDatabase, counts: Counts): Promise<void> {
  console.info(`append at once: seed ${SEED} (EVENTFOLD_SEED=${SEED} replays it)`);
  const random = seededRandom(SEED);
  const handles = [await database.journal('compared'), await database.journal('compared')];
  const reference = new InMemoryJournal();
  const stored: string[] = [];
  let current = 0;
  try {
    for (let call = 0; call < CALLS; call++) {
      const reused = new Set<StreamWrite>();
      const writes = await randomCall(random, reference, stored, reused);
      // Mostly the handle that wrote last, whose next append can be one statement.
      if (random() < 0.25) current = 1 - current;
      const handle = handles[current]!;
      const expected = await expectedOutcomes(reference, writes, reused, stored);
      expect((await handle.append(writes)).map(said), `call ${call} of seed ${SEED}`).toEqual(expected);
    }
    expect(await handles[0]!.loadAfter(0, 10_000)).toEqual(await reference.loadAfter(0, 10_000));
    for (const streamId of STREAMS) {
      expect(await handles[1]!.listSnapshots(streamId)).toEqual(await reference.listSnapshots(streamId));
      expect(await handles[1]!.loadSnapshot(streamId)).toEqual(await reference.loadSnapshot(streamId));
      for (let key = 0; key < 4; key++) {
        expect(await handles[0]!.findIdempotencyRecord(streamId, `key-${key}`)).toEqual(await reference.findIdempotencyRecord(streamId, `key-${key}`));
      }
    }
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
  }
  expect(counts.stored).toBeGreaterThan(0);
  expect(counts.claimLost).toBeGreaterThan(0);
  expect(counts.refused).toBeGreaterThan(0);
}

describe('on PGlite', () => {
  const counts: Counts = { stored: 0, claimLost: 0, refused: 0 };
  let database: PostgresDatabase;
  beforeAll(async () => {
    const port = counted(await openPgliteAdapter(undefined), counts);
    await prepareSchema(port, 'eventfold', true);
    database = new PostgresDatabase('eventfold', port, () => {});
  });
  afterAll(() => database?.close());

  it('ends every call of two handles as the in-memory journal does, and stores what it stores', () => compare(database, counts), 60_000);
});

describe('on a server', () => {
  const counts: Counts = { stored: 0, claimLost: 0, refused: 0 };
  let database: PostgresDatabase;
  let drop = async () => {};
  beforeAll(async () => {
    let url: string;
    ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_append_at_once'));
    const port = counted(await openPgAdapter({ connectionString: url, poolSize: 4, onError: () => {} }), counts);
    await prepareSchema(port, 'eventfold', true);
    database = new PostgresDatabase('eventfold', port, () => {}, 4);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await drop();
  });

  it('ends every call of two handles as the in-memory journal does, and stores what it stores', () => compare(database, counts), 60_000);
});
