import type { AnyDefinedProjection, EntityDefinitions } from 'eventfold';
import { PostgresDatabase, type ShardDatabases, ShardedDatabases } from 'eventfold/postgres';
import { JournalHost, JournalMovedError } from './journal-host.ts';
import { WireError } from './wire-error.ts';

/** Where a sync server's journals are: one database, one with a streaming replica, or shards (`shardedDatabases`). */
export type SyncDatabase = PostgresDatabase | ShardDatabases | ShardedDatabases;

/** What the hosts are made with. */
export interface JournalHostsOptions {
  /** Where the journals are. */
  readonly database: SyncDatabase;
  /** The entities every host decides commands with. */
  readonly entities: EntityDefinitions;
  /** The read models every host keeps. */
  readonly projections?: readonly AnyDefinedProjection[];
  /** The time of events and outcomes. */
  readonly clock: () => number;
  /** Whether a journal that does not exist is created on first use. */
  readonly create: boolean;
  /** `SyncServerOptions.replicaWaitMs`. */
  readonly replicaWaitMs?: number;
  /** `SyncServerOptions.onPull`. */
  readonly onPull?: (pull: { readonly journalId: string; readonly readFrom: 'primary' | 'replica' }) => void;
  /** Told of failures no request answers for (a host that failed to close, a look that failed). */
  readonly onError: (error: unknown) => void;
}

/** How many shards a request follows a journal to, when it finds moves one after another. */
const MAX_HOPS = 3;

/**
 * The journal hosts of a server, one per journal, each on the shard that holds its journal. A host that finds its
 * journal moved (the fence of `ShardedDatabases.moveJournal`) is retired, with its change streams, and the request
 * is served again where the directory now places the journal; while the move is under way, it is answered with a
 * retryable `503`.
 */
export class JournalHosts {
  readonly #options: JournalHostsOptions;
  readonly #hosts = new Map<string, Promise<JournalHost>>();
  /** The host each entry of `#hosts` resolved with. */
  readonly #made = new Map<string, JournalHost>();
  /** The shard each host's journal is on (for shards only). */
  readonly #shardOf = new WeakMap<JournalHost, string>();
  /** The look of `noticed` under way per host, and whether wake-ups came during it. */
  readonly #looking = new WeakMap<JournalHost, { again: boolean }>();

  constructor(options: JournalHostsOptions) {
    this.#options = options;
  }

  /** The host of `journalId`, made on first use (the journal created there unless `create` is false). */
  hostOf(journalId: string): Promise<JournalHost> {
    let host = this.#hosts.get(journalId);
    if (!host) {
      host = this.#make(journalId);
      host.catch(() => {
        if (this.#hosts.get(journalId) === host) this.#hosts.delete(journalId);
      });
      this.#hosts.set(journalId, host);
    }
    return host;
  }

  /** Runs `request` on `host`, and again on the journal's new host when it finds the journal moved. */
  async served<T>(host: JournalHost, request: (host: JournalHost) => Promise<T>): Promise<T> {
    for (let hop = 0; ; hop++) {
      try {
        return await request(host);
      } catch (error) {
        if (!(error instanceof JournalMovedError)) throw error;
        const shard = this.#shardOf.get(host);
        this.#retire(host);
        const { database } = this.#options;
        if (!(database instanceof ShardedDatabases) || hop >= MAX_HOPS) {
          if (!(database instanceof ShardedDatabases)) this.#options.onError(error);
          throw moving();
        }
        const next = await this.hostOf(host.journal.journalId);
        // The directory names the fenced shard still: the copy is under way.
        if (this.#shardOf.get(next) === shard) throw moving();
        host = next;
      }
    }
  }

  /**
   * Told of a wake-up of `host`'s journal (a commit, or a move's fence): with shards, looks whether the journal moved
   * away, and retires the host if so, which ends its change streams. A process that serves a journal's streams but
   * none of its pushes or pulls learns of a move only this way. One look at a time per host, and one more after it
   * for the wake-ups it missed.
   */
  noticed(host: JournalHost): void {
    if (!(this.#options.database instanceof ShardedDatabases)) return;
    const looking = this.#looking.get(host);
    if (looking) {
      looking.again = true;
      return;
    }
    const state = { again: false };
    this.#looking.set(host, state);
    const look = async () => {
      do {
        state.again = false;
        await this.served(host, (on) => (on === host ? on.checkNotMoved() : Promise.resolve()));
      } while (state.again && this.#made.get(host.journal.journalId) === host);
    };
    look()
      .catch((error: unknown) => {
        // A move under way (503) is found again at the next wake-up; anything else is the server's to hear of.
        if (!(error instanceof WireError)) this.#options.onError(error);
      })
      .finally(() => this.#looking.delete(host));
  }

  /** Retires every host. */
  async close(): Promise<void> {
    const open = await Promise.allSettled(this.#hosts.values());
    this.#hosts.clear();
    this.#made.clear();
    await Promise.all(open.map((settled) => (settled.status === 'fulfilled' ? settled.value.close() : undefined)));
  }

  async #make(journalId: string): Promise<JournalHost> {
    const { database, entities, clock, projections, create, replicaWaitMs, onPull } = this.#options;
    let shard: string | undefined;
    let databases: ShardDatabases;
    if (database instanceof ShardedDatabases) ({ shard, ...databases } = await database.placement(journalId, { create }));
    else databases = database instanceof PostgresDatabase ? { primary: database } : database;
    const journal = await databases.primary.journal(journalId, { create });
    const host = new JournalHost({
      journal,
      entities,
      clock,
      ...(projections && { projections }),
      ...(databases.replica && { replica: databases.replica }),
      ...(replicaWaitMs !== undefined && { replicaWaitMs }),
      ...(onPull && { onPull: (readFrom: 'primary' | 'replica') => onPull({ journalId, readFrom }) }),
    });
    if (shard !== undefined) this.#shardOf.set(host, shard);
    this.#made.set(journalId, host);
    return host;
  }

  /** Forgets a host whose journal moved, and closes it (and its change streams) once its push under way is done. */
  #retire(host: JournalHost): void {
    const { journalId } = host.journal;
    if (this.#made.get(journalId) === host) {
      this.#made.delete(journalId);
      this.#hosts.delete(journalId);
    }
    if (this.#options.database instanceof ShardedDatabases) this.#options.database.forget(journalId);
    host.retire();
    void host
      .close()
      .then(() => host.journal.close())
      .catch((error: unknown) => this.#options.onError(error));
  }
}

/** The answer while a journal moves. */
function moving(): WireError {
  return new WireError(503, 'unavailable', 'the journal is being moved to another database; try again', {});
}
