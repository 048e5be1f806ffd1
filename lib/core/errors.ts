import { entityOf } from './stream-id.ts';

/**
 * Every error eventfold raises carries a stable string `code`. Recognise errors by that code
 * (`isEventfoldError(e, 'conflict')`), not by `instanceof`: codes survive the worker boundary and
 * bundling the library twice, classes do not.
 */
export type ErrorCode =
  | 'conflict'
  | 'rejected'
  | 'invalid-argument'
  | 'not-cloneable'
  | 'handler-failed'
  | 'invalid-snapshot'
  | 'storage-failed'
  | 'database-blocked'
  | 'closed'
  | 'worker-lost'
  | 'outcome-unknown'
  | 'stream-too-long'
  | 'idempotency-key-reused'
  | 'invalid-schema'
  | 'unknown-event-type'
  | 'projection-rebuilding'
  | 'corrupted-data'
  | 'unsupported'
  | 'sync-failed'
  | 'invalid-import';

/**
 * Base class of eventfold's errors. Each class names itself with a string literal (`name = 'RejectedError'`), not
 * with its constructor's name, which a minifier shortens: `String(error)` reads `RejectedError: …` in production too.
 */
export abstract class EventfoldError extends Error {
  /** What went wrong, stable across versions and the worker boundary: what to branch on (`isEventfoldError`). */
  abstract readonly code: ErrorCode;
  /** The class's name, as `String(error)` and stack traces show it: `RejectedError`. */
  abstract override readonly name: string;

  /** `fields`: the subclass's typed fields, set on the error (one `Object.assign` rather than one line each). */
  constructor(message: string, options?: { cause?: unknown }, fields?: object) {
    super(message, options);
    Object.assign(this, fields);
  }
}

/**
 * An error about one entity. It names the entity as the caller does, by `entityType` and `entityId` (as in
 * `send('account', 'acc-001', …)`), and keeps the journal stream the two make (`account:acc-001`) as `streamId`.
 */
export abstract class EntityError extends EventfoldError {
  /** The entity's type, as the runtime serves it; `''` for a stream written straight to a journal without one. */
  declare readonly entityType: string;
  /** The entity's id, as the caller gave it: `acc-001`, not its stream `account:acc-001`. */
  declare readonly entityId: string;
  /** The entity's journal stream (`streamIdOf(entityType, entityId)`), the id that the journal's methods take. */
  declare readonly streamId: string;

  constructor(streamId: string, message: string, options?: { cause?: unknown }, fields?: object) {
    super(message, options, { ...entityOf(streamId), streamId, ...fields });
  }
}

/** An entity for a message, in the caller's words: `account "acc-001"`, or `"a"` for a stream without a type. */
function describeEntity(streamId: string): string {
  const { entityType, entityId } = entityOf(streamId);
  return `${entityType && `${entityType} `}"${entityId}"`;
}

/** The error class behind each code. */
export interface ErrorsByCode {
  /** Another writer appended first, an expected version did not hold, or a batch does not continue its stream. */
  conflict: ConflictError;
  /** `decide` refused the command with `reject(reason)`. */
  rejected: RejectedError;
  /** An argument is malformed: an empty id, a bad sequence number, an unknown entity type. */
  'invalid-argument': InvalidArgumentError;
  /** A value cannot be stored faithfully: a function, a symbol, a class instance. */
  'not-cloneable': NotCloneableError;
  /** `decide`, `evolve`, an upcaster or a projection threw, or returned what it must not. */
  'handler-failed': HandlerError;
  /** A snapshot's sequence number lies outside its stream. */
  'invalid-snapshot': InvalidSnapshotError;
  /** The storage engine failed: a full quota, I/O, an aborted transaction. */
  'storage-failed': StorageError;
  /** An upgrade of the database waits for another tab to let it go. */
  'database-blocked': DatabaseBlockedError;
  /** The journal, runtime or client is closed. */
  closed: ClosedError;
  /** The worker hosting the runtime stopped before the call completed. */
  'worker-lost': WorkerLostError;
  /** A write may or may not have been stored. */
  'outcome-unknown': OutcomeUnknownError;
  /** An activation would replay more events than `maxReplayedEvents` allows. */
  'stream-too-long': StreamTooLongError;
  /** An idempotency key came back with a different command. */
  'idempotency-key-reused': IdempotencyKeyReusedError;
  /** An entity's event schemas do not hold together. */
  'invalid-schema': InvalidSchemaError;
  /** A stored event's type or version is unknown to this build. */
  'unknown-event-type': UnknownEventTypeError;
  /** A read model has nothing to show until it is built. */
  'projection-rebuilding': ProjectionRebuildingError;
  /** What storage holds is not what eventfold wrote. */
  'corrupted-data': CorruptedDataError;
  /** Something eventfold needs is missing where it runs, such as IndexedDB in Node. */
  unsupported: UnsupportedError;
  /** A request to the sync server failed: offline, refused, or answered with what is not the protocol. */
  'sync-failed': SyncError;
  /** A journal export cannot be imported: damaged, truncated, foreign, or into a journal that is not empty. */
  'invalid-import': InvalidImportError;
}

/**
 * True when `error` is an eventfold error, of the given code when one is given; narrows it to that code's class.
 * Checks the shape, not the prototype, so it also recognises errors that crossed a worker boundary.
 */
export function isEventfoldError<C extends ErrorCode = ErrorCode>(error: unknown, code?: C): error is ErrorsByCode[C] {
  if (typeof error !== 'object' || error === null) return false;
  const actual = (error as { code?: unknown }).code;
  return typeof actual === 'string' && (code === undefined ? Object.hasOwn(ERROR_CLASSES, actual) : actual === code);
}

/**
 * Rebuilds an eventfold error from its fields (as sent across a worker boundary), as an instance of its class, so
 * that both `isEventfoldError` and `instanceof` recognise it. Returns `undefined` for an unknown code.
 */
export function restoreError(fields: { code: string; message: string; [field: string]: unknown }): EventfoldError | undefined {
  if (!Object.hasOwn(ERROR_CLASSES, fields.code)) return undefined;
  const errorClass = ERROR_CLASSES[fields.code as ErrorCode];
  return Object.assign(Object.create(errorClass.prototype) as EventfoldError, fields);
}

/**
 * The stream is not where the writer expected it: another writer appended first, an expected version did not
 * hold, or a batch's sequence numbers do not continue the stream without a gap or a duplicate.
 */
export class ConflictError extends EntityError {
  readonly code = 'conflict';
  override readonly name = 'ConflictError';
  /** The highest sequence number the writer expected the stream to have (or a version condition). */
  declare readonly expected: number | 'no-stream' | 'stream-exists';
  /** The stream's actual highest sequence number (0 when it has no events). */
  declare readonly actual: number;

  /** `streamId`: the stream written (the entity's type and id are its halves, see `EntityError`). */
  constructor(streamId: string, expected: number | 'no-stream' | 'stream-exists', actual: number, detail?: string) {
    const wanted = expected === 'no-stream' ? 'no stream' : expected === 'stream-exists' ? 'an existing stream' : `sequence number ${expected}`;
    super(streamId, `Conflict on ${describeEntity(streamId)}: expected ${wanted}, but the stream is at ${actual}${detail ? ` (${detail})` : ''}`, {}, {
      expected,
      actual,
    });
  }
}

/** The entity's `decide` refused the command; `reason` says why, in the domain's words. */
export class RejectedError extends EntityError {
  readonly code = 'rejected';
  override readonly name = 'RejectedError';
  /** Why, as `decide` said it with `reject(reason)`. */
  declare readonly reason: string;

  /** `streamId`: the stream of the entity that refused (see `EntityError`). */
  constructor(streamId: string, reason: string) {
    super(streamId, `Command rejected by ${describeEntity(streamId)}: ${reason}`, {}, { reason });
  }
}

/** An argument is malformed: an empty entity id, a bad sequence number or range, an unknown entity type. */
export class InvalidArgumentError extends EventfoldError {
  readonly code = 'invalid-argument';
  override readonly name = 'InvalidArgumentError';
  /** The name of the argument at fault. */
  declare readonly argument: string;

  constructor(message: string, argument: string) {
    super(message, {}, { argument });
  }
}

/**
 * An event, command or snapshot holds a value that IndexedDB cannot store faithfully (a function, a symbol, a
 * DOM node, a class instance), or one eventfold refuses (nested too deep, too heavy, a `__proto__` key). `path`
 * locates it, as in `events[0].payload.callback`.
 */
export class NotCloneableError extends EventfoldError {
  readonly code = 'not-cloneable';
  override readonly name = 'NotCloneableError';
  /** Where the value is, from the argument's root: `command.payload.onClick`, `events[0].event.payload`. */
  declare readonly path: string;
  /** What was found there, such as `function` or `HTMLDivElement`. */
  declare readonly found: string;

  constructor(path: string, found: string) {
    super(`${path} is a ${found}: ${/^(value|key) /.test(found) ? 'eventfold refuses it' : 'it cannot be stored'}`, {}, {
      path,
      found,
    });
  }
}

/**
 * Code of the application failed: the entity's `decide`, `evolve` or an event upcaster, or a projection, threw or
 * returned what it must not (a Promise, say). Nothing was persisted and the entity keeps its state. `cause` holds
 * what was thrown, or a `TypeError` saying what was wrong with what was returned.
 */
export class HandlerError extends EntityError {
  readonly code = 'handler-failed';
  override readonly name = 'HandlerError';
  /** The function that failed. */
  declare readonly handler: 'decide' | 'evolve' | 'upcast' | 'project';
  /** The projection that failed, when `handler` is `project`. */
  declare readonly projection?: string;

  /**
   * `streamId`: the stream of the entity whose command or event was handled (see `EntityError`). `options.projection`:
   * the projection, for `project`; `options.returned`: what the handler returned instead of throwing (`a Promise`),
   * when that is what was wrong.
   */
  constructor(
    streamId: string,
    handler: 'decide' | 'evolve' | 'upcast' | 'project',
    cause: unknown,
    options: { projection?: string; returned?: string } = {},
  ) {
    const { projection, returned } = options;
    const who = projection === undefined ? `${handler} of` : `projection "${projection}" on an event of`;
    super(
      streamId,
      `${who} ${describeEntity(streamId)} ${returned === undefined ? 'threw' : `returned ${returned}`}: ${messageOf(cause)}`,
      { cause },
      projection === undefined ? { handler } : { handler, projection },
    );
  }
}

/** A snapshot cannot be stored: its sequence number is not a positive integer or lies beyond the stream. */
export class InvalidSnapshotError extends EntityError {
  readonly code = 'invalid-snapshot';
  override readonly name = 'InvalidSnapshotError';
  /** The sequence number the snapshot was given. */
  declare readonly sequenceNr: number;
  /** The stream's highest sequence number when the snapshot was refused. */
  declare readonly highestSequenceNr: number;

  /** `streamId`: the stream of the entity (see `EntityError`). */
  constructor(streamId: string, sequenceNr: number, highestSequenceNr: number) {
    super(streamId, `Snapshot of ${describeEntity(streamId)} at sequence number ${sequenceNr} lies outside the stream (1 to ${highestSequenceNr})`, {}, {
      sequenceNr,
      highestSequenceNr,
    });
  }
}

/** The storage engine failed (quota, I/O, an aborted transaction). `cause` holds the engine's own error. */
export class StorageError extends EventfoldError {
  readonly code = 'storage-failed';
  override readonly name = 'StorageError';

  constructor(operation: string, cause: unknown) {
    super(`Storage failed during ${operation}: ${messageOf(cause)}`, { cause });
  }
}

/** Opening the database needs a schema upgrade that another open connection (usually another tab) blocks. */
export class DatabaseBlockedError extends EventfoldError {
  readonly code = 'database-blocked';
  override readonly name = 'DatabaseBlockedError';
  /** The IndexedDB database's name (the journal's). */
  declare readonly databaseName: string;
  /** The app's version of the database as it is (see `IndexedDbJournalOptions.version`). */
  declare readonly currentVersion: number;
  /** The app's version that the opening asked for. */
  declare readonly requestedVersion: number;

  constructor(databaseName: string, currentVersion: number, requestedVersion: number) {
    super(`Database "${databaseName}" cannot go from version ${currentVersion} to ${requestedVersion}: another tab keeps it open; close or reload it`, {}, {
      databaseName,
      currentVersion,
      requestedVersion,
    });
  }
}

/** The journal or runtime was closed, by its owner or because a newer version of the app took the database. */
export class ClosedError extends EventfoldError {
  readonly code = 'closed';
  override readonly name = 'ClosedError';
  /** What is closed, as the message names it: `The journal`, `The runtime`, `The client`. */
  declare readonly what: string;
  /**
   * `closed`: by its owner; `version-change`: a newer version of the app upgraded the database; `deleted`: the
   * database was deleted; `terminated`: the browser closed the connection.
   */
  declare readonly reason: 'closed' | 'version-change' | 'deleted' | 'terminated';

  constructor(what: string, reason: 'closed' | 'version-change' | 'deleted' | 'terminated' = 'closed') {
    super(
      `${what} ${
        reason === 'version-change'
          ? 'was closed: a newer version of the app upgraded the database; reload the page'
          : reason === 'deleted'
            ? 'was closed: its database was deleted (by another tab, or with the site data)'
            : reason === 'terminated'
              ? 'was closed by the browser'
              : 'is closed'
      }`,
      {},
      { what, reason },
    );
  }
}

/**
 * The worker that hosted the runtime stopped (terminated, crashed, or failed to load) before the call completed.
 * The call may or may not have taken effect; everything acknowledged before is durable.
 */
export class WorkerLostError extends EventfoldError {
  readonly code = 'worker-lost';
  override readonly name = 'WorkerLostError';
  /** How the worker was found lost: it failed to load, its lock was released, the client was closed… */
  declare readonly detail: string;

  constructor(detail: string) {
    super(`The eventfold worker stopped: ${detail}`, {}, { detail });
  }
}

/**
 * The journal's answer to a write did not say whether it was stored (it answered with the wrong number of
 * outcomes, or with a malformed one): the command may or may not have taken effect. The entity reads the journal
 * again before its next decision. A command sent with an `idempotencyKey` can be sent again: it takes effect once.
 */
export class OutcomeUnknownError extends EventfoldError {
  readonly code = 'outcome-unknown';
  override readonly name = 'OutcomeUnknownError';
  /** What was wrong with the journal's answer. */
  declare readonly detail: string;

  constructor(detail: string) {
    super(`The outcome of the write is unknown: ${detail}`, {}, { detail });
  }
}

/**
 * Activating the entity would replay more events after its newest snapshot than its definition allows
 * (`maxReplayedEvents`): give it a snapshot policy, or raise the limit.
 */
export class StreamTooLongError extends EntityError {
  readonly code = 'stream-too-long';
  override readonly name = 'StreamTooLongError';
  /** The events that the activation would replay. */
  declare readonly replayed: number;
  /** The definition's `maxReplayedEvents`. */
  declare readonly limit: number;

  /** `streamId`: the stream of the entity (see `EntityError`). */
  constructor(streamId: string, replayed: number, limit: number) {
    super(
      streamId,
      `Activating ${describeEntity(streamId)} would replay ${replayed} events, over its maxReplayedEvents of ${limit}: give it a snapshotPolicy such as snapshotEvery(n)`,
      {},
      { replayed, limit },
    );
  }
}

/**
 * A command came with an idempotency key that the entity already used for a different command. Nothing was
 * recorded; use a new key for a new command.
 */
export class IdempotencyKeyReusedError extends EntityError {
  readonly code = 'idempotency-key-reused';
  override readonly name = 'IdempotencyKeyReusedError';
  /** The command's `idempotencyKey`. */
  declare readonly key: string;

  /** `streamId`: the stream of the entity (see `EntityError`). */
  constructor(streamId: string, key: string) {
    super(streamId, `Idempotency key ${JSON.stringify(key)} of ${describeEntity(streamId)} was used for another command`, {}, { key });
  }
}

/**
 * An entity definition's schemas do not hold together: an event type's upcaster chain has a gap, an alias is used
 * twice, a version is not a positive integer. Raised when the runtime starts, before anything is read.
 */
export class InvalidSchemaError extends EventfoldError {
  readonly code = 'invalid-schema';
  override readonly name = 'InvalidSchemaError';
  /** The entity type whose definition is at fault. */
  declare readonly entityType: string;
  /** What does not hold together. */
  declare readonly detail: string;

  constructor(entityType: string, detail: string) {
    super(`The schemas of entity type "${entityType}" are invalid: ${detail}`, {}, { entityType, detail });
  }
}

/**
 * A stored event cannot be read by this build: its type is not in the entity's event registry, or its schema
 * version is newer than the registry's (written by a newer version of the app, in another tab say). The entity
 * does not activate; nothing is changed. Reload to run the newer version.
 */
export class UnknownEventTypeError extends EntityError {
  readonly code = 'unknown-event-type';
  override readonly name = 'UnknownEventTypeError';
  /** The event's type, as stored (or as `decide` returned it). */
  declare readonly type: string;
  /** The event's schema version, as stored. */
  declare readonly schemaVersion: number;
  /** The sequence number of the event, or 0 for an event that `decide` returned. */
  declare readonly sequenceNr: number;

  /** `streamId`: the stream of the entity (see `EntityError`); `detail`: what is wrong, ending the message. */
  constructor(streamId: string, type: string, schemaVersion: number, sequenceNr: number, detail: string) {
    super(streamId, `Event "${type}" v${schemaVersion} of ${describeEntity(streamId)}${sequenceNr ? ` at sequence number ${sequenceNr}` : ''} ${detail}`, {}, {
      type,
      schemaVersion,
      sequenceNr,
    });
  }
}

/**
 * A read model has nothing to show yet: a projection new to a journal with history (or rebuilt before it had
 * applied any event) is being built, and a part of it is never served. Read it again once it is built. (A rebuild
 * of a read model that has documents never causes this: reads are served the previous documents meanwhile.)
 */
export class ProjectionRebuildingError extends EventfoldError {
  readonly code = 'projection-rebuilding';
  override readonly name = 'ProjectionRebuildingError';
  /** The projection's name. */
  declare readonly projection: string;
  /** Events applied so far. */
  declare readonly processed: number;
  /** Events to apply in all. */
  declare readonly total: number;

  constructor(projection: string, processed: number, total: number) {
    super(`The read model "${projection}" is being built (${processed} of ${total} events): read it again later`, {}, {
      projection,
      processed,
      total,
    });
  }
}

/**
 * What storage holds for an entity is not what eventfold wrote: an event is missing from its stream, a record lacks
 * its fields, a snapshot's state does not match its checksum or lies beyond the stream. Events are never repaired
 * or skipped: the entity fails with this error, and the good events stay as they are. A bad snapshot is ignored
 * instead, and the state rebuilt from the events (reported to the runtime's `onError`).
 */
export class CorruptedDataError extends EntityError {
  readonly code = 'corrupted-data';
  override readonly name = 'CorruptedDataError';
  /** The sequence number of the event or snapshot at fault. */
  declare readonly sequenceNr: number;
  /** What is wrong with it. */
  declare readonly detail: string;

  /** `streamId`: the stream of the entity (see `EntityError`). */
  constructor(streamId: string, sequenceNr: number, detail: string) {
    super(streamId, `The stored data of ${describeEntity(streamId)} is corrupted at sequence number ${sequenceNr}: ${detail}`, {}, {
      sequenceNr,
      detail,
    });
  }
}

/**
 * Something eventfold needs is missing where it runs: IndexedDB in Node (without a polyfill), say. The message says
 * what to use there instead.
 */
export class UnsupportedError extends EventfoldError {
  readonly code = 'unsupported';
  override readonly name = 'UnsupportedError';
  /** What is missing, as in `IndexedDB`. */
  declare readonly missing: string;

  /** `advice`: what to do instead. */
  constructor(missing: string, advice: string) {
    super(`${missing} is not available here: ${advice}`, {}, { missing });
  }
}

/**
 * A request to the sync server failed. `reason` is the server's error code (`forbidden`, `rate-limited`,
 * `out-of-order`…), `offline` when no answer came, or `bad-answer` when the answer is not the protocol's. Sync
 * tries again by itself when `retryable`; the others need a change (a new token, a newer app).
 */
export class SyncError extends EventfoldError {
  readonly code = 'sync-failed';
  override readonly name = 'SyncError';
  /** The server's error code, `offline` or `bad-answer`. */
  declare readonly reason: string;
  /** The HTTP status, when an answer came. */
  declare readonly status: number | undefined;
  /** Whether the same request may succeed later as it is. */
  declare readonly retryable: boolean;
  /** What else the server said (`expectedSeq` for `out-of-order`). */
  declare readonly details: Readonly<Record<string, unknown>>;

  constructor(reason: string, message: string, options: { status?: number; retryable: boolean; details?: Readonly<Record<string, unknown>>; cause?: unknown }) {
    super(`Sync failed (${reason}): ${message}`, { cause: options.cause }, { reason, status: options.status, retryable: options.retryable, details: options.details ?? {} });
  }
}

/**
 * A journal export that `importJournal` refuses, before it stores anything: not an eventfold export, of a newer
 * format version, damaged or cut short, or offered to a journal that already holds events. `line` is where in the
 * file (1-based; 0 for the journal itself), `reason` what is wrong there.
 */
export class InvalidImportError extends EventfoldError {
  readonly code = 'invalid-import';
  override readonly name = 'InvalidImportError';
  /** The line of the file at fault, from 1; 0 when the journal, not the file, is. */
  declare readonly line: number;
  /** What is wrong there. */
  declare readonly reason: string;

  constructor(line: number, reason: string, options?: { cause?: unknown }) {
    super(line === 0 ? `Cannot import: ${reason}` : `Cannot import: line ${line} ${reason}`, options, { line, reason });
  }
}

const ERROR_CLASSES: { readonly [C in ErrorCode]: abstract new (...args: never[]) => ErrorsByCode[C] } = {
  conflict: ConflictError,
  rejected: RejectedError,
  'invalid-argument': InvalidArgumentError,
  'not-cloneable': NotCloneableError,
  'handler-failed': HandlerError,
  'invalid-snapshot': InvalidSnapshotError,
  'storage-failed': StorageError,
  'database-blocked': DatabaseBlockedError,
  closed: ClosedError,
  'worker-lost': WorkerLostError,
  'outcome-unknown': OutcomeUnknownError,
  'stream-too-long': StreamTooLongError,
  'idempotency-key-reused': IdempotencyKeyReusedError,
  'invalid-schema': InvalidSchemaError,
  'unknown-event-type': UnknownEventTypeError,
  'projection-rebuilding': ProjectionRebuildingError,
  'corrupted-data': CorruptedDataError,
  unsupported: UnsupportedError,
  'sync-failed': SyncError,
  'invalid-import': InvalidImportError,
};

/** The message of anything thrown, for error texts. */
export function messageOf(cause: unknown): string {
  if (cause instanceof Error) return cause.message || cause.name;
  if (typeof cause === 'object' && cause !== null && 'message' in cause) return String(cause.message);
  return String(cause);
}
