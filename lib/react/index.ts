/**
 * React hooks over the client, on `useSyncExternalStore`.
 *
 * @module eventfold/react
 */
export { type RejectionControls, type TimelineControls, useClientStatus, useEntity, useEntityIds, useReadModel, useRejections, useSyncStatus, useTimeline } from './hooks.ts';
