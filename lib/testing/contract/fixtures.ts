import type { EventJournal, IdempotencyRecord, NewEvent, PersistedEvent, StreamOf } from '../../core/journal.ts';
import { defineProjection } from '../../core/projection.ts';

// What the contract suites write: events, idempotency records and projections that assume nothing of a journal
// beyond the port. Every event gets an id of its own (a journal may keep event ids unique), and a string id of no
// particular shape (the port takes any name).

let eventIds = 0;

/** `count` new events numbered from `from`, each carrying its own number. */
export function numbered(from: number, count: number, timestamp = 1_700_000_000_000): NewEvent<{ n: number }>[] {
  return Array.from({ length: count }, (_, i) => envelope(from + i, { n: from + i }, timestamp));
}

/** A new event in a full envelope, with an id no other event of the suites has. */
export function envelope<E>(sequenceNr: number, event: E, timestamp = 1_700_000_000_000): NewEvent<E> {
  return {
    sequenceNr,
    event,
    timestamp,
    eventId: `event-${++eventIds}`,
    type: 'numbered',
    schemaVersion: 1,
    metadata: { correlationId: 'flow-1', causationId: `command-${sequenceNr}` },
  };
}

/** An event with the number `n`, which the `totals` projection adds up. */
export function withN(sequenceNr: number, n: number): NewEvent<{ n: number }> {
  return envelope(sequenceNr, { n });
}

/** The events as a journal returns them, without the global positions it chose. */
export function unpositioned<E>(events: readonly PersistedEvent<E>[]): NewEvent<E>[] {
  return events.map(({ position: _, ...event }) => event);
}

/** The global positions of events, in their order. */
export function positionsOf(events: readonly PersistedEvent[]): number[] {
  return events.map((event) => event.position);
}

/** Every event of a journal, by global position (the suites' journals hold at most a few hundred). */
export function everything(journal: EventJournal): Promise<(PersistedEvent & StreamOf)[]> {
  return journal.loadAfter(0, 1_000);
}

/** An idempotency record of stream `streamId`'s command sent with `key`, which recorded events `from` to `to`. */
export function record(streamId: string, key: string, from: number, to: number): IdempotencyRecord {
  return {
    key,
    fingerprint: `print-${key}`,
    commandId: `command-${streamId}-${key}-${from}`,
    fromSequenceNr: from,
    toSequenceNr: to,
    timestamp: 5,
  };
}

/** A doc of `totals`. */
export interface Total {
  readonly count: number;
  readonly sum: number;
}

/**
 * A read model of the numbered events: per stream, how many events and the sum of their `n`. An event with a
 * negative `n` deletes the stream's doc; an `n` of 13 makes the projection throw.
 */
export const totals = defineProjection<Total, { n: number }, 'totals'>({
  name: 'totals',
  documentId: (event) => event.streamId,
  evolve(total, { event }) {
    if (event.n === 13) throw new Error('unlucky event');
    if (event.n < 0) return undefined;
    return { count: (total?.count ?? 0) + 1, sum: (total?.sum ?? 0) + event.n };
  },
});

/** `totals` with ten times the sums: new code for the same read model. */
export const tenfold = defineProjection<Total, { n: number }, 'totals'>({
  ...totals,
  evolve: (total, event) => totals.evolve(total, { ...event, event: { n: event.event.n * 10 } }),
});

/** `totals` written the careless way: it changes the doc it is given and returns it. */
export const mutating = defineProjection<{ count: number; sum: number }, { n: number }, 'totals'>({
  name: 'totals',
  documentId: (event) => event.streamId,
  evolve(total, { event }) {
    if (event.n === 13) throw new Error('unlucky event');
    const doc = total ?? { count: 0, sum: 0 };
    doc.count++;
    doc.sum += event.n;
    return doc;
  },
});
