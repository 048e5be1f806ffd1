// The worker of the client tests: the counter and the bank account over the IndexedDB database named by the
// worker's own name, so that each test can use a fresh database.
import './worker-guard.ts';
import { defineEntity, defineProjection, snapshotEvery } from 'eventfold';
import { openIndexedDbJournal } from 'eventfold/idb';
import { exposeRuntime } from 'eventfold/worker';
import { account } from '../../demo-app/bank/account.ts';
import { accountSummaries } from '../../demo-app/bank/account-summaries.ts';
import { type CounterEvent, counter } from './counter.ts';
import { detachedBuffer } from './detached.ts';

/**
 * Faults on demand: `crash-later` crashes the worker the way a bug in a callback would; `reject-later` leaves a
 * rejection unhandled (reported after the command's task); `store-unstorable` records an event that the storage engine refuses (a real IndexedDB failure).
 */
const fault = defineEntity<null, 'crash-later' | 'reject-later' | 'store-unstorable', { bytes: ArrayBuffer }>({
  initialState: () => null,
  decide: (command) => {
    if (command === 'store-unstorable') return [{ bytes: detachedBuffer() }];
    if (command === 'reject-later') {
      void Promise.reject(new Error('a rejection nobody handles'));
      return [];
    }
    setTimeout(() => {
      throw new Error('the worker crashed');
    });
    return [];
  },
  evolve: (state) => state,
});

export const entities = { counter: counter(snapshotEvery(100)), account, fault };

/** Counts what each counter was given, after the fact; an amount of 13 makes it throw. */
const counterAudit = defineProjection.for({ counter: entities.counter })({
  name: 'counter-audit',
  mode: 'catch-up',
  documentId: (event) => event.entityId,
  evolve(audit: { readonly given: number } | undefined, { event }) {
    if (event.type !== 'added') return audit;
    if (event.amount === 13) throw new Error('the audit refuses 13');
    return { given: (audit?.given ?? 0) + event.amount };
  },
});

/** The read models the test worker keeps; the page imports only this type. */
export const projections = [accountSummaries, counterAudit];

exposeRuntime({
  journal: (hooks) => openIndexedDbJournal(self.name, hooks),
  entities,
  projections,
  channel: `eventfold-test:${self.name}`,
});
