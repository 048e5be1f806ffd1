import type { ExpectedVersion } from './entity.ts';
import type { PersistedEvent } from './journal.ts';

/** Options of one command. */
export interface CommandOptions {
  /** Optimistic concurrency: the stream version the command must act on, or it fails with a `ConflictError`. */
  expectedVersion?: ExpectedVersion;
}

/** What a successful command returns, once its events are durable. */
export interface CommandResult<S, E> {
  /** The entity's state after the command. */
  readonly state: S;
  /** The sequence number of the entity's newest event. */
  readonly sequenceNr: number;
  /** The events the command recorded (none when `decide` returned an empty list). */
  readonly events: readonly PersistedEvent<E>[];
}
