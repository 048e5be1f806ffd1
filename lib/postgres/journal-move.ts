import { StorageError } from 'eventfold';
import type { PostgresDatabase } from './postgres-database.ts';
import { quotedSchema } from './schema.ts';
import type { SqlQuery } from './sql-port.ts';

/**
 * The tables that hold a journal, each with the columns of its key after `journal_id` (the order rows are copied and
 * compared in). `journals` comes first: a copy is a journal only once its row is there.
 */
const TABLES: ReadonlyArray<readonly [table: string, key: string]> = [
  ['journals', 'journal_id'],
  ['events', 'position'],
  ['streams', 'stream_id'],
  ['snapshots', 'stream_id, sequence_nr'],
  ['idempotency', 'stream_id, key'],
  ['checkpoints', 'projection'],
  ['documents', 'projection, generation, doc_key'],
  ['sync_devices', 'device_id'],
  ['sync_outcomes', 'device_id, seq'],
];

/**
 * Rows copied per round trip: a value is at most 1 MiB (larger ones are refused on the way in), so a page stays far
 * below the 256 MB a `jsonb` value may hold, and a move holds one page at a time in memory, whatever the journal.
 */
const PAGE_ROWS = 200;

/** What a copy of a journal holds, to compare two copies by: each table's rows and a digest of their contents. */
type Census = Record<string, { rows: number; digest: string }>;

/** The SQL of the moves, for one schema. */
function statementsOf(schema: string) {
  const s = quotedSchema(schema);
  // The fence's own column is left out (the copy is live, the source fenced), and so is the creation time, whose text
  // follows each session's time zone.
  const rowOf = (table: string) => (table === 'journals' ? `to_jsonb(t) - 'moved_to' - 'created_at'` : 'to_jsonb(t)');
  return {
    /** Waits for the journal's writers, then fences it ($2: the shard it goes to), unless it is fenced already. */
    fence: `UPDATE ${s}.journals SET moved_to = $2 WHERE journal_id = $1 RETURNING head, moved_to`,
    lock: `SELECT head, epoch, moved_to FROM ${s}.journals WHERE journal_id = $1 FOR UPDATE`,
    state: `SELECT head, epoch, moved_to FROM ${s}.journals WHERE journal_id = $1`,
    notify: 'SELECT pg_notify($2, $1)',
    // Keyset paging ($3: the last row of the page before, as JSON, or NULL): each page is read from the key's index.
    page: (table: string, key: string) =>
      `SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY ${key}), '[]')::text AS rows, count(*)::int AS n,
              (array_agg(to_jsonb(t) ORDER BY ${key} DESC))[1]::text AS last
       FROM (SELECT * FROM ${s}.${table} WHERE journal_id = $1
               AND ($3::jsonb IS NULL OR (${key}) > (SELECT ${key} FROM jsonb_populate_record(NULL::${s}.${table}, $3::jsonb)))
             ORDER BY ${key} LIMIT $2) t`,
    // The same columns in the same order on every database at this schema version: a row goes in as it came out.
    insert: (table: string) => `INSERT INTO ${s}.${table} SELECT * FROM jsonb_populate_recordset(NULL::${s}.${table}, $1::text::jsonb)`,
    remove: (table: string) => `DELETE FROM ${s}.${table} WHERE journal_id = $1`,
    unfence: `UPDATE ${s}.journals SET moved_to = NULL WHERE journal_id = $1`,
    census: `SELECT jsonb_build_object(${TABLES.map(
      ([table, key]) =>
        `'${table}', (SELECT jsonb_build_object('rows', count(*), 'digest', md5(coalesce(string_agg(md5((${rowOf(table)})::text), '' ORDER BY ${key}), '')))
          FROM ${s}.${table} t WHERE journal_id = $1)`,
    ).join(', ')})::text AS census`,
  };
}

/** The move's step that failed, as a `StorageError` (nothing of the journal is lost: the source keeps its copy). */
function moveFailed(journalId: string, detail: string): StorageError {
  return new StorageError(`moving the journal "${journalId}"`, new Error(detail));
}

/**
 * Step 1 of a move: fences the journal's copy on `source`, in a transaction that waits for its writes under way
 * (they take the journal's row), and wakes its watchers, so that a server that did not hear of the move finds it at
 * its next read. Every write after it fails its claim. Resolves with the journal's head; a journal fenced already
 * towards `to` (a move resumed) is fenced as it is.
 */
export async function fenceJournal(source: PostgresDatabase, journalId: string, to: string): Promise<number> {
  const { port, channel } = source.sql;
  const sql = statementsOf(source.schema);
  return port.transaction(async (query) => {
    const [row] = await query<{ head: string | number; moved_to: string | null }>(sql.lock, [journalId]);
    if (!row) throw moveFailed(journalId, `the source database holds no journal "${journalId}"`);
    if (row.moved_to !== null && row.moved_to !== to) throw moveFailed(journalId, `it is fenced already, moving to the shard "${row.moved_to}"`);
    await query(sql.fence, [journalId, to]);
    await query(sql.notify, [journalId, channel]);
    return Number(row.head);
  });
}

/**
 * Step 2: copies the fenced journal from `source` to `target` in one transaction on the target: every row of every
 * table, positions and sequence numbers as they are, and the epoch, then checks that the copy holds the same rows
 * (counts and digests of each table) before it commits. The target may hold the fence of an earlier move away,
 * which the copy replaces; a live copy there is kept when it is at least the source's (a move resumed after its copy
 * committed, and which may have taken writes since), and refused otherwise. Resolves with the rows copied.
 */
export async function copyJournal(source: PostgresDatabase, target: PostgresDatabase, journalId: string): Promise<number> {
  if (source.schema !== target.schema) throw moveFailed(journalId, `the shards use the schemas "${source.schema}" and "${target.schema}": give them one`);
  const sql = statementsOf(source.schema);
  const from = source.sql.port;
  const expected = await censusOf((text, params) => from.query(text, params), sql.census, journalId);
  return target.sql.port.transaction(async (query) => {
    const [existing] = await query<{ head: string | number; epoch: string; moved_to: string | null }>(sql.lock, [journalId]);
    if (existing && existing.moved_to === null) {
      const [fenced] = await from.query<{ head: string | number; epoch: string }>(sql.state, [journalId]);
      if (fenced && existing.epoch === fenced.epoch && Number(existing.head) >= Number(fenced.head)) return 0;
      throw moveFailed(journalId, 'the target holds a live copy of it that is not the source\'s: remove it first, or move the journal there');
    }
    for (const [table] of [...TABLES].reverse()) await query(sql.remove(table), [journalId]);
    let copied = 0;
    for (const [table, key] of TABLES) {
      for (let last: string | null = null; ; ) {
        const [page]: { rows: string; n: number; last: string | null }[] = await from.query<{ rows: string; n: number; last: string | null }>(sql.page(table, key), [journalId, PAGE_ROWS, last]);
        if (!page || page.n === 0) break;
        await query(sql.insert(table), [page.rows]);
        copied += page.n;
        if (page.n < PAGE_ROWS) break;
        last = page.last;
      }
    }
    await query(sql.unfence, [journalId]);
    const found = await censusOf(query, sql.census, journalId);
    for (const [table] of TABLES) {
      const [want, got] = [expected[table]!, found[table]!];
      if (want.rows !== got.rows || want.digest !== got.digest) {
        throw moveFailed(journalId, `the copy's ${table} differ from the source's (${got.rows} rows, not ${want.rows}): nothing was committed`);
      }
    }
    return copied;
  });
}

/**
 * Step 4 (after the directory names the target): removes the journal's rows from `source`, all but its fenced row,
 * which stays as the fence, and wakes its watchers once more.
 */
export async function removeSourceCopy(source: PostgresDatabase, journalId: string, to: string): Promise<void> {
  const { port, channel } = source.sql;
  const sql = statementsOf(source.schema);
  await port.transaction(async (query) => {
    const [row] = await query<{ moved_to: string | null }>(sql.lock, [journalId]);
    if (!row || row.moved_to !== to) throw moveFailed(journalId, `the source's copy is not fenced towards "${to}": it is not removed`);
    for (const [table] of TABLES.slice(1)) await query(sql.remove(table), [journalId]);
    await query(sql.notify, [journalId, channel]);
  });
}

/**
 * Undoes a move before its flip (steps 1 and 2): removes the copy the target may hold (a live one: nothing was
 * written to it, the directory naming the source), then lifts the source's fence and wakes its watchers. A target
 * that holds only the fence of an earlier move away keeps it. Resolves with whether the source was fenced.
 */
export async function unfenceJournal(source: PostgresDatabase, target: PostgresDatabase | undefined, journalId: string): Promise<boolean> {
  const sql = statementsOf(source.schema);
  const [fenced] = await source.sql.port.query<{ moved_to: string | null }>(sql.state, [journalId]);
  if (!fenced || fenced.moved_to === null) return false;
  await target?.sql.port.transaction(async (query) => {
    const [copy] = await query<{ moved_to: string | null }>(sql.lock, [journalId]);
    if (!copy || copy.moved_to !== null) return;
    for (const [table] of [...TABLES].reverse()) await query(sql.remove(table), [journalId]);
  });
  const { port, channel } = source.sql;
  await port.transaction(async (query) => {
    await query(sql.unfence, [journalId]);
    await query(sql.notify, [journalId, channel]);
  });
  return true;
}

/** The journal's census in one statement (one snapshot). */
async function censusOf(query: SqlQuery, text: string, journalId: string): Promise<Census> {
  const [row] = await query<{ census: string }>(text, [journalId]);
  return JSON.parse(row!.census) as Census;
}
