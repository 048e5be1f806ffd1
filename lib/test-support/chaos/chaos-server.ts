/// <reference types="node" />
// The chaos test's sync server, a process of its own so that the test can kill it at any point (SIGKILL) and start it
// again: `node chaos-server.mjs <database url> <port> <token secret>`. It prints `listening <url>` once it serves,
// and each failure it is told of (`onError`) as a line `server-error <message>` on stderr.
import { openPostgresDatabase } from 'eventfold/postgres';
import { createSyncServer, journalTokens } from 'eventfold/server';
import { syncTestEntities } from '../sync-entities.ts';
import { accountBalances } from './account-balances.ts';

const [connectionString, port, secret] = process.argv.slice(2);
if (!connectionString || !port || !secret) throw new Error('usage: chaos-server <database url> <port> <token secret>');

const database = await openPostgresDatabase({ connectionString, poolSize: 4 });
const server = createSyncServer({
  database,
  entities: syncTestEntities,
  projections: [accountBalances],
  authorize: journalTokens({ secret }).authorize,
  // The devices of one run share a journal: the default rate would throttle the test, not protect it.
  rateLimit: { requests: 100_000, perMs: 1000 },
  // The devices' page is served from another port than the proxy's.
  allowedOrigins: '*',
  // Often enough that a device soon tells a stream the proxy left half-open (its streamSilenceMs is 2 s).
  keepAliveMs: 400,
  onError: (error) => console.error(`server-error ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`),
});
const listening = await server.listen(Number(port));
console.log(`listening ${listening.url}`);
