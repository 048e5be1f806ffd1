// The sync section of `npm run bench` (alone: `npm run bench -- --sync`): devices in Chromium (an on-disk profile)
// syncing with the sync server on PGlite in a temporary folder (the embedded default, as `npm start` runs it), on
// loopback. S1 and S2 have goals in absolute time (from the issue); S4 is a ratio to a raw SELECT of the same rows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { median, percentile } from '../report.mjs';
import { loadAccount } from '../server/account.mjs';
import { rawPglite } from '../server/raw.mjs';

/** The sizes of a full and of a quick run. */
export const syncSizes = {
  full: { commands: 20_000, latencies: 200 },
  quick: { commands: 2_000, latencies: 30 },
};

/**
 * @param {{ root: string, quick: boolean, runs: number, log: (message: string) => void, call: (name: string, ...params: unknown[]) => Promise<any> }} options
 * @returns {Promise<{ rows: import('../report.mjs').Row[], samples: Record<string, number[]>, conditions: Record<string, unknown> }>}
 */
export async function syncSection({ root, quick, runs, log, call }) {
  const sizes = quick ? syncSizes.quick : syncSizes.full;
  log('building the library (npm run build:lib) for the sync section');
  execFileSync('npm', ['run', '--silent', 'build:lib'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const postgres = await import(pathToFileURL(join(root, 'dist/postgres/index.js')).href);
  const server = await import(pathToFileURL(join(root, 'dist/server/index.js')).href);
  const entities = { account: await loadAccount() };
  const folder = mkdtempSync(join(tmpdir(), 'eventfold-bench-sync-'));
  const dataDir = join(folder, 'pglite');
  const database = await postgres.openPostgresDatabase({ dataDir });
  const tokens = server.journalTokens({ secret: 'the sync bench signs its own tokens with this' });
  const sync = server.createSyncServer({ database, entities, authorize: tokens.authorize, allowedOrigins: '*', rateLimit: { requests: 1e6, perMs: 1000 } });
  const listening = await sync.listen();
  /** @type {Record<string, number[]>} */
  const samples = {};
  const add = (/** @type {string} */ key, /** @type {number | number[]} */ value) => (samples[key] ??= []).push(...(Array.isArray(value) ? value : [value]));
  /** @type {string[]} */
  const journals = [];
  try {
    for (let run = 1; run <= runs; run++) {
      log(`sync: ${sizes.commands.toLocaleString('en-US')} commands offline, start-up, then online (run ${run} of ${runs})`);
      const journalId = `bench-${run}-${Date.now()}`;
      journals.push(journalId);
      const token = await tokens.issue(journalId);
      const device = `bench-sync-${run}-${Date.now()}`;
      add('S0', await call('syncMake', device, sizes.commands));
      const start = await call('syncStart', device);
      if (start.balance !== sizes.commands - 1) throw new Error(`S2: the device started with balance ${start.balance}, not ${sizes.commands - 1}`);
      add('S2', start.ms);
      const online = await call('syncOnline', device, listening.url, journalId, token);
      if (online.events !== sizes.commands) throw new Error(`S1: ${online.events} events confirmed, not ${sizes.commands}`);
      add('S1', online.ms);
      await call('syncDrop', device);
      const fresh = `bench-sync-fresh-${run}-${Date.now()}`;
      const caughtUp = await call('syncOnline', fresh, listening.url, journalId, token);
      if (caughtUp.events !== sizes.commands) throw new Error(`S4: ${caughtUp.events} events pulled, not ${sizes.commands}`);
      add('S4:eventfold', (sizes.commands / caughtUp.ms) * 1_000);
      await call('syncDrop', fresh);
    }
    log(`sync: ${sizes.latencies} deposits from device A to device B`);
    const latencyJournal = `bench-latency-${Date.now()}`;
    add('S3', await call('syncLatency', listening.url, latencyJournal, await tokens.issue(latencyJournal), sizes.latencies));
  } finally {
    await listening.close();
    await sync.close();
    await database.close();
  }
  // The baseline of S4: the same rows, read by one SELECT through the same driver, on the same folder.
  const raw = await rawPglite(dataDir);
  try {
    for (const journalId of journals) {
      const started = performance.now();
      const rows = await raw.query(
        'SELECT position, stream_id, sequence_nr, event_id, type, schema_version, data, metadata, timestamp FROM eventfold.events WHERE journal_id = $1 ORDER BY position',
        [journalId],
      );
      add('S4:raw', (rows.length / (performance.now() - started)) * 1_000);
    }
  } finally {
    await raw.close();
    rmSync(folder, { recursive: true, force: true });
  }
  const m = (/** @type {string} */ key) => median(samples[key] ?? []);
  const k = (/** @type {number} */ n) => `${n / 1_000}k`;
  /** @type {import('../report.mjs').Row[]} */
  const rows = [
    { id: 'S1', what: `${k(sizes.commands)} commands made offline on one device, then pushed, confirmed and rebased (online to synced)`, value: m('S1'), unit: 'ms', better: 'lower', goal: { kind: 'max', value: 1_000 }, note: `making them offline took ${Math.round(m('S0'))} ms (all in flight)` },
    { id: 'S2', what: `start-up with ${k(sizes.commands)} commands pending (databases opened to the first state)`, value: m('S2'), unit: 'ms', better: 'lower', goal: { kind: 'max', value: 1_000 } },
    { id: 'S3', what: 'a command on device A in device B\'s state (local server), p50', value: percentile(samples.S3 ?? [], 50), unit: 'ms', better: 'lower', note: `p95 ${percentile(samples.S3 ?? [], 95).toFixed(1)} ms over ${samples.S3?.length ?? 0} commands` },
    { label: 'pull catch-up', id: 'S4', what: `a new device pulls ${k(sizes.commands)} events (HTTP, validation, IndexedDB), against a raw SELECT of the rows`, value: m('S4:eventfold'), unit: 'events/s', baseline: m('S4:raw'), baselineName: 'raw SELECT', better: 'higher' },
  ];
  return { rows, samples, conditions: { sync: `sync server on PGlite (a folder) on loopback; devices on the page's thread in Chromium, on-disk profile; ${sizes.commands} commands per run, ${runs} runs` } };
}

