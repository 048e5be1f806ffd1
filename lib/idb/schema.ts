import { type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames, unwrap } from 'idb';
import type { IdempotencyRecord, PersistedEvent, Snapshot } from '../core/journal.ts';
import type { Checkpoint } from '../core/projection.ts';
import { stamped } from '../core/write-plan.ts';

/** The journal's stores. */
export interface JournalSchema extends DBSchema {
  /**
   * Events keyed out of line by `[entityId, sequenceNr]`: a range read returns a stream's events as stored, the last
   * key of a range is the stream's head, and a duplicate key is refused by the store itself. The unique `position`
   * index orders all events globally and refuses a position taken twice.
   */
  events: { key: [string, number]; value: PersistedEvent; indexes: { position: number } };
  /** Snapshots keyed by `[entityId, sequenceNr]`; the newest few per entity are kept. */
  snapshots: { key: [string, number]; value: Snapshot };
  /** Idempotency records keyed by `[entityId, key]`. */
  idempotency: { key: [string, string]; value: IdempotencyRecord };
  /**
   * Read-model documents keyed by `[projection, generation, documentId]`. The served documents are those of the
   * checkpoint's generation; a rebuild builds the next generation beside them, and its last transaction moves the
   * checkpoint to it and deletes the old one, so a rebuild never empties what reads see.
   */
  documents: { key: [string, number, string]; value: unknown };
  /** Projection checkpoints keyed by projection name. */
  checkpoints: { key: string; value: StoredCheckpoint };
}

/** The journal's stores, every one of which a journal's database has. */
export const JOURNAL_STORES = ['events', 'snapshots', 'idempotency', 'documents', 'checkpoints'] as const;

/** A checkpoint as stored: with the generation of the documents that reads are served (absent: 0). */
export interface StoredCheckpoint extends Checkpoint {
  readonly generation?: number;
}

/**
 * The revision of eventfold's own layout of the database. IndexedDB has one version number per database, shared
 * with the application's stores, so the number it sees is `revision * REVISION_STEP + the application's version`:
 * either change raises it.
 */
const REVISION = 3;
const REVISION_STEP = 1_000_000;

/** The highest application version `openIndexedDbJournal` accepts. */
export const MAX_APP_VERSION = REVISION_STEP - 1;

/** The version IndexedDB sees for an application version. */
export function databaseVersionOf(appVersion: number): number {
  return REVISION * REVISION_STEP + appVersion;
}

/** The application's version within a database version (0 for a new database). */
export function appVersionOf(databaseVersion: number): number {
  return databaseVersion % REVISION_STEP;
}

/** eventfold's revision of a database's layout; 1 for databases written before revisions were counted. */
function revisionOf(databaseVersion: number): number {
  if (databaseVersion === 0) return 0;
  return Math.max(1, Math.floor(databaseVersion / REVISION_STEP));
}

type UpgradeTransaction = IDBPTransaction<JournalSchema, StoreNames<JournalSchema>[], 'versionchange'>;

/** Brings eventfold's stores to the current revision, from any earlier one, inside the upgrade transaction. */
export function upgradeJournal(database: IDBPDatabase<JournalSchema>, tx: UpgradeTransaction, oldVersion: number): void {
  for (const store of JOURNAL_STORES) if (!database.objectStoreNames.contains(store)) database.createObjectStore(store);
  const events = tx.objectStore('events');
  if (!events.indexNames.contains('position')) events.createIndex('position', 'position', { unique: true });
  if (revisionOf(oldVersion) === 1) {
    addEnvelopes(unwrap(tx).objectStore('events'));
    stampSnapshots(unwrap(tx).objectStore('snapshots'));
  }
  if (revisionOf(oldVersion) === 2) addGenerations(unwrap(tx).objectStore('documents'), unwrap(tx).objectStore('checkpoints'));
}

/**
 * Revision 2 kept one copy of a read model, keyed `[projection, id]`, and a rebuild deleted it first: the documents
 * become generation 0 (`[projection, 0, id]`). The documents of a read model that was being rebuilt are a part-built
 * copy, not one to serve: they are dropped, and the rebuild goes on from scratch, into generation 1.
 */
function addGenerations(documents: IDBObjectStore, checkpoints: IDBObjectStore): void {
  const keys = checkpoints.getAllKeys();
  const values = checkpoints.getAll();
  values.onsuccess = () => {
    const rebuilding = new Set<unknown>();
    (values.result as { rebuilding?: { total: number } }[]).forEach(({ rebuilding: old }, i) => {
      if (!old) return;
      rebuilding.add(keys.result[i]);
      checkpoints.put({ position: 0, rebuilding: { position: 0, total: old.total } } satisfies StoredCheckpoint, keys.result[i]!);
    });
    eachRecord(documents, (cursor) => {
      const key = cursor.primaryKey as unknown[];
      // New keys sort before every `[projection, id]` (a number sorts before a string): the cursor never meets them.
      if (key.length === 2) {
        if (!rebuilding.has(key[0])) documents.add(cursor.value, [key[0], 0, key[1]] as IDBValidKey);
        cursor.delete();
      }
    });
  };
}
/** Revision 1 stored snapshots without a checksum: stamp each with the checksum of its state. */
function stampSnapshots(store: IDBObjectStore): void {
  eachRecord(store, (cursor) => cursor.update(stamped(cursor.value as Snapshot)));
}

/**
 * Revision 1 stored `{ sequenceNr, event, timestamp }`: give each event an envelope and a global position, in key
 * order (stream by stream, each stream in order). Runs in the upgrade transaction, so a failure leaves revision 1.
 */
function addEnvelopes(store: IDBObjectStore): void {
  let position = 0;
  eachRecord(store, (cursor) => {
    const old = cursor.value as { sequenceNr: number; event: unknown; timestamp: number };
    const type = (old.event as { type?: unknown } | null)?.type;
    cursor.update({
      ...old,
      eventId: crypto.randomUUID(),
      type: typeof type === 'string' && type !== '' ? type : 'event',
      schemaVersion: 1,
      metadata: {},
      position: ++position,
    } satisfies PersistedEvent);
  });
}

/** Calls `visit` with a cursor on each record of `store` in turn, inside the upgrade's transaction. */
function eachRecord(store: IDBObjectStore, visit: (cursor: IDBCursorWithValue) => void): void {
  const request = store.openCursor();
  request.onsuccess = () => {
    const cursor = request.result;
    if (!cursor) return;
    visit(cursor);
    cursor.continue();
  };
}
