// The plan of the read a replay repeats, on a real server, as a prepared statement runs it after its first few
// executions (the generic plan, forced here): a page of `load` reads only the index entries of its range, never the
// stream to its end.
import { openPostgresDatabase } from 'eventfold/postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';
import { numbered } from '../test-support/events.ts';
import { statementsFor } from './statements.ts';

const statements = statementsFor('"eventfold"');
let client: pg.Client;
let drop = async () => {};
beforeAll(async () => {
  let url: string;
  ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_plans'));
  const database = await openPostgresDatabase({ connectionString: url });
  const journal = await database.journal('planned');
  await journal.append([{ streamId: 's', events: numbered(1, 5_000) }]);
  await database.close();
  client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ANALYZE');
  await client.query('SET plan_cache_mode = force_generic_plan');
}, 60_000);
afterAll(async () => {
  await client?.end();
  await drop();
});

/** Every node of an `EXPLAIN (ANALYZE, FORMAT JSON)` plan. */
function nodesOf(plan: Record<string, unknown>): Record<string, unknown>[] {
  return [plan, ...((plan.Plans as Record<string, unknown>[] | undefined) ?? []).flatMap(nodesOf)];
}

/** The rows each scan of the generic plan of `text` with `params` read, and the rows its filters removed. */
async function scans(name: string, text: string, types: string, params: string): Promise<{ read: number; removed: number }> {
  await client.query(`PREPARE ${name} (${types}) AS ${text}`);
  const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${name} (${params})`);
  const nodes = nodesOf((rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0]!.Plan).filter((node) => String(node['Node Type']).includes('Scan'));
  return {
    read: nodes.reduce((sum, node) => sum + Number(node['Actual Rows']), 0),
    removed: nodes.reduce((sum, node) => sum + Number(node['Rows Removed by Filter'] ?? 0) + Number(node['Rows Removed by Index Recheck'] ?? 0), 0),
  };
}

it("reads a page of a stream's events from its range alone", async () => {
  expect(await scans('page', statements.load, 'text, text, bigint, bigint', `'planned', 's', 2001, 2500`)).toEqual({ read: 500, removed: 0 });
});
