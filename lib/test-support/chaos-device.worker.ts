// A device of the chaos test: the test entities over the IndexedDB database its worker's name gives, syncing with
// the chaos server through the fault proxy. The worker's name is JSON: `{ database, url, journalId, token }`.
import './worker-guard.ts';
import { deleteIndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { syncWith } from 'eventfold/sync';
import { exposeRuntime } from 'eventfold/worker';
import { syncTestEntities } from './sync-entities.ts';

/** What a chaos device is told by its worker's name. */
export interface ChaosDeviceConfig {
  readonly database: string;
  readonly url: string;
  readonly journalId: string;
  readonly token: string;
}

const { database, url, journalId, token } = JSON.parse(self.name) as ChaosDeviceConfig;

exposeRuntime({
  journal: (hooks) => openIndexedDbJournal(database, hooks),
  entities: syncTestEntities,
  channel: database,
  sync: syncWith({
    url,
    journalId,
    token: () => token,
    // Faults come fast here: a device that backed off for half a minute would only slow the test down.
    maxBackoffMs: 1000,
    // The proxy stalls requests and leaves change streams half-open: a device gives up on them sooner than it would
    // on a real network, against a server that sends a keep-alive every 400 ms.
    requestTimeoutMs: 3000,
    streamSilenceMs: 2000,
    deleteConfirmedCopy: () => deleteIndexedDbJournal(database),
  }),
});
