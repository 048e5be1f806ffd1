/**
 * The sync server: devices of an app push the commands they accepted offline, the server decides each again with
 * the app's own entity definitions on its PostgreSQL journal, and devices pull the confirmed events.
 *
 * ```ts
 * import { openPostgresDatabase } from 'eventfold/postgres';
 * import { createSyncServer, journalTokens } from 'eventfold/server';
 *
 * const database = await openPostgresDatabase({ dataDir: './data' });
 * const tokens = journalTokens({ secret: process.env.TOKEN_SECRET! });
 * const server = await createSyncServer({ database, entities: { account }, authorize: tokens.authorize }).listen(8787);
 * ```
 *
 * Needs `hono`, `@hono/node-server` and `jose`, and `pg` or `@electric-sql/pglite` for the database.
 *
 * @module eventfold/server
 */
export { type Authorize, bearerToken, type JournalTokens, journalTokens, type JournalTokenOptions } from './authorization.ts';
export type { RateLimit } from './rate-limit.ts';
export { createSyncServer, type ListeningServer, type SyncServer, type SyncServerOptions } from './sync-server.ts';
export type { SyncDatabase } from './journal-hosts.ts';
