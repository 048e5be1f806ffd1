/**
 * The page side: a typed client of a runtime in a worker (`connect`), and the external stores it offers.
 *
 * @module eventfold/client
 */
export { Client, type ClientOptions, type ClientStatus, connect, type ReadModelDoc, type ReadModelName } from './client.ts';
export type { ListenerErrorHandler } from './listeners.ts';
export { type EntityIdsSnapshot, type EntitySnapshot, entityIdsStore, entityStore, type Subscribe } from './entity-store.ts';
export { SourceStore } from './source-store.ts';
export { Timeline, type TimelineOptions, type TimelineSnapshot, type TimelineSource } from './timeline.ts';
export { type ReadModelSnapshot, type ReadModelSource, readModelStore } from './read-model-store.ts';
export type { WireConfirmation, WirePendingView, WireRejection, WireSyncStatus } from '../worker/worker-sync.ts';
