import { HandlerError, InvalidArgumentError } from './errors.ts';
import type { PersistedEvent } from './journal.ts';
import { assertCloneable, assertName, describe } from './validation.ts';

/** An event as a projection sees it: the stored event, with the type and id of the entity it belongs to. */
export interface ProjectionEvent<E = unknown> extends PersistedEvent<E> {
  /** The journal stream, `type:id`. */
  readonly streamId: string;
  readonly entityType: string;
  readonly entityId: string;
}

/**
 * A read model built from events: a set of documents, each changed by the events that concern it, like the rows
 * of an `account_summaries` table. Pure functions, so that a projection can run inside a storage transaction,
 * be rebuilt from the journal at any time, and be tested with given events and an expected read model.
 *
 * @typeParam D - a doc: plain, structured-cloneable data
 * @typeParam E - the events it reads
 */
export interface Projection<D = unknown, E = any> {
  /** The read model's name, unique in the database. */
  readonly name: string;
  /**
   * `inline` (the default): updated in the transaction that stores the events, so the read model never disagrees
   * with the journal, and a projection that throws fails the command. `catch-up`: updated by the runtime after the
   * events are stored, following the global position, so a slow or failing projection never holds up a command.
   * Either kind catches up from its checkpoint when it is new or behind.
   */
  readonly mode?: 'inline' | 'catch-up';
  /** The entity types whose events it reads. Default: all. */
  readonly entityTypes?: readonly string[];
  /** The id of the doc an event changes, or `undefined` to skip the event. Must not depend on the position. */
  documentId(event: ProjectionEvent<E>): string | undefined;
  /** The doc after the event (`undefined` when it had none); return `undefined` to delete it. */
  evolve(doc: D | undefined, event: ProjectionEvent<E>): D | undefined;
}

/** Any projection; `any` so that projections of every doc and event type fit. */
export type AnyProjection = Projection<any, any>;

/** Identity helper that infers the doc and event types of a projection. */
export function defineProjection<D, E = any>(projection: Projection<D, E>): Projection<D, E> {
  return projection;
}

/** How far a projection has read the journal. */
export interface Checkpoint {
  /** The global position of the last event applied to the read model; 0 before the first. */
  readonly position: number;
  /** Set while the read model is rebuilt from scratch: it is incomplete until the rebuild reaches `total`. */
  readonly rebuilding?: { readonly total: number };
}

/** A doc (one record) of a read model, with its id. */
export interface ReadModelDocument<D = unknown> {
  readonly id: string;
  readonly doc: D;
}

/** Which documents of a read model to read: by ids, or every id starting with `prefix`, up to `limit`. */
export interface DocumentQuery {
  readonly ids?: readonly string[];
  readonly prefix?: string;
  readonly limit?: number;
}

/** What a read of a read model returns: the documents, and the checkpoint they reflect, read together. */
export interface ReadModelView<D = unknown> {
  readonly checkpoint: Checkpoint | undefined;
  readonly documents: ReadModelDocument<D>[];
}

/** Docs that a projection changed: a new value, or `undefined` for a deleted doc. */
export type DocumentChanges = Map<string, unknown>;

/** Checks a projection's shape; throws an `InvalidArgumentError` naming what is wrong. */
export function validateProjection(projection: AnyProjection): void {
  if (typeof projection !== 'object' || projection === null) {
    throw new InvalidArgumentError(`A projection must be an object, got ${describe(projection)}`, 'projections');
  }
  assertName(projection.name, 'projection.name');
  if (projection.mode !== undefined && projection.mode !== 'inline' && projection.mode !== 'catch-up') {
    throw new InvalidArgumentError(`projection "${projection.name}" has mode ${describe(projection.mode)}`, 'projections');
  }
  if (typeof projection.documentId !== 'function' || typeof projection.evolve !== 'function') {
    throw new InvalidArgumentError(`projection "${projection.name}" needs documentId and evolve functions`, 'projections');
  }
}

/** Checks a read-model query. */
export function validateQuery(query: DocumentQuery): void {
  if (typeof query !== 'object' || query === null) {
    throw new InvalidArgumentError(`A query must be an object, got ${describe(query)}`, 'query');
  }
  if (query.ids !== undefined) {
    if (!Array.isArray(query.ids)) throw new InvalidArgumentError(`query.ids must be an array, got ${describe(query.ids)}`, 'query');
    query.ids.forEach((id, i) => assertName(id, `query.ids[${i}]`));
  }
  if (query.prefix !== undefined && typeof query.prefix !== 'string') {
    throw new InvalidArgumentError(`query.prefix must be a string, got ${describe(query.prefix)}`, 'query');
  }
  if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 1)) {
    throw new InvalidArgumentError(`query.limit must be a positive integer, got ${describe(query.limit)}`, 'query');
  }
}

/** A checkpoint moved to `position`: a rebuild is over once it reaches the head it started from. */
export function checkpointAt(previous: Checkpoint | undefined, position: number): Checkpoint {
  const rebuilding = previous?.rebuilding;
  return rebuilding && position < rebuilding.total ? { position, rebuilding } : { position };
}

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

/** Whether a projection reads the events of a stream. */
export function projects(projection: AnyProjection, streamId: string): boolean {
  const types = projection.entityTypes;
  return types === undefined || types.some((type) => streamId.startsWith(`${type}:`));
}

/** The ids of the documents that `events` change, so that a journal can read them before `project` runs. */
export function documentIdsOf(projection: AnyProjection, events: readonly ProjectionEvent[]): string[] {
  const ids = new Set<string>();
  for (const event of events) {
    if (!projects(projection, event.streamId)) continue;
    const id = callProjection(projection, 'documentId', () => projection.documentId(event));
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

/**
 * Applies events to documents: `read` gives a doc's current value, and the result holds every doc that
 * changed. Throws a `HandlerError` when the projection throws or makes a doc that cannot be stored.
 */
export function project(
  projection: AnyProjection,
  events: readonly ProjectionEvent[],
  read: (id: string) => unknown,
  changes: DocumentChanges = new Map(),
): DocumentChanges {
  for (const event of events) {
    if (!projects(projection, event.streamId)) continue;
    const id = callProjection(projection, 'documentId', () => projection.documentId(event));
    if (id === undefined) continue;
    const current = changes.has(id) ? changes.get(id) : read(id);
    const next = callProjection(projection, 'evolve', () => {
      const doc = projection.evolve(current, event);
      assertCloneable(doc, `doc "${id}"`);
      return doc;
    });
    changes.set(id, next);
  }
  return changes;
}

function callProjection<T>(projection: AnyProjection, what: string, call: () => T): T {
  try {
    const result = call();
    if (what === 'documentId' && result !== undefined && (typeof result !== 'string' || result === '')) {
      throw new TypeError(`documentId must return a non-empty string or undefined, got ${describe(result)}`);
    }
    return result;
  } catch (cause) {
    throw new HandlerError(projection.name, 'project', cause);
  }
}
