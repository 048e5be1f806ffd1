import { createRuntime, streamIdOf } from 'eventfold';
import { type IndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { afterEach, describe, expect, it } from 'vitest';
import { counter } from '../test-support/counter.ts';
import { deleteTestDatabases, openTestJournal } from '../test-support/databases.ts';
import { describeRuntimeSuite } from '../test-support/runtime-suite.ts';
import { describeRuntimeValues } from '../test-support/runtime-values-suite.ts';

describeRuntimeSuite('IndexedDbJournal', {
  open: () => openTestJournal(),
  openSecond: (journal) => openIndexedDbJournal((journal as IndexedDbJournal).name),
  cleanup: deleteTestDatabases,
});

describeRuntimeValues('IndexedDbJournal', { open: () => openTestJournal(), cleanup: deleteTestDatabases });

describe('EntityRuntime over a failing IndexedDB', () => {
  afterEach(deleteTestDatabases);

  it('keeps the state when the database is closed under it, and fails with a typed error', async () => {
    const journal = await openTestJournal();
    const runtime = createRuntime({ journal, entities: { counter: counter() } });
    await runtime.send('counter', 'c1', { type: 'add', amount: 1 });
    await journal.close();
    await expect(runtime.send('counter', 'c1', { type: 'add', amount: 1 })).rejects.toMatchObject({ code: 'closed' });

    const reopened = await openIndexedDbJournal(journal.name);
    try {
      expect(await reopened.load(streamIdOf('counter', 'c1'))).toHaveLength(1);
      const again = createRuntime({ journal: reopened, entities: { counter: counter() } });
      expect(await again.send('counter', 'c1', { type: 'add', amount: 1 })).toMatchObject({ state: { value: 2 }, sequenceNr: 2 });
    } finally {
      await reopened.close();
    }
  });
});
