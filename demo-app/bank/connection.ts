import { connect } from 'eventfold/client';
import type { entities, projections } from './bank.worker.ts';

/**
 * The journal this page syncs: the URL's `journal` parameter (`default` without one), so that two browser profiles
 * that open the same URL are two devices of one journal. `?local` keeps the bank on this device only.
 */
export const journalId: string | undefined = (() => {
  const search = new URLSearchParams(location.search);
  if (search.has('local')) return undefined;
  return search.get('journal') || 'default';
})();

/** The page's connection to the bank's worker; `reconnect` starts a new worker if this one dies. */
export const bank = connect<typeof entities, typeof projections>(
  () =>
    new Worker(new URL('./bank.worker.ts', import.meta.url), {
      type: 'module',
      name: journalId === undefined ? 'eventfold-bank' : `eventfold-bank:${journalId}`,
    }),
);

export type Bank = typeof bank;

/** A new account id: short, random, and safe in a URL. */
export function newAccountId(): string {
  return `acc-${crypto.randomUUID().slice(0, 8)}`;
}
