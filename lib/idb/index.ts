/**
 * The IndexedDB journal: events, snapshots, idempotency keys and read models in one IndexedDB database.
 *
 * @module eventfold/idb
 */
export {
  type ClosedReason,
  type Durability,
  deleteIndexedDbJournal,
  IndexedDbJournal,
  type IndexedDbJournalOptions,
  openIndexedDbJournal,
} from './indexeddb-journal.ts';
