/// <reference types="node" />
import { isDeepStrictEqual } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEventfoldError } from '../core/errors.ts';
import { assertCloneable, MAX_DEPTH } from '../core/validation.ts';
import { decodeValue, encodeValue } from '../core/value-codec.ts';

/** A resizable ArrayBuffer, which the ES2023 typings this project compiles against do not describe. */
type Resizable = ArrayBuffer & { readonly resizable: boolean; readonly maxByteLength: number; resize(byteLength: number): void };
const ResizableBuffer = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => Resizable;

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`value-codec: fast-check seed ${seed} (FC_SEED=${seed} replays it)`);

/** Through JSON text, as a driver sends the value and reads it back. */
function roundTrip(value: unknown): unknown {
  return decodeValue(JSON.parse(JSON.stringify(encodeValue(value, 'value'))));
}

/**
 * Throws unless `actual` is what structured clone makes of the original (`expected`): equal by Node's strict deep
 * equality, and also of the same prototypes, with the same objects shared (a bijection between the two graphs), views
 * at the same offsets into buffers of the same size and resizability (and following them alike as they resize), holes
 * where holes were, RegExp `lastIndex`.
 */
function expectClone(actual: unknown, expected: unknown): void {
  // Node 20's strict equality finds two invalid Dates different: it is asked only where it agrees with itself.
  if (isDeepStrictEqual(expected, structuredClone(expected))) expect(isDeepStrictEqual(actual, expected)).toBe(true);
  const forth = new Map<object, object>();
  const back = new Map<object, object>();
  const fail = (path: string, what: string) => {
    throw new Error(`${path || 'value'}: ${what}`);
  };
  const same = (a: unknown, b: unknown, path: string): void => {
    if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
      if (!Object.is(a, b)) fail(path, `${String(a)} is not ${String(b)}`);
      return;
    }
    if (forth.has(a) || back.has(b)) {
      if (forth.get(a) !== b) fail(path, 'shares objects differently');
      return;
    }
    forth.set(a, b);
    back.set(b, a);
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) fail(path, 'has another prototype');
    if (ArrayBuffer.isView(a)) {
      const [x, y] = [a as Uint8Array, b as Uint8Array];
      if (x.byteOffset !== y.byteOffset || x.byteLength !== y.byteLength) fail(path, 'is another part of its buffer');
      if ((x.buffer as Resizable).resizable && behaviour(x) !== behaviour(y)) fail(path, 'follows its buffer differently');
      return same(x.buffer, y.buffer, `${path}.buffer`);
    }
    if (a instanceof ArrayBuffer) {
      const [x, y] = [a as Resizable, b as Resizable];
      if (x.byteLength !== y.byteLength || x.resizable !== y.resizable || x.maxByteLength !== y.maxByteLength) fail(path, 'is another buffer');
      if (!Buffer.from(a).equals(Buffer.from(y))) fail(path, 'holds other bytes');
      return;
    }
    if (a instanceof Date && !Object.is(a.getTime(), (b as Date).getTime())) fail(path, 'is another time');
    if (a instanceof RegExp && (a.source !== (b as RegExp).source || a.flags !== (b as RegExp).flags)) fail(path, 'is another RegExp');
    if (a instanceof RegExp && a.lastIndex !== (b as RegExp).lastIndex) fail(path, 'has another lastIndex');
    if (a instanceof Map || a instanceof Set) {
      const [x, y] = [[...a.entries()], [...(b as Map<unknown, unknown>).entries()]];
      if (x.length !== y.length) fail(path, 'has another size');
      x.forEach((entry, i) => {
        same(entry[0], y[i]![0], `${path}<entry ${i}>`);
        same(entry[1], y[i]![1], `${path}<entry ${i}>`);
      });
      return;
    }
    const keys = Object.keys(a).sort();
    if (!isDeepStrictEqual(keys, Object.keys(b).sort())) fail(path, 'has other keys');
    if (Array.isArray(a) && a.length !== (b as unknown[]).length) fail(path, 'has another length');
    for (const key of keys) same((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}[${JSON.stringify(key)}]`);
  };
  same(actual, expected, '');
}

/**
 * How a view over a resizable buffer behaves as its buffer takes every size up to its maximum (seen on a clone, so
 * the view itself is not resized): its length and offset at each size, or that it is out of bounds.
 */
function behaviour(view: ArrayBufferView): string {
  const clone = structuredClone(view);
  const buffer = clone.buffer as Resizable;
  const sizes: string[] = [];
  for (let size = 0; size <= buffer.maxByteLength; size++) {
    buffer.resize(size);
    try {
      if (!(clone instanceof DataView)) (clone as Uint8Array).at(0);
      sizes.push(`${clone.byteLength}@${clone.byteOffset}`);
    } catch {
      sizes.push('out of bounds');
    }
  }
  return sizes.join(' ');
}

function expectRoundTrip(value: unknown): void {
  expectClone(roundTrip(value), structuredClone(value));
}

/** Code units jsonb cannot hold, and a few that look like it. */
const awkward = ['\0', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uFFFF', '\uFFFE', '\uD83D\uDE00', '$', '"', '\\', '\u2028'];
const stringUnit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom(...awkward) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) },
);
const key = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: stringUnit, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('$', '$$', 'v', '0', '10', '__proto__', 'type', 'amount', 'length') },
);
const anything = fc.anything({
  key,
  stringUnit,
  maxDepth: 4,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withObjectString: true,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
});

/** Values with shared objects and cycles: a generated value put in several places, and into itself. */
const sharing = fc.tuple(anything, fc.anything({ withMap: true, withSet: true, maxDepth: 2 }), fc.nat(3)).map(([part, other, how]) => {
  switch (how) {
    case 0:
      return { a: part, b: [part, other], c: new Map([[part, part]]) };
    case 1: {
      const box: Record<string, unknown> = { part, other };
      box.self = box;
      return [box, part];
    }
    case 2: {
      const list: unknown[] = [part];
      list.push(list, new Set([list, other]));
      return list;
    }
    default: {
      const map = new Map<unknown, unknown>([[other, part]]);
      map.set(map, [map]);
      return { map, again: map };
    }
  }
});

/** `undefined` when `value` is accepted by validation, else the refusal. */
function validationRefusal(value: unknown): { path: string; found: string } | undefined {
  try {
    assertCloneable(value, 'value');
    return undefined;
  } catch (error) {
    if (!isEventfoldError(error, 'not-cloneable')) throw error;
    return { path: error.path, found: error.found };
  }
}

function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

function handCases(): [string, unknown][] {
  const shared = { n: 1 };
  const cyclic: Record<string, unknown> = { name: 'root' };
  cyclic.self = cyclic;
  const cyclicArray: unknown[] = [1];
  cyclicArray.push(cyclicArray);
  const cyclicMap = new Map<unknown, unknown>();
  cyclicMap.set(cyclicMap, cyclicMap);
  const cyclicSet = new Set<unknown>();
  cyclicSet.add(cyclicSet);
  const buffer = new ArrayBuffer(16);
  new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const sparse: unknown[] = [];
  sparse[1_000_000] = 'far';
  const withProps = Object.assign([1, 2], { note: 'extra', 'a\0b': 3 });
  const nullProto = Object.assign(Object.create(null) as object, { a: 1, b: { c: undefined } });
  const regExp = /a+(?<x>b)?/dgimsy;
  regExp.lastIndex = 3;
  const resizable = new ResizableBuffer(8, { maxByteLength: 16 });
  const kinds = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
  return [
    ['a typical event payload', { type: 'Deposited', amount: 100, note: 'salary for March' }],
    ['undefined', undefined],
    ['undefined in arrays and as property values', { a: undefined, list: [undefined, 1, undefined] }],
    ['special numbers', [Number.NaN, Infinity, -Infinity, -0, 0, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 0.1, 1e21]],
    ['bigints', [0n, -1n, 2n ** 64n + 1n, -(10n ** 40n)]],
    ['strings jsonb cannot hold', ['\0', 'a\0b', '\0\0', '\uD800', 'x\uDC00y', '\uDC00\uD800', 'end\uD83D', '\uDE00start']],
    ['strings jsonb holds', ['', '\uFFFF', '\uFFFE', '\uD83D\uDE00', '\u0001\u001f', '\u2028\u2029', '{"$":"Map"}']],
    ['keys jsonb cannot hold, and the tag key', { '\0': 1, 'a\uD800': 2, $: 3, $$: 4, v: 5 }],
    ['user objects that look like tags', [{ $: 'Map', v: [] }, { $: 'undefined' }, { $: 'ref', v: 0 }, { $: 'Graph', v: 1, objects: [] }, { $: 'string', v: ['a', 0] }]],
    ['a huge string with NUL', 'ab\0'.repeat(174_762)],
    ['a huge plain string', 'x'.repeat(500_000)],
    ['objects nested to the limit', nested(MAX_DEPTH, (inner) => ({ inner }))],
    ['arrays nested to the limit', nested(MAX_DEPTH, (inner) => [inner])],
    ['Maps nested to the limit', nested(MAX_DEPTH, (inner) => new Map([['k', inner]]))],
    ['views nested to the limit', nested(MAX_DEPTH - 1, (inner) => [inner, new Uint8Array(2)])],
    ['Dates', [new Date(0), new Date(Number.NaN), new Date(8.64e15), new Date(-8.64e15), new Date(-0)]],
    ['every typed array kind', kinds.map((Kind) => new Kind(new ArrayBuffer(24), 8, 1))],
    ['float bytes kept exactly', new Float64Array(new Uint8Array([1, 0, 0, 0, 0, 0, 0xf8, 0x7f]).buffer)],
    ['a DataView over part of a buffer', new DataView(buffer, 3, 5)],
    ['two views sharing one buffer', [new Uint8Array(buffer, 0, 4), new Uint32Array(buffer, 4, 2), buffer]],
    ['a view and a DataView of one buffer', { bytes: new Uint8Array(buffer), view: new DataView(buffer, 8) }],
    ['an empty buffer and views', [new ArrayBuffer(0), new Uint8Array(0), new DataView(new ArrayBuffer(3), 3)]],
    ['a Node Buffer (a Uint8Array into a pool)', Buffer.from('abc')],
    ['a resizable buffer and views over it', [
      resizable,
      new Uint8Array(resizable),
      new Uint8Array(resizable, 2, 6),
      new Uint16Array(resizable, 2, 2),
      new DataView(resizable, 4),
      new DataView(resizable, 8, 0),
      new Uint8Array(new ResizableBuffer(4, { maxByteLength: 4 })),
      new Uint8Array(new ResizableBuffer(4, { maxByteLength: 4 }), 0, 4),
      new Float64Array(new ResizableBuffer(8, { maxByteLength: 12 }), 0, 1),
      new Float64Array(new ResizableBuffer(8, { maxByteLength: 12 })),
    ]],
    ['a RegExp with flags and lastIndex', [regExp, new RegExp('[x]', 'v'), new RegExp('\0\uD800'), /[/]\//u]],
    ['boxed primitives', [Object(true), Object(-0), Object(Number.NaN), Object('a\0'), Object(''), Object(12n)]],
    ['sparse arrays', [[, 1], new Array(5), [1, , 3], sparse]],
    ['an array with other properties', withProps],
    ['a null-prototype object', nullProto],
    ['integer-like keys', { 10: 'a', 9: 'b', '-1': 'c', '01': 'd', 4294967295: 'e', b: 1, a: 2 }],
    ['a shared object', { a: shared, b: shared, list: [shared] }],
    ['cycles', [cyclic, cyclicArray, cyclicMap, cyclicSet]],
    ['a shared Date and a shared string-keyed Map', (() => {
      const date = new Date(1);
      const map = new Map([['k', date]]);
      return { date, map, again: [map, date] };
    })()],
    ['Map and Set of every kind', new Map<unknown, unknown>([[new Date(2), new Set([-0, Number.NaN, undefined, null, '\0'])], [1n, { $: 1 }]])],
  ];
}

describe('the value codec', () => {
  describe('given plain JSON', () => {
    it('stores it as it is, and reads it as it is', () => {
      const payload = { type: 'Deposited', amount: 100, note: 'salary', tags: ['a', 'b'], nested: { ok: true, none: null } };
      expect(encodeValue(payload, 'event')).toBe(payload);
      const stored = JSON.parse(JSON.stringify(payload)) as unknown;
      expect(decodeValue(stored)).toBe(stored);
    });

    it('stores any JSON value as it is unless jsonb cannot hold it or it says "$"', () => {
      // jsonb cannot hold -0 as such, U+0000 or a lone surrogate; "$" is the tag key.
      const storable = (value: unknown): boolean => {
        if (typeof value === 'number') return !Object.is(value, -0);
        if (typeof value === 'string') return !/\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
        if (Array.isArray(value)) return value.every(storable);
        if (typeof value === 'object' && value !== null) return Object.entries(value).every(([k, v]) => k !== '$' && storable(k) && storable(v));
        return true;
      };
      fc.assert(
        fc.property(fc.jsonValue({ stringUnit }), (value) => {
          fc.pre(validationRefusal(value) === undefined);
          const encoded = encodeValue(value, 'value');
          expect(encoded === value).toBe(storable(value));
          expectRoundTrip(value);
        }),
        { seed, numRuns: 500 },
      );
    });
  });

  describe('given a value of any cloneable kind', () => {
    it.each(handCases())('round-trips %s through JSON text', (_, value) => {
      expectRoundTrip(value);
    });

    it('round-trips every value validation accepts, and refuses every other at the path validation names', () => {
      fc.assert(
        fc.property(fc.oneof(anything, sharing), (value) => {
          const refusal = validationRefusal(value);
          if (refusal) {
            expect(() => encodeValue(value, 'value')).toThrow(expect.objectContaining({ code: 'not-cloneable', ...refusal }));
            return;
          }
          const before = structuredClone(value);
          const decoded = roundTrip(value);
          expectClone(decoded, structuredClone(value));
          expectClone(structuredClone(value), before);
        }),
        { seed, numRuns: 1000 },
      );
    });

    it('never changes the value it encodes', () => {
      const value = { list: [1, , undefined], map: new Map([['\0', -0]]), $: 'tag', shared: [] as unknown[] };
      value.shared.push(value.shared, value.list);
      const before = structuredClone(value);
      encodeValue(value, 'value');
      expectClone(structuredClone(value), before);
    });

    it('keeps Maps, Sets and tagged objects in their order; plain objects come back in jsonb key order', async () => {
      const decoded = roundTrip({ z: new Map([['b', 1], ['a', 2]]), y: new Set(['b', 'a']), x: { b: 1, $: 0, a: 2 } }) as {
        z: Map<string, number>;
        y: Set<string>;
        x: object;
      };
      expect([...decoded.z.keys()]).toEqual(['b', 'a']);
      expect([...decoded.y]).toEqual(['b', 'a']);
      expect(Object.keys(decoded.x)).toEqual(['b', '$', 'a']);
    });
  });

  describe('given what cannot be stored', () => {
    class Account {
      balance = 1;
    }
    class FakeDate {
      get [Symbol.toStringTag]() {
        return 'Date';
      }
    }
    const sab = new SharedArrayBuffer(4);
    const detached = new ArrayBuffer(4);
    structuredClone(detached, { transfer: [detached] });
    const shrunk = new ResizableBuffer(8, { maxByteLength: 8 });
    const outOfBounds = new Uint8Array(shrunk, 4, 4);
    shrunk.resize(2);
    it.each<[string, unknown, string, string]>([
      ['a function', { onClick: () => {} }, 'value.onClick', 'function'],
      ['a symbol', [Symbol('s')], 'value[0]', 'symbol'],
      ['a class instance', { account: new Account() }, 'value.account', 'Account'],
      ['an Error', new Map([['e', new Error('boom')]]), 'value<entry 0>', 'Error'],
      ['a WeakMap', { weak: new WeakMap() }, 'value.weak', 'WeakMap'],
      ['symbol keys', { inner: { [Symbol('k')]: 1 } }, 'value.inner', 'object with symbol keys'],
      ['a "__proto__" key', JSON.parse('{"a":{"__proto__":1}}'), 'value.a.__proto__', 'key "__proto__" (a prototype-pollution vector)'],
      ['a value nested too deep', nested(MAX_DEPTH + 1, (inner) => ({ inner })), `value${'.inner'.repeat(MAX_DEPTH)}`, `value nested more than ${MAX_DEPTH} levels deep`],
      ['an object that says it is a Date', { when: new FakeDate() }, 'value.when', 'FakeDate'],
      ['a view over a SharedArrayBuffer', { bytes: new Uint8Array(sab) }, 'value.bytes', 'Uint8Array over a SharedArrayBuffer'],
      ['a detached buffer', { buffer: detached }, 'value.buffer', 'detached ArrayBuffer'],
      ['a view out of bounds', [outOfBounds], 'value[0]', "Uint8Array out of its buffer's bounds (its buffer is detached or was shrunk)"],
      ['a function among shared objects', (() => {
        const shared = { f: () => {} };
        return [shared, shared];
      })(), 'value[0].f', 'function'],
    ])('refuses %s with a NotCloneableError naming its path', (_, value, path, found) => {
      expect(() => encodeValue(value, 'value')).toThrow(expect.objectContaining({ code: 'not-cloneable', path, found }));
    });
  });

  describe('given stored data it did not write', () => {
    it('never assigns to a prototype', () => {
      const stored = JSON.parse('[{"__proto__":{"polluted":1},"d":{"$":"undefined"}},{"$":"Object","v":[["__proto__",{"polluted":2}]]}]') as unknown;
      const [plain, tagged] = decodeValue(stored) as [Record<string, unknown>, Record<string, unknown>];
      for (const object of [plain, tagged]) {
        expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
        expect(Object.keys(object)).toContain('__proto__');
        expect((object as { polluted?: unknown }).polluted).toBeUndefined();
      }
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    });

    it.each([
      ['an unknown tag', { $: 'Function', v: 'return 1' }],
      ['a reference outside a graph', { $: 'ref', v: 0 }],
      ['a reference out of range', { $: 'Graph', v: { $: 'ref', v: 3 }, objects: [] }],
      ['an object that holds itself', { $: 'Graph', v: { $: 'ref', v: 0 }, objects: [{ $: 'Uint8Array', v: { $: 'ref', v: 0 } }] }],
      ['bad base64', { $: 'ArrayBuffer', v: 'A*==' }],
      ['an Array with a "length" entry', { $: 'Array', length: 1, v: [['length', 5]] }],
      ['an Array with an entry beyond its length', { $: 'Array', length: 1, v: [['7', 5]] }],
      ['a view beyond its buffer', { $: 'Uint8Array', v: { $: 'ArrayBuffer', v: 'AAAA' }, byteOffset: 2, length: 5 }],
      ['a string of bad parts', { $: 'string', v: ['a', 70000] }],
      ['a boxed Number holding a string', { $: 'Number', v: '1' }],
    ])('refuses %s with a TypeError', (_, stored) => {
      expect(() => decodeValue(stored)).toThrow(TypeError);
    });
  });
});

describe('the value codec over PGlite (jsonb)', () => {
  let db: PGlite;
  let id = 0;
  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec('CREATE TABLE stored (id integer PRIMARY KEY, value jsonb NOT NULL)');
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  /** Stores `value` encoded, as the journal does (bound as text, cast to jsonb), and reads it back decoded. */
  async function throughPostgres(value: unknown): Promise<unknown> {
    const key = ++id;
    await db.query('INSERT INTO stored (id, value) VALUES ($1, $2::jsonb)', [key, JSON.stringify(encodeValue(value, 'value'))]);
    const { rows } = await db.query<{ value: unknown }>('SELECT value FROM stored WHERE id = $1', [key]);
    return decodeValue(rows[0]!.value);
  }

  it('shows why: jsonb refuses U+0000 and escaped lone surrogates, and replaces raw ones', async () => {
    await expect(db.query('SELECT $1::jsonb', [JSON.stringify('a\0b')])).rejects.toThrow(/unsupported Unicode escape sequence/);
    await expect(db.query('SELECT $1::jsonb', [JSON.stringify('a\uD800b')])).rejects.toThrow(/invalid input syntax for type json/);
    const { rows } = await db.query<{ value: string }>('SELECT $1::jsonb AS value', ['"a\uD800b"']);
    expect(rows[0]!.value).toBe('a\uFFFDb');
  });

  it.each(handCases())('round-trips %s', async (_, value) => {
    expectClone(await throughPostgres(value), structuredClone(value));
  });

  it('round-trips arbitrary cloneable values, and every double', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anything, sharing, fc.array(fc.double(), { maxLength: 20 })), async (value) => {
        fc.pre(validationRefusal(value) === undefined);
        expectClone(await throughPostgres(value), structuredClone(value));
      }),
      { seed, numRuns: 300 },
    );
  });

  it('stores a plain payload as it is, and reads it back in jsonb key order', async () => {
    const payload = { type: 'Deposited', amount: 100, note: 'salary' };
    const decoded = await throughPostgres(payload);
    const { rows } = await db.query<{ same: boolean }>('SELECT value = $2::jsonb AS same FROM stored WHERE id = $1', [id, JSON.stringify(payload)]);
    expect(rows[0]!.same).toBe(true);
    expect(decoded).toEqual(payload);
    expect(Object.keys(decoded as object)).toEqual(['note', 'type', 'amount']);
  });

  it('keeps a payload queryable where it is plain JSON, also beside a Date', async () => {
    await throughPostgres({ type: 'Deposited', amount: 100, at: new Date(5), tags: ['pay'] });
    const { rows } = await db.query<{ amount: string; at: unknown; found: boolean }>(
      `SELECT value->>'amount' AS amount, value->'at' AS at, value @> '{"type":"Deposited","tags":["pay"]}' AS found FROM stored WHERE id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({ amount: '100', at: { $: 'Date', v: 5 }, found: true });
  });
});
