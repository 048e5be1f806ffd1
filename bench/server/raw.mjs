// The baseline of the server section: the rows the PostgreSQL journal keeps in its `events` table, written and read
// through the same driver with nothing else: no lock on the journal's head, no stream heads, no reads before a
// write, no change notice, no value codec. Its tables are the journal's own (made by the journal's migration), so
// the layout, the keys and the indexes are the same.
import { randomUUID } from 'node:crypto';

const columns = 'journal_id, position, stream_id, sequence_nr, event_id, type, schema_version, data, metadata, timestamp';

/**
 * The baseline's statements on the tables of `schema` (a checked identifier, as the journal's). One row per
 * statement with VALUES; many with one INSERT over arrays (`unnest`), which measured a little faster here (1,000 rows:
 * about 28 ms, against 29–30 ms for a `jsonb_to_recordset` of one JSON text, the journal's way, and 33 ms for 1,000
 * VALUES tuples, on the server and on PGlite alike): the baseline is the quickest plain INSERT.
 * @param {string} schema
 */
export function rawStatements(schema) {
  const s = `"${schema}"`;
  return {
    insertOne: `INSERT INTO ${s}.events (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    insertMany: `INSERT INTO ${s}.events (${columns})
      SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::integer[],
        $8::jsonb[], $9::jsonb[], $10::double precision[])`,
    /** A page of a stream, as the journal's `load` reads it while replaying. */
    loadPage: `SELECT position, sequence_nr, event_id, type, schema_version, data, metadata, timestamp FROM ${s}.events
      WHERE journal_id = $1 AND stream_id = $2 AND sequence_nr BETWEEN $3 AND $4 ORDER BY sequence_nr`,
  };
}

/**
 * @typedef {(text: string, params: unknown[]) => Promise<Record<string, unknown>[]>} Query
 * @typedef {object} RawSql  One driver, as the journal's adapter drives it.
 * @property {Query} query  One statement in a transaction of its own, as the journal's appends and reads are.
 * @property {() => Promise<void>} close
 */

/**
 * `pg` on a server, as the journal's adapter uses it: a pool, and each statement with parameters prepared once per
 * connection (a named statement).
 * @param {string} connectionString
 * @returns {Promise<RawSql>}
 */
export async function rawPg(connectionString) {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString, max: 10 });
  pool.on('error', () => {});
  /** @type {Map<string, string>} */
  const names = new Map();
  const named = (/** @type {string} */ text, /** @type {unknown[]} */ values) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `raw_${names.size + 1}`));
    return { name, text, values };
  };
  return {
    query: async (text, params) => (await pool.query(named(text, params))).rows,
    close: () => pool.end(),
  };
}

/**
 * PGlite in the folder `dataDir`, as the journal's adapter uses it.
 * @param {string} dataDir
 * @returns {Promise<RawSql>}
 */
export async function rawPglite(dataDir) {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  return {
    query: async (text, params) => /** @type {Record<string, unknown>[]} */ ((await db.query(text, params)).rows),
    close: () => db.close(),
  };
}

/**
 * A row of the events table as the runtime writes one for a command: a fresh event id, the command's id as
 * correlation and causation, the type, schema version 1, the clock's time.
 * @param {number} position
 * @param {string} streamId
 * @param {number} sequenceNr
 * @param {{ type: string }} event
 */
export function eventRow(position, streamId, sequenceNr, event) {
  const commandId = randomUUID();
  return {
    position,
    streamId,
    sequenceNr,
    eventId: randomUUID(),
    type: event.type,
    data: JSON.stringify(event),
    metadata: JSON.stringify({ correlationId: commandId, causationId: commandId }),
    timestamp: Date.now(),
  };
}

/**
 * A hand-written event store of one journal over the baseline's statements: it keeps the next position and each
 * stream's next sequence number in memory (this process is its only writer), as the browser benchmark's raw store
 * does.
 * @param {RawSql} sql
 * @param {string} schema
 * @param {string} journalId
 */
export function rawJournal(sql, schema, journalId) {
  const statements = rawStatements(schema);
  let position = 0;
  /** @type {Map<string, number>} */
  const heads = new Map();
  /** @param {string} streamId @param {{ type: string }} event */
  const next = (streamId, event) => {
    const sequenceNr = (heads.get(streamId) ?? 0) + 1;
    heads.set(streamId, sequenceNr);
    return eventRow(++position, streamId, sequenceNr, event);
  };
  return {
    /** One INSERT of one row, in a transaction of its own. */
    appendOne: async (/** @type {string} */ streamId, /** @type {{ type: string }} */ event) => {
      const row = next(streamId, event);
      await sql.query(statements.insertOne, [journalId, row.position, row.streamId, row.sequenceNr, row.eventId, row.type, 1, row.data, row.metadata, row.timestamp]);
    },
    /**
     * One INSERT of every row of `writes` (`[streamId, events]` pairs, in order), in a transaction of its own.
     * @param {[string, { type: string }[]][]} writes
     */
    appendMany: async (writes) => {
      const rows = writes.flatMap(([streamId, events]) => events.map((event) => next(streamId, event)));
      const column = (/** @type {(row: ReturnType<typeof eventRow>) => unknown} */ pick) => rows.map(pick);
      await sql.query(statements.insertMany, [
        journalId,
        column((row) => row.position),
        column((row) => row.streamId),
        column((row) => row.sequenceNr),
        column((row) => row.eventId),
        column((row) => row.type),
        column(() => 1),
        column((row) => row.data),
        column((row) => row.metadata),
        column((row) => row.timestamp),
      ]);
    },
  };
}

/**
 * Reads a stream from the start in pages of `pageSize`, as a replay reads it, the payloads decoded from `jsonb` by
 * the driver; a short page is the end. Resolves with the number of rows read.
 * @param {RawSql} sql
 * @param {string} schema
 * @param {string} journalId
 * @param {string} streamId
 * @param {number} pageSize
 */
export async function rawReplay(sql, schema, journalId, streamId, pageSize) {
  const { loadPage } = rawStatements(schema);
  let count = 0;
  for (let from = 1; ; from += pageSize) {
    const page = await sql.query(loadPage, [journalId, streamId, from, from + pageSize - 1]);
    count += page.length;
    if (page.length < pageSize) return count;
  }
}
