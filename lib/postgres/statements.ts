/**
 * Every statement of the PostgreSQL journal, for one schema. `s` is the quoted schema name (`quotedSchema`), the one
 * name put into the text; every value is a bound parameter. Lists travel as one JSON text parameter each
 * (`$2::text::jsonb`), read with `jsonb_to_recordset` or `jsonb_array_elements_text`: one round trip for any number of
 * rows, and no driver's own idea of how to send an array. `$1` is always the journal's id.
 *
 * @internal
 */
export function statementsFor(s: string) {
  const docs = `SELECT c.position, c.rebuild_position, c.rebuild_total, d.doc_id, d.doc
    FROM ${s}.checkpoints c
    LEFT JOIN LATERAL (
      SELECT doc_id, doc, doc_key FROM ${s}.documents d
      WHERE d.journal_id = c.journal_id AND d.projection = c.projection AND d.generation = c.generation AND %WHERE%
      ORDER BY d.doc_key LIMIT $3
    ) d ON true
    WHERE c.journal_id = $1 AND c.projection = $2
    ORDER BY d.doc_key`;
  return {
    createJournal: `INSERT INTO ${s}.journals (journal_id) VALUES ($1) ON CONFLICT (journal_id) DO NOTHING`,
    journalExists: `SELECT 1 AS found FROM ${s}.journals WHERE journal_id = $1`,

    /**
     * The first statement of every write: waits for the journal's other writers to commit, then reads the head.
     * Alone, because in READ COMMITTED a statement that waited for a row lock sees that row as committed but every
     * other table as of when it started: what follows must be read by statements of its own.
     */
    lockHead: `SELECT head, moved_to FROM ${s}.journals WHERE journal_id = $1 FOR UPDATE`,

    /**
     * What a write decides on, in one round trip: the heads of the streams written ($2: ids), the idempotency keys
     * already used ($3: [stream, key] pairs), the event ids already stored ($4) and the checkpoints of projections ($5).
     */
    writeState: `SELECT
      (SELECT coalesce(jsonb_object_agg(stream_id, head), '{}') FROM ${s}.streams
        WHERE journal_id = $1 AND stream_id IN (SELECT jsonb_array_elements_text($2::text::jsonb))) AS heads,
      (SELECT coalesce(jsonb_agg(jsonb_build_array(stream_id, key)), '[]') FROM ${s}.idempotency
        WHERE journal_id = $1 AND (stream_id, key) IN (SELECT k->>0, k->>1 FROM jsonb_array_elements($3::text::jsonb) k)) AS keys,
      (SELECT coalesce(jsonb_agg(event_id), '[]') FROM ${s}.events
        WHERE journal_id = $1 AND event_id IN (SELECT jsonb_array_elements_text($4::text::jsonb))) AS event_ids,
      (SELECT coalesce(jsonb_object_agg(projection, jsonb_build_array(position, rebuild_position, rebuild_total, generation)), '{}')
        FROM ${s}.checkpoints
        WHERE journal_id = $1 AND projection IN (SELECT jsonb_array_elements_text($5::text::jsonb))) AS checkpoints`,

    /** Documents by projection, generation and key ($2: [{projection, generation, doc_key (hex)}]). */
    readDocuments: `SELECT d.projection, d.doc_id, d.doc FROM ${s}.documents d
      JOIN jsonb_to_recordset($2::text::jsonb) AS w(projection text, generation bigint, doc_key text)
        ON d.journal_id = $1 AND d.projection = w.projection AND d.generation = w.generation AND d.doc_key = decode(w.doc_key, 'hex')`,

    /** Everything a write stores, in one statement: see `writeStatement`. */
    write: writeStatement(s),

    /**
     * A stream's events from $3 to $4, both bounds always given: a prepared statement's generic plan uses only bounds it
     * is sure of as the index's range, and one of `$4 IS NULL OR …` would have every page of a replay read the stream
     * to its end.
     */
    load: `SELECT position, sequence_nr, event_id, type, schema_version, data, metadata, timestamp FROM ${s}.events
      WHERE journal_id = $1 AND stream_id = $2 AND sequence_nr BETWEEN $3 AND $4
      ORDER BY sequence_nr`,
    loadAfter: `SELECT position, stream_id, sequence_nr, event_id, type, schema_version, data, metadata, timestamp
      FROM ${s}.events WHERE journal_id = $1 AND position > $2 ORDER BY position LIMIT $3`,
    streamHead: `SELECT head FROM ${s}.streams WHERE journal_id = $1 AND stream_id = $2`,
    streamIds: `SELECT stream_id FROM ${s}.streams WHERE journal_id = $1 AND starts_with(stream_id, $2)`,
    /** The newest snapshot at or below $3 (always given, as `load`'s bounds). */
    loadSnapshot: `SELECT sequence_nr, state, timestamp, schema_version, checksum FROM ${s}.snapshots
      WHERE journal_id = $1 AND stream_id = $2 AND sequence_nr <= $3
      ORDER BY sequence_nr DESC LIMIT 1`,
    listSnapshots: `SELECT sequence_nr FROM ${s}.snapshots WHERE journal_id = $1 AND stream_id = $2 ORDER BY sequence_nr`,
    findIdempotencyRecord: `SELECT key, fingerprint, command_id, from_sequence_nr, to_sequence_nr, timestamp
      FROM ${s}.idempotency WHERE journal_id = $1 AND stream_id = $2 AND key = $3`,
    loadCheckpoint: `SELECT position, rebuild_position, rebuild_total FROM ${s}.checkpoints WHERE journal_id = $1 AND projection = $2`,

    /** Sync: the journal's head and epoch, with device $2's last sequence number decided (0 for a new device). */
    syncState: `SELECT j.head, j.epoch, j.moved_to, coalesce(d.last_seq, 0) AS last_seq FROM ${s}.journals j
      LEFT JOIN ${s}.sync_devices d ON d.journal_id = j.journal_id AND d.device_id = $2
      WHERE j.journal_id = $1`,
    /** Sync: device $2's outcomes of the commands with the ids $3 (a JSON array), the first of each. */
    outcomesOf: `SELECT DISTINCT ON (command_id) seq, command_id, outcome FROM ${s}.sync_outcomes
      WHERE journal_id = $1 AND device_id = $2 AND command_id IN (SELECT jsonb_array_elements_text($3::text::jsonb))
      ORDER BY command_id, seq`,
    /** Sync: device $2's outcomes with $3 < seq <= $4, ascending, at most $5. */
    outcomes: `SELECT seq, command_id, outcome FROM ${s}.sync_outcomes
      WHERE journal_id = $1 AND device_id = $2 AND seq > $3 AND seq <= $4 ORDER BY seq LIMIT $5`,

    /**
     * A read model's served documents with its checkpoint, in one statement (so they agree): by key ($4: hex keys)…
     */
    readModelByIds: docs.replace('%WHERE%', `d.doc_key IN (SELECT decode(k, 'hex') FROM jsonb_array_elements_text($4::text::jsonb) k)`),
    /** …or from key $4 (hex) up to, not including, key $5 (hex, or null for no bound). */
    readModelByRange: docs.replace('%WHERE%', `d.doc_key >= decode($4, 'hex') AND ($5::text IS NULL OR d.doc_key < decode($5, 'hex'))`),
  };
}

/** The statements of one schema. */
export type Statements = ReturnType<typeof statementsFor>;

/** What a write stores, each a list of rows bound as one JSON parameter; an empty or absent list is left out. */
export interface WriteParts {
  readonly events?: readonly object[];
  readonly heads?: readonly object[];
  readonly snapshots?: readonly object[];
  readonly keys?: readonly object[];
  readonly puts?: readonly object[];
  readonly deletes?: readonly object[];
  readonly drops?: readonly object[];
  readonly checkpoints?: readonly object[];
  /** Sync: the outcomes of devices' commands, `{device_id, seq, command_id, outcome}`. */
  readonly outcomes?: readonly object[];
  /** Sync: devices' last sequence numbers decided, `{device_id, last_seq}`. */
  readonly devices?: readonly object[];
}

/** A write's claim on the journal: the head it was planned at, and the head it leaves. */
export interface WriteClaim {
  readonly base: number;
  readonly head: number;
}

type Part = keyof WriteParts;

/**
 * The parts of a write's statement, each given the placeholder of its list and guarded by the claim: a part writes
 * nothing unless the journal's head was the claim's base. The parts touch disjoint rows, as one statement must.
 */
const PARTS: { readonly [P in Part]: (s: string, rows: string, kept: string) => string } = {
  events: (s, rows) => `new_events AS (
      INSERT INTO ${s}.events (journal_id, position, stream_id, sequence_nr, event_id, type, schema_version, data, metadata, timestamp)
      SELECT $1, e.* FROM jsonb_to_recordset(${rows}::text::jsonb) AS e(position bigint, stream_id text, sequence_nr bigint,
        event_id text, type text, schema_version integer, data jsonb, metadata jsonb, timestamp double precision)
      WHERE EXISTS (SELECT FROM claimed))`,
  heads: (s, rows) => `new_heads AS (
      INSERT INTO ${s}.streams (journal_id, stream_id, head)
      SELECT $1, h.stream_id, h.head FROM jsonb_to_recordset(${rows}::text::jsonb) AS h(stream_id text, head bigint)
      WHERE EXISTS (SELECT FROM claimed)
      ON CONFLICT (journal_id, stream_id) DO UPDATE SET head = excluded.head)`,
  // The snapshots of each stream kept by the rule of `keptSnapshots`: all while they are no more than `kept`; beyond,
  // the newest and the oldest in each interval of the spacing, the smallest power of two that puts those before the
  // newest into `kept - 1` intervals. A new snapshot the rule drops is not inserted, a stored one is deleted.
  snapshots: (s, rows, kept) => `new_snapshots AS (
      SELECT * FROM jsonb_to_recordset(${rows}::text::jsonb) AS n(stream_id text, sequence_nr bigint, state jsonb,
        timestamp double precision, schema_version integer, checksum text)
      WHERE EXISTS (SELECT FROM claimed)),
    every_snapshot AS (
      SELECT stream_id, sequence_nr, count(*) OVER w AS stored, max(sequence_nr) OVER w AS newest
      FROM (SELECT stream_id, sequence_nr FROM ${s}.snapshots
              WHERE journal_id = $1 AND stream_id IN (SELECT stream_id FROM new_snapshots)
            UNION SELECT stream_id, sequence_nr FROM new_snapshots) AS every_snapshot
      WINDOW w AS (PARTITION BY stream_id)),
    spaced AS (
      SELECT e.*, (SELECT min(2::float8 ^ g)::bigint FROM generate_series(0, 53) AS g
                    WHERE (2::float8 ^ g) * (${kept}::bigint - 1) > e.newest - 1) AS spacing
      FROM every_snapshot e),
    ranked AS (
      SELECT stream_id, sequence_nr, stored <= ${kept}::bigint OR sequence_nr = newest
          OR (${kept}::bigint > 1 AND row_number() OVER (PARTITION BY stream_id, sequence_nr / spacing ORDER BY sequence_nr) = 1) AS kept
      FROM spaced),
    kept_snapshots AS (
      INSERT INTO ${s}.snapshots (journal_id, stream_id, sequence_nr, state, timestamp, schema_version, checksum)
      SELECT $1, n.stream_id, n.sequence_nr, n.state, n.timestamp, n.schema_version, n.checksum
      FROM new_snapshots n JOIN ranked r USING (stream_id, sequence_nr) WHERE r.kept
      ON CONFLICT (journal_id, stream_id, sequence_nr) DO UPDATE SET state = excluded.state,
        timestamp = excluded.timestamp, schema_version = excluded.schema_version, checksum = excluded.checksum),
    dropped_snapshots AS (
      DELETE FROM ${s}.snapshots t USING ranked r
      WHERE t.journal_id = $1 AND t.stream_id = r.stream_id AND t.sequence_nr = r.sequence_nr AND NOT r.kept)`,
  keys: (s, rows) => `new_keys AS (
      INSERT INTO ${s}.idempotency (journal_id, stream_id, key, fingerprint, command_id, from_sequence_nr, to_sequence_nr, timestamp)
      SELECT $1, k.* FROM jsonb_to_recordset(${rows}::text::jsonb) AS k(stream_id text, key text, fingerprint text,
        command_id text, from_sequence_nr bigint, to_sequence_nr bigint, timestamp double precision)
      WHERE EXISTS (SELECT FROM claimed))`,
  puts: (s, rows) => `put_documents AS (
      INSERT INTO ${s}.documents (journal_id, projection, generation, doc_key, doc_id, doc)
      SELECT $1, p.projection, p.generation, decode(p.doc_key, 'hex'), p.doc_id, p.doc
      FROM jsonb_to_recordset(${rows}::text::jsonb) AS p(projection text, generation bigint, doc_key text, doc_id text, doc jsonb)
      WHERE EXISTS (SELECT FROM claimed)
      ON CONFLICT (journal_id, projection, generation, doc_key) DO UPDATE SET doc = excluded.doc)`,
  deletes: (s, rows) => `deleted_documents AS (
      DELETE FROM ${s}.documents d USING jsonb_to_recordset(${rows}::text::jsonb) AS x(projection text, generation bigint, doc_key text)
      WHERE d.journal_id = $1 AND d.projection = x.projection AND d.generation = x.generation
        AND d.doc_key = decode(x.doc_key, 'hex') AND EXISTS (SELECT FROM claimed))`,
  // Copies of read models dropped: [{projection, generation}].
  drops: (s, rows) => `dropped_copies AS (
      DELETE FROM ${s}.documents d USING jsonb_to_recordset(${rows}::text::jsonb) AS x(projection text, generation bigint)
      WHERE d.journal_id = $1 AND d.projection = x.projection AND d.generation = x.generation AND EXISTS (SELECT FROM claimed))`,
  checkpoints: (s, rows) => `new_checkpoints AS (
      INSERT INTO ${s}.checkpoints (journal_id, projection, position, rebuild_position, rebuild_total, generation)
      SELECT $1, c.* FROM jsonb_to_recordset(${rows}::text::jsonb) AS c(projection text, position bigint,
        rebuild_position bigint, rebuild_total bigint, generation bigint)
      WHERE EXISTS (SELECT FROM claimed)
      ON CONFLICT (journal_id, projection) DO UPDATE SET position = excluded.position,
        rebuild_position = excluded.rebuild_position, rebuild_total = excluded.rebuild_total, generation = excluded.generation)`,
  // A sequence number decided twice (two servers deciding one device's push at once) fails the primary key: the
  // statement stores nothing, and the later decider reads the outcomes the first stored.
  outcomes: (s, rows) => `new_outcomes AS (
      INSERT INTO ${s}.sync_outcomes (journal_id, device_id, seq, command_id, outcome)
      SELECT $1, o.* FROM jsonb_to_recordset(${rows}::text::jsonb) AS o(device_id text, seq bigint, command_id text, outcome jsonb)
      WHERE EXISTS (SELECT FROM claimed))`,
  devices: (s, rows) => `new_devices AS (
      INSERT INTO ${s}.sync_devices (journal_id, device_id, last_seq)
      SELECT $1, d.* FROM jsonb_to_recordset(${rows}::text::jsonb) AS d(device_id text, last_seq bigint)
      WHERE EXISTS (SELECT FROM claimed)
      ON CONFLICT (journal_id, device_id) DO UPDATE SET last_seq = excluded.last_seq)`,
};

/**
 * The statement of a write and its parameters. The write claims the journal first: it moves the head from the
 * claim's base to its new head, and only if the head is still the base and the journal has not moved to another
 * shard, waiting for the journal's other writers as it does. Every part is guarded by that claim, and the change notice is sent only with it (at commit), so the
 * statement stores all of the write or, when another write moved the head, nothing: it then answers no row. A write
 * outside a transaction that locked the journal is so checked for concurrent writers in the one round trip that
 * stores it. Only the parts a write has are in its text (an empty list costs a parse and a plan too), so a journal
 * runs a handful of texts, each prepared once per connection.
 *
 * `$1` is the journal's id, `$2` the claim's base, `$3` its head, `$4` the notice channel, then the lists of the parts
 * present in the order of `WriteParts`, then, with snapshots, how many are kept per stream (`snapshotsKept`).
 */
function writeStatement(s: string) {
  const texts = new Map<string, string>();
  return (journalId: string, claim: WriteClaim, snapshotsKept: number, channel: string, parts: WriteParts) => {
    const present = (Object.keys(PARTS) as Part[]).filter((part) => (parts[part]?.length ?? 0) > 0);
    const key = present.join();
    let text = texts.get(key);
    if (text === undefined) {
      const ctes = present.map((part, i) => PARTS[part](s, `$${i + 5}`, `$${present.length + 5}`));
      text = `WITH claimed AS (
      UPDATE ${s}.journals SET head = $3::bigint WHERE journal_id = $1 AND head = $2::bigint AND moved_to IS NULL RETURNING 1)${ctes.map((cte) => `,\n    ${cte}`).join('')}
    SELECT pg_notify($4, $1) FROM claimed`;
      texts.set(key, text);
    }
    const params: unknown[] = [journalId, claim.base, claim.head, channel, ...present.map((part) => JSON.stringify(parts[part]))];
    if (present.includes('snapshots')) params.push(snapshotsKept);
    return { text, params };
  };
}
