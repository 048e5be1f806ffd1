/// <reference types="node" />
import { createHash } from 'node:crypto';
import { InvalidArgumentError, isEventfoldError, StorageError } from 'eventfold';
import { assertName } from 'eventfold/kit';
import { copyJournal, fenceJournal, removeSourceCopy, unfenceJournal } from './journal-move.ts';
import { MAX_JOURNAL_ID_LENGTH, PostgresDatabase } from './postgres-database.ts';
import { quotedSchema } from './schema.ts';
import { typedRead } from './sql-errors.ts';

/** One shard: the database its journals are written to, and a streaming replica of it that may serve reads. */
export interface ShardDatabases {
  /** Where the shard's journals are written, and read when the replica has not replayed enough. */
  readonly primary: PostgresDatabase;
  /**
   * A streaming replica of `primary` (PostgreSQL's physical replication), opened with `migrate: false`: the sync
   * server serves pulls from it, up to what it has replayed (see `SyncServerOptions.database`).
   */
  readonly replica?: PostgresDatabase;
}

/** Options of `shardedDatabases`. */
export interface ShardedDatabasesOptions {
  /**
   * The database that holds the directory (its `journal_directory` table): which shard holds each journal. Often one
   * of the shards' primaries. Every process of the app must name the same one.
   */
  readonly directory: PostgresDatabase;
  /**
   * The shards, by name (letters, digits, `_` and `-`, at most 63). The names are stored in the directory and in the
   * fences of moved journals: a shard keeps its name for as long as it holds journals. Every shard uses one schema.
   */
  readonly shards: Readonly<Record<string, PostgresDatabase | ShardDatabases>>;
  /** The shards new journals may be placed on. Default: every shard. Leave one out to fill it no further. */
  readonly placeOn?: readonly string[];
}

/** Where a journal is: its shard's name and databases. */
export interface JournalPlacement extends ShardDatabases {
  /** The shard's name. */
  readonly shard: string;
}

/** What `ShardedDatabases.moveJournal` did. */
export interface JournalMove {
  /** The shard the journal was on. */
  readonly from: string;
  /** The shard it is on now. */
  readonly to: string;
  /** Its head, the same on both: positions are kept. */
  readonly head: number;
  /** The rows copied (0 for a move resumed after its copy, or of a journal already there). */
  readonly rows: number;
}

/** A shard's name: stored in the directory and in fences, so kept to what needs no care anywhere. */
const SHARD_NAME = /^[A-Za-z0-9_-]{1,63}$/;
/** Placements remembered per process; the oldest are forgotten past it (the directory answers again). */
const MAX_CACHED_PLACEMENTS = 100_000;

/**
 * Journals spread over several PostgreSQL databases (shards), whole journals each on one: give it to
 * `createSyncServer` as its `database`. Users outgrow one server by their number of journals, not by the size of
 * one; a journal's events, snapshots, read models and sync records stay together, so every statement of a journal
 * still runs on one database.
 *
 * **Placement.** A directory table in one designated database maps each journal id to its shard's name. A journal
 * the directory does not know is looked for in the shards first (so a single database that becomes a shard keeps
 * its journals where they are), and a new one is placed by rendezvous hashing of its id over the names of
 * `placeOn`: stable across processes and restarts, spread evenly, and adding a shard places only new journals on it.
 * Two processes placing one journal at once agree: the first row stored wins. Placements are remembered per process.
 *
 * **Moves** (`moveJournal`): a row update in the directory, between a fence and a copy that keep every process
 * right, whatever it remembers (see the method).
 */
export class ShardedDatabases {
  /** The shards' names. */
  readonly shardNames: readonly string[];
  readonly #directory: PostgresDatabase;
  readonly #shards: ReadonlyMap<string, ShardDatabases>;
  readonly #placeOn: readonly string[];
  readonly #placements = new Map<string, Promise<string>>();
  readonly #sql: ReturnType<typeof directoryStatements>;

  /** @internal Use `shardedDatabases`. */
  constructor({ directory, shards, placeOn }: ShardedDatabasesOptions) {
    if (!(directory instanceof PostgresDatabase)) throw new InvalidArgumentError('directory must be a PostgresDatabase (openPostgresDatabase)', 'directory');
    const entries = Object.entries(shards ?? {}).map(([name, shard]): [string, ShardDatabases] => {
      if (!SHARD_NAME.test(name)) throw new InvalidArgumentError(`a shard's name must match ${SHARD_NAME}, got ${JSON.stringify(name)}`, 'shards');
      const databases = shard instanceof PostgresDatabase ? { primary: shard } : shard;
      if (!(databases?.primary instanceof PostgresDatabase)) throw new InvalidArgumentError(`the shard "${name}" has no primary PostgresDatabase`, 'shards');
      if (databases.replica !== undefined && !(databases.replica instanceof PostgresDatabase)) {
        throw new InvalidArgumentError(`the replica of the shard "${name}" is not a PostgresDatabase`, 'shards');
      }
      if (databases.primary.schema !== directory.schema) {
        throw new InvalidArgumentError(`the shard "${name}" uses the schema "${databases.primary.schema}", the directory "${directory.schema}": give them one`, 'shards');
      }
      return [name, databases];
    });
    if (entries.length === 0) throw new InvalidArgumentError('give at least one shard', 'shards');
    this.#directory = directory;
    this.#sql = directoryStatements(directory.schema);
    this.#shards = new Map(entries);
    this.shardNames = entries.map(([name]) => name);
    this.#placeOn = placeOn ?? this.shardNames;
    if (this.#placeOn.length === 0 || this.#placeOn.some((name) => !this.#shards.has(name))) {
      throw new InvalidArgumentError(`placeOn must name some of the shards (${this.shardNames.join(', ')})`, 'placeOn');
    }
  }

  /** The databases of the shard `name`. */
  shard(name: string): ShardDatabases {
    const shard = this.#shards.get(name);
    if (!shard) throw new InvalidArgumentError(`there is no shard "${name}" (the shards: ${this.shardNames.join(', ')})`, 'shard');
    return shard;
  }

  /**
   * Where the journal `journalId` is, placing it when it is nowhere yet, unless `create: false`: then an unknown
   * journal is an `InvalidArgumentError` (`argument: 'journalId'`). Remembered until `forget`: a process that
   * remembers a placement a move changed finds the fence there (`SyncState.movedTo`), and forgets it.
   */
  async placement(journalId: string, { create = true }: { readonly create?: boolean } = {}): Promise<JournalPlacement> {
    assertName(journalId, 'journalId', MAX_JOURNAL_ID_LENGTH);
    let placed = this.#placements.get(journalId);
    if (!placed) {
      placed = this.#place(journalId, create);
      placed.catch(() => this.#placements.delete(journalId));
      if (this.#placements.size >= MAX_CACHED_PLACEMENTS) this.#placements.delete(this.#placements.keys().next().value!);
      this.#placements.set(journalId, placed);
    }
    const shard = await placed;
    return { shard, ...this.shard(shard) };
  }

  /** Forgets where the journal is: the next `placement` asks the directory. */
  forget(journalId: string): void {
    this.#placements.delete(journalId);
  }

  /**
   * Moves the journal `journalId` to the shard `to`, whole, positions kept, while servers keep serving it:
   *
   * 1. **Fence**: the source's journal row is marked moved (`moved_to`), in a transaction that waits for the writes
   *    under way. Every write claims that row only while it is unmarked, so from here on no process stores anything
   *    on the source, whatever placement it remembers; the sync server answers its pushes and pulls with a retryable
   *    `503` until step 3, then serves them from the target.
   * 2. **Copy**: events, stream heads, snapshots, idempotency keys, read models (checkpoints and documents), devices'
   *    last sequence numbers and outcomes, and the journal's row (head, epoch) go to the target in one transaction,
   *    which checks that every table's rows (count and digest) are the source's before it commits.
   * 3. **Flip**: the directory names the target (one row updated, only if it still names the source).
   * 4. **Clean up**: the source's rows go, all but the fenced journal row, which stays: it keeps any process that
   *    remembers the old placement from creating the journal there again.
   *
   * Each step is safe to run again: a move that failed (a lost connection) is resumed by calling `moveJournal` again,
   * and until then the journal takes no writes. A journal already on `to` has only step 4 done, on every other shard.
   * Rejects with an `InvalidArgumentError` for an unknown journal or shard, and a `StorageError` for a step that failed
   * (the source keeps its copy until step 4).
   */
  async moveJournal(journalId: string, to: string): Promise<JournalMove> {
    assertName(journalId, 'journalId', MAX_JOURNAL_ID_LENGTH);
    const target = this.shard(to);
    const from = await this.#lookUp(journalId);
    if (from === undefined) throw new InvalidArgumentError(`The directory places no journal "${journalId}"`, 'journalId');
    if (from === to) {
      for (const [name, shard] of this.#shards) if (name !== to && (await this.#fencedTowards(shard.primary, journalId, to))) await removeSourceCopy(shard.primary, journalId, to);
      const { head } = await this.#state(target.primary, journalId);
      return { from, to, head, rows: 0 };
    }
    const source = this.shard(from).primary;
    const head = await fenceJournal(source, journalId, to);
    const rows = await copyJournal(source, target.primary, journalId);
    const { sql } = this.#directory;
    const flipped = await typedRead('moving a journal', () => sql.port.query(this.#sql.flip, [journalId, from, to]));
    if (flipped.length === 0) throw new StorageError(`moving the journal "${journalId}"`, new Error(`the directory stopped naming "${from}" for it during the move`));
    this.#placements.set(journalId, Promise.resolve(to));
    await removeSourceCopy(source, journalId, to);
    return { from, to, head, rows };
  }

  /**
   * Undoes a move that has not flipped yet (a copy that keeps failing, say): the target's copy goes and the source's
   * fence is lifted, so the journal is served where it was. Resolves with whether there was a move to undo; a move
   * that flipped already is undone by moving the journal back.
   */
  async abortMove(journalId: string): Promise<boolean> {
    assertName(journalId, 'journalId', MAX_JOURNAL_ID_LENGTH);
    const from = await this.#lookUp(journalId);
    if (from === undefined) throw new InvalidArgumentError(`The directory places no journal "${journalId}"`, 'journalId');
    const { movedTo } = await this.#state(this.shard(from).primary, journalId);
    if (movedTo === undefined) return false;
    const undone = await unfenceJournal(this.shard(from).primary, this.#shards.get(movedTo)?.primary, journalId);
    this.#placements.set(journalId, Promise.resolve(from));
    return undone;
  }

  async #place(journalId: string, create: boolean): Promise<string> {
    const known = await this.#lookUp(journalId);
    if (known !== undefined) return known;
    // A journal stored before its database was a shard (or before the directory was kept) is where it is.
    const holders: string[] = [];
    for (const [name, { primary }] of this.#shards) {
      // A shard that cannot be asked fails the placement: taken for one without the journal, it could see the
      // journal placed anew elsewhere, and its devices start over on an empty one.
      const state = await this.#state(primary, journalId).catch(absentAsUndefined);
      if (state && state.movedTo === undefined) holders.push(name);
    }
    if (holders.length > 1) throw new StorageError('placing a journal', new Error(`the shards ${holders.join(' and ')} each hold a live journal "${journalId}": keep one`));
    if (holders.length === 0 && !create) throw new InvalidArgumentError(`No shard holds a journal "${journalId}"`, 'journalId');
    const chosen = holders[0] ?? rendezvousShard(journalId, this.#placeOn);
    const { sql } = this.#directory;
    await typedRead('placing a journal', () => sql.port.query(this.#sql.place, [journalId, chosen]));
    const placed = await this.#lookUp(journalId);
    if (placed === undefined) throw new StorageError('placing a journal', new Error(`the directory holds no row for "${journalId}" after placing it`));
    return placed;
  }

  async #lookUp(journalId: string): Promise<string | undefined> {
    const { sql } = this.#directory;
    const [row] = await typedRead('looking up a journal', () => sql.port.query<{ shard: string }>(this.#sql.lookUp, [journalId]));
    if (row && !this.#shards.has(row.shard)) {
      throw new StorageError('looking up a journal', new Error(`the directory places "${journalId}" on the shard "${row.shard}", which this process was not given`));
    }
    return row?.shard;
  }

  async #state(database: PostgresDatabase, journalId: string): Promise<{ head: number; movedTo?: string }> {
    const { sql } = database;
    const [row] = await typedRead('looking up a journal', () => sql.port.query<{ head: string | number; moved_to: string | null }>(this.#sql.state, [journalId]));
    if (!row) throw new InvalidArgumentError(`No journal "${journalId}" in this shard`, 'journalId');
    return { head: Number(row.head), ...(row.moved_to !== null && { movedTo: row.moved_to }) };
  }

  async #fencedTowards(database: PostgresDatabase, journalId: string, to: string): Promise<boolean> {
    const state = await this.#state(database, journalId).catch(absentAsUndefined);
    return state?.movedTo === to;
  }
}

/** `undefined` for a shard that holds no such journal; any other failure stays one. */
function absentAsUndefined(error: unknown): undefined {
  if (isEventfoldError(error, 'invalid-argument')) return undefined;
  throw error;
}

/** The directory's SQL, and the look at a shard's journal row. */
function directoryStatements(schema: string) {
  const s = quotedSchema(schema);
  return {
    lookUp: `SELECT shard FROM ${s}.journal_directory WHERE journal_id = $1`,
    place: `INSERT INTO ${s}.journal_directory (journal_id, shard) VALUES ($1, $2) ON CONFLICT (journal_id) DO NOTHING`,
    flip: `UPDATE ${s}.journal_directory SET shard = $3, placed_at = now() WHERE journal_id = $1 AND shard = $2 RETURNING 1`,
    state: `SELECT head, moved_to FROM ${s}.journals WHERE journal_id = $1`,
  };
}

/**
 * Journals over several databases: `directory` holds the directory table, `shards` the databases by name (each a
 * `PostgresDatabase`, or a primary with a streaming replica). The databases stay the caller's to close.
 *
 * ```ts
 * const [a, b] = await Promise.all([openPostgresDatabase({ connectionString: A }), openPostgresDatabase({ connectionString: B })]);
 * const replicaOfB = await openPostgresDatabase({ connectionString: B_REPLICA, migrate: false });
 * const database = shardedDatabases({ directory: a, shards: { a, b: { primary: b, replica: replicaOfB } } });
 * createSyncServer({ database, entities, authorize });
 * ```
 */
export function shardedDatabases(options: ShardedDatabasesOptions): ShardedDatabases {
  return new ShardedDatabases(options);
}

/**
 * The shard of `names` a new journal goes to: the one whose name scores highest with the journal's id (rendezvous
 * hashing, SHA-256). The same everywhere; a name added or removed changes the choice of only the journals that
 * score highest with it.
 */
export function rendezvousShard(journalId: string, names: readonly string[]): string {
  let best: string | undefined;
  let bestScore = -1n;
  for (const name of names) {
    const score = createHash('sha256').update(journalId).update('\u0000').update(name).digest().readBigUInt64BE(0);
    if (score > bestScore || (score === bestScore && best !== undefined && name < best)) {
      best = name;
      bestScore = score;
    }
  }
  if (best === undefined) throw new InvalidArgumentError('there is no shard to place a journal on', 'names');
  return best;
}
