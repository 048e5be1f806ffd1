import { defineEntity, reject } from 'eventfold';

/** The seeds' bank account: deposits, and withdrawals refused beyond the balance. */
export type AccountCommand = { type: 'deposit'; amount: number } | { type: 'withdraw'; amount: number };
export type AccountEvent = { type: 'deposited'; amount: number } | { type: 'withdrawn'; amount: number };

export const account = defineEntity<{ balance: number }, AccountCommand, AccountEvent>({
  initialState: () => ({ balance: 0 }),
  decide(command, { balance }) {
    if (command.amount <= 0) return reject('the amount must be positive');
    if (command.type === 'deposit') return [{ type: 'deposited', amount: command.amount }];
    if (command.amount > balance) return reject(`insufficient funds: ${balance} available, ${command.amount} asked`);
    return [{ type: 'withdrawn', amount: command.amount }];
  },
  evolve: ({ balance }, event) => ({ balance: event.type === 'deposited' ? balance + event.amount : balance - event.amount }),
});
