import { type Endpoint, expose, transfer } from 'comlink';
import {
  ClosedError,
  type CommandOf,
  createRuntime,
  entityOf,
  type EntityDefinitions,
  type EntityRuntime,
  type EventJournal,
  exportJournal,
  importJournal,
  InvalidArgumentError,
  InvalidImportError,
  MAX_COMMANDS_PER_CALL,
  type RuntimeOptions,
  streamIdOf,
} from '../core/index.ts';
import { byteStream, progressTo, textOf } from './journal-files.ts';
import { registerErrorSerializer, type RuntimeService, settledToWire, statusToWire, type WorkerNotice } from './wire.ts';
import type { SyncMessage, WorkerSync, WorkerSyncView } from './worker-sync.ts';

/** Options of `exposeRuntime`. */
export interface ExposeRuntimeOptions<D extends EntityDefinitions> extends Omit<RuntimeOptions<D>, 'journal'> {
  /**
   * A function that opens the journal. It is called on first use, and again on the next call after it failed (say,
   * while another tab blocked an upgrade). Pass the lifecycle hooks on to the journal, so the page hears when a
   * newer version of the app takes the database, or when the browser deleted it:
   * `journal: (hooks) => openIndexedDbJournal('bank', hooks)`.
   */
  journal: (lifecycle: JournalLifecycle) => Promise<EventJournal>;
  /**
   * The BroadcastChannel on which the workers of all tabs announce new events to each other, so that each tab sees
   * the others' changes. Use one name per database. `false` turns cross-tab notices off. Default `'eventfold'`.
   */
  channel?: string | false;
  /** Where to expose the service. Default: the worker's global scope. */
  endpoint?: Endpoint;
  /**
   * Syncs the journal with a server (`syncWith` of `eventfold/sync`): the journal is then the device's confirmed
   * copy of the server's journal, commands are decided on it plus the pending ones and pushed, and the page follows
   * the device's view (`Client.syncStatus`, `confirmation`, `rejections`). Read models follow confirmed events only.
   */
  sync?: WorkerSync;
}

/** Hooks a journal calls when it closes by itself. */
export interface JournalLifecycle {
  /**
   * The journal closed its database: a newer version of the app upgraded it, it was deleted, or the browser closed
   * the connection. The worker tells its pages (`Client.status`).
   */
  onClosed(reason: 'version-change' | 'deleted' | 'terminated'): void;
  /** The journal found its database gone though it existed (the browser deleted it): the pages hear `storageLost`. */
  onLost(): void;
}

/** What one tab's worker tells the others after writing: which entity moved to which sequence number. */
interface WriteNotice {
  type: string;
  id: string;
  sequenceNr: number;
}

/**
 * Serves an entity runtime to the page through Comlink. Call it from the app's own module worker, which imports
 * the app's entity definitions (functions cannot be sent to a worker):
 *
 * ```ts
 * // bank.worker.ts
 * exposeRuntime({ journal: () => openIndexedDbJournal('bank'), entities: { account } });
 * ```
 *
 * The page then calls `connect(worker)`. Each tab runs its own worker; the workers share the IndexedDB journal,
 * whose conflict check keeps streams contiguous, and tell each other of new events over a BroadcastChannel.
 */
export function exposeRuntime<D extends EntityDefinitions>(options: ExposeRuntimeOptions<D>): void {
  registerErrorSerializer();
  const { journal: source, channel: channelName = 'eventfold', endpoint, sync, ...runtimeOptions } = options;
  const channel = channelName === false ? undefined : new BroadcastChannel(channelName);
  const watches = new Map<string, () => void>();
  const watchedTypes = new Set<string>();
  const projectionWatches = new Map<string, () => void>();
  let notify: (notice: WorkerNotice) => void = () => {};
  let runtime: Promise<EntityRuntime<D>> | undefined;
  let view: WorkerSyncView | undefined;
  let closed = false;

  // Notices run after a write is stored, inside the runtime's settle loop: they must never throw, or the writes
  // after them would not settle. A page that went away, or a channel closed under way, cannot hear; nothing to do.
  const tell = (notice: WorkerNotice) => {
    try {
      Promise.resolve(notify(notice)).catch(() => {});
    } catch {
      // The proxy to the page was released.
    }
  };
  const announce = (write: WriteNotice | SyncMessage) => {
    try {
      channel?.postMessage(write);
    } catch {
      // Closed: the worker is closing, and the other tabs read the journal when they next need to.
    }
  };

  let journal: EventJournal | undefined;
  /** Tells the page of entities of watched types that changed on this device (sync: a command, a pull). */
  const written = (streamIds: readonly string[]) => {
    for (const streamId of streamIds) {
      const { entityType: type, entityId: id } = entityOf(streamId);
      if (watchedTypes.has(type)) tell({ kind: 'written', type, id, sequenceNr: 0 });
    }
  };

  const start = async (): Promise<EntityRuntime<D>> => {
    journal = await source({
      onClosed: (reason) => tell({ kind: 'closed', reason }),
      onLost: () => tell({ kind: 'storage-lost' }),
    });
    const live = createRuntime({
      // The tabs of a browser share Web Locks: an entity contended by several tabs is written by one at a time. A
      // lock not granted within 10 s (a tab stuck holding it) is given up, and the entity decides without it.
      lock: (streamId: string, work: () => Promise<void>) =>
        navigator.locks.request(`eventfold:${channelName || ''}:${streamId}`, { signal: AbortSignal.timeout(10_000) }, work),
      ...runtimeOptions,
      journal,
      onWrite: (write: WriteNotice) => {
        announce(write);
        if (watchedTypes.has(write.type)) tell({ kind: 'written', ...write });
        runtimeOptions.onWrite?.(write);
      },
    } as RuntimeOptions<D>);
    if (sync) {
      view = await sync.start({
        runtime: live as unknown as EntityRuntime<EntityDefinitions>,
        journal,
        entities: runtimeOptions.entities,
        name: channelName || 'eventfold',
        broadcast: (message) => announce(message),
        onStatus: (status) => tell({ kind: 'sync', status }),
        onRejections: () => tell({ kind: 'rejections' }),
        onStreams: written,
        async closeJournal() {
          closed = true;
          await live.close();
          await journal?.close();
          tell({ kind: 'closed', reason: 'deleted' });
        },
      });
    }
    return live;
  };

  /** The view the page is served: the device's, when it syncs, else the runtime's. */
  const served = async () => {
    const live = await ready();
    return view ?? live;
  };
  const syncing = async (): Promise<WorkerSyncView> => {
    await ready();
    if (!view) throw new ClosedError('Sync (this worker was not given a `sync` option), so it');
    return view;
  };

  const ready = (): Promise<EntityRuntime<D>> => {
    if (closed) return Promise.reject(new ClosedError('The eventfold worker'));
    runtime ??= start().catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
    return runtime;
  };

  channel?.addEventListener('message', ({ data }: MessageEvent<WriteNotice | SyncMessage>) => {
    if ('kind' in data) {
      void runtime?.then(() => view?.heard(data)).catch(() => {});
      return;
    }
    void runtime?.then((live) => live.refresh(data.type, data.id)).catch(() => {});
    if (watchedTypes.has(data.type)) tell({ kind: 'written', ...data });
  });

  const service: RuntimeService = {
    async hello(lock, sink) {
      notify = sink;
      // Held until the worker ends: the page waits for this lock to learn that the worker is gone.
      await new Promise<void>((granted, failed) => {
        navigator.locks
          .request(lock, () => {
            granted();
            return new Promise<never>(() => {});
          })
          .catch(failed);
      });
    },
    send: async (type, id, command, commandOptions) => (await served()).send(type, id, command as CommandOf<D[string]>, commandOptions),
    async sendAll(type, id, commands) {
      const live = await served();
      if (!Array.isArray(commands) || commands.length > MAX_COMMANDS_PER_CALL) {
        throw new InvalidArgumentError(`sendAll takes an array of at most ${MAX_COMMANDS_PER_CALL} commands`, 'commands');
      }
      const settled = await Promise.allSettled(commands.map((command) => live.send(type, id, command as CommandOf<D[string]>, {})));
      return settled.map(settledToWire);
    },
    state: async (type, id) => (await served()).state(type, id),
    stateAt: async (type, id, sequenceNr) => (await served()).stateAt(type, id, sequenceNr),
    historyAt: async (type, id, sequenceNr, tail) => (await served()).historyAt(type, id, sequenceNr, tail),
    events: async (type, id, from, to) => (await served()).events(type, id, from, to),
    entityIds: async (type) => (await served()).entityIds(type),
    snapshots: async (type, id) => (await ready()).snapshots(type, id),
    async watchIds(type) {
      const live = await served();
      watchedTypes.add(type);
      return live.entityIds(type);
    },
    async unwatchIds(type) {
      watchedTypes.delete(type);
    },
    async watch(type, id) {
      const live = await served();
      const streamId = streamIdOf(type, id);
      if (!watches.has(streamId)) {
        watches.set(streamId, live.subscribe(type, id, (change) => tell({ kind: 'change', type, id, ...change })));
      }
      return live.state(type, id);
    },
    async unwatch(type, id) {
      const streamId = streamIdOf(type, id);
      watches.get(streamId)?.();
      watches.delete(streamId);
    },
    async readModel(projection, query) {
      const read = await (await ready()).readModel(projection, query);
      return { ...read, status: statusToWire(read.status) };
    },
    projectionStatus: async (projection) => statusToWire((await ready()).projectionStatus(projection)),
    rebuildProjection: async (projection) => statusToWire(await (await ready()).rebuildProjection(projection)),
    async watchProjection(projection) {
      const live = await ready();
      if (!projectionWatches.has(projection)) {
        const stop = live.subscribeProjection(projection, (status) => tell({ kind: 'projection', status: statusToWire(status) }));
        projectionWatches.set(projection, stop);
      }
      return statusToWire(live.projectionStatus(projection));
    },
    async unwatchProjection(projection) {
      projectionWatches.get(projection)?.();
      projectionWatches.delete(projection);
    },
    syncStatus: async () => (await ready(), view ? view.status() : undefined),
    pending: async (type, id) => (await syncing()).pending(type, id),
    confirmation: async (commandId) => (await syncing()).confirmation(commandId),
    rejections: async () => (await syncing()).rejections(),
    dismissRejection: async (commandId) => (await syncing()).dismissRejection(commandId),
    async exportJournal(exportOptions, progress) {
      await ready();
      const { tell: onProgress, release } = progressTo(progress);
      const chunks = exportJournal(journal!, { ...exportOptions, onProgress });
      const stream = byteStream(
        (async function* () {
          try {
            yield* chunks;
          } finally {
            release();
          }
        })(),
      );
      return transfer(stream, [stream as unknown as Transferable]);
    },
    async importJournal(file, progress) {
      const live = await ready();
      if (view) throw new InvalidImportError(0, "this worker syncs its journal with a server, which holds the journal's history: import into a journal that does not sync");
      const { tell: onProgress, release } = progressTo(progress);
      try {
        const summary = await importJournal(journal!, () => textOf(file), { onProgress });
        // The runtime, this tab's page and the other tabs learn of the new history as of any write.
        for (const streamId of await journal!.streamIds()) {
          const { entityType: type, entityId: id } = entityOf(streamId);
          const write = { type, id, sequenceNr: await journal!.highestSequenceNr(streamId) };
          live.refresh(type, id);
          announce(write);
          if (watchedTypes.has(type)) tell({ kind: 'written', ...write });
        }
        return summary;
      } finally {
        release();
      }
    },
    async close() {
      closed = true;
      try {
        const live = await runtime?.catch(() => undefined);
        await view?.close();
        // The writes under way settle first, and tell the other tabs of what they stored.
        await live?.close();
        // The worker opened the journal, so the worker closes it.
        await journal?.close();
      } finally {
        channel?.close();
      }
    },
  };
  expose(service, endpoint);
}
