/**
 * Runs a runtime in a module worker (`exposeRuntime`), for the page to drive with `eventfold/client`.
 *
 * @module eventfold/worker
 */
export { type ExposeRuntimeOptions, exposeRuntime, type JournalLifecycle } from './expose-runtime.ts';
export type { RuntimeService, WireSettled, WorkerNotice } from './wire.ts';
export type {
  SyncMessage,
  WireConfirmation,
  WirePendingView,
  WireRejection,
  WireSyncStatus,
  WorkerSync,
  WorkerSyncContext,
  WorkerSyncView,
} from './worker-sync.ts';
