import { deepEqual } from '../deep-equal.ts';
import { SpecificationError } from '../specification-error.ts';

// The contract suites' assertions: runner-agnostic, each failure a `SpecificationError` that says what was expected
// and what came, with both values for a runner to diff.

/** A test of a value inside a pattern (see `assertMatches`), shown in messages by its description. */
export class Matcher {
  constructor(
    /** How a failure message shows the matcher: `a string containing "k1"`. */
    readonly description: string,
    /** Whether `value` matches. */
    readonly test: (value: unknown) => boolean,
  ) {}
}

/** Matches a string that contains `text`. */
export function containing(text: string): Matcher {
  return new Matcher(`a string containing ${JSON.stringify(text)}`, (value) => typeof value === 'string' && value.includes(text));
}

/**
 * Passes when `actual` equals `expected` as Vitest's and Jest's `toEqual` have it: `deepEqual` (the same value, by
 * content and kind: Maps, Sets, Dates, typed arrays…), except that an object's property whose value is `undefined`
 * counts as absent, so that `{ checkpoint: undefined, documents: [] }` equals `{ documents: [] }`.
 */
export function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(withoutUndefined(actual), withoutUndefined(expected))) failWith(what, 'to equal', expected, actual);
}

/**
 * Passes when `actual` is the same value as `expected` by `deepEqual` alone: an `undefined` property is not a missing
 * one. For values a journal must give back exactly as written.
 */
export function assertSame(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) failWith(what, 'to be exactly', expected, actual);
}

/**
 * Passes when `actual` matches `pattern` as `toMatchObject` has it: every property of a plain-object pattern is
 * there (own or inherited) and matches, recursively; extra properties are ignored; an array pattern matches an
 * array of its length element by element; a `Matcher` tests the value; any other pattern must `assertEqual` it.
 */
export function assertMatches(actual: unknown, pattern: unknown, what: string): void {
  if (!matches(actual, pattern)) failWith(what, 'to match', pattern, actual);
}

/** Passes when `condition` holds; else fails, saying what was `expected` and showing what came (`actual`). */
export function assertThat(condition: boolean, what: string, expected: string, actual: unknown): asserts condition {
  if (!condition) throw new SpecificationError(`Expected ${what} to be ${expected}, but got ${display(actual)}`);
}

/**
 * Passes when `promise` rejects with an error that matches `pattern`, such as `{ code: 'conflict', expected: 1 }`
 * (see `assertMatches`); fails when it resolves, saying with what.
 */
export async function assertRejects(promise: Promise<unknown>, pattern: object, what: string): Promise<void> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    if (!matches(error, pattern)) {
      throw new SpecificationError(`Expected ${what} to reject with ${display(pattern)}, but it rejected with ${display(error)}`, {
        expected: pattern,
        actual: error,
      });
    }
    return;
  }
  throw new SpecificationError(`Expected ${what} to reject with ${display(pattern)}, but it resolved with ${display(value)}`);
}

/** Passes when `positions` are integers above 0, each above the one before it. */
export function assertIncreasing(positions: readonly number[], what: string): void {
  const bad = positions.findIndex((position, i) => !Number.isSafeInteger(position) || position < 1 || (i > 0 && position <= positions[i - 1]!));
  assertThat(bad < 0, what, 'integers above 0, each above the one before', positions);
}

function failWith(what: string, relation: string, expected: unknown, actual: unknown): never {
  throw new SpecificationError(`Expected ${what} ${relation} ${display(expected)}, but got ${display(actual)}`, { expected, actual });
}

function matches(actual: unknown, pattern: unknown): boolean {
  if (pattern instanceof Matcher) return pattern.test(actual);
  if (Array.isArray(pattern)) {
    return Array.isArray(actual) && actual.length === pattern.length && pattern.every((element, i) => matches(actual[i], element));
  }
  if (isPlain(pattern)) {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.keys(pattern).every((key) => key in actual && matches((actual as Record<string, unknown>)[key], pattern[key]));
  }
  return deepEqual(withoutUndefined(actual), withoutUndefined(pattern));
}

// Kinds are told by their tags and prototypes, not by `instanceof`: a journal may hand out values of another realm
// (Jest runs tests in a realm of their own, while `structuredClone` makes values of Node's).

function isPlain(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function tagOf(value: object): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** A copy of `value` without the `undefined` properties of its plain objects, at any depth (arrays, Maps, Sets). */
function withoutUndefined(value: unknown, copies = new Map<object, unknown>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    copies.set(value, copy);
    for (const element of value) copy.push(withoutUndefined(element, copies));
    return copy;
  }
  const tag = tagOf(value);
  if (tag === 'Map') {
    const copy = new Map<unknown, unknown>();
    copies.set(value, copy);
    for (const [key, entry] of value as Map<unknown, unknown>) copy.set(key, withoutUndefined(entry, copies));
    return copy;
  }
  if (tag === 'Set') {
    const copy = new Set<unknown>();
    copies.set(value, copy);
    for (const element of value as Set<unknown>) copy.add(withoutUndefined(element, copies));
    return copy;
  }
  if (!isPlain(value)) return value;
  const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value));
  copies.set(value, copy);
  for (const [key, entry] of Object.entries(value)) if (entry !== undefined) copy[key] = withoutUndefined(entry, copies);
  return copy;
}

/**
 * A value as a failure message shows it: JavaScript-like, with the kinds JSON would lose (Maps, Sets, Dates,
 * bigints, `undefined`, typed arrays) and errors with their fields; long lists and deep values cut short.
 */
export function display(value: unknown, depth = 0, seen: readonly object[] = []): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'symbol':
    case 'boolean':
      return String(value);
  }
  if (value === null) return 'null';
  if (value instanceof Matcher) return value.description;
  const object = value as object;
  if (seen.includes(object)) return '[circular]';
  if (depth >= MAX_DEPTH_SHOWN) return '…';
  const inner = [...seen, object];
  const show = (element: unknown) => display(element, depth + 1, inner);
  const list = <T>(elements: readonly T[], each: (element: T) => string) =>
    elements.slice(0, MAX_SHOWN).map(each).join(', ') + (elements.length > MAX_SHOWN ? `, … ${elements.length - MAX_SHOWN} more` : '');
  if (Array.isArray(object)) return `[${list(object, show)}]`;
  const tag = tagOf(object);
  if (tag === 'Map') return `Map {${list([...(object as Map<unknown, unknown>)], ([key, entry]) => `${show(key)} => ${show(entry)}`)}}`;
  if (tag === 'Set') return `Set {${list([...(object as Set<unknown>)], show)}}`;
  if (tag === 'Date') {
    const time = Date.prototype.getTime.call(object);
    return `Date(${Number.isNaN(time) ? 'invalid' : new Date(time).toISOString()})`;
  }
  if (ArrayBuffer.isView(object)) {
    const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
    return `${tag} <${list([...bytes], String)}>`;
  }
  const fields = `{${list(Object.entries(object), ([key, entry]) => `${IDENTIFIER.test(key) ? key : JSON.stringify(key)}: ${show(entry)}`)}}`;
  if (tag === 'Error') {
    const { name, message } = object as Error;
    return `${String(name)}(${JSON.stringify(String(message))}) ${fields}`;
  }
  return isPlain(object) ? fields : `${(object.constructor as { name?: string } | undefined)?.name ?? tag} ${fields}`;
}

/** Longest list a message shows whole. */
const MAX_SHOWN = 20;
/** Deepest nesting a message shows. */
const MAX_DEPTH_SHOWN = 6;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
