/**
 * Given/when/then specifications of deciders and projections, without storage; and the contract suites of the
 * journal port, which a journal on any store runs with any test runner (Vitest, Jest, node:test, Mocha,
 * Playwright's) to show that it keeps every promise of `EventJournal`.
 *
 * @module eventfold/testing
 */
export { DeciderSpecification, type Then } from './decider-specification.ts';
export { deepEqual } from './deep-equal.ts';
export { type GivenEvent, ProjectionSpecification, type ThenReadModel } from './projection-specification.ts';
export { SpecificationError } from './specification-error.ts';
export { describeEventLogContract } from './contract/event-log-contract.ts';
export { describeIdempotencyContract } from './contract/idempotency-contract.ts';
export { describeJournalContract } from './contract/journal-contract.ts';
export { describeReadModelContract } from './contract/read-model-contract.ts';
export { type JournalFactory, type TestRunner } from './contract/runner.ts';
export { describeSharingContract } from './contract/sharing-contract.ts';
export { describeSnapshotContract } from './contract/snapshot-contract.ts';
