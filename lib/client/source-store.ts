import { type ListenerErrorHandler, reportToConsole, tellEach } from './listeners.ts';

/**
 * An external store (`subscribe` / `getSnapshot`, the shape `useSyncExternalStore` expects) fed by a source that
 * runs only while the store has subscribers: `start` is called on the first subscription with a setter, and the
 * function it returns on the last unsubscription. The snapshot survives in between.
 */
export class SourceStore<T> {
  #snapshot: T;
  readonly #listeners = new Set<() => void>();
  #stop: (() => void) | undefined;

  constructor(
    initial: T,
    private readonly start: (set: (next: T | ((previous: T) => T)) => void) => () => void,
    /** Hears what a listener threw; the other listeners are told all the same. */
    private readonly report: ListenerErrorHandler = reportToConsole,
  ) {
    this.#snapshot = initial;
  }

  /** The current snapshot; the same object until it changes. */
  readonly getSnapshot = (): T => this.#snapshot;

  /** How many listeners are subscribed. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Calls `onChange` after each change of the snapshot; returns the function that unsubscribes. */
  readonly subscribe = (onChange: () => void): (() => void) => {
    this.#listeners.add(onChange);
    this.#stop ??= this.start((next) => this.#set(next));
    return () => {
      this.#listeners.delete(onChange);
      if (this.#listeners.size === 0) {
        this.#stop?.();
        this.#stop = undefined;
      }
    };
  };

  #set(next: T | ((previous: T) => T)): void {
    this.#snapshot = typeof next === 'function' ? (next as (previous: T) => T)(this.#snapshot) : next;
    tellEach(this.#listeners, this.report);
  }
}
