import type { EventfoldError } from './errors.ts';
import type { AnyDefinedProjection, Checkpoint, DocumentQuery, ProjectionEvent, ReadModelView } from './projection.ts';

/**
 * Facts about an event that are not part of the domain: who caused it and in which flow. The runtime sets
 * `causationId` to the id of the command that recorded the event, and `correlationId` to the command's correlation
 * id (its own id when none was given); other fields come from the command's options.
 */
export interface EventMetadata {
  /** The flow the event belongs to, shared by every command and event of it (a checkout, say). */
  readonly correlationId?: string;
  /** The id of the command that recorded the event. */
  readonly causationId?: string;
  readonly [field: string]: unknown;
}

/** An event on its way to the journal: everything but the global position, which the journal assigns. */
export interface NewEvent<E = unknown> {
  /** Position in the entity's stream: 1 for the first event, then contiguous. */
  readonly sequenceNr: number;
  /** The domain event. Plain, structured-cloneable data. */
  readonly event: E;
  /** When the event was recorded, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** A unique id of this event. */
  readonly eventId: string;
  /** The event's type name, under which upcasters and projections find it. */
  readonly type: string;
  /** The version of the event type's schema the payload follows. */
  readonly schemaVersion: number;
  /** Who caused the event and in which flow, and the command's free-form fields. */
  readonly metadata: EventMetadata;
}

/** An event as stored in the journal: the domain event in its envelope. */
export interface PersistedEvent<E = unknown> extends NewEvent<E> {
  /**
   * Where the event sits among all the events of the journal: unique, and increasing in the order in which writes
   * committed, so a reader that has seen every position up to `p` can resume after `p` (a projection checkpoint).
   * Not necessarily contiguous.
   */
  readonly position: number;
}

/** The stream an event read across streams (`loadAfter`) belongs to. */
export interface StreamOf {
  /** The event's stream (`streamIdOf(type, id)` for an entity of a runtime). */
  readonly streamId: string;
}

/** A point-in-time copy of an entity's state, covering its events up to and including `sequenceNr`. */
export interface Snapshot<S = unknown> {
  /** The last event the state includes. */
  readonly sequenceNr: number;
  /** The entity's state after that event. */
  readonly state: S;
  /** When the snapshot was taken, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** The version of the state's schema (the definition's `stateVersion` when it was taken). Absent means 1. */
  readonly schemaVersion?: number;
  /**
   * `fingerprintOf(state)`, stamped by the journal when it stores the snapshot: a state that no longer matches it
   * (edited behind the journal's back) is not used.
   */
  readonly checksum?: string;
}

/**
 * What a journal remembers of a command sent with an idempotency key, stored in the transaction of its events, so
 * that a retry of the command finds it and persists nothing new.
 */
export interface IdempotencyRecord {
  /** The key, unique per entity. */
  readonly key: string;
  /** A digest of the command, to tell a retry from a different command that reuses the key. */
  readonly fingerprint: string;
  /** The id of the command that was executed. */
  readonly commandId: string;
  /** The sequence number of the first event it recorded (greater than `toSequenceNr` when it recorded none). */
  readonly fromSequenceNr: number;
  /** The sequence number of the last event it recorded: the stream's head after the command. */
  readonly toSequenceNr: number;
  /** When the command was executed, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
}

/** One stream's part of an `append` call. */
export interface StreamWrite {
  /** The stream written (`streamIdOf(type, id)` for an entity of a runtime). */
  readonly streamId: string;
  /** The events to append, continuing the stream. */
  readonly events: readonly NewEvent[];
  /** A snapshot to store with the events, usually of the state after them. */
  readonly snapshot?: Snapshot;
  /** Idempotency keys of the commands whose events these are; a key the entity already used fails the write. */
  readonly idempotency?: readonly IdempotencyRecord[];
}

/**
 * How one write of an `append` call ended: stored, with the global positions of its events, or not stored,
 * with the reason (a `ConflictError` when it does not continue its stream or reuses an idempotency key).
 */
export type AppendOutcome =
  | StoredOutcome
  | {
      /** Why the write was not stored: a `ConflictError`, or a `HandlerError` of an inline projection. */
      readonly error: EventfoldError;
    };

/** A stored write of an `append` call. */
export interface StoredOutcome {
  /** The global positions the journal gave the write's events, in their order. */
  readonly positions: readonly number[];
  /**
   * The inline projections whose served documents the call updated with the write's events, by name, each with
   * its checkpoint after the call (which says whether a rebuild is under way). A projection absent here was not
   * updated (it was behind, or the journal does not say): its runner reads the journal to catch up.
   */
  readonly projected?: ReadonlyMap<string, Checkpoint>;
}

/** Options of `append`. */
export interface AppendOptions {
  /**
   * Inline projections: each one whose served documents are at the journal's head is updated in the transaction of
   * the writes, and its checkpoint moves with them, also while a rebuild is under way (the shadow catches up on its
   * own). A write whose events a projection cannot apply (it throws) is not stored, and is reported by a
   * `HandlerError` at its index. Projections that are behind are left to catch up. Each stored write's outcome names
   * the projections updated (`StoredOutcome.projected`). Each is made with `defineProjection`, which gives it the
   * functions that apply it (`ProjectionKit`); a journal refuses others with an `InvalidArgumentError`.
   */
  readonly projections?: readonly AnyDefinedProjection[];
}

/**
 * Who shares a journal. A `centralized` journal is one store shared by every process that opens it (a server's
 * PostgreSQL database, opened by the server and by any other Node process at once), so its writes race and its
 * positions must stay in commit order across processes. A `local` journal belongs to one device (IndexedDB in one
 * browser profile, shared only by that profile's tabs), and is what sync replicates to a centralized one.
 */
export type JournalKind = 'local' | 'centralized';

/**
 * The event log of a journal: streams of events, one per entity, appended in groups and read by range or across
 * streams by global position.
 *
 * Implementations keep these promises; `describeEventLogContract` (in `eventfold/testing`) checks each of them:
 * - `append` is atomic per call: what it stores (every accepted write, with its snapshot and idempotency records)
 *   commits together, or nothing does.
 * - Sequence numbers start at 1 and are contiguous per stream. A write whose first sequence number is not the
 *   stream's head + 1 (its expected head is its first sequence number - 1) is refused with a `ConflictError`.
 * - Positions are unique and increase in commit order: an event that commits after another has a higher position,
 *   whichever process wrote it. They need not be contiguous (a sequence may leave gaps), but a reader that has read
 *   everything up to position `p` must never later find an event at or below `p`: this is what lets `loadAfter`
 *   resume from a checkpoint without skipping an event that committed late. Within one `append` call, positions
 *   follow the order of its writes and events, so inline read models, updated in that order, equal their rebuild.
 * - Values must be structured-cloneable plain data (see `assertCloneable`), or the call rejects with a
 *   `NotCloneableError` and stores nothing; every value accepted reads back equal, never altered.
 */
export interface EventLog {
  /** Who shares the journal (see `JournalKind`). */
  readonly kind: JournalKind;

  /**
   * Group commit: appends to several streams in one atomic unit, each write with an optional snapshot of the state
   * after its events and the idempotency keys of its commands. A write that does not continue its stream, or reuses
   * a key, is skipped and reported by a `ConflictError` at its index; the others are stored. Any other failure
   * rejects the whole call and stores nothing. Writes to the same stream apply in order. A write with no events
   * stores its snapshot alone (see `saveSnapshot`).
   */
  append(writes: readonly StreamWrite[], options?: AppendOptions): Promise<AppendOutcome[]>;

  /**
   * The stream's events with `fromSequenceNr <= sequenceNr <= toSequenceNr`, in ascending order; empty for an
   * unknown stream. Use bounded ranges (see `readPages`) to read long streams without holding them whole.
   */
  load(streamId: string, fromSequenceNr?: number, toSequenceNr?: number): Promise<PersistedEvent[]>;

  /**
   * Up to `limit` events of all streams with a global position above `afterPosition`, in ascending order of
   * position, each with the id of its stream: what a projection reads to catch up.
   */
  loadAfter(afterPosition: number, limit: number): Promise<(PersistedEvent & StreamOf)[]>;

  /** The stream's head: the sequence number of its newest event, or 0 when it has none. */
  highestSequenceNr(streamId: string): Promise<number>;

  /** The ids of the streams that have events, in ascending order of UTF-16 code units; only those starting with `prefix` if given. */
  streamIds(prefix?: string): Promise<string[]>;
}

/**
 * The snapshots of a journal's streams. They are written with the events they follow, by `EventLog.append` (alone,
 * by `saveSnapshot`). Older snapshots are kept, for time travel to start from, up to a bound per stream
 * (`DEFAULT_SNAPSHOTS_KEPT` by default) beyond which they are thinned to even spacing over the whole history by the
 * rule of `keptSnapshots`, the newest always kept; a snapshot never displaces a newer one, and one at the same
 * sequence number replaces it.
 */
export interface SnapshotStore {
  /** The newest snapshot with `sequenceNr <= maxSequenceNr` (any when omitted), or `undefined`. */
  loadSnapshot(streamId: string, maxSequenceNr?: number): Promise<Snapshot | undefined>;

  /** The sequence numbers of the stream's kept snapshots, ascending: where a timeline can start folding. */
  listSnapshots(streamId: string): Promise<number[]>;
}

/** The idempotency records of a journal, written by `EventLog.append` with the events of their commands. */
export interface IdempotencyStore {
  /** The record of the stream's command sent with idempotency key `key`, or `undefined`. */
  findIdempotencyRecord(streamId: string, key: string): Promise<IdempotencyRecord | undefined>;
}

/**
 * The read models of a journal: each projection's documents with the checkpoint they are at, kept in the same
 * atomic units as the events they follow (inline projections, through `EventLog.append`) or caught up on their own.
 */
export interface ReadModelStore {
  /**
   * Applies `events` (ascending positions, none skipped after `afterPosition`) to the copy of a projection's read
   * model that is being built, and moves that copy's position to the last of them, in one atomic unit, if it is
   * still at `afterPosition`; resolves `false` and changes nothing when it is not (another tab or process got there
   * first). The copy being built is the rebuild's shadow while a rebuild is under way, else the served documents.
   * The unit that brings the shadow up to both the rebuild's `total` and the served documents' position makes it
   * the served copy and drops the previous one (`shadowAt`); `events` may be empty, to make that check alone.
   * Rejects with a `HandlerError`, changing nothing, when the projection throws.
   */
  projectEvents(projection: AnyDefinedProjection, events: readonly ProjectionEvent[], afterPosition: number): Promise<boolean>;

  /** A projection's checkpoint, or `undefined` when it has none yet. */
  loadCheckpoint(projection: string): Promise<Checkpoint | undefined>;

  /**
   * Served documents of a read model, in ascending order of id, read together with its checkpoint: during a rebuild,
   * the documents from before it (still updated by inline projections), at `checkpoint.position`, never the shadow.
   */
  readModel(projection: string, query?: DocumentQuery): Promise<ReadModelView>;

  /**
   * Starts a rebuild of a read model from the first event, in one atomic unit: an empty shadow copy (an unfinished
   * one of an earlier rebuild is dropped), with the journal's current head, which is returned, as its `total`. The
   * served documents and their position stay as they are until the shadow replaces them (see `projectEvents`). On
   * an empty journal there is nothing to build: the read model is left empty at position 0, and 0 returned.
   */
  resetProjection(projection: string): Promise<number>;
}

/** The lifecycle of a journal. */
export interface JournalLifecycle {
  /** Releases the underlying storage. Later calls reject with a `ClosedError`. */
  close(): Promise<void>;
}

/**
 * The storage port of eventfold, split by concern: the event log, snapshots, idempotency records, read models with
 * their checkpoints, and the lifecycle. What can be derived from these is a function over the port, not a member:
 * `persist` (one stream's events), `saveSnapshot` and `highestPosition`.
 *
 * A journal on another store is built with the journal kit (`planWrites`, `planProjectedWrites`, `validateWrites`,
 * `stamped`…, exported by `eventfold`) and checked with the contract suites of `eventfold/testing`, as the
 * IndexedDB, in-memory and PostgreSQL journals are.
 */
export interface EventJournal extends EventLog, SnapshotStore, IdempotencyStore, ReadModelStore, JournalLifecycle {
  /**
   * A lock per stream that every process writing to this journal can take, when the store has one (the PostgreSQL
   * journal's advisory locks): a runtime on the journal takes it after a lost race unless given a `lock` of its own,
   * so that writers in several processes contend by waiting rather than by failing.
   */
  readonly lock?: EntityLock;
}

/**
 * Runs `work` while holding an exclusive lock named after a stream, one that every runtime writing to the same
 * journal takes too (a Web Lock, for the tabs of a browser; an advisory lock, for the processes of a server);
 * resolves or rejects as `work` does.
 */
export type EntityLock = (streamId: string, work: () => Promise<void>) => Promise<void>;

/**
 * How many snapshots per entity a journal keeps by default, for recovery (the newest) and time travel (the others,
 * evenly spread; see `keptSnapshots`). With it, a seek into a history of a million events with a snapshot every
 * 100 folds at most about 600 events. Its space cost is at most this many copies of the state, reached once the
 * stream has this many snapshot intervals (200,000 events at `snapshotEvery(100)`): 2,000 snapshots of a state of
 * 100 bytes take about 300 kB, of a state of 10 kB about 20 MB. Lower it (or snapshot less often) for entities with
 * large states, raise it for faster seeks in longer histories.
 */
export const DEFAULT_SNAPSHOTS_KEPT = 2_000;
