import { ConflictError, type EventfoldError, InvalidArgumentError, InvalidSnapshotError } from './errors.ts';
import type { NewEvent, PersistOutcome, StreamWrite } from './journal.ts';
import {
  assertAppendsTo,
  assertEntityId,
  describe,
  validateBatch,
  validateIdempotency,
  validateSnapshot,
} from './validation.ts';

/** Checks every write of a `persistMany` call before anything is stored; throws on the first malformed one. */
export function validateWrites(writes: readonly StreamWrite[]): void {
  if (!Array.isArray(writes)) throw new InvalidArgumentError(`writes must be an array, got ${describe(writes)}`, 'writes');
  for (const write of writes) {
    assertEntityId(write?.entityId);
    validateBatch(write.entityId, write.events);
    if (write.snapshot !== undefined) validateSnapshot(write.snapshot);
    if (write.idempotency !== undefined) validateIdempotency(write.idempotency);
  }
}

/** What the journal knows when it plans a `persistMany` call, read in the transaction that will store it. */
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
  readonly positions: readonly number[];
}

/** What a journal stores of a `persistMany` call, decided before it stores anything. */
export interface WritePlan {
  /** Per write: its positions when it is stored, or the conflict that excludes it. */
  readonly outcomes: PersistOutcome[];
  /** The writes to store, in order. */
  readonly accepted: AcceptedWrite[];
}

/**
 * Decides which validated writes continue their streams and use fresh idempotency keys, and gives their events
 * global positions after `state.position`. Throws an `InvalidSnapshotError` when an accepted write's snapshot lies
 * beyond its stream: that fails the whole call, as a malformed write would.
 */
export function planWrites(writes: readonly StreamWrite[], state: WriteState): WritePlan {
  const { heads, keyTaken } = state;
  let position = state.position;
  const keys = new Set<string>();
  const outcomes: PersistOutcome[] = [];
  const accepted: AcceptedWrite[] = [];
  for (const write of writes) {
    const head = heads.get(write.entityId) ?? 0;
    const error = appendError(write, head) ?? keyError(write, head, keys, keyTaken);
    if (error) {
      outcomes.push({ error });
      continue;
    }
    const next = head + write.events.length;
    if (write.snapshot && write.snapshot.sequenceNr > next) {
      throw new InvalidSnapshotError(write.entityId, write.snapshot.sequenceNr, next);
    }
    heads.set(write.entityId, next);
    const positions = write.events.map(() => ++position);
    outcomes.push({ positions });
    accepted.push({ ...write, positions });
  }
  return { outcomes, accepted };
}

function appendError(write: StreamWrite, head: number): EventfoldError | undefined {
  const first = write.events[0]?.sequenceNr;
  if (first === undefined) return undefined;
  try {
    assertAppendsTo(write.entityId, first, head);
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
    const id = JSON.stringify([write.entityId, key]);
    if (used.has(id) || mine.includes(id) || keyTaken(write.entityId, key)) {
      return new ConflictError(write.entityId, head, head, `idempotency key ${JSON.stringify(key)} is already used`);
    }
    mine.push(id);
  }
  for (const id of mine) used.add(id);
  return undefined;
}

/** `persist` in terms of `persistMany`: one write, its error thrown, its positions returned. */
export async function persistOne(
  journal: { persistMany(writes: readonly StreamWrite[]): Promise<PersistOutcome[]> },
  entityId: string,
  events: readonly NewEvent[],
): Promise<number[]> {
  const [outcome] = await journal.persistMany([{ entityId, events }]);
  if (outcome && 'error' in outcome) throw outcome.error;
  return [...(outcome?.positions ?? [])];
}

/** The distinct entity ids of some writes. */
export function entityIdsOf(writes: readonly StreamWrite[]): string[] {
  return [...new Set(writes.map((write) => write.entityId))];
}
