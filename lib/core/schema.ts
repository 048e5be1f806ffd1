import type { AnyEntityDefinition } from './entity.ts';
import { HandlerError, InvalidSchemaError, UnknownEventTypeError } from './errors.ts';
import type { PersistedEvent, Snapshot } from './journal.ts';

/** How events of one type evolved: their current version, former names, and the steps from each old version. */
export interface EventSchema {
  /** The version of the payloads this build writes. Default 1. */
  readonly version?: number;
  /** Names this type was stored under before: such events are read as this type. */
  readonly aliases?: readonly string[];
  /**
   * `upcast[v]` turns a payload of version `v` into one of version `v + 1`; one step for every version below
   * `version`. Pure: it runs on every read, and the stored event keeps its original form.
   */
  readonly upcast?: Readonly<Record<number, (event: any) => unknown>>;
}

/** An entity's event types by their current name. With a registry, events of any other type are refused. */
export type EventSchemas = Readonly<Record<string, EventSchema>>;

/** A definition's schemas, checked and indexed: turns stored events and snapshots into what this build reads. */
export class EntitySchema {
  /** Canonical name by every name (current and alias); undefined without a registry. */
  readonly #names: Map<string, string> | undefined;
  readonly #schemas: EventSchemas;
  readonly #stateVersion: number;
  readonly #migrations: Readonly<Record<number, (state: any) => unknown>>;

  /** Throws an `InvalidSchemaError` when the definition's schemas do not hold together. */
  constructor(
    /** The entity type the schemas are of, as errors name it. */
    readonly entityType: string,
    definition: AnyEntityDefinition,
  ) {
    const fail = (detail: string) => {
      throw new InvalidSchemaError(entityType, detail);
    };
    this.#schemas = definition.events ?? {};
    this.#stateVersion = definition.stateVersion ?? 1;
    this.#migrations = definition.migrations ?? {};
    if (!isVersion(this.#stateVersion)) fail(`stateVersion must be a positive integer, got ${String(this.#stateVersion)}`);
    for (const [from, migrate] of Object.entries(this.#migrations)) {
      if (!isVersion(Number(from)) || typeof migrate !== 'function') fail(`migrations[${from}] must be a function keyed by a version`);
    }
    if (definition.events === undefined) return;
    this.#names = new Map();
    for (const [name, schema] of Object.entries(this.#schemas)) {
      const version = schema.version ?? 1;
      if (!isVersion(version)) fail(`event "${name}" has version ${String(version)}; versions are positive integers`);
      for (let v = 1; v < version; v++) {
        if (typeof schema.upcast?.[v] !== 'function') fail(`event "${name}" v${version} has no upcaster from v${v} to v${v + 1}`);
      }
      for (const alias of [name, ...(schema.aliases ?? [])]) {
        const taken = this.#names.get(alias);
        if (taken !== undefined) fail(`the name "${alias}" belongs to both "${taken}" and "${name}"`);
        this.#names.set(alias, name);
      }
    }
  }

  /** The version to write an event of `type` at; throws an `UnknownEventTypeError` for a type not registered. */
  versionOf(entityId: string, type: string): number {
    if (this.#names === undefined) return 1;
    const name = this.#names.get(type);
    if (name !== type) {
      throw new UnknownEventTypeError(entityId, type, 1, 0, 'was returned by decide but is not in the entity\'s event registry');
    }
    return this.#schemas[name]!.version ?? 1;
  }

  /**
   * A stored event as this build reads it: under its current type name, upcast one version at a time. Throws an
   * `UnknownEventTypeError` for a type or version this build does not know, and a `HandlerError` when an upcaster
   * throws.
   */
  read<E>(entityId: string, stored: PersistedEvent<E>): PersistedEvent<E> {
    const name = this.#names === undefined ? stored.type : this.#names.get(stored.type);
    const unknown = (detail: string) =>
      new UnknownEventTypeError(entityId, stored.type, stored.schemaVersion, stored.sequenceNr, detail);
    if (name === undefined) throw unknown('has a type this build does not know: was it written by a newer version of the app?');
    const schema = this.#schemas[name];
    const version = schema?.version ?? 1;
    if (stored.schemaVersion > version) throw unknown(`is newer than this build, which reads up to v${version}`);
    if (name === stored.type && stored.schemaVersion === version) return stored;

    let event: unknown = renamed(stored.event, stored.type, name);
    try {
      for (let v = stored.schemaVersion; v < version; v++) event = schema!.upcast![v]!(event);
    } catch (cause) {
      throw new HandlerError(entityId, 'upcast', cause);
    }
    return { ...stored, event: event as E, type: name, schemaVersion: version };
  }

  /** The state version snapshots are written at. */
  get stateVersion(): number {
    return this.#stateVersion;
  }

  /**
   * A stored snapshot's state in this build's version, or `undefined` when it cannot be used: it is of a newer
   * version, or of an older one without a complete migration chain. A migration that throws is reported to
   * `onError` and the snapshot is not used either; the entity is then rebuilt from its events.
   */
  stateOf<S>(snapshot: Snapshot, onError: (error: unknown) => void): S | undefined {
    const from = snapshot.schemaVersion ?? 1;
    if (from > this.#stateVersion) return undefined;
    let state = snapshot.state;
    for (let v = from; v < this.#stateVersion; v++) {
      const migrate = this.#migrations[v];
      if (migrate === undefined) return undefined;
      try {
        state = migrate(state);
      } catch (error) {
        onError(error);
        return undefined;
      }
    }
    return state as S;
  }
}

/** Events stored under an alias carry the old name in their own `type` field too: give them the current one. */
function renamed(event: unknown, from: string, to: string): unknown {
  if (from === to || typeof event !== 'object' || event === null || (event as { type?: unknown }).type !== from) return event;
  return { ...event, type: to };
}

function isVersion(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1;
}
