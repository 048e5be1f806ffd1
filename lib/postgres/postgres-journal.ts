import {
  type AnyDefinedProjection,
  type AppendOptions,
  type AppendOutcome,
  type Checkpoint,
  ClosedError,
  CorruptedDataError,
  type DocumentChanges,
  type DocumentQuery,
  type EntityLock,
  type EventJournal,
  type IdempotencyRecord,
  type PersistedEvent,
  type ProjectionEvent,
  type ReadModelView,
  type Snapshot,
  StorageError,
  type StreamOf,
  type StreamWrite,
} from 'eventfold';
import {
  assertName,
  assertRange,
  assertSequenceNr,
  assertStreamId,
  buildingAt,
  builtTo,
  documentIdsFor,
  documentIdsOf,
  isLive,
  project,
  rebuildFrom,
  servedAt,
  streamIdsOf,
  validateProjection,
  validateQuery,
  validateWrites,
  type ProjectedPlan,
  type WriteState,
} from 'eventfold/kit';
import type { ChangeListener, NoticeHub } from './notices.ts';
import {
  checkpointOf,
  checkpointRow,
  documentKey,
  encoded,
  eventOf,
  idempotencyRecordOf,
  int,
  prefixBounds,
  snapshotOf,
  type StoredCheckpoint,
  storedCheckpointsOf,
  writeRows,
} from './rows.ts';
import { isRetryable, sqlStateOf, typedError, typedRead, withRetries } from './sql-errors.ts';
import { KnownHeads } from './known-heads.ts';
import type { Row, SqlPort, SqlQuery } from './sql-port.ts';
import type { Statements, WriteClaim, WriteParts } from './statements.ts';
import type { DecisionCommit, StoredOutcome, SyncState } from './sync-records.ts';
import { planWithUniqueEventIds } from './unique-event-ids.ts';
import { decodeValue } from 'eventfold/kit';

/** What a journal needs of the database it is in. @internal */
export interface JournalContext {
  readonly port: SqlPort;
  readonly statements: Statements;
  /** The notice channel: the schema's name. */
  readonly channel: string;
  readonly notices: NoticeHub;
  /** The journal's entity lock (see `entityLock`). */
  readonly lock: EntityLock;
}

/** The SQLSTATE of a unique violation. */
const UNIQUE_VIOLATION = '23505';

/** A string with U+0000 or a lone surrogate, which a `text` column cannot hold. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * An event journal in PostgreSQL (a server, or PGlite), shared by every process that opens it: `kind` is
 * `'centralized'`. One database holds many journals, each under its id in every table; a journal never sees
 * another's events, snapshots, keys, read models or notices. Open one with `openPostgresJournal`, or many over one
 * connection pool with `openPostgresDatabase(…).journal(id)`.
 *
 * **Commit order.** Every write of a journal (`append`, `projectEvents`, `resetProjection`) claims the journal's row:
 * it moves the head from the value it was planned at, waiting for the journal's other writers to commit first. The
 * writes of one journal therefore run one after another, each on all that committed before it: positions are the
 * head + 1, + 2…, gapless and increasing in commit order, whichever process wrote them. A reader of `loadAfter` never
 * finds a later commit below a position it has passed, the "lost event" that sequence-numbered stores suffer when a
 * transaction that took a lower number commits after one that took a higher. The cost: appends to one journal are
 * serialized (group them with `append`'s several writes; the runtime does); different journals run in parallel.
 *
 * **One round trip.** An append without inline projections, by a handle that knows the heads of the streams it
 * writes (it wrote them last, or read them in its last write), is one statement: planned on what the handle knows,
 * stored only if the journal's head is still the one it knew, so that no other write came between. Otherwise (the
 * claim lost, a guess refused by a unique key, inline projections, streams it does not know) the append is a
 * transaction that locks the journal's row (`SELECT … FOR UPDATE`) and reads the heads, keys, event ids and
 * checkpoints it decides on.
 *
 * Everything an `append` stores (events, snapshots, idempotency records, inline projections' documents and
 * checkpoints, stream heads, the journal's head) is one transaction; its change notice is sent at commit. A read
 * that must agree with itself (a read model's documents and checkpoint) is one statement.
 *
 * Failures are typed: bad input is refused before any SQL with the kit's validation errors; a serialization failure
 * or deadlock is retried; a transaction that failed before COMMIT (a lost connection, say) is a `StorageError` and
 * stored nothing; a connection lost during COMMIT, or during a one-statement append, is an `OutcomeUnknownError`; a
 * closed journal or database a `ClosedError`.
 */
export class PostgresJournal implements EventJournal {
  readonly kind = 'centralized';
  /**
   * A lock per stream shared by every process on this journal, over PostgreSQL's advisory locks: a runtime takes it
   * after a lost race, so that processes writing to one entity wait for each other instead of failing.
   */
  readonly lock: EntityLock;
  readonly #context: JournalContext;
  readonly #statements: Statements;
  readonly #snapshotsKept: number;
  readonly #onClose: () => Promise<void>;
  readonly #unwatch = new Set<() => void>();
  readonly #known = new KnownHeads();
  #closed = false;

  /** @internal Use `openPostgresJournal` or `PostgresDatabase.journal`. */
  constructor(
    /** The journal's id in its database. */
    readonly journalId: string,
    context: JournalContext,
    snapshotsKept: number,
    onClose: () => Promise<void>,
  ) {
    this.#context = context;
    this.lock = context.lock;
    this.#statements = context.statements;
    this.#snapshotsKept = snapshotsKept;
    this.#onClose = onClose;
  }

  async append(writes: readonly StreamWrite[], { projections = [] }: AppendOptions = {}): Promise<AppendOutcome[]> {
    this.#assertOpen();
    validateWrites(writes);
    projections.forEach(validateProjection);
    if (writes.length === 0) return [];
    return (projections.length === 0 && (await this.#appendAtOnce(writes))) || this.#appendLocked(writes, projections);
  }

  /**
   * An append without inline projections, planned on what this handle knows of the journal's heads (`KnownHeads`)
   * and stored by one statement that claims the head it was planned at: one round trip. A stream it does not know is
   * taken to be new when the write starts it; an idempotency key and an event id, to be unused. Each guess is checked
   * by the tables' unique keys, so a wrong one fails the statement with nothing stored. Resolves with `undefined`
   * when the append must be made under the journal's lock instead: a stream it does not know, a plan with a refused
   * write (which the locked append decides on what is stored), a guess the statement found wrong, another write
   * that came first.
   */
  async #appendAtOnce(writes: readonly StreamWrite[]): Promise<AppendOutcome[] | undefined> {
    const base = this.#known.head;
    if (base === undefined) return undefined;
    const heads = new Map<string, number>();
    for (const { streamId, events } of writes) {
      const head = this.#known.stream(streamId) ?? (events[0]?.sequenceNr === 1 ? 0 : undefined);
      if (head === undefined) return undefined;
      heads.set(streamId, head);
    }
    let plan: ProjectedPlan;
    try {
      plan = planWithUniqueEventIds(writes, { heads, position: base, keyTaken: () => false }, [], () => undefined, new Set());
    } catch {
      return undefined;
    }
    if (plan.outcomes.some((outcome) => 'error' in outcome)) return undefined;
    const rows = writeRows(plan.accepted);
    const claim = { base, head: plan.position ?? base };
    const { text, params } = this.#statements.write(this.journalId, claim, this.#snapshotsKept, this.#context.channel, rows);
    let claimed: boolean;
    try {
      this.#assertOpen();
      claimed = (await this.#context.port.write(text, params)).length > 0;
    } catch (error) {
      this.#known.forget();
      if (sqlStateOf(error) === UNIQUE_VIOLATION || isRetryable(error)) return undefined;
      throw typedError('append', error);
    }
    if (!claimed) {
      this.#known.forget();
      return undefined;
    }
    this.#known.advance(claim.base, claim.head, rows.heads.map(({ stream_id, head }) => [stream_id, head]));
    return plan.outcomes;
  }

  /** An append in a transaction that locks the journal and reads what it decides on. */
  async #appendLocked(writes: readonly StreamWrite[], projections: readonly AnyDefinedProjection[]): Promise<AppendOutcome[]> {
    let known: { base: number; head: number; heads: Map<string, number> } | undefined;
    const outcomes = await this.#write('append', async (query, position) => {
      const streamIds = streamIdsOf(writes);
      const keys = writes.flatMap(({ streamId, idempotency = [] }) => idempotency.map(({ key }) => [streamId, key]));
      const eventIds = writes.flatMap(({ events }) => events.map(({ eventId }) => eventId));
      const [found] = await query<{ heads: Record<string, number>; keys: [string, string][]; event_ids: string[]; checkpoints: Record<string, unknown[]> }>(
        this.#statements.writeState,
        [this.journalId, JSON.stringify(streamIds), JSON.stringify(keys), JSON.stringify(eventIds), JSON.stringify(projections.map(({ name }) => name))],
      );
      const taken = new Set(found!.keys.map((key) => JSON.stringify(key)));
      const state: WriteState = {
        // An own property only: a stream called `constructor` is no method of Object.prototype.
        heads: new Map(streamIds.map((id) => [id, Object.hasOwn(found!.heads, id) ? int(found!.heads[id]) : 0])),
        position,
        keyTaken: (streamId, key) => taken.has(JSON.stringify([streamId, key])),
      };
      const stored = storedCheckpointsOf(found!.checkpoints);
      const live = projections.filter(({ name }) => isLive(stored.get(name)?.checkpoint, position));
      const documents = live.length > 0 ? await this.#readDocuments(query, documentIdsFor(writes, state, live), stored) : new Map();
      const read = (projection: string, id: string) => documents.get(projection)?.get(id);
      const plan = planWithUniqueEventIds(writes, state, live, read, new Set(found!.event_ids));
      const rows = writeRows(plan.accepted);
      // The heads read, then those the accepted writes leave.
      for (const { stream_id, head } of rows.heads) state.heads.set(stream_id, head);
      known = { base: position, head: plan.position ?? position, heads: state.heads };
      if (plan.accepted.length === 0) return plan.outcomes;

      const projected = new Map<string, Checkpoint>();
      const parts = { puts: [] as object[], deletes: [] as object[], checkpoints: [] as object[] };
      if (plan.position !== undefined) {
        for (const [name, changes] of plan.documents) {
          const previous = stored.get(name);
          const generation = previous?.generation ?? 0;
          documentRows(name, generation, changes, parts.puts, parts.deletes);
          const checkpoint = servedAt(previous?.checkpoint, plan.position);
          parts.checkpoints.push(checkpointRow(name, checkpoint, generation));
          projected.set(name, checkpoint);
        }
      }
      await this.#store(query, { base: position, head: plan.position ?? position }, { ...rows, ...parts });
      return projected.size > 0 ? plan.outcomes.map((outcome) => ('positions' in outcome ? { ...outcome, projected } : outcome)) : plan.outcomes;
    });
    if (known) this.#known.advance(known.base, known.head, known.heads);
    return outcomes;
  }

  async load(streamId: string, fromSequenceNr = 1, toSequenceNr?: number): Promise<PersistedEvent[]> {
    this.#assertOpen();
    assertStreamId(streamId);
    assertRange(fromSequenceNr, toSequenceNr);
    if (toSequenceNr !== undefined && toSequenceNr < fromSequenceNr) return [];
    const rows = await this.#read('load', this.#statements.load, [this.journalId, streamId, fromSequenceNr, toSequenceNr ?? Number.MAX_SAFE_INTEGER]);
    return rows.map((row) => eventOf(row, streamId));
  }

  async loadAfter(afterPosition: number, limit: number): Promise<(PersistedEvent & StreamOf)[]> {
    this.#assertOpen();
    assertSequenceNr(afterPosition, 'afterPosition', 0);
    assertSequenceNr(limit, 'limit');
    const rows = await this.#read('loadAfter', this.#statements.loadAfter, [this.journalId, afterPosition, limit]);
    return rows.map((row) => {
      const streamId = row.stream_id as string;
      return { ...eventOf(row, streamId), streamId };
    });
  }

  async highestSequenceNr(streamId: string): Promise<number> {
    this.#assertOpen();
    assertStreamId(streamId);
    const [row] = await this.#read('highestSequenceNr', this.#statements.streamHead, [this.journalId, streamId]);
    return row ? int(row.head) : 0;
  }

  async streamIds(prefix = ''): Promise<string[]> {
    this.#assertOpen();
    if (typeof prefix !== 'string') assertName(prefix, 'prefix');
    // A prefix no `text` can hold still matches ids that complete its surrogate: such a rare one is matched here.
    const sent = UNSTORABLE.test(prefix) ? '' : prefix;
    const rows = await this.#read('streamIds', this.#statements.streamIds, [this.journalId, sent]);
    // In UTF-16 code units, as JavaScript compares strings; no collation of PostgreSQL orders every id so.
    return rows.map((row) => row.stream_id as string).filter((id) => id.startsWith(prefix)).sort();
  }

  async loadSnapshot(streamId: string, maxSequenceNr?: number): Promise<Snapshot | undefined> {
    this.#assertOpen();
    assertStreamId(streamId);
    if (maxSequenceNr !== undefined) assertSequenceNr(maxSequenceNr, 'maxSequenceNr', 0);
    const [row] = await this.#read('loadSnapshot', this.#statements.loadSnapshot, [this.journalId, streamId, maxSequenceNr ?? Number.MAX_SAFE_INTEGER]);
    return row && snapshotOf(row, streamId);
  }

  async listSnapshots(streamId: string): Promise<number[]> {
    this.#assertOpen();
    assertStreamId(streamId);
    const rows = await this.#read('listSnapshots', this.#statements.listSnapshots, [this.journalId, streamId]);
    return rows.map((row) => int(row.sequence_nr));
  }

  async findIdempotencyRecord(streamId: string, key: string): Promise<IdempotencyRecord | undefined> {
    this.#assertOpen();
    assertStreamId(streamId);
    assertName(key, 'key');
    const [row] = await this.#read('findIdempotencyRecord', this.#statements.findIdempotencyRecord, [this.journalId, streamId, key]);
    return row && idempotencyRecordOf(row);
  }

  async projectEvents(projection: AnyDefinedProjection, events: readonly ProjectionEvent[], afterPosition: number): Promise<boolean> {
    this.#assertOpen();
    validateProjection(projection);
    assertSequenceNr(afterPosition, 'afterPosition', 0);
    const { name } = projection;
    const ids = documentIdsOf(projection, events);
    return this.#write('projectEvents', async (query, head) => {
      const previous = await this.#checkpoint(query, name);
      const target = buildingAt(previous?.checkpoint);
      if (target.position !== afterPosition) return false;
      const served = previous?.generation ?? 0;
      const generation = target.shadow ? served + 1 : served;
      const documents = await this.#readDocuments(query, new Map([[name, ids]]), new Map([[name, { generation }]]));
      const changes = project(projection, events, (id) => documents.get(name)?.get(id));
      const { checkpoint, swapped } = builtTo(previous?.checkpoint, events.at(-1)?.position ?? afterPosition);
      if (events.length === 0 && !swapped) return true;
      const parts = { puts: [] as object[], deletes: [] as object[] };
      documentRows(name, generation, changes, parts.puts, parts.deletes);
      await this.#store(query, { base: head, head }, {
        ...parts,
        // The shadow is served from now on: the copy it replaces goes, in the same transaction.
        drops: swapped ? [{ projection: name, generation: served }] : [],
        checkpoints: [checkpointRow(name, checkpoint, swapped ? generation : served)],
      });
      return true;
    });
  }

  async loadCheckpoint(projection: string): Promise<Checkpoint | undefined> {
    this.#assertOpen();
    assertName(projection, 'projection');
    const [row] = await this.#read('loadCheckpoint', this.#statements.loadCheckpoint, [this.journalId, projection]);
    return row && checkpointOf(row.position, row.rebuild_position, row.rebuild_total);
  }

  async readModel(projection: string, query: DocumentQuery = {}): Promise<ReadModelView> {
    this.#assertOpen();
    assertName(projection, 'projection');
    validateQuery(query);
    const { ids, prefix = '', limit } = query;
    const bounds = prefixBounds(prefix);
    const rows = ids
      ? await this.#read('readModel', this.#statements.readModelByIds, [this.journalId, projection, limit ?? null, JSON.stringify([...new Set(ids)].map(documentKey))])
      : await this.#read('readModel', this.#statements.readModelByRange, [this.journalId, projection, limit ?? null, bounds.from, bounds.to ?? null]);
    const [first] = rows;
    if (!first) return { checkpoint: undefined, documents: [] };
    const documents = rows
      .filter((row) => row.doc_id !== null)
      .map((row) => ({ id: row.doc_id as string, doc: decodedDocument(projection, row.doc_id as string, row.doc) }));
    return { checkpoint: checkpointOf(first.position, first.rebuild_position, first.rebuild_total), documents };
  }

  async resetProjection(projection: string): Promise<number> {
    this.#assertOpen();
    assertName(projection, 'projection');
    return this.#write('resetProjection', async (query, total) => {
      const previous = await this.#checkpoint(query, projection);
      const served = previous?.generation ?? 0;
      // An unfinished shadow of an earlier rebuild starts again from nothing; on an empty journal, so does the read model.
      const drops = [{ projection, generation: served + 1 }, ...(total === 0 ? [{ projection, generation: served }] : [])];
      const checkpoint = rebuildFrom(previous?.checkpoint, total);
      await this.#store(query, { base: total, head: total }, { drops, checkpoints: [checkpointRow(projection, checkpoint, served)] });
      return total;
    });
  }

  /**
   * Sync: the journal's head and epoch, and how far the server has decided the commands of device `deviceId` (its
   * last sequence number decided, 0 for a device never seen), and the shard it moved to when this copy is fenced.
   * One statement, so they agree.
   */
  async syncState(deviceId: string): Promise<SyncState> {
    this.#assertOpen();
    assertName(deviceId, 'deviceId');
    const [row] = await this.#read('syncState', this.#statements.syncState, [this.journalId, deviceId]);
    if (!row) throw new StorageError('syncState', new Error(`the journal "${this.journalId}" is not in the database any more`));
    return { head: int(row.head), epoch: row.epoch as string, lastSeq: int(row.last_seq), ...(row.moved_to !== null && { movedTo: row.moved_to as string }) };
  }

  /** Sync: the stored outcomes of device `deviceId`'s commands with `after < seq <= upTo`, ascending, at most `limit`. */
  async outcomes(deviceId: string, after: number, upTo: number, limit: number): Promise<StoredOutcome[]> {
    this.#assertOpen();
    assertName(deviceId, 'deviceId');
    assertSequenceNr(after, 'after', 0);
    assertSequenceNr(upTo, 'upTo', 0);
    assertSequenceNr(limit, 'limit');
    const rows = await this.#read('outcomes', this.#statements.outcomes, [this.journalId, deviceId, after, upTo, limit]);
    return rows.map((row) => ({ seq: int(row.seq), commandId: row.command_id as string, outcome: decodeValue(row.outcome) }));
  }

  /** Sync: the first stored outcome of each of device `deviceId`'s commands with these ids, when it has one. */
  async outcomesOf(deviceId: string, commandIds: readonly string[]): Promise<StoredOutcome[]> {
    this.#assertOpen();
    assertName(deviceId, 'deviceId');
    if (commandIds.length === 0) return [];
    const rows = await this.#read('outcomesOf', this.#statements.outcomesOf, [this.journalId, deviceId, JSON.stringify(commandIds)]);
    return rows.map((row) => ({ seq: int(row.seq), commandId: row.command_id as string, outcome: decodeValue(row.outcome) }));
  }

  /**
   * Sync: stores the events of commands decided on the journal as it was at head `base`, their outcomes, and the
   * device's new last sequence number, in one statement that claims the journal at `base`: all of it, or nothing
   * when another write came after `base` (or stored one of these sequence numbers): then it resolves `undefined`,
   * and the commands are to be decided again on what is stored now. Each write must continue its stream as it was at
   * `base`. `outcomes` makes the outcome rows from the positions each write's events will have. Resolves with the
   * outcomes of the writes.
   */
  async commitDecisions(commit: DecisionCommit): Promise<AppendOutcome[] | undefined> {
    this.#assertOpen();
    const { base, writes, deviceId, lastSeq, outcomes } = commit;
    validateWrites(writes);
    assertName(deviceId, 'deviceId');
    assertSequenceNr(lastSeq, 'lastSeq');
    // Each stream as it was at `base`: its first write continues it.
    const heads = new Map<string, number>();
    for (const { streamId, events } of writes) if (!heads.has(streamId)) heads.set(streamId, (events[0]?.sequenceNr ?? 1) - 1);
    const plan = planWithUniqueEventIds(writes, { heads, position: base, keyTaken: () => false }, [], () => undefined, new Set());
    const refused = plan.outcomes.find((outcome) => 'error' in outcome);
    if (refused) throw (refused as { error: Error }).error;
    const rows = writeRows(plan.accepted);
    const positions = plan.outcomes.map((outcome) => ('positions' in outcome ? outcome.positions : []));
    const parts: WriteParts = {
      ...rows,
      outcomes: outcomes(positions).map(({ seq, commandId, outcome }) => ({ device_id: deviceId, seq, command_id: commandId, outcome: encoded(outcome, 'outcome') })),
      devices: [{ device_id: deviceId, last_seq: lastSeq }],
    };
    const claim = { base, head: plan.position ?? base };
    const { text, params } = this.#statements.write(this.journalId, claim, this.#snapshotsKept, this.#context.channel, parts);
    try {
      this.#assertOpen();
      if ((await this.#context.port.write(text, params)).length === 0) return undefined;
    } catch (error) {
      this.#known.forget();
      if (sqlStateOf(error) === UNIQUE_VIOLATION || isRetryable(error)) return undefined;
      throw typedError('commitDecisions', error);
    }
    this.#known.forget();
    return plan.outcomes;
  }

  /**
   * Calls `listener` whenever this journal changed (a write committed, from any process), until the function it
   * resolves with is called. Resolves once notices are listened to: a write that commits after that is noticed. A
   * wake-up only: notices carry nothing but the journal's id, may come in bursts or be coalesced, and after the
   * listening connection was lost and restored every listener is called once, as changes may have been missed; read
   * from your own position (`loadAfter`) to learn what changed. A listener that throws or rejects is reported to the
   * database's `onError`, never to the writer.
   */
  async watch(listener: ChangeListener): Promise<() => void> {
    this.#assertOpen();
    const remove = await this.#context.notices.watch(this.journalId, listener);
    if (this.#closed) {
      remove();
      this.#assertOpen();
    }
    this.#unwatch.add(remove);
    return () => {
      this.#unwatch.delete(remove);
      remove();
    };
  }

  /** Releases the journal (and the database it opened, for one of `openPostgresJournal`); later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const remove of this.#unwatch) remove();
    this.#unwatch.clear();
    await this.#onClose();
  }

  /** @internal Marks the journal closed when its database closes. */
  closedWithDatabase(): void {
    this.#closed = true;
    this.#unwatch.clear();
  }

  /**
   * One write transaction: locks the journal's row, so that the journal's writes run one at a time in commit order,
   * and runs `body` with the head it read. Retried on serialization failures and deadlocks; failures typed.
   */
  #write<T>(operation: string, body: (query: SqlQuery, head: number) => Promise<T>): Promise<T> {
    return withRetries(operation, () => {
      this.#assertOpen();
      return this.#context.port.transaction(async (query) => {
        const [row] = await query(this.#statements.lockHead, [this.journalId]);
        if (!row) throw new StorageError(operation, new Error(`the journal "${this.journalId}" is not in the database any more`));
        // A fenced copy (see `ShardedDatabases.moveJournal`): its writes go to the shard it moved to.
        if (row.moved_to !== null) throw new StorageError(operation, new Error(`the journal "${this.journalId}" moved to the shard "${row.moved_to}"`));
        return body(query, int(row.head));
      });
    });
  }

  /** Stores a write's rows in one statement, and sends the journal's change notice (at commit), under the lock. */
  async #store(query: SqlQuery, claim: WriteClaim, parts: WriteParts): Promise<void> {
    const { text, params } = this.#statements.write(this.journalId, claim, this.#snapshotsKept, this.#context.channel, parts);
    const rows = await query(text, params);
    // The transaction holds the journal's lock: its claim cannot fail.
    if (rows.length === 0) throw new Error(`the journal "${this.journalId}" moved under its lock`);
  }

  /** A projection's stored checkpoint and generation, read in a write transaction (after the lock). */
  async #checkpoint(query: SqlQuery, projection: string): Promise<StoredCheckpoint | undefined> {
    const [found] = await query<{ checkpoints: Record<string, unknown[]> }>(this.#statements.writeState, [
      this.journalId,
      '[]',
      '[]',
      '[]',
      JSON.stringify([projection]),
    ]);
    return storedCheckpointsOf(found!.checkpoints).get(projection);
  }

  /** The stored documents of `ids` (by projection) in each projection's generation, decoded, by projection and id. */
  async #readDocuments(
    query: SqlQuery,
    ids: ReadonlyMap<string, readonly string[]>,
    generations: ReadonlyMap<string, { readonly generation: number }>,
  ): Promise<Map<string, Map<string, unknown>>> {
    const wanted = [...ids].flatMap(([projection, list]) =>
      list.map((id) => ({ projection, generation: generations.get(projection)?.generation ?? 0, doc_key: documentKey(id) })),
    );
    const documents = new Map<string, Map<string, unknown>>([...ids.keys()].map((projection) => [projection, new Map()]));
    if (wanted.length === 0) return documents;
    const rows = await query(this.#statements.readDocuments, [this.journalId, JSON.stringify(wanted)]);
    for (const row of rows) {
      const projection = row.projection as string;
      const id = row.doc_id as string;
      documents.get(projection)?.set(id, decodedDocument(projection, id, row.doc));
    }
    return documents;
  }

  /** One statement outside a transaction, failures typed. */
  #read(operation: string, text: string, params: readonly unknown[]): Promise<Row[]> {
    return typedRead(operation, () => {
      this.#assertOpen();
      return this.#context.port.query(text, params);
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(`The journal "${this.journalId}"`);
  }
}

/** Adds a projection's changed documents to the rows to put and to delete, in one copy (generation). */
function documentRows(projection: string, generation: number, changes: DocumentChanges, puts: object[], deletes: object[]): void {
  for (const [id, doc] of changes) {
    const key = { projection, generation, doc_key: documentKey(id) };
    if (doc === undefined) deletes.push(key);
    else puts.push({ ...key, doc_id: id, doc: encoded(doc, `doc "${id}"`) });
  }
}

/** A stored document, decoded; one the codec cannot read is a `CorruptedDataError` naming the read model and id. */
function decodedDocument(projection: string, id: string, stored: unknown): unknown {
  try {
    return decodeValue(stored);
  } catch (error) {
    throw new CorruptedDataError(projection, 0, `document "${id}" of the read model cannot be read: ${(error as Error).message}`);
  }
}
