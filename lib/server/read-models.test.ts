// The sync server keeps the app's read models of each journal in PostgreSQL, caught up after every push, where
// plain SQL reads them: the seeds' `account_summaries`, from the commands devices pushed.
import { defineProjection, randomId } from 'eventfold';
import { encodeValue } from 'eventfold/kit';
import { openPostgresDatabase, type PostgresDatabase } from 'eventfold/postgres';
import { createSyncServer, journalTokens, type SyncServer } from 'eventfold/server';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';
import { account } from '../test-support/bank-account.ts';

const summaries = defineProjection.for({ account })({
  name: 'account_summaries',
  documentId: (event) => event.entityId,
  evolve: (summary: { balance: number; transactions: number } | undefined, { event }) => ({
    balance: (summary?.balance ?? 0) + (event.type === 'deposited' ? event.amount : -event.amount),
    transactions: (summary?.transactions ?? 0) + 1,
  }),
});

const tokens = journalTokens({ secret: 'a test secret of at least thirty-two bytes' });
let database: PostgresDatabase;
let server: SyncServer;
let sql: postgres.Sql;
let drop = async () => {};

beforeAll(async () => {
  const fresh = await freshDatabase(inject('postgresUrl'), 'eventfold_read_models');
  drop = fresh.drop;
  database = await openPostgresDatabase({ connectionString: fresh.url });
  server = createSyncServer({ database, entities: { account }, projections: [summaries], authorize: tokens.authorize });
  sql = postgres(fresh.url, { max: 1, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  await server.close();
  await database.close();
  await sql.end();
  await drop();
});

it('keeps a read model of pushed commands in a table that SQL reads', async () => {
  const journalId = `j-${randomId()}`;
  const token = await tokens.issue(journalId);
  const commands = [
    { type: 'deposit', amount: 100 },
    { type: 'withdraw', amount: 30 },
    { type: 'withdraw', amount: 500 },
  ].map((command, i) => ({ seq: i + 1, commandId: `c-${i}`, type: 'account', id: i === 0 ? 'acc-1' : 'acc-1', command: encodeValue(command, 'command') }));
  commands.push({ seq: 4, commandId: 'c-3', type: 'account', id: 'acc-2', command: encodeValue({ type: 'deposit', amount: 7 }, 'command') });
  const response = await server.fetch(
    new Request(`http://sync.test/v1/journals/${journalId}/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId: 'device-a', commands }),
    }),
  );
  expect(response.status).toBe(200);
  const read = () =>
    sql<{ doc_id: string; balance: number; transactions: number }[]>`
      SELECT doc_id, (doc->>'balance')::int AS balance, (doc->>'transactions')::int AS transactions
      FROM eventfold.documents WHERE journal_id = ${journalId} AND projection = 'account_summaries' ORDER BY doc_id`;
  await expect.poll(async () => [...(await read())]).toEqual([
    { doc_id: 'acc-1', balance: 70, transactions: 2 },
    { doc_id: 'acc-2', balance: 7, transactions: 1 },
  ]);
});
