import type { CommandOptions, CommandResult } from './command.ts';
import { type EntityDefinition, isRejection, matchesExpectedVersion } from './entity.ts';
import { ConflictError, HandlerError, isEventfoldError, RejectedError, StorageError } from './errors.ts';
import type { GroupCommit, PendingWrite, WriteOutcome } from './group-commit.ts';
import type { EventJournal, PersistedEvent, Snapshot, StreamWrite } from './journal.ts';
import { foldEvents, readPages, recover, type Versioned } from './replay.ts';
import { assertCloneable, validateBatch } from './validation.ts';

/** New events of an entity and the state after them: its own commits, or events another writer appended. */
export interface EntityChange<S, E> {
  readonly events: readonly PersistedEvent<E>[];
  readonly state: S;
  readonly sequenceNr: number;
}

/** What an entity needs from its runtime. */
export interface EntityContext {
  readonly journal: EventJournal;
  readonly writer: GroupCommit;
  readonly maxConflictRetries: number;
  readonly pageSize: number;
  readonly clock: () => number;
  readonly onError: (error: unknown, during: 'snapshot' | 'listener') => void;
  readonly onWritten: (sequenceNr: number) => void;
}

/** A call waiting in an entity's inbox. */
type Ticket<C> =
  | { kind: 'command'; command: C; options: CommandOptions; attempts: number; settle: Settle }
  /** Resolves with the durable state, after catching up with the journal when nothing of ours is in flight. */
  | { kind: 'read'; caughtUp: boolean; settle: Settle }
  /** Resolves once everything enqueued before it has settled. */
  | { kind: 'barrier'; settle: Settle };

interface Settle {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A decided ticket, settled when the write it waits for settles. */
interface Decided<C> {
  ticket: Ticket<C>;
  /** True when the ticket's own events are in the write. */
  wrote: boolean;
  outcome: { value: unknown } | { error: unknown };
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
  readonly #listeners = new Set<(change: EntityChange<S, E>) => void>();
  /** When the entity last had something to do, by the runtime's clock. */
  lastActive: number;

  constructor(
    readonly streamId: string,
    readonly definition: EntityDefinition<S, C, E>,
    private readonly context: EntityContext,
  ) {
    this.lastActive = context.clock();
  }

  /** True when the entity holds nothing but its state, and may be passivated. */
  get idle(): boolean {
    return !this.#draining && this.#inbox.length === 0 && this.#writes.length === 0 && this.#listeners.size === 0;
  }

  /** Decides and writes a command; resolves once its events are durable. */
  execute(command: C, options: CommandOptions): Promise<CommandResult<S, E>> {
    return this.#enqueue((settle) => ({ kind: 'command', command, options, attempts: 0, settle }));
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
        this.#handle(this.#inbox.shift()!);
      }
    } finally {
      this.#draining = false;
    }
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

  #decide(ticket: Ticket<C> & { kind: 'command' }): void {
    const base = this.#speculative!;
    try {
      const { expectedVersion = 'any' } = ticket.options;
      if (!matchesExpectedVersion(expectedVersion, base.sequenceNr)) {
        const expected = expectedVersion as number | 'no-stream' | 'stream-exists';
        throw new ConflictError(this.streamId, expected, base.sequenceNr, 'expected version');
      }
      const events = this.#decideEvents(ticket.command, base.state);
      if (events.length === 0) return this.#after(ticket, { value: { ...base, events: [] } });

      const timestamp = this.context.clock();
      const persisted = events.map((event, i) => ({ sequenceNr: base.sequenceNr + 1 + i, event, timestamp }));
      validateBatch(this.streamId, persisted);
      const state = foldEvents(this.streamId, this.definition, base.state, persisted);
      this.#speculative = { state, sequenceNr: base.sequenceNr + persisted.length };
      this.#collectingWrite(base).add(ticket, persisted, this.#speculative);
    } catch (error) {
      this.#after(ticket, { error });
    }
  }

  #decideEvents(command: C, state: S): readonly E[] {
    let decision;
    try {
      decision = this.definition.decide(command, state);
    } catch (cause) {
      throw new HandlerError(this.streamId, 'decide', cause);
    }
    if (isRejection(decision)) throw new RejectedError(this.streamId, decision.rejected);
    if (!Array.isArray(decision)) {
      throw new HandlerError(this.streamId, 'decide', new TypeError('decide must return an array of events or reject(reason)'));
    }
    return decision;
  }

  /** Settles a ticket that wrote nothing: now, or with the newest write when it was decided on top of one. */
  #after(ticket: Ticket<C>, outcome: Decided<C>['outcome']): void {
    const latest = this.#writes.at(-1);
    if (latest) latest.decided.push({ ticket, wrote: false, outcome });
    else if ('error' in outcome) ticket.settle.reject(outcome.error);
    else ticket.settle.resolve(ticket.kind === 'command' ? outcome.value : ticket.kind === 'read' ? this.#durable : undefined);
  }

  /** The write that new events join: the newest one if it is still collecting, else a new one from `base`. */
  #collectingWrite(base: Versioned<S>): EntityWrite<S, C, E> {
    const latest = this.#writes.at(-1);
    if (latest && !latest.sealed) return latest;
    const write = new EntityWrite(this, base);
    this.#writes.push(write);
    this.context.writer.enqueue(write);
    return write;
  }

  /** @internal Called by a write of this entity once its transaction has settled. */
  settleWrite(write: EntityWrite<S, C, E>, outcome: WriteOutcome): void {
    this.#writes.shift();
    if ('ok' in outcome) {
      this.#durable = write.result;
      for (const { ticket, outcome: decided } of write.decided) {
        if ('error' in decided) ticket.settle.reject(decided.error);
        else ticket.settle.resolve(ticket.kind === 'read' ? this.#durable : decided.value);
      }
      this.#emit({ events: write.events, ...write.result });
      this.context.onWritten(write.result.sequenceNr);
      return;
    }

    // Everything decided on top of the failed write is void: decide it again on the durable state.
    const later = this.#writes.splice(0);
    for (const voided of later) this.context.writer.withdraw(voided);
    this.#speculative = this.#durable;
    const again: Ticket<C>[] = [];
    for (const { ticket, wrote } of write.decided) {
      if (!wrote) again.push(ticket);
      else if ('conflict' in outcome && ticket.kind === 'command' && ticket.attempts < this.context.maxConflictRetries) {
        ticket.attempts++;
        again.push(ticket);
      } else {
        ticket.settle.reject('conflict' in outcome ? outcome.conflict : outcome.error);
      }
    }
    for (const { ticket } of later.flatMap((w) => w.decided)) again.push(ticket);
    if ('conflict' in outcome) this.#stale = true;
    this.#inbox.unshift(...again);
    void this.#drain();
  }

  /** Brings the state up to date with the journal: a full recovery the first time, new events after that. */
  async #catchUp(): Promise<void> {
    const { journal, pageSize } = this.context;
    try {
      if (this.#durable === undefined) {
        this.#durable = await recover(journal, this.streamId, this.definition, { pageSize });
      } else {
        const from = this.#durable.sequenceNr + 1;
        for await (const page of readPages(journal, this.streamId, { from, pageSize })) {
          const state: S = foldEvents(this.streamId, this.definition, this.#durable.state, page);
          this.#durable = { state, sequenceNr: page.at(-1)!.sequenceNr };
          this.#emit({ events: page as PersistedEvent<E>[], ...this.#durable });
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
      return { sequenceNr: result.sequenceNr, state: result.state, timestamp: this.context.clock() };
    } catch (error) {
      // The events matter, the snapshot is an optimisation: write them without it.
      this.context.onError(error, 'snapshot');
      return undefined;
    }
  }
}

/** An entity's events waiting for, or in, one group-commit transaction, with the tickets that wait for it. */
class EntityWrite<S, C, E> implements PendingWrite {
  readonly events: PersistedEvent<E>[] = [];
  readonly decided: Decided<C>[] = [];
  result: Versioned<S>;
  sealed = false;

  constructor(
    private readonly entity: EntityInstance<S, C, E>,
    private readonly base: Versioned<S>,
  ) {
    this.result = base;
  }

  add(ticket: Ticket<C> & { kind: 'command' }, events: PersistedEvent<E>[], result: Versioned<S>): void {
    for (const event of events) this.events.push(event);
    this.result = result;
    this.decided.push({ ticket, wrote: true, outcome: { value: { ...result, events } } });
  }

  seal(): StreamWrite {
    this.sealed = true;
    const snapshot = this.entity.snapshotFor(this.base.sequenceNr, this.result);
    return { entityId: this.entity.streamId, events: this.events, ...(snapshot && { snapshot }) };
  }

  settle(outcome: WriteOutcome): void {
    this.entity.settleWrite(this, outcome);
  }
}
