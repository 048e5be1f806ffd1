/// <reference types="node" />
// Vitest `globalSetup` of the node project: one PostgreSQL server for the whole run, its URL given to every test file
// as `inject('postgresUrl')`. `DATABASE_URL` when set, used as it is; otherwise a throwaway cluster that this module
// starts and, at the end of the run, stops and removes (tools/postgres-server.mjs also does so when the run fails, is
// interrupted or is killed). Each test file creates a database of its own on it and drops it at its end:
//   const database = await freshDatabase(inject('postgresUrl'), 'journal'); afterAll(() => database.drop());
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../tools/postgres-server.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * A PostgreSQL server on which the tests may create and drop databases of their own: `DATABASE_URL`, or a
     * throwaway server's superuser on its `postgres` database.
     */
    postgresUrl: string;
  }
}

/** Starts (or checks) the server, provides its URL, and returns the teardown that stops it. */
export default async function setup(project: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> {
  const given = process.env.DATABASE_URL;
  if (given) {
    await reachable(given);
    project.provide('postgresUrl', given);
    return async () => {};
  }
  const server = await startPostgres({ log: (line) => console.log(`node tests: ${line}`) });
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}

/** Fails the run at once, naming the server, when `DATABASE_URL` cannot be reached: not in every test file. */
async function reachable(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, connect_timeout: 10, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
  } catch (cause) {
    const safe = new URL(url);
    safe.password = safe.password ? '***' : '';
    throw new Error(`DATABASE_URL (${safe.toString()}) cannot be reached: ${String(cause)}`, { cause });
  } finally {
    await sql.end();
  }
}
