import { canonicalForm } from './canonical-form.ts';
import { NotCloneableError } from './errors.ts';

// `crypto` exists in every runtime eventfold supports (browsers, workers, Node 20), but only the DOM and Node
// typings declare it, and the core compiles without either.
const { crypto } = globalThis as unknown as { crypto: { randomUUID(): string } };

/** A new random id (a UUID v4): for events and commands. */
export function randomId(): string {
  return crypto.randomUUID();
}

/** The type name of a domain event: its `type` property when that is a non-empty string, else `"event"`. */
export function eventTypeOf(event: unknown): string {
  const type = (event as { type?: unknown } | null | undefined)?.type;
  return typeof type === 'string' && type !== '' ? type : 'event';
}

/**
 * A digest of a value that is the same for the same value, however it is written: what an idempotency key is
 * checked against, and a snapshot's checksum. Built on `canonicalForm`, which covers every structured-cloneable value
 * and tells their kinds apart; the order of object keys, Map entries and Set elements does not count, and a cyclic
 * value has a fingerprint that changes with the shape of its cycle.
 *
 * Throws a `NotCloneableError` (at `path`) when the value is too large to fingerprint: its form, in which every
 * shared object is written out in full, exceeds the engine's longest string, or nests beyond its stack.
 */
export function fingerprintOf(value: unknown, path = 'value'): string {
  let form: string;
  try {
    form = canonicalForm(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new NotCloneableError(path, `value too large to fingerprint (${error.message})`);
  }
  return hash(form);
}

/** cyrb53: a fast 53-bit string hash, as 14 hex digits. Not cryptographic; collisions need a deliberate search. */
function hash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}
