// The requests the IndexedDB journal issues, and what it reads of their outcomes: one place for the layout of its
// stores as transactions see them.
import { type IDBPObjectStore, type IDBPTransaction, type StoreNames, unwrap } from 'idb';
import { isEventfoldError } from '../core/errors.ts';
import type { PersistedEvent, StreamWrite } from '../core/journal.ts';
import { type Checkpoint, type DocumentChanges, servedAt } from '../core/projection.ts';
import type { AcceptedWrite } from '../core/write-plan.ts';
import type { JournalSchema, StoredCheckpoint } from './schema.ts';

export type Stores = StoreNames<JournalSchema>;
export type WriteTransaction = IDBPTransaction<JournalSchema, Stores[], 'readwrite'>;

/**
 * Resolves when the transaction commits and rejects with the error that aborted it. idb's `tx.done` rejects on the
 * first `error` event, before the transaction records its error, and so reports a bare AbortError instead of the
 * ConstraintError or QuotaExceededError behind it.
 */
export function settled(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.addEventListener('complete', () => resolve(), { once: true });
    tx.addEventListener('abort', () => reject(tx.error ?? new DOMException('The transaction was aborted', 'AbortError')), {
      once: true,
    });
  });
}

/**
 * Issues the requests of writes known (or assumed) to continue their streams: their events, snapshots and
 * idempotency records. Raw requests: a failure aborts the transaction and surfaces once, through its abort, instead
 * of as one promise per event that would each need a handler.
 */
export function issueWrites(tx: WriteTransaction, writes: readonly AcceptedWrite[]): void {
  const events = unwrap(tx.objectStore('events'));
  for (const { streamId, events: batch, snapshot, idempotency, positions } of writes) {
    batch.forEach((event, i) => events.add({ ...event, position: positions[i]! }, [streamId, event.sequenceNr]));
    if (snapshot) unwrap(tx.objectStore('snapshots')).put(snapshot, [streamId, snapshot.sequenceNr]);
    for (const record of idempotency ?? []) unwrap(tx.objectStore('idempotency')).add(record, [streamId, record.key]);
  }
}

/** Whether a write can take the blind path: it has events, and its snapshot (if any) does not lie beyond them. */
export function writesBlind({ events, snapshot }: StreamWrite): boolean {
  const last = events.at(-1)?.sequenceNr;
  return last !== undefined && (!snapshot || snapshot.sequenceNr <= last);
}

/**
 * Reads the documents that projections may change, so that they can be applied synchronously, each from the
 * generation given for its projection; a document that was not read is refused, since its stored value is unknown.
 * (`project` hands `evolve` a copy of what the accessor returns, so a value read once may be read again.)
 */
export async function readDocuments(
  tx: IDBPTransaction<JournalSchema, Stores[], IDBTransactionMode>,
  ids: Map<string, string[]>,
  generations: ReadonlyMap<string, number>,
): Promise<(projection: string, id: string) => unknown> {
  const read = new Map<string, unknown>();
  await Promise.all(
    [...ids].flatMap(([projection, list]) => {
      const generation = generations.get(projection) ?? 0;
      return list.map(async (id) => read.set(JSON.stringify([projection, id]), await tx.objectStore('documents').get([projection, generation, id])));
    }),
  );
  return (projection, id) => {
    const key = JSON.stringify([projection, id]);
    if (!read.has(key)) throw new Error(`document "${id}" was not read: documentId must not depend on an event's position`);
    return read.get(key);
  };
}

/** The generation of a projection's served documents, and of the shadow a rebuild builds beside them. */
export function servedGeneration(checkpoint: StoredCheckpoint | undefined): number {
  return checkpoint?.generation ?? 0;
}

/** The generation of the copy that `projectEvents` builds: the shadow during a rebuild, else the served one. */
export function buildingGeneration(checkpoint: StoredCheckpoint | undefined): number {
  return servedGeneration(checkpoint) + (checkpoint?.rebuilding ? 1 : 0);
}

/** Every document of one generation of a read model. */
export function generationRange(projection: string, generation: number): IDBKeyRange {
  return IDBKeyRange.bound([projection, generation], [projection, generation, []]);
}

/** Issues the writes of a projection's changed documents, in one generation, and of its new checkpoint. */
export function issueDocuments(
  tx: WriteTransaction,
  projection: string,
  generation: number,
  changes: DocumentChanges,
  checkpoint: StoredCheckpoint,
): void {
  const documents = unwrap(tx.objectStore('documents'));
  for (const [id, doc] of changes) {
    if (doc === undefined) documents.delete([projection, generation, id]);
    else documents.put(doc, [projection, generation, id]);
  }
  unwrap(tx.objectStore('checkpoints')).put(checkpoint, projection);
}

/**
 * Issues the writes of a projection whose served documents an inline write moved to `position`, and returns its
 * checkpoint after them: a rebuild under way goes on.
 */
export function issueServed(
  tx: WriteTransaction,
  projection: string,
  previous: StoredCheckpoint | undefined,
  position: number,
  changes: DocumentChanges,
): Checkpoint {
  const checkpoint: StoredCheckpoint = { ...servedAt(previous, position), ...(previous?.generation && { generation: previous.generation }) };
  issueDocuments(tx, projection, servedGeneration(previous), changes, checkpoint);
  return checkpointOf(checkpoint)!;
}

/** A stored checkpoint as the port reports it: without the generation, which is the journal's own business. */
export function checkpointOf(stored: StoredCheckpoint | undefined): Checkpoint | undefined {
  if (stored === undefined) return undefined;
  const { generation: _, ...checkpoint } = stored;
  return checkpoint;
}

/** The stores that a transaction storing `writes`, with `projections` inline, writes to. */
export function storesFor(writes: readonly StreamWrite[], projections: readonly unknown[]): Stores[] {
  const stores: Stores[] = ['events'];
  if (writes.some((write) => write.snapshot)) stores.push('snapshots');
  if (writes.some((write) => write.idempotency?.length)) stores.push('idempotency');
  if (projections.length > 0) stores.push('documents', 'checkpoints');
  return stores;
}

/** The stored checkpoints of projections, in their order. */
export function checkpointsOf(tx: WriteTransaction, projections: readonly { readonly name: string }[]): Promise<(StoredCheckpoint | undefined)[]> {
  return Promise.all(projections.map((projection) => tx.objectStore('checkpoints').get(projection.name)));
}

/** The highest global position taken: the last key of the position index, 0 when there is none. */
export async function lastPosition(tx: IDBPTransaction<JournalSchema, Stores[], IDBTransactionMode>): Promise<number> {
  const cursor = await tx.objectStore('events').index('position').openKeyCursor(null, 'prev');
  return cursor?.key ?? 0;
}

/** The sequence number of the stream's newest event (0 when it has none): the last key of its range. */
export async function headOf(store: IDBPObjectStore<JournalSchema, Stores[], 'events', IDBTransactionMode>, streamId: string): Promise<number> {
  const cursor = await store.openKeyCursor(streamRange(streamId), 'prev');
  return cursor?.key[1] ?? 0;
}

/** A transaction aborted by a key the events store already holds: another writer appended first. */
export function isConstraintFailure(error: unknown): boolean {
  return isEventfoldError(error, 'storage-failed') && (error.cause as { name?: unknown } | undefined)?.name === 'ConstraintError';
}

/** Events per request of a range read: small enough that reading one overlaps with cloning the one before. */
const RANGE_CHUNK = 128;
/** The most requests one range read issues, however wide the range: a bound far past the head costs nothing. */
const RANGE_REQUESTS = 32;

/**
 * A stream's events from `from` to `to`, ascending. A wide range is read as several requests issued at once in the
 * transaction: Chromium reads a request's records while the worker still clones the ones before, which reads a few
 * hundred events about a third faster than one `getAll` of them all (see the README's performance section).
 */
export async function eventsInRange(
  store: IDBPObjectStore<JournalSchema, Stores[], 'events', IDBTransactionMode>,
  streamId: string,
  from: number,
  to: number | undefined,
): Promise<PersistedEvent[]> {
  if (to === undefined || to - from < RANGE_CHUNK) return store.getAll(streamRange(streamId, from, to));
  const size = Math.max(RANGE_CHUNK, Math.ceil((to - from + 1) / RANGE_REQUESTS));
  const requests: Promise<PersistedEvent[]>[] = [];
  for (let start = from; start <= to; start += size) requests.push(store.getAll(streamRange(streamId, start, Math.min(to, start + size - 1))));
  return (await Promise.all(requests)).flat();
}

/** The keys `[streamId, sequenceNr]` of one stream in the events or snapshots store, from `from` to `to`. */
export function streamRange(streamId: string, from = 0, to = Infinity): IDBKeyRange {
  return IDBKeyRange.bound([streamId, from], [streamId, to]);
}

/**
 * The keys `[...head, id]` whose `id` starts with `prefix`: from `[...head, prefix]` to the prefix's successor,
 * exclusive. A bound such as `prefix + '\uffff'` would miss ids that continue the prefix with U+FFFF.
 */
export function prefixRange(head: readonly (string | number)[], prefix: string): IDBKeyRange {
  const successor = successorOf(prefix);
  // Arrays sort after strings: `[...head, []]` is past every id.
  return IDBKeyRange.bound([...head, prefix], [...head, successor ?? []], false, true);
}

/** The least string greater than every string that starts with `prefix`; none when the prefix is all U+FFFF. */
function successorOf(prefix: string): string | undefined {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--;
  if (end === 0) return undefined;
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
}
