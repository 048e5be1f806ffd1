export { Client, type ClientOptions, type ClientStatus, connect, type ReadModelDoc, type ReadModelName } from './client.ts';
export type { ListenerErrorHandler } from './listeners.ts';
export { type EntityIdsSnapshot, type EntitySnapshot, entityIdsStore, entityStore } from './entity-store.ts';
export { SourceStore } from './source-store.ts';
export { Timeline, type TimelineOptions, type TimelineSnapshot, type TimelineSource } from './timeline.ts';
export { type ReadModelSnapshot, type ReadModelSource, readModelStore } from './read-model-store.ts';
