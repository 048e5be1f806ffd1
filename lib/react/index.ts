export { type TimelineControls, useClientStatus, useEntity, useTimeline } from './hooks.ts';
