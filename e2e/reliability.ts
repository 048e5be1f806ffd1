import { expect, type Page } from '@playwright/test';
import type { DatabaseContents, Harness } from './harness/contract.ts';
import { HARNESS_URL } from './servers.ts';

declare global {
  interface Window {
    harness: Harness;
  }
}

/** Opens the harness page and waits until it is ready. */
export async function openHarness(page: Page): Promise<void> {
  await page.goto(HARNESS_URL);
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
}

/** An account as a pure fold of its events: the reference the stored snapshots and read model must equal. */
interface Folded {
  owner: string | null;
  balance: number;
  txCount: number;
  /** The lowest balance any prefix of the stream had. */
  lowest: number;
}

function fold(events: DatabaseContents['events']): Folded {
  const account: Folded = { owner: null, balance: 0, txCount: 0, lowest: 0 };
  for (const { event } of events) {
    if (event.type === 'opened') account.owner = event.owner ?? null;
    else {
      account.balance += event.type === 'deposited' ? event.amount! : -event.amount!;
      account.txCount++;
      account.lowest = Math.min(account.lowest, account.balance);
    }
  }
  return account;
}

/**
 * Checks what IndexedDB holds against every guarantee: each acknowledged command is stored exactly once; streams are
 * contiguous and global positions unique; every snapshot equals the fold of the events up to it; the account list
 * (an inline read model) agrees with the journal; no stored state has a negative balance. Returns the per-account
 * folds.
 */
export function checkJournal(contents: DatabaseContents, acknowledged: Iterable<string>): Map<string, Folded> {
  const causes = new Map<string, number>();
  for (const { causationId } of contents.events) causes.set(causationId, (causes.get(causationId) ?? 0) + 1);
  const missing = [...acknowledged].filter((id) => !causes.has(id));
  expect(missing, 'acknowledged commands missing from the journal').toEqual([]);
  const twice = [...causes].filter(([, count]) => count > 1);
  expect(twice, 'commands stored more than once').toEqual([]);

  const positions = contents.events.map((e) => e.position);
  expect(new Set(positions).size, 'global positions are unique').toBe(positions.length);

  const streams = new Map<string, DatabaseContents['events']>();
  for (const event of contents.events) streams.set(event.streamId, [...(streams.get(event.streamId) ?? []), event]);
  const folds = new Map<string, Folded>();
  for (const [streamId, events] of streams) {
    expect(events.map((e) => e.sequenceNr), `${streamId} is contiguous`).toEqual(events.map((_, i) => i + 1));
    const folded = fold(events);
    expect(folded.lowest, `${streamId} never went below zero`).toBeGreaterThanOrEqual(0);
    folds.set(streamId, folded);
    for (const snapshot of contents.snapshots.filter((s) => s.streamId === streamId)) {
      const { owner, balance, txCount } = fold(events.slice(0, snapshot.sequenceNr));
      expect(snapshot.state, `${streamId}'s snapshot at ${snapshot.sequenceNr}`).toEqual({ owner, balance, txCount });
    }
    const summary = contents.documents.find((d) => d.projection === 'account-summaries' && `account:${d.id}` === streamId);
    expect(summary?.doc, `${streamId}'s row of the account list`).toMatchObject({
      owner: folded.owner,
      balance: folded.balance,
      txCount: folded.txCount,
    });
  }
  const checkpoint = contents.checkpoints.find((c) => c.projection === 'account-summaries');
  expect(checkpoint?.position ?? 0, 'the account list is at the head of the journal').toBe(Math.max(0, ...positions));
  return folds;
}
