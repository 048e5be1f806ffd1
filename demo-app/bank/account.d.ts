/** A bank account's state: the fold of its events. */
export interface AccountState {
    /** Set by the `opened` event; an account that was never opened accepts no money. */
    readonly owner: string | null;
    readonly balance: number;
    /** Deposits and withdrawals so far. */
    readonly txCount: number;
}
export type AccountCommand = {
    readonly type: 'open';
    readonly owner: string;
} | {
    readonly type: 'deposit';
    readonly amount: number;
} | {
    readonly type: 'withdraw';
    readonly amount: number;
};
export type AccountEvent = {
    readonly type: 'opened';
    readonly owner: string;
} | {
    readonly type: 'deposited';
    readonly amount: number;
} | {
    readonly type: 'withdrawn';
    readonly amount: number;
};
/** The longest owner name accepted. */
export declare const MAX_OWNER_LENGTH = 80;
/** The bank account of the seeds: open, deposit, withdraw, and "insufficient funds". */
export declare const account: import("eventfold").EntityDefinition<AccountState, AccountCommand, AccountEvent>;
/** Why `amount` is not a valid amount, or `undefined` when it is: amounts are positive safe integers. */
export declare function invalidAmount(amount: unknown): string | undefined;
