import { InvalidArgumentError } from './errors.ts';

/** What a snapshot policy sees after events were persisted. */
export interface SnapshotContext<S> {
  /** The stream's newest sequence number before the batch. */
  readonly previousSequenceNr: number;
  /** The stream's newest sequence number after the batch. */
  readonly sequenceNr: number;
  /** The state after the batch. */
  readonly state: S;
}

/** Decides, after each persisted batch, whether to store a snapshot of the new state. */
export interface SnapshotPolicy<S = unknown> {
  /** True to store a snapshot of the state after the batch, in the batch's transaction. */
  shouldSnapshot(context: SnapshotContext<S>): boolean;
}

/**
 * Snapshot whenever the stream crosses a multiple of `n` events (sequence numbers n, 2n, 3n…; a batch that jumps
 * over a multiple snapshots at its end). Counted by sequence number rather than by events seen since start-up, so
 * the rhythm survives restarts.
 */
export function snapshotEvery(n: number): SnapshotPolicy {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`snapshotEvery needs a positive integer, got ${n}`, 'n');
  }
  return {
    shouldSnapshot: ({ previousSequenceNr, sequenceNr }) =>
      Math.floor(sequenceNr / n) > Math.floor(previousSequenceNr / n),
  };
}

/** Never snapshot: recovery always replays the whole stream. */
export const neverSnapshot: SnapshotPolicy = { shouldSnapshot: () => false };
