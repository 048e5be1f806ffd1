import { eventTypeOf } from '../core/identity.ts';
import { type AnyProjection, type Projection, type ProjectionEvent, project, projectionEventOf } from '../core/projection.ts';
import { deepEqual } from './deep-equal.ts';
import { fail, show } from './specification-error.ts';

/**
 * A given event of a projection specification: the domain event and the entity it belongs to. The entity type
 * defaults to the projection's first entity type; the rest of the envelope (sequence numbers, positions, ids) is
 * filled in, in order, and a `timestamp` or `metadata` given here is kept.
 */
export interface GivenEvent<E> {
  /** The id of the entity that recorded the event. */
  readonly entityId: string;
  /** The entity's type. Default: the projection's first entity type, else `entity`. */
  readonly entityType?: string;
  /** The domain event. */
  readonly event: E;
  /** When the event was recorded, in milliseconds since the Unix epoch. Default: its position, 1, 2, 3… */
  readonly timestamp?: number;
  /** The event's metadata. Default: none. */
  readonly metadata?: ProjectionEvent['metadata'];
}

/** The outcome of `given`, to be checked with one of the `then…` methods. */
export interface ThenReadModel<D> {
  /** The read model holds exactly these documents, by id. */
  then(expected: Readonly<Record<string, D>>): void;
  /** The document `id` equals `expected` (`undefined`: there is none); other documents are not checked. */
  thenDocument(id: string, expected: D | undefined): void;
  /** The projection threw on one of the events, with an error that satisfies `check` when one is given. */
  thenThrows(check?: (error: unknown) => boolean): void;
}

/**
 * Given/when/then specifications for projections, without storage or runtime:
 *
 * ```ts
 * ProjectionSpecification.for(accountSummaries)
 *   .given([{ entityId: 'a', event: { type: 'opened', owner: 'Ada' }, timestamp: 5 }])
 *   .then({ a: { owner: 'Ada', balance: 0, txCount: 0, lastActivity: 5 } });
 * ```
 */
export const ProjectionSpecification = {
  /** Starts a specification of `projection`. */
  for<D, E>(projection: Projection<D, E>) {
    return {
      /** Applies `events`, in order, to an empty read model; check the outcome with a `then…` method. */
      given(events: readonly GivenEvent<E>[]): ThenReadModel<D> {
        return outcome(projection, envelopes(projection, events));
      },
    };
  },
};

/** The given events in full envelopes: per stream sequence numbers, and global positions in the order given. */
function envelopes<E>(projection: AnyProjection, given: readonly GivenEvent<E>[]): ProjectionEvent<E>[] {
  const heads = new Map<string, number>();
  return given.map(({ entityId, entityType = projection.entityTypes?.[0] ?? 'entity', event, timestamp, metadata }, i) => {
    const streamId = `${entityType}:${entityId}`;
    const sequenceNr = (heads.get(streamId) ?? 0) + 1;
    heads.set(streamId, sequenceNr);
    const position = i + 1;
    return projectionEventOf(streamId, {
      sequenceNr,
      event,
      timestamp: timestamp ?? position,
      eventId: `event-${position}`,
      type: eventTypeOf(event),
      schemaVersion: 1,
      metadata: metadata ?? {},
      position,
    });
  });
}

function outcome<D>(projection: AnyProjection, events: readonly ProjectionEvent[]): ThenReadModel<D> {
  let result: { documents: Record<string, D> } | { threw: unknown };
  try {
    const changes = project(projection, events, () => undefined);
    const documents: Record<string, D> = {};
    for (const [id, doc] of changes) if (doc !== undefined) documents[id] = doc as D;
    result = { documents };
  } catch (error) {
    // The projection's own error, not the wrapper that the runtime adds.
    result = { threw: (error as { cause?: unknown }).cause ?? error };
  }
  const documents = (): Record<string, D> => {
    if ('documents' in result) return result.documents;
    fail('a read model', result);
  };

  return {
    then(expected) {
      const actual = documents();
      if (!deepEqual(actual, expected)) fail(show(expected), { documents: actual }, { expected, actual });
    },
    thenDocument(id, expected) {
      const actual = documents()[id];
      if (!deepEqual(actual, expected)) {
        fail(`document "${id}" to be ${show(expected)}`, { doc: actual ?? null }, { expected, actual });
      }
    },
    thenThrows(check) {
      if (!('threw' in result)) fail('the projection to throw', result);
      if (check && !check(result.threw)) fail('the projection to throw an error that passes the check', { threw: String(result.threw) });
    },
  };
}
