import { type IndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { deleteTestDatabases, openTestJournal } from '../test-support/databases.ts';
import { describeRuntimeSuite } from '../test-support/runtime-suite.ts';

describeRuntimeSuite('IndexedDbJournal', {
  open: () => openTestJournal(),
  openSecond: (journal) => openIndexedDbJournal((journal as IndexedDbJournal).name),
  cleanup: deleteTestDatabases,
});
