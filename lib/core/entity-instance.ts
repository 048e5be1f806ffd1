import type { CommandOptions, CommandResult } from './command.ts';
import { type EntityDefinition, isRejection, matchesExpectedVersion } from './entity.ts';
import { ConflictError, HandlerError, isEventfoldError, RejectedError, StorageError } from './errors.ts';
import type { EventJournal, PersistedEvent } from './journal.ts';
import { foldEvents, readPages, recover, type Versioned } from './replay.ts';

interface Settings {
  readonly maxConflictRetries: number;
  readonly pageSize: number;
  readonly clock: () => number;
  readonly onSnapshotError: (error: unknown, entityId: string) => void;
}

/**
 * One live entity: its state, recovered lazily, and a mailbox that runs its tasks one at a time.
 *
 * The state is only replaced after the journal has accepted the events that lead to it, so every failure (a
 * rejection, a throwing handler, a conflict, a storage error) leaves it exactly as it was.
 */
export class EntityInstance<S, C, E> {
  #current: Versioned<S> | undefined;
  #mailbox: Promise<unknown> = Promise.resolve();

  constructor(
    readonly streamId: string,
    private readonly definition: EntityDefinition<S, C, E>,
    private readonly journal: EventJournal,
    private readonly settings: Settings,
  ) {}

  /** Runs `task` after every task enqueued before it, whatever their outcome. */
  enqueue<T>(task: (instance: this) => Promise<T>): Promise<T> {
    const run = this.#mailbox.then(() => task(this));
    this.#mailbox = run.catch(() => {});
    return run;
  }

  /** Resolves when every task enqueued so far has settled. */
  idle(): Promise<void> {
    return this.#mailbox.then(() => {});
  }

  /** Decides, evolves and persists one command; retries the decision when another writer got there first. */
  async execute(command: C, { expectedVersion = 'any' }: CommandOptions): Promise<CommandResult<S, E>> {
    let current = await this.#recovered();
    for (let attempt = 0; ; attempt++) {
      if (!matchesExpectedVersion(expectedVersion, current.sequenceNr)) {
        throw new ConflictError(this.streamId, expectedVersion as number | 'no-stream' | 'stream-exists', current.sequenceNr, 'expected version');
      }
      const events = this.#decide(command, current.state);
      if (events.length === 0) return { ...current, events: [] };

      const timestamp = this.settings.clock();
      const persisted = events.map((event, i) => ({ sequenceNr: current.sequenceNr + 1 + i, event, timestamp }));
      const state = foldEvents(this.streamId, this.definition, current.state, persisted);
      try {
        await this.journal.persist(this.streamId, persisted);
      } catch (error) {
        if (isEventfoldError(error, 'conflict') && attempt < this.settings.maxConflictRetries) {
          current = await this.#catchUp(current);
          continue;
        }
        // After a conflict or an unknown storage outcome the cached state may be stale: recover it next time.
        if (isEventfoldError(error, 'conflict') || !isEventfoldError(error)) this.#current = undefined;
        throw isEventfoldError(error) ? error : new StorageError('persist', error);
      }

      const previousSequenceNr = current.sequenceNr;
      this.#current = { state, sequenceNr: previousSequenceNr + persisted.length };
      await this.#snapshotIfDue(previousSequenceNr, this.#current);
      return { ...this.#current, events: persisted as PersistedEvent<E>[] };
    }
  }

  /** The current state, including events appended to the journal by other writers. */
  async read(): Promise<Versioned<S>> {
    return this.#current === undefined ? this.#recovered() : this.#catchUp(this.#current);
  }

  async #recovered(): Promise<Versioned<S>> {
    if (this.#current === undefined) {
      this.#current = await this.#guard('recovery', () =>
        recover(this.journal, this.streamId, this.definition, { pageSize: this.settings.pageSize }),
      );
    }
    return this.#current;
  }

  async #catchUp(from: Versioned<S>): Promise<Versioned<S>> {
    this.#current = undefined;
    let { state, sequenceNr } = from;
    await this.#guard('catch-up', async () => {
      const pages = readPages(this.journal, this.streamId, { from: sequenceNr + 1, pageSize: this.settings.pageSize });
      for await (const page of pages) {
        state = foldEvents(this.streamId, this.definition, state, page);
        sequenceNr = page[page.length - 1]!.sequenceNr;
      }
    });
    this.#current = { state, sequenceNr };
    return this.#current;
  }

  #decide(command: C, state: S): readonly E[] {
    let decision;
    try {
      decision = this.definition.decide(command, state);
    } catch (cause) {
      throw new HandlerError(this.streamId, 'decide', cause);
    }
    if (isRejection(decision)) throw new RejectedError(this.streamId, decision.rejected);
    if (!Array.isArray(decision)) {
      const cause = new TypeError('decide must return an array of events or reject(reason)');
      throw new HandlerError(this.streamId, 'decide', cause);
    }
    return decision;
  }

  async #snapshotIfDue(previousSequenceNr: number, { state, sequenceNr }: Versioned<S>): Promise<void> {
    const policy = this.definition.snapshotPolicy;
    if (!policy?.shouldSnapshot({ previousSequenceNr, sequenceNr, state })) return;
    try {
      await this.journal.saveSnapshot(this.streamId, { sequenceNr, state, timestamp: this.settings.clock() });
    } catch (error) {
      this.settings.onSnapshotError(error, this.streamId);
    }
  }

  /** Runs a journal read; typed errors pass through, anything else becomes a `StorageError`. */
  async #guard<T>(operation: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw isEventfoldError(error) ? error : new StorageError(operation, error);
    }
  }
}
