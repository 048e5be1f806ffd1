// The load test's sync server, a process of its own so that its memory is its own to measure (bench/sync-load/
// index.mjs forks it with an IPC channel): `node --expose-gc server.mjs <database url> <token secret> <pool size>
// <account module file> <lifetime ms>`. It runs the built library (dist/) on the real PostgreSQL it is given, sends
// `{ type: 'listening', url }` once it serves, its memory every second, and each failure it is told of; it stops when
// told to, when its parent goes, or at the end of its lifetime, whichever comes first.
import { dirname, join } from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const [connectionString, secret, poolSize, accountFile, lifetime] = process.argv.slice(2);
if (!connectionString || !secret || !poolSize || !accountFile || !lifetime || !process.send) {
  throw new Error('usage: node --expose-gc server.mjs <database url> <token secret> <pool size> <account module file> <lifetime ms> (forked, with IPC)');
}
/** @param {object} message */
const send = (message) => {
  if (process.connected) process.send?.(message);
};

// Whatever else happens, this process ends: at its lifetime's end, or as soon as the driver is gone.
setTimeout(() => process.exit(3), Number(lifetime));
process.on('disconnect', () => process.exit(2));

/** Requests per journal the server lets through: enough that the limit never applies to the test. */
const rateLimit = { requests: 1_000_000, perMs: 1000 };

const postgres = await import(pathToFileURL(join(root, 'dist/postgres/index.js')).href);
const server = await import(pathToFileURL(join(root, 'dist/server/index.js')).href);
const { account } = await import(pathToFileURL(accountFile).href);
const database = await postgres.openPostgresDatabase({ connectionString, poolSize: Number(poolSize) });
const sync = server.createSyncServer({
  database,
  entities: { account },
  authorize: server.journalTokens({ secret }).authorize,
  // The default (200 a second per journal) would throttle ten busy devices of one journal: the test measures the
  // server, not its limiter.
  rateLimit,
  allowedOrigins: '*',
  onError: (/** @type {unknown} */ error) => send({ type: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
});
const listening = await sync.listen(0);

// How late the event loop runs its callbacks, over each second: how busy the server is, as a request feels it.
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const memory = () => {
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const { user, system } = process.cpuUsage();
  return { at: Date.now(), rss, heapUsed, heapTotal, external, arrayBuffers, cpuMs: (user + system) / 1000 };
};
// The heap just after each full collection: what the server retains, over time (the per-second readings rise and
// fall with garbage not collected yet).
const collections = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (/** @type {any} */ (entry).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) send({ type: 'major-gc', at: Date.now(), heapUsed: process.memoryUsage().heapUsed });
  }
});
collections.observe({ entryTypes: ['gc'] });
const sampling = setInterval(() => {
  // Less the histogram's resolution, which it counts in every reading.
  const late = (/** @type {number} */ ns) => Math.max(0, ns / 1e6 - 10);
  send({ type: 'memory', ...memory(), delayMs: { mean: late(delay.mean), p99: late(delay.percentile(99)), max: late(delay.max) } });
  delay.reset();
}, 1000);

process.on('message', (/** @type {any} */ message) => {
  if (message?.type === 'gc') {
    // A reading of what the server retains: after a full collection (the process runs with --expose-gc).
    /** @type {any} */ (globalThis).gc?.();
    send({ type: 'gc', ...memory() });
  } else if (message?.type === 'stop') {
    clearInterval(sampling);
    collections.disconnect();
    void (async () => {
      await listening.close();
      await sync.close();
      await database.close();
      send({ type: 'stopped' });
      process.exit(0);
    })().catch((/** @type {unknown} */ error) => {
      send({ type: 'error', message: `while stopping: ${String(error)}` });
      process.exit(1);
    });
  }
});
send({ type: 'listening', url: listening.url, rateLimit, poolSize: Number(poolSize) });
