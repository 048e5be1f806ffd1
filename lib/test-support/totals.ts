import { defineProjection } from 'eventfold';

export interface Total {
  readonly count: number;
  readonly sum: number;
}

/**
 * A read model of the numbered test events: per stream, how many events and the sum of their `n`. An event with a
 * negative `n` deletes the stream's doc; `n` of 13 makes the projection throw.
 */
export const totals = defineProjection<Total, { n: number }>({
  name: 'totals',
  documentId: (event) => event.streamId,
  evolve(total, { event }) {
    if (event.n === 13) throw new Error('unlucky event');
    if (event.n < 0) return undefined;
    return { count: (total?.count ?? 0) + 1, sum: (total?.sum ?? 0) + event.n };
  },
});
