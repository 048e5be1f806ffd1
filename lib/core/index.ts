export { type CommandOptions, type CommandResult, validateCommand } from './command.ts';
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
  IdempotencyKeyReusedError,
  InvalidArgumentError,
  InvalidSchemaError,
  InvalidSnapshotError,
  isEventfoldError,
  NotCloneableError,
  ProjectionRebuildingError,
  RejectedError,
  restoreError,
  StorageError,
  StreamTooLongError,
  UnknownEventTypeError,
  WorkerLostError,
} from './errors.ts';
export {
  DEFAULT_SNAPSHOTS_KEPT,
  type EventJournal,
  type EventMetadata,
  type IdempotencyRecord,
  type JournalKind,
  type NewEvent,
  type PersistedEvent,
  type PersistOptions,
  type PersistOutcome,
  type Snapshot,
  type StreamWrite,
} from './journal.ts';
export { eventTypeOf, fingerprintOf, randomId } from './identity.ts';
export { EntitySchema, type EventSchema, type EventSchemas } from './schema.ts';
export {
  type AnyProjection,
  type Checkpoint,
  type DocumentQuery,
  defineProjection,
  type Projection,
  type ProjectionEvent,
  project,
  projectionEventOf,
  type ReadModelDocument,
  type ReadModelView,
} from './projection.ts';
export type { ProjectionStatus } from './projection-runner.ts';
export {
  DEFAULT_PAGE_SIZE,
  foldEvents,
  readAll,
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
  type ReadModel,
  type RuntimeErrorContext,
  type RuntimeOptions,
  streamIdOf,
} from './runtime.ts';
export { neverSnapshot, type SnapshotContext, type SnapshotPolicy, snapshotEvery } from './snapshot-policy.ts';
export {
  assertCloneable,
  MAX_DEPTH,
  MAX_ENTITY_ID_LENGTH,
  MAX_ENTITY_TYPE_LENGTH,
  MAX_PAYLOAD_BYTES,
  MAX_STREAM_ID_LENGTH,
} from './validation.ts';
