import { type IDBPDatabase, type IDBPTransaction, unwrap, wrap } from 'idb';
import { ClosedError, ConflictError, DatabaseBlockedError, isEventfoldError, StorageError, UnsupportedError } from '../core/errors.ts';
import {
  DEFAULT_SNAPSHOTS_KEPT,
  type EventJournal,
  type IdempotencyRecord,
  type NewEvent,
  type PersistedEvent,
  type AppendOptions,
  type AppendOutcome,
  type Snapshot,
  type StreamOf,
  type StreamWrite,
} from '../core/journal.ts';
import {
  type AnyDefinedProjection,
  type Checkpoint,
  type DocumentQuery,
  type ProjectionEvent,
  type ReadModelView,
  rebuildFrom,
  validateProjection,
  validateQuery,
} from '../core/projection.ts';
import { assertName, assertStreamId, assertRange, assertSequenceNr } from '../core/validation.ts';
import { keptSnapshots } from '../core/snapshot-retention.ts';
import {
  type AcceptedWrite,
  streamIdsOf,
  isLive,
  planWrites,
  stampedAll,
  unprojected,
  validateWrites,
} from '../core/write-plan.ts';
import { kitOf } from '../core/projection-kit.ts';
import {
  buildingGeneration,
  checkpointOf,
  checkpointsOf,
  eventsInRange,
  generationRange,
  headOf,
  isConstraintFailure,
  issueDocuments,
  issueServed,
  issueWrites,
  lastPosition,
  prefixRange,
  readDocuments,
  servedGeneration,
  type Stores,
  settled,
  streamRange,
  storesFor,
  type WriteTransaction,
  writesBlind,
} from './requests.ts';
import { hadJournal, markJournal, unmarkJournal } from './loss-marker.ts';
import {
  appVersionOf,
  databaseVersionOf,
  JOURNAL_STORES,
  type JournalSchema,
  MAX_APP_VERSION,
  upgradeJournal,
} from './schema.ts';


/** Why a journal closed by itself; see `IndexedDbJournalOptions.onClosed`. */
export type ClosedReason = 'version-change' | 'deleted' | 'terminated';

/**
 * When a write transaction reports success. `'strict'` (the default) waits until the data is flushed to disk, so
 * an acknowledged command survives a power cut; `'relaxed'` reports once the data is handed to the operating
 * system, roughly twice as fast on disk, and may lose the last writes if the machine (not the tab) crashes.
 * `'default'` leaves the choice to the browser (Chromium: relaxed).
 */
export type Durability = 'strict' | 'relaxed' | 'default';

/** Options of `openIndexedDbJournal`. */
export interface IndexedDbJournalOptions {
  /** Write durability; see `Durability`. Default `'strict'`. */
  durability?: Durability;
  /**
   * The most snapshots kept per entity; beyond it they are thinned to even spacing over the history, the newest kept
   * (see `keptSnapshots`). Default `DEFAULT_SNAPSHOTS_KEPT` (2,000).
   */
  snapshotsKept?: number;
  /**
   * The application's version of the database. Raise it, with an `upgrade` callback, to add stores of the
   * application's own to the journal's database. Default 1. (eventfold adds its own schema revision to the number
   * IndexedDB sees; `upgrade` is given the application's versions.)
   */
  version?: number;
  /**
   * Where the database lives: the origin's IndexedDB by default, or a Storage Bucket's (`bucket.indexedDB`), which
   * has a quota and an eviction policy of its own.
   */
  factory?: IDBFactory;
  /** Runs during a version upgrade, after eventfold's stores exist and hold the journal in its current form. */
  upgrade?: (database: IDBPDatabase<unknown>, oldVersion: number, newVersion: number) => void;
  /**
   * Called when the journal closed without being asked: `version-change` when another tab opened the database at a
   * newer version (tell the user to reload), `deleted` when another tab deleted the database (a new journal starts
   * afresh), `terminated` when the browser closed the connection (site data cleared, disk failure). Calls on the
   * journal then reject with a `ClosedError` giving that reason.
   */
  onClosed?: (reason: ClosedReason) => void;
  /**
   * Called once the journal is open, when its database was found missing though this origin had it: the browser
   * deleted it (Chromium deletes an IndexedDB it finds corrupt, which a crash during a write can leave behind), or
   * something outside eventfold did. The journal is empty: what it held is gone. Tell the user, or restore from
   * elsewhere. Needs the origin private file system, where eventfold notes which journals exist; never called in a
   * Storage Bucket (`factory`).
   */
  onLost?: () => void;
}

/**
 * Opens (creating or upgrading as needed) an IndexedDB database as an event journal.
 *
 * Rejects with a `DatabaseBlockedError` when an upgrade is needed but another connection that ignores version
 * changes (an old tab of the app) keeps the database open, with a `StorageError` when IndexedDB refuses, and with
 * an `UnsupportedError` where there is no IndexedDB (Node, without a `factory`).
 */
export async function openIndexedDbJournal(name: string, options: IndexedDbJournalOptions = {}): Promise<IndexedDbJournal> {
  const version = options.version ?? 1;
  assertSequenceNr(version, 'version');
  if (version > MAX_APP_VERSION) assertSequenceNr(-1, `version (at most ${MAX_APP_VERSION})`);
  assertSequenceNr(options.snapshotsKept ?? DEFAULT_SNAPSHOTS_KEPT, 'snapshotsKept');
  let journal: IndexedDbJournal | undefined;
  let rejectBlocked: (error: DatabaseBlockedError) => void = () => {};
  const blocked = new Promise<never>((_, reject) => (rejectBlocked = reject));

  const factory = options.factory ?? originIndexedDb();
  const operation = `opening database "${name}"`;
  let request: IDBOpenDBRequest;
  try {
    request = factory.open(name, databaseVersionOf(version));
  } catch (error) {
    throw new StorageError(operation, error);
  }
  let created = false;
  request.addEventListener('upgradeneeded', ({ oldVersion }) => {
    created = oldVersion === 0;
    const database = wrap(request.result) as IDBPDatabase<JournalSchema>;
    upgradeJournal(database, wrap(request.transaction!) as unknown as Parameters<typeof upgradeJournal>[1], oldVersion);
    options.upgrade?.(database as unknown as IDBPDatabase<unknown>, appVersionOf(oldVersion), version);
  });
  request.addEventListener('blocked', ({ oldVersion }) => {
    rejectBlocked(new DatabaseBlockedError(name, appVersionOf(oldVersion), version));
  });
  const opening = wrap(request) as Promise<IDBPDatabase<JournalSchema>>;
  opening.then(
    (database) => {
      // No new version: the database is being deleted.
      database.addEventListener('versionchange', ({ newVersion }) => journal?.closeFor(newVersion === null ? 'deleted' : 'version-change'));
      database.addEventListener('close', () => journal?.closeFor('terminated'));
    },
    () => {},
  );

  let database: IDBPDatabase<JournalSchema>;
  try {
    database = await Promise.race([opening, blocked]);
  } catch (error) {
    // A blocked open stays queued and may still succeed later: close that connection when it does.
    opening.then((late) => late.close(), () => {});
    throw isEventfoldError(error) ? error : new StorageError(operation, error);
  }
  for (const store of JOURNAL_STORES) {
    if (!database.objectStoreNames.contains(store)) {
      database.close();
      throw new StorageError(operation, new Error(`it has no "${store}" store; is it an eventfold journal?`));
    }
  }
  journal = new IndexedDbJournal(name, database, options);
  if (!options.factory) {
    if (created && (await hadJournal(name))) options.onLost?.();
    await markJournal(name);
  }
  return journal;
}

/** The origin's IndexedDB; where there is none (Node without a polyfill), an error that says what to use instead. */
function originIndexedDb(): IDBFactory {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (factory) return factory;
  throw new UnsupportedError(
    'IndexedDB',
    'in Node, test with `new InMemoryJournal()` (same contract) or pass an IndexedDB implementation as `factory`',
  );
}

/** Deletes a journal's database (in `factory`, the default IndexedDB unless given). Waits until other connections close. */
export async function deleteIndexedDbJournal(name: string, options: { factory?: IDBFactory } = {}): Promise<void> {
  const factory = options.factory ?? originIndexedDb();
  try {
    await wrap(factory.deleteDatabase(name));
    // The origin's own database, however it was named: a later open must not take its absence for a loss.
    if (factory === (globalThis as { indexedDB?: IDBFactory }).indexedDB) await unmarkJournal(name);
  } catch (error) {
    throw new StorageError(`deleting database "${name}"`, error);
  }
}

/**
 * An event journal in IndexedDB: durable, shared by the tabs of one origin, and atomic per call (one transaction
 * writes a whole batch, or a whole group of batches, and checks that each continues its stream). Open it with
 * `openIndexedDbJournal`.
 */
export class IndexedDbJournal implements EventJournal {
  readonly kind = 'local';
  readonly #database: IDBPDatabase<JournalSchema>;
  readonly #durability: Durability;
  readonly #snapshotsKept: number;
  readonly #onClosed: IndexedDbJournalOptions['onClosed'];
  #closed: ClosedError['reason'] | undefined;
  /** Heads that streams are known to have reached, from this connection's own writes and reads. */
  readonly #heads = new Map<string, number>();
  /** The highest global position this connection knows to be taken, once it has read or written one. */
  #position: number | undefined;
  /**
   * The generation of each projection's served documents, as last seen: inline writes read documents from it in the
   * round trip that reads the checkpoint, and read again in the rare case that a rebuild has moved it since.
   */
  readonly #generations = new Map<string, number>();

  /** @internal Use `openIndexedDbJournal`. */
  constructor(
    /** The IndexedDB database's name, as given to `openIndexedDbJournal`. */
    readonly name: string,
    database: IDBPDatabase<JournalSchema>,
    options: IndexedDbJournalOptions,
  ) {
    this.#database = database;
    this.#durability = options.durability ?? 'strict';
    this.#snapshotsKept = options.snapshotsKept ?? DEFAULT_SNAPSHOTS_KEPT;
    this.#onClosed = options.onClosed;
  }

  async append(writes: readonly StreamWrite[], { projections = [] }: AppendOptions = {}): Promise<AppendOutcome[]> {
    validateWrites(writes);
    projections.forEach(validateProjection);
    if (writes.length === 0) return [];
    // Stamped before the transaction: a snapshot that cannot be checksummed fails its own write on the careful path.
    const blind = writes.every(writesBlind) ? stampedAll(writes) : undefined;
    if (blind) {
      try {
        return await this.#persistBlind(blind, projections);
      } catch (error) {
        // A conflict, or a projection that throws: the careful path finds out which writes to leave out.
        const careful = isEventfoldError(error, 'conflict') || isEventfoldError(error, 'handler-failed') || isConstraintFailure(error);
        if (!careful) throw error;
      }
    }
    return this.#persistCareful(writes, projections);
  }

  /**
   * The fast path: every write is issued at once, with no read of the stream heads to wait for. The store refuses a
   * duplicate key (of a stream, a global position or an idempotency key), and a lookup of the key before a batch
   * that does not continue a known head, issued in the same breath, catches a gap; either aborts the transaction,
   * and the careful path then sorts out which writes conflict. One store, and usually one request per event: as
   * cheap as a bare put. Positions continue the highest this connection knows; another tab's write since makes
   * the first of them taken, which the position index refuses.
   */
  #persistBlind(writes: readonly StreamWrite[], projections: readonly AnyDefinedProjection[]): Promise<AppendOutcome[]> {
    return this.#transact('persist', storesFor(writes, projections), 'readwrite', async (tx) => {
      const events = tx.objectStore('events');
      const checks: Promise<unknown>[] = [];
      const heads = new Map<string, number>();
      for (const { streamId, events: batch } of writes) {
        const first = batch[0]!.sequenceNr;
        // A batch that continues a head we know needs no lookup: if the stream has grown past it since, the key of
        // the batch's first event is taken, and the store refuses it.
        const known = heads.get(streamId) ?? this.#heads.get(streamId);
        if (first > 1 && known !== first - 1) {
          checks.push(
            events.getKey([streamId, first - 1]).then((key) => {
              if (key === undefined) throw new ConflictError(streamId, first - 1, -1, 'gap');
            }),
          );
        }
        heads.set(streamId, batch.at(-1)!.sequenceNr);
      }
      // Handled now: if issuing throws, the abort fails these lookups and nobody awaits them.
      const checked = Promise.all(checks);
      checked.catch(() => {});
      const head = this.#position ?? (await lastPosition(tx));
      let position = head;
      const accepted = writes.map((write) => ({
        ...write,
        positions: write.events.map(() => ++position),
      }));
      issueWrites(tx, accepted);
      const projected = projections.length > 0 ? await projectInline(tx, projections, accepted, head, this.#generations) : undefined;
      await checked;
      await this.#pruneSnapshotsOf(tx, writes);
      return { accepted, projected };
    }).then(({ accepted, projected }) => {
      this.#learnWrites(accepted);
      return accepted.map(({ positions }) => (projected?.size ? { positions, projected } : { positions }));
    });
  }

  /**
   * The careful path: reads heads, positions, keys and the checkpoints of inline projections first, then stores
   * only the writes that may be stored, with the documents of the projections that are caught up.
   */
  #persistCareful(writes: readonly StreamWrite[], projections: readonly AnyDefinedProjection[]): Promise<AppendOutcome[]> {
    return this.#transact('persist', storesFor(writes, projections), 'readwrite', async (tx) => {
      const ids = streamIdsOf(writes);
      const events = tx.objectStore('events');
      const keys = writes.flatMap(({ streamId, idempotency = [] }) => idempotency.map(({ key }) => [streamId, key] as [string, string]));
      const [heads, position, taken, checkpoints] = await Promise.all([
        Promise.all(ids.map((id) => headOf(events, id))),
        lastPosition(tx),
        Promise.all(keys.map((key) => tx.objectStore('idempotency').getKey(key))),
        checkpointsOf(tx, projections),
      ]);
      ids.forEach((id, i) => this.#learnHead(id, heads[i]!));
      const takenKeys = new Set(keys.filter((_, i) => taken[i] !== undefined).map((key) => JSON.stringify(key)));
      const state = {
        heads: new Map(ids.map((id, i) => [id, heads[i]!])),
        position,
        keyTaken: (streamId: string, key: string) => takenKeys.has(JSON.stringify([streamId, key])),
      };
      const stored = new Map(projections.map((projection, i) => [projection.name, checkpoints[i]]));
      const generations = new Map([...stored].map(([name, checkpoint]) => [name, servedGeneration(checkpoint)]));
      generations.forEach((generation, name) => this.#generations.set(name, generation));
      const live = projections.filter((_, i) => isLive(checkpoints[i], position));
      // Projections bring the functions that apply them (see `ProjectionKit`): without any, none is shipped.
      const kit = live[0] && kitOf(live[0]);
      const documents = await readDocuments(tx, kit ? kit.documentIdsFor(writes, state, live) : new Map(), generations);
      const plan = kit ? kit.planProjectedWrites(writes, state, live, documents) : unprojected(planWrites(writes, state));
      issueWrites(tx, plan.accepted);
      const projected = new Map<string, Checkpoint>();
      if (plan.position !== undefined) {
        for (const [name, changes] of plan.documents) projected.set(name, issueServed(tx, name, stored.get(name), plan.position, changes));
      }
      await this.#pruneSnapshotsOf(tx, plan.accepted);
      this.#position = Math.max(this.#position ?? 0, position);
      return { plan, projected };
    }).then(({ plan: { outcomes, accepted }, projected }) => {
      this.#learnWrites(accepted);
      return projected.size > 0 ? outcomes.map((outcome) => ('positions' in outcome ? { ...outcome, projected } : outcome)) : outcomes;
    });
  }

  /** Notes the heads and positions that committed writes reached. */
  #learnWrites(writes: readonly AcceptedWrite[]): void {
    for (const { streamId, events, positions } of writes) {
      const last = events.at(-1);
      if (last) this.#learnHead(streamId, last.sequenceNr);
      const position = positions.at(-1);
      if (position !== undefined) this.#position = Math.max(this.#position ?? 0, position);
    }
  }

  /** Notes that a stream has reached `head`; streams never shrink, so a known head is a lower bound. */
  #learnHead(streamId: string, head: number): void {
    // A bound on memory: forgetting only costs a lookup on the next append.
    if (this.#heads.size >= 10_000 && !this.#heads.has(streamId)) this.#heads.clear();
    if (head > (this.#heads.get(streamId) ?? 0)) this.#heads.set(streamId, head);
  }

  async load(streamId: string, fromSequenceNr = 1, toSequenceNr?: number): Promise<PersistedEvent[]> {
    assertStreamId(streamId);
    assertRange(fromSequenceNr, toSequenceNr);
    if (toSequenceNr !== undefined && toSequenceNr < fromSequenceNr) return [];
    return this.#transact('load', ['events'], 'readonly', (tx) => eventsInRange(tx.objectStore('events'), streamId, fromSequenceNr, toSequenceNr));
  }

  async loadAfter(afterPosition: number, limit: number): Promise<(PersistedEvent & StreamOf)[]> {
    assertSequenceNr(afterPosition, 'afterPosition', 0);
    assertSequenceNr(limit, 'limit');
    return this.#transact('loadAfter', ['events'], 'readonly', async (tx) => {
      const index = tx.objectStore('events').index('position');
      const range = IDBKeyRange.lowerBound(afterPosition, true);
      // An index's getAllKeys gives the records' primary keys, which hold the entity ids.
      const [events, keys] = await Promise.all([index.getAll(range, limit), index.getAllKeys(range, limit)]);
      return events.map((event, i) => ({ ...event, streamId: keys[i]![0] }));
    });
  }

  async projectEvents(projection: AnyDefinedProjection, events: readonly ProjectionEvent[], afterPosition: number): Promise<boolean> {
    validateProjection(projection);
    assertSequenceNr(afterPosition, 'afterPosition', 0);
    const { name } = projection;
    const kit = kitOf(projection);
    const ids = kit.documentIdsOf(projection, events);
    return this.#transact('projectEvents', ['documents', 'checkpoints'], 'readwrite', async (tx) => {
      const previous = await tx.objectStore('checkpoints').get(name);
      const from = previous?.rebuilding ? previous.rebuilding.position : (previous?.position ?? 0);
      if (from !== afterPosition) return false;
      const generation = buildingGeneration(previous);
      const read = await readDocuments(tx, new Map([[name, ids]]), new Map([[name, generation]]));
      const changes = kit.project(projection, events, (id) => read(name, id));
      const { checkpoint, swapped } = kit.builtTo(checkpointOf(previous), events.at(-1)?.position ?? afterPosition);
      const served = swapped ? generation : servedGeneration(previous);
      if (events.length === 0 && !swapped) return true;
      issueDocuments(tx, name, generation, changes, { ...checkpoint, ...(served > 0 && { generation: served }) });
      // The shadow is served from now on: the copy it replaces goes, in the same transaction.
      if (swapped) unwrap(tx.objectStore('documents')).delete(generationRange(name, servedGeneration(previous)));
      this.#generations.set(name, served);
      return true;
    });
  }

  async loadCheckpoint(projection: string): Promise<Checkpoint | undefined> {
    assertName(projection, 'projection');
    const stored = await this.#transact('loadCheckpoint', ['checkpoints'], 'readonly', (tx) => tx.objectStore('checkpoints').get(projection));
    return checkpointOf(stored);
  }

  async readModel(projection: string, query: DocumentQuery = {}): Promise<ReadModelView> {
    assertName(projection, 'projection');
    validateQuery(query);
    return this.#transact('readModel', ['documents', 'checkpoints'], 'readonly', async (tx) => {
      const store = tx.objectStore('documents');
      const { ids, prefix = '', limit } = query;
      const checkpoint = await tx.objectStore('checkpoints').get(projection);
      const generation = servedGeneration(checkpoint);
      let documents: { id: string; doc: unknown }[];
      if (ids) {
        const wanted = [...new Set(ids)].sort();
        const values = await Promise.all(wanted.map((id) => store.get([projection, generation, id])));
        documents = wanted.map((id, i) => ({ id, doc: values[i] })).filter(({ doc }) => doc !== undefined);
        if (limit !== undefined) documents = documents.slice(0, limit);
      } else {
        const range = prefixRange([projection, generation], prefix);
        const [values, keys] = await Promise.all([store.getAll(range, limit), store.getAllKeys(range, limit)]);
        documents = values.map((doc, i) => ({ id: keys[i]![2], doc }));
      }
      return { checkpoint: checkpointOf(checkpoint), documents };
    });
  }

  async resetProjection(projection: string): Promise<number> {
    assertName(projection, 'projection');
    return this.#transact('resetProjection', ['events', 'documents', 'checkpoints'], 'readwrite', async (tx) => {
      const [total, previous] = await Promise.all([lastPosition(tx), tx.objectStore('checkpoints').get(projection)]);
      const generation = servedGeneration(previous);
      const documents = unwrap(tx.objectStore('documents'));
      // An unfinished shadow of an earlier rebuild starts again from nothing; on an empty journal, so does the read model.
      documents.delete(generationRange(projection, generation + 1));
      if (total === 0) documents.delete(generationRange(projection, generation));
      const checkpoint = rebuildFrom(checkpointOf(previous), total);
      unwrap(tx.objectStore('checkpoints')).put({ ...checkpoint, ...(generation > 0 && { generation }) }, projection);
      return total;
    });
  }

  async findIdempotencyRecord(streamId: string, key: string): Promise<IdempotencyRecord | undefined> {
    assertStreamId(streamId);
    assertName(key, 'key');
    return this.#transact('findIdempotencyRecord', ['idempotency'], 'readonly', (tx) =>
      tx.objectStore('idempotency').get([streamId, key]),
    );
  }

  async highestSequenceNr(streamId: string): Promise<number> {
    assertStreamId(streamId);
    const head = await this.#transact('highestSequenceNr', ['events'], 'readonly', (tx) => headOf(tx.objectStore('events'), streamId));
    this.#learnHead(streamId, head);
    return head;
  }

  async streamIds(prefix = ''): Promise<string[]> {
    return this.#transact('streamIds', ['events'], 'readonly', async (tx) => {
      // One step per stream: from each stream's first key, jump past its last.
      const ids: string[] = [];
      const range = prefixRange([], prefix);
      let cursor = await tx.objectStore('events').openKeyCursor(range);
      while (cursor) {
        const [streamId] = cursor.key;
        ids.push(streamId);
        cursor = await cursor.continue([streamId, Infinity]);
      }
      return ids;
    });
  }

  /** Thins the snapshots of the entities that `writes` snapshot once they are more than the number kept (`keptSnapshots`). */
  async #pruneSnapshotsOf(tx: WriteTransaction, writes: readonly StreamWrite[]): Promise<void> {
    const snapshotted = streamIdsOf(writes.filter((write) => write.snapshot));
    if (snapshotted.length === 0) return;
    const store = tx.objectStore('snapshots');
    await Promise.all(
      snapshotted.map(async (streamId) => {
        const all = streamRange(streamId);
        // Counted first: the keys are read only when there are too many, a few times per thousand snapshots.
        if ((await store.count(all)) <= this.#snapshotsKept) return;
        const keys = await store.getAllKeys(all);
        const kept = new Set(keptSnapshots(keys.map(([, sequenceNr]) => sequenceNr), this.#snapshotsKept));
        for (const key of keys) if (!kept.has(key[1])) unwrap(store).delete(key);
      }),
    );
  }

  async loadSnapshot(streamId: string, maxSequenceNr?: number): Promise<Snapshot | undefined> {
    assertStreamId(streamId);
    if (maxSequenceNr !== undefined) assertSequenceNr(maxSequenceNr, 'maxSequenceNr', 0);
    return this.#transact('loadSnapshot', ['snapshots'], 'readonly', async (tx) => {
      const cursor = await tx.objectStore('snapshots').openCursor(streamRange(streamId, 0, maxSequenceNr), 'prev');
      return cursor?.value;
    });
  }

  async listSnapshots(streamId: string): Promise<number[]> {
    assertStreamId(streamId);
    const keys = await this.#transact('listSnapshots', ['snapshots'], 'readonly', (tx) =>
      tx.objectStore('snapshots').getAllKeys(streamRange(streamId)),
    );
    return keys.map(([, sequenceNr]) => sequenceNr);
  }

  async close(): Promise<void> {
    this.closeFor('closed');
  }

  /** @internal Closes the connection; later calls reject with a `ClosedError` giving `reason`. */
  closeFor(reason: ClosedError['reason']): void {
    if (this.#closed) return;
    this.#closed = reason;
    this.#database.close();
    if (reason !== 'closed') this.#onClosed?.(reason);
  }

  /**
   * Runs `body` in one transaction and resolves once the transaction has completed (for writes: is durable as
   * configured). A throw from `body`, a failed request or an abort rolls the whole transaction back.
   */
  async #transact<S extends Stores[], M extends IDBTransactionMode, T>(
    operation: string,
    stores: S,
    mode: M,
    body: (tx: IDBPTransaction<JournalSchema, S, M>) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw new ClosedError(`The journal "${this.name}"`, this.#closed);
    let tx: IDBPTransaction<JournalSchema, S, M>;
    try {
      tx = this.#database.transaction(stores, mode, { durability: this.#durability });
    } catch (error) {
      throw new StorageError(operation, error);
    }
    const done = settled(unwrap(tx));
    // Awaited below, or ignored when `body` failed first; idb's own `done` is not used but must not go unhandled.
    done.catch(() => {});
    tx.done.catch(() => {});
    try {
      const result = await body(tx);
      await done;
      return result;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already finished or aborted: nothing is left to roll back.
      }
      if (isEventfoldError(error)) throw error;
      // A request failed only because the transaction had aborted: report what aborted it (a ConstraintError, say).
      const aborted = (error as { name?: unknown } | undefined)?.name === 'AbortError' ? unwrap(tx).error : null;
      throw new StorageError(operation, aborted ?? error);
    }
  }
}

/**
 * Applies the inline projections that are caught up with `head` to writes issued blind, in their transaction, and
 * returns their new checkpoints. A projection that throws aborts it all: the careful path then leaves out the write
 * it throws on. Documents are read from the generations last seen, with the checkpoints, in one round trip; a
 * projection whose generation a rebuild has moved since is read again.
 */
async function projectInline(
  tx: WriteTransaction,
  projections: readonly AnyDefinedProjection[],
  accepted: readonly AcceptedWrite[],
  head: number,
  generations: Map<string, number>,
): Promise<Map<string, Checkpoint>> {
  // Projections bring the functions that apply them (see `ProjectionKit`).
  const kit = kitOf(projections[0]!);
  const events = accepted.flatMap(kit.eventsOf);
  const ids = new Map(projections.map((projection) => [projection.name, kit.documentIdsOf(projection, events)]));
  const assumed = new Map(generations);
  const [checkpoints, first] = await Promise.all([
    checkpointsOf(tx, projections),
    readDocuments(tx, ids, assumed),
  ]);
  const live = projections.filter((_, i) => isLive(checkpoints[i], head));
  const projected = new Map<string, Checkpoint>();
  if (live.length === 0) return projected;
  projections.forEach((projection, i) => generations.set(projection.name, servedGeneration(checkpoints[i])));
  const moved = live.some((projection) => generations.get(projection.name) !== (assumed.get(projection.name) ?? 0));
  const read = moved ? await readDocuments(tx, ids, generations) : first;
  const changes = live.map((projection) => kit.project(projection, events, (id) => read(projection.name, id)));
  const position = events.at(-1)!.position;
  live.forEach((projection, i) => {
    const previous = checkpoints[projections.indexOf(projection)];
    projected.set(projection.name, issueServed(tx, projection.name, previous, position, changes[i]!));
  });
  return projected;
}
