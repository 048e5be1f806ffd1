import { type Client, type ClientOptions, connect } from 'eventfold/client';
import { deleteIndexedDbJournal } from 'eventfold/idb';
import type { entities, projections } from './test.worker.ts';
import { settleWorkers } from './worker-guard-protocol.ts';

export type TestClient = Client<typeof entities, typeof projections>;

/** Clients of the test worker, each over a database of its own unless told to share one, and their cleanup. */
export function testClients() {
  const clients: TestClient[] = [];
  const databases = new Set<string>();
  return {
    /** A client over a fresh worker on `database`; `workers` lists every worker it started. */
    open(database = `client-${crypto.randomUUID()}`, options?: ClientOptions) {
      databases.add(database);
      const workers: Worker[] = [];
      const client = connect<typeof entities, typeof projections>(() => {
        const worker = new Worker(new URL('./test.worker.ts', import.meta.url), { type: 'module', name: database });
        workers.push(worker);
        return worker;
      }, options);
      clients.push(client);
      return { client, workers, database };
    },
    async cleanup() {
      // What the workers did during the test is reported before they are closed and terminated.
      await settleWorkers();
      await Promise.all(clients.splice(0).map((client) => client.close()));
      await Promise.all([...databases].map((name) => deleteIndexedDbJournal(name)));
      databases.clear();
    },
  };
}
