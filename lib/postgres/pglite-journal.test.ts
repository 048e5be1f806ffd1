// The exported contract suites and the runtime suites on PGlite in memory: one PGlite for the file, a journal id
// of its own for every test (which also shows that journals in one database are apart).
import { type EventJournal } from 'eventfold';
import { openPostgresDatabase, type PostgresDatabase, type PostgresJournal } from 'eventfold/postgres';
import { afterAll, beforeAll } from 'vitest';
import { describeJournalContract } from '../test-support/journal-contract.ts';
import { describeRuntimeSuite } from '../test-support/runtime-suite.ts';
import { describeRuntimeValues } from '../test-support/runtime-values-suite.ts';

let database: PostgresDatabase;
beforeAll(async () => {
  database = await openPostgresDatabase();
}, 60_000);
afterAll(() => database?.close());

let journals = 0;
const fresh = (options?: { snapshotsKept?: number }) => database.journal(`pglite-test-${++journals}`, options);
const same = (journal: EventJournal) => database.journal((journal as PostgresJournal).journalId);

describeJournalContract('PostgresJournal on PGlite', {
  open: fresh,
  reopen: async (journal) => {
    await journal.close();
    return same(journal);
  },
  openSecond: same,
});
describeRuntimeSuite('PostgresJournal on PGlite', { open: () => fresh(), openSecond: same });
describeRuntimeValues('PostgresJournal on PGlite', { open: () => fresh() });
