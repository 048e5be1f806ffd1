/// <reference types="node" />
// Vitest `globalSetup` of the browser project: a sync server on PGlite in memory, for the tests of sync that run in
// Chromium, with the test entities. Tests sign their own tokens with `inject('syncSecret')` (each uses a journal of
// its own) and reach the server at `inject('syncUrl')`, from the test page's origin.
import { openPostgresDatabase } from 'eventfold/postgres';
import { createSyncServer, journalTokens } from 'eventfold/server';
import type { TestProject } from 'vitest/node';
import { syncTestEntities } from './sync-entities.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test sync server's base URL. */
    syncUrl: string;
    /** The secret its journal tokens are signed with (`journalTokens`). */
    syncSecret: string;
  }
}

export default async function setup(project: Pick<TestProject, 'provide'>): Promise<() => Promise<void>> {
  const secret = 'the browser tests sign their own tokens with this';
  const database = await openPostgresDatabase();
  const server = createSyncServer({
    database,
    entities: syncTestEntities,
    authorize: journalTokens({ secret }).authorize,
    allowedOrigins: '*',
    rateLimit: { requests: 10_000, perMs: 1000 },
  });
  const listening = await server.listen();
  project.provide('syncUrl', listening.url);
  project.provide('syncSecret', secret);
  return async () => {
    await listening.close();
    await database.close();
  };
}
