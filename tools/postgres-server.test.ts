import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import postgres from 'postgres';
import { afterAll, afterEach, describe, expect, it, onTestFinished } from 'vitest';
import setup from '../lib/test-support/postgres-global-setup.ts';
import {
  createDatabase,
  dropDatabase,
  freshDatabase,
  type PostgresServer,
  startPostgres,
  uniqueDatabaseName,
} from './postgres-server.mjs';

const serverModule = fileURLToPath(new URL('./postgres-server.mjs', import.meta.url));

/** Whether a process runs: `ps` knows it and it is not a zombie waiting for its parent (often init) to reap it. */
function running(pid: number): boolean {
  try {
    return !execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim().startsWith('Z');
  } catch {
    return false;
  }
}

/** Resolves once `condition` holds: for what another process does in its own time (a watchdog's cleanup). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Runs `body` in a Node process of its own, which prints one line of JSON; resolves with it and the process. */
function inChild(body: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `import * as pg from ${JSON.stringify(serverModule)};\n${body}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = new Promise<{ dir: string; pid: number; url: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] ?? ''));
    });
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before printing`)));
  });
  return { child, exited, line };
}

describe('a throwaway PostgreSQL server', () => {
  const servers: PostgresServer[] = [];
  const clients: postgres.Sql[] = [];
  const start = async (options?: Parameters<typeof startPostgres>[0]) => {
    const server = await startPostgres(options);
    servers.push(server);
    return server;
  };
  const connect = (url: string, options?: postgres.Options<{}>) => {
    const sql = postgres(url, { max: 1, onnotice: () => {}, ...options });
    clients.push(sql);
    return sql;
  };
  // One server for the tests that only query it: a start is most of a test's time.
  let sharedServer: Promise<PostgresServer> | undefined;
  const shared = () => (sharedServer ??= startPostgres());
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((sql) => sql.end({ timeout: 1 })));
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  afterAll(async () => (await sharedServer)?.stop());

  it('starts on loopback only, durable, in UTF-8, and answers a query', async () => {
    const server = await shared();
    expect(server.url).toBe(`postgres://eventfold@127.0.0.1:${server.port}/postgres`);
    const sql = connect(server.url);
    const [row] = await sql`
      SELECT current_setting('listen_addresses') AS listen, current_setting('fsync') AS fsync,
             host(inet_server_addr()) AS address, pg_encoding_to_char(encoding) AS encoding, 1 + 1 AS two
      FROM pg_database WHERE datname = current_database()`;
    expect(row).toEqual({ listen: '127.0.0.1', fsync: 'on', address: '127.0.0.1', encoding: 'UTF8', two: 2 });
  });

  it('turns fsync off and takes other settings when asked', async () => {
    const server = await start({ fsync: false, settings: { max_connections: '20', cluster_name: "it's" } });
    const [row] = await connect(server.url)`
      SELECT current_setting('fsync') AS fsync, current_setting('max_connections') AS max,
             current_setting('cluster_name') AS name`;
    expect(row).toEqual({ fsync: 'off', max: '20', name: "it's" });
  });

  it('keeps committed data across restart(), on the same URL', async () => {
    const server = await start();
    const before = connect(server.url);
    await before`CREATE TABLE kept (n int)`;
    await before`INSERT INTO kept VALUES (1), (2)`;
    const pid = server.pid();
    await server.restart();
    expect(server.pid()).not.toBe(pid);
    const rows = await connect(server.url)`SELECT n FROM kept ORDER BY n`;
    expect(rows.map(({ n }) => n)).toEqual([1, 2]);
  });

  it('recovers after crash() mid-transaction: committed rows stay, the open transaction is gone', async () => {
    const server = await start();
    // `pg` here: `postgres` 3.4.9 throws an uncaught TypeError when a reserved connection or a transaction is used
    // after its server went away (porsager/postgres#1208), where `pg` rejects the query.
    const client = new pg.Client({ connectionString: server.url });
    // The lost connection is reported here or to the next query, whichever comes first.
    client.on('error', () => {});
    await client.connect();
    await client.query('CREATE TABLE ledger (n int)');
    await client.query('INSERT INTO ledger VALUES (1)');
    await client.query('BEGIN');
    await client.query('INSERT INTO ledger VALUES (2)');
    const pid = server.pid() ?? 0;
    await server.crash();
    expect(running(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(true);
    await expect(client.query('COMMIT')).rejects.toThrow();
    await client.end();
    await server.restart();
    const rows = await connect(server.url)`SELECT n FROM ledger ORDER BY n`;
    expect(rows.map(({ n }) => n)).toEqual([1]);
    expect(server.logTail()).toMatch(/database system was interrupted|automatic recovery|redo/);
  });

  it('leaves neither a process nor its folder after stop()', async () => {
    const server = await start();
    const pid = server.pid() ?? 0;
    expect(running(pid)).toBe(true);
    await server.stop();
    expect(running(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    await server.stop();
  });

  it('runs two servers at once in their own folders, on their own ports', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    expect(a.dir).not.toBe(b.dir);
    expect(a.port).not.toBe(b.port);
    const [[x], [y]] = await Promise.all([connect(a.url)`SELECT inet_server_port() AS port`, connect(b.url)`SELECT inet_server_port() AS port`]);
    expect([x?.port, y?.port]).toEqual([a.port, b.port]);
  });

  it('takes another port when the one it tried is in use', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const server = await start({ port });
      expect(server.port).not.toBe(port);
      expect(server.logTail()).toContain('Address already in use');
      const [row] = await connect(server.url)`SELECT inet_server_port() AS port`;
      expect(row?.port).toBe(server.port);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('throws with the log tail when the server cannot start, and removes its folder', async () => {
    const failure = startPostgres({ settings: { no_such_setting: 'on' } });
    await expect(failure).rejects.toMatchObject({
      code: 'postgres-start-failed',
      message: expect.stringContaining('unrecognized configuration parameter "no_such_setting"'),
    });
    const dir = /\(log: (.*)\/postgres\.log\)/.exec(String(await failure.catch((error: Error) => error.message)))?.[1];
    expect(dir && existsSync(dir)).toBe(false);
  });

  it('creates and drops a database whose name needs quoting, and nothing else', async () => {
    const server = await shared();
    const name = `a "quoted" name's; DROP DATABASE postgres; --`;
    const url = await createDatabase(server.url, name);
    expect(url).toBe(`${server.url.replace(/postgres$/, '')}${encodeURIComponent(name)}`);
    // `postgres` 3.4.9 takes a URL's database name without decoding it: pass such a name as an option.
    const [row] = await connect(server.url, { database: name })`SELECT current_database() AS name`;
    expect(row?.name).toBe(name);
    const plainName = uniqueDatabaseName('plain');
    const [other] = await connect(await createDatabase(server.url, plainName))`SELECT current_database() AS name`;
    expect(other?.name).toBe(plainName);
    await Promise.all(clients.splice(0).map((sql) => sql.end()));
    await dropDatabase(server.url, plainName);
    const sql = connect(server.url);
    const names = async () => (await sql`SELECT datname FROM pg_database ORDER BY datname`).map(({ datname }) => datname);
    expect(await names()).toEqual([name, 'postgres', 'template0', 'template1']);
    await dropDatabase(server.url, name);
    expect(await names()).toEqual(['postgres', 'template0', 'template1']);
    expect(uniqueDatabaseName('file-a')).toMatch(/^file_a_\d+_\d+_[0-9a-f]{8}$/);
    expect(uniqueDatabaseName()).not.toBe(uniqueDatabaseName());
  });

  it('gives each test file a fresh database of its own, which it drops', async () => {
    const server = await shared();
    const [a, b] = await Promise.all([freshDatabase(server.url, 'file_a'), freshDatabase(server.url, 'file_a')]);
    expect(a.name).not.toBe(b.name);
    const sql = connect(a.url);
    await sql`CREATE TABLE only_in_a (n int)`;
    const [seen] = await connect(b.url)`SELECT to_regclass('only_in_a') AS table`;
    expect(seen?.table).toBeNull();
    await Promise.all(clients.splice(0).map((client) => client.end()));
    await Promise.all([a.drop(), b.drop()]);
    const names = await connect(server.url)`SELECT datname FROM pg_database WHERE datname LIKE 'file_a%'`;
    expect(names).toEqual([]);
  });

  it('stops the server of a process that exits without stopping it', async () => {
    const { exited, line } = inChild(
      'const s = await pg.startPostgres(); console.log(JSON.stringify({ dir: s.dir, pid: s.pid(), url: s.url })); process.exit(0);',
    );
    const { dir, pid } = await line;
    expect(await exited).toBe(0);
    expect(running(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('stops the server of a process killed outright (SIGKILL)', async () => {
    const { child, exited, line } = inChild(
      'const s = await pg.startPostgres(); console.log(JSON.stringify({ dir: s.dir, pid: s.pid(), url: s.url })); setInterval(() => {}, 1000);',
    );
    const { dir, pid } = await line;
    expect(running(pid)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await until(() => !running(pid) && !existsSync(dir));
  });

  it.runIf(process.getuid?.() === 0)('runs as the current user when that is not root', async () => {
    // The same module, in a process of the postgres user: no runuser then, and a folder of its own. That user may not
    // read the checkout (a clone in a private temporary folder), so the module and its driver are copied where it can.
    const copy = mkdtempSync(join(tmpdir(), 'eventfold-as-postgres-'));
    chmodSync(copy, 0o755);
    cpSync(serverModule, join(copy, 'postgres-server.mjs'));
    cpSync(fileURLToPath(new URL('../node_modules/postgres', import.meta.url)), join(copy, 'node_modules', 'postgres'), { recursive: true });
    onTestFinished(() => rmSync(copy, { recursive: true, force: true }));
    const asPostgres = execFileSync(
      'runuser',
      ['-u', 'postgres', '--', process.execPath, '--input-type=module', '-e',
        `import * as pg from ${JSON.stringify(join(copy, 'postgres-server.mjs'))};
         const s = await pg.startPostgres();
         const sql = (await import('postgres')).default(s.url, { max: 1 });
         const [row] = await sql\`SELECT current_user AS role, session_user AS session\`;
         const owner = (await import('node:fs')).statSync(s.dir).uid;
         await sql.end(); await s.stop();
         console.log(JSON.stringify({ ...row, owner, uid: process.getuid(), removed: !(await import('node:fs')).existsSync(s.dir) }));`],
      { encoding: 'utf8', cwd: copy },
    );
    const result = JSON.parse(asPostgres.trim().split('\n').at(-1) ?? '');
    expect(result).toEqual({ role: 'eventfold', session: 'eventfold', owner: result.uid, uid: result.uid, removed: true });
  });
});

describe('the node tests\' global set-up', () => {
  it('provides a throwaway server it stops at the end, or DATABASE_URL as it is', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      const provided = new Map<string, unknown>();
      const teardown = await setup({ provide: (key, value) => void provided.set(key, value) });
      const url = String(provided.get('postgresUrl'));
      const sql = postgres(url, { max: 1 });
      const [row] = await sql`SELECT inet_server_port() AS port`;
      await sql.end();

      // Given that server as DATABASE_URL, a second set-up provides it unchanged and starts nothing.
      process.env.DATABASE_URL = url;
      const given = new Map<string, unknown>();
      const noTeardown = await setup({ provide: (key, value) => void given.set(key, value) });
      expect(given.get('postgresUrl')).toBe(url);
      await noTeardown();
      const still = postgres(url, { max: 1 });
      await expect(still`SELECT 1 AS one`).resolves.toEqual([{ one: 1 }]);
      await still.end();

      expect(row?.port).toBe(Number(new URL(url).port));
      await teardown();
      delete process.env.DATABASE_URL;
      const gone = postgres(url, { max: 1, connect_timeout: 5 });
      await expect(gone`SELECT 1`).rejects.toThrow();
      await gone.end();
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });

  it('refuses a DATABASE_URL it cannot reach, naming it without its password', async () => {
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = 'postgres://someone:secret@127.0.0.1:1/nowhere';
    try {
      const failure = setup({ provide: () => {} });
      await expect(failure).rejects.toThrow('DATABASE_URL (postgres://someone:***@127.0.0.1:1/nowhere) cannot be reached');
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
  });
});
