// Throwaway PostgreSQL servers for tests and the benchmark: Debian's binaries (installed when we can), a cluster in a
// fresh temporary folder, listening on a free loopback port only, gone again when stopped or when this process dies.
//
// Plain JavaScript so that `node bench/run.mjs` can use it as the test set-up does, without a TypeScript step.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import postgres from 'postgres';

/** Where Debian's packages put each major version's server binaries: `/usr/lib/postgresql/<version>/bin`. */
const debianRoot = '/usr/lib/postgresql';
/** The superuser of every cluster started here; `trust` authentication, as nothing but loopback can reach it. */
export const superuser = 'eventfold';
/** The system user that runs the server when we are root: PostgreSQL refuses to run as root. */
const serverUser = 'postgres';

/**
 * What went wrong in setting up a server, by a stable `code`:
 * `postgres-missing` (no binaries, none installable), `postgres-start-failed` (the message ends with the log's tail),
 * `postgres-command-failed` (initdb or pg_ctl failed otherwise).
 */
export class PostgresServerError extends Error {
  /** @override */
  name = 'PostgresServerError';

  /**
   * @param {'postgres-missing' | 'postgres-start-failed' | 'postgres-command-failed'} code
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    /** What went wrong, to branch on. */
    this.code = code;
  }
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * The directory of the newest PostgreSQL server binaries (`initdb`, `pg_ctl`, `postgres`): `POSTGRES_BIN` when set,
 * else Debian's newest `/usr/lib/postgresql/<version>/bin`, else the directory of an `initdb` on `PATH`.
 * @returns {string | undefined}
 */
export function postgresBinaries() {
  const fromEnv = process.env.POSTGRES_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const versions = existsSync(debianRoot)
    ? readdirSync(debianRoot).filter((version) => existsSync(join(debianRoot, version, 'bin', 'initdb')))
    : [];
  // Newest first by number, as `sort -V` orders them: 9.6 < 15 < 16.
  const byNumber = (/** @type {string} */ v) => v.split('.').map(Number);
  versions.sort((a, b) => {
    const [x, y] = [byNumber(a), byNumber(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  });
  const newest = versions.at(-1);
  if (newest) return join(debianRoot, newest, 'bin');
  return (process.env.PATH ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, 'initdb')));
}

function canInstallDebianPackage() {
  return isRoot() && existsSync('/usr/bin/apt-get');
}

/**
 * The server binaries' directory, installing Debian's `postgresql` package first when there are none and we can
 * (root with apt-get). Throws a `postgres-missing` error that says what to do when we cannot.
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {string}
 */
export function ensurePostgresBinaries({ log = () => {} } = {}) {
  let bin = postgresBinaries();
  if (!bin && !process.env.POSTGRES_BIN && canInstallDebianPackage()) {
    log("No PostgreSQL server found: installing Debian's postgresql package (about 30 s)…");
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    bin = postgresBinaries();
  }
  if (!bin) {
    throw new PostgresServerError(
      'postgres-missing',
      [
        process.env.POSTGRES_BIN
          ? `POSTGRES_BIN is set to ${process.env.POSTGRES_BIN}, but there is no initdb in it.`
          : 'No PostgreSQL server found for the server tests.',
        'Do one of these, then run the tests again:',
        '  - on Debian or Ubuntu: sudo apt-get install -y postgresql',
        '  - point POSTGRES_BIN at the directory holding initdb and pg_ctl (`pg_config --bindir`)',
        '  - set DATABASE_URL to a server of your own, where the tests may create and drop databases',
      ].join('\n'),
    );
  }
  return bin;
}

/**
 * A TCP port that was free on 127.0.0.1 a moment ago. Another process may take it before the server binds it:
 * `startPostgres` retries with another port when that happens.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A running throwaway server. `url` stays the same across `restart()`, so that clients reconnect to it.
 * @typedef {object} PostgresServer
 * @property {string} url `postgres://eventfold@127.0.0.1:<port>/postgres`, the superuser on the `postgres` database.
 * @property {number} port
 * @property {string} dir The temporary folder holding the cluster (`data/`), its socket and its log.
 * @property {string} logFile The server's log.
 * @property {() => number | undefined} pid The postmaster's process id, while it runs.
 * @property {() => string} logTail The last lines of the server's log.
 * @property {() => Promise<void>} stop Stops the server and removes its folder. Idempotent.
 * @property {() => Promise<void>} crash Kills the server as a power cut would (`pg_ctl -m immediate`), keeping its data.
 * @property {() => Promise<void>} restart Stops the server if it runs (fast shutdown), then starts it on the same port:
 *   after `crash()`, this is crash recovery.
 */

/** Servers of this process still running or holding a folder: stopped synchronously when the process exits. */
/** @type {Set<{ dir: string, dataDir: string, bin: string, watchdog: import('node:child_process').ChildProcess }>} */
const live = new Set();

let exitHandlerInstalled = false;
function installExitHandler() {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  // A test run that ends without stopping its servers (a failure, `process.exit`) stops them here. A process killed
  // outright (SIGKILL, or a signal nobody handles) never runs this: each server's watchdog covers that case.
  process.on('exit', () => {
    for (const server of live) {
      try {
        execFileSync(...asServerUser(join(server.bin, 'pg_ctl'), ['-D', server.dataDir, '-m', 'immediate', '-w', 'stop']), {
          stdio: 'ignore',
        });
      } catch {
        // Not running.
      }
      rmSync(server.dir, { recursive: true, force: true });
      server.watchdog.kill();
    }
    live.clear();
  });
}

/**
 * The user or group id of a system user, or a `postgres-missing` error when there is no such user.
 * @param {string} user
 * @param {'-u' | '-g'} which
 */
function idOf(user, which) {
  try {
    return Number(execFileSync('id', [which, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch (cause) {
    throw new PostgresServerError(
      'postgres-missing',
      `PostgreSQL refuses to run as root, and there is no ${user} user to run it as: create one ` +
        `(useradd --system ${user}), run the tests as another user, or set DATABASE_URL.`,
      { cause },
    );
  }
}

/**
 * The command and arguments that run `command` as the user that owns the clusters: `runuser -u postgres --` when we
 * are root, ourselves otherwise.
 * @param {string} command
 * @param {string[]} args
 * @returns {[string, string[]]}
 */
function asServerUser(command, args) {
  return isRoot() ? ['runuser', ['-u', serverUser, '--', command, ...args]] : [command, args];
}

/**
 * Runs a command as the server's user and resolves with its output, or rejects with a `postgres-command-failed`
 * error carrying that output.
 * @param {string} dir The working directory, one the server's user can enter.
 * @param {string} command
 * @param {string[]} args
 * @returns {Promise<string>}
 */
function run(dir, command, args) {
  const [file, argv] = asServerUser(command, args);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const failed = (/** @type {string} */ message, /** @type {unknown} */ cause) =>
      reject(new PostgresServerError('postgres-command-failed', message, { cause }));
    child.once('error', (error) => failed(`${command}: ${error.message}`, error));
    child.once('close', (status) => {
      if (status === 0) resolve(output);
      else failed(`${command} ${args.join(' ')} exited with ${status}:\n${output.trim()}`, undefined);
    });
  });
}

/**
 * The last `lines` lines of a file, or '' when there is none.
 * @param {string} file
 * @param {number} [lines]
 */
function tail(file, lines = 30) {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Starts a child that outlives us only long enough to stop the server and remove its folder when this process dies
 * without doing so itself (SIGKILL, an unhandled signal): it waits for the end of a pipe from us, which the kernel
 * closes whichever way we die. Detached, so that a Ctrl-C sent to our process group does not end it first.
 * @param {string} bin
 * @param {string} dataDir
 * @param {string} dir
 */
function startWatchdog(bin, dataDir, dir) {
  const script = `
    const { execFileSync } = require('node:child_process');
    const { rmSync } = require('node:fs');
    const [pgCtl, dataDir, dir, runAs] = process.argv.slice(1);
    const [file, args] = runAs ? ['runuser', ['-u', runAs, '--', pgCtl]] : [pgCtl, []];
    process.on('SIGTERM', () => process.exit(0));
    process.stdin.on('data', () => {});
    process.stdin.on('end', () => {
      const stop = [...args, '-D', dataDir, '-m', 'immediate', '-w', 'stop'];
      try { execFileSync(file, stop, { stdio: 'ignore', cwd: dir }); } catch {}
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });`;
  const watchdog = spawn(process.execPath, ['-e', script, join(bin, 'pg_ctl'), dataDir, dir, isRoot() ? serverUser : ''], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  // The pipe must not keep this process alive either; it closes when we exit.
  /** @type {import('node:net').Socket} */ (/** @type {unknown} */ (watchdog.stdin)).unref();
  return watchdog;
}

/**
 * Makes a cluster in `dataDir` (inside `dir`) whose superuser is `eventfold`, listening on loopback only with its
 * Unix socket in `dir`.
 * @param {string} bin
 * @param {string} dir
 * @param {string} dataDir
 * @param {Record<string, string>} settings
 */
async function createCluster(bin, dir, dataDir, settings) {
  if (isRoot()) chownSync(dir, idOf(serverUser, '-u'), idOf(serverUser, '-g'));
  chmodSync(dir, 0o700);
  // UTF8 whatever the machine's locale (a container's is often C, which would make SQL_ASCII databases); the C
  // collation sorts by bytes, the same everywhere. `--no-sync`: a throwaway cluster needs no flush of its files.
  const options = ['--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'];
  await run(dir, join(bin, 'initdb'), ['-D', dataDir, '-U', superuser, ...options]);
  // In the configuration file rather than on the command line: pg_ctl passes `-o` through a shell, and a restart
  // reads the file again. Values are quoted as the file's syntax wants ('' for a quote); ours come last and win.
  const quoted = (/** @type {string} */ value) => `'${value.replaceAll("'", "''")}'`;
  const lines = Object.entries({ ...settings, listen_addresses: '127.0.0.1', unix_socket_directories: dir })
    .map(([name, value]) => `${name} = ${quoted(value)}`);
  const conf = join(dataDir, 'postgresql.conf');
  writeFileSync(conf, `${readFileSync(conf, 'utf8')}\n${lines.join('\n')}\n`);
}

/**
 * A fresh temporary folder for a cluster (`data/`, `postgres.log`), watched so that its server stops and the folder
 * goes when this process dies; `removeFolder` removes it.
 * @param {string} bin
 * @param {string} prefix
 */
function clusterFolder(bin, prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const entry = { dir, dataDir, bin, watchdog: startWatchdog(bin, dataDir, dir) };
  live.add(entry);
  installExitHandler();
  const removeFolder = () => {
    live.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    entry.watchdog.kill();
  };
  return { dir, dataDir, logFile, removeFolder };
}

/**
 * Creates a throwaway cluster in a fresh temporary folder and starts it on a free loopback port. The folder is owned by
 * the `postgres` user when we are root (PostgreSQL refuses root), by us otherwise. The server listens on 127.0.0.1
 * only, with its Unix socket inside the folder, so that runs at once never share a port, a socket or a lock file.
 * The server is stopped and its folder removed by `stop()`, or else when this process exits or dies.
 *
 * Options: `log` hears what takes time (an install, the start); `fsync` stays on unless `false` (for tests that
 * measure nothing and need the speed: single-row commits take about half as long here), since the benchmark measures
 * durable commits; `settings` adds server settings (`{ max_connections: '20' }`); `port` is tried first, and another
 * free port is taken when it is in use.
 * @param {{ log?: (line: string) => void, fsync?: boolean, settings?: Record<string, string>, port?: number }} [options]
 * @returns {Promise<PostgresServer>}
 */
export async function startPostgres({ log = () => {}, fsync = true, settings = {}, port: firstPort } = {}) {
  for (const name of Object.keys(settings)) {
    if (!/^[a-z_][a-z0-9_.]*$/i.test(name)) throw new TypeError(`not a server setting's name: ${JSON.stringify(name)}`);
  }
  const began = performance.now();
  const bin = ensurePostgresBinaries({ log });
  const { dir, dataDir, logFile, removeFolder } = clusterFolder(bin, 'eventfold-postgres-');

  const pgCtl = (/** @type {string[]} */ args) => run(dir, join(bin, 'pg_ctl'), ['-D', dataDir, ...args]);
  const start = (/** @type {number} */ port) => pgCtl(['-o', `-p ${port}`, '-l', logFile, '-w', '-t', '60', 'start']);
  const halt = (/** @type {'fast' | 'immediate'} */ mode) => pgCtl(['-m', mode, '-w', 'stop']);
  const logged = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const startFailed = (/** @type {unknown} */ cause) =>
    new PostgresServerError('postgres-start-failed', `PostgreSQL did not start (log: ${logFile}):\n${tail(logFile)}`, {
      cause,
    });
  const pid = () => {
    const pidFile = join(dataDir, 'postmaster.pid');
    const value = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };

  let port = firstPort ?? (await freePort());
  try {
    await createCluster(bin, dir, dataDir, { ...settings, fsync: fsync ? 'on' : 'off' });
    for (let attempt = 1; ; attempt++) {
      const before = logged().length;
      try {
        await start(port);
        break;
      } catch (error) {
        // Another process took the port between `freePort()` and the server's bind: take another.
        if (attempt < 5 && logged().slice(before).includes('Address already in use')) {
          port = await freePort();
          continue;
        }
        throw startFailed(error);
      }
    }
  } catch (error) {
    // pg_ctl gives up waiting after its timeout but leaves a slow postmaster running: stop it before removing its files.
    if (pid() !== undefined) await halt('immediate').catch(() => {});
    removeFolder();
    throw error;
  }

  const version = bin.split('/').at(-2) ?? '';
  log(`PostgreSQL ${version} on 127.0.0.1:${port} in ${dir}, started in ${Math.round(performance.now() - began)} ms`);
  let removed = false;
  // One pg_ctl at a time, in the order asked: a `restart()` asked while a `crash()` runs (a client that sees its
  // connection drop before pg_ctl returns) waits for it rather than racing it.
  let queue = Promise.resolve();
  const serially = (/** @type {() => Promise<void>} */ step) => {
    const done = queue.then(step);
    queue = done.catch(() => {});
    return done;
  };
  return {
    url: `postgres://${superuser}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    logFile,
    pid,
    logTail: () => tail(logFile),
    stop: () =>
      serially(async () => {
        if (removed) return;
        removed = true;
        // Immediate: the files are removed next, so the checkpoint of a fast shutdown would be wasted.
        if (pid() !== undefined) await halt('immediate');
        removeFolder();
      }),
    crash: () => serially(() => halt('immediate').then(() => {})),
    restart: () =>
      serially(async () => {
        if (pid() !== undefined) await halt('fast');
        await start(port).catch((error) => {
          throw startFailed(error);
        });
      }),
  };
}

/**
 * The URL of the database `name` on the server of `url` (same user, host and options).
 * @param {string} url
 * @param {string} name
 */
export function databaseUrl(url, name) {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(name)}`;
  return parsed.toString();
}

let databases = 0;
/**
 * A database name no other test file or run will take: `prefix` (letters, digits and `_` kept), this process, a
 * counter, and random letters for the runs of other machines on one shared `DATABASE_URL`.
 * @param {string} [prefix]
 */
export function uniqueDatabaseName(prefix = 'eventfold_test') {
  const kept = prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 32);
  return `${kept}_${process.pid}_${++databases}_${randomBytes(4).toString('hex')}`;
}

/**
 * Creates the database `name` (any text: it is quoted as an identifier, never spliced into SQL) on the server of
 * `url`, and returns its URL.
 * @param {string} url
 * @param {string} name
 * @returns {Promise<string>}
 */
export async function createDatabase(url, name) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE DATABASE ${sql(name)}`;
  } finally {
    await sql.end();
  }
  return databaseUrl(url, name);
}

/**
 * Drops the database `name` on the server of `url`, closing its connections first (`WITH (FORCE)`, PostgreSQL 13
 * and later). Nothing happens when there is no such database.
 * @param {string} url
 * @param {string} name
 * @returns {Promise<void>}
 */
export async function dropDatabase(url, name) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`DROP DATABASE IF EXISTS ${sql(name)} WITH (FORCE)`;
  } finally {
    await sql.end();
  }
}

/**
 * A database of its own for one test file, on the server of `url` (`inject('postgresUrl')`): created now, with a
 * unique name from `prefix`, and dropped by `drop()` (`afterAll(() => database.drop())`).
 * @param {string} url
 * @param {string} [prefix]
 * @returns {Promise<{ name: string, url: string, drop: () => Promise<void> }>}
 */
export async function freshDatabase(url, prefix) {
  const name = uniqueDatabaseName(prefix);
  return { name, url: await createDatabase(url, name), drop: () => dropDatabase(url, name) };
}

/**
 * A streaming replica of a running throwaway server (PostgreSQL's physical replication), for tests: a base backup
 * of `primary` taken with `pg_basebackup -R -X stream` (as the server's user when we are root), started on a free
 * loopback port as a hot standby that follows the primary. Read-only; `pg_wal_replay_pause()` on it holds its replay
 * where it is. The primary must allow replication connections from loopback, as the clusters of `startPostgres` do
 * (`trust`, `wal_level=replica`: the defaults). Stopped and removed by `stop()`, or when this process exits or dies.
 * @param {Pick<PostgresServer, 'url'>} primary
 * @param {{ log?: (line: string) => void }} [options]
 * @returns {Promise<Pick<PostgresServer, 'url' | 'port' | 'dir' | 'logFile' | 'pid' | 'logTail' | 'stop'>>}
 */
export async function startReplica(primary, { log = () => {} } = {}) {
  const began = performance.now();
  const bin = ensurePostgresBinaries({ log });
  const { dir, dataDir, logFile, removeFolder } = clusterFolder(bin, 'eventfold-replica-');
  const pid = () => {
    const pidFile = join(dataDir, 'postmaster.pid');
    const value = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const pgCtl = (/** @type {string[]} */ args) => run(dir, join(bin, 'pg_ctl'), ['-D', dataDir, ...args]);
  let port = await freePort();
  try {
    if (isRoot()) chownSync(dir, idOf(serverUser, '-u'), idOf(serverUser, '-g'));
    chmodSync(dir, 0o700);
    // `-c fast`: the backup starts at once instead of waiting for the primary's next checkpoint.
    await run(dir, join(bin, 'pg_basebackup'), ['-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '-d', primary.url]);
    // The primary's configuration came with the backup: the replica's socket goes in its own folder (the last line wins).
    const conf = join(dataDir, 'postgresql.conf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\nunix_socket_directories = '${dir.replaceAll("'", "''")}'\nhot_standby = 'on'\n`);
    for (let attempt = 1; ; attempt++) {
      const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
      try {
        await pgCtl(['-o', `-p ${port}`, '-l', logFile, '-w', '-t', '60', 'start']);
        break;
      } catch (error) {
        if (attempt < 5 && existsSync(logFile) && readFileSync(logFile, 'utf8').slice(before).includes('Address already in use')) {
          port = await freePort();
          continue;
        }
        throw new PostgresServerError('postgres-start-failed', `the replica did not start (log: ${logFile}):\n${tail(logFile)}`, { cause: error });
      }
    }
  } catch (error) {
    if (pid() !== undefined) await pgCtl(['-m', 'immediate', '-w', 'stop']).catch(() => {});
    removeFolder();
    throw error;
  }
  log(`PostgreSQL replica on 127.0.0.1:${port} in ${dir}, started in ${Math.round(performance.now() - began)} ms`);
  let stopping;
  return {
    url: `postgres://${superuser}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    logFile,
    pid,
    logTail: () => tail(logFile),
    stop: () =>
      (stopping ??= (async () => {
        if (pid() !== undefined) await pgCtl(['-m', 'immediate', '-w', 'stop']);
        removeFolder();
      })()),
  };
}
