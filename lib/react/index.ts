export { type TimelineControls, useClientStatus, useEntity, useEntityIds, useTimeline } from './hooks.ts';
