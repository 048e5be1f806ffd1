import type { EntityChange } from '../core/index.ts';
import type { ListenerErrorHandler } from './listeners.ts';
import { SourceStore } from './source-store.ts';

/** An entity's live state once loaded, or why it could not be loaded. */
export type EntitySnapshot<S> =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly state: S; readonly sequenceNr: number }
  | { readonly status: 'error'; readonly error: unknown };

/** The ids of the entities of a type, kept up to date as entities appear in any tab. */
export type EntityIdsSnapshot =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly ids: readonly string[] }
  | { readonly status: 'error'; readonly error: unknown };

type Subscribe<T> = (listener: (value: T) => void, onError: (error: unknown) => void) => () => void;

/** A store of an entity's live state; see `Client.entity`. */
export function entityStore<S>(
  subscribe: Subscribe<EntityChange<S, unknown>>,
  report?: ListenerErrorHandler,
): SourceStore<EntitySnapshot<S>> {
  return new SourceStore<EntitySnapshot<S>>(
    { status: 'loading' },
    (set) =>
      subscribe(
        ({ state, sequenceNr }) => set({ status: 'ready', state, sequenceNr }),
        (error) => set({ status: 'error', error }),
      ),
    report,
  );
}

/** A store of the ids of a type's entities; see `Client.entityIdsStore`. */
export function entityIdsStore(subscribe: Subscribe<readonly string[]>, report?: ListenerErrorHandler): SourceStore<EntityIdsSnapshot> {
  return new SourceStore<EntityIdsSnapshot>(
    { status: 'loading' },
    (set) =>
      subscribe(
        (ids) => set({ status: 'ready', ids }),
        (error) => set({ status: 'error', error }),
      ),
    report,
  );
}
