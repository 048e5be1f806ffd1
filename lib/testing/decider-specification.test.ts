import { processError } from '@vitest/utils/error';
import { type EntityDefinition } from 'eventfold';
import { DeciderSpecification, SpecificationError } from 'eventfold/testing';
import { describe, expect, it } from 'vitest';
import { counter } from '../test-support/counter.ts';

const spec = DeciderSpecification.for(counter());
const added = (amount: number, total: number) => ({ type: 'added', amount, total }) as const;

describe('DeciderSpecification', () => {
  it('passes when the command records the expected events', () => {
    spec.given([added(2, 2)]).when({ type: 'add', amount: 3 }).then([added(3, 5)]);
  });

  it('fails, showing both sides, when the events differ', () => {
    expect(() => spec.given([]).when({ type: 'add', amount: 3 }).then([added(3, 4)])).toThrow(
      new SpecificationError('Expected [{"type":"added","amount":3,"total":4}], but got {"events":[{"type":"added","amount":3,"total":3}]}', {
        expected: [added(3, 4)],
        actual: [added(3, 3)],
      }),
    );
  });

  it('carries the expected and the actual events, so that Vitest shows a diff of them', () => {
    const error = catchError(() => spec.given([]).when({ type: 'add', amount: 3 }).then([added(3, 4)]));
    expect(error).toBeInstanceOf(SpecificationError);
    expect(error).toMatchObject({ expected: [added(3, 4)], actual: [added(3, 3)], showDiff: true });
    // What Vitest's reporter prints under a failed assertion: the diff it builds from those fields.
    const { diff } = processError(error) as { diff?: string };
    expect(diff).toMatch(/- Expected[\s\S]*\+ Received/);
    expect(diff).toMatch(/-\s+"total": 4,/);
    expect(diff).toMatch(/\+\s+"total": 3,/);
  });

  it('diffs a rejection reason and a state too', () => {
    const rejected = catchError(() => spec.given([]).when({ type: 'add', amount: -1 }).thenRejected('no'));
    expect(rejected).toMatchObject({ expected: { rejected: 'no' }, actual: { rejected: 'cannot add a negative amount' }, showDiff: true });
    const state = catchError(() => spec.given([]).when({ type: 'add', amount: 3 }).thenState({ value: 4, added: [3] }));
    expect(state).toMatchObject({ expected: { value: 4, added: [3] }, actual: { value: 3, added: [3] }, showDiff: true });
  });

  it('says that an async decide returned a Promise, rather than a wrong outcome', () => {
    const asyncDecide = { ...counter(), decide: async () => [added(1, 1)] } as unknown as EntityDefinition<unknown, unknown, unknown>;
    expect(() => DeciderSpecification.for(asyncDecide).given([]).when({ type: 'add', amount: 1 })).toThrow(
      new SpecificationError('Expected decide to return events or reject(reason), but it returned a Promise: decide must be synchronous: read what it needs before the command is sent, and return the events or reject(reason)'),
    );
    const forgetful = { ...counter(), decide: () => undefined } as unknown as EntityDefinition<unknown, unknown, unknown>;
    expect(() => DeciderSpecification.for(forgetful).given([]).when({ type: 'add', amount: 1 })).toThrow(/it returned undefined/);
    const asyncEvolve = { ...counter(), evolve: async () => ({ value: 0, added: [] }) } as unknown as EntityDefinition<unknown, unknown, unknown>;
    expect(() => DeciderSpecification.for(asyncEvolve).given([added(1, 1)]).when({ type: 'noop' })).toThrow(
      'Expected evolve to return the next state, but it returned a Promise: evolve must be synchronous: return the next state itself',
    );
  });

  it('checks rejections by exact reason or pattern', () => {
    const when = spec.given([]).when({ type: 'add', amount: -1 });
    when.thenRejected();
    when.thenRejected('cannot add a negative amount');
    when.thenRejected(/negative/);
    expect(() => when.thenRejected('another reason')).toThrow(SpecificationError);
    expect(() => when.then([])).toThrow(/Expected events, but got {"rejected":"cannot add a negative amount"}/);
  });

  it('checks that nothing happened', () => {
    spec.given([]).when({ type: 'noop' }).thenNothingHappened();
    expect(() => spec.given([]).when({ type: 'add', amount: 1 }).thenNothingHappened()).toThrow(SpecificationError);
  });

  it('checks that decide threw', () => {
    spec.given([]).when({ type: 'throw-in-decide' }).thenThrows((error) => (error as Error).message === 'decide exploded');
    expect(() => spec.given([]).when({ type: 'noop' }).thenThrows()).toThrow(SpecificationError);
  });

  it('checks the state after the given and the recorded events', () => {
    spec.given([added(2, 2)]).when({ type: 'add', amount: 3 }).thenState({ value: 5, added: [2, 3] });
    expect(() => spec.given([]).when({ type: 'add', amount: 3 }).thenState({ value: 4, added: [3] })).toThrow(
      SpecificationError,
    );
  });
});

function catchError(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the specification to fail');
}
