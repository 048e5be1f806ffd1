// Two browser profiles as two devices of one journal, with the server of `npm start` (PGlite in memory here): offline
// commands wait in the outbox, the server decides them again, a device that overdrew is told why, and both devices
// converge to the same balance and event log.
import { randomUUID } from 'node:crypto';
import { type Browser } from '@playwright/test';
import { balanceOf, type BrowserContext, command, expect, openAccount, type Page, test, watchForErrors } from './fixtures.ts';

/** A device: a browser profile of its own, on the demo joined to `journal`. */
async function device(browser: Browser, baseURL: string | undefined, problems: string[], journal: string, hash = '') {
  const context = await browser.newContext({ baseURL });
  context.on('page', (page) => watchForErrors(page, problems));
  const page = await context.newPage();
  await page.goto(`/?journal=${journal}${hash}`);
  return { context, page };
}

const sync = (page: Page) => page.getByRole('status', { name: 'Sync' });
const log = (page: Page) => page.getByRole('list', { name: 'Event log' }).getByRole('listitem');

/** The event log as text, once no event of it is pending. */
async function settledLog(page: Page): Promise<string[]> {
  await expect(log(page).filter({ hasText: 'pending' })).toHaveCount(0);
  return log(page).allInnerTexts().then((rows) => rows.map((row) => row.replace(/\s+\S+$/, '')));
}

/** Drops what a device that goes offline rightly logs: its requests to the server failing. */
function forgiveOffline(problems: string[]) {
  problems.splice(0, problems.length, ...problems.filter((problem) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(problem)));
}

let contexts: BrowserContext[] = [];
test.afterEach(async () => {
  for (const context of contexts) await context.close();
  contexts = [];
});

test('two devices that overdraw an account offline: the server rejects one, both converge, the rejected one says why', async ({ browser, baseURL, problems }) => {
  const journal = `e2e-${randomUUID()}`;
  const a = await device(browser, baseURL, problems, journal);
  contexts.push(a.context);
  await a.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const id = await openAccount(a.page, 'Ada');
  await command(a.page, 'Deposit', '100');
  await expect(sync(a.page)).toHaveText('Synced');

  const b = await device(browser, baseURL, problems, journal, `#${id}`);
  contexts.push(b.context);
  await expect(b.page.getByTestId('balance')).toHaveText('100');
  await expect(sync(b.page)).toHaveText('Synced');

  await a.context.setOffline(true);
  await command(a.page, 'Withdraw', '70');
  await expect(a.page.getByTestId('balance')).toHaveText('30');
  await expect(sync(a.page)).toHaveText('Offline · 1 pending');
  await expect(log(a.page).filter({ hasText: 'pending' })).toHaveCount(1);

  await command(b.page, 'Withdraw', '60');
  await expect(b.page.getByTestId('balance')).toHaveText('40');
  await expect(sync(b.page)).toHaveText('Synced');

  await a.context.setOffline(false);
  await expect(a.page.getByRole('alert')).toContainText('insufficient funds');
  await expect(sync(a.page)).toHaveText('Synced');
  const rejected = a.page.getByRole('list', { name: 'Rejected by the server' }).getByRole('listitem');
  await expect(rejected).toHaveCount(1);
  await expect(rejected).toContainText('withdraw');
  for (const { page } of [a, b]) await expect(page.getByTestId('balance')).toHaveText('40');
  expect(await balanceOf(a.page)).toBe(40);
  expect(await settledLog(a.page)).toEqual(await settledLog(b.page));
  await expect(b.page.getByRole('list', { name: 'Rejected by the server' })).toHaveCount(0);

  // The rejection survives a reload, until dismissed.
  await a.page.reload();
  await expect(rejected).toHaveCount(1);
  await rejected.getByRole('button', { name: 'Dismiss' }).click();
  await expect(a.page.getByRole('list', { name: 'Rejected by the server' })).toHaveCount(0);
  forgiveOffline(problems);
});

test('a reload with pending commands keeps them, and pushes them once back online', async ({ browser, baseURL, problems }) => {
  const journal = `e2e-${randomUUID()}`;
  const a = await device(browser, baseURL, problems, journal);
  contexts.push(a.context);
  await a.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const id = await openAccount(a.page, 'Grace');
  await expect(sync(a.page)).toHaveText('Synced');

  await a.context.setOffline(true);
  await command(a.page, 'Deposit', '5');
  await command(a.page, 'Deposit', '7');
  await expect(sync(a.page)).toHaveText('Offline · 2 pending');
  await a.page.reload();
  await expect(a.page.getByTestId('balance')).toHaveText('12');
  await expect(sync(a.page)).toHaveText('Offline · 2 pending');
  await expect(log(a.page).filter({ hasText: 'pending' })).toHaveCount(2);

  await a.context.setOffline(false);
  await expect(sync(a.page)).toHaveText('Synced');
  await expect(log(a.page).filter({ hasText: 'pending' })).toHaveCount(0);
  const b = await device(browser, baseURL, problems, journal, `#${id}`);
  contexts.push(b.context);
  await expect(b.page.getByTestId('balance')).toHaveText('12');
  expect(await settledLog(b.page)).toEqual(await settledLog(a.page));
  forgiveOffline(problems);
});

test("a journal's token opens nothing of another journal", async ({ browser, baseURL, problems }) => {
  const first = `e2e-${randomUUID()}`;
  const a = await device(browser, baseURL, problems, first);
  contexts.push(a.context);
  await openAccount(a.page, 'Private');
  await command(a.page, 'Deposit', '9');
  await expect(sync(a.page)).toHaveText('Synced');

  const second = `e2e-${randomUUID()}`;
  const answers = await a.page.evaluate(
    async ({ first, second }) => {
      const { token } = (await (await fetch(`/demo/token?journal=${second}`)).json()) as { token: string };
      const headers = { authorization: `Bearer ${token}` };
      const pull = (journal: string) => fetch(`/v1/journals/${journal}/pull?device=intruder&after=0`, { headers });
      const foreign = await pull(first);
      const push = await fetch(`/v1/journals/${first}/push`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ deviceId: 'intruder', commands: [{ seq: 1, commandId: 'x', type: 'account', id: 'acc', command: { type: 'open', owner: 'Mallory' } }] }),
      });
      const own = await pull(second);
      return { foreign: foreign.status, foreignBody: await foreign.json(), push: push.status, own: await own.json() };
    },
    { first, second },
  );
  expect(answers.foreign).toBe(403);
  expect(answers.foreignBody.error.code).toBe('forbidden');
  expect(answers.push).toBe(403);
  expect(answers.own.events).toEqual([]);
  // The browser logs the refused requests; they are this test's point.
  problems.splice(0, problems.length, ...problems.filter((problem) => !problem.includes('403')));
});

test('one tab of a profile syncs; closing it hands sync to another tab', async ({ browser, baseURL, problems }) => {
  const journal = `e2e-${randomUUID()}`;
  const a = await device(browser, baseURL, problems, journal);
  contexts.push(a.context);
  const id = await openAccount(a.page, 'Tabs');
  await command(a.page, 'Deposit', '10');
  await expect(sync(a.page)).toHaveText('Synced');

  // A second tab of the same profile: the first one syncs for both.
  const second = await a.context.newPage();
  await second.goto(`/?journal=${journal}#${id}`);
  await expect(second.getByTestId('balance')).toHaveText('10');
  await command(second, 'Deposit', '5');
  await expect(a.page.getByTestId('balance')).toHaveText('15');

  // The syncing tab goes: the other takes the lock, and its commands still reach the server.
  await a.page.close();
  await command(second, 'Deposit', '7');
  await expect(sync(second)).toHaveText('Synced');
  const other = await device(browser, baseURL, problems, journal, `#${id}`);
  contexts.push(other.context);
  await expect(other.page.getByTestId('balance')).toHaveText('22');
});
