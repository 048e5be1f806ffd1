// The runtime on the PostgreSQL journal as a server uses it: the seeds' bank scenario across a restart, on PGlite in a
// folder and on a real server, and two Node processes racing on one account.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRuntime, type EventJournal, isEventfoldError } from 'eventfold';
import { openPostgresJournal } from 'eventfold/postgres';
import { rolldown } from 'rolldown';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';
import { account } from '../test-support/bank-account.ts';

const source = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
// Inside the repository, so that the bundles find `pg` in its node_modules.
const scratchRoot = fileURLToPath(new URL('../../.scratch/', import.meta.url));

let url: string;
let drop: () => Promise<void> = async () => {};
let scratch: string;
beforeAll(async () => {
  ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_runtime_scenarios'));
  mkdirSync(scratchRoot, { recursive: true });
  scratch = mkdtempSync(join(scratchRoot, 'postgres-scenarios-'));
}, 60_000);
afterAll(async () => {
  await drop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const stores: [string, (journalId: string) => Promise<EventJournal>][] = [
  ['PGlite in a folder', (journalId) => openPostgresJournal({ dataDir: join(scratch, 'pglite'), journalId })],
  ['a PostgreSQL server', (journalId) => openPostgresJournal({ connectionString: url, journalId })],
];

describe.each(stores)('the bank scenario on %s', (_, open) => {
  it('keeps 1,000 + 500 = 1,500 across two transactions and a restart, and refuses an overdraft with its reason and no event', async () => {
    const journal = await open('bank');
    const runtime = createRuntime({ journal, entities: { account } });
    await runtime.send('account', 'alice', { type: 'deposit', amount: 1_000 });
    const { state } = await runtime.send('account', 'alice', { type: 'deposit', amount: 500 });
    expect(state.balance).toBe(1_500);
    await runtime.close();
    await journal.close();

    const reopened = await open('bank');
    const restarted = createRuntime({ journal: reopened, entities: { account } });
    try {
      expect(await restarted.state('account', 'alice')).toMatchObject({ state: { balance: 1_500 }, sequenceNr: 2 });
      const refused = await restarted.send('account', 'alice', { type: 'withdraw', amount: 2_000 }).catch((error: unknown) => error);
      expect(isEventfoldError(refused, 'rejected')).toBe(true);
      expect(refused).toMatchObject({ reason: 'insufficient funds: 1500 available, 2000 asked' });
      expect((await reopened.load('account:alice')).map((event) => event.event)).toEqual([
        { type: 'deposited', amount: 1_000 },
        { type: 'deposited', amount: 500 },
      ]);
    } finally {
      await restarted.close();
      await reopened.close();
    }
  });
});

describe('two Node processes on one journal', () => {
  it('race on one account: the stream stays contiguous and every acknowledged command is in it once', async () => {
    const bundle = await rolldown({
      input: source('test-support/racing-process.ts'),
      external: ['pg', '@electric-sql/pglite'],
      resolve: {
        alias: { 'eventfold/postgres': source('postgres/index.ts'), 'eventfold/kit': source('kit/index.ts'), eventfold: source('index.ts') },
      },
      logLevel: 'warn',
    });
    await bundle.write({ file: join(scratch, 'racing-process.mjs'), format: 'es', inlineDynamicImports: true });
    await bundle.close();

    const perProcess = 60;
    const run = (writer: string) =>
      new Promise<string[]>((resolve, reject) => {
        const child = spawn(process.execPath, [join(scratch, 'racing-process.mjs'), url, 'racing', writer, String(perProcess)], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
        child.on('error', reject).on('close', (code) => {
          if (code === 0) resolve(out.trim().split('\n'));
          else reject(new Error(`process ${writer} exited with ${code}: ${err}`));
        });
      });
    const outputs = await Promise.all([run('a'), run('b')]);
    for (const lines of outputs) expect(lines.at(-1)).toBe('done');
    const acknowledged = outputs.flatMap((lines) => lines.slice(0, -1).map((line) => JSON.parse(line) as { commandId: string; sequenceNrs: number[] }));
    expect(acknowledged).toHaveLength(2 * perProcess);

    const journal = await openPostgresJournal({ connectionString: url, journalId: 'racing' });
    try {
      const stream = await journal.load('account:shared');
      expect(stream.map((event) => event.sequenceNr)).toEqual(Array.from({ length: 2 * perProcess }, (_, i) => i + 1));
      const byCommand = new Map(stream.map((event) => [event.metadata.causationId, event.sequenceNr]));
      expect(byCommand.size).toBe(2 * perProcess);
      for (const { commandId, sequenceNrs } of acknowledged) expect([byCommand.get(commandId)]).toEqual(sequenceNrs);
    } finally {
      await journal.close();
    }
  }, 120_000);
});
