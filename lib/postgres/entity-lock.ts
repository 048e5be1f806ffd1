import type { EntityLock } from 'eventfold';
import type { SqlPort } from './sql-port.ts';

/**
 * The entity lock of a PostgreSQL journal (`EventJournal.lock`), shared by every process that writes to it: a
 * transaction-scoped advisory lock on a hash of the journal and stream ids, held by a transaction that does nothing
 * else while `work` runs (the work's own statements run on other connections of the pool). A hash collision only
 * makes two streams wait for each other.
 *
 * In the process, the waiters of one stream queue in a mutex first (one connection waits on the server per stream),
 * and at most half of the pool holds or waits on locks at once: the other half stays free for the appends of the
 * work, so lock holders can never take every connection and wait forever for one.
 *
 * Over PGlite (one connection, one process per data folder) the mutex alone is the lock.
 *
 * @internal
 */
export function entityLock(port: SqlPort, journalId: string, connections: number | undefined): EntityLock {
  const streams = mutex();
  if (connections === undefined) return (streamId, work) => streams(streamId, work);
  const slots = semaphore(Math.max(1, Math.floor(connections / 2)));
  return (streamId, work) =>
    streams(streamId, () =>
      slots(() =>
        port.transaction(async (query) => {
          await query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [JSON.stringify([journalId, streamId])]);
          await work();
        }),
      ),
    );
}

/** An exclusive lock per name, in this process, granted in request order. */
function mutex(): <T>(name: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return async (name, work) => {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(work);
    const tail = run.catch(() => {});
    tails.set(name, tail);
    try {
      return await run;
    } finally {
      if (tails.get(name) === tail) tails.delete(name);
    }
  };
}

/** At most `size` of the calls run at once; the others wait in request order. */
function semaphore(size: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
