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

/**
 * The expectations of the running test. Kept on the global object: the setup file and a test may load this module
 * under different URLs, hence twice.
 */
export function expectedWorkerErrors(): ExpectedWorkerError[] {
  const global = globalThis as { [GUARD]?: ExpectedWorkerError[] };
  return (global[GUARD] ??= []);
}

/**
 * Declares that the running test makes a worker throw an uncaught error, or leave a rejection unhandled, whose
 * message matches `pattern`: the test then fails if it does not, rather than if it does.
 */
export function expectWorkerError(pattern: RegExp): void {
  expectedWorkerErrors().push({ pattern, seen: false });
}
