import { type ConflictError, InvalidArgumentError, InvalidSnapshotError } from './errors.ts';
import type { StreamWrite } from './journal.ts';
import { assertAppendsTo, assertEntityId, describe, validateBatch, validateSnapshot } from './validation.ts';

/** Checks every write of a `persistMany` call before anything is stored; throws on the first malformed one. */
export function validateWrites(writes: readonly StreamWrite[]): void {
  if (!Array.isArray(writes)) throw new InvalidArgumentError(`writes must be an array, got ${describe(writes)}`, 'writes');
  for (const write of writes) {
    assertEntityId(write?.entityId);
    validateBatch(write.entityId, write.events);
    if (write.snapshot !== undefined) validateSnapshot(write.snapshot);
  }
}

/** What a journal stores of a `persistMany` call, decided before it stores anything. */
export interface WritePlan {
  /** Per write: the conflict that excludes it, or `undefined` when it is stored. */
  readonly outcomes: (ConflictError | undefined)[];
  /** The writes to store, in order. */
  readonly accepted: StreamWrite[];
}

/**
 * Decides which validated writes continue their streams, given each stream's newest sequence number in `heads`
 * (updated in place to the heads after the accepted writes). Throws an `InvalidSnapshotError` when an accepted
 * write's snapshot lies beyond its stream: that fails the whole call, as a malformed write would.
 */
export function planWrites(writes: readonly StreamWrite[], heads: Map<string, number>): WritePlan {
  const outcomes: (ConflictError | undefined)[] = [];
  const accepted: StreamWrite[] = [];
  for (const write of writes) {
    const head = heads.get(write.entityId) ?? 0;
    const first = write.events[0]?.sequenceNr;
    if (first !== undefined) {
      try {
        assertAppendsTo(write.entityId, first, head);
      } catch (error) {
        outcomes.push(error as ConflictError);
        continue;
      }
    }
    const next = head + write.events.length;
    if (write.snapshot && write.snapshot.sequenceNr > next) {
      throw new InvalidSnapshotError(write.entityId, write.snapshot.sequenceNr, next);
    }
    heads.set(write.entityId, next);
    outcomes.push(undefined);
    accepted.push(write);
  }
  return { outcomes, accepted };
}

/** `persist` in terms of `persistMany`: one write, its conflict thrown. */
export async function persistOne(
  journal: { persistMany(writes: readonly StreamWrite[]): Promise<(ConflictError | undefined)[]> },
  entityId: string,
  events: StreamWrite['events'],
): Promise<void> {
  const [conflict] = await journal.persistMany([{ entityId, events }]);
  if (conflict) throw conflict;
}

/** The distinct entity ids of some writes. */
export function entityIdsOf(writes: readonly StreamWrite[]): string[] {
  return [...new Set(writes.map((write) => write.entityId))];
}
