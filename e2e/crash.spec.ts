import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../tools/chromium.mjs';
import { expect, test, watchForErrors } from './fixtures.ts';
import { checkJournal, openHarness } from './reliability.ts';
import { runSeed, seededRandom } from '../lib/test-support/seeded-random.ts';

const KILLS = 20;
const ACCOUNTS = 5;
// Where each burst is killed, and what it sends, follow from this seed; EVENTFOLD_SEED=… replays a run.
const SEED = runSeed(process.env);

/** Kills every process of the browser running on `profile` at once, as a crash or a power cut would. */
function killBrowser(profile: string): void {
  try {
    execFileSync('pkill', ['-KILL', '-f', `user-data-dir=${profile}`]);
  } catch {
    // Nothing matched: the browser was already gone.
  }
}

test('keeps every acknowledged command through 20 browser kills in the middle of bursts', async () => {
  test.setTimeout(600_000);
  console.info(`crash consistency: seed ${SEED} (EVENTFOLD_SEED=${SEED} replays it)`);
  const killPoints = seededRandom(SEED);
  const profile = mkdtempSync(join(tmpdir(), 'eventfold-crash-'));
  const acknowledged = new Set<string>();
  const report: string[] = [];
  let discards = 0;
  let lostWithDatabases = 0;
  try {
    for (let round = 0; round <= KILLS; round++) {
      const context = await chromium.launchPersistentContext(profile, chromiumLaunchOptions);
      const page = context.pages()[0] ?? (await context.newPage());
      const problems: string[] = [];
      watchForErrors(page, problems);
      let heard = 0;
      let onAck = () => {};
      await page.exposeFunction('ack', (commandId: string) => {
        acknowledged.add(commandId);
        heard++;
        onAck();
      });
      await openHarness(page);
      await page.evaluate((seed) => window.harness.seed(seed), SEED + round + 1);

      // After each kill: the accounts accept commands again, and everything acknowledged is there, whole — unless
      // Chromium found its IndexedDB corrupt and deleted it whole ("IndexedDB recovering from a corrupted (and
      // deleted) database" in its log). eventfold cannot keep what the browser deletes, but the app must be told,
      // and no other loss is allowed.
      await page.evaluate((accounts) => window.harness.open(accounts), ACCOUNTS);
      await page.evaluate((tag) => window.harness.burst(tag, 1, 1, 1), `check-${round}`);
      const before = await page.evaluate(() => window.harness.readDatabase());
      const discarded = await page.evaluate(() => window.harness.storageLost());
      if (discarded) {
        discards++;
        for (const id of acknowledged) {
          if (id !== `check-${round}-0`) {
            acknowledged.delete(id);
            lostWithDatabases++;
          }
        }
      }
      checkJournal(before, acknowledged);
      report.push(`round ${round}: ${before.events.length} events stored${discarded ? ' (the browser deleted its corrupt IndexedDB)' : ''}`);
      if (round === KILLS) {
        expect(problems).toEqual([]);
        await context.close();
        break;
      }

      // A burst of 1,000 commands, killed after a random number of acknowledgments.
      const target = 1 + Math.floor(killPoints() * 900);
      const burst = page
        .evaluate(([tag, accounts]) => window.harness.burst(tag, 1_000, accounts, 40), [`round-${round}`, ACCOUNTS] as const)
        .catch(() => undefined);
      await new Promise<void>((resolve) => {
        onAck = () => heard >= target && resolve();
        setTimeout(resolve, 20_000);
      });
      killBrowser(profile);
      await burst;
      await context.close().catch(() => {});
    }
    // A test of survival needs survivors: most kills must leave the database to eventfold.
    expect(discards, 'kills after which the browser deleted its IndexedDB').toBeLessThanOrEqual(KILLS / 2);
    console.info(
      `crash consistency: ${KILLS} kills; ${acknowledged.size} acknowledged commands, all found; ` +
        `${discards} kills after which the browser deleted its corrupt IndexedDB (${lostWithDatabases} commands), each reported to the app`,
    );
  } finally {
    killBrowser(profile);
    rmSync(profile, { recursive: true, force: true });
    test.info().annotations.push({ type: 'crash rounds', description: report.join('; ') });
  }
});
