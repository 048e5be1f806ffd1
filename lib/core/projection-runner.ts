import { InvalidArgumentError, isEventfoldError, ProjectionRebuildingError, StorageError } from './errors.ts';
import type { EventJournal } from './journal.ts';
import { highestPosition } from './journal-functions.ts';
import type { AnyDefinedProjection, Checkpoint, DocumentQuery, ProjectionEvent, ReadModelDocument } from './projection.ts';
import { projectionEventOf } from './projection-event.ts';
import { kitOf } from './projection-kit.ts';
import { describe } from './validation.ts';

/**
 * Makes the runners of a runtime's projections, into `runners` by name, after checking each projection (see
 * `validateProjection`) and that no two share a name. Returns the inline ones, which the runtime's writes update.
 */
export function createProjectionRunners(
  projections: readonly AnyDefinedProjection[],
  runners: Map<string, ProjectionRunner>,
  context: Omit<ProjectionRunnerContext, 'onError'> & { readonly onError: (error: unknown, projection: string) => void },
): AnyDefinedProjection[] {
  return projections.filter((projection) => {
    kitOf(projection).validate(projection);
    const { name } = projection;
    if (runners.has(name)) throw new InvalidArgumentError(`Two projections are named ${describe(name)}`, 'projections');
    runners.set(name, new ProjectionRunner(projection, { ...context, onError: (error) => context.onError(error, name) }));
    return (projection.mode ?? 'inline') === 'inline';
  });
}

/**
 * Where a projection stands: `live` (caught up with the journal), `catching-up` (applying events it has not seen),
 * `rebuilding` (from scratch, into a shadow copy, while reads are served the documents from before at `position`),
 * or `failed` (it threw on the event at `failedAt`, and waits for a fixed version of the app or a rebuild).
 */
export interface ProjectionStatus {
  /** The projection's name. */
  readonly name: string;
  /** The projection's mode (see `Projection.mode`). */
  readonly mode: 'inline' | 'catch-up';
  /**
   * `catching-up`: applying stored events it has not seen; `live`: at the journal's head; `rebuilding`: building a
   * shadow copy from scratch while the previous documents are served; `failed`: stopped at an event it throws on.
   */
  readonly state: 'catching-up' | 'live' | 'rebuilding' | 'failed';
  /** The global position of the last event applied to the documents that reads are served. */
  readonly position: number;
  /** While rebuilding (and when a rebuild failed): the position its shadow copy has reached. */
  readonly processed?: number;
  /** While rebuilding (and when a rebuild failed): the journal's head when the rebuild began, which it aims at. */
  readonly total?: number;
  /** When failed: what the projection threw (a `HandlerError`). */
  readonly error?: unknown;
  /** When failed: the global position of the event it failed on. */
  readonly failedAt?: number;
}

/** A read of a read model: its documents, the position of the journal they reflect, and the projection's status. */
export interface ReadModel<Doc = unknown> {
  /** The documents asked for, in order of id. */
  readonly documents: ReadModelDocument<Doc>[];
  /** The global position of the last event the documents reflect. */
  readonly position: number;
  /** The projection's status, read with the documents. */
  readonly status: ProjectionStatus;
  /**
   * Set while a rebuild is under way, read with the documents: how far its shadow has got (`processed` of `total`
   * events). The documents are those from before the rebuild, kept up to date, until the rebuilt ones replace them.
   */
  readonly rebuilding?: {
    /** The position the shadow has reached. */
    readonly processed: number;
    /** The journal's head when the rebuild began. */
    readonly total: number;
  };
}

/** What a runner needs from its runtime. */
export interface ProjectionRunnerContext {
  readonly journal: EventJournal;
  readonly pageSize: number;
  /** Hears what a subscriber threw. */
  readonly onError: (error: unknown) => void;
}

/**
 * Moves one projection's checkpoint up to the journal's head, a page of events at a time, each page applied with
 * its checkpoint in one transaction: the read model reflects every event exactly once, whichever tab applies it.
 * Passes never overlap; asking for one during a pass makes another run after it.
 */
export class ProjectionRunner {
  #status: ProjectionStatus;
  #running: Promise<void> | undefined;
  #again = false;
  /** Set when the projection threw: it would throw again on the same event, so only a rebuild or a new app helps. */
  #stuck = false;
  /** Whether this runner saw the journal empty before the projection had a checkpoint: then it is new, not behind. */
  #sawEmpty = false;
  /** The checkpoint position last seen: when it moves without us (another tab), the read model changed. */
  #seen = -1;
  /** Called after every status change and after every batch that changed the read model. */
  readonly #listeners = new Set<(status: ProjectionStatus) => void>();

  constructor(
    readonly projection: AnyDefinedProjection,
    private readonly context: ProjectionRunnerContext,
  ) {
    this.#status = { name: projection.name, mode: projection.mode ?? 'inline', state: 'catching-up', position: 0 };
  }

  get status(): ProjectionStatus {
    return this.#status;
  }

  /**
   * Catches up with the journal; resolves when the projection is live, or failed. A failed projection stays so
   * until it is rebuilt (a projection that threw would throw again on the same event).
   */
  catchUp(): Promise<void> {
    if (this.#stuck) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#pass();
        } while (this.#again && !this.#stuck);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /**
   * Told of a write of this runtime, with the global position of its last event and, when the journal updated this
   * projection in the write's transaction, its checkpoint after it (`StoredOutcome.projected`). Then there is no need
   * to read the journal to know that the read model is live at `last`, unless a rebuild is under way (perhaps begun
   * by another tab), which this runner joins. Otherwise (a catch-up projection, one that was behind, or a journal
   * that does not say), it catches up.
   */
  wrote(last: number, projected?: Checkpoint): void {
    if (projected === undefined) {
      void this.catchUp();
      return;
    }
    const position = Math.max(this.#status.position, last);
    this.#seen = Math.max(this.#seen, position);
    const rebuilding = projected.rebuilding;
    if (this.#stuck) {
      this.#set({ ...this.#status, position });
      return;
    }
    if (!rebuilding && !this.#running && this.#status.state === 'live') {
      this.#set({ state: 'live', position });
      return;
    }
    // Readers hear of the served documents' change now; the pass that follows brings the rest.
    this.#set(rebuilding ? { state: 'rebuilding', position, processed: rebuilding.position, total: rebuilding.total } : { ...this.#status, position });
    void this.catchUp();
  }

  /** Calls `listener` with the status whenever it changes, and whenever the read model may have; returns the unsubscribe. */
  subscribe(listener: (status: ProjectionStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** See `EntityRuntime.readModel`. */
  async read<Doc>(query: DocumentQuery): Promise<ReadModel<Doc>> {
    const { name } = this.projection;
    const { journal } = this.context;
    const { checkpoint, documents } = await journal.readModel(name, query);
    const rebuilding = checkpoint?.rebuilding;
    if (rebuilding && checkpoint.position === 0) throw new ProjectionRebuildingError(name, rebuilding.position, rebuilding.total);
    if (checkpoint === undefined) {
      // No checkpoint yet: empty if the journal is, else new on a journal with history, and not built yet.
      const head = await highestPosition(journal);
      if (head > 0) throw new ProjectionRebuildingError(name, 0, head);
    }
    return {
      documents: documents as ReadModelDocument<Doc>[],
      position: checkpoint?.position ?? 0,
      status: this.#status,
      ...(rebuilding && { rebuilding: { processed: rebuilding.position, total: rebuilding.total } }),
    };
  }

  /** Resolves when the pass under way, if any, is over. */
  async settled(): Promise<void> {
    await this.#running;
  }

  /**
   * Builds the read model again from the first event, into a shadow copy that replaces the served documents at
   * once when it has caught up with them; reads are served the previous documents meanwhile.
   */
  async rebuild(): Promise<void> {
    await this.#running;
    const total = await this.context.journal.resetProjection(this.projection.name);
    this.#stuck = false;
    this.#set(total > 0 ? { state: 'rebuilding', processed: 0, total } : { state: 'live', position: 0 });
    await this.catchUp();
  }

  async #pass(): Promise<void> {
    const { journal, pageSize } = this.context;
    let swapTried = false;
    try {
      for (;;) {
        const checkpoint = await journal.loadCheckpoint(this.projection.name);
        const from = checkpoint?.rebuilding ? checkpoint.rebuilding.position : (checkpoint?.position ?? 0);
        const page = await journal.loadAfter(from, pageSize);
        if (checkpoint === undefined && page.length > 0 && !this.#sawEmpty) {
          // A projection added to a journal with history: build it as a rebuild, so that nobody reads it half-built.
          await journal.resetProjection(this.projection.name);
          continue;
        }
        if (checkpoint === undefined && page.length === 0) this.#sawEmpty = true;
        if (page.length === 0 && checkpoint?.rebuilding && !swapTried) {
          // A shadow at the head that has not been swapped in (a journal may leave that to the next call): ask again.
          swapTried = true;
          await journal.projectEvents(this.projection, [], from);
          continue;
        }
        const position = checkpoint?.position ?? 0;
        if (page.length === 0) {
          this.#set({ state: 'live', position }, position !== this.#seen);
          this.#seen = position;
          return;
        }
        this.#set(progress(checkpoint, from));
        const events = page.map((event) => projectionEventOf(event.streamId, event));
        try {
          await journal.projectEvents(this.projection, events, from);
        } catch (error) {
          if (!isEventfoldError(error, 'handler-failed')) throw error;
          return await this.#failAt(events, from, checkpoint);
        }
      }
    } catch (error) {
      // A storage failure, not the projection's: the next pass tries again.
      this.#set({ state: 'failed', error: isEventfoldError(error) ? error : new StorageError('projection', error) });
    }
  }

  /** Applies a page that failed one event at a time, to move the checkpoint up to the event that fails. */
  async #failAt(events: readonly ProjectionEvent[], from: number, checkpoint: Checkpoint | undefined): Promise<void> {
    let position = from;
    for (const event of events) {
      try {
        await this.context.journal.projectEvents(this.projection, [event], position);
        position = event.position;
      } catch (error) {
        this.#stuck = isEventfoldError(error, 'handler-failed');
        const total = checkpoint?.rebuilding?.total;
        // A rebuild that fails leaves the served documents as they were: the status says how far the shadow got.
        const at = total === undefined ? { position } : { position: checkpoint!.position, processed: position, total };
        this.#set({ state: 'failed', ...at, error, failedAt: event.position });
        return;
      }
    }
  }

  #set(change: Partial<ProjectionStatus>, force = true): void {
    const { name, mode } = this.#status;
    const next: ProjectionStatus = { name, mode, position: this.#status.position, ...change } as ProjectionStatus;
    const same = next.state === this.#status.state && next.position === this.#status.position && next.processed === this.#status.processed;
    this.#status = next;
    if (same && !force) return;
    for (const listener of this.#listeners) {
      try {
        listener(next);
      } catch (error) {
        this.context.onError(error);
      }
    }
  }
}

function progress(checkpoint: Checkpoint | undefined, from: number): Partial<ProjectionStatus> {
  const rebuilding = checkpoint?.rebuilding;
  return rebuilding
    ? { state: 'rebuilding', position: checkpoint!.position, processed: from, total: rebuilding.total }
    : { state: 'catching-up', position: from };
}
