// eventfold as a tab of an app runs it: the bank's account over the IndexedDB journal named by the worker's name
// (`<database>#<tab>`), the workers of all tabs telling each other of new events on a BroadcastChannel named after
// the database. It also notes when the channel's notices reach it, so that the driver can tell a frozen worker from
// one that kept running.
import '../../lib/test-support/worker-guard.ts'; // Tells the browser tests of this worker's unhandled errors.
import { openIndexedDbJournal } from 'eventfold/idb';
import { exposeRuntime } from 'eventfold/worker';
import { account } from '../../demo-app/bank/account.ts';

export const entities = { account };

const [database = '', tab] = self.name.split('#');

exposeRuntime({
  journal: ({ onClosed }) => openIndexedDbJournal(database, { onClosed }),
  entities,
  channel: database,
});

let lastNotice = 0;
new BroadcastChannel(database).addEventListener('message', () => (lastNotice = performance.timeOrigin + performance.now()));
const probe = new BroadcastChannel(`${database}:probe`);
probe.addEventListener('message', () => probe.postMessage({ tab, lastNotice }));
