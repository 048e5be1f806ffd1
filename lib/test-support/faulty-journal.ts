import type {
  AnyDefinedProjection,
  DocumentQuery,
  EntityLock,
  EventJournal,
  AppendOptions,
  AppendOutcome,
  ProjectionEvent,
  StreamWrite,
} from 'eventfold';

type Method = 'append' | 'load' | 'loadSnapshot' | 'projectEvents';

/**
 * Fault injection around a real journal: the next call of a chosen method fails with a given error, as a full
 * disk or a dropped connection would make it fail, and every other call goes through to the real journal.
 * `append` faults apply to every write (`persist` and `saveSnapshot` are `append`s).
 */
export class FaultyJournal implements EventJournal {
  readonly kind;
  readonly #faults = new Map<Method, unknown>();
  /** The errors writes failed with, injected or real, conflicts included. */
  readonly writeFailures: unknown[] = [];
  /** The ranges `load` was called with. */
  readonly loads: Array<[from: number | undefined, to: number | undefined]> = [];
  /** How many times `append` was called. */
  appendCalls = 0;
  /** Delays every write until this promise settles, when set. */
  writeGate: Promise<void> | undefined;
  /** Delays every `load` until this promise settles, when set. */
  loadGate: Promise<void> | undefined;
  /** Delays every `projectEvents` (catching up, rebuilding) until this promise settles, when set. */
  projectGate: Promise<void> | undefined;

  /** The journal's entity lock: the inner journal's, unless a test sets another. */
  lock: EntityLock | undefined;

  constructor(readonly inner: EventJournal) {
    this.kind = inner.kind;
    this.lock = inner.lock;
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
      this.#fault('append');
      return await write();
    } catch (error) {
      this.writeFailures.push(error);
      throw error;
    }
  }

  async append(writes: readonly StreamWrite[], options?: AppendOptions): Promise<AppendOutcome[]> {
    this.appendCalls++;
    const outcomes = await this.#write(() => this.inner.append(writes, options));
    for (const outcome of outcomes) if ('error' in outcome) this.writeFailures.push(outcome.error);
    return outcomes;
  }
  async load(streamId: string, from?: number, to?: number) {
    this.loads.push([from, to]);
    await this.loadGate;
    this.#fault('load');
    return this.inner.load(streamId, from, to);
  }
  loadAfter(position: number, limit: number) {
    return this.inner.loadAfter(position, limit);
  }
  findIdempotencyRecord(streamId: string, key: string) {
    return this.inner.findIdempotencyRecord(streamId, key);
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
  highestSequenceNr(streamId: string) {
    return this.inner.highestSequenceNr(streamId);
  }
  streamIds(prefix?: string) {
    return this.inner.streamIds(prefix);
  }
  async loadSnapshot(streamId: string, max?: number) {
    this.#fault('loadSnapshot');
    return this.inner.loadSnapshot(streamId, max);
  }
  listSnapshots(streamId: string) {
    return this.inner.listSnapshots(streamId);
  }
  close() {
    return this.inner.close();
  }
}
