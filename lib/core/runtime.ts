import type { CommandOptions, CommandResult } from './command.ts';
import type { AnyEntityDefinition, CommandOf, EventOf, StateOf } from './entity.ts';
import { ClosedError, InvalidArgumentError } from './errors.ts';
import { EntityInstance } from './entity-instance.ts';
import type { EventJournal } from './journal.ts';
import { DEFAULT_PAGE_SIZE, type Versioned } from './replay.ts';
import { assertEntityId, describe } from './validation.ts';

/** The entity definitions a runtime serves, by entity type name. */
export type EntityDefinitions = Record<string, AnyEntityDefinition>;

/** Options of `createRuntime`. */
export interface RuntimeOptions<D extends EntityDefinitions> {
  /** Where events and snapshots are stored. The runtime does not close it. */
  journal: EventJournal;
  /** The entity types served, by name. A name may not contain `:`. */
  entities: D;
  /** How often a command is decided again after losing a race to another writer. Default 3. */
  maxConflictRetries?: number;
  /** Events read per journal call during recovery. Default 1,000. */
  pageSize?: number;
  /** The clock that stamps events and snapshots. Default `Date.now`. */
  clock?: () => number;
  /**
   * Called when a snapshot cannot be stored. The command that triggered it has succeeded all the same (its events
   * are durable); the next snapshot point tries again. Default: ignore.
   */
  onSnapshotError?: (error: unknown, entityId: string) => void;
}

/**
 * Hosts event-sourced entities over a journal.
 *
 * Each entity is recovered on first use (newest snapshot, then the events after it) and then handles its commands
 * one at a time, in arrival order; commands to different entities do not wait for each other. A command resolves
 * once its events are durable, and fails with a typed error otherwise, leaving the entity's state as it was.
 */
export class EntityRuntime<D extends EntityDefinitions> {
  readonly #journal: EventJournal;
  readonly #definitions: D;
  readonly #instances = new Map<string, EntityInstance<unknown, unknown, unknown>>();
  readonly #settings: Pick<Required<RuntimeOptions<D>>, 'maxConflictRetries' | 'pageSize' | 'clock' | 'onSnapshotError'>;
  #closed = false;

  constructor(options: RuntimeOptions<D>) {
    for (const type of Object.keys(options.entities)) {
      if (type === '' || type.includes(':')) {
        throw new InvalidArgumentError(`Entity type names must be non-empty and free of ":", got ${describe(type)}`, 'entities');
      }
    }
    this.#journal = options.journal;
    this.#definitions = options.entities;
    this.#settings = {
      maxConflictRetries: options.maxConflictRetries ?? 3,
      pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
      clock: options.clock ?? Date.now,
      onSnapshotError: options.onSnapshotError ?? (() => {}),
    };
  }

  /**
   * Sends a command to an entity and resolves when its events are durable.
   *
   * Rejects with a typed error, leaving the entity usable: `rejected` (the decider refused, with its reason),
   * `conflict` (an expected version did not hold, or another writer kept winning), `handler-failed` (`decide` or
   * `evolve` threw), `not-cloneable` (an event holds a function, a symbol, a class instance…), `storage-failed`,
   * `invalid-argument` (an unknown entity type or a malformed id) or `closed`.
   */
  send<K extends keyof D & string>(
    type: K,
    id: string,
    command: CommandOf<D[K]>,
    options: CommandOptions = {},
  ): Promise<CommandResult<StateOf<D[K]>, EventOf<D[K]>>> {
    return this.#run(type, id, (instance) => instance.execute(command, options)) as Promise<
      CommandResult<StateOf<D[K]>, EventOf<D[K]>>
    >;
  }

  /**
   * The entity's current state and sequence number, after the commands sent to it before this call, and after
   * any events another writer appended to the journal since.
   */
  state<K extends keyof D & string>(type: K, id: string): Promise<Versioned<StateOf<D[K]>>> {
    return this.#run(type, id, (instance) => instance.read()) as Promise<Versioned<StateOf<D[K]>>>;
  }

  /** Stops accepting calls and waits for the ones under way. The journal stays open. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#instances.values()].map((instance) => instance.idle()));
    this.#instances.clear();
  }

  #run<T>(type: string, id: string, task: (instance: EntityInstance<unknown, unknown, unknown>) => Promise<T>): Promise<T> {
    try {
      if (this.#closed) throw new ClosedError('The runtime');
      return this.#instance(type, id).enqueue(task);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #instance(type: string, id: string): EntityInstance<unknown, unknown, unknown> {
    if (typeof type !== 'string' || !Object.hasOwn(this.#definitions, type)) {
      const known = Object.keys(this.#definitions).join(', ');
      throw new InvalidArgumentError(`Unknown entity type ${describe(type)}; this runtime serves: ${known}`, 'type');
    }
    assertEntityId(id);
    const streamId = streamIdOf(type, id);
    let instance = this.#instances.get(streamId);
    if (!instance) {
      instance = new EntityInstance(streamId, this.#definitions[type]!, this.#journal, this.#settings);
      this.#instances.set(streamId, instance);
    }
    return instance;
  }
}

/** The journal stream of an entity: its type and id joined by `:`, as in `account:acc-001`. */
export function streamIdOf(type: string, id: string): string {
  return `${type}:${id}`;
}

/** Creates an entity runtime; see `EntityRuntime`. */
export function createRuntime<D extends EntityDefinitions>(options: RuntimeOptions<D>): EntityRuntime<D> {
  return new EntityRuntime(options);
}
