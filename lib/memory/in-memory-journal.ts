import { ClosedError } from '../core/errors.ts';
import { keptSnapshots } from '../core/snapshot-retention.ts';
import {
  DEFAULT_SNAPSHOTS_KEPT,
  type EventJournal,
  type IdempotencyRecord,
  type PersistedEvent,
  type AppendOptions,
  type AppendOutcome,
  type Snapshot,
  type StreamOf,
  type StreamWrite,
} from '../core/journal.ts';
import {
  type AnyDefinedProjection,
  buildingAt,
  builtTo,
  type Checkpoint,
  type DocumentChanges,
  type DocumentQuery,
  type ProjectionEvent,
  project,
  type ReadModelView,
  rebuildFrom,
  servedAt,
  validateProjection,
  validateQuery,
} from '../core/projection.ts';
import { assertName, assertStreamId, assertRange, assertSequenceNr } from '../core/validation.ts';
import { streamIdsOf, isLive, planProjectedWrites, validateWrites } from '../core/write-plan.ts';

// structuredClone exists in every runtime eventfold supports, but is declared by the DOM and Node typings only.
const { structuredClone } = globalThis as unknown as { structuredClone<T>(value: T): T };

/** Options of `InMemoryJournal`. */
export interface InMemoryJournalOptions {
  /**
   * The most snapshots kept per entity; beyond it they are thinned to even spacing over the history, the newest kept
   * (see `keptSnapshots`). Default `DEFAULT_SNAPSHOTS_KEPT` (2,000).
   */
  snapshotsKept?: number;
}

type Stored = PersistedEvent & StreamOf;

/**
 * A journal held in memory, for tests and prototypes: it keeps every promise of the `EventJournal` contract
 * (atomic, contiguous, cloned on the way in and out) and loses everything when the page goes.
 */
export class InMemoryJournal implements EventJournal {
  readonly kind = 'local';
  readonly #streams = new Map<string, Stored[]>();
  /** Every event, in order of global position. */
  readonly #log: Stored[] = [];
  readonly #snapshots = new Map<string, Snapshot[]>();
  readonly #keys = new Map<string, IdempotencyRecord>();
  /** Read models: the served documents by id, by projection name. */
  readonly #documents = new Map<string, Map<string, unknown>>();
  /** The shadow copies of read models being rebuilt, by projection name. */
  readonly #shadows = new Map<string, Map<string, unknown>>();
  readonly #checkpoints = new Map<string, Checkpoint>();
  readonly #snapshotsKept: number;
  #closed = false;

  constructor({ snapshotsKept = DEFAULT_SNAPSHOTS_KEPT }: InMemoryJournalOptions = {}) {
    assertSequenceNr(snapshotsKept, 'snapshotsKept');
    this.#snapshotsKept = snapshotsKept;
  }

  async append(writes: readonly StreamWrite[], { projections = [] }: AppendOptions = {}): Promise<AppendOutcome[]> {
    this.#assertOpen();
    validateWrites(writes);
    projections.forEach(validateProjection);
    const position = this.#log.length;
    const live = projections.filter((projection) => isLive(this.#checkpoints.get(projection.name), position));
    const plan = planProjectedWrites(
      writes,
      {
        heads: new Map(streamIdsOf(writes).map((id) => [id, this.#streams.get(id)?.length ?? 0])),
        position,
        keyTaken: (streamId, key) => this.#keys.has(keyOf(streamId, key)),
      },
      live,
      (projection, id) => this.#documents.get(projection)?.get(id),
    );
    const { outcomes, accepted } = plan;
    const projected = new Map<string, Checkpoint>();
    for (const [name, changes] of plan.documents) {
      if (plan.position === undefined) continue;
      this.#put(this.#documents, name, changes);
      const checkpoint = servedAt(this.#checkpoints.get(name), plan.position);
      this.#checkpoints.set(name, checkpoint);
      projected.set(name, checkpoint);
    }
    for (const { streamId, events, snapshot, idempotency, positions } of structuredClone(accepted)) {
      const stream = this.#streams.get(streamId) ?? [];
      events.forEach((event, i) => {
        const stored = { ...event, position: positions[i]!, streamId };
        stream.push(stored);
        this.#log.push(stored);
      });
      this.#streams.set(streamId, stream);
      if (snapshot) this.#keepSnapshot(streamId, snapshot);
      for (const record of idempotency ?? []) this.#keys.set(keyOf(streamId, record.key), record);
    }
    return projected.size > 0 ? outcomes.map((outcome) => ('positions' in outcome ? { ...outcome, projected } : outcome)) : outcomes;
  }

  async load(streamId: string, fromSequenceNr = 1, toSequenceNr?: number): Promise<PersistedEvent[]> {
    this.#assertOpen();
    assertStreamId(streamId);
    assertRange(fromSequenceNr, toSequenceNr);
    const stream = this.#streams.get(streamId) ?? [];
    return stream.slice(fromSequenceNr - 1, toSequenceNr).map(({ streamId: _, ...event }) => structuredClone(event));
  }

  async loadAfter(afterPosition: number, limit: number): Promise<(PersistedEvent & StreamOf)[]> {
    this.#assertOpen();
    assertSequenceNr(afterPosition, 'afterPosition', 0);
    assertSequenceNr(limit, 'limit');
    // Positions are 1, 2, 3… here: the position is the index in the log, plus one.
    return structuredClone(this.#log.slice(afterPosition, afterPosition + limit));
  }

  async highestSequenceNr(streamId: string): Promise<number> {
    this.#assertOpen();
    assertStreamId(streamId);
    return this.#streams.get(streamId)?.length ?? 0;
  }

  async streamIds(prefix = ''): Promise<string[]> {
    this.#assertOpen();
    return [...this.#streams.keys()].filter((id) => id.startsWith(prefix)).sort();
  }

  async findIdempotencyRecord(streamId: string, key: string): Promise<IdempotencyRecord | undefined> {
    this.#assertOpen();
    assertStreamId(streamId);
    assertName(key, 'key');
    const record = this.#keys.get(keyOf(streamId, key));
    return record && structuredClone(record);
  }

  async projectEvents(projection: AnyDefinedProjection, events: readonly ProjectionEvent[], afterPosition: number): Promise<boolean> {
    this.#assertOpen();
    validateProjection(projection);
    assertSequenceNr(afterPosition, 'afterPosition', 0);
    const { name } = projection;
    const previous = this.#checkpoints.get(name);
    const target = buildingAt(previous);
    if (target.position !== afterPosition) return false;
    const copies = target.shadow ? this.#shadows : this.#documents;
    const changes = project(projection, events, (id) => copies.get(name)?.get(id));
    const { checkpoint, swapped } = builtTo(previous, events.at(-1)?.position ?? afterPosition);
    this.#put(copies, name, changes);
    if (swapped) {
      this.#documents.set(name, this.#shadows.get(name) ?? new Map());
      this.#shadows.delete(name);
    }
    if (events.length > 0 || swapped) this.#checkpoints.set(name, checkpoint);
    return true;
  }

  async loadCheckpoint(projection: string): Promise<Checkpoint | undefined> {
    this.#assertOpen();
    assertName(projection, 'projection');
    return structuredClone(this.#checkpoints.get(projection));
  }

  async readModel(projection: string, query: DocumentQuery = {}): Promise<ReadModelView> {
    this.#assertOpen();
    assertName(projection, 'projection');
    validateQuery(query);
    const stored = this.#documents.get(projection) ?? new Map<string, unknown>();
    const { ids, prefix = '', limit = Number.POSITIVE_INFINITY } = query;
    const chosen = ids ? [...new Set(ids)].filter((id) => stored.has(id)) : [...stored.keys()].filter((id) => id.startsWith(prefix));
    const documents = chosen
      .sort()
      .slice(0, limit)
      .map((id) => ({ id, doc: stored.get(id) }));
    return structuredClone({ checkpoint: this.#checkpoints.get(projection), documents });
  }

  async resetProjection(projection: string): Promise<number> {
    this.#assertOpen();
    assertName(projection, 'projection');
    const total = this.#log.length;
    this.#shadows.delete(projection);
    if (total === 0) this.#documents.delete(projection);
    this.#checkpoints.set(projection, rebuildFrom(this.#checkpoints.get(projection), total));
    return total;
  }

  /** Stores a projection's changed documents in one of its copies. */
  #put(copies: Map<string, Map<string, unknown>>, projection: string, changes: DocumentChanges): void {
    const stored = copies.get(projection) ?? new Map<string, unknown>();
    for (const [id, doc] of structuredClone(changes)) {
      if (doc === undefined) stored.delete(id);
      else stored.set(id, doc);
    }
    copies.set(projection, stored);
  }

  async loadSnapshot(streamId: string, maxSequenceNr?: number): Promise<Snapshot | undefined> {
    this.#assertOpen();
    assertStreamId(streamId);
    if (maxSequenceNr !== undefined) assertSequenceNr(maxSequenceNr, 'maxSequenceNr', 0);
    const kept = this.#snapshots.get(streamId) ?? [];
    const found = kept.findLast((s) => maxSequenceNr === undefined || s.sequenceNr <= maxSequenceNr);
    return found && structuredClone(found);
  }

  async listSnapshots(streamId: string): Promise<number[]> {
    this.#assertOpen();
    assertStreamId(streamId);
    return (this.#snapshots.get(streamId) ?? []).map((snapshot) => snapshot.sequenceNr);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Adds a snapshot in sequence order, replacing one at the same sequence number, then thins (`keptSnapshots`). */
  #keepSnapshot(streamId: string, snapshot: Snapshot): void {
    const stored = (this.#snapshots.get(streamId) ?? []).filter((s) => s.sequenceNr !== snapshot.sequenceNr);
    stored.push(snapshot);
    stored.sort((a, b) => a.sequenceNr - b.sequenceNr);
    const kept = new Set(keptSnapshots(stored.map((s) => s.sequenceNr), this.#snapshotsKept));
    this.#snapshots.set(streamId, stored.filter((s) => kept.has(s.sequenceNr)));
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('The in-memory journal');
  }
}

function keyOf(streamId: string, key: string): string {
  return JSON.stringify([streamId, key]);
}
