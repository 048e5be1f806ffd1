import type { CommandOptions, CommandResult } from './command.ts';
import { type DecisionContext, decideCommand, type Positioned } from './decision.ts';
import { type EntityDefinition, matchesExpectedVersion } from './entity.ts';
import { ConflictError, IdempotencyKeyReusedError, isEventfoldError, StorageError } from './errors.ts';
import type { GroupCommit, PendingWrite, WriteOutcome } from './group-commit.ts';
import { fingerprintOf, randomId } from './identity.ts';
import type { EntityLock, EventJournal, IdempotencyRecord, PersistedEvent, Snapshot, StoredOutcome, StreamWrite } from './journal.ts';
import { foldEvents, readAll, readPages, recover, type Versioned } from './replay.ts';
import type { EntitySchema } from './schema.ts';
import { assertCloneable } from './validation.ts';

/** New events of an entity and the state after them: its own commits, or events another writer appended. */
export interface EntityChange<S, E> {
  /** The new events, in their order. */
  readonly events: readonly PersistedEvent<E>[];
  /** The entity's state after them. */
  readonly state: S;
  /** The sequence number of the last of them: the stream's new head. */
  readonly sequenceNr: number;
}

/** What an entity needs from its runtime. */
export interface EntityContext {
  readonly journal: EventJournal;
  readonly writer: GroupCommit;
  readonly maxConflictRetries: number;
  readonly pageSize: number;
  readonly clock: () => number;
  readonly schema: EntitySchema;
  readonly onError: (error: unknown, during: 'snapshot' | 'listener' | 'snapshot-ignored' | 'lock') => void;
  /**
   * After each committed write with events: the stream's new head, the global positions of the events, and the
   * inline projections the journal updated with them (`StoredOutcome.projected`).
   */
  readonly onWritten: (sequenceNr: number, positions: readonly number[], projected?: StoredOutcome['projected']) => void;
  /** The lock that writers of other runtimes on the same journal take too, if there is one (see `EntityLock`). */
  readonly lock?: EntityLock;
}


/** How long an entity that lost a race keeps taking its lock before each decision, by the runtime's clock. */
const CONTENDED_FOR_MS = 5000;
/** Races a command may lose while its entity holds the lock: only writers that do not take it can still win. */
const MAX_LOCKED_ATTEMPTS = 100;
/**
 * How long an entity goes on deciding under one hold of its lock: past it, it lets its writes settle, releases the
 * lock and asks for it again, behind the other writers waiting for it, so that a busy tab cannot starve the others.
 */
const HOLD_FOR_MS = 100;

/** A call waiting in an entity's inbox. */
type Ticket<C> =
  | CommandTicket<C>
  /** Resolves with the durable state, after catching up with the journal when nothing of ours is in flight. */
  | { kind: 'read'; caughtUp: boolean; settle: Settle }
  /** Resolves once everything enqueued before it has settled. */
  | { kind: 'barrier'; settle: Settle };

interface CommandTicket<C> {
  kind: 'command';
  command: C;
  options: CommandOptions;
  commandId: string;
  /** Of the command, when it has an idempotency key. */
  fingerprint?: string;
  /** Whether the journal was searched for the idempotency key since the ticket was last (re)queued. */
  keyChecked?: boolean;
  /** The result of the command that first used the key, found in the journal. */
  original?: CommandResult<unknown, unknown>;
  /** The result the ticket resolved with: what a retry with the same key, decided meanwhile, resolves with too. */
  result?: CommandResult<unknown, unknown>;
  attempts: number;
  /** Set when a projection failed on a write this command shared: it goes in a write of its own, to find the culprit. */
  alone?: boolean;
  settle: Settle;
}

interface Settle {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A decided ticket, settled when the write it waits for settles. */
interface Decided<C> {
  ticket: Ticket<C>;
  /** True when the ticket's own events are in the write. */
  wrote: boolean;
  outcome: { value: unknown } | { error: unknown } | { sameAs: CommandTicket<C> };
}

/**
 * One live entity.
 *
 * Commands are decided one at a time, in arrival order, on the *speculative* state: the durable state plus the
 * events already decided but not yet written. Their events join the entity's pending write, which the group commit
 * sends with the writes of other entities. A command settles only when the write holding it (or, for a rejection,
 * the writes before it) has settled; when a write fails, everything decided on top of it is decided again, so no
 * caller ever sees an outcome based on events that were not stored.
 */
export class EntityInstance<S, C, E> {
  #durable: Versioned<S> | undefined;
  #speculative: Versioned<S> | undefined;
  /** The journal may hold events we have not folded: catch up before the next decision. */
  #stale = false;
  readonly #inbox: Ticket<C>[] = [];
  /** Writes not yet settled, oldest first: at most one in flight and one still collecting. */
  readonly #writes: EntityWrite<S, C, E>[] = [];
  #draining = false;
  /** Until when, after a lost race, the entity decides only while holding its lock. */
  #contendedUntil = Number.NEGATIVE_INFINITY;
  /** Lets the lock go, while the entity holds it. */
  #release: (() => void) | undefined;
  /** When the entity took the lock it holds, by the runtime's clock. */
  #lockedAt = 0;
  /** Resolves the wait for the entity's writes to have settled. */
  #drained: (() => void) | undefined;
  readonly #listeners = new Set<(change: EntityChange<S, E>) => void>();
  /** Idempotency keys of the commands in unsettled writes. */
  readonly #pendingKeys = new Map<string, CommandTicket<C>>();
  /** When the entity last had something to do, by the runtime's clock. */
  lastActive: number;
  readonly #decision: DecisionContext<S, C, E>;

  constructor(
    readonly streamId: string,
    readonly definition: EntityDefinition<S, C, E>,
    private readonly context: EntityContext,
  ) {
    this.lastActive = context.clock();
    this.#decision = { streamId, definition, schema: context.schema, clock: context.clock };
  }

  /** True when the entity holds nothing but its state, and may be passivated. */
  get idle(): boolean {
    return !this.#draining && this.#inbox.length === 0 && this.#writes.length === 0 && this.#listeners.size === 0;
  }

  /** Decides and writes a command; resolves once its events are durable. */
  execute(command: C, options: CommandOptions): Promise<CommandResult<S, E>> {
    const { commandId = randomId(), idempotencyKey } = options;
    const fingerprint = idempotencyKey === undefined ? undefined : fingerprintOf(command);
    return this.#enqueue((settle) => ({ kind: 'command', command, options, commandId, fingerprint, attempts: 0, settle }));
  }

  /** The durable state after everything sent before, including events other writers appended. */
  read(): Promise<Versioned<S>> {
    return this.#enqueue((settle) => ({ kind: 'read', caughtUp: false, settle }));
  }

  /** Resolves once everything enqueued before it has settled, whatever the outcomes. */
  settled(): Promise<void> {
    if (this.#inbox.length === 0 && this.#writes.length === 0 && !this.#draining) return Promise.resolve();
    return this.#enqueue<void>((settle) => ({ kind: 'barrier', settle })).catch(() => {});
  }

  /** Calls `listener` with every change of the entity until the returned function is called. */
  subscribe(listener: (change: EntityChange<S, E>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #enqueue<T>(ticket: (settle: Settle) => Ticket<C>): Promise<T> {
    this.lastActive = this.context.clock();
    return new Promise<T>((resolve, reject) => {
      this.#inbox.push(ticket({ resolve: resolve as (value: unknown) => void, reject }));
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#inbox.length > 0) {
        if (this.#mustLock()) {
          await this.#lock();
          continue;
        }
        if (this.#release && this.context.clock() - this.#lockedAt > HOLD_FOR_MS) {
          await this.#writesSettled();
          this.#unlock();
          continue;
        }
        if (this.#durable === undefined || this.#stale) {
          // This catch-up reads the journal after every read now waiting was asked for: it serves them too.
          for (const ticket of this.#inbox) if (ticket.kind === 'read') ticket.caughtUp = true;
          try {
            await this.#catchUp();
          } catch (error) {
            // Nothing can be decided without the state: fail what waits, and try again on the next call.
            for (const ticket of this.#inbox.splice(0)) ticket.settle.reject(error);
          }
          continue;
        }
        const next = this.#inbox[0]!;
        if (next.kind === 'command' && next.fingerprint !== undefined && !next.keyChecked) {
          await this.#checkKey(next);
          continue;
        }
        this.#handle(this.#inbox.shift()!);
      }
    } finally {
      this.#draining = false;
      this.#unlockIfDone();
    }
  }

  /**
   * Whether the next decision waits for the entity's lock: when another writer of the journal won a race lately.
   * Writers that hold the lock do not race each other, so the common path pays nothing and contention costs a wait
   * instead of a failed transaction.
   */
  #mustLock(): boolean {
    return (
      this.context.lock !== undefined &&
      this.#release === undefined &&
      this.#inbox[0]!.kind === 'command' &&
      this.context.clock() < this.#contendedUntil
    );
  }

  async #lock(): Promise<void> {
    await new Promise<void>((granted) => {
      const work = () =>
        new Promise<void>((release) => {
          this.#release = release;
          this.#lockedAt = this.context.clock();
          granted();
        });
      // No lock to be had: decide optimistically, as without one.
      const refused = (error: unknown) => {
        this.#contendedUntil = Number.NEGATIVE_INFINITY;
        this.context.onError(error, 'lock');
        granted();
      };
      try {
        // A lock that settles without running `work` leaves the entity to decide without it.
        this.context.lock!(this.streamId, work).then(granted, refused);
      } catch (error) {
        refused(error);
      }
    });
    // Others wrote while we waited: read what they wrote before deciding.
    this.#stale = true;
  }

  /** Lets the lock go once nothing of the entity's is waiting or in flight. */
  #unlockIfDone(): void {
    if (this.#draining || this.#inbox.length > 0 || this.#writes.length > 0) return;
    this.#unlock();
  }

  #unlock(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  /** Resolves once none of the entity's writes is waiting or in flight. */
  #writesSettled(): Promise<void> {
    if (this.#writes.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }

  /** Ends the wait of `#writesSettled`, when it is over. */
  #noteSettled(): void {
    if (this.#writes.length > 0 || !this.#drained) return;
    const drained = this.#drained;
    this.#drained = undefined;
    drained();
  }

  #handle(ticket: Ticket<C>): void {
    switch (ticket.kind) {
      case 'command':
        return this.#decide(ticket);
      case 'read':
        if (this.#writes.length === 0 && !ticket.caughtUp) {
          ticket.caughtUp = true;
          this.#stale = true;
          this.#inbox.unshift(ticket);
          return;
        }
        return this.#after(ticket, { value: undefined });
      case 'barrier':
        return this.#after(ticket, { value: undefined });
    }
  }

  /**
   * Looks for the command's idempotency key in the journal, unless a write of ours holds it, and notes the original
   * result when it is there. A key that another command used fails the ticket.
   */
  async #checkKey(ticket: CommandTicket<C>): Promise<void> {
    const key = ticket.options.idempotencyKey!;
    try {
      if (!this.#pendingKeys.has(key)) {
        const record = await this.context.journal.findIdempotencyRecord(this.streamId, key);
        if (record && record.fingerprint !== ticket.fingerprint) throw new IdempotencyKeyReusedError(this.streamId, key);
        ticket.original = record && (await this.#resultOf(record));
      }
      ticket.keyChecked = true;
    } catch (error) {
      // Settled here: the inbox may have changed while the journal was read.
      const at = this.#inbox.indexOf(ticket);
      if (at >= 0) this.#inbox.splice(at, 1);
      ticket.settle.reject(isEventfoldError(error) ? error : new StorageError('idempotency check', error));
    }
  }

  /** What the command that stored `record` resolved with: its events, and the state after them. */
  async #resultOf(record: IdempotencyRecord): Promise<CommandResult<unknown, unknown>> {
    const { journal, pageSize, schema } = this.context;
    const { fromSequenceNr: from, toSequenceNr: to } = record;
    const stored = from <= to ? await journal.load(this.streamId, from, to) : [];
    const events = readAll<E>(schema, this.streamId, stored);
    const { state } = await recover(journal, this.streamId, this.definition, { upTo: to, pageSize, schema });
    return { state, sequenceNr: to, events };
  }

  #decide(ticket: CommandTicket<C>): void {
    const base = this.#speculative!;
    try {
      const { expectedVersion = 'any', idempotencyKey: key } = ticket.options;
      if (ticket.original) return this.#after(ticket, { value: ticket.original });
      const earlier = key === undefined ? undefined : this.#pendingKeys.get(key);
      if (earlier) {
        if (earlier.fingerprint !== ticket.fingerprint) throw new IdempotencyKeyReusedError(this.streamId, key!);
        return this.#after(ticket, { sameAs: earlier });
      }
      if (!matchesExpectedVersion(expectedVersion, base.sequenceNr)) {
        const expected = expectedVersion as number | 'no-stream' | 'stream-exists';
        throw new ConflictError(this.streamId, expected, base.sequenceNr, 'expected version');
      }
      const { events: persisted, after, bytes } = decideCommand(this.#decision, base, ticket.command, ticket.commandId, ticket.options);
      if (persisted.length === 0 && key === undefined) return this.#after(ticket, { value: { ...base, events: [] } });
      this.#speculative = after;
      const record: IdempotencyRecord | undefined = key === undefined ? undefined : {
        key,
        fingerprint: ticket.fingerprint!,
        commandId: ticket.commandId,
        fromSequenceNr: base.sequenceNr + 1,
        toSequenceNr: this.#speculative.sequenceNr,
        timestamp: this.context.clock(),
      };
      if (key !== undefined) this.#pendingKeys.set(key, ticket);
      this.#collectingWrite(base, persisted.length, bytes, ticket.alone === true).add(ticket, persisted, this.#speculative, record, bytes);
    } catch (error) {
      this.#after(ticket, { error });
    }
  }

  /** Settles a ticket that wrote nothing: now, or with the newest write when it was decided on top of one. */
  #after(ticket: Ticket<C>, outcome: Decided<C>['outcome']): void {
    const latest = this.#writes.at(-1);
    if (latest) latest.decided.push({ ticket, wrote: false, outcome });
    else this.#settle(ticket, outcome);
  }

  #settle(ticket: Ticket<C>, outcome: Decided<C>['outcome']): void {
    if ('error' in outcome) return ticket.settle.reject(outcome.error);
    const value = 'sameAs' in outcome ? outcome.sameAs.result : ticket.kind === 'read' ? this.#durable : outcome.value;
    if (ticket.kind === 'command') ticket.result = value as CommandResult<unknown, unknown>;
    ticket.settle.resolve(value);
  }

  /**
   * The write that a command's events join: the newest one while it is still collecting and has room for them
   * within a transaction's limits, else a new one from `base`. A command that must go `alone` gets a write of its
   * own, which nothing joins.
   */
  #collectingWrite(base: Versioned<S>, events: number, bytes: number, alone: boolean): EntityWrite<S, C, E> {
    const latest = this.#writes.at(-1);
    const { maxEvents, maxBytes } = this.context.writer.limits;
    const fits = latest && latest.eventCount + events <= maxEvents && latest.byteCount + bytes <= maxBytes;
    if (latest && !latest.sealed && !latest.closed && !alone && fits) return latest;
    const write = new EntityWrite(this, base, alone);
    this.#writes.push(write);
    this.context.writer.enqueue(write);
    return write;
  }

  /** @internal Called by a write of this entity once its transaction has settled. */
  settleWrite(write: EntityWrite<S, C, E>, outcome: WriteOutcome): void {
    this.#writes.shift();
    if ('positions' in outcome) {
      this.#durable = write.result;
      const events = write.stored(outcome.positions);
      for (const { ticket, outcome: decided } of write.decided) {
        if (ticket.kind === 'command' && ticket.options.idempotencyKey !== undefined) this.#pendingKeys.delete(ticket.options.idempotencyKey);
        this.#settle(ticket, decided);
      }
      if (events.length > 0) {
        this.#emit({ events, ...write.result });
        this.context.onWritten(write.result.sequenceNr, outcome.positions, outcome.projected);
      }
      this.#noteSettled();
      this.#unlockIfDone();
      return;
    }

    // Everything decided on top of the failed write is void: decide it again on the durable state.
    const later = this.#writes.splice(0);
    for (const voided of later) this.context.writer.withdraw(voided);
    this.#pendingKeys.clear();
    const failure = 'conflict' in outcome ? outcome.conflict : 'unknown' in outcome ? outcome.unknown : outcome.error;
    const writers = write.decided.filter(({ wrote }) => wrote).length;
    // A projection that threw on a write of several commands threw on one of them: each goes alone, to find which.
    const isolate = writers > 1 && isEventfoldError(failure, 'handler-failed') && failure.handler === 'project';
    const again: Ticket<C>[] = [];
    if ('conflict' in outcome) this.#contendedUntil = this.context.clock() + CONTENDED_FOR_MS;
    const retries = this.#release ? Math.max(MAX_LOCKED_ATTEMPTS, this.context.maxConflictRetries) : this.context.maxConflictRetries;
    for (const { ticket, wrote } of write.decided) {
      if (!wrote) again.push(ticket);
      else if ('conflict' in outcome && ticket.kind === 'command' && ticket.attempts < retries) {
        ticket.attempts++;
        again.push(ticket);
      } else if (isolate && ticket.kind === 'command') {
        ticket.alone = true;
        again.push(ticket);
      } else {
        ticket.settle.reject(failure);
      }
    }
    for (const { ticket } of later.flatMap((w) => w.decided)) again.push(ticket);
    // Another writer may have stored a key meanwhile: look again.
    for (const ticket of again) if (ticket.kind === 'command') ticket.keyChecked = false;
    // After a conflict the journal holds events we have not folded; after an unknown outcome, perhaps our own.
    if ('conflict' in outcome || 'unknown' in outcome) this.#stale = true;
    this.#speculative = this.#durable;
    this.#inbox.unshift(...again);
    this.#noteSettled();
    void this.#drain();
  }

  /** Brings the state up to date with the journal: a full recovery the first time, new events after that. */
  async #catchUp(): Promise<void> {
    const { journal, pageSize } = this.context;
    try {
      if (this.#durable === undefined) {
        this.#durable = await recover(journal, this.streamId, this.definition, {
          pageSize,
          schema: this.context.schema,
          onSnapshotIgnored: (error) => this.context.onError(error, 'snapshot-ignored'),
        });
      } else {
        const from = this.#durable.sequenceNr + 1;
        for await (const page of readPages(journal, this.streamId, { from, pageSize })) {
          const events = readAll<E>(this.context.schema, this.streamId, page);
          const state: S = foldEvents(this.streamId, this.definition, this.#durable.state, events);
          this.#durable = { state, sequenceNr: page.at(-1)!.sequenceNr };
          this.#emit({ events, ...this.#durable });
        }
      }
    } catch (error) {
      throw isEventfoldError(error) ? error : new StorageError('recovery', error);
    }
    this.#speculative = this.#durable;
    this.#stale = false;
  }

  #emit(change: EntityChange<S, E>): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.context.onError(error, 'listener');
      }
    }
  }

  /** @internal The snapshot to store with a write ending in `result`, when the entity's policy asks for one. */
  snapshotFor(previousSequenceNr: number, result: Versioned<S>): Snapshot | undefined {
    try {
      const due = this.definition.snapshotPolicy?.shouldSnapshot({ previousSequenceNr, ...result });
      if (!due) return undefined;
      assertCloneable(result.state, 'snapshot.state');
      // The journal stamps the snapshot with this checksum; a state it cannot be computed for would fail the write.
      fingerprintOf(result.state);
      const { clock, schema } = this.context;
      return { sequenceNr: result.sequenceNr, state: result.state, timestamp: clock(), schemaVersion: schema.stateVersion };
    } catch (error) {
      // The events matter, the snapshot is an optimisation: write them without it.
      this.context.onError(error, 'snapshot');
      return undefined;
    }
  }
}

/** An entity's events waiting for, or in, one group-commit transaction, with the tickets that wait for it. */
class EntityWrite<S, C, E> implements PendingWrite {
  readonly events: Positioned<E>[] = [];
  readonly decided: Decided<C>[] = [];
  byteCount = 0;
  readonly #keys: IdempotencyRecord[] = [];
  /** Where each writing ticket's events start in `events`, how many there are, and the state after them. */
  readonly #slices = new Map<Ticket<C>, [start: number, count: number, after: Versioned<S>]>();
  result: Versioned<S>;
  sealed = false;

  constructor(
    private readonly entity: EntityInstance<S, C, E>,
    private readonly base: Versioned<S>,
    /** True when no other command may join the write. */
    readonly closed: boolean,
  ) {
    this.result = base;
  }

  get streamId(): string {
    return this.entity.streamId;
  }

  get eventCount(): number {
    return this.events.length;
  }

  add(ticket: CommandTicket<C>, events: Positioned<E>[], result: Versioned<S>, key: IdempotencyRecord | undefined, bytes: number): void {
    this.#slices.set(ticket, [this.events.length, events.length, result]);
    this.byteCount += bytes;
    for (const event of events) this.events.push(event);
    if (key) this.#keys.push(key);
    this.result = result;
    this.decided.push({ ticket, wrote: true, outcome: { value: undefined } });
  }

  seal(): StreamWrite {
    this.sealed = true;
    const snapshot = this.entity.snapshotFor(this.base.sequenceNr, this.result);
    return {
      streamId: this.entity.streamId,
      events: this.events,
      ...(snapshot && { snapshot }),
      ...(this.#keys.length > 0 && { idempotency: this.#keys }),
    };
  }

  /** The events as stored, at `positions`; each writing ticket's outcome becomes its events and the state after. */
  stored(positions: readonly number[]): PersistedEvent<E>[] {
    const { events } = this;
    events.forEach((event, i) => (event.position = positions[i]!));
    for (const decided of this.decided) {
      const slice = this.#slices.get(decided.ticket);
      if (slice) decided.outcome = { value: { ...slice[2], events: events.slice(slice[0], slice[0] + slice[1]) } };
    }
    return events;
  }

  settle(outcome: WriteOutcome): void {
    this.entity.settleWrite(this, outcome);
  }
}
