import { test as base, expect } from '@playwright/test';
import { watchForErrors } from './fixtures.ts';
import { HARNESS_URL } from './servers.ts';

// The guard of every end-to-end test, tried on a deliberate fault: it must see what goes wrong inside the bank's
// module worker. A context of its own, so that the faults fail only this test's expectations.
base('sees an unhandled rejection and an uncaught error inside the bank worker', async ({ browser }) => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    watchForErrors(page, problems);
    const started = page.waitForEvent('worker');
    await page.goto(HARNESS_URL);
    const worker = await started;
    await expect(page.locator('body[data-ready="true"]')).toBeAttached();
    // The bank worker answers once its guard listener is in place.
    await expect.poll(() => worker.evaluate(() => self.name)).toBe('eventfold-bank');
    await worker.evaluate(() => {
      setTimeout(() => void Promise.reject(new Error('a deliberate rejection')));
      setTimeout(() => {
        throw new Error('a deliberate throw');
      });
    });
    await expect.poll(() => problems.join('\n')).toContain('a deliberate rejection');
    await expect.poll(() => problems.join('\n')).toContain('a deliberate throw');
  } finally {
    await context.close();
  }
});
