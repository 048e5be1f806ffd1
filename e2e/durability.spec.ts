import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../tools/chromium.mjs';
import { ownBuild } from './demo-build.ts';
import { type BrowserContext, command, expect, journalOf, openAccount, type Page, test, watchForErrors } from './fixtures.ts';
import { OWN_BUILD_PORT } from './servers.ts';

/** A browser with an on-disk profile, as a person's browser has; `relaunch` closes it and starts it on the same profile. */
async function persistentBrowser(baseURL: string | undefined, problems: string[]) {
  const profile = mkdtempSync(join(tmpdir(), 'eventfold-e2e-'));
  let context: BrowserContext | undefined;
  const launch = async () => {
    context = await chromium.launchPersistentContext(profile, { ...chromiumLaunchOptions, baseURL });
    context.on('page', (page) => watchForErrors(page, problems));
    for (const page of context.pages()) watchForErrors(page, problems);
    return context;
  };
  const firstPage = async (browser: BrowserContext): Promise<Page> => browser.pages()[0] ?? (await browser.newPage());
  return {
    launch,
    firstPage,
    dispose: async () => {
      await context?.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

test('keeps the accounts across closing and relaunching the browser', async ({ baseURL, problems }) => {
  const browser = await persistentBrowser(baseURL, problems);
  try {
    let context = await browser.launch();
    let page = await browser.firstPage(context);
    await page.goto('/?local');
    const id = await openAccount(page, 'Ada Lovelace');
    await command(page, 'Deposit', '1000');
    await command(page, 'Deposit', '500');
    await expect(page.getByTestId('balance')).toHaveText('1,500');
    await context.close();

    context = await browser.launch();
    page = await browser.firstPage(context);
    await page.goto(`/?local#${id}`);
    await expect(page.getByTestId('balance')).toHaveText('1,500');
    await expect(page.getByTestId('tx-count')).toHaveText('2 transactions');
  } finally {
    await browser.dispose();
  }
});

test('two tabs depositing into one account at once leave a contiguous journal whose fold both show', async ({
  baseURL,
  problems,
}) => {
  const browser = await persistentBrowser(baseURL, problems);
  try {
    const context = await browser.launch();
    const first = await browser.firstPage(context);
    await first.goto('/?local');
    const id = await openAccount(first, 'Two Tabs');
    const second = await context.newPage();
    await second.goto(`/?local#${id}`);
    await expect(second.getByTestId('balance')).toHaveText('0');

    const deposits = (page: Page, base: number) => async () => {
      for (let i = 1; i <= 15; i++) await command(page, 'Deposit', String(base + i));
    };
    await Promise.all([deposits(first, 0)(), deposits(second, 100)()]);

    const journal = await journalOf(first, id);
    expect(journal.map((e) => e.sequenceNr)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    const balance = journal.reduce((sum, { event }) => sum + (event.type === 'deposited' ? event.amount! : 0), 0);
    expect(balance).toBe(120 + 1_620);
    const shown = new Intl.NumberFormat('en-US').format(balance);
    await expect(first.getByTestId('balance')).toHaveText(shown);
    await expect(second.getByTestId('balance')).toHaveText(shown);
    await expect(first.getByTestId('tx-count')).toHaveText('30 transactions');
    await expect(second.getByTestId('tx-count')).toHaveText('30 transactions');
    // The account list is a read model, updated in the transactions of both tabs' events.
    for (const page of [first, second]) {
      const row = page.getByRole('list', { name: 'Accounts' }).getByRole('listitem').filter({ hasText: 'Two Tabs' });
      await expect(row).toContainText(shown);
      await expect(row).toContainText('30 transactions');
    }
  } finally {
    await browser.dispose();
  }
});

test('loads and works offline after a first visit', async ({ page, context }) => {
  await page.goto('/?local');
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const id = await openAccount(page, 'Offline Olga');
  await command(page, 'Deposit', '40');

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByTestId('network')).toHaveText('Offline');
  await expect(page.getByTestId('balance')).toHaveText('40');
  await command(page, 'Deposit', '2');
  await expect(page.getByTestId('balance')).toHaveText('42');
  expect(decodeURIComponent(new URL(page.url()).hash.slice(1))).toBe(id);
  await context.setOffline(false);
  await expect(page.getByTestId('network')).toHaveText('Online');
});

test('a returning user who has the app offline gets a new version with an edited public file, once they choose to reload', async ({
  problems,
}) => {
  test.setTimeout(120_000);
  const site = await ownBuild(OWN_BUILD_PORT);
  const browser = await persistentBrowser(site.url, problems);
  try {
    let context = await browser.launch();
    let page = await browser.firstPage(context);
    await page.goto('/?local');
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const id = await openAccount(page, 'Returning Rita');
    await command(page, 'Deposit', '25');
    const favicon = () => page.evaluate(() => fetch('/favicon.svg').then((response) => response.text()));
    const first = await favicon();
    await context.close();

    // A new version whose only change is a file of public/: its name, and every built file's, stay the same.
    const edited = site.readPublic('favicon.svg').replace('</svg>', '<!-- v2 --></svg>');
    site.writePublic('favicon.svg', edited);
    await site.rebuild();

    context = await browser.launch();
    page = await browser.firstPage(context);
    await page.goto(`/?local#${id}`);
    // The new version is offered once its service worker has downloaded every file of the build and waits: on a
    // loaded machine that takes longer than an expectation's few seconds, so wait on that state itself.
    await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration())?.waiting != null);
    const prompt = page.getByRole('status').filter({ hasText: 'A new version of this app is ready' });
    await expect(prompt).toBeVisible();
    await expect(page.getByTestId('balance')).toHaveText('25');
    // Nothing changes under the user before they choose: this page still gets the version it started with.
    expect(await favicon()).toBe(first);
    await Promise.all([page.waitForEvent('load'), prompt.getByRole('button', { name: 'Reload to update' }).click()]);
    await expect(page.getByTestId('balance')).toHaveText('25');
    await expect(prompt).toBeHidden();

    await context.setOffline(true);
    await page.reload();
    await expect(page.getByTestId('network')).toHaveText('Offline');
    await expect(page.getByTestId('balance')).toHaveText('25');
    expect(await favicon()).toBe(edited);
    await command(page, 'Deposit', '5');
    await expect(page.getByTestId('balance')).toHaveText('30');
    await expect(prompt).toBeHidden();
  } finally {
    await browser.dispose();
    await site.dispose();
  }
});

test('says so when the browser clears the site data under the app, and reconnects to a fresh store', async ({ page, context }) => {
  await page.goto('/?local');
  await openAccount(page, 'Before The Wipe');
  await command(page, 'Deposit', '70');
  // What "Clear site data" in the browser's settings does: the open IndexedDB connections are closed under the app.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(page.url()).origin, storageTypes: 'indexeddb' });
  const banner = page.getByRole('status').filter({ hasText: "The browser closed the app's storage" });
  await expect(banner).toBeVisible();
  await banner.getByRole('button', { name: 'Reconnect' }).click();
  await expect(banner).toBeHidden();
  await openAccount(page, 'After The Wipe');
  await command(page, 'Deposit', '5');
  await expect(page.getByTestId('balance')).toHaveText('5');
  await expect(page.getByRole('list', { name: 'Accounts' })).not.toContainText('Before The Wipe');
  // The new worker found the database gone though it existed: the app is told, and tells the user.
  await expect(page.getByRole('alert').filter({ hasText: "The browser deleted this app's stored data" })).toBeVisible();
});
