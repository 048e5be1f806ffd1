import { ProjectionSpecification, SpecificationError } from 'eventfold/testing';
import { describe, expect, it } from 'vitest';
import { accountSummaries } from '../../demo-app/bank/account-summaries.ts';

const spec = ProjectionSpecification.for(accountSummaries);
const opened = (entityId: string, owner: string, timestamp = 1) => ({ entityId, event: { type: 'opened', owner } as const, timestamp });
const deposited = (entityId: string, amount: number, timestamp = 2) => ({
  entityId,
  event: { type: 'deposited', amount } as const,
  timestamp,
});

describe('ProjectionSpecification', () => {
  it('passes when the given events make the expected read model', () => {
    spec.given([opened('a', 'Ada'), deposited('a', 40, 7), opened('b', 'Bob')]).then({
      a: { owner: 'Ada', balance: 40, txCount: 1, lastActivity: 7 },
      b: { owner: 'Bob', balance: 0, txCount: 0, lastActivity: 1 },
    });
  });

  it('fails, showing both sides, when the read model differs', () => {
    expect(() => spec.given([opened('a', 'Ada')]).then({})).toThrow(
      new SpecificationError('Expected {}, but got {"documents":{"a":{"owner":"Ada","balance":0,"txCount":0,"lastActivity":1}}}', {
        expected: {},
        actual: { a: { owner: 'Ada', balance: 0, txCount: 0, lastActivity: 1 } },
      }),
    );
  });

  it('checks one doc, or its absence', () => {
    const then = spec.given([opened('a', 'Ada'), deposited('a', 5)]);
    then.thenDocument('a', { owner: 'Ada', balance: 5, txCount: 1, lastActivity: 2 });
    then.thenDocument('b', undefined);
    expect(() => then.thenDocument('a', undefined)).toThrow(SpecificationError);
  });

  it('ignores the events of other entity types, and checks that the projection threw', () => {
    spec.given([{ entityId: 'x', entityType: 'counter', event: { type: 'opened', owner: 'Nobody' } }]).then({});
    const throwing = ProjectionSpecification.for({
      ...accountSummaries,
      evolve: () => {
        throw new Error('no');
      },
    });
    throwing.given([opened('a', 'Ada')]).thenThrows((error) => (error as Error).message === 'no');
    expect(() => spec.given([]).thenThrows()).toThrow(SpecificationError);
  });
});
