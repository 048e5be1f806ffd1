import type { EntityDefinitions, EventOf } from './entity.ts';
import { InvalidArgumentError } from './errors.ts';
import type { PersistedEvent } from './journal.ts';
import { documentIdsOf, project } from './projection-apply.ts';
import { kitOf, PROJECTION_KIT, type ProjectionKit } from './projection-kit.ts';
import { createProjectionRunners } from './projection-runner.ts';
import { assertName, assertSequenceNr, describe, invalidArgument } from './validation.ts';
import { documentIdsFor, eventsOf, planProjectedWrites } from './write-plan.ts';

export { documentIdsOf, project, projects } from './projection-apply.ts';
export { projectionEventOf } from './projection-event.ts';

/** An event as a projection sees it: the stored event, with the type and id of the entity it belongs to. */
export interface ProjectionEvent<E = unknown> extends PersistedEvent<E> {
  /** The journal stream, `type:id`. */
  readonly streamId: string;
  /** The type of the entity that recorded the event, as in `account`; `''` for a stream without one. */
  readonly entityType: string;
  /** The id of the entity that recorded the event, as the app gave it: `acc-001`. */
  readonly entityId: string;
}

/**
 * A read model built from events: a set of documents, each changed by the events that concern it, like the rows
 * of an `account_summaries` table. Pure functions, so that a projection can run inside a storage transaction,
 * be rebuilt from the journal at any time, and be tested with given events and an expected read model.
 *
 * @typeParam D - a doc: plain, structured-cloneable data
 * @typeParam E - the events it reads
 * @typeParam N - its name, as a literal type, so that the page's client knows which read models exist
 */
export interface Projection<D = unknown, E = unknown, N extends string = string> {
  /** The read model's name, unique in the database. */
  readonly name: N;
  /**
   * `inline` (the default): updated in the transaction that stores the events, so the read model never disagrees
   * with the journal, and a projection that throws fails the command. `catch-up`: updated by the runtime after the
   * events are stored, following the global position, so a slow or failing projection never holds up a command.
   * Either kind catches up from its checkpoint when it is new or behind.
   */
  readonly mode?: 'inline' | 'catch-up';
  /** The entity types whose events it reads. Default: all. */
  readonly entityTypes?: readonly string[];
  /** The id of the doc an event changes, or `undefined` to skip the event. Must not depend on the position. */
  documentId(event: ProjectionEvent<E>): string | undefined;
  /** The doc after the event (`undefined` when it had none); return `undefined` to delete it. */
  evolve(doc: D | undefined, event: ProjectionEvent<E>): D | undefined;
}

/** Any projection; `any` so that projections of every doc and event type fit. */
export type AnyProjection = Projection<any, any>;

/**
 * A projection made by `defineProjection`: it carries what keeps it (see `ProjectionKit`), which runtimes and
 * journals require, so a plain object does not compile where one is expected.
 */
export type DefinedProjection<D = unknown, E = unknown, N extends string = string> = Projection<D, E, N> & {
  /** What keeps the projection, given by `defineProjection` (its shape is the library's own). */
  readonly [PROJECTION_KIT]: object;
};

/** Any projection made by `defineProjection`. */
export type AnyDefinedProjection = DefinedProjection<any, any>;

/** The doc type of a projection. */
export type DocOf<P> = P extends Projection<infer D, any, string> ? D : never;

/**
 * The read models of a list of projections, as the page sees them: each projection's doc type under its name.
 * `connect<typeof entities, typeof projections>` types the client's read-model calls with it. A projection whose
 * name is typed `string` (not a literal) is left out, so that no misspelled name can match it.
 */
export type ReadModelsOf<P extends readonly AnyProjection[]> = {
  readonly [X in P[number] as string extends X['name'] ? never : X['name']]: DocOf<X>;
};

/** The events of the entity types of `T`, by name: what a projection over them reads. */
export type EventsOfEntities<T extends EntityDefinitions> = EventOf<T[keyof T]>;

/** A projection as `defineProjection.for` takes it: its entity types are the keys of the definitions it was given. */
export type ProjectionOver<D, E, N extends string> = Omit<Projection<D, E, N>, 'entityTypes'>;

/** The typed forms of `defineProjection`. */
export interface DefineProjection {
  /**
   * Identity helper that infers a projection's doc type and name. Give the event type, or use `.for(entities)`;
   * without either, events are `unknown` and must be narrowed before use. Given explicit type arguments, give the
   * name too (`defineProjection<Doc, Event, 'totals'>`): TypeScript infers none of them then, and a projection
   * whose name is typed `string` is invisible to the page's client.
   */
  <D, E = unknown, const N extends string = string>(projection: Projection<D, E, N>): DefinedProjection<D, E, N>;
  /**
   * A projection over the entity types of `entities` (a subset of the runtime's definitions, by the same names):
   * its events are those entities' event union, and its `entityTypes` are their names.
   *
   * ```ts
   * export const summaries = defineProjection.for({ account })({
   *   name: 'account-summaries',
   *   documentId: (event) => event.entityId,
   *   evolve: (doc: Summary | undefined, { event }) => (event.type === 'opened' ? { owner: event.owner } : doc),
   * });
   * ```
   */
  for<T extends EntityDefinitions>(
    entities: T,
  ): <D, const N extends string>(projection: ProjectionOver<D, EventsOfEntities<T>, N>) => DefinedProjection<D, EventsOfEntities<T>, N>;
}

/** What every projection made by `defineProjection` brings with it (see `ProjectionKit`). */
const kit: ProjectionKit = {
  validate: checkShape,
  createRunners: createProjectionRunners,
  project,
  documentIdsOf,
  planProjectedWrites,
  documentIdsFor,
  eventsOf,
  builtTo,
};

/**
 * Defines a projection: `defineProjection<Doc, Event>({ … })`, or, typed by the entities it reads,
 * `defineProjection.for({ account })({ … })`. The name is kept as a literal type, so a client connected with
 * `connect<typeof entities, typeof projections>` refuses a misspelled name at compile time.
 *
 * Only projections made here can be kept: `createRuntime`, `exposeRuntime` and a journal's `append` and
 * `projectEvents` refuse others with an `InvalidArgumentError`. What keeps a read model up to date comes with the
 * projection, so an app without projections does not ship it. Returns the projection given, which now carries it
 * (a frozen one is copied).
 */
export const defineProjection: DefineProjection = /* @__PURE__ */ Object.assign(
  <D, E, N extends string>(projection: Projection<D, E, N>): DefinedProjection<D, E, N> => adopt(projection, {}),
  {
    for: (entities: EntityDefinitions) =>
      <D, E, N extends string>(projection: ProjectionOver<D, E, N>): DefinedProjection<D, E, N> =>
        adopt(projection as Projection<D, E, N>, { entityTypes: Object.keys(entities) }),
  },
);

/**
 * Gives a projection its kit (and `extra` properties): the object itself, so that it stays the one the app holds
 * (a class instance keeps its prototype, private fields and getters), or a copy with every property when it is
 * frozen. The kit is an enumerable property, so a spread copy of a defined projection is one too.
 */
function adopt<P extends AnyProjection>(projection: P, extra: Partial<AnyProjection>): P & DefinedProjection {
  const target: P = Object.isExtensible(projection)
    ? projection
    : Object.create(Object.getPrototypeOf(projection), Object.getOwnPropertyDescriptors(projection));
  for (const [key, value] of [...Object.entries(extra), [PROJECTION_KIT, kit] as const]) {
    Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  }
  return target as P & DefinedProjection;
}

/**
 * How far a projection has read the journal. A read model has one copy of its documents that reads are served
 * from; a rebuild builds a second one, the shadow, beside it, and swaps it in once it has caught up (blue/green).
 */
export interface Checkpoint {
  /** The global position of the last event applied to the documents that reads are served; 0 before the first. */
  readonly position: number;
  /** Set while a rebuild is under way: how far its shadow has got. */
  readonly rebuilding?: RebuildProgress;
}

/**
 * A rebuild's shadow copy of a read model: built from the first event while reads go on being served the previous
 * documents (which inline projections keep up to date), it replaces them in the transaction that brings it up to
 * both `total` and the served documents' position.
 */
export interface RebuildProgress {
  /** The global position of the last event applied to the shadow. */
  readonly position: number;
  /** The journal's highest position when the rebuild began. */
  readonly total: number;
}

/** A doc (one record) of a read model, with its id. */
export interface ReadModelDocument<D = unknown> {
  /** The doc's id, as the projection's `documentId` returned it. */
  readonly id: string;
  /** The doc itself. */
  readonly doc: D;
}

/** Which documents of a read model to read: by ids, or every id starting with `prefix`, up to `limit`. */
export interface DocumentQuery {
  /** Only these ids (those that exist). */
  readonly ids?: readonly string[];
  /** Only ids that start with it. */
  readonly prefix?: string;
  /** At most this many documents, the first in order of id. */
  readonly limit?: number;
}

/** What a read of a read model returns: the documents, and the checkpoint they reflect, read together. */
export interface ReadModelView<D = unknown> {
  /** How far the documents have read the journal; `undefined` before the projection first ran. */
  readonly checkpoint: Checkpoint | undefined;
  /** The documents asked for, in order of id. */
  readonly documents: ReadModelDocument<D>[];
}

/** Docs that a projection changed: a new value, or `undefined` for a deleted doc. */
export type DocumentChanges = Map<string, unknown>;

/**
 * Checks that a projection was made with `defineProjection` and has the shape of one; throws an
 * `InvalidArgumentError` naming what is wrong.
 */
export function validateProjection(projection: AnyProjection): void {
  kitOf(projection).validate(projection);
}

/** The shape checks of `validateProjection`, which its kit brings. */
function checkShape(projection: AnyProjection): void {
  assertName(projection.name, 'projection.name');
  if (projection.mode !== undefined && projection.mode !== 'inline' && projection.mode !== 'catch-up') {
    throw new InvalidArgumentError(`projection "${projection.name}" has mode ${describe(projection.mode)}`, 'projections');
  }
  if (typeof projection.documentId !== 'function' || typeof projection.evolve !== 'function') {
    throw new InvalidArgumentError(`projection "${projection.name}" needs documentId and evolve functions`, 'projections');
  }
  const types: unknown = projection.entityTypes;
  if (types !== undefined && !(Array.isArray(types) && types.every((type) => typeof type === 'string'))) {
    throw new InvalidArgumentError(`projection "${projection.name}" has entityTypes ${describe(types)}: an array of entity type names`, 'projections');
  }
}

/** Checks a read-model query. */
export function validateQuery(query: DocumentQuery): void {
  if (typeof query !== 'object' || query === null) throw invalidArgument('query', 'an object', query, 'A query');
  const { ids, prefix, limit } = query;
  if (ids !== undefined) {
    if (!Array.isArray(ids)) throw invalidArgument('query', 'an array', ids, 'query.ids');
    ids.forEach((id, i) => assertName(id, `query.ids[${i}]`));
  }
  if (prefix !== undefined && typeof prefix !== 'string') throw invalidArgument('query', 'a string', prefix, 'query.prefix');
  if (limit !== undefined) assertSequenceNr(limit, 'query.limit');
}

/** The checkpoint after the served documents moved to `position` (inline, or catching up): a rebuild goes on. */
export function servedAt(previous: Checkpoint | undefined, position: number): Checkpoint {
  return previous?.rebuilding ? { position, rebuilding: previous.rebuilding } : { position };
}

/**
 * The checkpoint after a rebuild's shadow moved to `position`, and whether the shadow is now the copy that reads
 * are served: once it has reached both the head the rebuild began at and the served documents, so that a read never
 * sees a copy that is incomplete or behind the one before.
 */
export function shadowAt(previous: Checkpoint & { readonly rebuilding: RebuildProgress }, position: number): { checkpoint: Checkpoint; swapped: boolean } {
  const { total } = previous.rebuilding;
  if (position >= total && position >= previous.position) return { checkpoint: { position }, swapped: true };
  return { checkpoint: { position: previous.position, rebuilding: { position, total } }, swapped: false };
}

/**
 * The checkpoint that starts a rebuild on a journal whose highest position is `total`: an empty shadow, the served
 * documents untouched. On an empty journal there is nothing to build: the read model is empty at position 0.
 */
export function rebuildFrom(previous: Checkpoint | undefined, total: number): Checkpoint {
  return total > 0 ? { position: previous?.position ?? 0, rebuilding: { position: 0, total } } : { position: 0 };
}

/**
 * The copy of a read model that `projectEvents` applies events to, and the position that copy is at: the shadow
 * while a rebuild is under way, else the served documents.
 */
export function buildingAt(checkpoint: Checkpoint | undefined): {
  /** True when the shadow is built, false when the served documents are. */
  readonly shadow: boolean;
  /** The global position of the last event that copy has applied. */
  readonly position: number;
} {
  const rebuilding = checkpoint?.rebuilding;
  return rebuilding ? { shadow: true, position: rebuilding.position } : { shadow: false, position: checkpoint?.position ?? 0 };
}

/** The checkpoint after `projectEvents` applied events up to `position` to the copy `buildingAt` chose. */
export function builtTo(checkpoint: Checkpoint | undefined, position: number): {
  /** The checkpoint to store with the documents. */
  checkpoint: Checkpoint;
  /** True when the shadow has just become the copy that reads are served. */
  swapped: boolean;
} {
  const rebuilding = checkpoint?.rebuilding;
  return rebuilding ? shadowAt({ ...checkpoint, rebuilding }, position) : { checkpoint: servedAt(checkpoint, position), swapped: false };
}
