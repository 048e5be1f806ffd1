/// <reference types="node" />
import { createHash } from 'node:crypto';
import { ClosedError, UnsupportedError } from 'eventfold';
import type { Client, Pool, PoolClient } from 'pg';
import { isRollback, isStatementFailure } from './sql-errors.ts';
import { CommitUnknownError, type Row, type SqlPort, type SqlQuery } from './sql-port.ts';

/** How the server adapter connects. */
export interface PgAdapterOptions {
  /** `postgres://user:password@host:port/database?…`, as `pg` reads it. */
  readonly connectionString: string;
  /** Connections in the pool at most. */
  readonly poolSize: number;
  /** How long a statement waits for a connection (a free one of the pool, or a new one to open) before it fails. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Told of the listening connection's losses (each is retried); must not throw. */
  readonly onError: (error: unknown) => void;
}

/**
 * The `SqlPort` over a PostgreSQL server, through `pg` (node-postgres), loaded only when a server is used: a pool of
 * connections for statements and transactions, and one connection of its own for `LISTEN`, reconnected when lost.
 *
 * @internal
 */
export async function openPgAdapter(options: PgAdapterOptions): Promise<SqlPort> {
  let pg: typeof import('pg');
  try {
    // A CommonJS package: its exports are the default export of the ES module Node makes of it.
    const loaded = (await import('pg')) as typeof import('pg') & { default?: typeof import('pg') };
    pg = loaded.default ?? loaded;
  } catch (cause) {
    throw Object.assign(new UnsupportedError('The `pg` package', 'install it (`npm install pg`) to use a PostgreSQL server'), { cause });
  }
  const config = {
    connectionString: options.connectionString,
    application_name: 'eventfold',
    // Bounds both the wait for a free connection of a full pool and the opening of a new one: a pool whose
    // connections are all held answers with an error, which the caller may retry, instead of queueing for ever.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  };
  const pool = new pg.Pool({ ...config, max: options.poolSize });
  // An idle connection that the server drops is reported here; unhandled, the event would end the process.
  pool.on('error', () => {});
  let closed = false;
  const listeners = new Set<Listener>();
  const assertOpen = () => {
    if (closed) throw new ClosedError('The PostgreSQL database');
  };
  // Fails now, with the driver's reason, when the server cannot be reached or refuses us.
  await pool.query('SELECT 1').catch(async (error: unknown) => {
    await pool.end().catch(() => {});
    throw error;
  });

  return {
    async query<R = Row>(text: string, params: readonly unknown[]) {
      assertOpen();
      return (await pool.query(prepared(text, params))).rows as R[];
    },

    async transaction<T>(body: (query: SqlQuery) => Promise<T>): Promise<T> {
      assertOpen();
      return checkedOut(pool, async (client, state) => {
        try {
          const query: SqlQuery = async <R = Row>(text: string, params: readonly unknown[]) =>
            (await client.query(prepared(text, params))).rows as R[];
          await client.query('BEGIN');
          const result = await body(query);
          try {
            await client.query('COMMIT');
          } catch (error) {
            state.broken = error as Error;
            throw isRollback(error) ? error : new CommitUnknownError(error);
          }
          return result;
        } catch (error) {
          if (!state.broken) {
            // A connection that cannot roll back is not given back to the pool.
            await client.query('ROLLBACK').catch((rollback: Error) => (state.broken = rollback));
          }
          throw error;
        }
      });
    },

    async write<R = Row>(text: string, params: readonly unknown[]) {
      assertOpen();
      // A connection of its own, so that one that fails before the statement is sent is told from one lost during it.
      return checkedOut(pool, async (client, state) => {
        try {
          return (await client.query(prepared(text, params))).rows as R[];
        } catch (error) {
          if (isStatementFailure(error)) throw error;
          state.broken ??= error as Error;
          throw new CommitUnknownError(error);
        }
      });
    },

    async listen(channel, onNotice, onResumed) {
      assertOpen();
      const listener = new Listener(() => new pg.Client(config), channel, onNotice, onResumed, options.onError);
      await listener.start();
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listeners].map((listener) => listener.stop()));
      listeners.clear();
      await pool.end();
    },
  };
}

/**
 * Runs `use` on a connection checked out of `pool`. A connection lost while checked out is reported on the client,
 * not the pool (unhandled, it would end the process): it is noted in `state.broken`, as `use` may note a connection
 * it left unusable, and a connection so noted is closed instead of given back to the pool.
 */
async function checkedOut<T>(pool: Pool, use: (client: PoolClient, state: { broken?: Error }) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const state: { broken?: Error } = {};
  const onLost = (error: Error) => (state.broken = error);
  client.on('error', onLost);
  try {
    return await use(client, state);
  } finally {
    client.off('error', onLost);
    client.release(state.broken);
  }
}

/**
 * A statement that each connection parses and plans once, then reuses: the journal runs a handful of statements over
 * and over, and its write statement costs more to plan than to run. Named by a digest of its text.
 */
function prepared(text: string, params: readonly unknown[]): { name?: string; text: string; values: unknown[] } {
  // Statements without parameters are the schema's, run once.
  if (params.length === 0) return { text, values: [] };
  let name = names.get(text);
  if (!name) {
    name = `eventfold_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values: params as unknown[] };
}
const names = new Map<string, string>();

/** One `LISTEN` connection, connected again (with a growing pause) whenever it is lost, until stopped. */
class Listener {
  #client: Client | undefined;
  #stopped = false;
  #retry: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly connect: () => Client,
    readonly channel: string,
    readonly onNotice: (payload: string) => void,
    readonly onResumed: () => void,
    readonly onError: (error: unknown) => void,
  ) {}

  /** Connects and listens; rejects when the first attempt fails. */
  async start(): Promise<void> {
    const client = this.connect();
    this.#client = client;
    client.on('notification', ({ channel, payload }) => {
      if (channel === this.channel && payload !== undefined) this.onNotice(payload);
    });
    let lost = false;
    const onLost = (error?: unknown) => {
      if (lost) return;
      lost = true;
      client.removeAllListeners('notification');
      void client.end().catch(() => {});
      if (this.#stopped) return;
      this.onError(error ?? new Error('the listening connection to PostgreSQL ended'));
      this.#reconnect(1);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    try {
      await client.connect();
      // The channel is the schema's name, checked to be a lowercase identifier: the one name ever put into SQL text.
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      lost = true;
      client.removeAllListeners();
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw error;
    }
  }

  #reconnect(attempt: number): void {
    const pause = Math.min(5_000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2);
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#stopped) return;
      this.start().then(
        () => (this.#stopped ? this.stop() : this.onResumed()),
        (error: unknown) => {
          if (this.#stopped) return;
          this.onError(error);
          this.#reconnect(attempt + 1);
        },
      );
    }, pause);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    client.removeAllListeners('notification');
    await client.end().catch(() => {});
  }
}
