/**
 * React hooks over the client, on `useSyncExternalStore`.
 *
 * @module eventfold/react
 */
export { type TimelineControls, useClientStatus, useEntity, useEntityIds, useReadModel, useTimeline } from './hooks.ts';
