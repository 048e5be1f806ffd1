// The sync server past one PostgreSQL server, on throwaway clusters this file starts: three primaries, and a streaming
// replica of the first (pg_basebackup). Journals are placed whole on shards by a directory, stay isolated there, move
// between shards while a device pushes and pulls (nothing lost or doubled, cursors never back, a server that did not
// hear of the move fenced), and pulls are served from the replica only up to what it has replayed.
import { randomId } from 'eventfold';
import { encodeValue } from 'eventfold/kit';
import { openPostgresDatabase, type PostgresDatabase, rendezvousShard, type ShardedDatabases, shardedDatabases } from 'eventfold/postgres';
import { createSyncServer, type SyncServer } from 'eventfold/server';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startReplica } from '../../tools/postgres-server.mjs';
import { copyJournal, fenceJournal } from '../postgres/journal-move.ts';
import type { PullResponse, PushedCommand, PushResponse, WireEvent } from '../sync/protocol.ts';
import { account } from '../test-support/bank-account.ts';
import { runSeed, seededRandom } from '../test-support/seeded-random.ts';

const entities = { account };
const seed = runSeed(process.env);
console.log(`shards.test seed: ${seed} (EVENTFOLD_SEED=${seed} to repeat)`);
const random = seededRandom(seed);

type Cluster = Awaited<ReturnType<typeof startPostgres>>;
type Replica = Awaited<ReturnType<typeof startReplica>>;

let clusters: Cluster[] = [];
let replicaCluster: Replica | undefined;
let a: PostgresDatabase;
let b: PostgresDatabase;
let c: PostgresDatabase;
let replicaOfA: PostgresDatabase;

beforeAll(async () => {
  clusters = await Promise.all([0, 1, 2].map(() => startPostgres({ fsync: false })));
  [a, b, c] = (await Promise.all(clusters.map((cluster) => openPostgresDatabase({ connectionString: cluster.url })))) as [PostgresDatabase, PostgresDatabase, PostgresDatabase];
  // After the primary's schema is made: the base backup holds it.
  replicaCluster = await startReplica(clusters[0]!);
  replicaOfA = await openPostgresDatabase({ connectionString: replicaCluster.url, migrate: false });
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b, c, replicaOfA].map((database) => database?.close()));
  await replicaCluster?.stop();
  await Promise.all(clusters.map((cluster) => cluster.stop()));
});

const sharded = (): ShardedDatabases => shardedDatabases({ directory: a, shards: { a, b, c } });

/** Runs `text` on `database`'s cluster as a plain client (the tests' own look at the tables). */
async function sql<R>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await client.unsafe(text, params as never[])) as unknown as R[];
  } finally {
    await client.end();
  }
}

const eventsOn = async (cluster: { url: string }, journalId: string) =>
  Number((await sql<{ n: string }>(cluster.url, 'SELECT count(*) AS n FROM eventfold.events WHERE journal_id = $1', [journalId]))[0]!.n);

/** A device of one journal speaking the protocol to `server`, answers checked. */
function device(journalId: string, deviceId = `d${randomId().replace(/[^A-Za-z0-9]/g, '')}`) {
  const call = (server: SyncServer, path: string, init: RequestInit = {}) =>
    server.fetch(new Request(`http://sync.test/v1/journals/${encodeURIComponent(journalId)}${path}`, { ...init, headers: { 'content-type': 'application/json' } }));
  const deposit = (seq: number, amount: number): PushedCommand => ({
    seq,
    commandId: `c-${seq}-${randomId()}`,
    type: 'account',
    id: 'acc',
    command: encodeValue({ type: 'deposit', amount }, 'command'),
  });
  return {
    deviceId,
    deposit,
    /** A push's response: its status, and its body. */
    async push(server: SyncServer, commands: PushedCommand[]): Promise<{ status: number; body: PushResponse & { error?: { retryable: boolean } } }> {
      const response = await call(server, '/push', { method: 'POST', body: JSON.stringify({ deviceId, commands }) });
      return { status: response.status, body: await response.json() };
    },
    async pull(server: SyncServer, after = 0, outcomesAfter = 0): Promise<{ status: number; body: PullResponse & { error?: { retryable: boolean } } }> {
      const response = await call(server, `/pull?device=${deviceId}&after=${after}&outcomesAfter=${outcomesAfter}&limit=7`);
      return { status: response.status, body: await response.json() };
    },
  };
}

describe('placement', () => {
  it('spreads new journals evenly by rendezvous hashing, and a shard added takes journals only from the others', () => {
    const ids = Array.from({ length: 900 }, (_, i) => `journal-${seed}-${i}`);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(rendezvousShard(id, ['a', 'b', 'c']), (counts.get(rendezvousShard(id, ['a', 'b', 'c'])) ?? 0) + 1);
    for (const name of ['a', 'b', 'c']) expect(counts.get(name)).toBeGreaterThan(240);
    const moved = ids.filter((id) => rendezvousShard(id, ['a', 'b', 'c']) !== rendezvousShard(id, ['a', 'b', 'c', 'd']));
    expect(moved.every((id) => rendezvousShard(id, ['a', 'b', 'c', 'd']) === 'd')).toBe(true);
    expect(moved.length).toBeGreaterThan(150);
    expect(moved.length).toBeLessThan(300);
  });

  it('places each journal once, in the directory, the same for every process, and keeps a journal found in a shard where it is', async () => {
    const ids = Array.from({ length: 24 }, () => `p-${randomId()}`);
    const first = sharded();
    const placed = await Promise.all(ids.map(async (id) => (await first.placement(id)).shard));
    expect(placed).toEqual(ids.map((id) => rendezvousShard(id, ['a', 'b', 'c'])));
    expect(new Set(placed).size).toBeGreaterThan(1);
    // Another process (a cache of its own) reads the same directory rows.
    const second = sharded();
    expect(await Promise.all(ids.map(async (id) => (await second.placement(id, { create: false })).shard))).toEqual(placed);
    const rows = await sql<{ journal_id: string; shard: string }>(clusters[0]!.url, 'SELECT journal_id, shard FROM eventfold.journal_directory WHERE journal_id = ANY($1)', [ids]);
    expect(new Map(rows.map((row) => [row.journal_id, row.shard]))).toEqual(new Map(ids.map((id, i) => [id, placed[i]])));
    // A journal stored on c before c was a shard stays on c, whatever the hash says.
    const legacy = Array.from({ length: 50 }, (_, i) => `legacy-${seed}-${i}`).find((id) => rendezvousShard(id, ['a', 'b', 'c']) !== 'c')!;
    await (await c.journal(legacy)).close();
    expect((await sharded().placement(legacy)).shard).toBe('c');
    await expect(sharded().placement(`nowhere-${randomId()}`, { create: false })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});

describe('the sync server on shards', () => {
  it('keeps journals on different shards apart', async () => {
    const database = sharded();
    const server = createSyncServer({ database, entities, authorize: () => true });
    const [onA, onB] = ['a', 'b'].map((shard) => Array.from({ length: 60 }, (_, i) => `iso-${seed}-${i}`).find((id) => rendezvousShard(id, ['a', 'b', 'c']) === shard)!);
    for (const [id, amount] of [[onA!, 5], [onB!, 7]] as const) {
      const dev = device(id);
      expect((await dev.push(server, [dev.deposit(1, amount), dev.deposit(2, amount)])).status).toBe(200);
      const { body } = await dev.pull(server);
      expect(body.events.map((event) => (event.event as { amount: number }).amount)).toEqual([amount, amount]);
    }
    expect([await eventsOn(clusters[0]!, onA!), await eventsOn(clusters[1]!, onA!)]).toEqual([2, 0]);
    expect([await eventsOn(clusters[0]!, onB!), await eventsOn(clusters[1]!, onB!)]).toEqual([0, 2]);
    await server.close();
  });

  it('moves a journal while a device pushes and pulls: nothing lost or doubled, cursors never back, a stale server fenced', async () => {
    const journalId = `move-${randomId()}`;
    // Two server processes, each with a placement cache of its own; the move is made by a third (an operator's script).
    const serverOne = createSyncServer({ database: sharded(), entities, authorize: () => true });
    const serverTwo = createSyncServer({ database: sharded(), entities, authorize: () => true });
    const operator = sharded();
    const dev = device(journalId);
    const from = (await operator.placement(journalId)).shard;
    const to = ['a', 'b', 'c'].find((name) => name !== from)!;
    const url = (name: string) => clusters[['a', 'b', 'c'].indexOf(name)]!.url;
    // Both servers serve the journal before the move, so both remember it on `from`.
    expect((await dev.push(serverOne, [dev.deposit(1, 1)])).status).toBe(200);
    expect((await dev.pull(serverTwo)).status).toBe(200);
    const staleJournal = await operator.shard(from).primary.journal(journalId);

    const total = 40;
    let seq = 2;
    let cursor = 0;
    let outcomesAfter = 0;
    let retryable = 0;
    const events: WireEvent[] = [];
    let reachedTen!: () => void;
    const tenPushed = new Promise<void>((resolve) => (reachedTen = resolve));
    let moved = false;
    const sync = async () => {
      while (seq <= total || !moved) {
        const server = random() < 0.5 ? serverOne : serverTwo;
        if (seq <= total) {
          const pushed = await dev.push(server, [dev.deposit(seq, seq)]);
          if (pushed.status === 200) {
            expect(pushed.body.outcomes.map((outcome) => outcome.status)).toEqual(['confirmed']);
            outcomesAfter = seq;
            if (++seq > 10) reachedTen();
          } else {
            expect(pushed.status, JSON.stringify(pushed.body)).toBe(503);
            expect(pushed.body.error?.retryable).toBe(true);
            retryable++;
          }
        }
        const pulled = await dev.pull(random() < 0.5 ? serverOne : serverTwo, cursor, outcomesAfter);
        if (pulled.status !== 200) {
          expect(pulled.status, JSON.stringify(pulled.body)).toBe(503);
          retryable++;
          continue;
        }
        expect(pulled.body.head).toBeGreaterThanOrEqual(cursor);
        expect(pulled.body.lastSeq).toBeGreaterThanOrEqual(outcomesAfter);
        expect(pulled.body.events.map((event) => event.position), `pulled after ${cursor}: ${JSON.stringify(pulled.body)}`).toEqual(pulled.body.events.map((_, i) => cursor + i + 1));
        events.push(...pulled.body.events);
        cursor = events.at(-1)?.position ?? cursor;
        // Wait on the move's state, not on time, when all is pushed.
        if (seq > total && !moved) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const syncing = sync();
    // A failed check in the loop ends the test, rather than leaving it waiting for the tenth push.
    await Promise.race([tenPushed, syncing]);
    const move = await operator.moveJournal(journalId, to);
    moved = true;
    await syncing;
    expect(move).toMatchObject({ from, to });

    // Caught up: every deposit once, in one gapless run of positions.
    for (;;) {
      const { body } = await dev.pull(serverTwo, cursor, outcomesAfter);
      events.push(...body.events);
      cursor = events.at(-1)?.position ?? cursor;
      if (cursor >= body.head) break;
    }
    expect(events.map((event) => event.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(events.map((event) => (event.event as { amount: number }).amount)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // The target holds the journal, the source only its fence; the directory names the target.
    expect(await eventsOn({ url: url(to) }, journalId)).toBe(total);
    expect(await eventsOn({ url: url(from) }, journalId)).toBe(0);
    expect(await sql(url(from), 'SELECT head::int, moved_to FROM eventfold.journals WHERE journal_id = $1', [journalId])).toEqual([{ head: move.head, moved_to: to }]);
    expect((await sharded().placement(journalId)).shard).toBe(to);
    // A handle still on the source stores nothing there.
    await expect(staleJournal.append([{ streamId: 'account:other', events: [{ eventId: randomId(), type: 'deposited', event: { amount: 1 }, metadata: {}, sequenceNr: 1, timestamp: 1, schemaVersion: 1 }] as never }])).rejects.toMatchObject({ code: 'storage-failed' });
    expect(await eventsOn({ url: url(from) }, journalId)).toBe(0);
    // Moving it again to where it is only cleans up.
    expect(await operator.moveJournal(journalId, to)).toMatchObject({ from: to, to, rows: 0 });
    console.log(`moved a journal of ${move.head} events from ${from} to ${to} (${move.rows} rows) while syncing; ${retryable} retryable answers`);
    await staleJournal.close();
    await Promise.all([serverOne.close(), serverTwo.close()]);
  });
});

describe('a journal while it moves', () => {
  it('is answered with retryable 503s between the fence and the flip, and a move cut off after its fence is resumed', async () => {
    const journalId = `fenced-${randomId()}`;
    const server = createSyncServer({ database: sharded(), entities, authorize: () => true });
    const operator = sharded();
    const dev = device(journalId);
    // More rows than a page of the copy holds, in events and in outcomes.
    const first = 450;
    expect((await dev.push(server, Array.from({ length: first }, (_, i) => dev.deposit(i + 1, i + 1)))).status).toBe(200);
    const from = (await operator.placement(journalId)).shard;
    const to = ['a', 'b', 'c'].find((name) => name !== from)!;
    // The move's first step alone, as a move whose connection was lost right after it leaves the journal.
    await fenceJournal(operator.shard(from).primary, journalId, to);
    for (const answer of [await dev.push(server, [dev.deposit(first + 1, 1)]), await dev.pull(server, 0, 0)]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(503);
      expect(answer.body.error?.retryable).toBe(true);
    }
    expect(await operator.moveJournal(journalId, to)).toMatchObject({ from, to, head: first });
    const pushed = await dev.push(server, [dev.deposit(first + 1, 1)]);
    expect(pushed.status).toBe(200);
    expect(pushed.body.outcomes).toMatchObject([{ seq: first + 1, status: 'confirmed', position: first + 1 }]);
    // Every event once, on the target only, in one gapless run; an outcome per command.
    const url = (name: string) => clusters[['a', 'b', 'c'].indexOf(name)]!.url;
    expect([await eventsOn({ url: url(to) }, journalId), await eventsOn({ url: url(from) }, journalId)]).toEqual([first + 1, 0]);
    const rows = await sql<{ position: number; amount: number }>(url(to), `SELECT position::int, (data->>'amount')::int AS amount FROM eventfold.events WHERE journal_id = $1 ORDER BY position`, [journalId]);
    expect(rows).toEqual([...Array.from({ length: first }, (_, i) => ({ position: i + 1, amount: i + 1 })), { position: first + 1, amount: 1 }]);
    const outcomes = await sql<{ seq: number }>(url(to), 'SELECT seq::int FROM eventfold.sync_outcomes WHERE journal_id = $1 ORDER BY seq', [journalId]);
    expect(outcomes.map((row) => row.seq)).toEqual(Array.from({ length: first + 1 }, (_, i) => i + 1));
    const pulled = await dev.pull(server, first - 2, first - 2);
    expect(pulled.body.events.map((event) => event.position)).toEqual([first - 1, first, first + 1]);
    expect(pulled.body.outcomes.map((outcome) => outcome.seq)).toEqual([first - 1, first, first + 1]);
    await server.close();
  });

  it('is served where it was again once a move that did not flip is aborted, its copy on the target gone', async () => {
    const journalId = `aborted-${randomId()}`;
    const server = createSyncServer({ database: sharded(), entities, authorize: () => true });
    const operator = sharded();
    const dev = device(journalId);
    expect((await dev.push(server, [dev.deposit(1, 1), dev.deposit(2, 2)])).status).toBe(200);
    const from = (await operator.placement(journalId)).shard;
    const to = ['a', 'b', 'c'].find((name) => name !== from)!;
    const url = (name: string) => clusters[['a', 'b', 'c'].indexOf(name)]!.url;
    // Fenced and copied, as a move cut off before its flip leaves it.
    await fenceJournal(operator.shard(from).primary, journalId, to);
    await copyJournal(operator.shard(from).primary, operator.shard(to).primary, journalId);
    expect(await eventsOn({ url: url(to) }, journalId)).toBe(2);
    expect((await dev.push(server, [dev.deposit(3, 3)])).status).toBe(503);

    expect(await operator.abortMove(journalId)).toBe(true);
    expect(await operator.abortMove(journalId)).toBe(false);
    expect(await eventsOn({ url: url(to) }, journalId)).toBe(0);
    expect(await sql(url(to), 'SELECT 1 FROM eventfold.journals WHERE journal_id = $1', [journalId])).toEqual([]);
    const pushed = await dev.push(server, [dev.deposit(3, 3)]);
    expect(pushed.status).toBe(200);
    expect(pushed.body.outcomes).toMatchObject([{ seq: 3, status: 'confirmed', position: 3 }]);
    expect(await eventsOn({ url: url(from) }, journalId)).toBe(3);
    expect((await sharded().placement(journalId)).shard).toBe(from);
    await server.close();
  });

  it('ends its change streams on a server that serves none of its pushes or pulls', async () => {
    const journalId = `streams-${randomId()}`;
    const streaming = createSyncServer({ database: sharded(), entities, authorize: () => true });
    const operator = sharded();
    const dev = device(journalId);
    expect((await dev.push(streaming, [dev.deposit(1, 1)])).status).toBe(200);
    const response = await streaming.fetch(new Request(`http://sync.test/v1/journals/${encodeURIComponent(journalId)}/changes`));
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let heard = '';
    while (!heard.includes('event: ready')) heard += (await reader.read()).value ?? '';
    const from = (await operator.placement(journalId)).shard;
    await operator.moveJournal(journalId, ['a', 'b', 'c'].find((name) => name !== from)!);
    // The stream ends (the device opens it again, where the journal is now): read to its end.
    for (;;) if ((await reader.read()).done) break;
    await streaming.close();
  });
});

describe('pulls from a streaming replica', () => {
  it('are served by the replica only up to what it has replayed, and pushes go to the primary', async () => {
    const reads: string[] = [];
    const server = createSyncServer({ database: { primary: a, replica: replicaOfA }, entities, authorize: () => true, replicaWaitMs: 20, onPull: ({ readFrom }) => reads.push(readFrom) });
    const journalId = `replica-${randomId()}`;
    const dev = device(journalId);
    const replayedHead = async () => {
      const [row] = await sql<{ head: string }>(replicaCluster!.url, 'SELECT head FROM eventfold.journals WHERE journal_id = $1', [journalId]);
      return row ? Number(row.head) : 0;
    };
    const replayed = async (head: number) => {
      while ((await replayedHead()) < head) await new Promise((resolve) => setImmediate(resolve));
    };
    expect((await dev.push(server, [dev.deposit(1, 1), dev.deposit(2, 2), dev.deposit(3, 3)])).status).toBe(200);
    await replayed(3);
    const first = await dev.pull(server, 0, 0);
    expect(first.body.events.map((event) => event.position)).toEqual([1, 2, 3]);
    expect(first.body.outcomes.map((outcome) => outcome.seq)).toEqual([1, 2, 3]);
    expect(reads).toEqual(['replica']);

    // The replica stops replaying: pushes still go to the primary, and pulls are the primary's.
    await sql(replicaCluster!.url, 'SELECT pg_wal_replay_pause()');
    while ((await sql<{ state: string }>(replicaCluster!.url, 'SELECT pg_get_wal_replay_pause_state() AS state'))[0]!.state !== 'paused') {
      await new Promise((resolve) => setImmediate(resolve));
    }
    const pushed = await dev.push(server, [dev.deposit(4, 4), dev.deposit(5, 5)]);
    expect(pushed.status).toBe(200);
    expect(pushed.body.lastSeq).toBe(5);
    const behind = await dev.pull(server, 3, 3);
    expect(behind.body).toMatchObject({ head: 5, lastSeq: 5 });
    expect(behind.body.events.map((event) => event.position)).toEqual([4, 5]);
    expect(behind.body.outcomes.map((outcome) => outcome.seq)).toEqual([4, 5]);
    // A device further behind is not told an older head either.
    expect((await dev.pull(server, 1, 1)).body.head).toBe(5);
    expect(await replayedHead()).toBe(3);
    expect(reads).toEqual(['replica', 'primary', 'primary']);

    await sql(replicaCluster!.url, 'SELECT pg_wal_replay_resume()');
    await replayed(5);
    const caughtUp = await dev.pull(server, 5, 5);
    expect(caughtUp.body).toMatchObject({ head: 5, lastSeq: 5, events: [], outcomes: [] });
    expect(caughtUp.body.cursorEventId).toBe(behind.body.events[1]!.eventId);
    expect(reads.at(-1)).toBe('replica');

    // The replica gone: the primary answers, the same.
    await replicaCluster!.stop();
    const withoutReplica = await dev.pull(server, 3, 3);
    expect(withoutReplica.status).toBe(200);
    expect(withoutReplica.body.events.map((event) => event.position)).toEqual([4, 5]);
    expect(reads.at(-1)).toBe('primary');
    await server.close();
  });
});
