import { InMemoryJournal } from 'eventfold';
import { describeJournalContract } from '../test-support/journal-contract.ts';

describeJournalContract('InMemoryJournal', {
  open: async (options) => new InMemoryJournal(options),
});
