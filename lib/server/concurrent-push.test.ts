// Two sync servers on one PostgreSQL database (two processes, as far as the database can tell) decide pushes of
// several devices to the same accounts at once: each claims the journal at the head it decided on, the loser decides
// again on what the winner stored, so no account is ever overdrawn and every command has exactly one outcome.
import { randomId } from 'eventfold';
import { decodeValue, encodeValue } from 'eventfold/kit';
import { openPostgresDatabase, type PostgresDatabase } from 'eventfold/postgres';
import { createSyncServer, journalTokens, type SyncServer } from 'eventfold/server';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';
import type { Outcome, PullResponse, PushResponse } from '../sync/protocol.ts';
import { account } from '../test-support/bank-account.ts';
import { runSeed, seededRandom } from '../test-support/seeded-random.ts';

const seed = runSeed(process.env);
console.log(`concurrent pushes: seed ${seed} (EVENTFOLD_SEED=${seed} replays it)`);

const tokens = journalTokens({ secret: 'a test secret of at least thirty-two bytes' });
let databases: PostgresDatabase[] = [];
let servers: SyncServer[] = [];
let drop = async () => {};

beforeAll(async () => {
  const fresh = await freshDatabase(inject('postgresUrl'), 'eventfold_sync_race');
  drop = fresh.drop;
  databases = [await openPostgresDatabase({ connectionString: fresh.url }), await openPostgresDatabase({ connectionString: fresh.url })];
  servers = databases.map((database) => createSyncServer({ database, entities: { account }, authorize: tokens.authorize, rateLimit: { requests: 1e6, perMs: 1000 } }));
}, 60_000);

afterAll(async () => {
  for (const database of databases) await database.close();
  await drop();
});

it('never overdraws an account when servers decide devices pushes at once, and gives each command one outcome', async () => {
  const random = seededRandom(seed);
  const journalId = `race-${randomId()}`;
  const token = await tokens.issue(journalId);
  const call = (server: SyncServer, path: string, body?: unknown) =>
    server.fetch(
      new Request(`http://sync.test/v1/journals/${journalId}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    );
  const accounts = ['a', 'b'];
  const devices = ['d1', 'd2', 'd3', 'd4'];
  const outcomes = new Map<string, Outcome[]>(devices.map((device) => [device, []]));

  await Promise.all(
    devices.map(async (device, d) => {
      let seq = 0;
      for (let round = 0; round < 8; round++) {
        const batch = Array.from({ length: 1 + Math.floor(random() * 5) }, () => ({
          seq: ++seq,
          commandId: `${device}-${seq}`,
          type: 'account',
          id: accounts[Math.floor(random() * accounts.length)]!,
          command: encodeValue(random() < 0.4 ? { type: 'deposit', amount: 1 + Math.floor(random() * 20) } : { type: 'withdraw', amount: 1 + Math.floor(random() * 30) }, 'command'),
        }));
        // Each batch to either server; a retry of it to the other, as a device whose answer was lost would.
        const server = servers[(d + round) % 2]!;
        const response = await call(server, '/push', { deviceId: device, commands: batch });
        expect(response.status).toBe(200);
        const answer = (await response.json()) as PushResponse;
        const again = (await (await call(servers[(d + round + 1) % 2]!, '/push', { deviceId: device, commands: batch })).json()) as PushResponse;
        expect(again.outcomes).toEqual(answer.outcomes);
        outcomes.get(device)!.push(...answer.outcomes);
      }
    }),
  );

  // Every command of every device has one outcome, in its order; the journal holds the events of the confirmed ones.
  const pulled = (await (await call(servers[0]!, `/pull?device=d1&after=0&limit=10000`)).json()) as PullResponse;
  for (const [device, list] of outcomes) {
    expect(list.map((outcome) => outcome.seq)).toEqual(list.map((_, i) => i + 1));
    const confirmed = list.filter((outcome) => outcome.status === 'confirmed');
    const caused = pulled.events.filter((event) => (decodeValue(event.metadata) as { causationId: string }).causationId.startsWith(`${device}-`));
    expect(caused.map((event) => (decodeValue(event.metadata) as { causationId: string }).causationId)).toEqual(confirmed.map((outcome) => outcome.commandId));
  }
  // Replayed in commit order, no account goes below zero, and positions are gapless.
  const balances = new Map<string, number>();
  pulled.events.forEach((event, i) => {
    expect(event.position).toBe(i + 1);
    const { type, amount } = decodeValue(event.event) as { type: string; amount: number };
    const balance = (balances.get(event.streamId) ?? 0) + (type === 'deposited' ? amount : -amount);
    expect(balance).toBeGreaterThanOrEqual(0);
    balances.set(event.streamId, balance);
  });
  const rejected = [...outcomes.values()].flat().filter((outcome) => outcome.status === 'rejected');
  expect(rejected.length).toBeGreaterThan(0);
});
