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
      new SpecificationError('Expected [{"type":"added","amount":3,"total":4}], but got {"events":[{"type":"added","amount":3,"total":3}]}'),
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
