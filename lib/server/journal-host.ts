import {
  type AnyDefinedProjection,
  type AnyEntityDefinition,
  createRuntime,
  type EntityDefinitions,
  type EntityRuntime,
  isEventfoldError,
  type PersistedEvent,
  type Snapshot,
  type StreamOf,
  streamIdOf,
  type StreamWrite,
  validateCommand,
} from 'eventfold';
import { decideCommand, decodeValue, EntitySchema, encodeValue, recover, type Versioned } from 'eventfold/kit';
import type { PostgresDatabase, PostgresJournal, SyncState } from 'eventfold/postgres';
import type { Outcome, PullQuery, PullResponse, PushedCommand, PushRequest, PushResponse, WireEvent } from '../sync/protocol.ts';
import { WireError } from './wire-error.ts';

/** How many times a push is decided again after other writers moved the journal under it, before answering 503. */
const MAX_ATTEMPTS = 20;
/** Entity states kept in memory per journal, between pushes. */
const MAX_CACHED_STATES = 10_000;

/** What a journal host needs: the journal, the entities, a clock. */
export interface JournalHostOptions {
  readonly journal: PostgresJournal;
  readonly entities: EntityDefinitions;
  /** Read models kept on the server from the journal's events (in the journal's tables, queryable with SQL). */
  readonly projections?: readonly AnyDefinedProjection[];
  readonly clock: () => number;
  /** A streaming replica of the journal's database, that serves pulls once it has replayed what they answer. */
  readonly replica?: PostgresDatabase;
  /** How long a pull waits for the replica to replay the journal's head before the primary answers it. */
  readonly replicaWaitMs?: number;
  /** Told which copy served each pull. */
  readonly onPull?: (readFrom: 'primary' | 'replica') => void;
}

/** The journal's copy here is the fence a move left: its requests go to the shard it moved to. */
export class JournalMovedError extends Error {
  override readonly name = 'JournalMovedError';
  readonly code = 'journal-moved';

  constructor(
    readonly journalId: string,
    readonly movedTo: string,
  ) {
    super(`the journal "${journalId}" moved to the shard "${movedTo}"`);
  }
}

/** A pushed command, decoded and checked, ready to decide. */
interface Decodable {
  readonly wire: PushedCommand;
  readonly command: unknown;
  readonly metadata: Readonly<Record<string, unknown>> | undefined;
  /** Why the command cannot be read, when it cannot: it is then answered `unsupported`, and the push goes on. */
  readonly unreadable?: string;
}

/**
 * The server side of sync for one journal: decides devices' pushed commands again, on the journal's current state,
 * with the app's own entity definitions, and serves pulls.
 *
 * A push is decided in one piece: the commands not decided yet, in the device's order, each on the state the
 * commands before it left, and stored with their outcomes and the device's new last sequence number in one
 * statement that claims the journal at the head the states were read at (`PostgresJournal.commitDecisions`). Another
 * writer in between (another server process) voids the claim, and the push is decided again on what is stored now;
 * so every outcome is a decision on the journal's state, and the journal never holds events without their outcome,
 * nor an outcome without its events. A sequence number already decided is answered from the stored outcomes.
 *
 * Pushes to one journal are decided one after another in this process; states of entities are kept between them
 * while nobody else writes to the journal.
 */
export class JournalHost {
  readonly journal: PostgresJournal;
  readonly #entities: EntityDefinitions;
  readonly #schemas = new Map<string, EntitySchema>();
  readonly #clock: () => number;
  #queue: Promise<unknown> = Promise.resolve();
  /** Entity states by stream, as they are at journal head `#statesAt`. */
  #states = new Map<string, Versioned<unknown>>();
  #statesAt = -1;
  /** Keeps the read models up to date, when there are any: told after each commit, it catches them up. */
  readonly #projecting: EntityRuntime<EntityDefinitions> | undefined;
  readonly #replica: PostgresDatabase | undefined;
  #replicaJournal: Promise<PostgresJournal> | undefined;
  readonly #replicaWaitMs: number;
  readonly #onPull: (readFrom: 'primary' | 'replica') => void;
  #retired!: () => void;
  /** Settles once this host stops serving its journal (`retire`): its change streams end then. */
  readonly retired = new Promise<void>((resolve) => (this.#retired = resolve));

  constructor({ journal, entities, projections = [], clock, replica, replicaWaitMs = 100, onPull = () => {} }: JournalHostOptions) {
    this.journal = journal;
    this.#replica = replica;
    this.#replicaWaitMs = replicaWaitMs;
    this.#onPull = onPull;
    this.#entities = entities;
    this.#clock = clock;
    this.#projecting = projections.length > 0 ? createRuntime({ journal, entities, projections, clock }) : undefined;
    for (const [type, definition] of Object.entries(entities)) this.#schemas.set(type, new EntitySchema(type, definition));
  }

  /** Decides a push (see the class); rejects with a `WireError` for what the device must change before retrying. */
  push(request: PushRequest): Promise<PushResponse> {
    const decoded = request.commands.map((wire) => this.#decoded(wire));
    const run = this.#queue.then(() => this.#push(request.deviceId, decoded, request.epoch));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Waits for the push under way and the read models' catch-up, and stops keeping them. The journal stays open. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#projecting?.close();
    await this.#replicaJournal?.then((journal) => journal.close()).catch(() => {});
  }

  /** Whether the journal is still served here: a `JournalMovedError` when a move's fence is on its row. */
  async checkNotMoved(): Promise<void> {
    // Any device id reads the journal's row; this one is no device's.
    await this.#syncState('change-stream');
  }

  /** Stops serving the journal here (it moved to another shard): settles `retired`. */
  retire(): void {
    this.#retired();
  }

  /**
   * Events after the device's cursor, and its outcomes after the last it holds. The head and the device's last
   * sequence number are read on the primary; with a replica, the rest is read there once the replica has replayed
   * them (waiting `replicaWaitMs` at most), so that the answer is the primary's: neither the head nor the device's
   * cursor or last sequence number ever goes back, and a device that just pushed finds its outcomes.
   */
  async pull(query: PullQuery): Promise<PullResponse> {
    const state = await this.#syncState(query.device);
    const replica = await this.#replicaAt(state, query.device);
    // A replica that fails the read (a query cancelled by a recovery conflict, a restart) leaves it to the primary.
    const fromReplica = replica && (await this.#pullFrom(replica, state, query).catch(() => undefined));
    if (fromReplica && !isShort(fromReplica, state, query)) {
      this.#onPull('replica');
      return fromReplica;
    }
    const answer = await this.#pullFrom(this.journal, state, query);
    // A page that misses what the head promises was read while a move removed this copy: the fence says so.
    if (isShort(answer, state, query)) await this.#syncState(query.device);
    this.#onPull('primary');
    return answer;
  }

  /** The journal's sync state on the primary; a `JournalMovedError` on the fence of a moved journal. */
  async #syncState(device: string): Promise<SyncState> {
    const state = await this.journal.syncState(device);
    if (state.movedTo !== undefined) throw new JournalMovedError(this.journal.journalId, state.movedTo);
    return state;
  }

  /** The replica's journal once it has replayed the primary's `state` (within the wait), else `undefined`. */
  async #replicaAt(state: SyncState, device: string): Promise<PostgresJournal | undefined> {
    if (!this.#replica) return undefined;
    const waitUntil = performance.now() + this.#replicaWaitMs;
    for (let pause = 1; ; pause *= 2) {
      if (!this.#replicaJournal) {
        const opening = this.#replica.journal(this.journal.journalId, { create: false });
        opening.catch(() => {
          if (this.#replicaJournal === opening) this.#replicaJournal = undefined;
        });
        this.#replicaJournal = opening;
      }
      const opened = this.#replicaJournal;
      // Each look is bounded by what is left of the wait: a replica that does not answer (its pool full, the
      // network gone) costs a pull no more than `replicaWaitMs`. Not replayed yet (a new journal), or away: the
      // primary answers.
      const replayed = await beforeDeadline(
        opened.then(async (journal) => ({ journal, state: await journal.syncState(device) })),
        waitUntil - performance.now(),
      );
      if (replayed) {
        const { journal, state: there } = replayed;
        if (there.epoch === state.epoch && there.head >= state.head && there.lastSeq >= state.lastSeq && there.movedTo === undefined) return journal;
      }
      const left = waitUntil - performance.now();
      if (left <= 0) return undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }

  /** A pull read from `journal` (the primary, or a replica that has replayed `state`), bounded at `state`. */
  async #pullFrom(journal: PostgresJournal, { head, epoch, lastSeq }: SyncState, { device, after, outcomesAfter, limit }: PullQuery): Promise<PullResponse> {
    // Up to the head read with the device's last sequence number: every outcome up to it is then in this pull's
    // reach, and no event comes without the outcome of its command (written in the same statement).
    const events = after < head ? (await journal.loadAfter(after, limit)).filter((event) => event.position <= head) : [];
    const outcomes = outcomesAfter < lastSeq ? await journal.outcomes(device, outcomesAfter, lastSeq, limit) : [];
    // The id of the event at the device's cursor: another one (or none) means the journal is not the one it followed.
    const [atCursor] = after > 0 ? await journal.loadAfter(after - 1, 1) : [];
    return {
      epoch,
      head,
      lastSeq,
      cursorEventId: atCursor?.position === after ? atCursor.eventId : null,
      events: pageOf(events),
      outcomes: outcomes.map(({ seq, commandId, outcome }) => ({ ...(outcome as object), seq, commandId }) as Outcome),
    };
  }

  /** A pushed command's values decoded and checked as `send` checks them; a malformed one refuses the push. */
  #decoded(wire: PushedCommand): Decodable {
    try {
      const command = decodeValue(wire.command);
      const metadata = wire.metadata === undefined ? undefined : (decodeValue(wire.metadata) as Record<string, unknown>);
      validateCommand(command, { ...(wire.correlationId !== undefined && { correlationId: wire.correlationId }), ...(metadata !== undefined && { metadata }) });
      return { wire, command, metadata };
    } catch (error) {
      // A durable outcome, not a refused push: a command this server cannot read must not block those after it.
      return { wire, command: undefined, metadata: undefined, unreadable: `this server cannot read the command: ${(error as Error).message}` };
    }
  }

  async #push(deviceId: string, commands: readonly Decodable[], expectedEpoch: string | undefined): Promise<PushResponse> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { head, epoch, lastSeq } = await this.#syncState(deviceId);
      // Commands meant for an earlier life of the journal are not decided on this one: the device starts over first.
      if (expectedEpoch !== undefined && expectedEpoch !== epoch) {
        throw new WireError(409, 'epoch-changed', 'the journal was created again since this device last synced: pull, then push again', { epoch });
      }
      const seen = commands.filter(({ wire }) => wire.seq <= lastSeq);
      const fresh = commands.filter(({ wire }) => wire.seq > lastSeq);
      // A refusal read across a move (the state before the fence, the outcomes after the source's copy went) would
      // make the device renumber its outbox for nothing: the fence, read again, says so first.
      const stored = await this.#storedOutcomes(deviceId, seen, lastSeq).catch(async (error: unknown) => {
        await this.#syncState(deviceId);
        throw error;
      });
      if (fresh.length > 0 && fresh[0]!.wire.seq !== lastSeq + 1) {
        await this.#syncState(deviceId);
        throw new WireError(409, 'out-of-order', `the device's next command is ${lastSeq + 1}, not ${fresh[0]!.wire.seq}`, { expectedSeq: lastSeq + 1, lastSeq });
      }
      if (fresh.length === 0) return { epoch, lastSeq, outcomes: stored };
      if (head !== this.#statesAt || this.#states.size > MAX_CACHED_STATES) this.#states = new Map();
      const decided = await this.#decide(fresh, head, await this.#earlierOutcomes(deviceId, fresh));
      let outcomes: Outcome[] = [];
      const committed = await this.journal.commitDecisions({
        base: head,
        writes: decided.writes,
        deviceId,
        lastSeq: fresh.at(-1)!.wire.seq,
        outcomes: (positions) => {
          outcomes = decided.outcomes.map((outcome, i) => {
            const write = decided.writeOf[i];
            if (write === undefined || outcome.status !== 'confirmed') return outcome;
            return { ...outcome, position: positions[write]!.at(-1)!, sequenceNr: decided.writes[write]!.events.at(-1)!.sequenceNr };
          });
          return outcomes.map((outcome) => ({ seq: outcome.seq, commandId: outcome.commandId, outcome: withoutIds(outcome) }));
        },
      });
      if (!committed) {
        this.#statesAt = -1;
        continue;
      }
      // The states decided on are the journal's now, at the head this push left.
      this.#states = decided.states;
      this.#statesAt = head + decided.writes.reduce((sum, { events }) => sum + events.length, 0);
      const written = decided.writes[0];
      if (written && this.#projecting) {
        const [type, ...id] = written.streamId.split(':');
        this.#projecting.refresh(type!, id.join(':'));
      }
      return { epoch, lastSeq: fresh.at(-1)!.wire.seq, outcomes: [...stored, ...outcomes] };
    }
    throw new WireError(503, 'unavailable', 'the journal is too busy to decide this push now; try again', {});
  }

  /** The stored outcomes of commands the server decided already, each checked to be the command pushed again. */
  async #storedOutcomes(deviceId: string, seen: readonly Decodable[], lastSeq: number): Promise<Outcome[]> {
    if (seen.length === 0) return [];
    const first = seen[0]!.wire.seq;
    const rows = await this.journal.outcomes(deviceId, first - 1, seen.at(-1)!.wire.seq, seen.length);
    return seen.map(({ wire }, i) => {
      const row = rows[i];
      if (!row || row.seq !== wire.seq || row.commandId !== wire.commandId) {
        throw new WireError(409, 'sequence-reused', `sequence number ${wire.seq} was decided for another command`, { seq: wire.seq, lastSeq });
      }
      return { ...(row.outcome as object), seq: row.seq, commandId: row.commandId } as Outcome;
    });
  }

  /**
   * The outcomes of commands of `fresh` that the device pushed before under other sequence numbers (a send retried
   * with the same command id after its first try had left the outbox), by command id: decided once, answered again.
   */
  async #earlierOutcomes(deviceId: string, fresh: readonly Decodable[]): Promise<Map<string, object>> {
    const found = await this.journal.outcomesOf(deviceId, fresh.map(({ wire }) => wire.commandId));
    return new Map(found.map(({ commandId, outcome }) => [commandId, outcome as object]));
  }

  /**
   * Decides the commands in order on the journal at `head`, each entity's state read once (or kept from the last
   * push) and carried from command to command. Returns one write per command with events, and every outcome.
   */
  async #decide(commands: readonly Decodable[], head: number, earlier: ReadonlyMap<string, object>) {
    const states = new Map(this.#states);
    const writes: StreamWrite[] = [];
    const outcomes: Outcome[] = [];
    /** The index in `writes` of each outcome's events, if it has any. */
    const writeOf: (number | undefined)[] = [];
    /** The command ids of this push, for one that comes twice in it (an outbox never holds two). */
    const seen = new Set<string>();
    for (const { wire, command, metadata, unreadable } of commands) {
      const ids = { seq: wire.seq, commandId: wire.commandId };
      if (seen.has(wire.commandId)) {
        outcomes.push({ ...ids, status: 'failed', reason: 'the command id came twice in one push' });
        writeOf.push(undefined);
        continue;
      }
      seen.add(wire.commandId);
      const again = earlier.get(wire.commandId);
      if (again) {
        // The same command once more: its first outcome, and nothing stored again (its events are the first's).
        outcomes.push({ ...again, ...ids } as Outcome);
        writeOf.push(undefined);
        continue;
      }
      if (unreadable !== undefined) {
        outcomes.push({ ...ids, status: 'unsupported', reason: unreadable });
        writeOf.push(undefined);
        continue;
      }
      const definition: AnyEntityDefinition | undefined = Object.hasOwn(this.#entities, wire.type) ? this.#entities[wire.type] : undefined;
      const schema = this.#schemas.get(wire.type);
      if (!definition || !schema) {
        outcomes.push({ ...ids, status: 'unsupported', reason: `this server does not serve the entity type "${wire.type}"` });
        writeOf.push(undefined);
        continue;
      }
      const unknown = unknownPrediction(schema, wire);
      if (unknown) {
        outcomes.push({ ...ids, status: 'unsupported', reason: unknown });
        writeOf.push(undefined);
        continue;
      }
      const streamId = streamIdOf(wire.type, wire.id);
      let base = states.get(streamId);
      if (!base) {
        base = await recover(this.journal, streamId, definition, { schema });
        states.set(streamId, base);
      }
      try {
        const options = { ...(wire.correlationId !== undefined && { correlationId: wire.correlationId }), ...(metadata !== undefined && { metadata }) };
        const context = { streamId, definition, schema, clock: this.#clock };
        const { events, after } = decideCommand(context, base, command, wire.commandId, options);
        states.set(streamId, after);
        if (events.length === 0) {
          outcomes.push({ ...ids, status: 'confirmed', events: 0, position: 0, sequenceNr: 0 });
          writeOf.push(undefined);
          continue;
        }
        const snapshot = snapshotOf(definition, schema, base.sequenceNr, after, this.#clock);
        writes.push({ streamId, events, ...(snapshot && { snapshot }) });
        outcomes.push({ ...ids, status: 'confirmed', events: events.length, position: 0, sequenceNr: 0 });
        writeOf.push(writes.length - 1);
      } catch (error) {
        if (isEventfoldError(error, 'rejected')) outcomes.push({ ...ids, status: 'rejected', reason: error.reason });
        else if (isEventfoldError(error)) outcomes.push({ ...ids, status: 'failed', reason: `${error.code}: ${error.message}` });
        else throw error;
        writeOf.push(undefined);
      }
    }
    return { writes, outcomes, writeOf, states, head };
  }
}

/** Why a command's predicted events say the device runs a schema this server does not know, if they do. */
function unknownPrediction(schema: EntitySchema, wire: PushedCommand): string | undefined {
  for (const { type, schemaVersion } of wire.predicted ?? []) {
    let known: number;
    try {
      known = schema.versionOf(streamIdOf(wire.type, wire.id), type);
    } catch {
      return `this server does not know the event type "${type}" (the device runs a newer version of the app?)`;
    }
    if (schemaVersion > known) return `this server knows the event type "${type}" up to version ${known}, not ${schemaVersion}`;
  }
  return undefined;
}

/** The snapshot the entity's policy asks for after a command, as the runtime would take it; none when it cannot be. */
function snapshotOf(
  definition: AnyEntityDefinition,
  schema: EntitySchema,
  previousSequenceNr: number,
  after: Versioned<unknown>,
  clock: () => number,
): Snapshot | undefined {
  try {
    if (!definition.snapshotPolicy?.shouldSnapshot({ previousSequenceNr, ...after })) return undefined;
    return { sequenceNr: after.sequenceNr, state: after.state, timestamp: clock(), schemaVersion: schema.stateVersion };
  } catch {
    // The events matter, a snapshot is an optimisation.
    return undefined;
  }
}

/** An outcome as stored: its sequence number and command id are columns of their own. */
function withoutIds({ seq: _seq, commandId: _commandId, ...rest }: Outcome): object {
  return rest;
}

/** The bytes of events one pull answers with at most (at least one event): a page of large events stays bounded. */
const PULL_BYTES = 4 << 20;

/** The events as sent, as many of them as fit in `PULL_BYTES`; the device pulls on from the last one. */
function pageOf(events: readonly (PersistedEvent & StreamOf)[]): WireEvent[] {
  const page: WireEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const wire: WireEvent = {
      position: event.position,
      streamId: event.streamId,
      sequenceNr: event.sequenceNr,
      eventId: event.eventId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      event: encodeValue(event.event, 'event'),
      metadata: encodeValue(event.metadata, 'metadata'),
      timestamp: event.timestamp,
    };
    bytes += JSON.stringify(wire).length;
    if (bytes > PULL_BYTES && page.length > 0) break;
    page.push(wire);
  }
  return page;
}

/**
 * Whether a pull's answer misses what the state it was bounded at promises: an event after the cursor, the event at
 * the cursor, an outcome after the device's last. Read from a replica, the primary answers instead; read from the
 * primary, a move removed the copy under it, and its fence says so.
 */
function isShort(answer: PullResponse, state: SyncState, { after, outcomesAfter }: PullQuery): boolean {
  return (
    (after < state.head && answer.events.length === 0) ||
    (after > 0 && after <= state.head && answer.cursorEventId === null) ||
    (outcomesAfter < state.lastSeq && answer.outcomes.length === 0)
  );
}

/** What `promise` resolves with within `ms`; `undefined` if it rejects or takes longer (its outcome then ignored). */
function beforeDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) {
    promise.catch(() => {});
    return Promise.resolve(undefined);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  return Promise.race([promise.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}
