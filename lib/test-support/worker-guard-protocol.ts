/** The key under which the worker guard's messages travel, beside Comlink's. */
export const GUARD = 'eventfold-test-guard';

/** What a guarded worker and the page's guard tell each other. */
export type GuardMessage =
  | { kind: 'guarded' }
  | { kind: 'problem'; problem: string; message: string }
  | { kind: 'ping'; id: number }
  | { kind: 'pong'; id: number };

/** A worker problem the running test provokes on purpose. */
export interface ExpectedWorkerError {
  readonly pattern: RegExp;
  seen: boolean;
}

/** What the page's guard keeps, on the global object: the setup file and a test may load this module twice. */
interface GuardState {
  /** The worker problems the running test provokes on purpose. */
  readonly expected: ExpectedWorkerError[];
  /** The guarded workers not terminated. */
  readonly live: Set<{ settled(): Promise<void> }>;
}

/** The page guard's state. */
export function guardState(): GuardState {
  const global = globalThis as { [GUARD]?: GuardState };
  return (global[GUARD] ??= { expected: [], live: new Set() });
}

/** Resolves once every live guarded worker has reported what happened in it so far. */
export async function settleWorkers(): Promise<void> {
  await Promise.all([...guardState().live].map((worker) => worker.settled()));
}

/**
 * Declares that the running test makes a worker throw an uncaught error, or leave a rejection unhandled, whose
 * message matches `pattern`: the test then fails if it does not, rather than if it does.
 */
export function expectWorkerError(pattern: RegExp): void {
  guardState().expected.push({ pattern, seen: false });
}
