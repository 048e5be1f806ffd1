import type { EventJournal, PersistedEvent, Snapshot } from 'eventfold';

type Method = 'persist' | 'load' | 'saveSnapshot' | 'loadSnapshot';

/**
 * Fault injection around a real journal: the next call of a chosen method fails with a given error, as a full
 * disk or a dropped connection would make it fail, and every other call goes through to the real journal.
 */
export class FaultyJournal implements EventJournal {
  readonly kind;
  readonly #faults = new Map<Method, unknown>();
  /** The errors `persist` rejected with, injected or real. */
  readonly persistFailures: unknown[] = [];
  /** Delays every `load` until this promise settles, when set. */
  loadGate: Promise<void> | undefined;

  constructor(readonly inner: EventJournal) {
    this.kind = inner.kind;
  }

  /** Makes the next call of `method` reject with `error`. */
  failNext(method: Method, error: unknown): void {
    this.#faults.set(method, error);
  }

  #fault(method: Method): void {
    if (!this.#faults.has(method)) return;
    const error = this.#faults.get(method);
    this.#faults.delete(method);
    throw error;
  }

  async persist(entityId: string, events: readonly PersistedEvent[]) {
    try {
      this.#fault('persist');
      return await this.inner.persist(entityId, events);
    } catch (error) {
      this.persistFailures.push(error);
      throw error;
    }
  }
  async load(entityId: string, from?: number, to?: number) {
    await this.loadGate;
    this.#fault('load');
    return this.inner.load(entityId, from, to);
  }
  highestSequenceNr(entityId: string) {
    return this.inner.highestSequenceNr(entityId);
  }
  async saveSnapshot(entityId: string, snapshot: Snapshot) {
    this.#fault('saveSnapshot');
    return this.inner.saveSnapshot(entityId, snapshot);
  }
  async loadSnapshot(entityId: string, max?: number) {
    this.#fault('loadSnapshot');
    return this.inner.loadSnapshot(entityId, max);
  }
  close() {
    return this.inner.close();
  }
}
