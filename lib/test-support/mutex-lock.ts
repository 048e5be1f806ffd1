import type { EntityLock } from 'eventfold';

/** An `EntityLock` for runtimes of one process: exclusive per name, granted in request order, as Web Locks are. */
export function mutexLock(): EntityLock & { readonly granted: number } {
  const tails = new Map<string, Promise<void>>();
  let granted = 0;
  const lock = (async (name: string, work: () => Promise<void>) => {
    const previous = tails.get(name) ?? Promise.resolve();
    let done!: () => void;
    const tail = new Promise<void>((resolve) => (done = resolve));
    tails.set(name, tail);
    await previous;
    granted++;
    try {
      await work();
    } finally {
      done();
      if (tails.get(name) === tail) tails.delete(name);
    }
  }) as EntityLock & { granted: number };
  Object.defineProperty(lock, 'granted', { get: () => granted });
  return lock;
}
