/**
 * One subscription to the worker shared by every listener on the page that wants the same thing: it is started
 * once, keeps the latest value for listeners that join later, and is stopped when the last listener leaves.
 */
export class SharedSubscription<V> {
  #latest: V | undefined;
  readonly #listeners = new Set<(value: V) => void>();
  readonly #onErrors = new Set<(error: unknown) => void>();

  constructor(
    /** Called when the last listener leaves. */
    private readonly stop: () => void,
    /** What a listener that joins late receives of the latest value. */
    private readonly replay: (latest: V) => V = (latest) => latest,
  ) {}

  /** The latest value published, if any. */
  get latest(): V | undefined {
    return this.#latest;
  }

  /** Adds a listener, which hears the latest value (in a microtask) if there is one; returns how to leave. */
  join(listener: (value: V) => void, onError?: (error: unknown) => void): () => void {
    this.#listeners.add(listener);
    if (onError) this.#onErrors.add(onError);
    if (this.#latest !== undefined) {
      const latest = this.replay(this.#latest);
      queueMicrotask(() => this.#listeners.has(listener) && listener(latest));
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
    for (const listener of this.#listeners) listener(told);
  }

  /** Tells every listener's error handler why the subscription failed. */
  fail(error: unknown): void {
    for (const onError of this.#onErrors) onError(error);
  }
}
