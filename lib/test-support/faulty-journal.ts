import type {
  AnyDefinedProjection,
  DocumentQuery,
  EventJournal,
  NewEvent,
  PersistOptions,
  PersistOutcome,
  ProjectionEvent,
  Snapshot,
  StreamWrite,
} from 'eventfold';

type Method = 'persist' | 'load' | 'loadSnapshot' | 'projectEvents';

/**
 * Fault injection around a real journal: the next call of a chosen method fails with a given error, as a full
 * disk or a dropped connection would make it fail, and every other call goes through to the real journal.
 * `persist` faults apply to every write: `persist`, `persistMany` and `saveSnapshot`.
 */
export class FaultyJournal implements EventJournal {
  readonly kind;
  readonly #faults = new Map<Method, unknown>();
  /** The errors writes failed with, injected or real, conflicts included. */
  readonly writeFailures: unknown[] = [];
  /** The ranges `load` was called with. */
  readonly loads: Array<[from: number | undefined, to: number | undefined]> = [];
  /** How many times `persistMany` was called. */
  persistManyCalls = 0;
  /** Delays every write until this promise settles, when set. */
  writeGate: Promise<void> | undefined;
  /** Delays every `load` until this promise settles, when set. */
  loadGate: Promise<void> | undefined;
  /** Delays every `projectEvents` (catching up, rebuilding) until this promise settles, when set. */
  projectGate: Promise<void> | undefined;

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

  async #write<T>(write: () => Promise<T>): Promise<T> {
    await this.writeGate;
    try {
      this.#fault('persist');
      return await write();
    } catch (error) {
      this.writeFailures.push(error);
      throw error;
    }
  }

  persist(entityId: string, events: readonly NewEvent[]) {
    return this.#write(() => this.inner.persist(entityId, events));
  }
  async persistMany(writes: readonly StreamWrite[], options?: PersistOptions): Promise<PersistOutcome[]> {
    this.persistManyCalls++;
    const outcomes = await this.#write(() => this.inner.persistMany(writes, options));
    for (const outcome of outcomes) if ('error' in outcome) this.writeFailures.push(outcome.error);
    return outcomes;
  }
  saveSnapshot(entityId: string, snapshot: Snapshot) {
    return this.#write(() => this.inner.saveSnapshot(entityId, snapshot));
  }
  async load(entityId: string, from?: number, to?: number) {
    this.loads.push([from, to]);
    await this.loadGate;
    this.#fault('load');
    return this.inner.load(entityId, from, to);
  }
  loadAfter(position: number, limit: number) {
    return this.inner.loadAfter(position, limit);
  }
  highestPosition() {
    return this.inner.highestPosition();
  }
  findIdempotencyRecord(entityId: string, key: string) {
    return this.inner.findIdempotencyRecord(entityId, key);
  }
  async projectEvents(projection: AnyDefinedProjection, events: readonly ProjectionEvent[], after: number) {
    await this.projectGate;
    this.#fault('projectEvents');
    return this.inner.projectEvents(projection, events, after);
  }
  loadCheckpoint(projection: string) {
    return this.inner.loadCheckpoint(projection);
  }
  readModel(projection: string, query?: DocumentQuery) {
    return this.inner.readModel(projection, query);
  }
  resetProjection(projection: string) {
    return this.inner.resetProjection(projection);
  }
  highestSequenceNr(entityId: string) {
    return this.inner.highestSequenceNr(entityId);
  }
  entityIds(prefix?: string) {
    return this.inner.entityIds(prefix);
  }
  async loadSnapshot(entityId: string, max?: number) {
    this.#fault('loadSnapshot');
    return this.inner.loadSnapshot(entityId, max);
  }
  listSnapshots(entityId: string) {
    return this.inner.listSnapshots(entityId);
  }
  close() {
    return this.inner.close();
  }
}
