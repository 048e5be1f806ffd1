import { expect, test } from './fixtures.ts';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Owner').fill('Ada Lovelace');
  await page.getByRole('button', { name: 'New account' }).click();
  await expect(page.getByTestId('balance')).toHaveText('0');
});

test('deposits 1000 and 500 into a balance of 1,500 over 2 transactions, kept across a reload', async ({ page }) => {
  const amount = page.getByLabel('Amount');
  await amount.fill('1000');
  await page.getByRole('button', { name: 'Deposit' }).click();
  await expect(page.getByTestId('balance')).toHaveText('1,000');
  await amount.fill('500');
  await page.getByRole('button', { name: 'Deposit' }).click();
  await expect(page.getByTestId('balance')).toHaveText('1,500');
  await expect(page.getByTestId('tx-count')).toHaveText('2 transactions');
  await expect(page.getByRole('list', { name: 'Event log' }).getByRole('listitem')).toHaveCount(3);

  await page.reload();
  await expect(page.getByTestId('balance')).toHaveText('1,500');
  await expect(page.getByTestId('tx-count')).toHaveText('2 transactions');
});

test('rejects a withdrawal beyond the balance with its reason, adding no event', async ({ page }) => {
  await page.getByLabel('Amount').fill('100');
  await page.getByRole('button', { name: 'Deposit' }).click();
  await expect(page.getByTestId('balance')).toHaveText('100');
  const log = page.getByRole('list', { name: 'Event log' }).getByRole('listitem');
  await expect(log).toHaveCount(2);

  await page.getByLabel('Amount').fill('250');
  await page.getByRole('button', { name: 'Withdraw' }).click();
  await expect(page.getByRole('alert')).toHaveText('insufficient funds (balance 100)');
  await expect(page.getByTestId('balance')).toHaveText('100');
  await expect(log).toHaveCount(2);
});

for (const amount of ['abc', '-5', '0', '1.5']) {
  test(`rejects the amount "${amount}"`, async ({ page }) => {
    await page.getByLabel('Amount').fill(amount);
    await page.getByRole('button', { name: 'Deposit' }).click();
    await expect(page.getByRole('alert')).toContainText('the amount must be a whole number');
    await expect(page.getByTestId('balance')).toHaveText('0');
  });
}
