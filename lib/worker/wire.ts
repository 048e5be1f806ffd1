import { type TransferHandler, transferHandlers } from 'comlink';
import {
  type CommandOptions,
  type ExportOptions,
  type ImportSummary,
  type TransferProgress,
  type CommandResult,
  type DocumentQuery,
  type EntityChange,
  isEventfoldError,
  type PersistedEvent,
  type ProjectionStatus,
  type ReadModel,
  type Recovered,
  restoreError,
  type Versioned,
} from '../core/index.ts';
import type { WireConfirmation, WirePendingView, WireRejection, WireSyncStatus } from './worker-sync.ts';

/** What the worker tells its page without being asked. */
export type WorkerNotice =
  /** A watched entity changed. */
  | ({
      /** Which notice this is. */
      kind: 'change';
      /** The entity's type. */
      type: string;
      /** The entity's id. */
      id: string;
      /** Sync: the device's view was rebuilt (pending events replaced or dropped); this change replaces what came before. */
      rebased?: boolean;
    } & EntityChange<unknown, unknown>)
  /** An entity of a type whose ids are watched was written, in this tab or another. */
  | {
      /** Which notice this is. */
      kind: 'written';
      /** The entity's type. */
      type: string;
      /** The entity's id. */
      id: string;
      /** The stream's new head. */
      sequenceNr: number;
    }
  /** The journal closed its database by itself (see `JournalLifecycle.onClosed`). */
  | {
      /** Which notice this is. */
      kind: 'closed';
      /** Why it closed. */
      reason: 'version-change' | 'deleted' | 'terminated';
    }
  /** The journal's database was found missing though it existed: what it held is gone. */
  | {
      /** Which notice this is. */
      kind: 'storage-lost';
    }
  /** Where sync stands changed (a worker given `sync` only). */
  | {
      /** Which notice this is. */
      kind: 'sync';
      /** Where sync stands now. */
      status: WireSyncStatus;
    }
  /** The server's rejections kept on the device changed. */
  | {
      /** Which notice this is. */
      kind: 'rejections';
    }
  /** A watched projection's status changed, or its read model may have. */
  | {
      /** Which notice this is. */
      kind: 'projection';
      /** The projection's status now. */
      status: ProjectionStatus;
    };

/** The API a worker exposes through Comlink; `connect` wraps it in a typed client. */
export interface RuntimeService {
  /** Takes the Web Lock `lock` for the worker's lifetime, so that the page learns of the worker's death. */
  hello(lock: string, notify: (notice: WorkerNotice) => void): Promise<void>;
  /** The runtime's `send`: decides and stores a command, resolving once its events are durable. */
  send(type: string, id: string, command: unknown, options: CommandOptions): Promise<CommandResult<unknown, unknown>>;
  /** The runtime's `send` for each command, all at once: every outcome, in order, in one answer. */
  sendAll(type: string, id: string, commands: readonly unknown[]): Promise<WireSettled<CommandResult<unknown, unknown>>[]>;
  /** The runtime's `state`: the entity's durable state, caught up with other tabs' writes. */
  state(type: string, id: string): Promise<Versioned<unknown>>;
  /** The runtime's `stateAt`: the entity's state after event `sequenceNr` (time travel). */
  stateAt(type: string, id: string, sequenceNr: number): Promise<Versioned<unknown>>;
  /** The runtime's `historyAt`: that state with the `tail` events leading to it. */
  historyAt(type: string, id: string, sequenceNr: number, tail: number): Promise<Recovered<unknown>>;
  /** The runtime's `events`: the entity's stored events from `from` to `to`, upcast. */
  events(type: string, id: string, from?: number, to?: number): Promise<PersistedEvent[]>;
  /** The runtime's `entityIds`: the ids of the entities of a type that have events. */
  entityIds(type: string): Promise<string[]>;
  /** The runtime's `snapshots`: the sequence numbers of the entity's stored snapshots. */
  snapshots(type: string, id: string): Promise<number[]>;
  /** Starts sending `written` notices for the entities of a type; returns their ids. */
  watchIds(type: string): Promise<string[]>;
  /** Stops the `written` notices that `watchIds` started. */
  unwatchIds(type: string): Promise<void>;
  /** Starts sending `change` notices for an entity; returns its current state. */
  watch(type: string, id: string): Promise<Versioned<unknown>>;
  /** Stops the `change` notices that `watch` started. */
  unwatch(type: string, id: string): Promise<void>;
  /** The runtime's `readModel`: documents of a read model, with the position they reflect and the status. */
  readModel(projection: string, query: DocumentQuery): Promise<ReadModel>;
  /** The runtime's `projectionStatus`. */
  projectionStatus(projection: string): Promise<ProjectionStatus>;
  /** The runtime's `rebuildProjection`: rebuilds a read model from scratch, blue/green. */
  rebuildProjection(projection: string): Promise<ProjectionStatus>;
  /** Starts sending `projection` notices for a projection; returns its status. */
  watchProjection(projection: string): Promise<ProjectionStatus>;
  /** Stops the `projection` notices that `watchProjection` started. */
  unwatchProjection(projection: string): Promise<void>;
  /** Where sync stands; `undefined` for a worker that does not sync. */
  syncStatus(): Promise<WireSyncStatus | undefined>;
  /** The entity's pending commands on this device (sync). */
  pending(type: string, id: string): Promise<WirePendingView>;
  /** Resolves when the server's decision of a command reached this device (sync). */
  confirmation(commandId: string): Promise<WireConfirmation>;
  /** The server's rejections kept on the device (sync). */
  rejections(): Promise<WireRejection[]>;
  /** Forgets a rejection the user has seen (sync). */
  dismissRejection(commandId: string): Promise<void>;
  /** The journal in the export format (`exportJournal`), as a stream of UTF-8 bytes transferred to the page. */
  exportJournal(options: Pick<ExportOptions, 'streamIds'>, progress?: (progress: TransferProgress) => void): Promise<ReadableStream<Uint8Array>>;
  /** Loads an export (`importJournal`) from a file into the worker's journal, which must be empty. */
  importJournal(file: Blob, progress?: (progress: TransferProgress) => void): Promise<ImportSummary>;
  /** Closes the runtime and its journal once the calls under way have finished; later calls reject. */
  close(): Promise<void>;
}

/**
 * A projection status that can cross to the page: its error (an object with a class and fields) goes as data, to
 * be rebuilt with `statusFromWire`.
 */
export function statusToWire(status: ProjectionStatus): ProjectionStatus {
  return status.error === undefined ? status : { ...status, error: toWire(status.error) };
}

/** The page's half of `statusToWire`. */
export function statusFromWire(status: ProjectionStatus): ProjectionStatus {
  return status.error === undefined ? status : { ...status, error: fromWire(status.error as Wire) };
}

interface WireError {
  /** `eventfold`: rebuilt as its class; `dom`: as a DOMException; `error`: as an Error. */
  kind: 'eventfold' | 'dom' | 'error';
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, unknown>;
  cause?: WireError | { kind: 'value'; value: unknown };
}

/**
 * Comlink sends only the message, name and stack of a thrown error. These handlers keep an eventfold error's class,
 * `code` and fields, and its `cause` (a DOMException stays one), so the page can tell a rejection from a conflict
 * from a storage failure. The worker only sends errors (`registerErrorSerializer`); the page also rebuilds them
 * (`registerErrorTransfer`), which keeps the rebuilding code out of the worker's bundle.
 *
 * Comlink's `throw` handler is one for the whole realm, shared with every other Comlink endpoint there. So the errors
 * leave in Comlink's own format, with eventfold's wire value under one more key (`BRAND`): a plain Comlink endpoint
 * reads them as usual, and whatever does not carry the key is left to Comlink's built-in handler, both ways.
 */
export function registerErrorTransfer(): void {
  install((wire) => {
    throw fromWire(wire);
  });
}

/** The worker's half of `registerErrorTransfer`: errors leave with their code and fields. */
export function registerErrorSerializer(): void {
  install();
}

/** An error as it crosses the boundary: an eventfold error, a DOMException or an Error with its fields, or a thrown value. */
type Wire = WireError | { kind: 'value'; value: unknown };

/** A settled outcome that can cross to the page: a rejection's reason goes as data, as a thrown error does. */
export type WireSettled<T> =
  | {
      /** The command succeeded. */
      status: 'fulfilled';
      /** Its result. */
      value: T;
    }
  | {
      /** The command failed. */
      status: 'rejected';
      /** Why, as data: an error's class, message and fields (the page rebuilds the error from them). */
      reason: unknown;
    };

/** The worker's half of `settledFromWire`. */
export function settledToWire<T>(result: PromiseSettledResult<T>): WireSettled<T> {
  return result.status === 'fulfilled' ? result : { status: 'rejected', reason: toWire(result.reason) };
}

/** A settled outcome as the page gets it: a rejection's reason rebuilt as its class (see `registerErrorTransfer`). */
export function settledFromWire<T>(result: WireSettled<T>): PromiseSettledResult<T> {
  return result.status === 'fulfilled' ? result : { status: 'rejected', reason: fromWire(result.reason as Wire) };
}

/** The key of eventfold's wire value on an error sent in Comlink's format. */
const BRAND = 'eventfold:error';

/** What Comlink's built-in `throw` handler sends. */
interface Thrown {
  isError: boolean;
  value: unknown;
}

function install(deserialize?: (wire: Wire) => never): void {
  const builtIn = transferHandlers.get('throw') as TransferHandler<unknown, Thrown> & { eventfold?: 'full' | 'send' };
  if (!builtIn || builtIn.eventfold === 'full' || (builtIn.eventfold === 'send' && !deserialize)) return;
  // Installed over eventfold's own sending half, the built-in handler is the one that half delegated to.
  const original = (builtIn as { builtIn?: TransferHandler<unknown, Thrown> }).builtIn ?? builtIn;
  const handler: TransferHandler<{ value: unknown }, Thrown> & {
    eventfold: 'full' | 'send';
    builtIn: TransferHandler<unknown, Thrown>;
  } = {
    eventfold: deserialize ? 'full' : 'send',
    builtIn: original,
    canHandle: (value): value is { value: unknown } => original.canHandle(value),
    serialize(thrown) {
      const { value } = thrown;
      if (!(value instanceof Error) && !(value instanceof DOMException)) return original.serialize(thrown);
      const message = { message: value.message, name: value.name, stack: value.stack, [BRAND]: toWire(value) };
      return [{ isError: true, value: message }, []];
    },
    deserialize(serialized) {
      const wire = serialized.isError ? (serialized.value as { [BRAND]?: Wire } | null)?.[BRAND] : undefined;
      if (wire && deserialize) return deserialize(wire);
      return original.deserialize(serialized) as never;
    },
  };
  transferHandlers.set('throw', handler);
}

function toWire(error: unknown, depth = 0): Wire {
  if (!(error instanceof Error) && !(error instanceof DOMException)) {
    return { kind: 'value', value: cloneable(error) ? error : String(error) };
  }
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'cause' && cloneable(value)) fields[key] = value;
  }
  const cause = (error as { cause?: unknown }).cause;
  return {
    kind: isEventfoldError(error) ? 'eventfold' : error instanceof DOMException ? 'dom' : 'error',
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined && { stack: error.stack }),
    fields,
    ...(cause !== undefined && depth < 5 && { cause: toWire(cause, depth + 1) }),
  };
}

function fromWire(wire: Wire): unknown {
  if (wire.kind === 'value') return wire.value;
  const cause = wire.cause === undefined ? {} : { cause: fromWire(wire.cause) };
  const restored =
    wire.kind === 'eventfold'
      ? restoreError({ ...wire.fields, code: String(wire.fields.code), message: wire.message, ...cause })
      : undefined;
  const error = restored ?? (wire.kind === 'dom' ? new DOMException(wire.message, wire.name) : new Error(wire.message, cause));
  if (!restored && wire.kind === 'error') Object.assign(error, { name: wire.name }, wire.fields);
  if (wire.stack !== undefined) Object.defineProperty(error, 'stack', { value: wire.stack, configurable: true, writable: true });
  return error;
}

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
