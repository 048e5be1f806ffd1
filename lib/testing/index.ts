export { DeciderSpecification, SpecificationError, type Then } from './decider-specification.ts';
export { deepEqual } from './deep-equal.ts';
