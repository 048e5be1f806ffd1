import { connect } from 'eventfold/client';
import type { entities, projections } from './bank.worker.ts';

/** The page's connection to the bank's worker; `reconnect` starts a new worker if this one dies. */
export const bank = connect<typeof entities, typeof projections>(
  () => new Worker(new URL('./bank.worker.ts', import.meta.url), { type: 'module', name: 'eventfold-bank' }),
);

export type Bank = typeof bank;

/** A new account id: short, random, and safe in a URL. */
export function newAccountId(): string {
  return `acc-${crypto.randomUUID().slice(0, 8)}`;
}
