export type { CommandOptions, CommandResult } from './command.ts';
export {
  type AnyEntityDefinition,
  type CommandOf,
  type Decision,
  defineEntity,
  type EntityDefinition,
  type EventOf,
  type ExpectedVersion,
  isRejection,
  matchesExpectedVersion,
  type Rejection,
  reject,
  type StateOf,
} from './entity.ts';
export {
  ClosedError,
  ConflictError,
  DatabaseBlockedError,
  type ErrorCode,
  type ErrorsByCode,
  EventfoldError,
  HandlerError,
  InvalidArgumentError,
  InvalidSnapshotError,
  isEventfoldError,
  NotCloneableError,
  RejectedError,
  restoreError,
  StorageError,
  StreamTooLongError,
  WorkerLostError,
} from './errors.ts';
export {
  DEFAULT_SNAPSHOTS_KEPT,
  type EventJournal,
  type JournalKind,
  type PersistedEvent,
  type Snapshot,
  type StreamWrite,
} from './journal.ts';
export {
  DEFAULT_PAGE_SIZE,
  foldEvents,
  type ReadPagesOptions,
  type RecoverOptions,
  readPages,
  recover,
  type Versioned,
} from './replay.ts';
export {
  createRuntime,
  type EntityChange,
  type EntityDefinitions,
  EntityRuntime,
  type RuntimeErrorContext,
  type RuntimeOptions,
  streamIdOf,
} from './runtime.ts';
export { neverSnapshot, type SnapshotContext, type SnapshotPolicy, snapshotEvery } from './snapshot-policy.ts';
export { assertCloneable, MAX_ENTITY_ID_LENGTH } from './validation.ts';
