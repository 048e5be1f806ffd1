import {
  ConflictError,
  type EventfoldError,
  InvalidSnapshotError,
  isEventfoldError,
  NotCloneableError,
} from './errors.ts';
import { fingerprintOf } from './identity.ts';
import type { AppendOutcome, Snapshot, StreamWrite } from './journal.ts';
import type { AnyProjection, Checkpoint, DocumentChanges, ProjectionEvent } from './projection.ts';
import { documentIdsOf, project } from './projection-apply.ts';
import { projectionEventOf } from './projection-event.ts';
import {
  assertAppendsTo,
  assertStreamId,
  invalidArgument,
  validateBatch,
  validateIdempotency,
  validateSnapshot,
} from './validation.ts';

/** Checks every write of a `append` call before anything is stored; throws on the first malformed one. */
export function validateWrites(writes: readonly StreamWrite[]): void {
  if (!Array.isArray(writes)) throw invalidArgument('writes', 'an array', writes);
  for (const write of writes) {
    assertStreamId(write?.streamId);
    validateBatch(write.streamId, write.events);
    if (write.snapshot !== undefined) validateSnapshot(write.snapshot);
    if (write.idempotency !== undefined) validateIdempotency(write.idempotency);
  }
}

/** What the journal knows when it plans a `append` call, read in the transaction that will store it. */
export interface WriteState {
  /** Each written stream's newest sequence number; updated in place as writes are accepted. */
  readonly heads: Map<string, number>;
  /** The journal's highest global position before the call. */
  readonly position: number;
  /** Whether the entity has already used an idempotency key. */
  readonly keyTaken: (entityId: string, key: string) => boolean;
}

/** A write the journal stores, with the global positions of its events. */
export interface AcceptedWrite extends StreamWrite {
  /** The global positions of the write's events, in their order, after those of the writes before it in the call. */
  readonly positions: readonly number[];
}

/** What a journal stores of a `append` call, decided before it stores anything. */
export interface WritePlan {
  /** Per write: its positions when it is stored, or the conflict that excludes it. */
  readonly outcomes: AppendOutcome[];
  /** The writes to store, in order. */
  readonly accepted: AcceptedWrite[];
}

/**
 * Decides which validated writes continue their streams and use fresh idempotency keys, and gives their events
 * global positions after `state.position`. Throws an `InvalidSnapshotError` when an accepted write's snapshot lies
 * beyond its stream: that fails the whole call, as a malformed write would. A snapshot whose checksum cannot be
 * computed (see `fingerprintOf`) fails its own write only, with that error: one entity's state never fails the
 * writes of others.
 */
export function planWrites(
  writes: readonly StreamWrite[],
  state: WriteState,
  stamp: (snapshot: Snapshot) => Snapshot | EventfoldError = tryStamped,
): WritePlan {
  const { heads, keyTaken } = state;
  let position = state.position;
  const keys = new Set<string>();
  const outcomes: AppendOutcome[] = [];
  const accepted: AcceptedWrite[] = [];
  for (const write of writes) {
    const head = heads.get(write.streamId) ?? 0;
    const error = appendError(write, head) ?? keyError(write, head, keys, keyTaken);
    if (error) {
      outcomes.push({ error });
      continue;
    }
    const next = head + write.events.length;
    if (write.snapshot && write.snapshot.sequenceNr > next) {
      throw new InvalidSnapshotError(write.streamId, write.snapshot.sequenceNr, next);
    }
    const snapshot = write.snapshot && stamp(write.snapshot);
    if (snapshot instanceof Error) {
      outcomes.push({ error: snapshot });
      continue;
    }
    heads.set(write.streamId, next);
    const positions = write.events.map(() => ++position);
    outcomes.push({ positions });
    accepted.push({ ...write, positions, ...(snapshot && { snapshot }) });
  }
  return { outcomes, accepted };
}

/** A snapshot with the checksum of its state, as journals store it. Throws when the checksum cannot be computed. */
export function stamped(snapshot: Snapshot): Snapshot {
  return { ...snapshot, checksum: fingerprintOf(snapshot.state, 'snapshot.state') };
}

/** `stamped`, or the typed error that stops it. */
export function tryStamped(snapshot: Snapshot): Snapshot | EventfoldError {
  try {
    return stamped(snapshot);
  } catch (error) {
    return isEventfoldError(error) ? error : new NotCloneableError('snapshot.state', `value that cannot be checksummed (${String(error)})`);
  }
}

/** The writes with their snapshots stamped, or `undefined` when a snapshot cannot be (`planWrites` then says which). */
export function stampedAll(writes: readonly StreamWrite[]): StreamWrite[] | undefined {
  const ready: StreamWrite[] = [];
  for (const write of writes) {
    const snapshot = write.snapshot && tryStamped(write.snapshot);
    if (snapshot instanceof Error) return undefined;
    ready.push(snapshot ? { ...write, snapshot } : write);
  }
  return ready;
}

function appendError(write: StreamWrite, head: number): EventfoldError | undefined {
  const first = write.events[0]?.sequenceNr;
  if (first === undefined) return undefined;
  try {
    assertAppendsTo(write.streamId, first, head);
    return undefined;
  } catch (error) {
    return error as ConflictError;
  }
}

/** A conflict when the write reuses a key: one the journal holds, or one used earlier in the same call. */
function keyError(
  write: StreamWrite,
  head: number,
  used: Set<string>,
  keyTaken: WriteState['keyTaken'],
): EventfoldError | undefined {
  const mine: string[] = [];
  for (const { key } of write.idempotency ?? []) {
    const id = JSON.stringify([write.streamId, key]);
    if (used.has(id) || mine.includes(id) || keyTaken(write.streamId, key)) {
      return new ConflictError(write.streamId, head, head, `idempotency key ${JSON.stringify(key)} is already used`);
    }
    mine.push(id);
  }
  for (const id of mine) used.add(id);
  return undefined;
}

/** What a journal stores of a `append` call with inline projections. */
export interface ProjectedPlan extends WritePlan {
  /** The documents each live projection changed, by projection name. */
  readonly documents: Map<string, DocumentChanges>;
  /** The new checkpoint of each live projection; absent when no event was stored. */
  readonly position: number | undefined;
}

/**
 * `planWrites`, then the inline projections that are `live` (caught up with the journal) applied to the accepted
 * writes in order, each write's changes kept only if every projection applied all its events. A write that a
 * projection fails on is left out with that error, and the rest planned again (positions move up). `read` gives a
 * doc's stored value; the documents of `documentIdsFor(...)` must be readable.
 */
export function planProjectedWrites(
  writes: readonly StreamWrite[],
  state: WriteState,
  live: readonly AnyProjection[],
  read: (projection: string, id: string) => unknown,
): ProjectedPlan {
  if (live.length === 0) return unprojected(planWrites(writes, state));
  const failed = new Map<number, EventfoldError>();
  for (;;) {
    const indices = writes.map((_, i) => i).filter((i) => !failed.has(i));
    const heads = new Map(state.heads);
    const plan = planWrites(indices.map((i) => writes[i]!), { ...state, heads });
    const documents = new Map<string, DocumentChanges>(live.map((projection) => [projection.name, new Map()]));
    let failure: number | undefined;
    let k = 0;
    plan.outcomes.forEach((outcome, j) => {
      if (failure !== undefined || 'error' in outcome) return;
      const write = plan.accepted[k++]!;
      const events = eventsOf(write);
      const changes: [string, DocumentChanges][] = [];
      try {
        for (const projection of live) {
          const done = documents.get(projection.name)!;
          const read1 = (id: string) => (done.has(id) ? done.get(id) : read(projection.name, id));
          changes.push([projection.name, project(projection, events, read1)]);
        }
      } catch (error) {
        failure = indices[j]!;
        failed.set(failure, error as EventfoldError);
        return;
      }
      for (const [name, changed] of changes) for (const [id, doc] of changed) documents.get(name)!.set(id, doc);
    });
    if (failure !== undefined) continue;

    for (const [id, head] of heads) state.heads.set(id, head);
    const outcomes: AppendOutcome[] = writes.map((_, i) => {
      const error = failed.get(i);
      return error ? { error } : plan.outcomes[indices.indexOf(i)]!;
    });
    const position = plan.accepted.flatMap((write) => write.positions).at(-1);
    return { outcomes, accepted: plan.accepted, documents, position };
  }
}

/** A plan of writes that no projection changes documents with, as a `ProjectedPlan`. */
export function unprojected(plan: WritePlan): ProjectedPlan {
  return { ...plan, documents: new Map(), position: plan.accepted.flatMap((write) => write.positions).at(-1) };
}

/** The ids of the documents that `live` projections may change for `writes`, planned at `state` (not changed). */
export function documentIdsFor(writes: readonly StreamWrite[], state: WriteState, live: readonly AnyProjection[]): Map<string, string[]> {
  // Only the events matter here: the snapshots are stamped once, when the writes are planned.
  const { accepted } = planWrites(writes, { ...state, heads: new Map(state.heads) }, (snapshot) => snapshot);
  const events = accepted.flatMap(eventsOf);
  // A projection that throws here throws again when the write is planned, which leaves the write out.
  const idsOf = (projection: AnyProjection, event: ProjectionEvent) => {
    try {
      return documentIdsOf(projection, [event]);
    } catch {
      return [];
    }
  };
  return new Map(live.map((projection) => [projection.name, [...new Set(events.flatMap((event) => idsOf(projection, event)))]]));
}

/**
 * Whether a projection's served documents are caught up with a journal whose highest position is `position`, so
 * that a write updates them inline (during a rebuild too: the shadow catches up on its own).
 */
export function isLive(checkpoint: Checkpoint | undefined, position: number): boolean {
  return (checkpoint?.position ?? 0) === position;
}

/** The events of an accepted write as projections see them. */
export function eventsOf(write: AcceptedWrite): ProjectionEvent[] {
  return write.events.map((event, i) => projectionEventOf(write.streamId, { ...event, position: write.positions[i]! }));
}

/** The distinct stream ids of some writes. */
export function streamIdsOf(writes: readonly StreamWrite[]): string[] {
  return [...new Set(writes.map((write) => write.streamId))];
}
