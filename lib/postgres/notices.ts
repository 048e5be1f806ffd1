import type { SqlPort } from './sql-port.ts';
import { typedError } from './sql-errors.ts';

/** Called when a journal changed; a wake-up only: read from your own position to learn what changed. */
export type ChangeListener = () => void | Promise<void>;

/**
 * The change notices of one database: one `LISTEN` on the schema's channel, started with the first watcher, whose
 * notices (payload: the journal's id) wake that journal's watchers only. After the listening connection was lost and
 * listens again, every watcher is woken, since notices may have been missed meanwhile. A listener that throws or
 * rejects is reported to `onError`, never to the caller of the write, and never as an unhandled rejection.
 *
 * @internal
 */
export class NoticeHub {
  readonly #listeners = new Map<string, Set<ChangeListener>>();
  #listening: Promise<() => Promise<void>> | undefined;

  constructor(
    readonly port: SqlPort,
    readonly channel: string,
    readonly onError: (error: unknown) => void,
  ) {}

  /** Adds a watcher of `journalId`; resolves, once notices are listened to, with the function that removes it. */
  async watch(journalId: string, listener: ChangeListener): Promise<() => void> {
    const listeners = this.#listeners.get(journalId) ?? new Set();
    this.#listeners.set(journalId, listeners);
    // A function of its own per call, so that one listener watched twice is removed once per unsubscribe.
    const entry: ChangeListener = () => listener();
    listeners.add(entry);
    const remove = () => {
      listeners.delete(entry);
      if (listeners.size === 0 && this.#listeners.get(journalId) === listeners) this.#listeners.delete(journalId);
    };
    this.#listening ??= this.port.listen(this.channel, (payload) => this.#wake(payload), () => this.#wakeAll());
    try {
      await this.#listening;
    } catch (error) {
      this.#listening = undefined;
      remove();
      throw typedError('listening for changes', error);
    }
    return remove;
  }

  /** Stops listening and forgets every watcher. */
  async close(): Promise<void> {
    const listening = this.#listening;
    this.#listening = undefined;
    this.#listeners.clear();
    const stop = await listening?.catch(() => undefined);
    await stop?.().catch(() => {});
  }

  #wake(journalId: string): void {
    for (const listener of [...(this.#listeners.get(journalId) ?? [])]) this.#call(listener);
  }

  #wakeAll(): void {
    for (const listeners of [...this.#listeners.values()]) for (const listener of [...listeners]) this.#call(listener);
  }

  #call(listener: ChangeListener): void {
    try {
      const result = listener();
      if (result && typeof result.then === 'function') result.then(undefined, (error: unknown) => this.#report(error));
    } catch (error) {
      this.#report(error);
    }
  }

  #report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  }
}
