/**
 * The PostgreSQL journal, for Node: an `EventJournal` that every process opening it shares (`kind: 'centralized'`),
 * over a PostgreSQL server (`connectionString`, through `pg`) or PGlite (`@electric-sql/pglite`, the same SQL in
 * WebAssembly, in a folder or in memory: no server to run). Install the one you use; neither is loaded otherwise.
 *
 * ```ts
 * import { openPostgresDatabase } from 'eventfold/postgres';
 *
 * const database = await openPostgresDatabase({ connectionString: process.env.DATABASE_URL });
 * const journal = await database.journal(`user:${userId}`); // created on first use unless `create: false`
 * const runtime = createRuntime({ journal, entities });
 * const stop = await journal.watch(() => wakeReaders()); // a write committed, in any process
 * ```
 *
 * One database holds many journals: every table's key begins with the journal's id, so journals never see one
 * another's events, snapshots, idempotency keys, read models or notices, and a database can later be split by
 * journal id. Positions are gapless and in commit order per journal (see `PostgresJournal`).
 *
 * **Tables** (schema `eventfold` unless `schema` says otherwise; versions in `migrations`): `journals` (id, head,
 * created), `events` (position, stream, sequence number, event id, type, schema version, `data` and `metadata` as
 * `jsonb`, timestamp; unique per stream and sequence number, and per event id), `streams` (each stream's head),
 * `snapshots`, `idempotency`, `checkpoints` and `documents` (read models, served and shadow copies). Values are
 * stored as plain `jsonb` where they are plain JSON, so they stay queryable; Maps, Sets, Dates, BigInts, typed arrays,
 * `undefined`, `-0` and shared or cyclic objects are tagged so that they come back exactly (see `encodeValue` in `eventfold/kit`).
 *
 * **Least privileges.** Migrating (the default, `migrate: true`) needs `CREATE` on the database (for the schema)
 * or on an existing schema. A role that only runs journals, opened with `migrate: false`, needs `USAGE` on the
 * schema and `SELECT, INSERT, UPDATE, DELETE` on its tables; nothing else (`pg_notify`, `LISTEN` and
 * `pg_advisory_xact_lock` are open to every role). For example:
 *
 * ```sql
 * GRANT USAGE ON SCHEMA eventfold TO app;
 * GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA eventfold TO app;
 * ```
 *
 * @module eventfold/postgres
 */
export {
  MAX_JOURNAL_ID_LENGTH,
  type OpenPostgresJournalOptions,
  openPostgresDatabase,
  openPostgresJournal,
  PostgresDatabase,
  type PostgresDatabaseOptions,
  type PostgresJournalOptions,
} from './postgres-database.ts';
export { PostgresJournal } from './postgres-journal.ts';
export type { DecisionCommit, StoredOutcome, SyncState } from './sync-records.ts';
export type { ChangeListener } from './notices.ts';
export { SCHEMA_VERSION } from './schema.ts';
export {
  type JournalMove,
  type JournalPlacement,
  rendezvousShard,
  type ShardDatabases,
  ShardedDatabases,
  type ShardedDatabasesOptions,
  shardedDatabases,
} from './sharded-databases.ts';
