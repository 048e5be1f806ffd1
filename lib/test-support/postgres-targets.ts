import { openPostgresDatabase, type PostgresDatabase } from 'eventfold/postgres';
import { inject } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';

/** A database of journals a suite runs on, and how to be done with it. */
export interface OpenedDatabase {
  readonly database: PostgresDatabase;
  readonly done: () => Promise<void>;
}

/**
 * The two places a suite of the PostgreSQL journal runs: PGlite in memory, and a database of its own (named after
 * `prefix`) on the run's PostgreSQL server, dropped when done.
 */
export function postgresTargets(prefix: string): [name: string, open: () => Promise<OpenedDatabase>][] {
  return [
    [
      'PGlite',
      async () => {
        const database = await openPostgresDatabase();
        return { database, done: () => database.close() };
      },
    ],
    [
      'a PostgreSQL server',
      async () => {
        const { url, drop } = await freshDatabase(inject('postgresUrl'), prefix);
        const database = await openPostgresDatabase({ connectionString: url });
        return {
          database,
          done: async () => {
            await database.close();
            await drop();
          },
        };
      },
    ],
  ];
}
