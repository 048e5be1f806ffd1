/**
 * The little the PostgreSQL journal needs of a database connection, so that it runs the same SQL over PGlite (one
 * embedded connection) and over a server's connection pool. Parameters are always bound (`$1`, `$2`…), never
 * spliced into the text; rows come back as plain objects keyed by column name.
 *
 * @internal
 */
export interface SqlPort {
  /** One statement outside any transaction (its own snapshot, READ COMMITTED). */
  query<R = Row>(text: string, params: readonly unknown[]): Promise<R[]>;

  /**
   * Runs `body` in one READ COMMITTED transaction on one connection and commits it; rolls back and rethrows when
   * `body` throws. A commit whose outcome cannot be known (the connection went away after COMMIT was sent) rejects
   * with a `CommitUnknownError`; every other driver failure is thrown as the driver made it (see `sql-errors.ts`).
   */
  transaction<T>(body: (query: SqlQuery) => Promise<T>): Promise<T>;

  /**
   * One statement in a transaction of its own, which it commits: it stores all or nothing. A connection lost while it
   * ran, or a server that went away during it, rejects with a `CommitUnknownError` (it may have committed); an error
   * the server answered with means nothing was stored.
   */
  write<R = Row>(text: string, params: readonly unknown[]): Promise<R[]>;

  /**
   * Listens on `channel` (a lowercase identifier, the journal's schema), calling `onNotice` with each notice's payload
   * and `onResumed` after the listening connection was lost and listens again (notices may have been missed meanwhile).
   * Resolves once listening, with the function that stops it. Neither callback may throw.
   */
  listen(channel: string, onNotice: (payload: string) => void, onResumed: () => void): Promise<() => Promise<void>>;

  /** Closes every connection; later calls reject with a `ClosedError`. Idempotent. */
  close(): Promise<void>;
}

/** A statement inside a transaction of `SqlPort.transaction`. */
export type SqlQuery = <R = Row>(text: string, params: readonly unknown[]) => Promise<R[]>;

/** A result row: column name to value, as the driver parsed it (`jsonb` as JSON, `bigint` as a string or a number). */
export type Row = Record<string, unknown>;

/**
 * COMMIT was sent but no answer came back (the connection was lost): the transaction may or may not have committed.
 * The journal reports it as an `OutcomeUnknownError`.
 *
 * @internal
 */
export class CommitUnknownError extends Error {
  override readonly name = 'CommitUnknownError';

  constructor(cause: unknown) {
    super('the connection was lost while committing', { cause });
  }
}
