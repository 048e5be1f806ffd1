// Baseline: what a worker does with IndexedDB and nothing else. Same records (envelopes with a unique position
// index), same durability, same message pattern from the page as eventfold's worker gets; no validation, no stream
// head, no decisions.
import '../../lib/test-support/worker-guard.ts'; // Tells the browser tests of this worker's unhandled errors.
import { expose } from 'comlink';
import { type IDBPDatabase, openDB, unwrap } from 'idb';
import { type EnvelopeRecord, envelopeOf } from './envelope.ts';
import { groupedWriter } from './grouped.ts';

let database: IDBPDatabase;
let durability: IDBTransactionDurability = 'strict';
/** The global position, kept by the worker as a hand-written store would. */
let position = 0;

/** One transaction for everything that arrived while the previous one was in flight. */
const putGroupedRecord = groupedWriter<{ key: [string, number]; value: EnvelopeRecord }>(async (batch) => {
  const tx = database.transaction('events', 'readwrite', { durability });
  const store = unwrap(tx.objectStore('events'));
  for (const { key, value } of batch) store.put(value, key);
  await tx.done;
});

const range = (streamId: string, from = 0) => IDBKeyRange.bound([streamId, from], [streamId, Infinity]);

export const raw = {
  async open(name: string, mode: IDBTransactionDurability): Promise<void> {
    durability = mode;
    position = 0;
    database = await openDB(name, 1, {
      upgrade: (db) => void db.createObjectStore('events').createIndex('position', 'position', { unique: true }),
    });
  },
  /** One put per transaction. */
  async putOne(streamId: string, sequenceNr: number, event: { type: string }): Promise<void> {
    const value = envelopeOf(sequenceNr, event, ++position);
    const tx = database.transaction('events', 'readwrite', { durability });
    unwrap(tx.objectStore('events')).put(value, [streamId, value.sequenceNr]);
    await tx.done;
  },
  /** Puts grouped into the next transaction while one is in flight. */
  putGrouped(streamId: string, sequenceNr: number, event: { type: string }): Promise<void> {
    return putGroupedRecord({ key: [streamId, sequenceNr], value: envelopeOf(sequenceNr, event, ++position) });
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
