// node bench/server/anatomy.mjs [--awaited N] [--replay N]   (after `npm run build:lib`)
// Where the server rows' time goes: the statements eventfold and the baseline send per append and per replay, as
// the server logs them (log_min_duration_statement = 0 on a throwaway cluster, fsync on), with the server's time for
// each, next to the wall time the client saw. The wall time minus the server's is round trips and Node.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createDatabase, startPostgres } from '../../tools/postgres-server.mjs';
import { loadAccount } from './account.mjs';
import { rawPg } from './raw.mjs';
import { eventfoldAwaited, eventfoldBurst, eventfoldReplays, rawAwaited, rawBurst, rawReplays, seedStream } from './workloads.mjs';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const args = process.argv.slice(2);
const option = (/** @type {string} */ name, /** @type {number} */ fallback) => Number(args[args.indexOf(name) + 1]) || fallback;
const awaited = option('--awaited', 500);
const replayed = option('--replay', 50_000);
const schema = 'eventfold';

const library = await import(pathToFileURL(join(root, 'dist/index.js')).href);
const postgres = await import(pathToFileURL(join(root, 'dist/postgres/index.js')).href);
const account = await loadAccount();
// Parameters are not logged (a 1,000-event append would log megabytes).
const server = await startPostgres({ settings: { log_min_duration_statement: '0', log_parameter_max_length: '0', log_line_prefix: '' } });

/**
 * The statements the server logged while `work` ran: per kind (its first words), how many were executed (one round
 * trip each) and the server's milliseconds over parse, bind and execute.
 * @param {() => Promise<unknown>} work
 * @returns {Promise<{ wall: number, kinds: Map<string, { statements: number, ms: number }> }>}
 */
async function logged(work) {
  const from = readFileSync(server.logFile, 'utf8').length;
  const began = performance.now();
  await work();
  const wall = performance.now() - began;
  // The server writes its log as it goes; a pause lets the last lines land.
  await new Promise((resolve) => setTimeout(resolve, 200));
  /** @type {Map<string, { statements: number, ms: number }>} */
  const kinds = new Map();
  const pattern = /^LOG: {2}duration: ([0-9.]+) ms {2}(?:(parse|bind|execute) [^:]*|statement): *(.*)$/;
  for (const line of readFileSync(server.logFile, 'utf8').slice(from).split('\n')) {
    const match = pattern.exec(line);
    if (!match) continue;
    const [, ms, phase, text] = match;
    const kind = (text ?? '').trim().split(/\s+/).slice(0, 3).join(' ');
    const entry = kinds.get(kind) ?? { statements: 0, ms: 0 };
    if (phase === undefined || phase === 'execute') entry.statements++;
    entry.ms += Number(ms);
    kinds.set(kind, entry);
  }
  return { wall, kinds };
}

/**
 * What the server logged during the measured part of a workload (see `Observe` in workloads.mjs).
 * @param {(observe: import('./workloads.mjs').Observe) => Promise<unknown>} workload
 */
async function loggedPart(workload) {
  /** @type {Awaited<ReturnType<typeof logged>> | undefined} */
  let result;
  await workload(async (work) => {
    result = await logged(work);
  });
  return /** @type {Awaited<ReturnType<typeof logged>>} */ (result);
}

/**
 * @param {string} title
 * @param {number} per how many units (appends, replays) the work held
 * @param {Awaited<ReturnType<typeof logged>>} result
 */
function print(title, per, { wall, kinds }) {
  let statements = 0;
  let ms = 0;
  console.log(`${title}: ${(wall / per).toFixed(3)} ms each (wall)`);
  for (const [kind, entry] of kinds) {
    statements += entry.statements;
    ms += entry.ms;
    console.log(`    ${kind.padEnd(28)} ${(entry.statements / per).toFixed(2)} statements, ${(entry.ms / entry.statements).toFixed(3)} ms of server time each`);
  }
  console.log(`    ${'in all'.padEnd(28)} ${(statements / per).toFixed(2)} round trips, ${(ms / per).toFixed(3)} ms on the server, ${((wall - ms) / per).toFixed(3)} ms elsewhere (network, Node)`);
}

try {
  const eventfoldUrl = await createDatabase(server.url, 'anatomy');
  const rawUrl = await createDatabase(server.url, 'anatomy_raw');
  await (await postgres.openPostgresDatabase({ connectionString: rawUrl, schema })).close();
  const database = await postgres.openPostgresDatabase({ connectionString: eventfoldUrl, schema });
  const raw = await rawPg(rawUrl);
  const eventfold = { ...library, account, database };
  // Warm: prepared statements on every connection used, and a warm JIT.
  await eventfoldAwaited(eventfold, 'warm', 100);
  await rawAwaited(raw, schema, 'warm', 100);

  print(`P1 eventfold, ${awaited} deposits each awaited (one append each)`, awaited, await loggedPart((observe) => eventfoldAwaited(eventfold, 'p1', awaited, observe)));
  print('P1 baseline, one INSERT per transaction', awaited, await loggedPart((observe) => rawAwaited(raw, schema, 'p1', awaited, observe)));

  for (const accounts of [1, 100]) {
    /** @type {import('./workloads.mjs').Shape} */
    let shape = [];
    const burst = await loggedPart(async (observe) => (shape = (await eventfoldBurst(eventfold, `p2-${accounts}`, 10_000, accounts, observe)).shape));
    print(`P2 eventfold, 10,000 deposits in flight on ${accounts} accounts (per append; ${shape.length} appends)`, shape.length, burst);
    print('P2 baseline, the same transactions (per transaction)', shape.length, await loggedPart((observe) => rawBurst(raw, schema, `p2-${accounts}`, accounts, shape, observe)));
  }

  const streamId = library.streamIdOf('account', 'long');
  const journal = await database.journal('p3');
  await seedStream(journal, streamId, replayed);
  const pages = Math.floor(replayed / library.DEFAULT_PAGE_SIZE) + 1;
  print(`P3 eventfold, a replay of ${replayed.toLocaleString('en-US')} events (per page; ${pages} pages)`, pages, await logged(() => eventfoldReplays(eventfold, journal, streamId, replayed, 1)));
  const sameRows = await rawPg(eventfoldUrl);
  print('P3 baseline, the same pages (per page)', pages, await logged(() => rawReplays(sameRows, schema, 'p3', streamId, replayed, 1, library.DEFAULT_PAGE_SIZE)));
  await sameRows.close();
  await journal.close();
  await raw.close();
  await database.close();
} finally {
  await server.stop();
}
