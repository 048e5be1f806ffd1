// The bank's worker: the runtime, the journal and the replays live here, off the page's thread.
import { openIndexedDbJournal } from 'eventfold/idb';
import { exposeRuntime } from 'eventfold/worker';
import { account } from './account.ts';
import { accountSummaries } from './account-summaries.ts';

/** The entity types the bank serves; the page imports only this type. */
export const entities = { account };

/** The read models the bank keeps; the page imports only this type. */
export const projections = [accountSummaries];

exposeRuntime({
  journal: (hooks) => openIndexedDbJournal('eventfold-bank', hooks),
  entities,
  projections,
  channel: 'eventfold-bank',
});
