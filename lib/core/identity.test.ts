import { fingerprintOf } from 'eventfold';
import { describe, expect, it } from 'vitest';

const sparse = (length: number, entries: Record<number, unknown> = {}) => {
  const array: unknown[] = new Array(length);
  for (const [index, value] of Object.entries(entries)) array[Number(index)] = value;
  return array;
};
const bytes = (...values: number[]) => new Uint8Array(values).buffer;
const cyclic = <T extends object>(make: (self: T) => void, value: T): T => (make(value), value);

/** Pairs of values that are not the same value: each pair must get two fingerprints. */
const DIFFERENT: [string, unknown, unknown][] = [
  ['Maps with different values', new Map([['a', 1]]), new Map([['a', 2]])],
  ['Maps with different keys', new Map([['a', 1]]), new Map([['b', 1]])],
  ['a Map and an empty object', new Map([['a', 1]]), {}],
  ['a Map and an object of its entries', new Map([['a', 1]]), { a: 1 }],
  ['a Map with a number key and one with a string key', new Map([[1, 'x']]), new Map([['1', 'x']])],
  ['a Map and a Set', new Map(), new Set()],
  ['Sets with different elements', new Set([1]), new Set([2])],
  ['a Set of one object and a Set of two equal objects', new Set([{}]), new Set([{}, {}])],
  ['a Set and an array', new Set([1]), [1]],
  ['dates a millisecond apart', new Date(0), new Date(1)],
  ['an invalid date and the epoch', new Date(Number.NaN), new Date(0)],
  ['an invalid date and NaN', new Date(Number.NaN), Number.NaN],
  ['a date and its time', new Date(0), 0],
  ['a date and its ISO string', new Date(0), new Date(0).toISOString()],
  ['regular expressions of different sources', /a/, /b/],
  ['regular expressions of different flags', /a/g, /a/i],
  ['a regular expression and its text', /a/, '/a/'],
  ['a regular expression and an empty object', /a/, {}],
  ['buffers of different lengths', new ArrayBuffer(1), new ArrayBuffer(8)],
  ['buffers of different bytes', bytes(1), bytes(2)],
  ['a buffer and an empty object', new ArrayBuffer(1), {}],
  ['views of different kinds over the same bytes', new Uint8Array([1]), new Int8Array([1])],
  ['a clamped and a plain byte view', new Uint8ClampedArray([1]), new Uint8Array([1])],
  ['a view and its buffer', new Uint8Array([1]), bytes(1)],
  ['a DataView and a byte view of the same bytes', new DataView(bytes(1, 2)), new Uint8Array([1, 2])],
  ['a 16-bit view and a byte view of the same bytes', new Uint16Array([1]), new Uint8Array(new Uint16Array([1]).buffer)],
  ['float views of different values', new Float64Array([1]), new Float64Array([2])],
  ['bigint views of different values', new BigInt64Array([1n]), new BigInt64Array([2n])],
  ['a view and an array of its elements', new Uint8Array([1, 2]), [1, 2]],
  ['a bigint and a number', 1n, 1],
  ['a bigint and its text', 1n, '1n'],
  ['a boxed bigint and a bigint', Object(1n), 1n],
  ['boxed numbers', new Number(1), new Number(2)],
  ['a boxed number and a number', new Number(1), 1],
  ['a boxed string and a string', new String('a'), 'a'],
  ['boxed strings', new String('a'), new String('b')],
  ['a boxed false and false', new Boolean(false), false],
  ['boxed booleans', new Boolean(true), new Boolean(false)],
  ['a boxed number and a boxed string', new Number(1), new String('1')],
  ['-0 and 0', -0, 0],
  ['NaN and its text', Number.NaN, 'NaN'],
  ['NaN and null', Number.NaN, null],
  ['Infinity and its text', Number.POSITIVE_INFINITY, 'Infinity'],
  ['a one-hole array and an empty one', sparse(1), []],
  ['a hole and undefined', sparse(1), [undefined]],
  ['a hole in the middle and undefined there', sparse(3, { 0: 1, 2: 3 }), [1, undefined, 3]],
  ['holes at different places', sparse(3, { 0: 1 }), sparse(3, { 2: 1 })],
  ['an array with a named property and one without', Object.assign([1], { x: 2 }), [1]],
  ['an undefined property and a missing one', { a: undefined }, {}],
  ['an undefined property and a null one', { a: undefined }, { a: null }],
  ['a string that reads as a number', '1', 1],
  ['a string that reads as true', 'true', true],
  ['a string that reads as null', 'null', null],
  ['a string that reads as undefined', 'u', undefined],
  ['a string that reads as an object', '{}', {}],
  ['a string that reads as an array', '[]', []],
  ['a string that reads as a bigint', '12n', 12n],
  ['a key that reads as a nested entry', { 'a":1,"b': 2 }, { a: 1, b: 2 }],
  ['a Map nested in an object', { m: new Map([['k', [1]]]) }, { m: new Map([['k', [2]]]) }],
  ['bytes nested in a Set', new Set([new Uint8Array([1])]), new Set([new Uint8Array([2])])],
  [
    'a one-step and a two-step cycle',
    cyclic((a: Record<string, unknown>) => (a.next = a), {}),
    cyclic((a: Record<string, unknown>) => (a.next = { next: a }), {}),
  ],
  [
    'a cycle and a chain',
    cyclic((a: Record<string, unknown>) => (a.next = a), {}),
    { next: { next: {} } },
  ],
  [
    'cycles through a Map and through an object',
    cyclic((m: Map<string, unknown>) => m.set('self', m), new Map()),
    cyclic((o: Record<string, unknown>) => (o.self = o), {}),
  ],
];

/** Pairs of values that are the same value, written differently: each pair must get one fingerprint. */
const SAME: [string, unknown, unknown][] = [
  ['objects with their keys in another order', { a: 1, b: 2 }, { b: 2, a: 1 }],
  ['Maps with their entries in another order', new Map([['a', 1], ['b', 2]]), new Map([['b', 2], ['a', 1]])],
  ['Sets with their elements in another order', new Set([1, 'x', {}]), new Set([{}, 'x', 1])],
  ['a view on part of a buffer and a view of just those bytes', new Uint8Array(bytes(9, 1, 2, 9), 1, 2), new Uint8Array([1, 2])],
  ['an object without a prototype and a plain one', Object.assign(Object.create(null), { a: 1 }), { a: 1 }],
  ['a shared object and two equal copies', (() => { const o = { v: 1 }; return { x: o, y: o }; })(), { x: { v: 1 }, y: { v: 1 } }],
  ['NaN and NaN', Number.NaN, Number.NaN],
  ['two invalid dates', new Date(Number.NaN), new Date('not a date')],
];

describe('fingerprintOf', () => {
  it.each(DIFFERENT)('tells apart %s', (_, a, b) => {
    expect(fingerprintOf(a)).not.toBe(fingerprintOf(b));
  });

  it.each(SAME)('gives one fingerprint to %s', (_, a, b) => {
    expect(fingerprintOf(a)).toBe(fingerprintOf(b));
  });

  it.each([...DIFFERENT, ...SAME].flatMap(([name, a, b]) => [[`${name} (first)`, a], [`${name} (second)`, b]]))(
    'is the same for a structured clone of %s',
    (_, value) => {
      expect(fingerprintOf(structuredClone(value))).toBe(fingerprintOf(value));
    },
  );

  it('keeps the fingerprints of plain data that earlier versions stored', () => {
    // Stored snapshot checksums and idempotency records of plain data stay valid across the upgrade.
    const state = {
      owner: 'Ada', balance: 10.5, tags: ['x', 'y'], opened: new Date(0), big: 12n, none: null, gone: undefined,
      open: true, neg: -0, nested: [[1], {}],
    };
    expect(fingerprintOf(state)).toBe('0cc0bdbf6bffa7');
    expect(fingerprintOf({ owner: 'Ada' })).toBe('084e0cb03cd83a');
    expect(fingerprintOf('a3')).toBe('08a02c31c1aabc');
  });

  it('fingerprints a cyclic value, and the fingerprint changes with the shape of the cycle', () => {
    const ring = (length: number) => {
      const nodes = Array.from({ length }, (_, i) => ({ i, next: undefined as unknown }));
      nodes.forEach((node, i) => (node.next = nodes[(i + 1) % length]));
      return nodes[0];
    };
    const prints = [1, 2, 3].map((length) => fingerprintOf(ring(length)));
    expect(new Set(prints).size).toBe(3);
    const list: unknown[] = [1];
    list.push(list);
    const set = new Set<unknown>([1]);
    set.add(set);
    expect(fingerprintOf(list)).toBe(fingerprintOf(structuredClone(list)));
    expect(fingerprintOf(set)).toBe(fingerprintOf(structuredClone(set)));
    expect(fingerprintOf(list)).not.toBe(fingerprintOf([1, [1]]));
  });

  it('fingerprints a value that shares objects many times over, computing each shared object once', () => {
    // Sixteen levels of two references to the next level: 65,536 paths through 17 objects.
    const tower = (levels: number) => {
      let node: object = { leaf: true };
      for (let i = 0; i < levels; i++) node = { left: node, right: node };
      return node;
    };
    expect(fingerprintOf(tower(16))).toBe(fingerprintOf(structuredClone(tower(16))));
    // Forty levels write out 2^40 leaves: refused with a typed error, not a hang or a bare RangeError.
    expect(() => fingerprintOf(tower(40), 'snapshot.state')).toThrow(
      expect.objectContaining({ code: 'not-cloneable', path: 'snapshot.state' }),
    );
  });
});
