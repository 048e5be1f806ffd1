import type { EntityChange } from '../core/index.ts';

/** What an `EntityStore` holds: the entity's live state once loaded, or why it could not be loaded. */
export type EntitySnapshot<S> =
  | { readonly status: 'loading' }
  | { readonly status: 'ready'; readonly state: S; readonly sequenceNr: number }
  | { readonly status: 'error'; readonly error: unknown };

type Source<S> = (listener: (change: EntityChange<S, unknown>) => void, onError: (error: unknown) => void) => () => void;

const LOADING: EntitySnapshot<never> = { status: 'loading' };

/**
 * An entity's live state as an external store (`subscribe` / `getSnapshot`, the shape `useSyncExternalStore`
 * expects). It watches the entity while it has subscribers, and keeps the last snapshot otherwise.
 */
export class EntityStore<S> {
  #snapshot: EntitySnapshot<S> = LOADING;
  readonly #listeners = new Set<() => void>();
  #stop: (() => void) | undefined;

  constructor(private readonly source: Source<S>) {}

  /** The current snapshot; the same object until the entity changes. */
  readonly getSnapshot = (): EntitySnapshot<S> => this.#snapshot;

  /** Calls `onChange` after each change of the snapshot; returns the function that unsubscribes. */
  readonly subscribe = (onChange: () => void): (() => void) => {
    this.#listeners.add(onChange);
    this.#stop ??= this.source(
      ({ state, sequenceNr }) => this.#set({ status: 'ready', state, sequenceNr }),
      (error) => this.#set({ status: 'error', error }),
    );
    return () => {
      this.#listeners.delete(onChange);
      if (this.#listeners.size === 0) {
        this.#stop?.();
        this.#stop = undefined;
      }
    };
  };

  #set(snapshot: EntitySnapshot<S>): void {
    this.#snapshot = snapshot;
    for (const listener of this.#listeners) listener();
  }
}
