import { type ConflictError, isEventfoldError, OutcomeUnknownError, StorageError } from './errors.ts';
import type { EventJournal, AppendOptions, AppendOutcome, StoredOutcome, StreamWrite } from './journal.ts';

/**
 * How a write of a group commit ended: stored (at these global positions, with the inline projections it
 * updated), refused (a conflict, or another error), or unknown: the journal's answer did not say, so it may or may
 * not have been stored.
 */
export type WriteOutcome = StoredOutcome | { conflict: ConflictError } | { error: unknown } | { unknown: OutcomeUnknownError };

/** One stream's write waiting for the next transaction, as the group commit sees it. */
export interface PendingWrite {
  /** The stream written: a transaction holds at most one write per stream, so that writes settle in order. */
  readonly streamId: string;
  /** How many events, and roughly how many bytes, the write holds now. */
  readonly eventCount: number;
  readonly byteCount: number;
  /** Called once, when the write is handed to the journal: no more events may join it after this. */
  seal(): StreamWrite;
  /** Called once the transaction has settled. */
  settle(outcome: WriteOutcome): void;
}

/** The most one transaction holds; a lone write larger than that still goes, alone. */
export interface TransactionLimits {
  readonly maxEvents: number;
  readonly maxBytes: number;
}

/** Events per transaction by default: a quota or memory failure takes at most this many commands with it. */
export const DEFAULT_MAX_EVENTS_PER_TRANSACTION = 1000;
/** Bytes of events per transaction by default (4 MiB). */
export const DEFAULT_MAX_BYTES_PER_TRANSACTION = 4 << 20;

/**
 * Group commit: the writes that pile up while a transaction is in flight go to the journal together, in the next
 * transaction, up to its limits. One transaction is in flight at a time, so a lone command is written at once, and
 * under load the cost of a transaction is shared by every command that waited for it. Nothing is acknowledged
 * before the transaction that holds it has completed, and nothing that runs after a transaction (a write's settle
 * and what it calls) can keep the other writes of that transaction from settling: its failure goes to `onError`.
 */
export class GroupCommit {
  #waiting: PendingWrite[] = [];
  #busy = false;

  constructor(
    private readonly journal: EventJournal,
    private readonly options: AppendOptions,
    readonly limits: TransactionLimits,
    private readonly onError: (error: unknown) => void,
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
        const writes = this.#next();
        const sealed = writes.map((write) => write.seal());
        const outcomes = await this.#persist(sealed);
        writes.forEach((write, i) => {
          try {
            write.settle(outcomes[i]!);
          } catch (error) {
            this.onError(error);
          }
        });
      }
    } finally {
      // Whatever happened, the next write must find the group commit ready.
      this.#busy = false;
    }
  }

  /**
   * The waiting writes of the next transaction, in order, within its limits: at most one per stream, and none of a
   * stream whose earlier write has to wait, so that each stream's writes are stored in the order they were made.
   */
  #next(): PendingWrite[] {
    const { maxEvents, maxBytes } = this.limits;
    const taken: PendingWrite[] = [];
    const streams = new Set<string>();
    let events = 0;
    let bytes = 0;
    this.#waiting = this.#waiting.filter((write) => {
      if (streams.has(write.streamId)) return true;
      streams.add(write.streamId);
      const fits = taken.length === 0 || (events + write.eventCount <= maxEvents && bytes + write.byteCount <= maxBytes);
      if (!fits) return true;
      taken.push(write);
      events += write.eventCount;
      bytes += write.byteCount;
      return false;
    });
    return taken;
  }

  async #persist(sealed: StreamWrite[]): Promise<WriteOutcome[]> {
    let answers: AppendOutcome[];
    try {
      answers = await this.journal.append(sealed, this.options);
    } catch (error) {
      // A journal that rejects has stored nothing: that is its contract.
      const failure = isEventfoldError(error) ? error : new StorageError('persist', error);
      return sealed.map(() => ({ error: failure }));
    }
    if (!Array.isArray(answers) || answers.length !== sealed.length) {
      const unknown = new OutcomeUnknownError(`the journal answered ${String(answers?.length)} outcomes for ${sealed.length} writes`);
      return sealed.map(() => ({ unknown }));
    }
    return answers.map((answer, i) => {
      if (typeof answer === 'object' && answer !== null && 'error' in answer) {
        return isEventfoldError(answer.error, 'conflict') ? { conflict: answer.error } : { error: answer.error };
      }
      const positions = (answer as { positions?: unknown } | null)?.positions;
      if (Array.isArray(positions) && positions.length === sealed[i]!.events.length) return answer as StoredOutcome;
      return { unknown: new OutcomeUnknownError(`the journal gave write ${i} no positions and no error`) };
    });
  }
}
