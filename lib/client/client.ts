import { proxy, type Remote, wrap } from 'comlink';
import {
  assertCloneable,
  ClosedError,
  type CommandOf,
  type CommandOptions,
  type CommandResult,
  type AnyProjection,
  type DocOf,
  type DocumentQuery,
  type EntityChange,
  type EntityDefinitions,
  type EventOf,
  type ImportSummary,
  InvalidArgumentError,
  MAX_COMMANDS_PER_CALL,
  MAX_PAYLOAD_BYTES,
  type PersistedEvent,
  type ProjectionStatus,
  type ReadModel,
  type ReadModelsOf,
  type Recovered,
  type StateOf,
  streamIdOf,
  type TransferProgress,
  type Versioned,
  WorkerLostError,
} from '../core/index.ts';
import { registerErrorTransfer, type RuntimeService, settledFromWire, statusFromWire, type WorkerNotice } from '../worker/wire.ts';
import type { WireConfirmation, WirePendingView, WireRejection, WireSyncStatus } from '../worker/worker-sync.ts';
import { type EntityIdsSnapshot, type EntitySnapshot, entityIdsStore, entityStore } from './entity-store.ts';
import { type ReadModelSnapshot, readModelStore } from './read-model-store.ts';
import { type ListenerErrorHandler, reportToConsole, tellEach } from './listeners.ts';
import { SharedSubscription } from './shared-subscription.ts';
import { SourceStore } from './source-store.ts';
import { Timeline, type TimelineOptions } from './timeline.ts';

/**
 * Where the connection to the worker stands: `connecting` until the worker answered, `ready`, `lost` when the
 * worker died (see `reconnect`), `version-change` when a newer version of the app took the database (reload),
 * `closed` after `close()`.
 */
export type ClientStatus = 'connecting' | 'ready' | 'lost' | 'version-change' | 'closed';

/** A subscription of the page to the worker, with what it takes to start it again on a new worker. */
interface Watch<V> {
  readonly subscription: SharedSubscription<V>;
  readonly start: () => void;
}

type AnyChange = EntityChange<unknown, unknown>;

/** Options of `connect`. */
export interface ClientOptions {
  /**
   * Hears what a page-side listener threw: a subscriber, a store's or a timeline's listener, a status listener.
   * The other listeners are told all the same. Default: `console.error`.
   */
  onError?: ListenerErrorHandler;
}

/** The names of the read models of a list of projections. */
export type ReadModelName<P extends readonly AnyProjection[]> = Extract<keyof ReadModelsOf<P>, string>;

/** The doc type of the read model named `N` among projections `P`. */
export type ReadModelDoc<P extends readonly AnyProjection[], N extends ReadModelName<P>> = DocOf<Extract<P[number], Readonly<Record<'name', N>>>>;

/**
 * The page's handle on an entity runtime in a worker, typed by the worker's entity definitions `D` and its
 * projections `P` (none by default: a read model must be declared to be read). Create it with `connect`.
 */
export class Client<D extends EntityDefinitions, P extends readonly AnyProjection[] = []> {
  readonly #factory: (() => Worker) | undefined;
  #worker!: Worker;
  #remote!: Remote<RuntimeService>;
  #generation = 0;
  #status: ClientStatus = 'connecting';
  #lostDetail = '';
  readonly #inFlight = new Set<(error: unknown) => void>();
  readonly #watches = new Map<string, Watch<AnyChange>>();
  readonly #statusListeners = new Set<(status: ClientStatus) => void>();
  readonly #lostListeners = new Set<() => void>();
  #storageLost = false;
  readonly #idsWatches = new Map<string, Watch<readonly string[]>>();
  /** Ids heard of, per type, while the first list of that type was on its way. */
  readonly #heardIds = new Map<string, Set<string>>();
  readonly #stores = new Map<string, SourceStore<EntitySnapshot<unknown>>>();
  readonly #idsStores = new Map<string, SourceStore<EntityIdsSnapshot>>();
  readonly #projectionWatches = new Map<string, Watch<ProjectionStatus>>();
  readonly #readModelStores = new Map<string, SourceStore<ReadModelSnapshot<unknown>>>();
  readonly #report: ListenerErrorHandler;
  #syncStatus: WireSyncStatus | undefined;
  readonly #syncListeners = new Set<(status: WireSyncStatus) => void>();
  readonly #rejectionListeners = new Set<() => void>();
  #syncStore: SourceStore<WireSyncStatus | undefined> | undefined;

  /** @internal Use `connect`. */
  constructor(worker: Worker | (() => Worker), { onError = reportToConsole }: ClientOptions = {}) {
    this.#report = onError;
    registerErrorTransfer();
    this.#factory = typeof worker === 'function' ? worker : undefined;
    this.#attach(typeof worker === 'function' ? worker() : worker);
  }

  /** Where the connection stands. */
  get status(): ClientStatus {
    return this.#status;
  }

  /**
   * Where sync stands, for a worker given `sync` (`undefined` before the worker said, and for one that does not
   * sync): `offline` (with the `error` of the last attempt), `syncing` or `synced`, and how many commands wait.
   */
  get syncStatus(): WireSyncStatus | undefined {
    return this.#syncStatus;
  }

  /** Calls `listener` whenever the sync status changes; returns the function that stops it. */
  onSyncStatus(listener: (status: WireSyncStatus) => void): () => void {
    this.#syncListeners.add(listener);
    return () => this.#syncListeners.delete(listener);
  }

  /** A store of the sync status for `useSyncExternalStore`; see `useSyncStatus`. */
  syncStatusStore(): SourceStore<WireSyncStatus | undefined> {
    this.#syncStore ??= new SourceStore<WireSyncStatus | undefined>(this.#syncStatus, (set) => {
      set(this.#syncStatus);
      return this.onSyncStatus(set);
    }, this.#report);
    return this.#syncStore;
  }

  /**
   * Sync: resolves when the server's decision of a command sent with `send` (its `commandId`, or the one given in
   * the options) has reached this device: `confirmed` once its events are here, or `rejected`, `unsupported`,
   * `failed` with the reason. Never rejects for the server's refusal: it is an outcome.
   */
  confirmation(commandId: string): Promise<WireConfirmation> {
    return this.#call((remote) => remote.confirmation(commandId) as Promise<WireConfirmation>);
  }

  /** Sync: the commands the server refused, kept on the device until dismissed (they survive a reload), oldest first. */
  rejections(): Promise<WireRejection[]> {
    return this.#call((remote) => remote.rejections());
  }

  /** Sync: forgets a rejection the user has seen. */
  dismissRejection(commandId: string): Promise<void> {
    return this.#call((remote) => remote.dismissRejection(commandId));
  }

  /** Sync: calls `listener` whenever the rejections may have changed; returns the function that stops it. */
  onRejections(listener: () => void): () => void {
    this.#rejectionListeners.add(listener);
    return () => this.#rejectionListeners.delete(listener);
  }

  /** Sync: the entity's confirmed sequence number and its pending commands, with the events each predicts. */
  pending(type: keyof D & string, id: string): Promise<WirePendingView> {
    return this.#call((remote) => remote.pending(type, id));
  }

  /**
   * Why the worker was lost, while the status is `lost`: `it was terminated`, `it failed with an uncaught error…`,
   * `its database was deleted`, `the browser closed its database`…
   */
  get lostBecause(): string | undefined {
    return this.#status === 'lost' ? this.#lostDetail : undefined;
  }

  /**
   * True once the worker found its journal's database missing though it existed: the browser deleted it (it deletes
   * an IndexedDB it finds corrupt, which a crash can leave behind). Everything stored before is gone; tell the user.
   */
  get storageLost(): boolean {
    return this.#storageLost;
  }

  /** Calls `listener` when the worker finds its stored data lost (see `storageLost`); returns how to stop. */
  onStorageLost(listener: () => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Calls `listener` whenever the status changes; returns the function that stops it. */
  onStatus(listener: (status: ClientStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /**
   * Sends a command and resolves once its events are durable, with the entity's new state and sequence number.
   * Rejects with the runtime's typed errors (`rejected`, `conflict`, `storage-failed`…), with `not-cloneable` for a
   * command that cannot be sent to the worker, and with `worker-lost` when the worker dies first. A command sent
   * with an `idempotencyKey` can be sent again after `worker-lost`: it takes effect once.
   */
  send<K extends keyof D & string>(
    type: K,
    id: string,
    command: CommandOf<D[K]>,
    options: CommandOptions = {},
  ): Promise<CommandResult<StateOf<D[K]>, EventOf<D[K]>>> {
    try {
      // What cannot cross to the worker is refused here, with its path; the worker checks the rest.
      assertCloneable(command, 'command', MAX_PAYLOAD_BYTES);
      assertCloneable(options, 'options', MAX_PAYLOAD_BYTES);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#call((remote) => remote.send(type, id, command, options)) as Promise<
      CommandResult<StateOf<D[K]>, EventOf<D[K]>>
    >;
  }

  /**
   * Sends many commands to one entity at once and resolves once every one is settled, with each outcome in order,
   * as `Promise.allSettled` gives them: `send` for each, but one message each way, so that a burst of thousands costs
   * the page one task rather than one per command (the worker writes them in group commits all the same). At most
   * `MAX_COMMANDS_PER_CALL` (10,000) per call; a command that cannot be sent to the worker fails the call with
   * `not-cloneable`, before any is sent.
   */
  async sendAll<K extends keyof D & string>(
    type: K,
    id: string,
    commands: readonly CommandOf<D[K]>[],
  ): Promise<PromiseSettledResult<CommandResult<StateOf<D[K]>, EventOf<D[K]>>>[]> {
    if (!Array.isArray(commands) || commands.length > MAX_COMMANDS_PER_CALL) {
      throw new InvalidArgumentError(`sendAll takes an array of at most ${MAX_COMMANDS_PER_CALL} commands`, 'commands');
    }
    commands.forEach((command, i) => assertCloneable(command, `commands[${i}]`, MAX_PAYLOAD_BYTES));
    const settled = await this.#call((remote) => remote.sendAll(type, id, commands));
    return settled.map((result) => settledFromWire(result)) as PromiseSettledResult<CommandResult<StateOf<D[K]>, EventOf<D[K]>>>[];
  }

  /** The entity's current state and sequence number. */
  state<K extends keyof D & string>(type: K, id: string): Promise<Versioned<StateOf<D[K]>>> {
    return this.#call((remote) => remote.state(type, id)) as Promise<Versioned<StateOf<D[K]>>>;
  }

  /** The entity's state after event `sequenceNr`, folded from the newest snapshot at or below it. */
  stateAt<K extends keyof D & string>(type: K, id: string, sequenceNr: number): Promise<Versioned<StateOf<D[K]>>> {
    return this.#call((remote) => remote.stateAt(type, id, sequenceNr)) as Promise<Versioned<StateOf<D[K]>>>;
  }

  /**
   * `stateAt`, with up to `tail` events leading to the state (at most `MAX_HISTORY_WINDOW`): what a history view
   * shows at a position, in one call and one journal read.
   */
  historyAt<K extends keyof D & string>(
    type: K,
    id: string,
    sequenceNr: number,
    tail: number,
  ): Promise<Recovered<StateOf<D[K]>, EventOf<D[K]>>> {
    return this.#call((remote) => remote.historyAt(type, id, sequenceNr, tail)) as Promise<Recovered<StateOf<D[K]>, EventOf<D[K]>>>;
  }

  /** The entity's events with `from <= sequenceNr <= to`, ascending. */
  events<K extends keyof D & string>(type: K, id: string, from = 1, to?: number): Promise<PersistedEvent<EventOf<D[K]>>[]> {
    return this.#call((remote) => remote.events(type, id, from, to)) as Promise<PersistedEvent<EventOf<D[K]>>[]>;
  }

  /** The ids of the entities of a type that have events, ascending. */
  entityIds(type: keyof D & string): Promise<string[]> {
    return this.#call((remote) => remote.entityIds(type));
  }

  /** The sequence numbers of the entity's stored snapshots, ascending. */
  snapshots(type: keyof D & string, id: string): Promise<number[]> {
    return this.#call((remote) => remote.snapshots(type, id));
  }

  /**
   * The worker's journal in eventfold's export format (see `exportJournal`: NDJSON, versioned), as a stream of UTF-8
   * bytes the worker writes as it is read, so a history of any length never sits whole in either thread:
   * `new Response(await client.exportJournal()).blob()` for a download. `streamIds` exports some streams only;
   * `onProgress` hears how many events are written, of about how many.
   */
  exportJournal(options: { streamIds?: readonly string[]; onProgress?: (progress: TransferProgress) => void } = {}): Promise<ReadableStream<Uint8Array>> {
    const { onProgress, streamIds } = options;
    return this.#call((remote) => remote.exportJournal(streamIds ? { streamIds: [...streamIds] } : {}, onProgress && proxy(onProgress)));
  }

  /**
   * Loads an export (a `File` from a file picker, or any `Blob`) into the worker's journal, which must be empty (see
   * `importJournal`): the whole file is checked first, and a damaged, truncated or foreign one fails with an
   * `InvalidImportError` naming the line, with nothing stored. Subscriptions, read models and other tabs then follow
   * the imported history. A worker that syncs refuses: its journal is its server's.
   */
  importJournal(file: Blob, options: { onProgress?: (progress: TransferProgress) => void } = {}): Promise<ImportSummary> {
    const { onProgress } = options;
    return this.#call((remote) => remote.importJournal(file, onProgress && proxy(onProgress)));
  }

  /**
   * Calls `listener` with the ids of the entities of a type (ascending), then again whenever an entity of that type
   * is written for the first time, in this tab or another. Returns the function that unsubscribes.
   */
  subscribeEntityIds(
    type: keyof D & string,
    listener: (ids: readonly string[]) => void,
    onError?: (error: unknown) => void,
  ): () => void {
    let watch = this.#idsWatches.get(type);
    if (!watch) {
      const subscription = new SharedSubscription<readonly string[]>(
        () => {
          this.#idsWatches.delete(type);
          this.#heardIds.delete(type);
          this.#quietly((remote) => remote.unwatchIds(type));
        },
        { report: this.#report },
      );
      const start = () => {
        this.#heardIds.set(type, new Set());
        this.#call((remote) => remote.watchIds(type)).then(
          (ids) => subscription.publish([...new Set([...ids, ...(this.#heardIds.get(type) ?? [])])].sort()),
          (error: unknown) => subscription.fail(error),
        );
      };
      watch = { subscription, start };
      this.#idsWatches.set(type, watch);
      start();
    }
    return watch.subscription.join(listener, onError);
  }

  /**
   * Calls `listener` with the entity's state once it is known (with no events), then with each change: new events,
   * whether written through this tab or another, and the state after them. `onError` hears why the entity could
   * not be watched. Returns the function that unsubscribes.
   */
  subscribe<K extends keyof D & string>(
    type: K,
    id: string,
    listener: (change: EntityChange<StateOf<D[K]>, EventOf<D[K]>>) => void,
    onError?: (error: unknown) => void,
  ): () => void {
    const streamId = streamIdOf(type, id);
    let watch = this.#watches.get(streamId);
    if (!watch) {
      const subscription = new SharedSubscription<AnyChange>(
        () => {
          this.#watches.delete(streamId);
          this.#quietly((remote) => remote.unwatch(type, id));
        },
        { replay: (latest) => ({ ...latest, events: [] }), report: this.#report },
      );
      const start = () => {
        const generation = this.#generation;
        this.#call((remote) => remote.watch(type, id)).then(
          // A view from a worker since replaced would undo the reset that the new worker's view follows.
          (view) => generation === this.#generation && this.#apply(subscription, { ...view, events: [] }),
          (error: unknown) => subscription.fail(error),
        );
      };
      watch = { subscription, start };
      this.#watches.set(streamId, watch);
      start();
    }
    return watch.subscription.join(listener as (change: AnyChange) => void, onError);
  }

  /** A store of the entity's live state for `useSyncExternalStore`; see `useEntity`. */
  entity<K extends keyof D & string>(type: K, id: string): SourceStore<EntitySnapshot<StateOf<D[K]>>> {
    return this.#retain(this.#stores, streamIdOf(type, id), (held) =>
      entityStore((listener, onError) => held(this.subscribe(type, id, listener, onError)), this.#report),
    ) as SourceStore<EntitySnapshot<StateOf<D[K]>>>;
  }

  /** A store of the ids of a type's entities for `useSyncExternalStore`; see `useEntityIds`. */
  entityIdsStore(type: keyof D & string): SourceStore<EntityIdsSnapshot> {
    return this.#retain(this.#idsStores, type, (held) =>
      entityIdsStore((listener, onError) => held(this.subscribeEntityIds(type, listener, onError)), this.#report),
    );
  }

  /** A timeline of the entity for scrubbing through its history; see `useTimeline`. */
  timeline<K extends keyof D & string>(
    type: K,
    id: string,
    options?: TimelineOptions,
  ): Timeline<StateOf<D[K]>, EventOf<D[K]>> {
    return new Timeline(
      {
        subscribe: (listener, onError) => this.subscribe(type, id, listener, onError),
        historyAt: (sequenceNr, window) => this.historyAt(type, id, sequenceNr, window),
        events: (from, to) => this.events(type, id, from, to),
      },
      options,
      this.#report,
    );
  }

  /**
   * Documents of a read model (see `EntityRuntime.readModel`), with the position they reflect and the projection's
   * status; during a rebuild, the documents from before it, with its progress in `rebuilding`. Rejects with a
   * `ProjectionRebuildingError` while a projection with nothing to show yet (new to a journal with history) is built.
   */
  async readModel<N extends ReadModelName<P>>(projection: N, query: DocumentQuery = {}): Promise<ReadModel<ReadModelDoc<P, N>>> {
    const read = await this.#call((remote) => remote.readModel(projection, query));
    return { ...read, status: statusFromWire(read.status) } as ReadModel<ReadModelDoc<P, N>>;
  }

  /** Where a projection stands: live, catching up, rebuilding (with progress) or failed (with the error). */
  async projectionStatus(projection: ReadModelName<P>): Promise<ProjectionStatus> {
    return statusFromWire(await this.#call((remote) => remote.projectionStatus(projection)));
  }

  /**
   * Rebuilds a read model from scratch into a shadow copy, swapped in once complete (reads keep the previous
   * documents meanwhile); resolves with the final status. Subscribers follow the progress.
   */
  async rebuildProjection(projection: ReadModelName<P>): Promise<ProjectionStatus> {
    return statusFromWire(await this.#call((remote) => remote.rebuildProjection(projection)));
  }

  /**
   * Calls `listener` with the projection's status once known, then whenever it changes or its read model may have
   * changed (after a write in any tab). Returns the function that unsubscribes.
   */
  subscribeProjection(
    projection: ReadModelName<P>,
    listener: (status: ProjectionStatus) => void,
    onError?: (error: unknown) => void,
  ): () => void {
    let watch = this.#projectionWatches.get(projection);
    if (!watch) {
      const subscription = new SharedSubscription<ProjectionStatus>(
        () => {
          this.#projectionWatches.delete(projection);
          this.#quietly((remote) => remote.unwatchProjection(projection));
        },
        { report: this.#report },
      );
      const start = () =>
        this.#call((remote) => remote.watchProjection(projection)).then(
          (status) => subscription.publish(statusFromWire(status)),
          (error: unknown) => subscription.fail(error),
        );
      watch = { subscription, start };
      this.#projectionWatches.set(projection, watch);
      start();
    }
    return watch.subscription.join(listener, onError);
  }

  /** A store of a read model's live documents for `useSyncExternalStore`; see `useReadModel`. */
  readModelStore<N extends ReadModelName<P>>(projection: N, query: DocumentQuery = {}): SourceStore<ReadModelSnapshot<ReadModelDoc<P, N>>> {
    return this.#retain(this.#readModelStores, JSON.stringify([projection, query]), (held) =>
      readModelStore<unknown>({
        subscribe: (listener, onError) => held(this.subscribeProjection(projection, listener, onError)),
        read: () => this.readModel(projection, query),
      }),
    ) as SourceStore<ReadModelSnapshot<ReadModelDoc<P, N>>>;
  }

  /**
   * @internal How many page-side stores, subscriptions and id lists the client holds: each is released when its last
   * subscriber leaves, so this stays bounded by what is on screen.
   */
  get retained(): number {
    return (
      this.#stores.size +
      this.#idsStores.size +
      this.#readModelStores.size +
      this.#watches.size +
      this.#idsWatches.size +
      this.#projectionWatches.size +
      this.#heardIds.size
    );
  }

  /**
   * The store of `key` in `map`, created if there is none. A store stays in the map while it has subscribers (so
   * `useSyncExternalStore` is given the same object on every render), and from its creation until its first
   * subscriber; it leaves the map when its last subscriber leaves, and comes back if subscribed again.
   * `create` wraps the store's subscription to the client in `held`, which tracks those two moments.
   */
  #retain<S>(map: Map<string, S>, key: string, create: (held: (unsubscribe: () => void) => () => void) => S): S {
    const existing = map.get(key);
    if (existing) return existing;
    const store: S = create((unsubscribe) => {
      if (!map.has(key)) map.set(key, store);
      return () => {
        unsubscribe();
        if (map.get(key) === store) map.delete(key);
      };
    });
    map.set(key, store);
    return store;
  }

  /**
   * Starts a new worker after the old one was lost, from the function given to `connect`, and watches again the
   * entities that have subscribers. Everything acknowledged before is in the journal; calls still under way on the
   * old worker reject with a `WorkerLostError` (each may or may not have been done).
   */
  reconnect(): void {
    if (!this.#factory) {
      throw new InvalidArgumentError('reconnect needs connect() to be given a function that creates the worker', 'worker');
    }
    if (this.#status === 'closed') throw new ClosedError('The client');
    this.#worker.terminate();
    // The old worker's calls will never be answered: each may or may not have been done, as for a lost worker.
    this.#failInFlight(new WorkerLostError('it was terminated by reconnect()'));
    this.#attach(this.#factory());
  }

  /** Waits for the calls under way, closes the runtime and terminates the worker. Later calls reject. */
  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    const closing = this.#call((remote) => remote.close()).catch(() => {});
    this.#setStatus('closed');
    await closing;
    this.#worker.terminate();
    this.#failInFlight(new ClosedError('The client'));
  }

  #attach(worker: Worker): void {
    const generation = ++this.#generation;
    const lost = (detail: string) => {
      if (generation === this.#generation && this.#status !== 'closed' && this.#status !== 'lost') this.#lose(detail);
    };
    this.#worker = worker;
    this.#remote = wrap<RuntimeService>(worker);
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      lost(`it failed with an uncaught error${event.message ? `: ${event.message}` : ''}`);
    });
    worker.addEventListener('messageerror', () => lost('a message from it could not be read'));
    this.#setStatus('connecting');

    const lock = `eventfold-worker-${crypto.randomUUID()}`;
    const notify = proxy((notice: WorkerNotice) => {
      if (generation === this.#generation) this.#onNotice(notice);
    });
    this.#call((remote) => remote.hello(lock, notify)).then(
      () => {
        // Granted only once the worker, which holds this lock for its whole life, has ended.
        navigator.locks.request(lock, () => lost('it was terminated')).catch(() => {});
        if (this.#status === 'connecting') this.#setStatus('ready');
        this.#call((remote) => remote.syncStatus()).then(
          (status) => status && generation === this.#generation && this.#setSyncStatus(status),
          () => {},
        );
      },
      () => {},
    );
    if (generation > 1) {
      // A new worker, maybe over a new database (the old one lost or deleted): what the subscriptions knew may be
      // ahead of what it holds. Its first view replaces theirs, whatever its sequence numbers.
      for (const { subscription } of [...this.#watches.values(), ...this.#idsWatches.values()]) subscription.reset();
    }
    for (const watch of [...this.#watches.values(), ...this.#idsWatches.values(), ...this.#projectionWatches.values()]) {
      watch.start();
    }
  }

  #call<T>(invoke: (remote: Remote<RuntimeService>) => Promise<T>): Promise<T> {
    if (this.#status === 'closed') return Promise.reject(new ClosedError('The client'));
    if (this.#status === 'lost') return Promise.reject(new WorkerLostError(this.#lostDetail));
    return new Promise<T>((resolve, reject) => {
      this.#inFlight.add(reject);
      invoke(this.#remote)
        .then(resolve, reject)
        .finally(() => this.#inFlight.delete(reject));
    });
  }

  /** A call whose outcome nobody waits for: unwatching, say, when the worker may already be gone. */
  #quietly(invoke: (remote: Remote<RuntimeService>) => Promise<unknown>): void {
    if (this.#status === 'ready' || this.#status === 'connecting') this.#call(invoke).catch(() => {});
  }

  #onNotice(notice: WorkerNotice): void {
    if (notice.kind === 'written') {
      const { subscription } = this.#idsWatches.get(notice.type) ?? {};
      const ids = subscription?.latest;
      if (!subscription) return;
      if (!ids) this.#heardIds.get(notice.type)?.add(notice.id);
      else if (!ids.includes(notice.id)) subscription.publish([...ids, notice.id].sort());
      return;
    }
    if (notice.kind === 'storage-lost') {
      this.#storageLost = true;
      tellEach(this.#lostListeners, this.#report);
      return;
    }
    if (notice.kind === 'sync') {
      this.#setSyncStatus(notice.status);
      return;
    }
    if (notice.kind === 'rejections') {
      tellEach(this.#rejectionListeners, this.#report);
      return;
    }
    if (notice.kind === 'projection') {
      this.#projectionWatches.get(notice.status.name)?.subscription.publish(statusFromWire(notice.status));
      return;
    }
    if (notice.kind === 'closed') {
      // A newer version needs a reload; a deleted or closed database only a new worker, which `reconnect` starts.
      if (notice.reason === 'version-change') this.#setStatus('version-change');
      else this.#lose(notice.reason === 'deleted' ? 'its database was deleted' : 'the browser closed its database');
      return;
    }
    const watch = this.#watches.get(streamIdOf(notice.type, notice.id));
    if (watch) this.#apply(watch.subscription, notice);
  }

  /**
   * Publishes a change unless the subscription already covers it: notices and the answer to `watch` may cross. A
   * rebased change (sync) replaces the device's view, whatever its sequence number.
   */
  #apply(subscription: SharedSubscription<AnyChange>, change: AnyChange & { rebased?: boolean }): void {
    if (change.rebased) {
      const { rebased: _rebased, ...rest } = change;
      subscription.publish({ ...rest, rebased: true } as AnyChange);
      return;
    }
    const known = subscription.latest?.sequenceNr ?? -1;
    if (change.sequenceNr <= known) return;
    subscription.publish(change, { ...change, events: change.events.filter((event) => event.sequenceNr > known) });
  }

  #lose(detail: string): void {
    this.#lostDetail = detail;
    this.#worker.terminate();
    this.#setStatus('lost');
    this.#failInFlight(new WorkerLostError(detail));
  }

  #failInFlight(error: unknown): void {
    for (const reject of this.#inFlight) reject(error);
    this.#inFlight.clear();
  }

  #setSyncStatus(status: WireSyncStatus): void {
    this.#syncStatus = status;
    tellEach(this.#syncListeners, this.#report, status);
  }

  #setStatus(status: ClientStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    tellEach(this.#statusListeners, this.#report, status);
  }
}

/**
 * Connects the page to an entity runtime served by `exposeRuntime` in a worker. Type it with the worker's entity
 * definitions and, to read read models, its projections (type-only imports: the page needs none of their code):
 *
 * ```ts
 * import type { entities, projections } from './bank.worker.ts';
 * const bank = connect<typeof entities, typeof projections>(
 *   () => new Worker(new URL('./bank.worker.ts', import.meta.url), { type: 'module' }),
 * );
 * ```
 *
 * Pass a function that creates the worker, rather than a worker, to be able to `reconnect` after it dies.
 */
export function connect<D extends EntityDefinitions, P extends readonly AnyProjection[] = []>(
  worker: Worker | (() => Worker),
  options?: ClientOptions,
): Client<D, P> {
  return new Client<D, P>(worker, options);
}
