import { InvalidArgumentError, StorageError } from 'eventfold';
import type { SqlPort, SqlQuery } from './sql-port.ts';

/** The schema version this build of eventfold reads and writes. */
export const SCHEMA_VERSION = 3;

/** What a schema name must look like: a lowercase PostgreSQL identifier that needs no escaping, at most 63 bytes. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * `schema` checked and quoted for SQL text. It is the only name ever put into SQL text; every value is bound as a
 * parameter. Throws an `InvalidArgumentError` for anything but a lowercase identifier.
 */
export function quotedSchema(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError(`schema must match ${SCHEMA_NAME} (a lowercase identifier), got ${JSON.stringify(schema)}`, 'schema');
  }
  return `"${schema}"`;
}

/**
 * The migrations, in order: migration `i` takes the schema from version `i` to `i + 1`. Every table is keyed by the
 * journal's id first, so that one database holds many journals and can be split by journal id. Positions, sequence
 * numbers and heads are `bigint`; timestamps `double precision`, the exact JavaScript number; values `jsonb`.
 */
const MIGRATIONS: ReadonlyArray<(s: string) => string[]> = [
  (s) => [
    // One row per journal: its head (highest position) is locked by every write of the journal, which is what keeps
    // positions in commit order (see `PostgresJournal`).
    `CREATE TABLE ${s}.journals (
      journal_id text PRIMARY KEY,
      head bigint NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE ${s}.events (
      journal_id text NOT NULL,
      position bigint NOT NULL,
      stream_id text NOT NULL,
      sequence_nr bigint NOT NULL,
      event_id text NOT NULL,
      type text NOT NULL,
      schema_version integer NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL,
      timestamp double precision NOT NULL,
      PRIMARY KEY (journal_id, position),
      UNIQUE (journal_id, stream_id, sequence_nr),
      UNIQUE (journal_id, event_id))`,
    `CREATE TABLE ${s}.streams (
      journal_id text NOT NULL,
      stream_id text NOT NULL,
      head bigint NOT NULL,
      PRIMARY KEY (journal_id, stream_id))`,
    `CREATE TABLE ${s}.snapshots (
      journal_id text NOT NULL,
      stream_id text NOT NULL,
      sequence_nr bigint NOT NULL,
      state jsonb NOT NULL,
      timestamp double precision NOT NULL,
      schema_version integer,
      checksum text NOT NULL,
      PRIMARY KEY (journal_id, stream_id, sequence_nr))`,
    `CREATE TABLE ${s}.idempotency (
      journal_id text NOT NULL,
      stream_id text NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      command_id text NOT NULL,
      from_sequence_nr bigint NOT NULL,
      to_sequence_nr bigint NOT NULL,
      timestamp double precision NOT NULL,
      PRIMARY KEY (journal_id, stream_id, key))`,
    // A read model's position, and its rebuild's while one is under way; `generation` names the copy of its
    // documents that reads are served (the shadow being built is generation + 1).
    `CREATE TABLE ${s}.checkpoints (
      journal_id text NOT NULL,
      projection text NOT NULL,
      position bigint NOT NULL,
      rebuild_position bigint,
      rebuild_total bigint,
      generation bigint NOT NULL,
      PRIMARY KEY (journal_id, projection))`,
    // `doc_key` is the id in UTF-16 code units (big-endian): bytes order as JavaScript orders strings, which no
    // collation of `text` does for every character.
    `CREATE TABLE ${s}.documents (
      journal_id text NOT NULL,
      projection text NOT NULL,
      generation bigint NOT NULL,
      doc_key bytea NOT NULL,
      doc_id text NOT NULL,
      doc jsonb NOT NULL,
      PRIMARY KEY (journal_id, projection, generation, doc_key))`,
  ],
  (s) => [
    // Sync (`eventfold/server`). The epoch names one life of a journal: a journal created again (a reset) has another,
    // and devices that synced with the old one start over from its events.
    `ALTER TABLE ${s}.journals ADD COLUMN epoch text NOT NULL DEFAULT gen_random_uuid()::text`,
    // Each device's last command sequence number decided, moved in the statement that stores the outcomes.
    `CREATE TABLE ${s}.sync_devices (
      journal_id text NOT NULL,
      device_id text NOT NULL,
      last_seq bigint NOT NULL,
      PRIMARY KEY (journal_id, device_id))`,
    // What the server decided for each command of a device: a retry of a sequence number gets the same answer.
    `CREATE TABLE ${s}.sync_outcomes (
      journal_id text NOT NULL,
      device_id text NOT NULL,
      seq bigint NOT NULL,
      command_id text NOT NULL,
      outcome jsonb NOT NULL,
      PRIMARY KEY (journal_id, device_id, seq))`,
    // A command sent again under a new sequence number (a retried send) is found by its id, and not decided twice.
    `CREATE INDEX sync_outcomes_by_command ON ${s}.sync_outcomes (journal_id, device_id, command_id)`,
  ],
  (s) => [
    // Shards (`ShardedDatabases`): a journal moved to another database keeps its row here as a fence, naming the
    // shard it went to; every write claims the row only while this is null, so a process that has not heard of the
    // move stores nothing here after it.
    `ALTER TABLE ${s}.journals ADD COLUMN moved_to text`,
    // Which shard holds each journal, in the database designated as the directory (empty in the others).
    `CREATE TABLE ${s}.journal_directory (
      journal_id text PRIMARY KEY,
      shard text NOT NULL,
      placed_at timestamptz NOT NULL DEFAULT now())`,
  ],
];

/**
 * Brings the schema to `SCHEMA_VERSION`, in one transaction under an advisory lock (two processes opening at once
 * take turns; the second finds the work done), or, with `migrate: false`, only checks that it is there already.
 * Rejects with a `StorageError` when the schema is newer than this build, or older and not to be migrated.
 */
export async function prepareSchema(port: SqlPort, schema: string, migrate: boolean): Promise<void> {
  const s = quotedSchema(schema);
  const operation = `preparing the schema "${schema}"`;
  const failed = (detail: string) => new StorageError(operation, new Error(detail));
  const check = (version: number) => {
    if (version > SCHEMA_VERSION) throw failed(`it is at version ${version}, newer than this eventfold's ${SCHEMA_VERSION}: upgrade eventfold`);
    if (version < SCHEMA_VERSION && !migrate) {
      throw failed(`it is at version ${version}, and this eventfold needs ${SCHEMA_VERSION}: open it once with \`migrate: true\` as a role that may create tables`);
    }
  };
  if (!migrate) return check(await versionOf((text, params) => port.query(text, params), s));
  await port.transaction(async (query) => {
    await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`eventfold migrations ${schema}`]);
    const [found] = await query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!found) await query(`CREATE SCHEMA ${s}`, []);
    const version = await versionOf(query, s);
    if (version === 0) {
      await query(`CREATE TABLE IF NOT EXISTS ${s}.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`, []);
    }
    check(version);
    for (let next = version; next < SCHEMA_VERSION; next++) {
      for (const statement of MIGRATIONS[next]!(s)) await query(statement, []);
      await query(`INSERT INTO ${s}.migrations (version) VALUES ($1)`, [next + 1]);
    }
  });
}

/** The schema's version: 0 when it has no migrations table yet. */
async function versionOf(query: SqlQuery, s: string): Promise<number> {
  const [table] = await query<{ name: string | null }>('SELECT to_regclass($1) AS name', [`${s}.migrations`]);
  if (!table?.name) return 0;
  const [row] = await query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.migrations`, []);
  return row?.version ?? 0;
}
