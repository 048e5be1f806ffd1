import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { Client, ClientStatus, ReadModelDoc, ReadModelName } from '../client/client.ts';
import type { EntityIdsSnapshot, EntitySnapshot } from '../client/entity-store.ts';
import type { ReadModelSnapshot } from '../client/read-model-store.ts';
import type { TimelineOptions, TimelineSnapshot } from '../client/timeline.ts';
import type { AnyProjection, DocumentQuery, EntityDefinitions, EventOf, StateOf } from '../core/index.ts';
import type { WireRejection, WireSyncStatus } from '../worker/worker-sync.ts';

/**
 * The live state of an entity: `{ status: 'loading' }`, then `{ status: 'ready', state, sequenceNr }`, updated on
 * every change from this tab or another, or `{ status: 'error', error }`.
 */
export function useEntity<D extends EntityDefinitions, K extends keyof D & string>(
  client: Client<D, any>,
  type: K,
  id: string,
): EntitySnapshot<StateOf<D[K]>> {
  const store = client.entity(type, id);
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** The ids of the entities of a type, updated when an entity of that type first appears, in any tab. */
export function useEntityIds<D extends EntityDefinitions>(client: Client<D, any>, type: keyof D & string): EntityIdsSnapshot {
  const store = client.entityIdsStore(type);
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * The live documents of a read model: `{ status: 'loading' }`, then `{ status: 'ready', documents, position }`,
 * read again after every write that may change it (in any tab), with `rebuilding: { processed, total }` alongside
 * the documents while a rebuild runs; `{ status: 'rebuilding', processed, total }` only while a projection that has
 * nothing to show yet is built; or `{ status: 'error', error }`. Pass a stable `query` (a constant, or memoised).
 */
export function useReadModel<D extends EntityDefinitions, P extends readonly AnyProjection[], N extends ReadModelName<P>>(
  client: Client<D, P>,
  projection: N,
  query?: DocumentQuery,
): ReadModelSnapshot<ReadModelDoc<P, N>> {
  const store = client.readModelStore(projection, query);
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** A timeline's snapshot and the functions that move it. */
export interface TimelineControls<S, E> extends TimelineSnapshot<S, E> {
  /** Shows the entity after event `position`; leaves live mode. */
  seek(position: number): void;
  /** Follows the newest events again. */
  goLive(): void;
}

/**
 * An entity's history for a slider: the head sequence number, the selected position, the state there and the events
 * leading to it. Live until `seek`; `goLive` returns to the present.
 */
export function useTimeline<D extends EntityDefinitions, K extends keyof D & string>(
  client: Client<D, any>,
  type: K,
  id: string,
  options?: TimelineOptions,
): TimelineControls<StateOf<D[K]>, EventOf<D[K]>> {
  const window = options?.window;
  const [timeline, setTimeline] = useState(() => ({ key: `${type}:${id}`, timeline: client.timeline(type, id, { window }) }));
  let current = timeline.timeline;
  if (timeline.key !== `${type}:${id}`) {
    // Another entity: a new timeline, starting live.
    current = client.timeline(type, id, { window });
    setTimeline({ key: `${type}:${id}`, timeline: current });
  }
  const snapshot = useSyncExternalStore(current.subscribe, current.getSnapshot);
  const seek = useCallback((position: number) => current.seek(position), [current]);
  const goLive = useCallback(() => current.goLive(), [current]);
  return { ...snapshot, seek, goLive };
}

/** The status of the client's connection to its worker, re-rendering when it changes. */
export function useClientStatus<D extends EntityDefinitions>(client: Client<D, any>): ClientStatus {
  const [status, setStatus] = useState(client.status);
  useEffect(() => {
    setStatus(client.status);
    return client.onStatus(setStatus);
  }, [client]);
  return status;
}

/**
 * Where sync stands, for a worker given `sync`: `{ state: 'offline' | 'syncing' | 'synced', pending, error? }`,
 * updated as it changes; `undefined` until the worker said (and for one that does not sync).
 */
export function useSyncStatus<D extends EntityDefinitions>(client: Client<D, any>): WireSyncStatus | undefined {
  const store = client.syncStatusStore();
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** The server's rejections kept on the device, and the function that forgets one. */
export interface RejectionControls {
  /** The rejections not dismissed yet, oldest first; `[]` until read. */
  rejections: readonly WireRejection[];
  /** Forgets the rejection of command `commandId` on this device; a failure is ignored. */
  dismiss: (commandId: string) => void;
}

/**
 * The commands the server refused, kept on the device until dismissed, read again whenever they change; `[]` until
 * read. `dismiss(commandId)` forgets one.
 */
export function useRejections<D extends EntityDefinitions>(client: Client<D, any>): RejectionControls {
  const [rejections, setRejections] = useState<readonly WireRejection[]>([]);
  useEffect(() => {
    let current = true;
    const read = () => {
      client.rejections().then(
        (list) => current && setRejections(list),
        () => {
          // A worker that does not sync has none; a lost one is told by the client's status.
        },
      );
    };
    read();
    const stop = client.onRejections(read);
    return () => {
      current = false;
      stop();
    };
  }, [client]);
  const dismiss = useCallback((commandId: string) => void client.dismissRejection(commandId).catch(() => {}), [client]);
  return { rejections, dismiss };
}
