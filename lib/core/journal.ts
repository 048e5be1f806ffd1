import type { ConflictError } from './errors.ts';

/** An event as stored in the journal: the domain event and where it sits in its entity's stream. */
export interface PersistedEvent<E = unknown> {
  /** Position in the entity's stream: 1 for the first event, then contiguous. */
  readonly sequenceNr: number;
  /** The domain event. Plain, structured-cloneable data. */
  readonly event: E;
  /** When the event was persisted, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
}

/** A point-in-time copy of an entity's state, covering its events up to and including `sequenceNr`. */
export interface Snapshot<S = unknown> {
  readonly sequenceNr: number;
  readonly state: S;
  readonly timestamp: number;
}

/** One stream's part of a `persistMany` call. */
export interface StreamWrite {
  readonly entityId: string;
  readonly events: readonly PersistedEvent[];
  /** A snapshot to store with the events, usually of the state after them. */
  readonly snapshot?: Snapshot;
}

/**
 * Whether every copy of the application has its own store (`local`, like IndexedDB in one browser profile), or all
 * of them share one (`centralized`, like a server database).
 */
export type JournalKind = 'local' | 'centralized';

/**
 * The storage port of eventfold: an append-only log of events per entity, plus snapshots.
 *
 * Implementations must keep these promises; the contract test suite checks each of them:
 * - `persist` is atomic: every event of the call is stored, or none is.
 * - Sequence numbers start at 1 and are contiguous per entity. `persist` rejects with a `ConflictError` when the
 *   batch's first sequence number is not the stream's highest + 1, or when the batch has a gap or a duplicate.
 * - Events and snapshots must be structured-cloneable plain data, or the call rejects with a `NotCloneableError`
 *   and stores nothing.
 * - A snapshot never replaces a newer one: `loadSnapshot` returns the one with the highest sequence number.
 */
export interface EventJournal {
  readonly kind: JournalKind;

  /** Appends `events` to the entity's stream, atomically. */
  persist(entityId: string, events: readonly PersistedEvent[]): Promise<void>;

  /**
   * Group commit: appends to several streams in one atomic unit (one IndexedDB transaction), each write with an
   * optional snapshot of the state after its events. A write that does not continue its stream is skipped and
   * reported by a `ConflictError` at its index; the others are stored. Any other failure rejects the whole call
   * and stores nothing. Writes to the same entity apply in order.
   */
  persistMany(writes: readonly StreamWrite[]): Promise<(ConflictError | undefined)[]>;

  /**
   * The entity's events with `fromSequenceNr <= sequenceNr <= toSequenceNr`, in ascending order; empty for an
   * unknown entity. Use bounded ranges (see `readPages`) to read long streams without holding them whole.
   */
  load(entityId: string, fromSequenceNr?: number, toSequenceNr?: number): Promise<PersistedEvent[]>;

  /** The sequence number of the entity's newest event, or 0 when it has none. */
  highestSequenceNr(entityId: string): Promise<number>;

  /** The ids of the entities that have events, in ascending order; only those starting with `prefix` if given. */
  entityIds(prefix?: string): Promise<string[]>;

  /**
   * Stores a snapshot. Older snapshots are kept (time travel starts from them) up to an implementation-defined
   * bound; a snapshot never displaces a newer one.
   */
  saveSnapshot(entityId: string, snapshot: Snapshot): Promise<void>;

  /** The newest snapshot with `sequenceNr <= maxSequenceNr` (any when omitted), or `undefined`. */
  loadSnapshot(entityId: string, maxSequenceNr?: number): Promise<Snapshot | undefined>;

  /** The sequence numbers of the entity's kept snapshots, ascending: where a timeline can start folding. */
  listSnapshots(entityId: string): Promise<number[]>;

  /** Releases the underlying storage. Later calls reject with a `ClosedError`. */
  close(): Promise<void>;
}

/** How many snapshots per entity a journal keeps by default: the newest ones, for recovery and time travel. */
export const DEFAULT_SNAPSHOTS_KEPT = 100;
