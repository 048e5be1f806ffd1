/**
 * Given/when/then specifications of deciders and projections, without storage.
 *
 * @module eventfold/testing
 */
export { DeciderSpecification, type Then } from './decider-specification.ts';
export { deepEqual } from './deep-equal.ts';
export { type GivenEvent, ProjectionSpecification, type ThenReadModel } from './projection-specification.ts';
export { SpecificationError } from './specification-error.ts';
