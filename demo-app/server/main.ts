// The demo's server: the built app and its sync server on one origin. PGlite in a data folder by default (the
// embedded default: nothing to install), a real PostgreSQL with DATABASE_URL. `node demo-dist-server/main.mjs --help`.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { openPostgresDatabase } from 'eventfold/postgres';
import { createSyncServer, journalTokens } from 'eventfold/server';
import { accountSummaries } from '../bank/account-summaries.ts';
import { entities } from '../bank/entities.ts';

const HELP = `Usage: npm start -- [options]

Serves the bank demo and its sync server on one origin.

Options:
  --port <n>            port to listen on (default 4173; PORT)
  --host <name>         interface to listen on (default 127.0.0.1; HOST)
  --data <folder>       PGlite's data folder (default .eventfold-data; EVENTFOLD_DATA)
  --memory              PGlite in memory: nothing kept after the server stops
  --database-url <url>  a PostgreSQL server instead of PGlite (DATABASE_URL)
  --static <folder>     the built app (default demo-dist)
  --help                this text

Devices get a token for the journal they name from /demo/token?journal=…: the demo lets anyone into any journal,
as a demo without accounts must; a real app issues tokens to its signed-in users (journalTokens(…).issue).
The token secret is TOKEN_SECRET, else one kept in the data folder (random for --memory and DATABASE_URL).`;

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    data: { type: 'string' },
    memory: { type: 'boolean' },
    'database-url': { type: 'string' },
    static: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const port = Number(values.port ?? process.env.PORT ?? 4173);
const host = values.host ?? process.env.HOST ?? '127.0.0.1';
const connectionString = values['database-url'] ?? process.env.DATABASE_URL;
const dataDir = resolve(values.data ?? process.env.EVENTFOLD_DATA ?? '.eventfold-data');
const staticDir = values.static ?? 'demo-dist';
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);

const database = await openPostgresDatabase(connectionString ? { connectionString } : values.memory ? {} : { dataDir: join(dataDir, 'pglite') });
const tokens = journalTokens({ secret: process.env.TOKEN_SECRET ?? secret() });
const sync = createSyncServer({
  database,
  entities,
  // The account list, kept on the server too: `SELECT doc FROM eventfold.documents WHERE projection = 'account-summaries'`.
  projections: [accountSummaries],
  authorize: tokens.authorize,
  onError: (error) => console.error('sync:', error),
});

const app = new Hono();
app.get('/demo/token', async (c) => {
  const journal = c.req.query('journal') ?? '';
  if (journal.length === 0 || journal.length > 256) return c.json({ error: { code: 'invalid-request', message: 'name a journal', retryable: false } }, 400);
  return c.json({ token: await tokens.issue(journal) }, 200, { 'cache-control': 'no-store' });
});
app.all('/v1/*', (c) => sync.fetch(c.req.raw));
app.use('/*', serveStatic({ root: staticDir }));
// The app's routes are the page's own (#account ids): every other path is the app.
app.get('*', serveStatic({ root: staticDir, path: 'index.html' }));

const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
  const where = connectionString ? 'PostgreSQL (DATABASE_URL)' : values.memory ? 'PGlite in memory' : `PGlite in ${dataDir}`;
  console.log(`eventfold demo: http://${host}:${info.port}/ (sync on ${where})`);
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close();
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  void sync
    .close()
    .then(() => database.close())
    .then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

/** The token secret kept in the data folder, made on first start; a random one when there is no folder to keep. */
function secret(): string {
  if (connectionString || values.memory) return randomBytes(32).toString('hex');
  const file = join(dataDir, 'token-secret');
  try {
    return readFileSync(file, 'utf8');
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const made = randomBytes(32).toString('hex');
    writeFileSync(file, made, { mode: 0o600 });
    return made;
  }
}
