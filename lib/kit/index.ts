/**
 * The journal kit: what a journal on another store is built from, so that it keeps the promises of the journal
 * port exactly as the IndexedDB, in-memory and PostgreSQL journals do. A journal reads, in the atomic unit that
 * will store an `append` call, the heads of the streams written, the journal's position and the idempotency keys
 * taken (`WriteState`); `planWrites` (or `planProjectedWrites`, with inline projections) decides what to store; the
 * journal stores exactly the plan's accepted writes and returns its outcomes.
 *
 * Check the result with the contract suites of `eventfold/testing`.
 *
 * @module eventfold/kit
 */
export {
  type AcceptedWrite,
  documentIdsFor,
  eventsOf,
  isLive,
  type ProjectedPlan,
  planProjectedWrites,
  planWrites,
  stamped,
  stampedAll,
  streamIdsOf,
  tryStamped,
  unprojected,
  validateWrites,
  type WritePlan,
  type WriteState,
} from '../core/write-plan.ts';
export {
  assertCloneable,
  assertName,
  assertRange,
  assertSequenceNr,
  assertStreamId,
  MAX_DEPTH,
  MAX_PAYLOAD_BYTES,
  MAX_STREAM_ID_LENGTH,
} from '../core/validation.ts';
export {
  buildingAt,
  builtTo,
  project,
  rebuildFrom,
  servedAt,
  validateProjection,
  validateQuery,
} from '../core/projection.ts';
export { documentIdsOf } from '../core/projection-apply.ts';
export { projectionEventOf } from '../core/projection-event.ts';
export { fingerprintOf } from '../core/identity.ts';
export { DEFAULT_SNAPSHOTS_KEPT } from '../core/journal.ts';
export { keptSnapshots, snapshotSpacing } from '../core/snapshot-retention.ts';
export { decodeValue, encodeValue } from '../core/value-codec.ts';
// For hosts of entities beside the runtime (the sync server deciding devices' commands again): the runtime's own
// decision, recovery and schemas, so that every host decides a command exactly as the runtime does.
export { type CommandDecision, type DecisionContext, decideCommand, type Positioned } from '../core/decision.ts';
export { recover, type RecoverOptions, type Versioned } from '../core/replay.ts';
export { EntitySchema } from '../core/schema.ts';
