export { Client, type ClientStatus, connect } from './client.ts';
export { type EntitySnapshot, EntityStore } from './entity-store.ts';
export { Timeline, type TimelineOptions, type TimelineSnapshot, type TimelineSource } from './timeline.ts';
