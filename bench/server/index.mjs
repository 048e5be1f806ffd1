// The server section of `npm run bench` (alone: `npm run bench -- --server`): the PostgreSQL journal under the
// runtime, on PGlite in a temporary folder and on a throwaway PostgreSQL server with fsync on, each figure next to
// raw SQL of the same rows through the same driver, measured in the same run.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDatabase, dropDatabase, startPostgres, uniqueDatabaseName } from '../../tools/postgres-server.mjs';
import { loadAccount } from './account.mjs';
import { rawPg, rawPglite } from './raw.mjs';
import { assertSameRows, eventfoldAwaited, eventfoldBurst, eventfoldReplays, rawAwaited, rawBurst, rawReplays, seedStream } from './workloads.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** The journal's schema, in eventfold's database and in the baseline's alike. */
const schema = 'eventfold';
/** Events per `load` of a replay: the runtime's default page (`DEFAULT_PAGE_SIZE`), read again from the library. */
let pageSize = 2_500;

/** The sizes of a full and of a quick run. */
export const serverSizes = {
  full: { awaited: 2_000, burst: 10_000, accounts: 100, replay: 100_000, replays: 3 },
  quick: { awaited: 200, burst: 1_000, accounts: 100, replay: 10_000, replays: 2 },
};

/** @param {string} name a package in node_modules */
const versionOf = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

/**
 * Where both stores run. `openDatabase` opens eventfold's database of journals; `openRaw` the baseline's, a
 * database (or folder) of its own with the same tables, made by the journal's migration; `replayBaseline` gives the
 * baseline of P3 the rows eventfold's database holds (it may close and reopen `database` to do so).
 * @typedef {object} Target
 * @property {'pglite' | 'server'} name
 * @property {string} title  for the rows' descriptions
 * @property {() => Promise<any>} openDatabase
 * @property {() => Promise<import('./raw.mjs').RawSql>} openRaw
 * @property {(database: any) => Promise<{ database: any, raw: import('./raw.mjs').RawSql }>} replayBaseline
 * @property {Record<string, string>} settings  what the server says of itself, for the conditions
 * @property {() => Promise<void>} remove
 */

/**
 * PGlite in three folders of one temporary folder: eventfold's, the baseline's, and for P3 a copy of eventfold's made
 * while it is closed (one PGlite at a time may open a folder), so that the baseline reads the same rows, byte for byte.
 * @param {any} postgres the built `eventfold/postgres`
 * @returns {Promise<Target>}
 */
async function pgliteTarget(postgres) {
  const folder = mkdtempSync(join(tmpdir(), 'eventfold-bench-pglite-'));
  const eventfoldDir = join(folder, 'eventfold');
  const rawDir = join(folder, 'raw');
  const copyDir = join(folder, 'replay-copy');
  await (await postgres.openPostgresDatabase({ dataDir: rawDir, schema })).close();
  const settings = await describeServer(await rawPglite(rawDir), true);
  return {
    name: 'pglite',
    title: 'PGlite, a folder',
    openDatabase: () => postgres.openPostgresDatabase({ dataDir: eventfoldDir, schema }),
    openRaw: () => rawPglite(rawDir),
    async replayBaseline(database) {
      await database.close();
      cpSync(eventfoldDir, copyDir, { recursive: true });
      return { database: await postgres.openPostgresDatabase({ dataDir: eventfoldDir, schema }), raw: await rawPglite(copyDir) };
    },
    settings,
    remove: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

/**
 * A PostgreSQL server: `DATABASE_URL` when set, else a throwaway cluster (fsync on) on a free loopback port; two
 * databases on it, eventfold's and the baseline's. P3's baseline reads eventfold's database.
 * @param {any} postgres
 * @param {(message: string) => void} log
 * @returns {Promise<Target>}
 */
async function serverTarget(postgres, log) {
  const given = process.env.DATABASE_URL;
  const server = given ? undefined : await startPostgres({ fsync: true, log });
  const base = given ?? /** @type {NonNullable<typeof server>} */ (server).url;
  const names = { eventfold: uniqueDatabaseName('eventfold_bench'), raw: uniqueDatabaseName('eventfold_bench_raw') };
  const remove = async () => {
    for (const name of Object.values(names)) await dropDatabase(base, name).catch(() => {});
    await server?.stop();
  };
  try {
    const [eventfoldUrl, rawUrl] = [await createDatabase(base, names.eventfold), await createDatabase(base, names.raw)];
    await (await postgres.openPostgresDatabase({ connectionString: rawUrl, schema })).close();
    const settings = await describeServer(await rawPg(rawUrl), false);
    return {
      name: 'server',
      title: `the server, fsync ${settings.fsync}`,
      openDatabase: () => postgres.openPostgresDatabase({ connectionString: eventfoldUrl, schema }),
      openRaw: () => rawPg(rawUrl),
      replayBaseline: async (database) => ({ database, raw: await rawPg(eventfoldUrl) }),
      settings: { ...settings, where: given ? 'DATABASE_URL' : 'a throwaway cluster on 127.0.0.1 (tools/postgres-server.mjs)' },
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * The server's version and the settings a durable commit depends on; closes `sql`.
 * @param {import('./raw.mjs').RawSql} sql
 * @param {boolean} pglite
 */
async function describeServer(sql, pglite) {
  try {
    /** @type {Record<string, string>} */
    const settings = {};
    settings.version = /** @type {string} */ ((await sql.query('SELECT version() AS v', []))[0]?.v).split(',')[0] ?? '';
    for (const name of ['fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers']) {
      settings[name] = String((await sql.query(`SHOW ${name}`, []))[0]?.[name]);
    }
    if (pglite) {
      // Emscripten's Node file system has no fsync (its streams have none), whatever PGlite's setting says.
      settings.durability = `fsync ${settings.fsync} (PGlite's default), and PGlite's Node file system never calls fsync: a commit is in the OS page cache when it returns, so it survives the process, not a power cut`;
    }
    return settings;
  } finally {
    await sql.close();
  }
}

/** The machine: processors, memory, system, Node, and the file system of the temporary folders. */
export function machine() {
  let disk = '';
  try {
    const line = execFileSync('df', ['-T', tmpdir()], { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';
    const [device, fsType] = line.split(/\s+/);
    disk = `, ${tmpdir()} on ${fsType} (${device})`;
  } catch {
    // No df: the file system goes unsaid.
  }
  return `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB, ${type()} ${release()}, Node ${process.version}${disk}`;
}

/**
 * Builds the library (Node runs dist/, not the TypeScript sources) and loads what the section uses from it.
 * @param {(message: string) => void} log
 */
async function loadEventfold(log) {
  log('building the library (npm run build:lib) for the server section');
  execFileSync('npm', ['run', '--silent', 'build:lib'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  // Imported by URL: dist/ exists only once built, and `eventfold/*` inside it resolves through the package's exports.
  const library = await import(pathToFileURL(join(root, 'dist/index.js')).href);
  const postgres = await import(pathToFileURL(join(root, 'dist/postgres/index.js')).href);
  pageSize = library.DEFAULT_PAGE_SIZE ?? pageSize;
  return { library, postgres, account: await loadAccount() };
}

/** The library measured: the commit, and whether lib/ differed from it (the build is of the working tree). */
export function source() {
  try {
    const git = (/** @type {string[]} */ args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    const changed = git(['status', '--porcelain', '--', 'lib']) !== '';
    return `${git(['rev-parse', '--short', 'HEAD'])}${changed ? ', lib/ with uncommitted changes' : ''}`;
  } catch {
    return 'unknown (no git)';
  }
}

/** @param {number} n */
const k = (n) => (n >= 1_000 ? `${n / 1_000}k` : String(n));

/**
 * The appends of P2 in words: `10 appends of 1 write (1,000 events)`, grouping appends of one size.
 * @param {import('./workloads.mjs').Shape} shape
 */
function shapeText(shape) {
  /** @type {Map<string, number>} */
  const sizes = new Map();
  for (const writes of shape) {
    const events = writes.reduce((sum, [, count]) => sum + count, 0);
    const key = `${writes.length} write${writes.length === 1 ? '' : 's'}, ${events.toLocaleString('en-US')} events`;
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  return [...sizes].map(([key, count]) => `${count} × (${key})`).join(' + ');
}

/**
 * Runs the section: every workload on each target, `runs` times, eventfold and its baseline in turns (which goes
 * first alternates from run to run), and reports the medians as rows with ids P1, P2 and P3.
 * @param {{ quick: boolean, runs: number, log: (message: string) => void }} options
 * @returns {Promise<{ rows: import('../report.mjs').Row[], samples: Record<string, number[]>, conditions: Record<string, unknown> }>}
 */
export async function serverSection({ quick, runs, log }) {
  const sizes = quick ? serverSizes.quick : serverSizes.full;
  const built = source();
  const { library, postgres, account } = await loadEventfold(log);
  /** @type {Record<string, number[]>} */
  const samples = {};
  const add = (/** @type {string} */ key, /** @type {number | number[]} */ value) => {
    (samples[key] ??= []).push(...(Array.isArray(value) ? value : [value]));
  };
  const median = (/** @type {string} */ key) => {
    const sorted = [...(samples[key] ?? [])].sort((a, b) => a - b);
    return sorted[Math.ceil(sorted.length / 2) - 1] ?? Number.NaN;
  };
  /** @type {Record<string, Record<string, string>>} */
  const targets = {};
  /** @type {Record<string, string>} */
  const shapes = {};
  /** @type {import('../report.mjs').Row[]} */
  const rows = [];

  for (const open of [() => pgliteTarget(postgres), () => serverTarget(postgres, log)]) {
    const target = await open();
    const t = target.name;
    targets[t] = target.settings;
    let database = await target.openDatabase();
    const eventfold = () => ({ ...library, account, database });
    try {
      const raw = await target.openRaw();
      try {
        /** @type {Record<number, import('./workloads.mjs').Shape>} */
        const lastShape = {};
        // Untimed, a little of everything first: the first run would otherwise also measure a cold JIT, cold
        // prepared statements and cold pools, on whichever store happened to go first.
        await eventfoldAwaited(eventfold(), 'warm-up', 50);
        await rawAwaited(raw, schema, 'warm-up', 50);
        for (const accounts of [1, sizes.accounts]) {
          const warm = await eventfoldBurst(eventfold(), `warm-up-${accounts}`, 1_000, accounts);
          await rawBurst(raw, schema, `warm-up-${accounts}`, accounts, warm.shape);
        }
        for (let run = 0; run < runs; run++) {
          log(`${t}: write workloads, run ${run + 1} of ${runs}`);
          // Eventfold first in even runs, the baseline first in odd ones; the baseline of P2 repeats the appends of
          // eventfold's latest run, so the first run starts with eventfold.
          const inTurn = async (/** @type {() => Promise<void>} */ ours, /** @type {() => Promise<void>} */ theirs) => {
            for (const step of run % 2 === 0 ? [ours, theirs] : [theirs, ours]) await step();
          };
          await inTurn(
            async () => add(`P1-${t}:eventfold`, await eventfoldAwaited(eventfold(), `p1-${run}`, sizes.awaited)),
            async () => add(`P1-${t}:raw`, await rawAwaited(raw, schema, `p1-${run}`, sizes.awaited)),
          );
          if (run === 0) await assertSameRows(database, raw, schema, 'p1-0');
          for (const accounts of [1, sizes.accounts]) {
            const id = `p2-${accounts}-${run}`;
            await inTurn(
              async () => {
                const { rate, shape } = await eventfoldBurst(eventfold(), id, sizes.burst, accounts);
                add(`P2-${accounts}-${t}:eventfold`, rate);
                lastShape[accounts] = shape;
                shapes[`P2-${accounts}-${t}`] = shapeText(shape);
              },
              async () => add(`P2-${accounts}-${t}:raw`, await rawBurst(raw, schema, id, accounts, /** @type {import('./workloads.mjs').Shape} */ (lastShape[accounts]))),
            );
          }
        }
      } finally {
        await raw.close();
      }

      log(`${t}: seeding a stream of ${sizes.replay.toLocaleString('en-US')} events`);
      const streamId = library.streamIdOf('account', 'long');
      const seeded = await database.journal('p3');
      await seedStream(seeded, streamId, sizes.replay);
      await seeded.close();
      const baseline = await target.replayBaseline(database);
      database = baseline.database;
      try {
        const journal = await database.journal('p3', { create: false });
        // One replay each before measuring: the first read after seeding (or opening) pays for cold caches.
        await eventfoldReplays(eventfold(), journal, streamId, sizes.replay, 1);
        await rawReplays(baseline.raw, schema, 'p3', streamId, sizes.replay, 1, pageSize);
        for (let run = 0; run < runs; run++) {
          log(`${t}: replays, run ${run + 1} of ${runs}`);
          const ours = async () => add(`P3-${t}:eventfold`, await eventfoldReplays(eventfold(), journal, streamId, sizes.replay, sizes.replays));
          const theirs = async () => add(`P3-${t}:raw`, await rawReplays(baseline.raw, schema, 'p3', streamId, sizes.replay, sizes.replays, pageSize));
          for (const step of run % 2 === 0 ? [ours, theirs] : [theirs, ours]) await step();
        }
        await journal.close();
      } finally {
        await baseline.raw.close();
      }
    } finally {
      await database.close();
      await target.remove();
    }

    const on = target.title;
    /** @param {string} key @param {Partial<import('../report.mjs').Row>} row @returns {import('../report.mjs').Row} */
    const row = (key, row) => /** @type {import('../report.mjs').Row} */ ({
      ...row,
      value: median(`${key}:eventfold`),
      baseline: median(`${key}:raw`),
      better: 'higher',
    });
    rows.push(
      row(`P1-${t}`, {
        label: t,
        id: 'P1',
        what: `${sizes.awaited.toLocaleString('en-US')} deposits, each awaited (${on})`,
        unit: 'cmd/s',
        baselineName: 'raw INSERT',
        goal: { kind: 'ratio', value: 0.8 },
      }),
      ...[1, sizes.accounts].map((accounts) =>
        row(`P2-${accounts}-${t}`, {
          label: `${t}, ${accounts} account${accounts === 1 ? '' : 's'}`,
          id: 'P2',
          what: `${k(sizes.burst)} deposits in flight, ${accounts} account${accounts === 1 ? '' : 's'} (${on})`,
          unit: 'cmd/s',
          baselineName: 'raw INSERTs',
          goal: { kind: 'ratio', value: 0.8 },
          note: `${t}, ${accounts} account${accounts === 1 ? '' : 's'}: eventfold's appends ${shapes[`P2-${accounts}-${t}`]}; the baseline ran the same transactions, one INSERT each`,
        }),
      ),
      row(`P3-${t}`, {
        label: `${t}, replay`,
        id: 'P3',
        what: `full replay (fold, no snapshot), ${k(sizes.replay)} events (${on})`,
        unit: 'events/s',
        baselineName: 'raw SELECT',
        goal: { kind: 'ratio', value: 0.7 },
      }),
    );
  }

  const conditions = {
    date: new Date().toISOString(),
    source: built,
    driver: `pg ${versionOf('pg')} for the server (eventfold and the baseline); @electric-sql/pglite ${versionOf('@electric-sql/pglite')} for PGlite`,
    targets,
    method:
      'P1 sends each deposit after the previous one is durable; its baseline commits one INSERT per transaction, a statement committed as it runs, as the journal\'s append is. P2 sends every deposit at once; a counting journal notes the appends the runtime makes of them, and its baseline runs the same transactions (the same streams and rows in each), one INSERT over arrays each. P3 recovers the stream from its first event (no snapshot) in pages of ' +
      `${pageSize.toLocaleString('en-US')}; its baseline SELECTs the same rows in the same pages, jsonb decoded by the driver, and folds nothing. ` +
      "Both stores write the same rows (event id, type, schema version, data and metadata as jsonb, timestamp, position) into the journal's own tables (made by its migration); the account takes a snapshot every 100 events (snapshotEvery(100)), which the baseline does not. " +
      'Eventfold and its baseline take turns, the first alternating from run to run.',
    runs,
    sizes,
    statistic: 'median of all samples',
    machine: machine(),
  };
  return { rows, samples, conditions };
}

/**
 * The section's conditions as lines of the results' Markdown.
 * @param {any} conditions what `serverSection` returned as `conditions`
 */
export function serverConditionLines(conditions) {
  const target = (/** @type {Record<string, string>} */ settings) =>
    `${settings.version}; fsync ${settings.fsync}, synchronous_commit ${settings.synchronous_commit}, wal_sync_method ${settings.wal_sync_method}, shared_buffers ${settings.shared_buffers}`;
  return [
    `- Server section (P1–P3): eventfold at ${conditions.source}; ${conditions.driver}.`,
    `- PGlite: ${target(conditions.targets.pglite)}; ${conditions.targets.pglite.durability}.`,
    `- Server: ${target(conditions.targets.server)}; ${conditions.targets.server.where}.`,
    `- Server method: ${conditions.method}`,
    `- Server section: ${conditions.runs} runs; ${conditions.statistic}. Machine: ${conditions.machine}. Date: ${conditions.date}.`,
  ];
}
