export * from './core/index.ts';
export { InMemoryJournal, type InMemoryJournalOptions } from './memory/in-memory-journal.ts';
