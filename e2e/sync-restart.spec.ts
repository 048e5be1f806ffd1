// The sync server of `npm start` (PGlite in a data folder) killed in the middle of a device's push and started again:
// the device retries, and the journal holds every command's events once, none lost, none doubled.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, openAccount, test, watchForErrors } from './fixtures.ts';
import { OWN_SERVER_PORT } from './servers.ts';

const origin = `http://127.0.0.1:${OWN_SERVER_PORT}`;

/** Starts the demo's server on the data folder; resolves once it serves. */
async function startServer(data: string): Promise<ChildProcess> {
  const server = spawn(process.execPath, ['demo-dist-server/main.mjs', '--data', data, '--port', String(OWN_SERVER_PORT)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the demo server exited with ${code}`)));
    server.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('eventfold demo:')) resolve();
    });
  });
  server.removeAllListeners('exit');
  return server;
}

/** The journal's events, read through the protocol with a token of the journal. */
async function serverEvents(journal: string): Promise<{ sequenceNr: number; event: { type: string; amount?: number }; metadata: { causationId: string } }[]> {
  const { token } = (await (await fetch(`${origin}/demo/token?journal=${journal}`)).json()) as { token: string };
  const events = [];
  for (let after = 0; ; ) {
    const pull = (await (await fetch(`${origin}/v1/journals/${journal}/pull?device=checker&after=${after}&limit=10000`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      events: { position: number; sequenceNr: number; event: { type: string; amount?: number }; metadata: { causationId: string } }[];
    };
    events.push(...pull.events);
    if (pull.events.length < 10_000) return events;
    after = pull.events.at(-1)!.position;
  }
}

test('a server killed in the middle of a push and started again loses nothing and doubles nothing', async ({ browser, problems }) => {
  test.setTimeout(180_000);
  const data = mkdtempSync(join(tmpdir(), 'eventfold-e2e-server-'));
  let server = await startServer(data);
  const context = await browser.newContext({ baseURL: origin });
  try {
    context.on('page', (page) => watchForErrors(page, problems));
    const page = await context.newPage();
    const journal = `e2e-${randomUUID()}`;
    await page.goto(`/?journal=${journal}`);
    const sync = page.getByRole('status', { name: 'Sync' });
    const id = await openAccount(page, 'Restarted');
    await expect(sync).toHaveText('Synced');

    await context.setOffline(true);
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect(sync).toHaveText('Offline · 10000 pending', { timeout: 60_000 });
    await expect(page.getByRole('button', { name: 'Generate', exact: true })).toBeEnabled();
    await context.setOffline(false);

    // Killed once the server has decided part of the push, and not all of it.
    let stored = 0;
    await expect.poll(async () => (stored = (await serverEvents(journal)).length), { timeout: 60_000, intervals: [50] }).toBeGreaterThan(1);
    server.kill('SIGKILL');
    test.info().annotations.push({ type: 'killed', description: `with ${stored} of 10,001 events stored` });
    await new Promise((resolve) => server.once('exit', resolve));
    server = await startServer(data);

    await expect(sync).toHaveText('Synced', { timeout: 90_000 });
    const events = await serverEvents(journal);
    expect(events).toHaveLength(10_001);
    expect(events.map((event) => event.sequenceNr)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((event) => event.metadata.causationId)).size).toBe(10_001);
    const balance = events.reduce((sum, { event }) => sum + (event.amount ?? 0), 0);
    await expect(page.getByTestId('balance')).toHaveText(balance.toLocaleString('en-US'));
    expect(decodeURIComponent(new URL(page.url()).hash.slice(1))).toBe(id);
  } finally {
    await context.close();
    server.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
  // A device whose server went away logs its failed requests; they are this test's point.
  problems.splice(0, problems.length, ...problems.filter((problem) => !/ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|Failed to load resource/.test(problem)));
});
