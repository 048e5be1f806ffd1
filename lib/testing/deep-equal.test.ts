import { counter } from '../test-support/counter.ts';
import { DeciderSpecification, deepEqual, SpecificationError } from 'eventfold/testing';
import { describe, expect, it } from 'vitest';

describe('deepEqual', () => {
  it.each([
    ['buffers of different lengths', new ArrayBuffer(1), new ArrayBuffer(8)],
    ['buffers of different bytes', new Uint8Array([1]).buffer, new Uint8Array([2]).buffer],
    ['typed views of different kinds', new Uint8Array([1]), new Int8Array([1])],
    ['typed views of different bytes', new Float64Array([1]), new Float64Array([2])],
    ['DataViews of different bytes', new DataView(new Uint8Array([1]).buffer), new DataView(new Uint8Array([2]).buffer)],
    ['regular expressions of different sources', /a/, /b/],
    ['regular expressions of different flags', /a/g, /a/],
    ['boxed numbers', new Number(1), new Number(2)],
    ['boxed strings', new String('a'), new String('b')],
    ['boxed booleans', new Boolean(true), new Boolean(false)],
    ['a boxed number and a number', new Number(1), 1],
    ['bigints', 1n, 2n],
    ['dates', new Date(0), new Date(1)],
    ['an invalid date and a valid one', new Date(Number.NaN), new Date(0)],
    ['Maps of different values', new Map([['a', { v: 1 }]]), new Map([['a', { v: 2 }]])],
    ['Sets of different objects', new Set([{ v: 1 }]), new Set([{ v: 2 }])],
    ['-0 and 0', -0, 0],
    ['a hole and undefined', new Array(1), [undefined]],
    ['an undefined key and a missing one', { a: undefined }, {}],
    ['two functions', () => 1, () => 1],
    ['errors of different messages', new Error('a'), new Error('b')],
  ])('tells apart %s', (_, a, b) => {
    expect(deepEqual(a, b)).toBe(false);
    expect(deepEqual(b, a)).toBe(false);
  });

  const cycle = () => {
    const value: Record<string, unknown> = { v: 1 };
    value.self = value;
    return value;
  };
  const fn = () => 1;
  it.each([
    ['Sets of equal objects', new Set([{ v: 1 }, { v: 2 }]), new Set([{ v: 2 }, { v: 1 }])],
    ['Maps with entries in another order', new Map([['a', 1], ['b', 2]]), new Map([['b', 2], ['a', 1]])],
    ['Maps with equal object keys', new Map([[{ k: 1 }, 'x']]), new Map([[{ k: 1 }, 'x']])],
    ['equal buffers', new Uint8Array([1, 2]).buffer, new Uint8Array([1, 2]).buffer],
    ['equal regular expressions', /a/gi, /a/gi],
    ['equal boxed numbers', new Number(1), new Number(1)],
    ['NaN and NaN', Number.NaN, Number.NaN],
    ['objects with keys in another order', { a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }],
    ['equal cyclic values', cycle(), cycle()],
    ['the same function', { f: fn }, { f: fn }],
  ])('equates %s', (_, a, b) => {
    expect(deepEqual(a, b)).toBe(true);
  });
});

describe('DeciderSpecification with values of every kind', () => {
  const spec = DeciderSpecification.for(counter());
  const emitted = (payload: unknown) => [{ type: 'emitted', payload }] as const;

  it.each([
    ['a buffer of another length', new ArrayBuffer(1), new ArrayBuffer(8)],
    ['another regular expression', /a/, /b/],
    ['another boxed number', new Number(1), new Number(2)],
  ])('fails when an event holds %s', (_, payload, expected) => {
    expect(() => spec.given([]).when({ type: 'emit', payload }).then(emitted(expected))).toThrow(SpecificationError);
  });

  it('passes when an event holds a Set of objects equal to the expected ones', () => {
    spec.given([]).when({ type: 'emit', payload: new Set([{ v: 1 }]) }).then(emitted(new Set([{ v: 1 }])));
  });
});
