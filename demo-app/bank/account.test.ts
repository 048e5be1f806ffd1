import { DeciderSpecification } from 'eventfold/testing';
import { describe, it } from 'vitest';
import { account } from './account.ts';

const spec = DeciderSpecification.for(account);
const opened = { type: 'opened', owner: 'Ada' } as const;

describe('a bank account', () => {
  it('opens for a named owner', () => {
    spec.given([]).when({ type: 'open', owner: '  Ada ' }).then([opened]);
    spec.given([]).when({ type: 'open', owner: ' ' }).thenRejected('the owner needs a name');
    spec.given([opened]).when({ type: 'open', owner: 'Bob' }).thenRejected(/already open/);
  });

  it('deposits 1000 and 500 into 1500 over two transactions', () => {
    spec
      .given([opened, { type: 'deposited', amount: 1000 }])
      .when({ type: 'deposit', amount: 500 })
      .thenState({ owner: 'Ada', balance: 1500, txCount: 2 });
  });

  it('withdraws what the balance covers', () => {
    spec
      .given([opened, { type: 'deposited', amount: 100 }])
      .when({ type: 'withdraw', amount: 100 })
      .then([{ type: 'withdrawn', amount: 100 }]);
  });

  it('refuses a withdrawal beyond the balance with "insufficient funds"', () => {
    spec
      .given([opened, { type: 'deposited', amount: 100 }])
      .when({ type: 'withdraw', amount: 101 })
      .thenRejected('insufficient funds (balance 100)');
  });

  it.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, '10' as unknown as number])(
    'refuses the amount %s',
    (amount) => {
      spec.given([opened]).when({ type: 'deposit', amount }).thenRejected(/^the amount must be a whole number/);
      spec.given([opened]).when({ type: 'withdraw', amount }).thenRejected(/^the amount must be a whole number/);
    },
  );

  it('refuses a balance beyond the safe integer range', () => {
    spec
      .given([opened, { type: 'deposited', amount: Number.MAX_SAFE_INTEGER }])
      .when({ type: 'deposit', amount: 1 })
      .thenRejected('the balance would be too large');
  });

  it('takes no money before it is open', () => {
    spec.given([]).when({ type: 'deposit', amount: 10 }).thenRejected('the account is not open');
  });
});
