import { defineProjection } from 'eventfold';
import { syncTestEntities } from '../sync-entities.ts';

/** An account's read model on the chaos test's server: its balance and how many events made it. */
export interface AccountBalance {
  readonly balance: number;
  readonly events: number;
}

/** The chaos test's read model of every account, kept by the server and compared with a rebuild from the journal. */
export const accountBalances = defineProjection.for(syncTestEntities)({
  name: 'account-balances',
  documentId: (event) => event.entityId,
  evolve: (doc: AccountBalance | undefined, { event }): AccountBalance => ({
    balance: (doc?.balance ?? 0) + (event.type === 'deposited' ? event.amount : -event.amount),
    events: (doc?.events ?? 0) + 1,
  }),
});
