// The sync server while its PostgreSQL fails under it, over loopback HTTP: the server crashed in the middle of
// transactions (`pg_ctl stop -m immediate`) while devices push, the connection pool exhausted, the disk full. Every
// answer is a 200 with outcomes or a retryable 503, never a 500 and never a hang; devices back off and retry the same
// commands (same sequence numbers and ids) until they are confirmed, and once the database is back the journal holds
// each command's events once, in contiguous streams, with one outcome per command. The faults are set up with
// connections of the test's own that hold the locks a push needs, so that they strike at a known step; the tests wait
// on what `pg_stat_activity` shows, never on time.
import { randomId } from 'eventfold';
import { encodeValue } from 'eventfold/kit';
import { openPostgresDatabase, type PostgresDatabase } from 'eventfold/postgres';
import { createSyncServer, type ListeningServer, type SyncServer } from 'eventfold/server';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase, startPostgres } from '../../tools/postgres-server.mjs';
import type { Outcome, PullResponse, PushedCommand, PushResponse, WireEvent } from '../sync/protocol.ts';
import { type AccountCommand, account } from '../test-support/bank-account.ts';
import { runSeed, seededRandom } from '../test-support/seeded-random.ts';

const seed = runSeed(process.env);
console.log(`database faults: seed ${seed} (EVENTFOLD_SEED=${seed} replays it)`);

const entities = { account };
/** No answer within this long is a hang: far beyond any bound of the server's (its pool waits 10 s at most). */
const HANG_MS = 25_000;

/** An answer of the sync server: its status, its `Retry-After`, its body. */
interface Answer<T> {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: T & { error?: { code: string; retryable: boolean } };
}

/** One request to the sync server at `base`, over HTTP; a request left unanswered fails the test as a hang. */
async function call<T>(base: string, journalId: string, path: string, body?: unknown): Promise<Answer<T>> {
  const url = `${base}/v1/journals/${encodeURIComponent(journalId)}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(HANG_MS),
    });
  } catch (error) {
    throw new Error(`no answer to ${path.split('?')[0]} within ${HANG_MS} ms: the server hangs`, { cause: error });
  }
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer<T>['body'] };
}

/** Asserts the answer a device retries: a 503 that says so, with a `Retry-After`. */
function expectRetryable(answer: Answer<unknown>): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(503);
  expect(answer.body.error).toMatchObject({ code: 'unavailable', retryable: true });
  expect(Number(answer.retryAfter)).toBeGreaterThan(0);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A device as the sync client is to the server: an outbox of commands with gapless sequence numbers and ids that
 * never change, pushed from its head, each decided command leaving it with its outcome.
 */
class Device {
  readonly id = `d${randomId().replace(/[^A-Za-z0-9]/g, '')}`;
  readonly outbox: PushedCommand[] = [];
  /** The first outcome the server answered for each sequence number. */
  readonly outcomes = new Map<number, Outcome>();
  /** Retryable answers it was given (since the test last set it to 0). */
  retried = 0;
  /** Whether a push of its is waiting for its answer. */
  pushing = false;
  #seq = 0;

  constructor(
    readonly journalId: string,
    readonly random: () => number,
  ) {}

  send(accountId: string, command: AccountCommand): PushedCommand {
    const seq = ++this.#seq;
    const pushed: PushedCommand = { seq, commandId: `${this.id}-${seq}`, type: 'account', id: accountId, command: encodeValue(command, 'command') };
    this.outbox.push(pushed);
    return pushed;
  }

  /** Pushes the outbox's first `size` commands; on a 200, checks and keeps their outcomes and drops them. */
  async push(base: string, size = this.outbox.length): Promise<Answer<PushResponse>> {
    const commands = this.outbox.slice(0, size);
    this.pushing = true;
    const answer = await call<PushResponse>(base, this.journalId, '/push', { deviceId: this.id, commands }).finally(() => (this.pushing = false));
    if (answer.status !== 200) return answer;
    expect(answer.body.outcomes.map(({ seq, commandId }) => [seq, commandId])).toEqual(commands.map(({ seq, commandId }) => [seq, commandId]));
    for (const outcome of answer.body.outcomes) {
      const first = this.outcomes.get(outcome.seq);
      // A command decided before is answered as it was then.
      if (first) expect(outcome).toEqual(first);
      else this.outcomes.set(outcome.seq, outcome);
    }
    this.outbox.splice(0, commands.length);
    return answer;
  }

  /** Pushes until the outbox is empty, in batches of 1 to 4, backing off (jittered, growing) after each retryable answer. */
  async sync(base: string): Promise<void> {
    let failures = 0;
    while (this.outbox.length > 0) {
      const answer = await this.push(base, 1 + Math.floor(this.random() * 4));
      if (answer.status === 200) {
        failures = 0;
        continue;
      }
      expectRetryable(answer);
      this.retried++;
      failures++;
      await pause(Math.min(100, 2 ** failures) * (0.5 + this.random() / 2));
    }
  }

  async pull(base: string, after = 0, outcomesAfter = 0): Promise<Answer<PullResponse>> {
    return call<PullResponse>(base, this.journalId, `/pull?device=${this.id}&after=${after}&outcomesAfter=${outcomesAfter}&limit=7`);
  }

  /** Every event of the journal and this device's outcomes, paged from the start. */
  async pullAll(base: string): Promise<{ events: WireEvent[]; outcomes: Outcome[] }> {
    const events: WireEvent[] = [];
    const outcomes: Outcome[] = [];
    for (;;) {
      const { status, body } = await this.pull(base, events.at(-1)?.position ?? 0, outcomes.at(-1)?.seq ?? 0);
      expect(status, JSON.stringify(body)).toBe(200);
      events.push(...body.events);
      outcomes.push(...body.outcomes);
      if ((events.at(-1)?.position ?? 0) >= body.head && (outcomes.at(-1)?.seq ?? 0) >= body.lastSeq) return { events, outcomes };
    }
  }
}

/** Commands for a device: deposits mostly, and withdrawals the balance may refuse, on a few accounts. */
function fill(device: Device, count: number): void {
  for (let i = 0; i < count; i++) {
    const accountId = `acc-${Math.floor(device.random() * 3)}`;
    const amount = 1 + Math.floor(device.random() * 20);
    device.send(accountId, device.random() < 0.7 ? { type: 'deposit', amount } : { type: 'withdraw', amount });
  }
}

/** A connection of the test's own, outside the server's pool. */
async function connection(url: string, opened: pg.Client[]): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'eventfold-test' });
  // A client whose server crashes reports it here; unhandled, it would end the process.
  client.on('error', () => {});
  await client.connect();
  opened.push(client);
  return client;
}

/** Waits until `count` of the pool's connections to the observer's database wait for a lock. */
async function waitersOnLocks(observer: pg.Client, count: number): Promise<void> {
  for (;;) {
    const { rows } = await observer.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'eventfold' AND datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0].n >= count) return;
    await pause(5);
  }
}

/** Locks the rows of journals, as a write in another process would, in an open transaction. */
async function lockJournals(client: pg.Client, journalIds: readonly string[]): Promise<void> {
  await client.query('BEGIN');
  await client.query('SELECT head FROM eventfold.journals WHERE journal_id = ANY($1) FOR UPDATE', [journalIds]);
}

/**
 * Checks the journal as stored against the devices that pushed to it: positions gapless from 1, every stream
 * contiguous from 1, the events of each confirmed command once (at the position its outcome names) and of no other
 * command, one outcome per command as the device was answered, each device's last sequence number its last command's;
 * and a pull from the start returns every event once, with each device's outcomes.
 */
async function expectExactlyOnce(sql: pg.Client, base: string, journalId: string, devices: readonly Device[]): Promise<void> {
  const { rows: events } = await sql.query<{ position: string; stream_id: string; sequence_nr: string; event_id: string; causation: string | null }>(
    `SELECT position, stream_id, sequence_nr, event_id, metadata->>'causationId' AS causation FROM eventfold.events WHERE journal_id = $1 ORDER BY position`,
    [journalId],
  );
  expect(events.map((event) => Number(event.position))).toEqual(events.map((_, i) => i + 1));
  const heads = new Map<string, number>();
  for (const event of events) {
    const next = (heads.get(event.stream_id) ?? 0) + 1;
    expect(Number(event.sequence_nr), `stream ${event.stream_id} at position ${event.position}`).toBe(next);
    heads.set(event.stream_id, next);
  }
  const byCommand = new Map<string, number[]>();
  for (const event of events) byCommand.set(event.causation ?? '', [...(byCommand.get(event.causation ?? '') ?? []), Number(event.position)]);

  let expectedEvents = 0;
  for (const device of devices) {
    expect(device.outbox).toEqual([]);
    const answered = [...device.outcomes.values()].sort((x, y) => x.seq - y.seq);
    expect(answered.map((outcome) => outcome.seq)).toEqual(answered.map((_, i) => i + 1));
    for (const outcome of answered) {
      const positions = byCommand.get(outcome.commandId) ?? [];
      if (outcome.status === 'confirmed') {
        expect(positions, `the events of ${outcome.commandId}`).toEqual([outcome.position]);
        expectedEvents++;
      } else {
        expect(outcome.status, outcome.commandId).toBe('rejected');
        expect(positions, `the events of ${outcome.commandId}`).toEqual([]);
      }
    }
    const { rows: stored } = await sql.query<{ seq: string; command_id: string; status: string }>(
      `SELECT seq, command_id, outcome->>'status' AS status FROM eventfold.sync_outcomes WHERE journal_id = $1 AND device_id = $2 ORDER BY seq`,
      [journalId, device.id],
    );
    expect(stored.map((row) => [Number(row.seq), row.command_id, row.status])).toEqual(answered.map((outcome) => [outcome.seq, outcome.commandId, outcome.status]));
    const { rows: lastSeq } = await sql.query(`SELECT last_seq::int FROM eventfold.sync_devices WHERE journal_id = $1 AND device_id = $2`, [journalId, device.id]);
    expect(lastSeq).toEqual([{ last_seq: answered.length }]);

    const pulled = await device.pullAll(base);
    expect(pulled.events.map((event) => [event.position, event.eventId])).toEqual(events.map((event) => [Number(event.position), event.event_id]));
    expect(pulled.outcomes).toEqual(answered);
  }
  // Only the devices' commands caused events.
  expect(events.length).toBe(expectedEvents);
}

const clients: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.end().catch(() => {})));
});

describe('PostgreSQL stopped abruptly while devices push', () => {
  let cluster: Awaited<ReturnType<typeof startPostgres>>;
  let database: PostgresDatabase;
  let server: SyncServer;
  let listening: ListeningServer;
  const failures: unknown[] = [];

  beforeAll(async () => {
    // A server of this file's own, to crash: the others share the run's server.
    cluster = await startPostgres();
    database = await openPostgresDatabase({ connectionString: cluster.url, poolSize: 6 });
    server = createSyncServer({ database, entities, authorize: () => true, rateLimit: { requests: 1e6, perMs: 1000 }, onError: (error) => failures.push(error) });
    listening = await server.listen(0);
  }, 60_000);

  afterAll(async () => {
    await listening?.close();
    await server?.close();
    await database?.close();
    await cluster?.stop();
  });

  it('answers every push and pull 200 or a retryable 503, recovers its pool by itself, and loses or doubles nothing', async () => {
    const base = listening.url;
    // Three journals; the first two are locked when the server crashes, the third runs free.
    const journalIds = [0, 1, 2].map((i) => `crash-${i}-${randomId()}`);
    const devices = journalIds.flatMap((journalId, j) => [0, 1].map((d) => new Device(journalId, seededRandom(seed + 10 * j + d))));
    for (const device of devices) fill(device, 30);

    const syncing = devices.map((device) => device.sync(base));
    const done = Promise.all(syncing);
    // A failed check in a device's loop ends the test, rather than leaving it waiting on a state never reached.
    const orFailed = <T>(state: Promise<T>) => Promise.race([state, done]);
    const beforeDone = <T>(state: Promise<T>) =>
      Promise.race([
        state,
        done.then(() => {
          throw new Error('every device was done before the fault was set up');
        }),
      ]);

    // Both locked journals take a push first (their hosts and states are made), then a connection of the test's
    // holds their rows: the next push to each waits in the middle of its write, on its lock, when the server dies.
    const observer = await connection(cluster.url, clients);
    const blocker = await connection(cluster.url, clients);
    const served = (journalId: string) => devices.some((device) => device.journalId === journalId && device.outcomes.size > 0);
    await beforeDone(
      (async () => {
        while (!served(journalIds[0]!) || !served(journalIds[1]!)) await pause(5);
      })(),
    );
    await lockJournals(blocker, journalIds.slice(0, 2));
    await beforeDone(waitersOnLocks(observer, 2));
    const decidedBefore = devices.map((device) => device.outcomes.size);
    const inFlight = devices.filter((device) => device.pushing).length;
    expect(inFlight).toBeGreaterThanOrEqual(2);
    for (const device of devices) device.retried = 0;

    await cluster.crash();
    // While it is down, pulls are answered retryable as pushes are.
    for (const device of devices) expectRetryable(await device.pull(base));
    // Every device with commands left has been answered retryable at least once before the database comes back.
    await orFailed(
      (async () => {
        while (devices.some((device) => device.outbox.length > 0 && device.retried === 0)) await pause(5);
      })(),
    );
    const retriedDuringOutage = devices.reduce((sum, device) => sum + device.retried, 0);
    await cluster.restart();
    await done;

    const sql = await connection(cluster.url, clients);
    for (const journalId of journalIds) await expectExactlyOnce(sql, base, journalId, devices.filter((device) => device.journalId === journalId));
    // The server's own pool served all of it, again within its size: the crash left no connection behind.
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'eventfold'`);
    expect(rows[0].n).toBeLessThanOrEqual(6);
    expect(failures.length).toBeGreaterThan(0);
    console.log(
      `crash: ${devices.length} devices, ${devices.reduce((sum, device) => sum + device.outcomes.size, 0)} commands, ` +
        `${decidedBefore.reduce((sum, n) => sum + n, 0)} decided before the crash, ${inFlight} pushes in flight at it, ${retriedDuringOutage} retryable answers during the outage, ` +
        `${failures.length} failures told to onError`,
    );
  }, 120_000);
});

describe('database faults on the run server', () => {
  let url: string;
  let drop = async () => {};
  beforeAll(async () => {
    ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_db_faults'));
  });
  afterAll(() => drop());

  it('answers retryable 503s, within its bound, while every connection of its pool is held, and serves the retries once released', async () => {
    // A bound far below the 10 s default, so that the test does not wait long for each refusal.
    const database = await openPostgresDatabase({ connectionString: url, poolSize: 2, connectTimeoutMs: 300 });
    const failures: unknown[] = [];
    const server = createSyncServer({ database, entities, authorize: () => true, rateLimit: { requests: 1e6, perMs: 1000 }, onError: (error) => failures.push(error) });
    const listening = await server.listen(0);
    let blocker: pg.Client | undefined;
    try {
      const base = listening.url;
      const [one, two, three] = [1, 2, 3].map((i) => new Device(`pool-${i}-${randomId()}`, seededRandom(seed + 100 + i))) as [Device, Device, Device];
      for (const device of [one, two, three]) {
        device.send('acc', { type: 'deposit', amount: 10 });
        expect((await device.push(base)).status).toBe(200);
      }
      // A connection of the test's holds the rows of two journals: a push to each waits on its lock, and between
      // them they hold both connections of the pool.
      const observer = await connection(url, clients);
      blocker = await connection(url, clients);
      await lockJournals(blocker, [one.journalId, two.journalId]);
      one.send('acc', { type: 'deposit', amount: 1 });
      two.send('acc', { type: 'withdraw', amount: 4 });
      let settled = 0;
      const held = [one.push(base), two.push(base)].map((push) => push.finally(() => settled++));
      await Promise.race([waitersOnLocks(observer, 2), Promise.all(held)]);
      expect(settled).toBe(0);

      // No connection to be had within the bound: pushes and pulls of other devices and journals are told to retry.
      three.send('acc', { type: 'deposit', amount: 5 });
      three.send('acc', { type: 'withdraw', amount: 15 });
      const refused = await Promise.all([three.push(base), three.pull(base), one.pull(base), two.pull(base), three.push(base)]);
      for (const answer of refused) expectRetryable(answer);
      expect(settled).toBe(0);
      expect(failures.length).toBeGreaterThanOrEqual(refused.length);
      for (const failure of failures) expect(failure).toMatchObject({ code: 'storage-failed' });

      await blocker.query('ROLLBACK');
      for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
      await three.sync(base);
      const sql = await connection(url, clients);
      for (const device of [one, two, three]) await expectExactlyOnce(sql, base, device.journalId, [device]);
      expect([...three.outcomes.values()].map((outcome) => outcome.status)).toEqual(['confirmed', 'confirmed', 'confirmed']);
    } finally {
      // The pushes that wait on the blocker's locks hold up the server's close.
      await blocker?.query('ROLLBACK').catch(() => {});
      await listening.close();
      await server.close();
      await database.close();
    }
  });

  it('answers retryable 503s while the disk is full, stores nothing of those pushes, and confirms their retries once', async () => {
    const sql = await connection(url, clients);
    // The disk is full for a journal while a row names it. The error is raised by PostgreSQL, inside the push's own
    // statement, with the class and SQLSTATE a full disk gives (53100 disk_full, "could not extend file … No space
    // left on device"): a tablespace on a filesystem that fills up needs root, this needs nothing.
    await sql.query(`CREATE TABLE IF NOT EXISTS public.full_disks (journal_id text PRIMARY KEY)`);
    await sql.query(`CREATE OR REPLACE FUNCTION public.fill_disk() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM public.full_disks WHERE journal_id = NEW.journal_id) THEN
          RAISE EXCEPTION 'could not extend file "%": No space left on device', TG_TABLE_NAME
            USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
        END IF;
        RETURN NEW;
      END $$`);
    for (const table of ['events', 'sync_outcomes']) {
      await sql.query(`CREATE OR REPLACE TRIGGER full_disk BEFORE INSERT ON eventfold.${table} FOR EACH ROW EXECUTE FUNCTION public.fill_disk()`);
    }
    const failures: unknown[] = [];
    const database = await openPostgresDatabase({ connectionString: url });
    const server = createSyncServer({ database, entities, authorize: () => true, rateLimit: { requests: 1e6, perMs: 1000 }, onError: (error) => failures.push(error) });
    const listening = await server.listen(0);
    try {
      const base = listening.url;
      const device = new Device(`disk-${randomId()}`, seededRandom(seed + 200));
      const other = new Device(device.journalId, seededRandom(seed + 201));
      const sent = [10, 20, 30].map((amount) => device.send('acc', { type: 'deposit', amount }));
      expect((await device.push(base)).status).toBe(200);
      const stored = async () => {
        const { rows } = await sql.query(
          `SELECT (SELECT head::int FROM eventfold.journals WHERE journal_id = $1) AS head,
                  (SELECT count(*)::int FROM eventfold.events WHERE journal_id = $1) AS events,
                  (SELECT count(*)::int FROM eventfold.sync_outcomes WHERE journal_id = $1) AS outcomes,
                  (SELECT coalesce(sum(last_seq), 0)::int FROM eventfold.sync_devices WHERE journal_id = $1) AS seqs`,
          [device.journalId],
        );
        return rows[0];
      };
      const before = await stored();
      expect(before).toEqual({ head: 3, events: 3, outcomes: 3, seqs: 3 });

      await sql.query('INSERT INTO public.full_disks (journal_id) VALUES ($1)', [device.journalId]);
      // The third command again (decided already) with three new ones; and a device whose only command is refused,
      // which stores an outcome and no event.
      for (const amount of [1, 2, 3]) device.send('acc', { type: 'deposit', amount });
      device.outbox.unshift(sent[2]!);
      other.send('acc', { type: 'withdraw', amount: 1_000 });
      for (let attempt = 0; attempt < 3; attempt++) {
        expectRetryable(await device.push(base));
        expectRetryable(await other.push(base));
      }
      expect(await stored()).toEqual(before);
      expect(failures.some((error) => (error as { cause?: { code?: string } }).cause?.code === '53100')).toBe(true);
      // Reads need no disk: the device still pulls what was stored.
      const pulled = await device.pull(base);
      expect(pulled.status, JSON.stringify(pulled.body)).toBe(200);
      expect(pulled.body.events.map((event) => event.position)).toEqual([1, 2, 3]);

      await sql.query('DELETE FROM public.full_disks WHERE journal_id = $1', [device.journalId]);
      await device.sync(base);
      await other.sync(base);
      expect([...device.outcomes.values()].map((outcome) => outcome.status)).toEqual(Array(6).fill('confirmed'));
      expect([...other.outcomes.values()].map((outcome) => outcome.status)).toEqual(['rejected']);
      await expectExactlyOnce(sql, base, device.journalId, [device, other]);
    } finally {
      await listening.close();
      await server.close();
      await database.close();
    }
  });
});
