import { ClosedError, InvalidSnapshotError } from '../core/errors.ts';
import { DEFAULT_SNAPSHOTS_KEPT, type EventJournal, type PersistedEvent, type Snapshot } from '../core/journal.ts';
import {
  assertAppendsTo,
  assertEntityId,
  assertRange,
  assertSequenceNr,
  validateBatch,
  validateSnapshot,
} from '../core/validation.ts';

// structuredClone exists in every runtime eventfold supports, but is declared by the DOM and Node typings only.
const { structuredClone } = globalThis as unknown as { structuredClone<T>(value: T): T };

/** Options of `InMemoryJournal`. */
export interface InMemoryJournalOptions {
  /** Snapshots kept per entity, newest first. Default 100. */
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

  async persist(entityId: string, events: readonly PersistedEvent[]): Promise<void> {
    this.#assertOpen();
    assertEntityId(entityId);
    const first = validateBatch(entityId, events);
    if (events.length === 0) return;
    const stream = this.#streams.get(entityId) ?? [];
    assertAppendsTo(entityId, first, stream.length);
    const copies = structuredClone(events);
    for (const event of copies) stream.push(event);
    this.#streams.set(entityId, stream);
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

  async saveSnapshot(entityId: string, snapshot: Snapshot): Promise<void> {
    this.#assertOpen();
    assertEntityId(entityId);
    validateSnapshot(snapshot);
    const highest = this.#streams.get(entityId)?.length ?? 0;
    if (snapshot.sequenceNr > highest) throw new InvalidSnapshotError(entityId, snapshot.sequenceNr, highest);

    const kept = (this.#snapshots.get(entityId) ?? []).filter((s) => s.sequenceNr !== snapshot.sequenceNr);
    kept.push(structuredClone(snapshot));
    kept.sort((a, b) => a.sequenceNr - b.sequenceNr);
    this.#snapshots.set(entityId, kept.slice(-this.#snapshotsKept));
  }

  async loadSnapshot(entityId: string, maxSequenceNr?: number): Promise<Snapshot | undefined> {
    this.#assertOpen();
    assertEntityId(entityId);
    if (maxSequenceNr !== undefined) assertSequenceNr(maxSequenceNr, 'maxSequenceNr', 0);
    const kept = this.#snapshots.get(entityId) ?? [];
    const found = kept.findLast((s) => maxSequenceNr === undefined || s.sequenceNr <= maxSequenceNr);
    return found && structuredClone(found);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('The in-memory journal');
  }
}
