import { test as base, type BrowserContext, expect, type Page } from '@playwright/test';

/**
 * Fails the test on any console error or uncaught error of `page` and of its workers. Playwright reports a worker's
 * unhandled rejections as page errors, and its console as the page's; an uncaught error in a worker is reported
 * nowhere once the page handles the worker's `error` event (the client does, to learn that it lost the worker), so a
 * listener in each worker's own scope says it on the console.
 */
export function watchForErrors(page: Page, problems: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('worker', (worker) => {
    worker
      .evaluate(() =>
        self.addEventListener('error', (event) => console.error(`uncaught error in worker "${self.name}": ${event.message}`)),
      )
      // A worker that ended before it could be reached has nothing more to say.
      .catch(() => {});
  });
}

/** Pages that fail their test on any console error or uncaught error, including pages a test opens itself. */
export const test = base.extend<{ problems: string[] }>({
  problems: async ({}, use) => {
    const problems: string[] = [];
    await use(problems);
    expect(problems, 'errors in the page').toEqual([]);
  },
  context: async ({ context, problems }, use) => {
    context.on('page', (page) => watchForErrors(page, problems));
    await use(context);
  },
});

export { expect };

/** The balance shown, as a number. */
export async function balanceOf(page: Page): Promise<number> {
  const text = await page.getByTestId('balance').textContent();
  return Number((text ?? '').replace(/[^\d-]/g, ''));
}

/** Opens an account from the form and waits until it is selected, with a balance of 0. */
export async function openAccount(page: Page, owner: string): Promise<string> {
  await page.getByLabel('Owner').fill(owner);
  await page.getByRole('button', { name: 'New account' }).click();
  await expect(page.getByRole('heading', { name: owner })).toBeVisible();
  await expect(page.getByTestId('balance')).toHaveText('0');
  return decodeURIComponent(new URL(page.url()).hash.slice(1));
}

/** Deposits or withdraws through the form, and waits for the command to finish. */
export async function command(page: Page, action: 'Deposit' | 'Withdraw', amount: string): Promise<void> {
  await page.getByLabel('Amount').fill(amount);
  await page.getByRole('button', { name: action, exact: true }).click();
  await expect(page.getByRole('button', { name: action, exact: true })).toBeEnabled();
}

/** The events of an account read straight from IndexedDB in `page`: what the journal really holds. */
export function journalOf(page: Page, accountId: string): Promise<{ sequenceNr: number; event: { type: string; amount?: number } }[]> {
  return page.evaluate(
    (streamId) =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open('eventfold-bank');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const database = request.result;
          const read = database
            .transaction('events')
            .objectStore('events')
            .getAll(IDBKeyRange.bound([streamId, 0], [streamId, Infinity]));
          read.onsuccess = () => {
            database.close();
            resolve(read.result);
          };
          read.onerror = () => reject(read.error);
        };
      }),
    `account:${accountId}`,
  );
}

export type { BrowserContext, Page };
