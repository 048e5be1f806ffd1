// The event store a team would write by hand on Dexie: a table keyed by [streamId+sequenceNr] (a duplicate key is
// the concurrency check) with a unique global position, `add` per command, `bulkAdd` for what arrives while a
// write is in flight.
import '../../lib/test-support/worker-guard.ts'; // Tells the browser tests of this worker's unhandled errors.
import { expose } from 'comlink';
import Dexie, { type Table } from 'dexie';
import { type EnvelopeRecord, envelopeOf } from './envelope.ts';
import { groupedWriter } from './grouped.ts';

interface Row extends EnvelopeRecord {
  streamId: string;
}

class EventStore extends Dexie {
  events!: Table<Row, [string, number]>;

  constructor(name: string, durability: 'strict' | 'relaxed' | 'default') {
    super(name, { chromeTransactionDurability: durability });
    this.version(1).stores({ events: '[streamId+sequenceNr], &position' });
  }
}

let store: EventStore;
let position = 0;
const addGroupedRow = groupedWriter<Row>(async (rows) => void (await store.events.bulkAdd(rows)));

export const dexie = {
  async open(name: string, durability: 'strict' | 'relaxed' | 'default'): Promise<void> {
    position = 0;
    store = new EventStore(name, durability);
    await store.open();
  },
  async addOne(streamId: string, sequenceNr: number, event: { type: string }): Promise<void> {
    await store.events.add({ streamId, ...envelopeOf(sequenceNr, event, ++position) });
  },
  addGrouped(streamId: string, sequenceNr: number, event: { type: string }): Promise<void> {
    return addGroupedRow({ streamId, ...envelopeOf(sequenceNr, event, ++position) });
  },
  close(): void {
    store.close();
  },
};

expose(dexie);
