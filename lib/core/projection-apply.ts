import { HandlerError } from './errors.ts';
import type { AnyProjection, DocumentChanges, ProjectionEvent } from './projection.ts';
import { assertCloneable, describe, isName, MAX_ENTITY_ID_LENGTH } from './validation.ts';

// structuredClone exists in every runtime eventfold supports, but is declared by the DOM and Node typings only.
const { structuredClone } = globalThis as unknown as { structuredClone<T>(value: T): T };

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
    const id = callProjection(projection, event, 'documentId', () => projection.documentId(event));
    if (id !== undefined) ids.add(id);
  }
  return [...ids];
}

/**
 * Applies events to documents: `read` gives a doc's current value, and the result holds every doc that
 * changed. Throws a `HandlerError` when the projection throws or makes a doc that cannot be stored.
 *
 * `evolve` is given a copy of what `read` returns, never the object itself, so a projection that changes the doc
 * it is given in place (`doc.count++; return doc`) cannot alter a stored value, an earlier write's result, or a
 * value that is read again when a write is planned a second time: it folds exactly as its pure equivalent.
 */
export function project(
  projection: AnyProjection,
  events: readonly ProjectionEvent[],
  read: (id: string) => unknown,
  changes: DocumentChanges = new Map(),
): DocumentChanges {
  for (const event of events) {
    if (!projects(projection, event.streamId)) continue;
    const id = callProjection(projection, event, 'documentId', () => projection.documentId(event));
    if (id === undefined) continue;
    const current = changes.has(id) ? changes.get(id) : structuredClone(read(id));
    const next = callProjection(projection, event, 'evolve', () => {
      const doc = projection.evolve(current, event);
      assertCloneable(doc, `doc "${id}"`);
      return doc;
    });
    changes.set(id, next);
  }
  return changes;
}

function callProjection<T>(projection: AnyProjection, event: ProjectionEvent, what: string, call: () => T): T {
  try {
    const result = call();
    if (what === 'documentId' && result !== undefined && !isName(result)) {
      throw new TypeError(
        `documentId must return undefined or a non-empty string of at most ${MAX_ENTITY_ID_LENGTH} characters, without U+0000 or lone surrogates, got ${describe(result)}`,
      );
    }
    return result;
  } catch (cause) {
    throw new HandlerError(event.streamId, 'project', cause, { projection: projection.name });
  }
}
