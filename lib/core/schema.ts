import type { AnyEntityDefinition } from './entity.ts';
import { HandlerError, InvalidSchemaError, UnknownEventTypeError } from './errors.ts';
import type { PersistedEvent, Snapshot } from './journal.ts';

/**
 * How events of one type evolved: their current version, former names, and the steps from each old version.
 * Typed by the event `Ev` it describes: the step from the version before the current one must return an `Ev`.
 */
export type EventSchema<Ev = unknown> = FirstVersionSchema | VersionedSchema<Ev, UpcastVersion>;

/** An event type still at its first version. */
export interface FirstVersionSchema {
  /** Names this type was stored under before: such events are read as this type. */
  readonly aliases?: readonly string[];
  /** The version of the payloads this build writes. Default 1. */
  readonly version?: 1;
}

/** The versions of an event type whose upcasters are typed step by step; a higher one needs a cast. */
export type UpcastVersion = 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16 | 17 | 18 | 19 | 20 | 21 | 22 | 23 | 24 | 25;

/** `V - 1`, for the versions of `UpcastVersion`. */
type Previous<V extends number> = [never, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24][V];

/** The versions `1 … V - 1`. */
type Below<V extends number> = Exclude<UpTo<Previous<V>>, 0>;

/** The numbers `0 … N`. */
type UpTo<N extends number, Counted extends number[] = []> = Counted['length'] extends N
  ? Counted[number] | N
  : UpTo<N, [...Counted, Counted['length']]>;

/** An event type at version `V`, with the upcasters from every version below it. */
export type VersionedSchema<Ev, V extends UpcastVersion> = V extends UpcastVersion
  ? {
      /** Names this type was stored under before: such events are read as this type. */
      readonly aliases?: readonly string[];
      /** The version of the payloads this build writes. */
      readonly version: V;
      /**
       * `upcast[v]` turns a payload of version `v` into one of version `v + 1`, one step for every version below
       * `version`. Pure: it runs on every read, and the stored event keeps its original form. Old payloads have no
       * type in today's code (`any`); the last step returns the event as this build knows it.
       */
      readonly upcast: { readonly [From in Below<V>]: (event: any) => From extends Previous<V> ? Ev : unknown };
    }
  : never;

/** The `type` names of an event union. */
export type EventTypeOf<E> = E extends Readonly<Record<'type', infer T extends string>> ? T : never;

/**
 * An entity's event types by their current name: every type of its event union, each with its schema. With a
 * registry, events of any other type are refused. For events without literal `type`s, any names.
 */
export type EventSchemas<E = any> = string extends EventTypeOf<E>
  ? Readonly<Record<string, EventSchema>>
  : [EventTypeOf<E>] extends [never]
    ? Readonly<Record<string, EventSchema>>
    : { readonly [T in EventTypeOf<E>]: EventSchema<Extract<E, Readonly<Record<'type', T>>>> };

/** A schema as the runtime reads it, whatever its version. */
interface LooseSchema {
  readonly version?: number;
  readonly aliases?: readonly string[];
  readonly upcast?: Readonly<Record<number, (event: any) => unknown>>;
}

/** A definition's schemas, checked and indexed: turns stored events and snapshots into what this build reads. */
export class EntitySchema {
  /** Canonical name by every name (current and alias); undefined without a registry. */
  readonly #names: Map<string, string> | undefined;
  readonly #schemas: Readonly<Record<string, LooseSchema>>;
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
    this.#schemas = (definition.events ?? {}) as Readonly<Record<string, LooseSchema>>;
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
      throw new UnknownEventTypeError(entityId, type, 1, 0, 'returned by decide is not in the event registry');
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
    if (name === undefined) throw unknown('has a type this build does not know (from a newer version of the app?)');
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
