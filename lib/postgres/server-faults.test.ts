// Faults on a real server: a connection lost in the middle of an append (one in a transaction, one that is a single
// statement), a deadlock the server breaks by aborting the journal's transaction, the listening connection lost, a
// server restart. The first three are set up with a second connection that holds a lock the append needs, so that
// the fault strikes at a known step; the tests wait on what `pg_stat_activity` shows, never on time.
import { persist, randomId } from 'eventfold';
import { openPostgresDatabase, openPostgresJournal, type PostgresDatabase, type PostgresJournal } from 'eventfold/postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, inject, it } from 'vitest';
import { freshDatabase, startPostgres } from '../../tools/postgres-server.mjs';
import { numbered } from '../test-support/events.ts';

let url: string;
let drop = async () => {};
let database: PostgresDatabase;
const clients: pg.Client[] = [];
beforeAll(async () => {
  ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_faults'));
  database = await openPostgresDatabase({ connectionString: url });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
});
afterAll(async () => {
  await database?.close();
  await drop();
});

/** A connection of the test's own, outside the journal's pool. */
async function connection(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'eventfold-test' });
  client.on('error', () => {});
  await client.connect();
  clients.push(client);
  return client;
}

/** The process id of the journal's connection once it waits for a lock in a statement matching `pattern`. */
async function waitingBackend(observer: pg.Client, pattern: string): Promise<number> {
  for (;;) {
    const { rows } = await observer.query(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'eventfold' AND wait_event_type = 'Lock' AND query LIKE $1`,
      [`%${pattern}%`],
    );
    if (rows[0]) return rows[0].pid as number;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const lockJournal = (client: pg.Client, journal: PostgresJournal) =>
  client.query('SELECT head FROM eventfold.journals WHERE journal_id = $1 FOR UPDATE', [journal.journalId]);

/**
 * Appends events 2 and 3 to stream `s` of `journal` while a connection of the test's holds the journal's row, and
 * cuts the append's connection once it waits in a statement matching `pattern`. Resolves with how the append ended.
 */
async function appendCutOff(journal: PostgresJournal, pattern: string): Promise<unknown> {
  const blocker = await connection();
  const observer = await connection();
  await blocker.query('BEGIN');
  await lockJournal(blocker, journal);
  const append = journal.append([{ streamId: 's', events: numbered(2, 2) }]);
  const ended = append.then(
    () => 'stored',
    (error: unknown) => error,
  );
  const pid = await waitingBackend(observer, pattern);
  await observer.query('SELECT pg_terminate_backend($1)', [pid]);
  await blocker.query('ROLLBACK');
  return ended;
}

it('reports a connection lost before COMMIT as a storage error, stores nothing of it, and appends again', async () => {
  const id = `lost-${randomId()}`;
  await persist(await database.journal(id), 's', numbered(1, 1));
  // A handle that knows nothing of the journal appends under its lock, in a transaction.
  const journal = await database.journal(id);
  expect(await appendCutOff(journal, 'FOR UPDATE')).toMatchObject({ code: 'storage-failed' });
  expect(await journal.highestSequenceNr('s')).toBe(1);
  expect(await journal.append([{ streamId: 's', events: numbered(2, 2) }])).toEqual([{ positions: [2, 3] }]);
});

it('reports a connection lost during a one-statement append as an outcome unknown, and appends again', async () => {
  const journal = await database.journal(`lost-at-once-${randomId()}`);
  // The handle wrote the stream: its next append is one statement, which commits as it runs.
  await persist(journal, 's', numbered(1, 1));
  expect(await appendCutOff(journal, 'claimed AS')).toMatchObject({ code: 'outcome-unknown' });
  expect(await journal.highestSequenceNr('s')).toBe(1);
  expect(await journal.append([{ streamId: 's', events: numbered(2, 2) }])).toEqual([{ positions: [2, 3] }]);
});

it('retries a transaction that the server aborted to break a deadlock', async () => {
  const journal = await database.journal(`deadlock-${randomId()}`);
  await persist(journal, 's', numbered(1, 1));
  const blocker = await connection();
  const observer = await connection();
  // The journal's backend must be the one that finds the deadlock (and is aborted): it waits first, and the blocker
  // looks for deadlocks only after ten seconds.
  await blocker.query(`SET deadlock_timeout = '10s'`);
  await blocker.query('BEGIN');
  await blocker.query('SELECT head FROM eventfold.streams WHERE journal_id = $1 AND stream_id = $2 FOR UPDATE', [journal.journalId, 's']);

  // The append locks the journal's row, then waits for the stream's row, which the blocker holds…
  const append = journal.append([{ streamId: 's', events: numbered(2, 1) }]);
  append.catch(() => {});
  await waitingBackend(observer, 'new_events');
  // …while the blocker waits for the journal's row: a deadlock, which the server breaks by aborting the append's
  // transaction. The blocker then gets the row, commits, and the append's retry goes through.
  await lockJournal(blocker, journal);
  await blocker.query('COMMIT');

  expect(await append).toEqual([{ positions: [2] }]);
  expect((await journal.load('s')).map((event) => event.sequenceNr)).toEqual([1, 2]);
});

it('listens again when the listening connection is lost, waking every watcher once, and reports the loss', async () => {
  const errors: unknown[] = [];
  const watched = await openPostgresDatabase({ connectionString: url, onError: (error) => errors.push(error) });
  try {
    const journal = await watched.journal(`watched-${randomId()}`);
    let wake = () => {};
    let calls = 0;
    const stop = await journal.watch(() => {
      calls++;
      wake();
    });
    const next = () => new Promise<void>((resolve) => (wake = resolve));
    const observer = await connection();
    const woken = next();
    await observer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'eventfold' AND query LIKE 'LISTEN%'`);
    await woken;
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    const noticed = next();
    await persist(journal, 's', numbered(1, 1));
    await noticed;
    expect(calls).toBe(2);
    stop();
  } finally {
    await watched.close();
  }
});

it('works again after the server restarts, having lost nothing it acknowledged', async () => {
  // A server of this test's own: the others share the run's server.
  const server = await startPostgres({ fsync: false });
  try {
    const journal = await openPostgresJournal({ connectionString: server.url, poolSize: 2, journalId: 'restarted' });
    try {
      await persist(journal, 's', numbered(1, 2));
      await server.restart();
      // The pool's connections died with the server: a call may fail once, with a storage error, as they are replaced.
      const retried = async <T>(call: () => Promise<T>): Promise<T> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await call();
          } catch (error) {
            expect(error).toMatchObject({ code: 'storage-failed' });
            if (attempt >= 3) throw error;
          }
        }
      };
      expect(await retried(() => journal.highestSequenceNr('s'))).toBe(2);
      expect(await retried(() => journal.append([{ streamId: 's', events: numbered(3, 1) }]))).toEqual([{ positions: [3] }]);
      expect((await journal.load('s')).map((event) => event.position)).toEqual([1, 2, 3]);
    } finally {
      await journal.close();
    }
  } finally {
    await server.stop();
  }
}, 60_000);
