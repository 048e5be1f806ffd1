// The exported contract suites and the runtime suites on a real PostgreSQL server (`inject('postgresUrl')`: the
// test set-up's throwaway server, or DATABASE_URL): one database for the file, a journal id of its own for every
// test. A second handle (`openSecond`) has a connection pool of its own, as a second process would.
import { type EventJournal } from 'eventfold';
import { openPostgresDatabase, type PostgresDatabase, type PostgresJournal } from 'eventfold/postgres';
import { afterAll, beforeAll, inject } from 'vitest';
import { freshDatabase } from '../../tools/postgres-server.mjs';
import { describeJournalContract } from '../test-support/journal-contract.ts';
import { describeRuntimeSuite } from '../test-support/runtime-suite.ts';
import { describeRuntimeValues } from '../test-support/runtime-values-suite.ts';

let url: string;
let drop: () => Promise<void> = async () => {};
let database: PostgresDatabase;
let other: PostgresDatabase;
beforeAll(async () => {
  ({ url, drop } = await freshDatabase(inject('postgresUrl'), 'eventfold_server_journal'));
  database = await openPostgresDatabase({ connectionString: url });
  other = await openPostgresDatabase({ connectionString: url });
}, 60_000);
afterAll(async () => {
  await Promise.all([database?.close(), other?.close()]);
  await drop();
});

let journals = 0;
const fresh = (options?: { snapshotsKept?: number }) => database.journal(`server-test-${++journals}`, options);
const second = (journal: EventJournal) => other.journal((journal as PostgresJournal).journalId);

describeJournalContract('PostgresJournal on a PostgreSQL server', {
  open: fresh,
  reopen: async (journal) => {
    await journal.close();
    return second(journal);
  },
  openSecond: second,
});
describeRuntimeSuite('PostgresJournal on a PostgreSQL server', { open: () => fresh(), openSecond: second });
describeRuntimeValues('PostgresJournal on a PostgreSQL server', { open: () => fresh() });
