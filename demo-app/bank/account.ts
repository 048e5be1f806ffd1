import { defineEntity, reject, snapshotEvery } from 'eventfold';

/** A bank account's state: the fold of its events. */
export interface AccountState {
  /** Set by the `opened` event; an account that was never opened accepts no money. */
  readonly owner: string | null;
  readonly balance: number;
  /** Deposits and withdrawals so far. */
  readonly txCount: number;
}

export type AccountCommand =
  | { readonly type: 'open'; readonly owner: string }
  | { readonly type: 'deposit'; readonly amount: number }
  | { readonly type: 'withdraw'; readonly amount: number };

export type AccountEvent =
  | { readonly type: 'opened'; readonly owner: string }
  | { readonly type: 'deposited'; readonly amount: number }
  | { readonly type: 'withdrawn'; readonly amount: number };

/** The longest owner name accepted. */
export const MAX_OWNER_LENGTH = 80;

/** The bank account of the seeds: open, deposit, withdraw, and "insufficient funds". */
export const account = defineEntity<AccountState, AccountCommand, AccountEvent>({
  initialState: () => ({ owner: null, balance: 0, txCount: 0 }),

  decide(command, state) {
    if (typeof command !== 'object' || command === null) return reject('a command must be an object with a type');
    switch (command.type) {
      case 'open': {
        if (state.owner !== null) return reject(`the account is already open for ${state.owner}`);
        const owner = typeof command.owner === 'string' ? command.owner.trim() : '';
        if (owner === '') return reject('the owner needs a name');
        if (owner.length > MAX_OWNER_LENGTH) return reject(`the owner's name is longer than ${MAX_OWNER_LENGTH} characters`);
        return [{ type: 'opened', owner }];
      }
      case 'deposit': {
        const invalid = invalidAmount(command.amount) ?? notOpen(state);
        if (invalid) return reject(invalid);
        if (state.balance + command.amount > Number.MAX_SAFE_INTEGER) return reject('the balance would be too large');
        return [{ type: 'deposited', amount: command.amount }];
      }
      case 'withdraw': {
        const invalid = invalidAmount(command.amount) ?? notOpen(state);
        if (invalid) return reject(invalid);
        if (command.amount > state.balance) return reject(`insufficient funds (balance ${state.balance})`);
        return [{ type: 'withdrawn', amount: command.amount }];
      }
      default:
        return reject(`unknown command ${JSON.stringify((command as { type?: unknown }).type)}`);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'opened':
        return { ...state, owner: event.owner };
      case 'deposited':
        return { ...state, balance: state.balance + event.amount, txCount: state.txCount + 1 };
      case 'withdrawn':
        return { ...state, balance: state.balance - event.amount, txCount: state.txCount + 1 };
      default:
        throw new Error(`unknown event type ${JSON.stringify((event as { type?: unknown }).type)}`);
    }
  },

  snapshotPolicy: snapshotEvery(100),
  // The registry: an event of any other type (written by a newer version, or edited in) is refused, not guessed at.
  events: { opened: {}, deposited: {}, withdrawn: {} },
});

/** Why `amount` is not a valid amount, or `undefined` when it is: amounts are positive safe integers. */
export function invalidAmount(amount: unknown): string | undefined {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount <= 0) {
    return `the amount must be a whole number from 1 to ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}, got ${String(amount)}`;
  }
  return undefined;
}

function notOpen(state: AccountState): string | undefined {
  return state.owner === null ? 'the account is not open' : undefined;
}
