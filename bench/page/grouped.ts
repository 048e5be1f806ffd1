/**
 * Group commit as a hand-written store would do it: items that arrive while a write is in flight go into the next
 * write, together. `add` resolves once the write holding its item has completed.
 */
export function groupedWriter<T>(write: (batch: T[]) => Promise<void>): (item: T) => Promise<void> {
  let queue: { item: T; settle: (error?: unknown) => void }[] = [];
  let flushing = false;
  const flush = async () => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await write(batch.map(({ item }) => item));
        for (const { settle } of batch) settle();
      } catch (error) {
        for (const { settle } of batch) settle(error);
      }
    }
    flushing = false;
  };
  return (item) =>
    new Promise((resolve, reject) => {
      queue.push({ item, settle: (error) => (error ? reject(error) : resolve()) });
      if (!flushing) {
        flushing = true;
        void Promise.resolve().then(flush);
      }
    });
}
