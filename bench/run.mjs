// npm run bench [-- --quick] [-- --runs N] [-- --sizes (the B5 size rows alone, into the last full run's results)]
//   [-- --server (the server section alone, P1–P3, into the last run's results: quick.json with --quick)]
//   [-- --sync (the sync section alone, S1–S4, likewise)]
//   [-- --load (the load section alone, L1–L7, likewise)] [-- --history (the history section alone, B3 and B7–B10, likewise)]
//   [-- --store (the store section alone, B1–B6, likewise)]
// Builds the benchmark page, serves it, drives it in headless Chromium with an on-disk profile (so that durability
// is real), and reports every eventfold figure next to a baseline measured in the same run. Then the server section
// (bench/server/): the PostgreSQL journal on PGlite and on a real server, next to raw SQL of the same rows. Then the
// load section (bench/sync-load/): simulated devices pushing and pulling against the sync server on a real server.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { build, preview } from 'vite';
import { chromiumLaunchOptions } from '../tools/chromium.mjs';
import { workerSessions } from './cdp.mjs';
import { bundle, entries, workerEntries } from '../tools/library-sizes.mjs';
import { markdownTable, median, meets, ratioChart, replaceRows, textTable } from './report.mjs';
import { serverConditionLines, serverSection } from './server/index.mjs';
import { historySection } from './history/index.mjs';
import { syncSection } from './sync/index.mjs';
import { loadConditionLines, loadSection } from './sync-load/index.mjs';
import { fixtureAppSizes } from './sizes.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runs = Number(args[args.indexOf('--runs') + 1]) || (quick ? 2 : 5);
const sizes = quick
  ? { sequential: 200, burst: 1_000, accounts: 100, long: 10_000, huge: 30_000, seeks: 50, repeats: 5 }
  : { sequential: 2_000, burst: 10_000, accounts: 100, long: 100_000, huge: 1_000_000, seeks: 200, repeats: 15 };
const log = (/** @type {string} */ message) => console.log(`[bench] ${message}`);

/**
 * Watches the lab worker's heap through the DevTools protocol (workers expose no heap API of their own).
 * @param {import('playwright').BrowserContext} context
 * @param {import('playwright').Page} page
 */
async function heapProbe(context, page) {
  const workers = await workerSessions(context, page);
  const send = (/** @type {string} */ method) => workers.send('lab', method);
  return {
    ready: () => workers.has('lab'),
    /** Used heap after a full garbage collection, in MB. */
    async settled() {
      await send('HeapProfiler.collectGarbage');
      return (await send('Runtime.getHeapUsage')).usedSize / 2 ** 20;
    },
    /** Samples the heap every 20 ms while `work` runs; returns the peak in MB. */
    async peakDuring(/** @type {() => Promise<unknown>} */ work) {
      let peak = 0;
      let running = true;
      const sampling = (async () => {
        while (running) {
          peak = Math.max(peak, (await send('Runtime.getHeapUsage')).usedSize / 2 ** 20);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await work();
      running = false;
      await sampling;
      return peak;
    },
  };
}

/**
 * The B5 size rows: the library alone (rolldown, minified, idb, comlink and React left out, gzip) and as the fixture
 * app pays it (its Vite build).
 * @returns {Promise<import('./report.mjs').Row[]>}
 */
async function sizeRows() {
  log('measuring the library size, alone and in the fixture app');
  const kB = async (/** @type {string} */ source) => (await bundle(source)).gzip / 1_024;
  const app = await fixtureAppSizes();
  return [
    { id: 'B5', what: 'gzip size, worker side with every feature (runtime, IndexedDB journal, worker host, projections, schemas)', value: await kB(workerEntries['worker, projections and schemas']), unit: 'kB', better: 'lower', goal: { kind: 'max', value: 16 } },
    { id: 'B5', what: 'gzip size, worker side of an app without projections and schemas', value: await kB(workerEntries['worker, no projections, no schemas']), unit: 'kB', better: 'lower' },
    { id: 'B5', what: 'gzip size, page side (client, React hooks)', value: await kB(entries.page), unit: 'kB', better: 'lower', goal: { kind: 'max', value: 6 } },
    { id: 'B5', what: 'gzip size, worker side as the fixture app pays it (its whole worker: eventfold, idb, comlink, its entity)', value: app.worker / 1_024, unit: 'kB', better: 'lower' },
    { id: 'B5', what: 'gzip size, page side as the fixture app pays it (its page with eventfold minus the same page without)', value: app.page / 1_024, unit: 'kB', better: 'lower', goal: { kind: 'max', value: 6 }, note: `fixture page scripts ${(app.pageTotal / 1_024).toFixed(1)} kB gzip with eventfold, ${(app.pageWithout / 1_024).toFixed(1)} kB over React state alone` },
  ];
}

/** Puts a full run's table into the README's performance section, between its markers. */
function updateReadme(/** @type {string} */ md) {
  const path = join(root, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) return;
  const body = md.split('\n').slice(2).join('\n').trim();
  const section = `${start}\n${body}\n\n![eventfold's throughput and read rates as ratios to raw IndexedDB, Dexie and raw SQL, measured in the same run](https://raw.githubusercontent.com/eventfold/eventfold/main/bench/results/latest.svg)\n`;
  writeFileSync(path, readme.slice(0, from) + section + readme.slice(to));
}

/**
 * Writes a run's results to bench/results/<output>.{json,md,svg} and, for the full run, into the README.
 * @param {{ conditions: any, rows: import('./report.mjs').Row[], samples: Record<string, number[]> }} results
 * @param {string} output
 */
function writeResults(results, output) {
  const folder = join(root, 'bench/results');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${output}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const { conditions, rows } = results;
  const notes = rows.filter((row) => row.note).map((row) => `- ${row.id}: ${row.note}`);
  const md = [
    `# eventfold benchmark (${output === 'quick' ? 'quick run' : 'full run'})`,
    '',
    markdownTable(rows),
    '',
    ...notes,
    ...(conditions.browser
      ? [
          `- Browser: ${conditions.browser}, ${conditions.profile}.`,
          `- Durability: ${conditions.durability}.`,
          `- Method: ${conditions.method}.`,
          `- ${conditions.runs} runs; ${conditions.statistic}.`,
          `- Worker heap: ${conditions.heap.idleMB.toFixed(1)} MB idle before the replays; a replay folds pages of 2,500 events, so what it retains does not grow with the stream.`,
          `- Machine: ${conditions.machine}. Date: ${conditions.date}${conditions.storeDate ? `; B1–B6 re-measured alone (\`--store\`) on ${conditions.storeDate}` : ''}${conditions.sizesDate ? `; the B5 sizes re-measured alone (\`--sizes\`) on ${conditions.sizesDate}` : ''}.`,
        ]
      : []),
    ...(conditions.server ? serverConditionLines(conditions.server) : []),
    ...(conditions.load ? loadConditionLines(conditions.load) : []),
    '',
  ].join('\n');
  writeFileSync(join(folder, `${output}.md`), md);
  writeFileSync(join(folder, `${output}.svg`), `${ratioChart(rows)}\n`);
  if (output === 'latest') updateReadme(md);
  console.log(`\n${textTable(rows)}\n`);
  for (const row of rows) if (meets(row) === false) log(`goal not met: ${row.id} ${row.what}`);
  log(`wrote bench/results/${output}.json, .md and .svg`);
}

/**
 * Builds and serves the benchmark page and opens it in headless Chromium with an on-disk profile (so that durability
 * is real); `call` runs one of the page's scenarios.
 */
async function openBenchPage() {
  await build({ configFile: join(root, 'bench/vite.config.ts'), logLevel: 'warn' });
  const server = await preview({ configFile: join(root, 'bench/vite.config.ts'), logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0] ?? 'http://127.0.0.1:4180/';
  const profile = mkdtempSync(join(tmpdir(), 'eventfold-bench-'));
  const context = await chromium.launchPersistentContext(profile, { ...chromiumLaunchOptions, headless: true });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (error) => log(`page error: ${error.message}`));
  await page.goto(url);
  await page.waitForFunction(() => 'bench' in window);
  /** @returns {Promise<any>} */
  const call = (/** @type {string} */ name, /** @type {unknown[]} */ ...params) =>
    page.evaluate(({ scenario, values }) => /** @type {any} */ (window).bench[scenario](...values), { scenario: name, values: params });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await new Promise((resolve) => server.httpServer.close(resolve));
  };
  return { context, page, url, call, close };
}

/**
 * The store section (B1–B6): writes from the page on eventfold, raw IndexedDB and Dexie, activations, replays,
 * start-up, sizes and the worker's heap.
 * @param {{ call: (name: string, ...params: unknown[]) => Promise<any>, heap: Awaited<ReturnType<typeof heapProbe>> }} page
 * @returns {Promise<{ rows: import('./report.mjs').Row[], samples: Record<string, number[]>, heap: { idleMB: number, afterMB: number } }>}
 */
async function storeSection({ call, heap }) {
  /** @type {Record<string, number[]>} */
  const samples = {};
  const add = (/** @type {string} */ key, /** @type {number | number[]} */ value) => {
    (samples[key] ??= []).push(...(Array.isArray(value) ? value : [value]));
  };

  const stores = ['eventfold', 'raw', 'dexie'];
  for (let run = 1; run <= runs; run++) {
    log(`write workloads, run ${run} of ${runs}`);
    // Rotate the order of the bursts, so that no store always runs first on a cold disk.
    const order = stores.map((_, i) => stores[(i + run) % stores.length]);
    const sequential = await call('sequentialDeposits', sizes.sequential);
    for (const store of stores) add(`B1a:${store}`, sequential[store]);
    const anatomy = await call('appendAnatomy', sizes.sequential / 2);
    for (const [variant, rate] of Object.entries(anatomy)) add(`B1a-anatomy:${variant}`, /** @type {number} */ (rate));
    for (const store of order) add(`B1b-1:${store}`, await call('deposits', store, sizes.burst, sizes.burst, 1));
    for (const store of order) add(`B1b-100:${store}`, await call('deposits', store, sizes.burst, sizes.burst, sizes.accounts));
  }

  log(`seeding two accounts of ${sizes.long.toLocaleString('en-US')} events`);
  const snapshotted = await call('seedAccount', sizes.long, 100);
  const plain = await call('seedAccount', sizes.long);
  log('cold activations, replays, seeks, start-up');
  for (let run = 0; run < runs; run++) {
    const cold = await call('activations', snapshotted, true, sizes.repeats);
    add('B2-snap:eventfold', cold.eventfold);
    add('B2-snap:raw', cold.raw);
    const coldPlain = await call('activations', plain, false, Math.max(3, Math.round(sizes.repeats / 5)));
    add('B2-none:eventfold', coldPlain.eventfold);
    add('B2-none:raw', coldPlain.raw);
    const replayed = await call('replays', plain, 3);
    add('B4:eventfold', replayed.eventfold.map((/** @type {number} */ ms) => (sizes.long / ms) * 1_000));
    add('B4:raw', replayed.raw.map((/** @type {number} */ ms) => (sizes.long / ms) * 1_000));
    add('B5-start', await call('startup', snapshotted));
  }

  log('heap while replaying');
  if (!heap.ready()) throw new Error('the lab worker was not found for heap readings');
  const idle = await heap.settled();
  const peakLong = await heap.peakDuring(() => call('replays', plain, 1));
  const afterLong = await heap.settled();
  await call('dropDatabase', snapshotted);
  await call('dropDatabase', plain);
  log(`seeding an account of ${sizes.huge.toLocaleString('en-US')} events`);
  const huge = await call('seedAccount', sizes.huge);
  await heap.settled();
  const peakHuge = await heap.peakDuring(() => call('replays', huge, 1));
  const after = await heap.settled();
  await call('dropDatabase', huge);


  const m = (/** @type {string} */ key) => median(samples[key] ?? []);
  const k = (/** @type {number} */ n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1_000}k`);
  /** @type {import('./report.mjs').Row[]} */
  const rows = [
    { label: 'awaited', id: 'B1a', what: `${sizes.sequential.toLocaleString('en-US')} deposits, each awaited (page → worker → durable)`, value: m('B1a:eventfold'), unit: 'cmd/s', baseline: m('B1a:raw'), baselineName: 'raw idb', better: 'higher', goal: { kind: 'ratio', value: 0.9 } },
    { label: 'burst, 1 account', id: 'B1b', what: `${k(sizes.burst)} deposits in flight, 1 account`, value: m('B1b-1:eventfold'), unit: 'cmd/s', baseline: m('B1b-1:raw'), baselineName: 'raw idb', better: 'higher', goal: { kind: 'ratio', value: 0.8 } },
    { label: 'burst, 100 accounts', id: 'B1b', what: `${k(sizes.burst)} deposits in flight, ${sizes.accounts} accounts`, value: m('B1b-100:eventfold'), unit: 'cmd/s', baseline: m('B1b-100:raw'), baselineName: 'raw idb', better: 'higher', goal: { kind: 'ratio', value: 0.8 } },
    { label: 'journal, in the worker', id: 'B1a′', what: 'single appends inside the worker: journal vs a raw add of the same record', value: m('B1a-anatomy:journal'), unit: 'appends/s', baseline: m('B1a-anatomy:envelope'), baselineName: 'raw add', better: 'higher', note: `single appends inside the worker (appends/s): ${['journal', 'envelope', 'keyThenEnvelope', 'bare'].map((v) => `${v} ${Math.round(m(`B1a-anatomy:${v}`))}`).join(', ')} (envelope: a raw add of the journal's record into a store with a unique position index, the journal's usual transaction; keyThenEnvelope: the same after a lookup of the previous key, its shape for a stream it has not seen yet; bare: a put of a record without envelope or index, what the envelope costs)` },
    { label: 'awaited', id: 'B1c', what: 'deposits, each awaited', value: m('B1a:eventfold'), unit: 'cmd/s', baseline: m('B1a:dexie'), baselineName: 'Dexie', better: 'higher' },
    { label: 'burst, 1 account', id: 'B1c', what: `${k(sizes.burst)} in flight, 1 account`, value: m('B1b-1:eventfold'), unit: 'cmd/s', baseline: m('B1b-1:dexie'), baselineName: 'Dexie', better: 'higher' },
    { label: 'burst, 100 accounts', id: 'B1c', what: `${k(sizes.burst)} in flight, ${sizes.accounts} accounts`, value: m('B1b-100:eventfold'), unit: 'cmd/s', baseline: m('B1b-100:dexie'), baselineName: 'Dexie', better: 'higher' },
    { label: 'snapshots', id: 'B2', what: `cold activation, ${k(sizes.long)} events, snapshotEvery(100)`, value: m('B2-snap:eventfold'), unit: 'ms', baseline: m('B2-snap:raw'), baselineName: 'raw reads', better: 'lower', goal: { kind: 'max', value: 10 } },
    { label: 'no snapshot', id: 'B2', what: `cold activation, ${k(sizes.long)} events, no snapshot`, value: m('B2-none:eventfold'), unit: 'ms', baseline: m('B2-none:raw'), baselineName: 'raw getAll', better: 'lower' },
    { label: 'replay', id: 'B4', what: `full replay (fold), ${k(sizes.long)} events`, value: m('B4:eventfold'), unit: 'events/s', baseline: m('B4:raw'), baselineName: 'raw getAll', better: 'higher', goal: { kind: 'ratio', value: 0.7 } },
    { id: 'B5', what: 'worker start to first state on the page', value: m('B5-start'), unit: 'ms', better: 'lower' },
    ...(await sizeRows()),
    { id: 'B6', what: `worker heap after replaying ${k(sizes.long)} events (after GC)`, value: afterLong, unit: 'MB', better: 'lower', goal: { kind: 'max', value: 64 }, note: `heap peak while replaying ${k(sizes.long)}: ${peakLong.toFixed(1)} MB (garbage not yet collected)` },
    { id: 'B6', what: `worker heap after replaying ${k(sizes.huge)} events (after GC)`, value: after, unit: 'MB', better: 'lower', goal: { kind: 'max', value: 64 }, note: `heap peak while replaying ${k(sizes.huge)}: ${peakHuge.toFixed(1)} MB (garbage not yet collected)` },
  ];
  return { rows, samples, heap: { idleMB: idle, afterMB: after } };
}

/**
 * The conditions of a run in the browser: when, which Chromium, the profile, durability, method and statistic.
 * @param {import('playwright').BrowserContext} context
 * @param {import('playwright').Page} page
 */
async function browserConditions(context, page) {
  const version = await (await context.newCDPSession(page)).send('Browser.getVersion');
  return {
    date: new Date().toISOString(),
    browser: version.product.replace('Chrome/', 'Chromium ').replace('HeadlessChrome/', 'Chromium '),
    profile: 'on disk (launchPersistentContext), headless',
    durability: 'strict for every write workload (eventfold, raw idb and Dexie)',
    method: 'B1a interleaves the three stores in slices of 100 commands; B1b runs each store in turn, rotating the order per run; every store writes the same records (events in envelopes: ids, type, schema version, metadata, global position under a unique index)',
    runs,
    sizes,
    statistic: 'median of all samples; B3, B7, B8 and B9 are percentiles of every sample',
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`,
  };
}

async function main() {
  log(`building the benchmark page (${quick ? 'quick' : 'full'} run, ${runs} runs)`);
  const { context, page, url, call, close } = await openBenchPage();
  const heap = await heapProbe(context, page);
  /** @type {{ conditions: any, rows: import('./report.mjs').Row[], samples: Record<string, number[]> }} */
  let browser;

  try {
    const store = await storeSection({ call, heap });
    const { rows, samples } = store;

    const history = await historySection({ root, quick, log, call, context, url });
    rows.push(...history.rows);
    Object.assign(samples, history.samples);

    const sync = await syncSection({ root, quick, runs, log, call });
    rows.push(...sync.rows);
    Object.assign(samples, sync.samples);

    const conditions = { ...(await browserConditions(context, page)), sync: sync.conditions.sync, heap: store.heap };
    browser = { conditions, rows, samples };
  } finally {
    await close();
  }
  // After the browser is gone, so that the two sections do not share the machine.
  const section = await serverSection({ quick, runs, log });
  const load = await loadSection({ root, quick, log });
  writeResults(
    {
      conditions: { ...browser.conditions, server: section.conditions, load: load.conditions.load },
      rows: [...browser.rows, ...section.rows, ...load.rows],
      samples: { ...browser.samples, ...section.samples, ...load.samples },
    },
    quick ? 'quick' : 'latest',
  );
}

/**
 * `npm run bench -- --sizes`: measures the B5 size rows alone and puts them into the last full run's results in
 * place of its own, noting when; the other rows keep their figures and conditions.
 */
async function sizesOnly() {
  const path = join(root, 'bench/results/latest.json');
  const results = JSON.parse(readFileSync(path, 'utf8'));
  const isSize = (/** @type {import('./report.mjs').Row} */ row) => row.id === 'B5' && row.unit === 'kB';
  const rows = replaceRows(results.rows, await sizeRows(), isSize);
  const conditions = { ...results.conditions, sizesDate: new Date().toISOString() };
  writeResults({ ...results, rows, conditions }, 'latest');
}

/**
 * `npm run bench -- --server [--quick]`: the server section alone, its rows (P1–P3), samples and conditions put into
 * the last run's results (latest, or quick with `--quick`) in place of its own; the browser rows keep theirs.
 */
async function serverOnly() {
  const output = quick ? 'quick' : 'latest';
  const path = join(root, `bench/results/${output}.json`);
  /** @type {{ conditions: any, rows: import('./report.mjs').Row[], samples: Record<string, number[]> }} */
  const results = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { conditions: {}, rows: [], samples: {} };
  const section = await serverSection({ quick, runs, log });
  const isServer = (/** @type {import('./report.mjs').Row} */ row) => /^P\d/.test(row.id);
  const samples = Object.fromEntries(Object.entries(results.samples ?? {}).filter(([key]) => !/^P\d/.test(key)));
  writeResults(
    {
      conditions: { ...results.conditions, server: section.conditions },
      rows: replaceRows(results.rows, section.rows, isServer),
      samples: { ...samples, ...section.samples },
    },
    output,
  );
}

/**
 * `npm run bench -- --sync [--quick]`: the sync section alone (S1–S4), its rows put into the last run's results in
 * place of its own.
 */
async function syncOnly() {
  const output = quick ? 'quick' : 'latest';
  const path = join(root, `bench/results/${output}.json`);
  /** @type {{ conditions: any, rows: import('./report.mjs').Row[], samples: Record<string, number[]> }} */
  const results = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { conditions: {}, rows: [], samples: {} };
  const { call, close } = await openBenchPage();
  try {
    const section = await syncSection({ root, quick, runs, log, call });
    const isSync = (/** @type {import('./report.mjs').Row} */ row) => /^S\d/.test(row.id);
    const samples = Object.fromEntries(Object.entries(results.samples ?? {}).filter(([key]) => !/^S\d/.test(key)));
    writeResults(
      { conditions: { ...results.conditions, sync: section.conditions.sync, syncDate: new Date().toISOString() }, rows: replaceRows(results.rows, section.rows, isSync), samples: { ...samples, ...section.samples } },
      output,
    );
  } finally {
    await close();
  }
}

/**
 * `npm run bench -- --history [--quick]`: the history section alone (B3, B7–B10), its rows put into the last run's results
 * in place of its own.
 */
async function historyOnly() {
  const output = quick ? 'quick' : 'latest';
  const path = join(root, `bench/results/${output}.json`);
  /** @type {{ conditions: any, rows: import('./report.mjs').Row[], samples: Record<string, number[]> }} */
  const results = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { conditions: {}, rows: [], samples: {} };
  const { call, close, context, url } = await openBenchPage();
  try {
    const section = await historySection({ root, quick, log, call, context, url });
    const ids = new Set(section.rows.map((row) => row.id));
    const samples = Object.fromEntries(Object.entries(results.samples ?? {}).filter(([key]) => !ids.has(key.split(/[:-]/)[0] ?? key)));
    writeResults(
      { conditions: { ...results.conditions, historyDate: new Date().toISOString() }, rows: replaceRows(results.rows, section.rows, (row) => ids.has(row.id)), samples: { ...samples, ...section.samples } },
      output,
    );
  } finally {
    await close();
  }
}

/**
 * `npm run bench -- --load [--quick]`: the load section alone (L1–L7), its rows, samples and conditions put into the
 * last run's results in place of its own.
 */
async function loadOnly() {
  const output = quick ? 'quick' : 'latest';
  const path = join(root, `bench/results/${output}.json`);
  /** @type {{ conditions: any, rows: import('./report.mjs').Row[], samples: Record<string, number[]> }} */
  const results = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { conditions: {}, rows: [], samples: {} };
  const section = await loadSection({ root, quick, log });
  const isLoad = (/** @type {import('./report.mjs').Row} */ row) => /^L\d/.test(row.id);
  const samples = Object.fromEntries(Object.entries(results.samples ?? {}).filter(([key]) => !/^L\d/.test(key)));
  writeResults(
    { conditions: { ...results.conditions, load: section.conditions.load }, rows: replaceRows(results.rows, section.rows, isLoad), samples: { ...samples, ...section.samples } },
    output,
  );
}

/**
 * `npm run bench -- --store [--quick]`: the store section alone (B1–B6), its rows, samples and conditions put into the
 * last run's results in place of its own; the other sections keep theirs, and their dates.
 */
async function storeOnly() {
  const output = quick ? 'quick' : 'latest';
  const path = join(root, `bench/results/${output}.json`);
  /** @type {{ conditions: any, rows: import('./report.mjs').Row[], samples: Record<string, number[]> }} */
  const results = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : { conditions: {}, rows: [], samples: {} };
  log(`building the benchmark page (store section, ${quick ? 'quick' : 'full'} run, ${runs} runs)`);
  const { context, page, call, close } = await openBenchPage();
  try {
    const store = await storeSection({ call, heap: await heapProbe(context, page) });
    const ids = new Set(store.rows.map((row) => row.id));
    const samples = Object.fromEntries(Object.entries(results.samples ?? {}).filter(([key]) => !ids.has(key.split(/[:-]/)[0] ?? key)));
    const { date, ...conditions } = await browserConditions(context, page);
    writeResults(
      {
        conditions: { ...results.conditions, ...conditions, heap: store.heap, date: results.conditions.date ?? date, storeDate: date },
        rows: replaceRows(results.rows, store.rows, (row) => ids.has(row.id)),
        samples: { ...samples, ...store.samples },
      },
      output,
    );
  } finally {
    await close();
  }
}

await (args.includes('--store') ? storeOnly() : args.includes('--sizes') ? sizesOnly() : args.includes('--history') ? historyOnly() : args.includes('--server') ? serverOnly() : args.includes('--sync') ? syncOnly() : args.includes('--load') ? loadOnly() : main());
