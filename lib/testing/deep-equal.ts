import { sameValue } from '../core/canonical-form.ts';

/**
 * Whether two values are the same value, by the definition eventfold's fingerprints use (see `canonicalForm`): every
 * structured-cloneable kind compared by content and kind (Maps, Sets, Dates, RegExps, buffers and typed views by their
 * bytes, boxed primitives, bigints, `-0`, `NaN`, holes), key and entry order ignored, cycles compared by shape.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  return sameValue(a, b);
}
