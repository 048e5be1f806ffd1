// The load section of `npm run bench` (alone: `npm run bench -- --load`): simulated devices (device.mjs) over many
// journals push and pull for a fixed time against the sync server in a process of its own (server.mjs, the built
// library) on a throwaway PostgreSQL with fsync on, all on loopback. Bounded and self-stopping: the load ends at its
// deadline, requests still under way get a bounded drain, and the server process is killed at the end whatever
// happens (it also ends by itself when this process goes, or at the end of its own lifetime).
//
// Measured: pushes and pulls answered per second, their latencies, errors, the server's memory every second, and the
// PostgreSQL connections the server holds. Checked at the end: per journal, the events stored are exactly the
// confirmed outcomes (nothing lost, nothing doubled), and each device's last sequence number is the server's.
import { execFileSync, fork } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { createDatabase, startPostgres } from '../../tools/postgres-server.mjs';
import { percentile, slope } from '../report.mjs';
import { accountSource } from '../server/account.mjs';
import { machine, source } from '../server/index.mjs';
import { LoadDevice, LoadStats, loopbackClient, Retried } from './device.mjs';

/** The sizes of a full and of a quick run. */
export const loadSizes = {
  full: { devices: 1_000, journals: 100, seconds: 60, rampSeconds: 30 },
  quick: { devices: 100, journals: 10, seconds: 10, rampSeconds: 3 },
};

/** What every run shares. */
const settings = {
  /** Accounts per journal, opened before the load; each device's commands go to one of its journal's, at random. */
  accounts: 5,
  /** A device's pause after each push and pull, in ms, uniform in the range. */
  thinkMs: /** @type {const} */ ([100, 300]),
  /** The server's PostgreSQL pool (`openPostgresDatabase`'s default). */
  poolSize: 10,
  /** A request not answered by then is an error. */
  timeoutMs: 20_000,
  /** How long requests begun before the deadline may take to end, after it: past their timeout. */
  drainMs: 25_000,
  /** How often the PostgreSQL connections are counted. */
  sampleMs: 500,
};

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether `promise` settles within `ms`; the timer is cleared either way, so that none outlives the run.
 * @param {Promise<unknown>} promise
 * @param {number} ms
 * @returns {Promise<boolean>}
 */
function settlesWithin(promise, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, ms, false)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  return /** @type {Promise<boolean>} */ (Promise.race([settled, late])).finally(() => clearTimeout(timer));
}

/**
 * The seconds of CPU the PostgreSQL server has used so far (the postmaster and its backends, from /proc), or
 * `undefined` where there is no /proc.
 * @param {number | undefined} postmaster
 */
function postgresCpuSeconds(postmaster) {
  if (postmaster === undefined) return undefined;
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    let total = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      // The fields after the command's name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pid) !== postmaster && Number(fields[1]) !== postmaster) continue;
      total += (Number(fields[11]) + Number(fields[12])) / ticks;
    }
    return total;
  } catch {
    return undefined;
  }
}

/**
 * The server process: forked with an IPC channel, its messages collected.
 * @param {{ databaseUrl: string, secret: string, accountFile: string, lifetimeMs: number, poolSize: number }} options
 */
function startServer({ databaseUrl, secret, accountFile, lifetimeMs, poolSize }) {
  const file = fileURLToPath(new URL('./server.mjs', import.meta.url));
  const child = fork(file, [databaseUrl, secret, String(poolSize), accountFile, String(lifetimeMs)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  /** @type {{ at: number, rss: number, heapUsed: number, cpuMs: number, delayMs: { mean: number, p99: number, max: number } }[]} */
  const memory = [];
  /** @type {{ at: number, heapUsed: number }[]} */
  const majorCollections = [];
  /** @type {string[]} */
  const errors = [];
  /** @type {((message: any) => void)[]} */
  const waiting = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  child.on('message', (/** @type {any} */ message) => {
    if (message.type === 'memory') memory.push(message);
    else if (message.type === 'major-gc') majorCollections.push(message);
    else if (message.type === 'error') errors.push(message.message);
    for (const resolve of waiting.splice(0)) resolve(message);
  });
  /**
   * The next message of `type`, or a rejection after `ms` or when the process exits.
   * @param {string} type
   * @param {number} ms
   * @returns {Promise<any>}
   */
  const next = (type, ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the load server sent no ${type} in ${ms} ms`)), ms);
      void exited.then((how) => {
        clearTimeout(timer);
        reject(new Error(`the load server exited (${how}) before it sent ${type}`));
      });
      const wait = (/** @type {any} */ message) => {
        if (message.type !== type) return void waiting.push(wait);
        clearTimeout(timer);
        resolve(message);
      };
      waiting.push(wait);
    });
  return {
    child,
    memory,
    majorCollections,
    errors,
    listening: next('listening', 60_000),
    /** The server's memory after a full garbage collection. */
    async collected() {
      const reading = next('gc', 10_000);
      child.send({ type: 'gc' });
      return reading;
    },
    /** Asks the server to stop, and kills it if it has not within 10 s. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' });
      if (!(await settlesWithin(exited, 10_000))) child.kill('SIGKILL');
      await exited;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Opens the journal's accounts (one push of `open` commands from a device of the set-up), which creates the journal.
 * @param {import('./device.mjs').LoopbackClient} client
 * @param {string} journalId
 * @param {string} token
 * @param {readonly string[]} accounts
 * @param {(value: unknown, path: string) => unknown} encodeValue
 */
async function openAccounts(client, journalId, token, accounts, encodeValue) {
  const commands = accounts.map((id, i) => ({ seq: i + 1, commandId: `open-${journalId}-${id}`, type: 'account', id, command: encodeValue({ type: 'open', owner: `owner of ${id}` }, 'command') }));
  const answer = await client.send('POST', `/v1/journals/${encodeURIComponent(journalId)}/push`, token, { deviceId: 'setup', commands });
  const confirmed = answer.status === 200 ? JSON.parse(answer.text).outcomes.filter((/** @type {any} */ outcome) => outcome.status === 'confirmed').length : 0;
  if (confirmed !== accounts.length) throw new Error(`opening the accounts of ${journalId}: ${answer.status} ${answer.text.slice(0, 300)}`);
}

/**
 * Checks what PostgreSQL holds against what the devices were told: per journal, positions gapless from 1, one event
 * per account opened and per confirmed command the devices know of, none twice, none without its outcome; and each
 * device's last sequence number as the server has it.
 * @param {string} databaseUrl
 * @param {Map<string, LoadDevice[]>} byJournal
 * @param {number} accounts
 * @returns {Promise<{ problems: string[], events: number }>}
 */
async function verify(databaseUrl, byJournal, accounts) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  /** @type {string[]} */
  const problems = [];
  let total = 0;
  try {
    const journals = [...byJournal.keys()];
    const { rows: events } = await client.query(
      "SELECT journal_id, position::int AS position, type, metadata->>'causationId' AS command_id FROM eventfold.events WHERE journal_id = ANY($1::text[]) ORDER BY journal_id, position",
      [journals],
    );
    const { rows: heads } = await client.query('SELECT journal_id, head::int AS head FROM eventfold.journals WHERE journal_id = ANY($1::text[])', [journals]);
    const { rows: lastSeqs } = await client.query('SELECT journal_id, device_id, last_seq::int AS last_seq FROM eventfold.sync_devices WHERE journal_id = ANY($1::text[])', [journals]);
    const headOf = new Map(heads.map((row) => [row.journal_id, row.head]));
    const lastSeqOf = new Map(lastSeqs.map((row) => [`${row.journal_id} ${row.device_id}`, row.last_seq]));
    /** @type {Map<string, any[]>} */
    const eventsOf = new Map();
    for (const row of events) (eventsOf.get(row.journal_id) ?? eventsOf.set(row.journal_id, []).get(row.journal_id))?.push(row);
    total = events.length;
    for (const [journalId, devices] of byJournal) {
      const stored = eventsOf.get(journalId) ?? [];
      const gap = stored.findIndex((row, i) => row.position !== i + 1);
      if (gap >= 0) problems.push(`${journalId}: position ${stored[gap].position} at index ${gap}`);
      if (headOf.get(journalId) !== stored.length) problems.push(`${journalId}: head ${headOf.get(journalId)}, ${stored.length} events`);
      const opened = stored.filter((row) => row.type === 'opened').length;
      if (opened !== accounts) problems.push(`${journalId}: ${opened} accounts opened, not ${accounts}`);
      /** @type {Map<string, number>} */
      const eventsPerCommand = new Map();
      for (const row of stored) if (row.type !== 'opened') eventsPerCommand.set(row.command_id, (eventsPerCommand.get(row.command_id) ?? 0) + 1);
      const confirmed = new Set();
      for (const device of devices) {
        for (const outcome of device.outcomes.values()) if (outcome.status === 'confirmed') confirmed.add(outcome.commandId);
        const known = Math.max(0, ...device.outcomes.keys());
        const onServer = lastSeqOf.get(`${journalId} ${device.options.deviceId}`) ?? 0;
        if (onServer !== known) problems.push(`${journalId} ${device.options.deviceId}: last sequence number ${onServer} on the server, ${known} known to the device`);
      }
      for (const commandId of confirmed) if (!eventsPerCommand.has(commandId)) problems.push(`${journalId}: ${commandId} confirmed, no event stored (lost)`);
      for (const [commandId, count] of eventsPerCommand) {
        if (count > 1) problems.push(`${journalId}: ${count} events of ${commandId} (doubled)`);
        if (!confirmed.has(commandId)) problems.push(`${journalId}: an event of ${commandId}, whose command no device knows as confirmed`);
      }
    }
  } finally {
    await client.end();
  }
  return { problems, events: total };
}

/** @param {number} bytes */
const mb = (bytes) => bytes / 2 ** 20;
/** @param {number[]} values */
const mean = (values) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * Runs the load and returns its rows (L1–L7), samples (series by second) and conditions.
 * @param {{ root: string, quick: boolean, log: (message: string) => void, thinkMs?: readonly [number, number], poolSize?: number }} options  `thinkMs` and `poolSize` for experiments
 * @returns {Promise<{ rows: import('../report.mjs').Row[], samples: Record<string, number[]>, conditions: { load: Record<string, any> } }>}
 */
export async function loadSection({ root, quick, log, thinkMs = settings.thinkMs, poolSize = settings.poolSize }) {
  const sizes = quick ? loadSizes.quick : loadSizes.full;
  const seed = process.env.EVENTFOLD_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.EVENTFOLD_SEED);
  log(`load: ${sizes.devices} devices over ${sizes.journals} journals for ${sizes.seconds} s (seed ${seed}; EVENTFOLD_SEED=${seed} draws the same commands)`);
  log('building the library (npm run build:lib) for the load section');
  execFileSync('npm', ['run', '--silent', 'build:lib'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const { encodeValue, decodeValue } = await import(pathToFileURL(join(root, 'dist/kit/index.js')).href);
  const { journalTokens } = await import(pathToFileURL(join(root, 'dist/server/index.js')).href);

  const loadAverageBefore = loadavg();
  // Set-up, the load, the drain, the settling pulls, the checks: past this, everything is stopped, whatever it was doing.
  const budgetMs = 120_000 + (sizes.rampSeconds + sizes.seconds) * 1_000 + settings.drainMs;
  const folder = mkdtempSync(join(tmpdir(), 'eventfold-bench-load-'));
  const accountFile = join(folder, 'account.mjs');
  const postgres = await startPostgres({ fsync: true, log }).catch((error) => {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  });
  /** @type {ReturnType<typeof startServer> | undefined} */
  let server;
  const hardStop = new AbortController();
  // Ends the load's requests if they outlast the drain.
  const loadStop = new AbortController();
  hardStop.signal.addEventListener('abort', () => loadStop.abort(), { once: true });
  // Every request in flight listens for its stop.
  setMaxListeners(sizes.devices + 100, hardStop.signal);
  setMaxListeners(sizes.devices + 100, loadStop.signal);
  const retried = new Retried();
  const budget = setTimeout(() => {
    log(`load: the section ran past ${budgetMs} ms: stopping everything`);
    hardStop.abort();
    server?.kill();
  }, budgetMs);
  const sampler = new pg.Client({ connectionString: postgres.url });
  /** @type {import('./device.mjs').LoopbackClient[]} */
  const clients = [];
  /** @param {number} sockets @param {AbortSignal} stop */
  const newClient = (sockets, stop) => {
    const made = loopbackClient(url, { sockets, timeoutMs: settings.timeoutMs, stop, retried });
    clients.push(made);
    return made;
  };
  let url = '';
  try {
    writeFileSync(accountFile, await accountSource());
    const databaseName = 'eventfold_load';
    const databaseUrl = await createDatabase(postgres.url, databaseName);
    await sampler.connect();
    /** @type {Record<string, string>} */
    const pgSettings = { version: String((await sampler.query('SELECT version() AS v')).rows[0]?.v).split(',')[0] ?? '' };
    for (const name of ['fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'max_connections']) pgSettings[name] = String((await sampler.query(`SHOW ${name}`)).rows[0]?.[name]);

    const secret = 'the load bench signs its own tokens with this key';
    server = startServer({ databaseUrl, secret, accountFile, lifetimeMs: budgetMs, poolSize });
    const listening = await server.listening;
    url = listening.url;
    const { rateLimit } = listening;
    log(`load: the server listens on ${url} (pool of ${poolSize})`);
    const tokens = journalTokens({ secret });
    const runId = Date.now().toString(36);
    const accounts = Array.from({ length: settings.accounts }, (_, i) => `a${i}`);
    const setup = newClient(8, hardStop.signal);
    /** @type {Map<string, LoadDevice[]>} */
    const byJournal = new Map();
    /** @type {LoadDevice[]} */
    const devices = [];
    for (let j = 0; j < sizes.journals; j++) {
      const journalId = `load-${runId}-${j}`;
      const token = await tokens.issue(journalId);
      byJournal.set(journalId, []);
      await openAccounts(setup, journalId, token, accounts, encodeValue);
      for (let d = j; d < sizes.devices; d += sizes.journals) {
        const device = new LoadDevice({ client: newClient(1, loadStop.signal), journalId, token, deviceId: `device-${d}`, accounts, random: seededRandom(seed + d), thinkMs, encodeValue, decodeValue });
        byJournal.get(journalId)?.push(device);
        devices.push(device);
      }
    }
    const collectedBefore = await server.collected();

    // Connections of the server's database, counted while the load runs (the sampler's own is on another database).
    /** @type {number[]} */
    const connections = [];
    let sampling = true;
    const counting = (async () => {
      while (sampling) {
        const { rows } = await sampler.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [databaseName]);
        connections.push(rows[0]?.n ?? 0);
        await sleep(settings.sampleMs);
      }
    })();

    // The devices join over the ramp, a fleet's pace (a server busy serving accepts about one connection per turn of
    // its event loop: a thousand at once overflow its listen queue); the measured load begins once all are in.
    log(`load: ${sizes.devices} devices joining over ${sizes.rampSeconds} s, then pushing and pulling for ${sizes.seconds} s`);
    const rampMs = sizes.rampSeconds * 1_000;
    const stats = new LoadStats(performance.now() + rampMs);
    const loadEnds = stats.startedAt + sizes.seconds * 1_000;
    const running = Promise.all(devices.map((device) => device.run(loadEnds, stats, rampMs)));
    await sleep(rampMs);
    const lag = monitorEventLoopDelay({ resolution: 10 });
    // The histogram counts the resolution's own 10 ms in every reading.
    const late = (/** @type {number} */ ns) => Math.max(0, ns / 1e6 - 10);
    lag.enable();
    const driverCpuBefore = process.cpuUsage();
    const postgresCpuBefore = postgresCpuSeconds(postgres.pid());
    const loadStartedAt = Date.now();
    const drained = await settlesWithin(running, sizes.seconds * 1_000 + settings.drainMs);
    const drainMs = performance.now() - loadEnds;
    const loadEndedAt = loadStartedAt + sizes.seconds * 1_000;
    lag.disable();
    const driverCpu = process.cpuUsage(driverCpuBefore);
    const postgresCpuAfter = postgresCpuSeconds(postgres.pid());
    if (!drained) {
      log(`load: requests still under way ${settings.drainMs} ms after the deadline: aborted`);
      loadStop.abort();
      await running;
    }
    sampling = false;
    await counting;

    // Each device pulls what is left (outcomes of pushes whose answers it missed, the last events), for the checks.
    log('load: settling (each device pulls to the head), then checking PostgreSQL against the outcomes');
    const settleStats = new LoadStats(performance.now());
    for (const client of clients.splice(0)) client.close();
    // In turns of a hundred: the server takes a thousand new connections at once no better than at the start.
    for (let i = 0; i < devices.length; i += 100) {
      await Promise.all(
        devices.slice(i, i + 100).map((device) => {
          device.client = newClient(1, hardStop.signal);
          return device.pullToHead(Infinity, settleStats).catch((error) => settleStats.error('settling', String(error)));
        }),
      );
    }
    for (const client of clients.splice(0)) client.close();
    // What the server keeps once the devices are gone: their connections closed (a moment for it to see them close).
    await sleep(1_000);
    const collectedAfter = await server.collected();
    await server.stop();
    const serverErrors = [...server.errors];
    const { problems, events } = await verify(databaseUrl, byJournal, settings.accounts);

    // The figures.
    const seconds = sizes.seconds;
    // The first and last 10 s of a full run; of a quick run's 10 s, the first and last 3.
    const windowMs = Math.min(10, Math.floor(seconds / 3)) * 1_000;
    const during = server.memory.filter((sample) => sample.at >= loadStartedAt && sample.at <= loadEndedAt);
    const first = during.filter((sample) => sample.at < loadStartedAt + windowMs);
    const last = during.filter((sample) => sample.at >= loadEndedAt - windowMs);
    const minutes = during.map((sample) => (sample.at - loadStartedAt) / 60_000);
    const slopes = (/** @type {'rss' | 'heapUsed'} */ key) => {
      const half = during.findIndex((sample) => sample.at >= loadStartedAt + (seconds * 1_000) / 2);
      const values = during.map((sample) => mb(sample[key]));
      return { whole: slope(minutes, values), secondHalf: slope(minutes.slice(half), values.slice(half)) };
    };
    const delays = during.map((sample) => sample.delayMs);
    const collections = server.majorCollections.filter((sample) => sample.at >= loadStartedAt && sample.at <= loadEndedAt);
    const afterCollections = collections.length < 2
      ? `${collections.length} full collections during the load`
      : `just after each full collection (${collections.length} during the load) ${mb(/** @type {any} */ (collections[0]).heapUsed).toFixed(1)} MB first, ${mb(/** @type {any} */ (collections.at(-1)).heapUsed).toFixed(1)} MB last, slope ${slope(collections.map((sample) => (sample.at - loadStartedAt) / 60_000), collections.map((sample) => mb(sample.heapUsed))).toFixed(1)} MB/min`;
    const serverCpu = during.length > 1 ? ((/** @type {any} */ (during.at(-1)).cpuMs - /** @type {any} */ (during[0]).cpuMs) / (/** @type {any} */ (during.at(-1)).at - /** @type {any} */ (during[0]).at)) * 100 : Number.NaN;
    const postgresCpu = postgresCpuBefore !== undefined && postgresCpuAfter !== undefined ? ((postgresCpuAfter - postgresCpuBefore) / (seconds + drainMs / 1_000)) * 100 : Number.NaN;
    const errors = stats.errorCount + settleStats.errorCount + problems.length + serverErrors.length;
    const errorKinds = [...stats.errors, ...settleStats.errors].map(([kind, { count, examples }]) => `${count} ${kind} (e.g. ${examples[0]})`);
    if (serverErrors.length > 0) errorKinds.push(`${serverErrors.length} told to the server's onError (e.g. ${serverErrors[0]})`);
    if (problems.length > 0) errorKinds.push(`${problems.length} found by the checks (e.g. ${problems.slice(0, 3).join('; ')})`);
    for (const kind of errorKinds) log(`load: error: ${kind}`);
    const retriedNote = retried.count === 0
      ? 'no request met a connection the server had closed as idle'
      : `${retried.count} requests sent again on another connection, as a browser does, after the server had closed their reused connection as idle (idle ${retried.idleMs.map((/** @type {number} */ idle) => `${Math.round(idle)}`).slice(0, 10).join(', ')} ms before)`;
    log(`load: ${retriedNote}`);
    const verified = problems.length === 0
      ? `${events.toLocaleString('en-US')} events in ${sizes.journals} journals, each an account opened or a confirmed outcome, none lost, none doubled, positions gapless; every device's last sequence number the server's`
      : `${problems.length} problems`;
    log(`load: checked: ${verified}`);
    const ms = (/** @type {number} */ value) => `${value.toFixed(1)} ms`;
    // Answers within the load's seconds; those of the drain after it count in the latencies only.
    const within = (/** @type {number[]} */ perSecond) => perSecond.slice(0, seconds).reduce((sum, n) => sum + n, 0);
    const pct = (/** @type {number[]} */ values) => `p50 ${ms(percentile(values, 50))}, p95 ${ms(percentile(values, 95))}, p99 ${ms(percentile(values, 99))}, max ${ms(Math.max(...values))}`;
    const scale = `${sizes.devices.toLocaleString('en-US')} devices, ${sizes.journals} journals, ${seconds} s`;
    const memoryNote = (/** @type {'rss' | 'heapUsed'} */ key) => {
      const { whole, secondHalf } = slopes(key);
      return `first ${windowMs / 1_000} s of the load ${mb(mean(first.map((sample) => sample[key]))).toFixed(1)} MB, last ${windowMs / 1_000} s ${mb(mean(last.map((sample) => sample[key]))).toFixed(1)} MB; least-squares slope ${whole.toFixed(1)} MB/min over the load, ${secondHalf.toFixed(1)} MB/min over its second half (${during.length} samples, one a second); after a full GC ${mb(collectedBefore[key]).toFixed(1)} MB before the load, ${mb(collectedAfter[key]).toFixed(1)} MB once the devices had gone`;
    };
    /** @type {import('../report.mjs').Row[]} */
    const rows = [
      { id: 'L1', label: 'pushes/s', what: `pushes answered per second (${scale}; one command each)`, value: within(stats.pushesPerSecond) / seconds, unit: 'pushes/s', better: 'higher', note: `${stats.pushes.toLocaleString('en-US')} pushes answered (${within(stats.pushesPerSecond).toLocaleString('en-US')} within the ${seconds} s): ${stats.confirmed.toLocaleString('en-US')} confirmed, ${stats.rejected.toLocaleString('en-US')} rejected (insufficient funds); think time ${thinkMs[0]}–${thinkMs[1]} ms after each round (a push, then pulls to the head); measured once every device had joined (over ${sizes.rampSeconds} s, ${stats.warmUp.toLocaleString('en-US')} requests not counted); the last requests drained ${Math.round(drainMs)} ms after the deadline` },
      { id: 'L2', label: 'pulls/s', what: `pulls answered per second (${scale}; from each device's cursor to the head)`, value: within(stats.pullsPerSecond) / seconds, unit: 'pulls/s', better: 'higher', note: `${stats.pulls.toLocaleString('en-US')} pulls answered (${within(stats.pullsPerSecond).toLocaleString('en-US')} within the ${seconds} s) carried ${stats.eventsPulled.toLocaleString('en-US')} events (${(stats.eventsPulled / Math.max(1, stats.pulls)).toFixed(1)} a pull)` },
      ...[50, 95, 99].map((p) => ({ id: 'L3', label: `push p${p}`, what: `push latency under load, p${p} (request sent to answer read, at the device)`, value: percentile(stats.pushMs, p), unit: 'ms', better: /** @type {const} */ ('lower') })),
      ...[50, 95, 99].map((p) => ({ id: 'L4', label: `pull p${p}`, what: `pull latency under load, p${p}`, value: percentile(stats.pullMs, p), unit: 'ms', better: /** @type {const} */ ('lower') })),
      { id: 'L5', what: 'errors: failed or malformed answers, broken protocol promises, server failures, events lost or doubled (none injected)', value: errors, unit: 'errors', better: 'lower', goal: { kind: 'max', value: 0 }, note: `${errors === 0 ? `none; ${verified}` : errorKinds.join('; ')}; ${retriedNote}` },
      { id: 'L6', label: 'server RSS', what: `sync server's RSS, mean of the last ${windowMs / 1_000} s of the load`, value: mb(mean(last.map((sample) => sample.rss))), unit: 'MB', better: 'lower', note: `RSS: ${memoryNote('rss')}` },
      { id: 'L6', label: 'server heap', what: `sync server's heapUsed, mean of the last ${windowMs / 1_000} s of the load`, value: mb(mean(last.map((sample) => sample.heapUsed))), unit: 'MB', better: 'lower', note: `heapUsed: ${memoryNote('heapUsed')}; ${afterCollections}` },
      { id: 'L7', what: `PostgreSQL connections of the server's database, most seen (pool of ${poolSize})`, value: Math.max(...connections), unit: 'connections', better: 'lower', goal: { kind: 'max', value: poolSize }, note: `counted every ${settings.sampleMs} ms (${connections.length} counts, mean ${mean(connections).toFixed(1)}) in pg_stat_activity, client backends of the database` },
    ];
    const loadAverageAfter = loadavg();
    return {
      rows,
      samples: {
        'L1:perSecond': stats.pushesPerSecond.slice(0, seconds),
        'L2:perSecond': stats.pullsPerSecond.slice(0, seconds),
        'L6:rssMB': during.map((sample) => Math.round(mb(sample.rss) * 10) / 10),
        'L6:heapUsedMB': during.map((sample) => Math.round(mb(sample.heapUsed) * 10) / 10),
        'L6:heapAfterFullGcMB': collections.map((sample) => Math.round(mb(sample.heapUsed) * 10) / 10),
        L7: connections,
      },
      conditions: {
        load: {
          ...sizes,
          accountsPerJournal: settings.accounts,
          thinkMs,
          poolSize,
          rateLimit,
          http: `A node:http keep-alive agent of one connection per device; a request not answered in ${settings.timeoutMs / 1_000} s is an error`,
          latencies: { push: pct(stats.pushMs), pull: pct(stats.pullMs) },
          retried: retriedNote,
          postgres: pgSettings,
          cpu: {
            server: `${serverCpu.toFixed(0)}% of a core`,
            serverEventLoopDelay: `mean ${ms(mean(delays.map((d) => d.mean)))}, p99 of each second up to ${ms(Math.max(...delays.map((d) => d.p99)))}, max ${ms(Math.max(...delays.map((d) => d.max)))}`,
            postgres: `${postgresCpu.toFixed(0)}% of a core`,
            devices: `${(((driverCpu.user + driverCpu.system) / 1_000 / (seconds * 1_000 + drainMs)) * 100).toFixed(0)}% of a core`,
            devicesEventLoopDelay: `p50 ${ms(late(lag.percentile(50)))}, p99 ${ms(late(lag.percentile(99)))}, max ${ms(late(lag.max))}`,
          },
          loadAverage: { before: loadAverageBefore.map((value) => Number(value.toFixed(2))), after: loadAverageAfter.map((value) => Number(value.toFixed(2))) },
          seed,
          verified,
          source: source(),
          machine: machine(),
          date: new Date().toISOString(),
        },
      },
    };
  } finally {
    clearTimeout(budget);
    for (const client of clients) client.close();
    server?.kill();
    await sampler.end().catch(() => {});
    await postgres.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Numbers in [0, 1) from a seed (mulberry32), as lib/test-support/seeded-random.ts draws them.
 * @param {number} seed
 * @returns {() => number}
 */
function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The load section's conditions as lines of the results' Markdown.
 * @param {Record<string, any>} load
 */
export function loadConditionLines(load) {
  const { postgres, cpu, loadAverage } = load;
  return [
    `- Load section (L1–L7): ${load.devices} simulated devices (Node, the sync protocol over HTTP on loopback) over ${load.journals} journals of ${load.accountsPerJournal} accounts, measured for ${load.seconds} s once all had joined (at random over ${load.rampSeconds} s before); each pushes one deposit or withdrawal to an account of its journal, pulls from its cursor to the head, and thinks ${load.thinkMs[0]}–${load.thinkMs[1]} ms, over again; seed ${load.seed}. ${load.http}.`,
    `- Load server: the sync server (eventfold at ${load.source}, built) in a Node process of its own, PostgreSQL pool of ${load.poolSize}, rate limit raised to ${load.rateLimit.requests.toLocaleString('en-US')} requests per ${load.rateLimit.perMs} ms per journal (the default, 200 a second, would throttle ten devices of a journal); ${postgres.version}, fsync ${postgres.fsync}, synchronous_commit ${postgres.synchronous_commit}, wal_sync_method ${postgres.wal_sync_method}, shared_buffers ${postgres.shared_buffers}, a throwaway cluster on 127.0.0.1.`,
    `- Load latencies: push ${load.latencies.push}; pull ${load.latencies.pull}. CPU during the load: server ${cpu.server} (its event loop's delay ${cpu.serverEventLoopDelay}), PostgreSQL ${cpu.postgres}, devices ${cpu.devices} (their event loop's delay ${cpu.devicesEventLoopDelay}); all on the same machine.`,
    `- Load checked: ${load.verified}.`,
    `- Load section machine: ${load.machine}; load average ${loadAverage.before.join(' / ')} before, ${loadAverage.after.join(' / ')} after. Date: ${load.date}.`,
  ];
}
