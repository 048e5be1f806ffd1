import type { NewEvent, PersistedEvent } from 'eventfold';

/** `count` new events numbered from `from`, each carrying its own number, for journal tests. */
export function numbered(from: number, count: number, timestamp = 1_700_000_000_000): NewEvent<{ n: number }>[] {
  return Array.from({ length: count }, (_, i) => envelope(from + i, { n: from + i }, timestamp));
}

let eventIds = 0;

/** A new event in a full envelope, with an id no other event of the tests has (a journal may keep event ids unique). */
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

/** The events as a journal returns them: without their global positions, which the journal chose. */
export function unpositioned<E>(events: readonly PersistedEvent<E>[]): NewEvent<E>[] {
  return events.map(({ position: _, ...event }) => event);
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
