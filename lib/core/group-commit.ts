import { type ConflictError, isEventfoldError, StorageError } from './errors.ts';
import type { EventJournal, PersistOptions, StoredOutcome, StreamWrite } from './journal.ts';

/** How a write of a group commit ended. */
export type WriteOutcome = StoredOutcome | { conflict: ConflictError } | { error: unknown };

/** One stream's write waiting for the next transaction, as the group commit sees it. */
export interface PendingWrite {
  /** Called once, when the write is handed to the journal: no more events may join it after this. */
  seal(): StreamWrite;
  /** Called once the transaction has settled. Must not throw. */
  settle(outcome: WriteOutcome): void;
}

/**
 * Group commit: the writes that pile up while a transaction is in flight go to the journal together, in the next
 * transaction. One transaction is in flight at a time, so a lone command is written at once, and under load the
 * cost of a transaction is shared by every command that waited for it. Nothing is acknowledged before the
 * transaction that holds it has completed.
 */
export class GroupCommit {
  #waiting: PendingWrite[] = [];
  #busy = false;

  constructor(
    private readonly journal: EventJournal,
    private readonly options: PersistOptions = {},
  ) {}

  /** Adds a write to the next transaction. */
  enqueue(write: PendingWrite): void {
    this.#waiting.push(write);
    if (!this.#busy) {
      this.#busy = true;
      // A microtask lets the writes of one burst (one task's worth of commands) share the first transaction.
      void Promise.resolve().then(() => this.#flush());
    }
  }

  /** Takes back a write that has not been sealed yet (its entity must decide it again). */
  withdraw(write: PendingWrite): void {
    const index = this.#waiting.indexOf(write);
    if (index >= 0) this.#waiting.splice(index, 1);
  }

  async #flush(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const writes = this.#waiting;
        this.#waiting = [];
        const sealed = writes.map((write) => write.seal());
        let outcomes: WriteOutcome[];
        try {
          const answers = await this.journal.persistMany(sealed, this.options);
          if (!Array.isArray(answers) || answers.length !== sealed.length) {
            throw new TypeError(`persistMany answered ${String(answers?.length)} outcomes for ${sealed.length} writes`);
          }
          outcomes = answers.map((answer) =>
            !('error' in answer) ? answer : isEventfoldError(answer.error, 'conflict') ? { conflict: answer.error } : answer,
          );
        } catch (error) {
          const failure = isEventfoldError(error) ? error : new StorageError('persist', error);
          outcomes = writes.map(() => ({ error: failure }));
        }
        writes.forEach((write, i) => write.settle(outcomes[i]!));
      }
    } finally {
      // Whatever happened, the next write must find the group commit ready.
      this.#busy = false;
    }
  }
}
