export { type ExposeRuntimeOptions, exposeRuntime, type JournalLifecycle } from './expose-runtime.ts';
export type { RuntimeService, WorkerNotice } from './wire.ts';
