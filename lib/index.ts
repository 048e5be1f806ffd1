/**
 * Entities (deciders), the runtime that decides and stores their commands, snapshots, projections, schema
 * evolution, the journal port with its in-memory journal, and the typed errors.
 *
 * @module eventfold
 */
export * from './core/index.ts';
export { InMemoryJournal, type InMemoryJournalOptions } from './memory/in-memory-journal.ts';
