export { type TimelineControls, useClientStatus, useEntity, useEntityIds, useReadModel, useTimeline } from './hooks.ts';
