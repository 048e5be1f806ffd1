import { type ListenerErrorHandler, reportToConsole, tellEach } from './listeners.ts';

/** Options of a shared subscription. */
export interface SharedSubscriptionOptions<V> {
  /** What a listener that joins late receives of the latest value. Default: the value itself. */
  replay?: (latest: V) => V;
  /** Hears what a listener threw; the other listeners hear the value all the same. Default: the console. */
  report?: ListenerErrorHandler;
}

/**
 * One subscription to the worker shared by every listener on the page that wants the same thing: it is started
 * once, keeps the latest value for listeners that join later, and is stopped when the last listener leaves.
 */
export class SharedSubscription<V> {
  #latest: V | undefined;
  readonly #listeners = new Set<(value: V) => void>();
  readonly #onErrors = new Set<(error: unknown) => void>();
  readonly #replay: (latest: V) => V;
  readonly #report: ListenerErrorHandler;

  constructor(
    /** Called when the last listener leaves. */
    private readonly stop: () => void,
    { replay = (latest) => latest, report = reportToConsole }: SharedSubscriptionOptions<V> = {},
  ) {
    this.#replay = replay;
    this.#report = report;
  }

  /** The latest value published, if any. */
  get latest(): V | undefined {
    return this.#latest;
  }

  /** How many listeners have joined and not left. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Adds a listener, which hears the latest value (in a microtask) if there is one; returns how to leave. */
  join(listener: (value: V) => void, onError?: (error: unknown) => void): () => void {
    this.#listeners.add(listener);
    if (onError) this.#onErrors.add(onError);
    if (this.#latest !== undefined) {
      const latest = this.#replay(this.#latest);
      queueMicrotask(() => this.#listeners.has(listener) && tellEach([listener], this.#report, latest));
    }
    return () => {
      // Leaving twice must not stop a subscription that others may have started since.
      if (!this.#listeners.delete(listener)) return;
      if (onError) this.#onErrors.delete(onError);
      if (this.#listeners.size === 0) this.stop();
    };
  }

  /** Keeps `value` as the latest and tells every listener `told` (the value itself unless given). */
  publish(value: V, told: V = value): void {
    this.#latest = value;
    tellEach(this.#listeners, this.#report, told);
  }

  /** Forgets the latest value: what is published next is taken as a first view. */
  reset(): void {
    this.#latest = undefined;
  }

  /** Tells every listener's error handler why the subscription failed. */
  fail(error: unknown): void {
    tellEach(this.#onErrors, this.#report, error);
  }
}
