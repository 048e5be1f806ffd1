import type { PersistedEvent } from 'eventfold';

/** `count` persisted events numbered from `from`, each carrying its own number, for journal tests. */
export function numbered(from: number, count: number, timestamp = 1_700_000_000_000): PersistedEvent<{ n: number }>[] {
  return Array.from({ length: count }, (_, i) => ({ sequenceNr: from + i, event: { n: from + i }, timestamp }));
}

/** Resolves with the error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
