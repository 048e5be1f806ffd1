import type { SyncMessage, WireSyncStatus, WorkerSync, WorkerSyncView } from '../worker/worker-sync.ts';
import { SyncError } from '../core/errors.ts';
import { Outbox } from './outbox.ts';
import { type SyncStatus, SyncEngine } from './sync-engine.ts';
import { type SyncConnection, SyncHttp } from './sync-http.ts';
import { SyncedRuntime } from './synced-runtime.ts';

/** Options of `syncWith`: the connection, and the loop's bounds. */
export interface SyncWithOptions extends SyncConnection {
  /** Commands per push. Default 1,000 (`MAX_PUSH_COMMANDS`). */
  readonly pushBatch?: number;
  /** Events per pull. Default 5,000. */
  readonly pullLimit?: number;
  /** The longest wait between two attempts after failures, in ms. Default 30 s. */
  readonly maxBackoffMs?: number;
  /** Told of sync's failures (each one also shows in the status). */
  readonly onError?: (error: unknown) => void;
  /**
   * Deletes the confirmed copy (the worker's journal, closed by then), for a new epoch of the server: the journal was
   * created again or restored from a backup. The pending commands are kept and pushed again, and the page reconnects
   * to a new worker, which pulls the journal anew. For IndexedDB: `() => deleteIndexedDbJournal(name)`. Without it,
   * a new epoch stops sync, and the status says why.
   */
  readonly deleteConfirmedCopy?: () => Promise<void>;
}

/**
 * Sync for `exposeRuntime`: the worker's journal becomes the confirmed copy of the server's journal
 * `journalId`, commands go to the outbox and are pushed, and one tab of the profile at a time (a Web Lock) runs the
 * loop; the others see its results through the shared databases.
 *
 * ```ts
 * exposeRuntime({
 *   journal: (hooks) => openIndexedDbJournal(`bank:${journalId}`, hooks),
 *   entities,
 *   channel: `bank:${journalId}`,
 *   sync: syncWith({ url: 'https://sync.example.com', journalId, token: () => getToken() }),
 * });
 * ```
 */
export function syncWith(options: SyncWithOptions): WorkerSync {
  return {
    async start({ runtime, journal, entities, name, broadcast, onStatus, onRejections, onStreams, closeJournal }): Promise<WorkerSyncView> {
      const outbox = await Outbox.open(name);
      let heard: WireSyncStatus | undefined;
      let engine: SyncEngine | undefined;
      const synced = new SyncedRuntime({
        runtime,
        journal,
        outbox,
        entities,
        onChanged: (streamIds) => {
          broadcast({ kind: 'sync-changed', streamIds });
          onStreams(streamIds);
          onRejections();
          void status().then(onStatus, () => {});
        },
        ...(options.onError && { onError: options.onError }),
      });
      const toWire = ({ state, pending, error }: SyncStatus): WireSyncStatus => ({ state, pending, ...(error && { error: { reason: error.reason, message: error.message } }) });
      const status = async (): Promise<WireSyncStatus> => {
        if (engine) return toWire(engine.status);
        // Another tab syncs: its last word, with this profile's count of what waits.
        return { state: heard?.state ?? 'syncing', pending: await outbox.count() };
      };

      // One tab of the profile syncs at a time; closing it hands the lock, and the loop, to another.
      const closing = new AbortController();
      const leading = navigator.locks
        .request(`eventfold-sync:${name}`, { signal: closing.signal }, async () => {
          engine = new SyncEngine({
            http: new SyncHttp(options),
            outbox,
            runtime: synced,
            ...(options.pushBatch !== undefined && { pushBatch: options.pushBatch }),
            ...(options.pullLimit !== undefined && { pullLimit: options.pullLimit }),
            ...(options.maxBackoffMs !== undefined && { maxBackoffMs: options.maxBackoffMs }),
            ...(options.onError && { onError: options.onError }),
            ...(options.deleteConfirmedCopy && {
              onNewEpoch: async (epoch: string, lastSeq: number) => {
                // The copy goes first: a device stopped in between finds the old epoch in its outbox, and starts again.
                await closeJournal();
                await options.deleteConfirmedCopy!();
                await outbox.restart(epoch, lastSeq);
                throw new SyncError('new-epoch', 'the server started its journal over: this device reconnects to pull it anew', { retryable: false });
              },
            }),
            onStatus: (next) => {
              const wire = toWire(next);
              broadcast({ kind: 'sync-status', status: wire });
              onStatus(wire);
            },
          });
          const online = () => engine?.wake();
          addEventListener('online', online);
          try {
            await engine.start();
          } finally {
            removeEventListener('online', online);
          }
        })
        .catch(() => {
          // Aborted by `close` before this tab led.
        });

      return {
        send: (type, id, command, commandOptions) => synced.send(type, id, command, commandOptions),
        state: (type, id) => synced.state(type, id),
        stateAt: (type, id, sequenceNr) => synced.stateAt(type, id, sequenceNr),
        historyAt: (type, id, sequenceNr, window) => synced.historyAt(type, id, sequenceNr, window),
        events: (type, id, from, to) => synced.events(type, id, from, to),
        entityIds: (type) => synced.entityIds(type),
        subscribe: (type, id, listener) => synced.subscribe(type, id, listener),
        pending: (type, id) => synced.pending(type, id),
        confirmation: (commandId) => synced.confirmation(commandId),
        rejections: () => synced.rejections(),
        dismissRejection: (commandId) => synced.dismissRejection(commandId),
        status,
        heard(message: SyncMessage) {
          if (message.kind === 'sync-status') {
            heard = message.status;
            if (!engine) onStatus(message.status);
            return;
          }
          synced
            .reload(message.streamIds)
            .then(async () => {
              onStreams(message.streamIds);
              onRejections();
              onStatus(await status());
            })
            .catch((error: unknown) => options.onError?.(error));
          engine?.wake();
        },
        async close() {
          closing.abort();
          await engine?.stop();
          await leading;
          outbox.close();
        },
      };
    },
  };
}
