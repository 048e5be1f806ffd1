import { type DocumentChanges, project, type ProjectionEvent } from 'eventfold';
import { describe, expect, it } from 'vitest';
import { runSeed, seededRandom } from '../../lib/test-support/seeded-random.ts';
import type { AccountEvent } from './account.ts';
import { BALANCE_BUCKETS, type BalanceHistory, balanceHistories } from './balance-history.ts';

const event = (sequenceNr: number, body: AccountEvent): ProjectionEvent<AccountEvent> => ({
  streamId: 'account:a',
  entityType: 'account',
  entityId: 'a',
  sequenceNr,
  position: sequenceNr,
  event: body,
  type: body.type,
  schemaVersion: 1,
  timestamp: 1,
  eventId: `e${sequenceNr}`,
  metadata: {},
});

/** Projects `events` in batches of the sizes `batch` draws, as a journal does, each batch on a copy of the doc. */
function projectInBatches(events: ProjectionEvent<AccountEvent>[], batch: () => number): BalanceHistory {
  let stored: unknown;
  for (let from = 0; from < events.length; ) {
    const size = batch();
    const changes: DocumentChanges = project(balanceHistories, events.slice(from, from + size), () => stored);
    stored = structuredClone(changes.get('a'));
    from += size;
  }
  return stored as BalanceHistory;
}

describe('the balance history projection', () => {
  it("keeps each bucket's lowest and highest balance, merging buckets as the history grows", () => {
    const seed = runSeed(process.env);
    const random = seededRandom(seed);
    const count = 20_000;
    const balances = [0];
    const events = [event(1, { type: 'opened', owner: 'Ada' })];
    balances.push(0);
    for (let sequenceNr = 2; sequenceNr <= count; sequenceNr++) {
      const balance = balances.at(-1)!;
      const amount = 1 + Math.floor(random() * 100);
      const withdraw = balance >= amount && random() < 0.4;
      events.push(event(sequenceNr, withdraw ? { type: 'withdrawn', amount } : { type: 'deposited', amount }));
      balances.push(balance + (withdraw ? -amount : amount));
    }
    const history = projectInBatches(events, () => 1 + Math.floor(random() * 700));

    // 20,000 events fill 512 buckets of 64 sequence numbers at most.
    expect(history.bucketSize, `seed ${seed}`).toBe(64);
    expect(history.sequenceNr).toBe(count);
    expect(history.balance).toBe(balances.at(-1));
    for (let bucket = 0; bucket < BALANCE_BUCKETS; bucket++) {
      const inBucket = balances.slice(bucket * 64, (bucket + 1) * 64);
      const reached = inBucket.length > 0;
      expect(history.min[bucket], `seed ${seed}, bucket ${bucket}`).toBe(reached ? Math.min(...inBucket) : Number.NaN);
      expect(history.max[bucket], `seed ${seed}, bucket ${bucket}`).toBe(reached ? Math.max(...inBucket) : Number.NaN);
    }
  });

  it('is the same doc whether events come one by one or all at once', () => {
    const events = Array.from({ length: 3_000 }, (_, i) =>
      event(i + 1, i === 0 ? { type: 'opened', owner: 'Ada' } : { type: 'deposited', amount: i }),
    );
    const one = projectInBatches(events, () => 1);
    const all = projectInBatches(events, () => events.length);
    expect(one).toEqual(all);
    expect(one.bucketSize).toBe(8);
  });
});
