import { test as base, expect, type Page } from '@playwright/test';

/** A page that fails its test on any console error or uncaught error. */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    await use(page);
    expect(problems, 'errors in the page').toEqual([]);
  },
});

export { expect };

/** The balance shown, as a number. */
export async function balanceOf(page: Page): Promise<number> {
  const text = await page.getByTestId('balance').textContent();
  return Number((text ?? '').replace(/[^\d-]/g, ''));
}
