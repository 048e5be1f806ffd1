import type { PersistedEvent } from './journal.ts';
import type { ProjectionEvent } from './projection.ts';
import { entityOf } from './stream-id.ts';

/** A stored event as projections see it. */
export function projectionEventOf<E>(streamId: string, event: PersistedEvent<E>): ProjectionEvent<E> {
  return { ...event, streamId, ...entityOf(streamId) };
}
