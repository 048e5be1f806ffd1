// Baseline: what a worker does with IndexedDB and nothing else. Same records, same durability, same message pattern
// from the page as eventfold's worker gets; no validation, no stream head, no decisions.
import { expose } from 'comlink';
import { type IDBPDatabase, openDB, unwrap } from 'idb';

interface EventRecord {
  sequenceNr: number;
  event: unknown;
  timestamp: number;
}

interface Queued {
  key: [string, number];
  value: EventRecord;
  settle: (error?: unknown) => void;
}

let database: IDBPDatabase;
let durability: IDBTransactionDurability = 'strict';
let queue: Queued[] = [];
let flushing = false;

/** One transaction for everything that arrived while the previous one was in flight. */
async function flush(): Promise<void> {
  while (queue.length > 0) {
    const batch = queue;
    queue = [];
    const tx = database.transaction('events', 'readwrite', { durability });
    const store = unwrap(tx.objectStore('events'));
    for (const { key, value } of batch) store.put(value, key);
    try {
      await tx.done;
      for (const item of batch) item.settle();
    } catch (error) {
      for (const item of batch) item.settle(error);
    }
  }
  flushing = false;
}

const range = (streamId: string, from = 0) => IDBKeyRange.bound([streamId, from], [streamId, Infinity]);

export const raw = {
  async open(name: string, mode: IDBTransactionDurability): Promise<void> {
    durability = mode;
    database = await openDB(name, 1, { upgrade: (db) => void db.createObjectStore('events') });
  },
  /** One put per transaction. */
  async putOne(streamId: string, value: EventRecord): Promise<void> {
    const tx = database.transaction('events', 'readwrite', { durability });
    unwrap(tx.objectStore('events')).put(value, [streamId, value.sequenceNr]);
    await tx.done;
  },
  /** Puts grouped into the next transaction while one is in flight. */
  putGrouped(streamId: string, value: EventRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      queue.push({ key: [streamId, value.sequenceNr], value, settle: (error) => (error ? reject(error) : resolve()) });
      if (!flushing) {
        flushing = true;
        void Promise.resolve().then(flush);
      }
    });
  },
  /** Reads a stream whole with getAll; returns the number of records. */
  async readAll(streamId: string, from = 0): Promise<number> {
    return (await database.getAll('events', range(streamId, from))).length;
  },
  close(): void {
    database.close();
  },
};

expose(raw);
