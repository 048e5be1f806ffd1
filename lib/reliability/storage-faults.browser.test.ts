// A full disk, on a real quota: a Storage Bucket of 400 kB, shared with a database of filler data that is deleted
// to free space.
import { createRuntime } from 'eventfold';
import { deleteIndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { describe, expect, it } from 'vitest';
import { counter } from '../test-support/counter.ts';

interface StorageBucket {
  readonly indexedDB: IDBFactory;
  estimate(): Promise<{ usage: number; quota: number }>;
}
const buckets = (navigator as unknown as { storageBuckets: { open(name: string, options: { quota: number }): Promise<StorageBucket>; delete(name: string): Promise<void> } }).storageBuckets;

/** Random text, which compresses as little as the storage engine's compression can manage. */
const noise = (characters: number) =>
  Array.from({ length: Math.ceil(characters / 8) }, () => Math.random().toString(36).slice(2, 10)).join('').slice(0, characters);

async function fill(factory: IDBFactory, name: string, bytes: number): Promise<void> {
  const database = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('filler');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  for (let written = 0; written < bytes; written += 20_000) {
    await new Promise((resolve, reject) => {
      const tx = database.transaction('filler', 'readwrite');
      tx.objectStore('filler').put(noise(20_000), written);
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error);
    });
  }
  database.close();
}

describe('a full disk', () => {
  it('fails commands with a typed storage error, stores nothing partial, and works again once space is freed', async () => {
    const bucketName = `quota-${crypto.randomUUID().slice(0, 8)}`;
    const bucket = await buckets.open(bucketName, { quota: 400_000 });
    try {
      await fill(bucket.indexedDB, 'filler', 120_000);
      const journal = await openIndexedDbJournal('journal', { factory: bucket.indexedDB });
      const runtime = createRuntime({ journal, entities: { counter: counter() } });
      let acknowledged = 0;

      // Bursts of five commands, each written in one transaction, until the disk is full.
      let failure: unknown;
      for (let burst = 0; burst < 100 && failure === undefined; burst++) {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 5 }, () => runtime.send('counter', 'c', { type: 'emit', payload: noise(8_000) })),
        );
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') acknowledged++;
          else failure ??= outcome.reason;
        }
      }
      expect(failure).toMatchObject({ code: 'storage-failed', cause: { name: 'QuotaExceededError' } });
      expect(acknowledged).toBeGreaterThan(0);
      // Exactly the acknowledged commands are stored: the failed transaction left nothing behind.
      expect(await journal.highestSequenceNr('counter:c')).toBe(acknowledged);
      expect((await journal.load('counter:c')).map((e) => e.sequenceNr)).toEqual(
        Array.from({ length: acknowledged }, (_, i) => i + 1),
      );

      await deleteIndexedDbJournal('filler', { factory: bucket.indexedDB });
      expect(await runtime.send('counter', 'c', { type: 'emit', payload: noise(8_000) })).toMatchObject({
        sequenceNr: acknowledged + 1,
      });
      await runtime.close();
      await journal.close();
    } finally {
      await buckets.delete(bucketName);
    }
  });
});
