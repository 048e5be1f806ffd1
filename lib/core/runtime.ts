import { type CommandOptions, type CommandResult, validateCommand } from './command.ts';
import type { AnyEntityDefinition, CommandOf, EntityDefinitions, EventOf, StateOf } from './entity.ts';
import { type EntityChange, type EntityContext, EntityInstance } from './entity-instance.ts';
import { ClosedError, InvalidArgumentError } from './errors.ts';
import { DEFAULT_MAX_BYTES_PER_TRANSACTION, DEFAULT_MAX_EVENTS_PER_TRANSACTION, GroupCommit } from './group-commit.ts';
import type { EntityLock, EventJournal, PersistedEvent } from './journal.ts';
import { assertReached, assertStoredEvents, DEFAULT_PAGE_SIZE, readAll, rebuild, type Recovered, type Versioned } from './replay.ts';
import type { AnyDefinedProjection, DocumentQuery } from './projection.ts';
import { kitOf } from './projection-kit.ts';
import type { ProjectionRunner, ProjectionStatus, ReadModel } from './projection-runner.ts';
import { EntitySchema } from './schema.ts';
import { streamIdOf } from './stream-id.ts';
import { assertEntityId, assertRange, assertSequenceNr, assertTail, describe, invalidArgument, MAX_ENTITY_TYPE_LENGTH } from './validation.ts';


/**
 * Where an error the runtime cannot hand to a caller came from. None of them changes the outcome of a command: what
 * runs after a write is stored (subscribers, `onWrite`) cannot make it fail, nor keep other commands from settling.
 */
export interface RuntimeErrorContext {
  /** The entity concerned, when there is one. */
  readonly streamId?: string;
  /** The projection concerned, for its subscribers. */
  readonly projection?: string;
  /**
   * `snapshot`: a snapshot could not be taken (the events were written without it); `listener`: a subscriber (of an
   * entity or a projection) threw; `on-write`: the `onWrite` hook threw; `after-commit`: something else that runs
   * once a write is stored threw; `snapshot-ignored`: a stored snapshot was not used — its state fails its
   * checksum, it lies beyond its stream, or its migration threw — and the state was rebuilt from the events instead;
   * `lock`: the entity's lock could not be taken (see `RuntimeOptions.lock`), and it decided without it.
   */
  readonly during: 'snapshot' | 'listener' | 'on-write' | 'after-commit' | 'snapshot-ignored' | 'lock';
}

/** Options of `createRuntime`. */
export interface RuntimeOptions<D extends EntityDefinitions> {
  /** Where events and snapshots are stored. The runtime does not close it. */
  journal: EventJournal;
  /** The entity types served, by name. A name may not contain `:`, and has at most 128 characters. */
  entities: D;
  /**
   * How often a command is decided again after losing a race to another writer (another tab, say). Default 10;
   * while its entity holds the `lock`, where only writers that do not take it can win, up to 100.
   */
  maxConflictRetries?: number;
  /**
   * A lock per entity shared by every runtime that writes to the journal (`exposeRuntime` passes a Web Lock, which
   * the tabs of a browser share). An entity that lost a race takes it before deciding, for a few seconds after:
   * runtimes that hold it never race each other, so under contention a command waits its turn instead of failing
   * with a `ConflictError`; without contention nothing is locked. Default: the journal's own `lock`, if it has one;
   * `null`: none, not even the journal's.
   */
  lock?: EntityLock | null;
  /** Events read per journal call during recovery. Default 2,500. */
  pageSize?: number;
  /**
   * The most events one transaction holds: under sustained load, the commands that pile up while a transaction is
   * in flight go in several, so that one failure (a full quota, say) takes only its own commands with it. A single
   * command with more events still goes, alone. Default 1,000.
   */
  maxEventsPerTransaction?: number;
  /** The most bytes of events (strings at 2 bytes a character) one transaction holds, likewise. Default 4 MiB. */
  maxBytesPerTransaction?: number;
  /** The clock that stamps events and snapshots, and times passivation. Default `Date.now`. */
  clock?: () => number;
  /** Idle entities (nothing queued, no subscriber) are dropped from memory after this long. Default 60 s. */
  passivateAfterMs?: number;
  /** Called with errors that no caller can receive (see `RuntimeErrorContext`). Must not throw. Default: ignore. */
  onError?: (error: unknown, context: RuntimeErrorContext) => void;
  /** Called after each write of this runtime is durable: to tell other tabs, for instance. */
  onWrite?: (write: { type: string; id: string; sequenceNr: number }) => void;
  /**
   * The read models kept from the events, each under a unique name: inline ones are updated in the transactions of
   * the commands, catch-up ones right after. Each catches up from its checkpoint when the runtime starts. Each is
   * made with `defineProjection`; a plain object is refused with an `InvalidArgumentError`.
   */
  projections?: readonly AnyDefinedProjection[];
}

/** A change of one entity, as subscribers receive it. */
export type { EntityChange, EntityLock, ReadModel };

/**
 * Hosts event-sourced entities over a journal.
 *
 * An entity is recovered on first use (newest snapshot, then the events after it, in pages) and then decides its
 * commands one at a time, in arrival order; entities never wait for each other. The events of commands that
 * arrive while a write is in flight are written together in the next transaction (group commit). A command
 * resolves once its events are durable, and fails with a typed error otherwise, leaving the entity's state as it
 * was. Idle entities are passivated, so memory stays bounded however many entities are used.
 */
export class EntityRuntime<D extends EntityDefinitions> {
  readonly #journal: EventJournal;
  readonly #definitions: D;
  readonly #schemas = new Map<string, EntitySchema>();
  readonly #instances = new Map<string, EntityInstance<unknown, unknown, unknown>>();
  readonly #passivateAfterMs: number;
  readonly #clock: () => number;
  readonly #pageSize: number;
  readonly #context: (type: string, id: string) => EntityContext;
  readonly #projections = new Map<string, ProjectionRunner>();
  #lastSweep: number;
  #closed = false;

  constructor(options: RuntimeOptions<D>) {
    for (const type of Object.keys(options.entities)) {
      if (type === '' || type.includes(':') || type.length > MAX_ENTITY_TYPE_LENGTH) {
        throw invalidArgument('entities', `non-empty, free of ":" and at most ${MAX_ENTITY_TYPE_LENGTH} characters`, type, 'Entity type names');
      }
    }
    for (const [type, definition] of Object.entries(options.entities)) this.#schemas.set(type, new EntitySchema(type, definition));
    this.#journal = options.journal;
    this.#definitions = options.entities;
    this.#clock = options.clock ?? Date.now;
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.#passivateAfterMs = options.passivateAfterMs ?? 60_000;
    this.#lastSweep = this.#clock();
    const { onWrite } = options;
    const onError = (error: unknown, context: RuntimeErrorContext) => {
      try {
        options.onError?.(error, context);
      } catch {
        // An onError that throws has nowhere left to report to; it must not break what called it.
      }
    };
    const guarded = (call: () => void, context: RuntimeErrorContext) => {
      try {
        call();
      } catch (error) {
        onError(error, context);
      }
    };
    const projections = options.projections ?? [];
    if (!Array.isArray(projections)) throw invalidArgument('projections', 'an array', projections);
    // The runners come with the projections (see `ProjectionKit`): a runtime without any ships none.
    const inline =
      projections.length === 0
        ? []
        : kitOf(projections[0]).createRunners(projections, this.#projections, {
            journal: options.journal,
            pageSize: this.#pageSize,
            onError: (error, projection) => onError(error, { projection, during: 'listener' }),
          });
    const limits = {
      maxEvents: options.maxEventsPerTransaction ?? DEFAULT_MAX_EVENTS_PER_TRANSACTION,
      maxBytes: options.maxBytesPerTransaction ?? DEFAULT_MAX_BYTES_PER_TRANSACTION,
    };
    assertSequenceNr(limits.maxEvents, 'maxEventsPerTransaction');
    assertSequenceNr(limits.maxBytes, 'maxBytesPerTransaction');
    const writer = new GroupCommit(options.journal, inline.length > 0 ? { projections: inline } : {}, limits, (error) =>
      onError(error, { during: 'after-commit' }),
    );
    this.#context = (type, id) => ({
      journal: options.journal,
      writer,
      maxConflictRetries: options.maxConflictRetries ?? 10,
      pageSize: this.#pageSize,
      clock: this.#clock,
      schema: this.#schemas.get(type)!,
      onError: (error, during) => onError(error, { streamId: streamIdOf(type, id), during }),
      ...(lockOf(options) && { lock: lockOf(options) }),
      onWritten: (sequenceNr, positions, projected) => {
        const streamId = streamIdOf(type, id);
        for (const runner of this.#projections.values()) {
          guarded(() => runner.wrote(positions.at(-1)!, projected?.get(runner.projection.name)), { streamId, during: 'after-commit' });
        }
        if (onWrite) guarded(() => onWrite({ type, id, sequenceNr }), { streamId, during: 'on-write' });
      },
    });
    this.#catchUpProjections();
  }

  /**
   * Sends a command to an entity and resolves when its events are durable.
   *
   * Rejects with a typed error, leaving the entity usable: `rejected` (the decider refused, with its reason),
   * `conflict` (an expected version did not hold, or another writer kept winning), `handler-failed` (`decide`,
   * `evolve` or an upcaster threw, or returned what it must not, such as a Promise), `not-cloneable` (an event
   * holds a function, a symbol, a class instance…), `idempotency-key-reused`, `unknown-event-type` (a stored event this build cannot read), `stream-too-long`,
   * `storage-failed`, `invalid-argument` (an unknown entity type, a malformed id or option) or `closed`.
   */
  send<K extends keyof D & string>(
    type: K,
    id: string,
    command: CommandOf<D[K]>,
    options: CommandOptions = {},
  ): Promise<CommandResult<StateOf<D[K]>, EventOf<D[K]>>> {
    return this.#call(type, id, (instance) => {
      validateCommand(command, options);
      return instance.execute(command, options);
    }) as Promise<
      CommandResult<StateOf<D[K]>, EventOf<D[K]>>
    >;
  }

  /**
   * The entity's current state and sequence number, after the commands sent to it before this call, and after
   * any events another writer appended to the journal since.
   */
  state<K extends keyof D & string>(type: K, id: string): Promise<Versioned<StateOf<D[K]>>> {
    return this.#call(type, id, (instance) => instance.read()) as Promise<Versioned<StateOf<D[K]>>>;
  }

  /**
   * Calls `listener` with the entity's new events and state after each of its writes, and after it catches up with
   * events of other writers (see `refresh`). The entity stays in memory while it has subscribers. Returns the
   * function that unsubscribes.
   */
  subscribe<K extends keyof D & string>(
    type: K,
    id: string,
    listener: (change: EntityChange<StateOf<D[K]>, EventOf<D[K]>>) => void,
  ): () => void {
    this.#assertOpen();
    return this.#instance(type, id).subscribe(listener as (change: EntityChange<unknown, unknown>) => void);
  }

  /**
   * Tells the runtime that another writer may have appended to an entity: if the entity is in memory, it catches
   * up with the journal and its subscribers hear of the new events. Entities not in memory need nothing.
   */
  refresh(type: keyof D & string, id: string): void {
    if (this.#closed) return;
    this.#catchUpProjections();
    const instance = this.#instances.get(streamIdOf(type, id));
    if (!instance) return;
    instance.read().catch(() => {
      // A failed catch-up is tried again by the next call that needs the state; nobody waits for this one.
    });
  }

  /**
   * The entity's state as it was after event `sequenceNr` (time travel): folded from the newest snapshot at or
   * below it, never from the start when such a snapshot exists. A number beyond the stream gives the newest state.
   */
  async stateAt<K extends keyof D & string>(type: K, id: string, sequenceNr: number): Promise<Versioned<StateOf<D[K]>>> {
    const { state, sequenceNr: reached } = await this.historyAt(type, id, sequenceNr, 0);
    return { state, sequenceNr: reached };
  }

  /**
   * `stateAt`, with the `tail` events leading to the state (at most `MAX_HISTORY_WINDOW`, 10,000), read with the
   * fold's own events: one journal read for what a history slider shows at a position.
   */
  async historyAt<K extends keyof D & string>(
    type: K,
    id: string,
    sequenceNr: number,
    tail: number,
  ): Promise<Recovered<StateOf<D[K]>, EventOf<D[K]>>> {
    const definition = this.#definition(type, id);
    assertSequenceNr(sequenceNr, 'sequenceNr', 0);
    assertTail(tail);
    return rebuild(this.#journal, streamIdOf(type, id), definition, {
      upTo: sequenceNr,
      pageSize: this.#pageSize,
      schema: this.#schemas.get(type)!,
      tail,
    }) as Promise<Recovered<StateOf<D[K]>, EventOf<D[K]>>>;
  }

  /** The entity's stored events with `from <= sequenceNr <= to`, ascending, upcast to their current versions. */
  async events<K extends keyof D & string>(
    type: K,
    id: string,
    from = 1,
    to?: number,
  ): Promise<PersistedEvent<EventOf<D[K]>>[]> {
    this.#definition(type, id);
    assertRange(from, to);
    const streamId = streamIdOf(type, id);
    const events = await this.#journal.load(streamId, from, to);
    assertStoredEvents(streamId, events, from);
    // Read to the end, a range has no end to fall short of; read to `to`, an event missing just before it shows here.
    if (to !== undefined) await assertReached(this.#journal, streamId, events.at(-1)?.sequenceNr ?? from - 1, to);
    return readAll(this.#schemas.get(type)!, streamId, events);
  }

  /** The ids of the entities of a type that have events, in ascending order. */
  async entityIds(type: keyof D & string): Promise<string[]> {
    this.#assertOpen();
    this.#assertType(type);
    const prefix = streamIdOf(type, '');
    return (await this.#journal.streamIds(prefix)).map((streamId) => streamId.slice(prefix.length));
  }

  /** The sequence numbers of the entity's stored snapshots, ascending. */
  async snapshots(type: keyof D & string, id: string): Promise<number[]> {
    this.#definition(type, id);
    return this.#journal.listSnapshots(streamIdOf(type, id));
  }

  /**
   * Documents of a read model, by ids or id prefix, in ascending order of id, with the position they reflect.
   * During a rebuild, the documents from before it (inline projections keep them up to date), with the rebuild's
   * progress in `rebuilding`, until the rebuilt documents replace them at once. Rejects with a
   * `ProjectionRebuildingError` when there is nothing to serve yet: a projection new to a journal with history
   * (or one rebuilt before it had applied any event) is being built, and reads wait for the whole of it. Rejects with
   * an `InvalidArgumentError` for a projection this runtime does not have.
   */
  async readModel<Doc = unknown>(projection: string, query: DocumentQuery = {}): Promise<ReadModel<Doc>> {
    return this.#runner(projection).read<Doc>(query);
  }

  /** Where a projection stands: live, catching up, rebuilding (with progress) or failed (with the error). */
  projectionStatus(projection: string): ProjectionStatus {
    return this.#runner(projection).status;
  }

  /**
   * Calls `listener` with the projection's status whenever it changes, and whenever its read model may have
   * changed. Returns the function that unsubscribes.
   */
  subscribeProjection(projection: string, listener: (status: ProjectionStatus) => void): () => void {
    return this.#runner(projection).subscribe(listener);
  }

  /**
   * Rebuilds a read model from the first event into a shadow copy, which replaces the served documents in one
   * transaction once it has caught up with them; reads are served the previous documents meanwhile, and subscribers
   * follow the progress. Resolves with the final status: live, or failed on an event the projection throws on (the
   * previous documents are still served then). Also the way to resume a failed projection once it is fixed. A
   * rebuild cut short (a reload, a closed tab) is resumed by the next runtime on the journal.
   */
  async rebuildProjection(projection: string): Promise<ProjectionStatus> {
    const runner = this.#runner(projection);
    await runner.rebuild();
    return runner.status;
  }

  /** How many entities are in memory now. */
  get activeEntities(): number {
    return this.#instances.size;
  }

  /** Stops accepting calls and waits for the ones under way. The journal stays open. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#instances.values()].map((instance) => instance.settled()));
    this.#instances.clear();
    await Promise.all([...this.#projections.values()].map((runner) => runner.settled()));
  }

  /** Brings every projection up to the journal's head, in the background. */
  #catchUpProjections(): void {
    for (const runner of this.#projections.values()) void runner.catchUp();
  }

  #runner(projection: string): ProjectionRunner {
    this.#assertOpen();
    const runner = this.#projections.get(projection);
    if (!runner) {
      const known = [...this.#projections.keys()].join(', ') || 'none';
      throw new InvalidArgumentError(`Unknown projection ${describe(projection)}; this runtime has: ${known}`, 'projection');
    }
    return runner;
  }

  #call<T>(type: string, id: string, call: (instance: EntityInstance<unknown, unknown, unknown>) => Promise<T>): Promise<T> {
    try {
      this.#assertOpen();
      return call(this.#instance(type, id));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #instance(type: string, id: string): EntityInstance<unknown, unknown, unknown> {
    const definition = this.#definition(type, id);
    const streamId = streamIdOf(type, id);
    let instance = this.#instances.get(streamId);
    if (!instance) {
      this.#passivateIdle();
      instance = new EntityInstance(streamId, definition, this.#context(type, id));
      this.#instances.set(streamId, instance);
    }
    return instance;
  }

  /** Drops entities that have been idle for `passivateAfterMs`. Runs as entities activate, at most twice a period. */
  #passivateIdle(): void {
    const now = this.#clock();
    if (now - this.#lastSweep < this.#passivateAfterMs / 2) return;
    this.#lastSweep = now;
    for (const [streamId, instance] of this.#instances) {
      if (instance.idle && now - instance.lastActive >= this.#passivateAfterMs) this.#instances.delete(streamId);
    }
  }

  #definition(type: string, id: string): AnyEntityDefinition {
    this.#assertOpen();
    this.#assertType(type);
    assertEntityId(id);
    return this.#definitions[type]!;
  }

  #assertType(type: string): void {
    if (typeof type !== 'string' || !Object.hasOwn(this.#definitions, type)) {
      const known = Object.keys(this.#definitions).join(', ');
      throw new InvalidArgumentError(`Unknown entity type ${describe(type)}; this runtime serves: ${known}`, 'type');
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError('The runtime');
  }
}

/** Creates an entity runtime; see `EntityRuntime`. */
export function createRuntime<D extends EntityDefinitions>(options: RuntimeOptions<D>): EntityRuntime<D> {
  return new EntityRuntime(options);
}

/** The lock a runtime's entities take: its own, else its journal's, unless it was told to take none. */
function lockOf({ lock, journal }: Pick<RuntimeOptions<EntityDefinitions>, 'lock' | 'journal'>): EntityLock | undefined {
  return lock === null ? undefined : (lock ?? journal.lock);
}
