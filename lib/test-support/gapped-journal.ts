import type {
  AnyDefinedProjection,
  AppendOptions,
  AppendOutcome,
  Checkpoint,
  DocumentQuery,
  EventJournal,
  IdempotencyRecord,
  PersistedEvent,
  ProjectionEvent,
  ReadModelView,
  Snapshot,
  StreamOf,
  StreamWrite,
} from 'eventfold';

/**
 * A journal whose global positions have gaps, as a PostgreSQL sequence leaves them: it wraps a journal whose
 * positions are 1, 2, 3… (the in-memory one) and shows each position `p` as `3p + 1` (4, 7, 10…; 0, "before the
 * first event", stays 0), on the way out (outcomes, events, checkpoints, rebuild totals) and back on the way in
 * (`loadAfter`'s and `projectEvents`' positions). The positions stay unique and in commit order, which is all the
 * port promises, so the contract suites must pass on it: a case that assumed contiguous positions, or positions
 * starting at 1, fails here.
 */
export class GappedJournal implements EventJournal {
  readonly kind;
  /** The projections given, each with a copy that shows its events' positions gapped. */
  readonly #projections = new WeakMap<object, AnyDefinedProjection>();

  constructor(readonly inner: EventJournal) {
    this.kind = inner.kind;
  }

  async append(writes: readonly StreamWrite[], options?: AppendOptions): Promise<AppendOutcome[]> {
    const projections = options?.projections?.map((projection) => this.#projection(projection));
    const outcomes = await this.inner.append(writes, projections ? { ...options, projections } : options);
    return outcomes.map((outcome) => {
      if ('error' in outcome) return outcome;
      const { positions, projected } = outcome;
      const shown = { ...outcome, positions: positions.map(gapped) };
      return projected ? { ...shown, projected: new Map([...projected].map(([name, checkpoint]) => [name, gappedCheckpoint(checkpoint)])) } : shown;
    });
  }

  async load(streamId: string, fromSequenceNr?: number, toSequenceNr?: number): Promise<PersistedEvent[]> {
    return (await this.inner.load(streamId, fromSequenceNr, toSequenceNr)).map(gappedEvent);
  }

  async loadAfter(afterPosition: number, limit: number): Promise<(PersistedEvent & StreamOf)[]> {
    return (await this.inner.loadAfter(atOrBelow(afterPosition), limit)).map(gappedEvent);
  }

  highestSequenceNr(streamId: string): Promise<number> {
    return this.inner.highestSequenceNr(streamId);
  }

  streamIds(prefix?: string): Promise<string[]> {
    return this.inner.streamIds(prefix);
  }

  loadSnapshot(streamId: string, maxSequenceNr?: number): Promise<Snapshot | undefined> {
    return this.inner.loadSnapshot(streamId, maxSequenceNr);
  }

  listSnapshots(streamId: string): Promise<number[]> {
    return this.inner.listSnapshots(streamId);
  }

  findIdempotencyRecord(streamId: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.inner.findIdempotencyRecord(streamId, key);
  }

  projectEvents(projection: AnyDefinedProjection, events: readonly ProjectionEvent[], afterPosition: number): Promise<boolean> {
    const inner = events.map((event) => ({ ...event, position: contiguous(event.position) }));
    return this.inner.projectEvents(this.#projection(projection), inner, contiguous(afterPosition));
  }

  async loadCheckpoint(projection: string): Promise<Checkpoint | undefined> {
    const checkpoint = await this.inner.loadCheckpoint(projection);
    return checkpoint && gappedCheckpoint(checkpoint);
  }

  async readModel(projection: string, query?: DocumentQuery): Promise<ReadModelView> {
    const view = await this.inner.readModel(projection, query);
    return { ...view, checkpoint: view.checkpoint && gappedCheckpoint(view.checkpoint) };
  }

  async resetProjection(projection: string): Promise<number> {
    return gapped(await this.inner.resetProjection(projection));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * A copy of a defined projection whose functions see the positions this journal shows (the inner journal hands
   * them its own); anything else as it is, for the inner journal to refuse.
   */
  #projection(projection: AnyDefinedProjection): AnyDefinedProjection {
    if (typeof projection !== 'object' || projection === null) return projection;
    let shown = this.#projections.get(projection);
    if (!shown) {
      shown = {
        ...projection,
        documentId: (event) => projection.documentId(gappedEvent(event)),
        evolve: (doc, event) => projection.evolve(doc, gappedEvent(event)),
      };
      this.#projections.set(projection, shown);
    }
    return shown;
  }
}

/** The position shown for the inner journal's `position`. */
function gapped(position: number): number {
  return position === 0 ? 0 : 3 * position + 1;
}

/** The inner journal's position shown as `position`; for a number never shown, one no checkpoint is at. */
function contiguous(position: number): number {
  if (!Number.isSafeInteger(position) || position < 0) return position; // for the inner journal to refuse
  if (position === 0) return 0;
  return (position - 1) % 3 === 0 ? (position - 1) / 3 : Number.MAX_SAFE_INTEGER;
}

/** The inner journal's highest position shown at or below `position`: where reading after `position` resumes. */
function atOrBelow(position: number): number {
  if (!Number.isSafeInteger(position) || position < 0) return position; // for the inner journal to refuse
  return position === 0 ? 0 : Math.floor((position - 1) / 3);
}

function gappedEvent<T extends PersistedEvent>(event: T): T {
  return { ...event, position: gapped(event.position) };
}

function gappedCheckpoint({ position, rebuilding }: Checkpoint): Checkpoint {
  return rebuilding
    ? { position: gapped(position), rebuilding: { position: gapped(rebuilding.position), total: gapped(rebuilding.total) } }
    : { position: gapped(position) };
}
