import { InMemoryJournal } from 'eventfold';
import { describeRuntimeSuite } from '../test-support/runtime-suite.ts';
import { describeRuntimeValues } from '../test-support/runtime-values-suite.ts';

describeRuntimeSuite('InMemoryJournal', {
  open: async () => new InMemoryJournal(),
  // One in-memory journal is the storage: a second "tab" can only share the same instance.
  openSecond: async (journal) => journal,
});

describeRuntimeValues('InMemoryJournal', { open: async () => new InMemoryJournal() });
