import { defineProjection } from 'eventfold';
import { account } from './account.ts';

/** Buckets of a balance history: about one per pixel column of the chart. */
export const BALANCE_BUCKETS = 512;

/**
 * An account's balance over its whole history, downsampled: the lowest and highest balance in each bucket of
 * `bucketSize` sequence numbers (bucket `i` holds the balances after events `i × bucketSize` to `(i + 1) ×
 * bucketSize - 1`, event 0 being the opening balance of 0). When the history outgrows the buckets, neighbours merge
 * and the size doubles, so the chart of a million events is a few kilobytes, kept up to date event by event in the
 * worker, and read whole in one go.
 */
export interface BalanceHistory {
  /** Sequence numbers per bucket: a power of two. */
  readonly bucketSize: number;
  /** The sequence number of the last event folded in. */
  readonly sequenceNr: number;
  /** The balance after it. */
  readonly balance: number;
  /** The lowest balance of each bucket; `NaN` for a bucket not reached yet. */
  readonly min: Float64Array;
  /** The highest balance of each bucket; `NaN` for a bucket not reached yet. */
  readonly max: Float64Array;
}

/** The balance histories of the accounts, updated in the transaction of every account's events. */
export const balanceHistories = defineProjection.for({ account })({
  name: 'balance-history',
  documentId: (event) => event.entityId,
  evolve(history: BalanceHistory | undefined, { event, sequenceNr }): BalanceHistory | undefined {
    // The doc is the projection's own copy for this batch of events: it is changed in place, not copied per event.
    const doc = (history ?? emptyHistory()) as Mutable<BalanceHistory>;
    const amount = event.type === 'deposited' ? event.amount : event.type === 'withdrawn' ? -event.amount : 0;
    doc.balance += amount;
    doc.sequenceNr = sequenceNr;
    while (Math.floor(sequenceNr / doc.bucketSize) >= BALANCE_BUCKETS) halve(doc);
    const at = Math.floor(sequenceNr / doc.bucketSize);
    if (!(doc.min[at]! <= doc.balance)) doc.min[at] = doc.balance;
    if (!(doc.max[at]! >= doc.balance)) doc.max[at] = doc.balance;
    return doc;
  },
});

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function emptyHistory(): BalanceHistory {
  const min = new Float64Array(BALANCE_BUCKETS).fill(Number.NaN);
  const max = new Float64Array(BALANCE_BUCKETS).fill(Number.NaN);
  min[0] = 0;
  max[0] = 0;
  return { bucketSize: 1, sequenceNr: 0, balance: 0, min, max };
}

/** Merges each pair of neighbouring buckets into one, doubling the bucket size. */
function halve(doc: Mutable<BalanceHistory>): void {
  const half = BALANCE_BUCKETS / 2;
  for (let i = 0; i < half; i++) {
    doc.min[i] = lowest(doc.min[2 * i]!, doc.min[2 * i + 1]!);
    doc.max[i] = highest(doc.max[2 * i]!, doc.max[2 * i + 1]!);
  }
  doc.min.fill(Number.NaN, half);
  doc.max.fill(Number.NaN, half);
  doc.bucketSize *= 2;
}

/** The lower of two bucket values, `NaN` (not reached) losing to any number. */
const lowest = (a: number, b: number) => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b));
const highest = (a: number, b: number) => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));
