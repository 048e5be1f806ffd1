import { describeJournalContract as describeContract, type JournalFactory } from 'eventfold/testing';
import { afterEach, describe, it } from 'vitest';

export type { JournalFactory };

/** The journal contract of `eventfold/testing`, run with Vitest: what the repository's journal tests call. */
export function describeJournalContract(name: string, factory: JournalFactory): void {
  describeContract(name, factory, { describe, it, afterEach });
}
