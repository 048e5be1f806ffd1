import { type EventfoldError, isEventfoldError, OutcomeUnknownError, StorageError } from 'eventfold';
import { CommitUnknownError } from './sql-port.ts';

/** SQLSTATEs that mean "try the same transaction again": serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

/** How many times a write transaction is tried when the server asks for a retry. */
export const WRITE_ATTEMPTS = 5;

/** The SQLSTATE of a driver error (`pg` and PGlite both set `code`), or `undefined`. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether the server failed the transaction only because of concurrency, so that running it again may succeed. */
export function isRetryable(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && RETRYABLE.has(state);
}

/**
 * The typed error for a failure during `operation`: eventfold's own errors as they are, a commit of unknown outcome as
 * an `OutcomeUnknownError`, anything else the driver or server raised as a `StorageError` (the driver's error as its
 * `cause`). A transaction that failed before COMMIT was rolled back, so a `StorageError` means nothing was stored.
 */
export function typedError(operation: string, error: unknown): EventfoldError {
  if (isEventfoldError(error)) return error;
  if (error instanceof CommitUnknownError) {
    return Object.assign(new OutcomeUnknownError(`the connection to PostgreSQL was lost while committing (${operation})`), {
      cause: error.cause,
    });
  }
  return new StorageError(operation, error);
}

/**
 * Runs a write transaction, again after a short random pause when the server failed it for concurrency (up to
 * `WRITE_ATTEMPTS` times in all), and turns what it finally fails with into a typed error. `attempt` must be safe to
 * run again: everything it did was rolled back.
 */
export async function withRetries<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error) || tries >= WRITE_ATTEMPTS) throw typedError(operation, error);
      // Jittered exponential backoff: 2–4 ms, 4–8 ms, 8–16 ms…, so that two transactions that collided part.
      const base = 2 ** tries;
      await new Promise((resolve) => setTimeout(resolve, base + Math.random() * base));
    }
  }
}

/** Runs a read, turning what it fails with into a typed error. */
export async function typedRead<T>(operation: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw typedError(operation, error);
  }
}

/**
 * Whether an error that COMMIT failed with is the server's answer that the transaction was rolled back (a
 * serialization failure, a deferred constraint): anything else there (a lost connection, a server shutting down)
 * leaves the outcome unknown.
 */
export function isRollback(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && (state.startsWith('40') || state.startsWith('23'));
}

/**
 * Whether an error that a statement run in a transaction of its own failed with is the server's answer that the
 * statement failed, so that nothing was stored: any SQLSTATE but those of a lost connection (class 08), a server
 * shutting down or crashing (57), or failing in itself (58, XX), after which it may have committed before it answered.
 */
export function isStatementFailure(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && !['08', '57', '58', 'XX'].includes(state.slice(0, 2));
}
