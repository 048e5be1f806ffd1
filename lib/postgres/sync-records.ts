import type { StreamWrite } from 'eventfold';

/** Where a journal stands for one device that syncs with it (`PostgresJournal.syncState`). */
export interface SyncState {
  /** The journal's head: the highest position stored. */
  readonly head: number;
  /** The journal's epoch: another one means the journal was created again, and devices start over from its events. */
  readonly epoch: string;
  /** The device's last command sequence number the server decided; 0 for a device it has not seen. */
  readonly lastSeq: number;
  /**
   * The shard the journal moved to, when this database's copy is the fence a move left (`ShardedDatabases`): it
   * takes no writes, and its events are gone or going.
   */
  readonly movedTo?: string;
}

/** The stored outcome of one command of a device. */
export interface StoredOutcome {
  /** The command's sequence number on its device. */
  readonly seq: number;
  /** The command's id. */
  readonly commandId: string;
  /** What the server decided, as the sync server stored it. */
  readonly outcome: unknown;
}

/** What `PostgresJournal.commitDecisions` stores in one statement. */
export interface DecisionCommit {
  /** The journal's head the commands were decided at. */
  readonly base: number;
  /** The events of the commands, each write continuing its stream as it was at `base`. */
  readonly writes: readonly StreamWrite[];
  /** The device whose commands these are. */
  readonly deviceId: string;
  /** The device's last sequence number decided, after these outcomes. */
  readonly lastSeq: number;
  /** The outcomes to store, made from the positions the journal gives each write's events. */
  readonly outcomes: (positions: readonly (readonly number[])[]) => readonly StoredOutcome[];
}
