// eventfold as an app runs it: the bank's account served from a worker, over the IndexedDB journal named by the
// worker's name, with strict durability (the default).
import '../../lib/test-support/worker-guard.ts'; // Tells the browser tests of this worker's unhandled errors.
import { openIndexedDbJournal } from 'eventfold/idb';
import { exposeRuntime } from 'eventfold/worker';
import { account } from '../../demo-app/bank/account.ts';

export const entities = { account };

exposeRuntime({
  journal: ({ onClosed }) => openIndexedDbJournal(self.name, { onClosed }),
  entities,
  channel: false,
});
