import type { CommandOptions, EntityChange, EntityDefinitions, EntityRuntime, EventJournal, PersistedEvent, Recovered, Versioned } from '../core/index.ts';

/**
 * Sync for `exposeRuntime`, given as its `sync` option (`syncWith` of `eventfold/sync` makes one): the worker hands
 * it the runtime on the confirmed copy, and serves the page what it returns instead of the runtime's own view. An
 * option rather than an import, so that a worker that does not sync ships none of it.
 */
export interface WorkerSync {
  /** Starts syncing the worker's journal; resolves with the view the worker serves. */
  start(context: WorkerSyncContext): Promise<WorkerSyncView>;
}

/** What the worker gives its sync. */
export interface WorkerSyncContext {
  /** The runtime on the confirmed copy of the server's journal. */
  readonly runtime: EntityRuntime<EntityDefinitions>;
  /** The confirmed copy. */
  readonly journal: EventJournal;
  /** The entity types served, by name: the runtime's. */
  readonly entities: EntityDefinitions;
  /** The name the profile's tabs share for this journal (the worker's channel): outbox, locks and messages use it. */
  readonly name: string;
  /** Sends a message to the sync of the profile's other tabs (their `heard`). */
  readonly broadcast: (message: SyncMessage) => void;
  /** Tells the page that the sync status changed. */
  readonly onStatus: (status: WireSyncStatus) => void;
  /** Tells the page that the rejections changed. */
  readonly onRejections: () => void;
  /** Tells the page that these streams changed on this device (a command, a pull, another tab's work). */
  readonly onStreams: (streamIds: readonly string[]) => void;
  /**
   * Closes the runtime and the journal for good, and tells the page its database is gone (it reconnects to a new
   * worker): for a new epoch of the server, whose confirmed copy must be dropped.
   */
  readonly closeJournal: () => Promise<void>;
}

/** A message between the syncs of a profile's tabs. */
export type SyncMessage =
  /** The outbox or the confirmed copy of these streams changed. */
  | {
      /** Which message this is. */
      readonly kind: 'sync-changed';
      /** The streams to read again. */
      readonly streamIds: readonly string[];
    }
  /** The tab that syncs says where sync stands. */
  | {
      /** Which message this is. */
      readonly kind: 'sync-status';
      /** Where sync stands now. */
      readonly status: WireSyncStatus;
    };

/** Where sync stands, as the page hears it (see `SyncStatus` of `eventfold/sync`). */
export interface WireSyncStatus {
  /** `offline`, `syncing` or `synced`. */
  readonly state: 'offline' | 'syncing' | 'synced';
  /** Commands waiting for the server. */
  readonly pending: number;
  /** Why the last attempt failed, while offline: the `SyncError`'s reason and message. */
  readonly error?: {
    /** The `SyncError`'s reason. */
    readonly reason: string;
    /** The `SyncError`'s message. */
    readonly message: string;
  };
}

/** How a command ended on the server (see `Confirmation` of `eventfold/sync`). */
export type WireConfirmation =
  | {
      /** The server stored the command's events. */
      readonly status: 'confirmed';
      /** The command's id. */
      readonly commandId: string;
    }
  | {
      /** How the server refused it (see `Outcome` of `eventfold/sync`). */
      readonly status: 'rejected' | 'unsupported' | 'failed';
      /** The command's id. */
      readonly commandId: string;
      /** Why, in the decider's words for a rejection. */
      readonly reason: string;
    };

/** A command the server refused, as kept on the device (see `ServerRejection` of `eventfold/sync`). */
export interface WireRejection {
  /** The command's id. */
  readonly commandId: string;
  /** The command's sequence number on this device. */
  readonly seq: number;
  /** The entity type the command was for. */
  readonly type: string;
  /** The entity id. */
  readonly id: string;
  /** The command, as sent. */
  readonly command: unknown;
  /** How the server refused it (see `Outcome` of `eventfold/sync`). */
  readonly status: 'rejected' | 'unsupported' | 'failed';
  /** Why, in the decider's words for a rejection. */
  readonly reason: string;
  /** When the device accepted the command. */
  readonly at: number;
}

/** The pending part of an entity (see `PendingView` of `eventfold/sync`). */
export interface WirePendingView {
  /** The sequence number of the last confirmed event. */
  readonly confirmedSequenceNr: number;
  /** The pending commands, in the device's order, with the sequence numbers of their predicted events. */
  readonly commands: readonly {
    /** The command's sequence number on this device. */
    readonly seq: number;
    /** The command's id. */
    readonly commandId: string;
    /** The command, as sent. */
    readonly command: unknown;
    /** The sequence number of its first predicted event (`to < from` when none). */
    readonly from: number;
    /** The sequence number of its last predicted event. */
    readonly to: number;
    /** Whether the server decided it already (its events are on their way). */
    readonly decided: boolean;
    /** Set when the device now predicts that the server will refuse it, with the reason. */
    readonly predictedRejection?: string;
  }[];
}

/** What a worker that syncs serves its page. */
export interface WorkerSyncView {
  /**
   * Decides a command on the device's view and stores it in the outbox with its predicted events; resolves once
   * stored, with the entity's state on this device. A command the view refuses is rejected here and never pushed.
   */
  send(
    type: string,
    id: string,
    command: unknown,
    options: CommandOptions,
  ): Promise<
    Versioned<unknown> & {
      /** The events the device predicts; the server's are the facts. */
      events: readonly PersistedEvent[];
      /** The command's id: what `confirmation` waits for. */
      commandId: string;
      /** The command's sequence number on this device. */
      seq: number;
    }
  >;
  /** The entity's state on this device: confirmed, plus its pending commands. */
  state(type: string, id: string): Promise<Versioned<unknown>>;
  /** The entity's state after event `sequenceNr` on this device (time travel, into the pending part too). */
  stateAt(type: string, id: string, sequenceNr: number): Promise<Versioned<unknown>>;
  /** That state with the `tail` events leading to it, pending ones included. */
  historyAt(type: string, id: string, sequenceNr: number, tail: number): Promise<Recovered<unknown>>;
  /** The entity's events from `from` to `to`: the confirmed ones, then the pending predictions. */
  events(type: string, id: string, from?: number, to?: number): Promise<PersistedEvent[]>;
  /** The ids of the entities of a type with confirmed events or pending commands, ascending. */
  entityIds(type: string): Promise<string[]>;
  /** Follows an entity on this device; `rebased` changes replace what came before. */
  subscribe(type: string, id: string, listener: (change: EntityChange<unknown, unknown> & { rebased?: boolean }) => void): () => void;
  /** The entity's confirmed sequence number and its pending commands. */
  pending(type: string, id: string): Promise<WirePendingView>;
  /** Resolves when the server's decision of command `commandId` has reached this device. */
  confirmation(commandId: string): Promise<WireConfirmation>;
  /** The server's rejections this device has not dismissed, oldest first. */
  rejections(): Promise<WireRejection[]>;
  /** Forgets a rejection the user has seen. */
  dismissRejection(commandId: string): Promise<void>;
  /** Where sync stands: the loop's status in the tab that syncs; in another, that tab's last word and what waits. */
  status(): Promise<WireSyncStatus>;
  /** A message from another tab's sync. */
  heard(message: SyncMessage): void;
  /** Stops syncing (the lock goes to another tab) and closes the outbox. */
  close(): Promise<void>;
}
