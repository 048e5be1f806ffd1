// The bank's worker: the runtime, the journal and the replays live here, off the page's thread. Named
// `eventfold-bank:<journal>` by the page, it syncs that journal with the server it came from; named
// `eventfold-bank`, it keeps the bank on this device only.
import { deleteIndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { syncWith } from 'eventfold/sync';
import { exposeRuntime } from 'eventfold/worker';
import { accountSummaries } from './account-summaries.ts';
import { balanceHistories } from './balance-history.ts';
import { entities } from './entities.ts';

export { entities };

/** The read models the bank keeps; the page imports only this type. */
export const projections = [accountSummaries, balanceHistories];

const separator = self.name.indexOf(':');
const journalId = separator < 0 ? undefined : self.name.slice(separator + 1);
const database = journalId === undefined ? 'eventfold-bank' : `eventfold-bank:${journalId}`;

exposeRuntime({
  journal: (hooks) => openIndexedDbJournal(database, hooks),
  entities,
  projections,
  channel: database,
  ...(journalId !== undefined && {
    sync: syncWith({
      url: self.location.origin,
      journalId,
      token: demoToken(journalId),
      // A server that started over (a new epoch): drop this device's copy of the old journal, keep its commands.
      deleteConfirmedCopy: () => deleteIndexedDbJournal(database),
    }),
  }),
});

/** The demo's tokens: asked of the server it came from, and asked again every few minutes. */
function demoToken(journal: string): () => Promise<string> {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < 5 * 60_000) return cached.token;
    const response = await fetch(`/demo/token?journal=${encodeURIComponent(journal)}`, { cache: 'no-store' });
    if (!response.ok) throw new Error(`no token for journal "${journal}": ${response.status}`);
    cached = { token: ((await response.json()) as { token: string }).token, at: Date.now() };
    return cached.token;
  };
}
