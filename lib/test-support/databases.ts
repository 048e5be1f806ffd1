import { deleteIndexedDbJournal, type IndexedDbJournalOptions, openIndexedDbJournal } from 'eventfold/idb';

const created = new Set<string>();

/** A database name no other test uses. */
export function uniqueDatabaseName(prefix = 'test'): string {
  const name = `${prefix}-${crypto.randomUUID()}`;
  created.add(name);
  return name;
}

/** Opens a journal on a fresh database, deleted by `deleteTestDatabases`. */
export function openTestJournal(options?: IndexedDbJournalOptions, name = uniqueDatabaseName()) {
  return openIndexedDbJournal(name, options);
}

/** Deletes the databases created by this file's helpers; close their journals first. */
export async function deleteTestDatabases(): Promise<void> {
  const names = [...created];
  created.clear();
  await Promise.all(names.map((name) => deleteIndexedDbJournal(name)));
}
