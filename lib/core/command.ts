import type { ExpectedVersion } from './entity.ts';
import type { PersistedEvent } from './journal.ts';
import { assertCloneable, assertName, assertRecord, invalidArgument, MAX_PAYLOAD_BYTES } from './validation.ts';

/** Options of one command. */
export interface CommandOptions {
  /** Optimistic concurrency: the stream version the command must act on, or it fails with a `ConflictError`. */
  expectedVersion?: ExpectedVersion;
  /**
   * Makes the command safe to retry: sent again to the same entity with the same key (after a lost reply or a
   * worker crash), it resolves with the original result and records nothing new. The same key with a different
   * command fails with an `IdempotencyKeyReusedError`. Keys are stored with the command's events, atomically.
   * A rejected command stores nothing, so its retry is decided again.
   */
  idempotencyKey?: string;
  /** The command's id, which becomes the `causationId` of its events. Default: a new random id. */
  commandId?: string;
  /** The flow the command belongs to, as the `correlationId` of its events. Default: the command's id. */
  correlationId?: string;
  /** Further metadata stored with each of the command's events: plain, cloneable data. */
  metadata?: Readonly<Record<string, unknown>>;
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

/**
 * Throws unless a command can be sent: a `NotCloneableError` for a command that cannot be stored or is heavier than
 * 1 MiB, an `InvalidArgumentError` (or a `NotCloneableError` for metadata) for malformed options.
 */
export function validateCommand(command: unknown, options: CommandOptions): void {
  assertCloneable(command, 'command', MAX_PAYLOAD_BYTES);
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const { expectedVersion, idempotencyKey, commandId, correlationId, metadata } = options;
  if (
    expectedVersion !== undefined &&
    !['any', 'no-stream', 'stream-exists'].includes(expectedVersion as string) &&
    !(Number.isSafeInteger(expectedVersion) && (expectedVersion as number) >= 0)
  ) {
    throw invalidArgument('expectedVersion', "a sequence number, 'any', 'no-stream' or 'stream-exists'", expectedVersion);
  }
  if (idempotencyKey !== undefined) assertName(idempotencyKey, 'idempotencyKey');
  if (commandId !== undefined) assertName(commandId, 'commandId');
  if (correlationId !== undefined) assertName(correlationId, 'correlationId');
  if (metadata !== undefined) assertCloneable(assertRecord(metadata, 'metadata'), 'metadata', MAX_PAYLOAD_BYTES);
}
