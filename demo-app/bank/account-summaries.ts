import { defineProjection } from 'eventfold';
import { account } from './account.ts';

/** One row of the account list: the blog store's `account_summaries`, kept from the events. */
export interface AccountSummary {
  readonly owner: string;
  readonly balance: number;
  /** Deposits and withdrawals so far. */
  readonly txCount: number;
  /** When the account last changed, in milliseconds since the Unix epoch. */
  readonly lastActivity: number;
}

/** The account list as a read model, updated in the transaction of every account's events. */
export const accountSummaries = defineProjection.for({ account })({
  name: 'account-summaries',
  documentId: (event) => event.entityId,
  evolve(summary: AccountSummary | undefined, { event, timestamp }): AccountSummary | undefined {
    switch (event.type) {
      case 'opened':
        return { owner: event.owner, balance: 0, txCount: 0, lastActivity: timestamp };
      case 'deposited':
        return summary && { ...summary, balance: summary.balance + event.amount, txCount: summary.txCount + 1, lastActivity: timestamp };
      case 'withdrawn':
        return summary && { ...summary, balance: summary.balance - event.amount, txCount: summary.txCount + 1, lastActivity: timestamp };
      default:
        return summary;
    }
  },
});
