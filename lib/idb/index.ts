export {
  type ClosedReason,
  type Durability,
  deleteIndexedDbJournal,
  IndexedDbJournal,
  type IndexedDbJournalOptions,
  openIndexedDbJournal,
} from './indexeddb-journal.ts';
