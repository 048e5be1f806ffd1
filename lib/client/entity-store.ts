import type { EntityChange } from '../core/index.ts';
import type { ListenerErrorHandler } from './listeners.ts';
import { SourceStore } from './source-store.ts';

/** An entity's live state once loaded, or why it could not be loaded. */
export type EntitySnapshot<S> =
  | {
      /** Not loaded yet. */
      readonly status: 'loading';
    }
  | {
      /** Loaded, and following the entity's changes. */
      readonly status: 'ready';
      /** The entity's state. */
      readonly state: S;
      /** The sequence number of the last event in the state. */
      readonly sequenceNr: number;
    }
  | {
      /** The entity could not be loaded or followed. */
      readonly status: 'error';
      /** Why, as the worker sent it (an eventfold error keeps its class and fields). */
      readonly error: unknown;
    };

/** The ids of the entities of a type, kept up to date as entities appear in any tab. */
export type EntityIdsSnapshot =
  | {
      /** Not listed yet. */
      readonly status: 'loading';
    }
  | {
      /** Listed, and following new entities. */
      readonly status: 'ready';
      /** The ids, in ascending order. */
      readonly ids: readonly string[];
    }
  | {
      /** The ids could not be listed or followed. */
      readonly status: 'error';
      /** Why, as the worker sent it (an eventfold error keeps its class and fields). */
      readonly error: unknown;
    };

/**
 * Follows a value (an entity's changes, a type's ids): `listener` hears each new value, `onError` why there is
 * none; returns the function that stops.
 */
export type Subscribe<T> = (listener: (value: T) => void, onError: (error: unknown) => void) => () => void;

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
