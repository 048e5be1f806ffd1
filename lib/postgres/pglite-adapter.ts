import type { PGlite } from '@electric-sql/pglite';
import { ClosedError, UnsupportedError } from 'eventfold';
import type { Row, SqlPort, SqlQuery } from './sql-port.ts';

/**
 * The `SqlPort` over PGlite (PostgreSQL compiled to WebAssembly, in this process), loaded only when used: in the
 * folder `dataDir`, or in memory when it is omitted. PGlite is one connection: it runs one transaction at a time and
 * holds other statements back until it ends, so transactions never interleave. A commit cannot be lost in transit.
 *
 * @internal
 */
export async function openPgliteAdapter(dataDir: string | undefined): Promise<SqlPort> {
  let module: typeof import('@electric-sql/pglite');
  try {
    module = await import('@electric-sql/pglite');
  } catch (cause) {
    throw Object.assign(
      new UnsupportedError('The `@electric-sql/pglite` package', 'install it (`npm install @electric-sql/pglite`), or pass a `connectionString`'),
      { cause },
    );
  }
  const db: PGlite = await module.PGlite.create(dataDir);
  let closed = false;
  const assertOpen = () => {
    if (closed || db.closed) throw new ClosedError('The PostgreSQL database');
  };
  return {
    async query<R = Row>(text: string, params: readonly unknown[]) {
      assertOpen();
      return (await db.query<R>(text, params as unknown[])).rows;
    },

    async transaction<T>(body: (query: SqlQuery) => Promise<T>): Promise<T> {
      assertOpen();
      return db.transaction((tx) => body(async <R = Row>(text: string, params: readonly unknown[]) => (await tx.query<R>(text, params as unknown[])).rows));
    },

    // In this process, the statement's answer cannot be lost: every failure is the database's, and stored nothing.
    async write<R = Row>(text: string, params: readonly unknown[]) {
      assertOpen();
      return (await db.query<R>(text, params as unknown[])).rows;
    },

    async listen(channel, onNotice) {
      assertOpen();
      // PGlite runs `LISTEN <channel>` unquoted: the channel is a lowercase identifier (the schema's name).
      const stop = await db.listen(channel, onNotice);
      return async () => {
        if (!db.closed) await stop();
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}
