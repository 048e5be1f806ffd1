import { InvalidArgumentError } from './errors.ts';
import { invalidArgument } from './validation.ts';
import type { AnyProjection, builtTo } from './projection.ts';
import type { documentIdsOf, project } from './projection-apply.ts';
import type { createProjectionRunners } from './projection-runner.ts';
import type { documentIdsFor, eventsOf, planProjectedWrites } from './write-plan.ts';

/**
 * What keeps a projection, brought by the projection itself (`defineProjection` attaches it): the runners that keep
 * read models up to date in a runtime, and the functions that journals apply it with. So an app without
 * projections ships none of them. The functions are the same for every projection.
 */
export interface ProjectionKit {
  /** Checks the projection's shape (see `validateProjection`). */
  readonly validate: (projection: AnyProjection) => void;
  /** Makes a runtime's runners of its projections (see `createProjectionRunners`). */
  readonly createRunners: typeof createProjectionRunners;
  /** Applies events to documents (see `project`). */
  readonly project: typeof project;
  /** The documents that events change (see `documentIdsOf`). */
  readonly documentIdsOf: typeof documentIdsOf;
  /** Plans a write's inline projections (see `planProjectedWrites`). */
  readonly planProjectedWrites: typeof planProjectedWrites;
  /** The documents a group of writes may change (see `documentIdsFor`). */
  readonly documentIdsFor: typeof documentIdsFor;
  /** The events of a group of writes as projections see them (see `eventsOf`). */
  readonly eventsOf: typeof eventsOf;
  /** The checkpoint after events were applied (see `builtTo`). */
  readonly builtTo: typeof builtTo;
}

/** Where a projection made by `defineProjection` holds its kit. */
export const PROJECTION_KIT: unique symbol = Symbol.for('eventfold.projectionKit');

/** The kit of a projection; throws an `InvalidArgumentError` for one not made with `defineProjection`. */
export function kitOf(projection: unknown): ProjectionKit {
  if (typeof projection !== 'object' || projection === null) throw invalidArgument('projections', 'an object', projection, 'A projection');
  const kit = (projection as { [PROJECTION_KIT]?: ProjectionKit })[PROJECTION_KIT];
  // A kit of another shape (a forged symbol, say) is no kit: it would fail later, untyped.
  if (typeof kit !== 'object' || kit === null || typeof kit.createRunners !== 'function' || typeof kit.project !== 'function') {
    const { name } = projection as { name?: unknown };
    throw new InvalidArgumentError(`projection ${JSON.stringify(String(name))} must be made with defineProjection`, 'projections');
  }
  return kit;
}
