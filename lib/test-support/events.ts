// The journal tests' events are the contract suites' own: every event an id of its own, nothing assumed of a journal.
export { envelope, numbered, unpositioned } from '../testing/contract/fixtures.ts';

/** Resolves with the error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
