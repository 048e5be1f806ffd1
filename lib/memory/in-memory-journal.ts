import { ClosedError, type ConflictError } from '../core/errors.ts';
import {
  DEFAULT_SNAPSHOTS_KEPT,
  type EventJournal,
  type PersistedEvent,
  type Snapshot,
  type StreamWrite,
} from '../core/journal.ts';
import { assertEntityId, assertRange, assertSequenceNr } from '../core/validation.ts';
import { entityIdsOf, persistOne, planWrites, validateWrites } from '../core/write-plan.ts';

// structuredClone exists in every runtime eventfold supports, but is declared by the DOM and Node typings only.
const { structuredClone } = globalThis as unknown as { structuredClone<T>(value: T): T };

/** Options of `InMemoryJournal`. */
export interface InMemoryJournalOptions {
  /** Snapshots kept per entity, the newest ones. Default 100. */
  snapshotsKept?: number;
}

/**
 * A journal held in memory, for tests and prototypes: it keeps every promise of the `EventJournal` contract
 * (atomic, contiguous, cloned on the way in and out) and loses everything when the page goes.
 */
export class InMemoryJournal implements EventJournal {
  readonly kind = 'local';
  readonly #streams = new Map<string, PersistedEvent[]>();
  readonly #snapshots = new Map<string, Snapshot[]>();
  readonly #snapshotsKept: number;
  #closed = false;

  constructor({ snapshotsKept = DEFAULT_SNAPSHOTS_KEPT }: InMemoryJournalOptions = {}) {
    assertSequenceNr(snapshotsKept, 'snapshotsKept');
    this.#snapshotsKept = snapshotsKept;
  }

  persist(entityId: string, events: readonly PersistedEvent[]): Promise<void> {
    return persistOne(this, entityId, events);
  }

  async persistMany(writes: readonly StreamWrite[]): Promise<(ConflictError | undefined)[]> {
    this.#assertOpen();
    validateWrites(writes);
    const heads = new Map(entityIdsOf(writes).map((id) => [id, this.#streams.get(id)?.length ?? 0]));
    const { outcomes, accepted } = planWrites(writes, heads);
    for (const { entityId, events, snapshot } of structuredClone(accepted)) {
      const stream = this.#streams.get(entityId) ?? [];
      for (const event of events) stream.push(event);
      this.#streams.set(entityId, stream);
      if (snapshot) this.#keepSnapshot(entityId, snapshot);
    }
    return outcomes;
  }

  async load(entityId: string, fromSequenceNr = 1, toSequenceNr?: number): Promise<PersistedEvent[]> {
    this.#assertOpen();
    assertEntityId(entityId);
    assertRange(fromSequenceNr, toSequenceNr);
    const stream = this.#streams.get(entityId) ?? [];
    return structuredClone(stream.slice(fromSequenceNr - 1, toSequenceNr));
  }

  async highestSequenceNr(entityId: string): Promise<number> {
    this.#assertOpen();
    assertEntityId(entityId);
    return this.#streams.get(entityId)?.length ?? 0;
  }

  async entityIds(prefix = ''): Promise<string[]> {
    this.#assertOpen();
    return [...this.#streams.keys()].filter((id) => id.startsWith(prefix)).sort();
  }

  async saveSnapshot(entityId: string, snapshot: Snapshot): Promise<void> {
    await this.persistMany([{ entityId, events: [], snapshot }]);
  }

  async loadSnapshot(entityId: string, maxSequenceNr?: number): Promise<Snapshot | undefined> {
    this.#assertOpen();
    assertEntityId(entityId);
    if (maxSequenceNr !== undefined) assertSequenceNr(maxSequenceNr, 'maxSequenceNr', 0);
    const kept = this.#snapshots.get(entityId) ?? [];
    const found = kept.findLast((s) => maxSequenceNr === undefined || s.sequenceNr <= maxSequenceNr);
    return found && structuredClone(found);
  }

  async listSnapshots(entityId: string): Promise<number[]> {
    this.#assertOpen();
    assertEntityId(entityId);
    return (this.#snapshots.get(entityId) ?? []).map((snapshot) => snapshot.sequenceNr);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Adds a snapshot in sequence order, replacing one at the same sequence number and dropping the oldest. */
  #keepSnapshot(entityId: string, snapshot: Snapshot): void {
    const kept = (this.#snapshots.get(entityId) ?? []).filter((s) => s.sequenceNr !== snapshot.sequenceNr);
    kept.push(snapshot);
    kept.sort((a, b) => a.sequenceNr - b.sequenceNr);
    this.#snapshots.set(entityId, kept.slice(-this.#snapshotsKept));
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('The in-memory journal');
  }
}
