// Positions in commit order, proved on a real server: eight connections append 10,000 events at once while a
// follower, woken by the journal's change notices, reads `loadAfter` its position; it sees every event exactly once,
// none late below its position.
import { type NewEvent, randomId } from 'eventfold';
import { openPostgresDatabase, type PostgresDatabase } from 'eventfold/postgres';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';

const WRITERS = 8;
const TOTAL = 10_000;
const BATCH = 10;

let url: string;
let drop = async () => {};
const databases: PostgresDatabase[] = [];
beforeAll(async () => {
  ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_commit_order'));
});
afterAll(async () => {
  await Promise.all(databases.map((database) => database.close()));
  await drop();
});

const batch = (writer: number, from: number): NewEvent<{ writer: number; n: number }>[] =>
  Array.from({ length: BATCH }, (_, i) => ({
    sequenceNr: from + i,
    event: { writer, n: from + i },
    timestamp: Date.now(),
    eventId: randomId(),
    type: 'counted',
    schemaVersion: 1,
    metadata: {},
  }));

it('gives a follower every event of eight concurrent writers exactly once, in commit order', async () => {
  for (let i = 0; i <= WRITERS; i++) databases.push(await openPostgresDatabase({ connectionString: url, poolSize: 1 }));
  const journals = await Promise.all(databases.map((database) => database.journal('raced')));
  const follower = journals.pop()!;

  // Woken by notices (and by the end of the writing): `dirty` is set by any wake-up since the last read.
  let dirty = false;
  let wake = () => {};
  const woken = () => (dirty ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve)));
  const stop = await follower.watch(() => {
    dirty = true;
    wake();
  });

  let writing = true;
  const writers = journals.map(async (journal, writer) => {
    for (let from = 1; from <= TOTAL / WRITERS; from += BATCH) {
      const [outcome] = await journal.append([{ streamId: `writer-${writer}`, events: batch(writer, from) }]);
      if (!outcome || 'error' in outcome) throw new Error(`writer ${writer} failed: ${JSON.stringify(outcome)}`);
    }
  });
  const allWritten = Promise.all(writers).finally(() => {
    writing = false;
    dirty = true;
    wake();
  });

  const seen: { position: number; stream: string; sequenceNr: number }[] = [];
  let position = 0;
  // Reads whenever woken while the writers write, then once more after the last commit.
  for (;;) {
    const done = !writing;
    dirty = false;
    for (let page = await follower.loadAfter(position, 1_000); page.length > 0; page = await follower.loadAfter(position, 1_000)) {
      for (const event of page) {
        if (event.position <= position) throw new Error(`position ${event.position} after ${position}`);
        position = event.position;
        seen.push({ position, stream: event.streamId, sequenceNr: event.sequenceNr });
      }
    }
    if (done) break;
    await woken();
  }
  await allWritten;
  stop();

  expect(seen).toHaveLength(TOTAL);
  expect(seen.map((event) => event.position)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
  for (let writer = 0; writer < WRITERS; writer++) {
    const sequence = seen.filter((event) => event.stream === `writer-${writer}`).map((event) => event.sequenceNr);
    expect(sequence).toEqual(Array.from({ length: TOTAL / WRITERS }, (_, i) => i + 1));
  }
}, 120_000);
