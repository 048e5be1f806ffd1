import type { EntityDefinition } from './entity.ts';
import { CorruptedDataError, HandlerError, StreamTooLongError } from './errors.ts';
import { fingerprintOf } from './identity.ts';
import type { EventJournal, PersistedEvent, Snapshot } from './journal.ts';
import { deepFreeze } from './freeze.ts';
import { EntitySchema } from './schema.ts';
import { returnedProblem } from './validation.ts';

/** Events read per journal call when replaying: bounds memory however long the stream is. */
export const DEFAULT_PAGE_SIZE = 2500;

/** Options of `readPages`. */
export interface ReadPagesOptions {
  /** First sequence number to read (inclusive). Default 1. */
  from?: number;
  /** Last sequence number to read (inclusive). Default: the end of the stream. */
  to?: number;
  /** Most events per page. Default 2,500. */
  pageSize?: number;
}

/**
 * Reads an entity's events in pages of bounded size, in ascending order, so that a stream of any length can be
 * folded without holding it whole. Relies on sequence numbers being contiguous (a short page is the end), and checks
 * it: a page with an event missing, or a record without its envelope, fails with a `CorruptedDataError`.
 */
export async function* readPages(
  journal: EventJournal,
  entityId: string,
  { from = 1, to = Number.POSITIVE_INFINITY, pageSize = DEFAULT_PAGE_SIZE }: ReadPagesOptions = {},
): AsyncGenerator<PersistedEvent[], void, undefined> {
  for (let next = from; next <= to; next += pageSize) {
    const last = Math.min(to, next + pageSize - 1);
    const page = await journal.load(entityId, next, last);
    assertStoredEvents(entityId, page, next);
    if (page.length > 0) yield page;
    if (page.length < last - next + 1) return;
  }
}

/**
 * Throws a `CorruptedDataError` unless `events` are whole records numbered from `from` on without a gap. Stored
 * data can be edited behind eventfold's back (devtools, extensions, another program): it is checked where it is read.
 */
export function assertStoredEvents(entityId: string, events: readonly PersistedEvent[], from: number): void {
  events.forEach((stored, i) => {
    const expected = from + i;
    if (typeof stored !== 'object' || stored === null || stored.sequenceNr !== expected) {
      const found = (stored as { sequenceNr?: unknown } | null)?.sequenceNr;
      throw new CorruptedDataError(entityId, expected, `event ${expected} is missing (found ${String(found)} in its place)`);
    }
    if (typeof stored.type !== 'string' || !Number.isSafeInteger(stored.schemaVersion) || !Number.isSafeInteger(stored.position)) {
      throw new CorruptedDataError(entityId, expected, 'the record lacks its type, schema version or position');
    }
  });
}

/** A state and the sequence number of the last event folded into it. */
export interface Versioned<S> {
  /** The entity's state. */
  readonly state: S;
  /** The sequence number of the last event folded into it; 0 for the initial state. */
  readonly sequenceNr: number;
}

/** Options of `recover`. */
export interface RecoverOptions {
  /** Rebuild the state as it was after this event (time travel). Default: the newest. */
  upTo?: number;
  /** Events read per journal call. Default 2,500 (`DEFAULT_PAGE_SIZE`). */
  pageSize?: number;
  /** The definition's schemas, when the caller has them checked already. */
  schema?: EntitySchema;
  /**
   * Hears why a snapshot was not used: its state fails its checksum, it lies beyond the stream, or its migration
   * threw. The state is then rebuilt from the events.
   */
  onSnapshotIgnored?: (error: unknown) => void;
  /**
   * Also gives the last `tail` events up to `upTo`, upcast, read with the fold's own events (see `Recovered`).
   * Default 0.
   */
  tail?: number;
}

/** A recovered state, with the events that led to it when a `tail` was asked for. */
export interface Recovered<S, E = unknown> extends Versioned<S> {
  /** Up to `tail` events ending at `sequenceNr`, ascending, upcast; empty without a `tail`. */
  readonly events: readonly PersistedEvent<E>[];
}

/**
 * Rebuilds an entity's state from the journal: the newest snapshot at or below `upTo` (migrated to the current
 * state version, or ignored when it cannot be), then the events after it, upcast and folded with `evolve` page by
 * page. An `evolve` that throws fails the recovery with a `HandlerError` rather than producing a wrong state; more
 * events to replay than the definition's `maxReplayedEvents` fail it with a `StreamTooLongError` before any is
 * read.
 */
export async function recover<S, E>(
  journal: EventJournal,
  entityId: string,
  definition: EntityDefinition<S, unknown, E>,
  options: RecoverOptions = {},
): Promise<Versioned<S>> {
  const { state, sequenceNr } = await rebuild(journal, entityId, definition, options);
  return { state, sequenceNr };
}

/** `recover`, with the `tail` of events before the recovered state (a seek of a history slider). */
export async function rebuild<S, E>(
  journal: EventJournal,
  entityId: string,
  definition: EntityDefinition<S, unknown, E>,
  { upTo, pageSize, schema = new EntitySchema('entity', definition), onSnapshotIgnored = () => {}, tail = 0 }: RecoverOptions = {},
): Promise<Recovered<S, E>> {
  const snapshot = await checkedSnapshot(journal, entityId, upTo, onSnapshotIgnored);
  const migrated = snapshot && schema.stateOf<S>(snapshot, onSnapshotIgnored);
  const replay = (start: Versioned<S>) => replayFrom(journal, entityId, definition, schema, start, { upTo, pageSize, tail });
  let recovered: Recovered<S, E> | undefined;
  if (snapshot && migrated !== undefined) {
    recovered = await replay({ state: migrated, sequenceNr: snapshot.sequenceNr });
    if (!recovered) onSnapshotIgnored(snapshotIgnored(entityId, snapshot.sequenceNr, 'lies beyond the stream'));
  }
  recovered ??= (await replay({ state: definition.initialState(), sequenceNr: 0 }))!;
  // Asked for a position beyond the stream, the tail's read ended past the head: read it where the state is.
  if (tail > 0 && upTo !== undefined && recovered.sequenceNr < upTo) {
    const from = Math.max(1, recovered.sequenceNr - tail + 1);
    const events = recovered.sequenceNr === 0 ? [] : await journal.load(entityId, from, recovered.sequenceNr);
    assertStoredEvents(entityId, events, from);
    recovered = { ...recovered, events: readAll<E>(schema, entityId, events) };
  }
  return recovered;
}

/**
 * Folds the events after `start` onto its state. The first read also takes the event at `start` itself: the proof
 * that the stream reaches the snapshot, without a read of its own; and it begins earlier when the `tail` of events
 * before `upTo` does, so that one read gives both. Resolves `undefined` when the stream does not reach `start`.
 */
async function replayFrom<S, E>(
  journal: EventJournal,
  entityId: string,
  definition: EntityDefinition<S, unknown, E>,
  schema: EntitySchema,
  start: Versioned<S>,
  { upTo, pageSize, tail }: { upTo: number | undefined; pageSize: number | undefined; tail: number },
): Promise<Recovered<S, E> | undefined> {
  let { state, sequenceNr } = start;
  const base = sequenceNr;
  const limit = definition.maxReplayedEvents;
  if (limit !== undefined) {
    const last = Math.min(upTo ?? Number.POSITIVE_INFINITY, await journal.highestSequenceNr(entityId));
    if (last - sequenceNr > limit) throw new StreamTooLongError(entityId, last - sequenceNr, limit);
  }
  const tailStart = tail > 0 && upTo !== undefined ? Math.max(1, upTo - tail + 1) : Number.POSITIVE_INFINITY;
  const events: PersistedEvent<E>[] = [];
  let anchored = base === 0;
  for await (const page of readPages(journal, entityId, { from: Math.max(1, Math.min(base, tailStart)), to: upTo, pageSize })) {
    const last = page[page.length - 1]!.sequenceNr;
    // Pages are contiguous from at most `base`: the stream reaches the snapshot once a page ends at or beyond it.
    anchored ||= last >= base;
    const read = readAll<E>(schema, entityId, page.filter((event) => event.sequenceNr > base || event.sequenceNr >= tailStart));
    state = foldEvents(entityId, definition, state, read.filter((event) => event.sequenceNr > base));
    for (const event of read) if (event.sequenceNr >= tailStart) events.push(event);
    sequenceNr = Math.max(base, last);
  }
  if (!anchored) return undefined;
  if (upTo !== undefined) await assertReached(journal, entityId, sequenceNr, upTo);
  return { state, sequenceNr, events };
}

/**
 * After a read bounded by `upTo` stopped at `reached`: throws a `CorruptedDataError` when the stream goes on beyond
 * `reached` though the read ended before `upTo`, that is, when the event after `reached` is missing.
 */
export async function assertReached(journal: EventJournal, entityId: string, reached: number, upTo: number): Promise<void> {
  if (reached >= upTo) return;
  const head = await journal.highestSequenceNr(entityId);
  if (head > reached) throw new CorruptedDataError(entityId, reached + 1, `event ${reached + 1} is missing`);
}

/** The newest snapshot at or below `upTo`, unless it is corrupted: a bad sequence number, a failed checksum. */
async function checkedSnapshot(
  journal: EventJournal,
  entityId: string,
  upTo: number | undefined,
  onIgnored: (error: unknown) => void,
): Promise<Snapshot | undefined> {
  const snapshot = await journal.loadSnapshot(entityId, upTo);
  if (snapshot === undefined) return undefined;
  const { sequenceNr, checksum, state } = snapshot;
  let problem: string | undefined;
  if (!Number.isSafeInteger(sequenceNr) || sequenceNr < 1) problem = 'has no valid sequence number';
  else if (checksum === undefined || fingerprintOf(state) !== checksum) problem = 'does not match its checksum';
  if (problem === undefined) return snapshot;
  onIgnored(snapshotIgnored(entityId, Number(sequenceNr) || 0, problem));
  return undefined;
}

/** What `onSnapshotIgnored` is told of a snapshot that is not used. */
function snapshotIgnored(entityId: string, sequenceNr: number, problem: string): CorruptedDataError {
  return new CorruptedDataError(entityId, sequenceNr, `the snapshot ${problem}; the state is rebuilt from the events`);
}

/** Stored events as this build reads them (see `EntitySchema.read`). */
export function readAll<E>(schema: EntitySchema, entityId: string, events: readonly PersistedEvent[]): PersistedEvent<E>[] {
  return events.map((event) => schema.read(entityId, event as PersistedEvent<E>));
}

/**
 * Applies events to a state with the definition's `evolve`, and freezes the result (see `deepFreeze`): a state
 * the runtime holds, hands out or snapshots never changes, so an `evolve` that changes the state it is given fails
 * with a `HandlerError` instead of leaking a speculative change into the durable state. Any throw of `evolve`
 * becomes a `HandlerError`, and so does a Promise it returns (an `async evolve`).
 */
export function foldEvents<S, E>(
  entityId: string,
  definition: EntityDefinition<S, unknown, E>,
  state: S,
  events: readonly { readonly event: unknown }[],
): S {
  // Frozen on the way in too: a fresh initial state or a migrated snapshot is the fold's first, shared, state.
  state = deepFreeze(state);
  let problem: ReturnType<typeof returnedProblem>;
  try {
    for (const persisted of events) {
      state = definition.evolve(state, persisted.event as E);
      problem = returnedProblem('evolve', state);
      if (problem) break;
    }
  } catch (cause) {
    const inPlace = cause instanceof TypeError && typeof state === 'object' && state !== null && Object.isFrozen(state);
    throw new HandlerError(entityId, 'evolve', inPlace ? new TypeError(`${cause.message} (${IN_PLACE})`, { cause }) : cause);
  }
  if (problem) throw new HandlerError(entityId, 'evolve', new TypeError(problem.advice), { returned: problem.returned });
  return deepFreeze(state);
}

const IN_PLACE = 'states are frozen: evolve must return a new state, not change the one given';
