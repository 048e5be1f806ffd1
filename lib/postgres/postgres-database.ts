import { ClosedError, DEFAULT_SNAPSHOTS_KEPT, InvalidArgumentError } from 'eventfold';
import { assertName, assertSequenceNr } from 'eventfold/kit';
import { entityLock } from './entity-lock.ts';
import { NoticeHub } from './notices.ts';
import { openPgAdapter } from './pg-adapter.ts';
import { openPgliteAdapter } from './pglite-adapter.ts';
import { PostgresJournal } from './postgres-journal.ts';
import { prepareSchema, quotedSchema } from './schema.ts';
import { typedError, typedRead } from './sql-errors.ts';
import type { SqlPort } from './sql-port.ts';
import { type Statements, statementsFor } from './statements.ts';

/** The longest journal id, in UTF-16 code units. */
export const MAX_JOURNAL_ID_LENGTH = 256;

/** Where the journals live, and how to reach them: options of `openPostgresDatabase`. */
export interface PostgresDatabaseOptions {
  /**
   * A PostgreSQL server, as `postgres://user:password@host:port/database` (what `pg` reads; `?sslmode=…` and the
   * like included). Needs the `pg` package. Without it (and without `dataDir`), PGlite in memory.
   */
  readonly connectionString?: string;
  /**
   * PGlite (PostgreSQL in WebAssembly, in this process; needs the `@electric-sql/pglite` package) with its data in
   * this folder, created when missing. One process at a time may open a folder.
   */
  readonly dataDir?: string;
  /** The PostgreSQL schema that holds the tables: a lowercase identifier (`/^[a-z_][a-z0-9_]{0,62}$/`). Default `eventfold`. */
  readonly schema?: string;
  /** Connections to the server at most (ignored by PGlite, which is one). Default 10. */
  readonly poolSize?: number;
  /**
   * How long, in milliseconds, a call waits for a connection to the server before it fails with a `StorageError`
   * (nothing stored): for a free connection while all `poolSize` are in use, or for a new one to be opened (ignored
   * by PGlite). A sync server answers that error with a retryable `503`, so devices back off and retry rather than
   * wait on a pool that busy work holds. Default 10,000.
   */
  readonly connectTimeoutMs?: number;
  /**
   * `true` (the default): create or upgrade the schema on open, in one transaction under an advisory lock, so that
   * processes opening at once do not race. `false`: only check that the schema is at this build's version, for a
   * role that may read and write the tables but not create them (see the module's documentation).
   */
  readonly migrate?: boolean;
  /**
   * Told of what cannot be reported to a caller: a change listener that threw or rejected, the listening connection
   * lost (it reconnects by itself). Must not throw. Default: ignored.
   */
  readonly onError?: (error: unknown) => void;
}

/** Options of one journal of a database (`PostgresDatabase.journal`). */
export interface PostgresJournalOptions {
  /**
   * The most snapshots kept per stream; beyond it they are thinned to even spacing over the history, the newest kept
   * (see `keptSnapshots`). Default `DEFAULT_SNAPSHOTS_KEPT` (2,000).
   */
  readonly snapshotsKept?: number;
  /**
   * `true` (the default): a journal id the database does not hold yet is created, empty. `false`: it is refused
   * with an `InvalidArgumentError` (`argument: 'journalId'`), for a server that creates journals deliberately.
   */
  readonly create?: boolean;
}

/**
 * A database of journals: one connection pool (or one PGlite) and the change notices of its schema, shared by every
 * journal opened from it, so that a server holds one journal per user or workspace on one pool. Open it with
 * `openPostgresDatabase`.
 */
export class PostgresDatabase {
  readonly #port: SqlPort;
  readonly #statements: Statements;
  readonly #notices: NoticeHub;
  readonly #journals = new Set<PostgresJournal>();
  readonly #lockConnections: number | undefined;
  #closed = false;

  /** @internal Use `openPostgresDatabase`. */
  constructor(
    /** The PostgreSQL schema that holds the tables. */
    readonly schema: string,
    port: SqlPort,
    onError: (error: unknown) => void,
    /** The pool's size on a server, of which entity locks may hold half; `undefined` for PGlite. */
    lockConnections?: number,
  ) {
    this.#port = port;
    this.#lockConnections = lockConnections;
    this.#statements = statementsFor(quotedSchema(schema));
    this.#notices = new NoticeHub(port, schema, onError);
  }

  /**
   * Opens the journal `journalId` (a non-empty string of at most `MAX_JOURNAL_ID_LENGTH` characters, without U+0000
   * or lone surrogates), creating it when the database has none by that id unless `create: false`. Handles on one id
   * share its storage, in this process or any other. Closing the journal leaves the database open.
   */
  journal(journalId: string, options: PostgresJournalOptions = {}): Promise<PostgresJournal> {
    return this.openJournal(journalId, options);
  }

  /** @internal `journal`, with what to do once the journal is closed. */
  async openJournal(journalId: string, options: PostgresJournalOptions, afterClose?: () => Promise<void>): Promise<PostgresJournal> {
    assertName(journalId, 'journalId', MAX_JOURNAL_ID_LENGTH);
    const { snapshotsKept = DEFAULT_SNAPSHOTS_KEPT, create = true } = options;
    assertSequenceNr(snapshotsKept, 'snapshotsKept');
    this.#assertOpen();
    const statements = this.#statements;
    await typedRead('opening a journal', async () => {
      if (create) return this.#port.query(statements.createJournal, [journalId]);
      const [found] = await this.#port.query(statements.journalExists, [journalId]);
      if (!found) throw new InvalidArgumentError(`The database has no journal "${journalId}" (in schema "${this.schema}")`, 'journalId');
      return [];
    });
    this.#assertOpen();
    const journal: PostgresJournal = new PostgresJournal(
      journalId,
      { port: this.#port, statements, channel: this.schema, notices: this.#notices, lock: entityLock(this.#port, journalId, this.#lockConnections) },
      snapshotsKept,
      async () => {
        this.#journals.delete(journal);
        await afterClose?.();
      },
    );
    this.#journals.add(journal);
    return journal;
  }

  /** @internal The connection, statements and notice channel, for the shards' directory and journal moves. */
  get sql(): { readonly port: SqlPort; readonly statements: Statements; readonly channel: string } {
    this.#assertOpen();
    return { port: this.#port, statements: this.#statements, channel: this.schema };
  }

  /** Closes every journal opened from it, stops listening and closes the connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const journal of this.#journals) journal.closedWithDatabase();
    this.#journals.clear();
    await this.#notices.close();
    await this.#port.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('The PostgreSQL database');
  }
}

/**
 * Opens a database of journals: a PostgreSQL server (`connectionString`), PGlite in a folder (`dataDir`) or PGlite
 * in memory (neither), its schema created or upgraded unless `migrate: false`. Rejects with an
 * `InvalidArgumentError` for bad options (before connecting), an `UnsupportedError` when the driver is not installed,
 * and a `StorageError` when the server cannot be reached or the schema is not usable.
 */
export async function openPostgresDatabase(options: PostgresDatabaseOptions = {}): Promise<PostgresDatabase> {
  const { connectionString, dataDir, schema = 'eventfold', poolSize = 10, connectTimeoutMs = 10_000, migrate = true, onError = () => {} } = options;
  quotedSchema(schema);
  assertSequenceNr(poolSize, 'poolSize');
  assertSequenceNr(connectTimeoutMs, 'connectTimeoutMs');
  if (connectionString !== undefined && dataDir !== undefined) {
    throw new InvalidArgumentError('Give either a connectionString (a server) or a dataDir (PGlite), not both', 'connectionString');
  }
  if (connectionString !== undefined && (typeof connectionString !== 'string' || connectionString === '')) {
    throw new InvalidArgumentError('connectionString must be a non-empty string', 'connectionString');
  }
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) {
    throw new InvalidArgumentError('dataDir must be a non-empty string', 'dataDir');
  }
  const report = (error: unknown) => {
    try {
      onError(error);
    } catch {
      // Nowhere left to report to.
    }
  };
  let port: SqlPort;
  try {
    port = connectionString !== undefined ? await openPgAdapter({ connectionString, poolSize, connectTimeoutMs, onError: report }) : await openPgliteAdapter(dataDir);
  } catch (error) {
    throw typedError('connecting to PostgreSQL', error);
  }
  try {
    await prepareSchema(port, schema, migrate);
  } catch (error) {
    await port.close().catch(() => {});
    throw typedError(`preparing the schema "${schema}"`, error);
  }
  return new PostgresDatabase(schema, port, report, connectionString !== undefined ? poolSize : undefined);
}

/** Options of `openPostgresJournal`: where the database is, and which journal of it. */
export interface OpenPostgresJournalOptions extends PostgresDatabaseOptions, PostgresJournalOptions {
  /** The journal's id in the database (see `PostgresDatabase.journal`). */
  readonly journalId: string;
}

/**
 * Opens one journal of a database (see `openPostgresDatabase` for where, and `PostgresDatabase.journal` for which),
 * on a connection pool of its own that closing the journal closes. To open many journals on one pool, open the
 * database once and call its `journal` for each.
 */
export async function openPostgresJournal(options: OpenPostgresJournalOptions): Promise<PostgresJournal> {
  assertName(options?.journalId, 'journalId', MAX_JOURNAL_ID_LENGTH);
  assertSequenceNr(options.snapshotsKept ?? DEFAULT_SNAPSHOTS_KEPT, 'snapshotsKept');
  const database = await openPostgresDatabase(options);
  try {
    return await database.openJournal(options.journalId, options, () => database.close());
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}

