import { expect, test } from './fixtures.ts';
import { checkJournal, openHarness } from './reliability.ts';
import { runSeed } from '../lib/test-support/seeded-random.ts';

const TABS = 4;
const COMMANDS_PER_TAB = 300;
const ACCOUNTS = 4;

// Every random choice of the run follows from this seed; EVENTFOLD_SEED=… replays a run.
const SEED = runSeed(process.env);

test('four tabs hammering a few accounts leave contiguous streams, every acknowledged command once, one final state, and no command given up', async ({
  context,
}) => {
  test.setTimeout(300_000);
  console.info(`many writers: seed ${SEED} (EVENTFOLD_SEED=${SEED} replays it)`);
  const acknowledged = new Set<string>();
  await context.exposeFunction('ack', (commandId: string) => void acknowledged.add(commandId));
  const tabs = await Promise.all(Array.from({ length: TABS }, () => context.newPage()));
  for (const tab of tabs) await openHarness(tab);
  await tabs[0]!.evaluate((accounts) => window.harness.open(accounts), ACCOUNTS);

  // Every tab at once: random deposits and withdrawals, most of them on acc-0, eight in flight per tab.
  const results = await Promise.all(
    tabs.map((tab, t) =>
      tab.evaluate(
        async ([tag, count, seed]) => {
          window.harness.seed(seed);
          let acknowledged = 0;
          let conflicts = 0;
          for (let i = 0; i < count; i += 8) {
            const waves = [];
            for (let j = i; j < Math.min(count, i + 8); j++) {
              // Half the commands on acc-0, the rest spread over the others.
              const accounts = window.harness.random() < 0.5 ? 1 : 4;
              waves.push(
                window.harness.burst(`${tag}-${j}`, 1, accounts, 1).then((r) => {
                  acknowledged += r.acknowledged;
                  conflicts += r.conflicts;
                }),
              );
            }
            await Promise.all(waves);
          }
          return { acknowledged, conflicts };
        },
        [`tab-${t}`, COMMANDS_PER_TAB, SEED + t] as const,
      ),
    ),
  );

  const contents = await tabs[0]!.evaluate(() => window.harness.readDatabase());
  const folds = checkJournal(contents, acknowledged);
  expect(acknowledged.size).toBe(results.reduce((sum, r) => sum + r.acknowledged, 0));
  const conflicts = results.reduce((sum, r) => sum + r.conflicts, 0);
  expect(acknowledged.size).toBeGreaterThan(TABS * COMMANDS_PER_TAB * 0.4);
  // Losing a race to another tab is never a reason to fail: contended entities are written under a Web Lock.
  expect(conflicts).toBe(0);

  // Every tab shows the same final state: the fold of the journal.
  for (let i = 0; i < ACCOUNTS; i++) {
    const { owner, balance, txCount } = folds.get(`account:acc-${i}`)!;
    for (const tab of tabs) {
      await expect
        .poll(() => tab.evaluate((id) => window.harness.state(id).then((s) => s.state), `acc-${i}`))
        .toEqual({ owner, balance, txCount });
    }
  }
  console.info(
    `many writers: ${TABS} tabs, ${TABS * COMMANDS_PER_TAB} commands, ${acknowledged.size} acknowledged, ` +
      `${conflicts} gave up after losing races, ${contents.events.length} events`,
  );
});
