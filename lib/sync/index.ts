/**
 * Sync for devices: the outbox, the runtime that decides commands on the device's view and rebases them, and the
 * loop that pushes and pulls (see the README's "Sync protocol"). `exposeRuntime({ sync })` puts them together in a
 * worker; these are the parts.
 *
 * @module eventfold/sync
 */
export { type DeviceState, type NewEntry, Outbox, type OutboxEntry, type ServerRejection, type Settled } from './outbox.ts';
export * from './protocol.ts';
export { type SyncConnection, SyncHttp } from './sync-http.ts';
export { SyncEngine, type SyncEngineOptions, type SyncStatus } from './sync-engine.ts';
export { syncWith, type SyncWithOptions } from './sync-with.ts';
export {
  type Confirmation,
  type PendingCommand,
  type PendingView,
  type SyncedChange,
  type SyncedResult,
  SyncedRuntime,
  type SyncedRuntimeOptions,
} from './synced-runtime.ts';
