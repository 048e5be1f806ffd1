import type { PersistedEvent } from './journal.ts';
import type { ProjectionEvent } from './projection.ts';

/** A stored event as projections see it. */
export function projectionEventOf<E>(streamId: string, event: PersistedEvent<E>): ProjectionEvent<E> {
  const colon = streamId.indexOf(':');
  return {
    ...event,
    streamId,
    entityType: colon < 0 ? '' : streamId.slice(0, colon),
    entityId: colon < 0 ? streamId : streamId.slice(colon + 1),
  };
}
