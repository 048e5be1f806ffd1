// node bench/postgres-drivers.mjs [--runs N] [--no-fsync] [--all]
// Measures the two PostgreSQL drivers on the same server with the same SQL, to choose the one eventfold/postgres uses:
// 1,000 single-row append transactions one after another (BEGIN; lock the head row; INSERT; UPDATE; COMMIT), 10,000
// rows in one transaction (one INSERT … SELECT FROM jsonb_to_recordset, and 10,000 one-row INSERTs issued at once),
// and a SELECT of 100,000 rows with their jsonb payloads. DATABASE_URL when set, else a throwaway server (fsync on).
import pg from 'pg';
import postgres from 'postgres';
import { createDatabase, dropDatabase, startPostgres, uniqueDatabaseName } from '../tools/postgres-server.mjs';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 3;

const schema = `
  CREATE TABLE heads (id text PRIMARY KEY, head bigint NOT NULL);
  CREATE TABLE rows (id text NOT NULL, position bigint NOT NULL, stream_id text NOT NULL, data jsonb NOT NULL,
    timestamp double precision NOT NULL, PRIMARY KEY (id, position));
  INSERT INTO heads VALUES ('j', 0);`;
const lock = 'SELECT head FROM heads WHERE id = $1 FOR UPDATE';
const insertOne = 'INSERT INTO rows (id, position, stream_id, data, timestamp) VALUES ($1, $2, $3, $4::text::jsonb, $5)';
const insertMany = `INSERT INTO rows (id, position, stream_id, data, timestamp)
  SELECT $1, r.position, r.stream_id, r.data, r.timestamp
  FROM jsonb_to_recordset($2::text::jsonb) AS r(position bigint, stream_id text, data jsonb, timestamp double precision)`;
const moveHead = 'UPDATE heads SET head = $2 WHERE id = $1';
const selectAll = 'SELECT position, stream_id, data, timestamp FROM rows WHERE id = $1 ORDER BY position';
/** @param {number} i */
const payload = (i) => ({ type: 'deposited', amount: i, note: `row ${i}`, tags: ['a', 'b'] });

/**
 * @typedef {(text: string, params: unknown[]) => Promise<any[]>} Query
 * @typedef {{ query: Query, transaction: (body: (query: Query) => Promise<void>) => Promise<void>, end: () => Promise<void> }} Driver
 */

/**
 * The same operations over each driver: `query` outside a transaction, `transaction(body)` with a dedicated connection.
 * @type {Record<'postgres' | 'pg', (url: string) => Driver>}
 */
const drivers = {
  postgres: (url) => {
    const sql = postgres(url, { max: 4, onnotice: () => {} });
    return {
      query: async (text, params) => [...(await sql.unsafe(text, /** @type {any[]} */ (params)))],
      async transaction(body) {
        const connection = await sql.reserve();
        try {
          // Not awaited: postgres pipelines BEGIN with the transaction's first statement (one round trip fewer).
          const begun = connection.unsafe('BEGIN');
          begun.catch(() => {});
          const result = await body(async (text, params) => [...(await connection.unsafe(text, /** @type {any[]} */ (params)))]);
          await begun;
          await connection.unsafe('COMMIT');
          return result;
        } catch (error) {
          await connection.unsafe('ROLLBACK').catch(() => {});
          throw error;
        } finally {
          connection.release();
        }
      },
      end: () => sql.end(),
    };
  },
  pg: (url) => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    return {
      query: async (text, params) => (await pool.query(text, params)).rows,
      async transaction(body) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const result = await body(async (text, params) => (await client.query(text, params)).rows);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      },
      end: () => pool.end(),
    };
  },
};

/**
 * @param {'postgres' | 'pg'} name
 * @param {string} url
 */
async function measure(name, url) {
  const db = drivers[name](url);
  await db.query('DROP TABLE IF EXISTS rows, heads', []);
  for (const statement of schema.split(';').map((s) => s.trim()).filter(Boolean)) await db.query(statement, []);
  let position = 0;
  const time = async (/** @type {() => Promise<unknown>} */ body) => {
    const began = performance.now();
    await body();
    return performance.now() - began;
  };
  const single = await time(async () => {
    for (let i = 0; i < 1_000; i++) {
      await db.transaction(async (q) => {
        const [{ head }] = await q(lock, ['j']);
        const next = Number(head) + 1;
        await q(insertOne, ['j', next, `s${i % 10}`, JSON.stringify(payload(i)), Date.now()]);
        await q(moveHead, ['j', next]);
      });
    }
    position = 1_000;
  });
  const batch = await time(() =>
    db.transaction(async (q) => {
      const rows = Array.from({ length: 10_000 }, (_, i) => ({ position: ++position, stream_id: `s${i % 10}`, data: payload(i), timestamp: Date.now() }));
      await q(insertMany, ['j', JSON.stringify(rows)]);
      await q(moveHead, ['j', position]);
    }),
  );
  const statements = await time(() =>
    db.transaction(async (q) => {
      const inserts = [];
      for (let i = 0; i < 10_000; i++) inserts.push(q(insertOne, ['j', ++position, `s${i % 10}`, JSON.stringify(payload(i)), Date.now()]));
      await Promise.all(inserts);
      await q(moveHead, ['j', position]);
    }),
  );
  // Up to 100,000 rows for the SELECT.
  while (position < 100_000) {
    await db.transaction(async (q) => {
      const rows = Array.from({ length: 10_000 }, (_, i) => ({ position: ++position, stream_id: `s${i % 10}`, data: payload(i), timestamp: Date.now() }));
      await q(insertMany, ['j', JSON.stringify(rows.filter((row) => row.position <= 100_000))]);
    });
  }
  let count = 0;
  const select = await time(async () => {
    count = (await db.query(selectAll, ['j'])).length;
  });
  if (count !== 100_000) throw new Error(`${name}: read ${count} rows`);
  await db.end();
  return { single, batch, statements, select };
}

const given = process.env.DATABASE_URL;
// `--no-fsync`: commits cost no flush, so that the drivers' own overhead shows (a throwaway server only).
const server = given ? undefined : await startPostgres({ fsync: !args.includes('--no-fsync') });
const base = given ?? /** @type {NonNullable<typeof server>} */ (server).url;
const database = uniqueDatabaseName('eventfold_bench_drivers');
const url = await createDatabase(base, database);
try {
  /** @type {Record<'postgres' | 'pg', Awaited<ReturnType<typeof measure>>[]>} */
  const results = { postgres: [], pg: [] };
  for (let run = 0; run < runs; run++) {
    // Alternating, so that neither driver always runs on a warmer server.
    for (const name of /** @type {('postgres' | 'pg')[]} */ (run % 2 === 0 ? ['postgres', 'pg'] : ['pg', 'postgres'])) results[name].push(await measure(name, url));
  }
  const median = (/** @type {number[]} */ values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  console.log(`PostgreSQL driver comparison, ${runs} runs each, medians (ms):`);
  console.log('driver    | 1,000 single-row tx | 10,000 rows, 1 statement | 10,000 INSERTs, 1 tx | SELECT 100,000 rows');
  for (const [name, list] of Object.entries(results)) {
    const m = (/** @type {'single' | 'batch' | 'statements' | 'select'} */ key) => median(list.map((r) => r[key])).toFixed(0).padStart(8);
    if (args.includes('--all')) console.log(name, JSON.stringify(list.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)])))));
    console.log(`${name.padEnd(9)} | ${m('single')}            | ${m('batch')}                 | ${m('statements')}             | ${m('select')}`);
  }
} finally {
  await dropDatabase(base, database);
  await server?.stop();
}
