import { command, expect, openAccount, test } from './fixtures.ts';

const hostileOwner = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    const violations: string[] = [];
    Object.assign(window, { __violations: violations });
    document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));
  });
});

test('ships a strict Content-Security-Policy: no inline script, no eval', async ({ page, problems }) => {
  const response = await page.goto('/?local');
  const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(policy).toContain("script-src 'self'");
  expect(policy).not.toMatch(/unsafe-inline|unsafe-eval/);
  expect(await response!.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

  // The policy is enforced: an injected inline script does not run, and the browser reports why (a console error,
  // expected here and only here).
  await page.evaluate(() => {
    document.body.append(Object.assign(document.createElement('script'), { textContent: 'window.__inline = 1' }));
  });
  // The browser reports the blocked script once it has refused it: then it is known not to have run.
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations))
    .toEqual([expect.stringMatching(/^script-src/)]);
  expect(await page.evaluate(() => (window as { __inline?: unknown }).__inline)).toBeUndefined();
  problems.splice(0, problems.length, ...problems.filter((problem) => !problem.includes('Content Security Policy')));
});

test('shows owner names with HTML and script as text, and runs with no policy violation', async ({ page }) => {
  await page.goto('/?local');
  await openAccount(page, hostileOwner);
  await command(page, 'Deposit', '10');
  await expect(page.getByRole('list', { name: 'Accounts' })).toContainText(hostileOwner);
  await expect(page.getByRole('list', { name: 'Event log' })).toContainText('opened');
  await page.getByRole('button', { name: 'Rebuild list' }).click();
  // Rebuilt from the journal, the owner still shows as text.
  await expect(page.getByText(/Account list rebuilt from \d+ events/)).toBeVisible();
  await expect(page.getByRole('list', { name: 'Accounts' })).toContainText(hostileOwner);
  expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual([]);
});
