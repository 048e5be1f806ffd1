/// <reference types="node" />
import { runInNewContext } from 'node:vm';
import { SpecificationError } from 'eventfold/testing';
import { describe, expect, it } from 'vitest';
import { assertEqual, assertIncreasing, assertMatches, assertRejects, assertSame, containing, display } from './contract/assertions.ts';

const failureOf = async (check: () => unknown): Promise<SpecificationError> => {
  try {
    await check();
  } catch (error) {
    expect(error).toBeInstanceOf(SpecificationError);
    return error as SpecificationError;
  }
  throw new Error('expected the check to fail');
};

describe("the contract suites' assertions", () => {
  it('say what was expected and what came, and give both values for a diff', async () => {
    const failure = await failureOf(() => assertEqual({ positions: [4] }, { positions: [1] }, 'the outcome'));
    expect(failure.message).toBe('Expected the outcome to equal {positions: [1]}, but got {positions: [4]}');
    expect(failure).toMatchObject({ expected: { positions: [1] }, actual: { positions: [4] }, showDiff: true });
  });

  it('count an undefined property as absent in assertEqual, but not in assertSame', async () => {
    assertEqual({ checkpoint: undefined, documents: [] }, { documents: [] }, 'a view');
    assertEqual(new Map([['k', { a: 1, b: undefined }]]), new Map([['k', { a: 1 }]]), 'a Map');
    await failureOf(() => assertSame({ missing: undefined }, {}, 'an event'));
    await failureOf(() => assertEqual([undefined], [], 'a list'));
  });

  it('compare values of another realm by their content, as a journal under Jest hands them out', () => {
    const foreign = runInNewContext('({ view: { checkpoint: undefined, documents: [] }, at: new Date(5), index: new Map([["k", 1]]) })');
    assertEqual(foreign.view, { documents: [] }, 'a view of another realm');
    assertEqual(foreign, { view: { documents: [] }, at: new Date(5), index: new Map([['k', 1]]) }, 'values of another realm');
    expect(display(foreign)).toBe('{view: {checkpoint: undefined, documents: []}, at: Date(1970-01-01T00:00:00.005Z), index: Map {"k" => 1}}');
  });

  it('match like toMatchObject: some properties, at any depth, arrays whole, strings by a matcher', async () => {
    const error = Object.assign(new Error('Conflict on "a": key "k1" reused'), { code: 'conflict', entityId: 'a', cause: { code: 'x', y: 1 } });
    assertMatches({ error }, { error: { code: 'conflict', message: containing('"k1"'), cause: { code: 'x' } } }, 'an outcome');
    const failure = await failureOf(() => assertMatches({ positions: [1, 2] }, { positions: [1] }, 'an outcome'));
    expect(failure.message).toBe('Expected an outcome to match {positions: [1]}, but got {positions: [1, 2]}');
    await failureOf(() => assertMatches({}, { projected: undefined }, 'an outcome'));
  });

  it('tell a rejection that does not match, and a promise that resolves', async () => {
    await assertRejects(Promise.reject(Object.assign(new Error('closed'), { code: 'closed' })), { code: 'closed' }, 'load');
    const wrong = await failureOf(() => assertRejects(Promise.reject(Object.assign(new TypeError('no'), { code: 'other' })), { code: 'closed' }, 'load'));
    expect(wrong.message).toBe('Expected load to reject with {code: "closed"}, but it rejected with TypeError("no") {code: "other"}');
    const resolved = await failureOf(() => assertRejects(Promise.resolve([1n]), { code: 'closed' }, 'load'));
    expect(resolved.message).toBe('Expected load to reject with {code: "closed"}, but it resolved with [1n]');
  });

  it('check positions for what the port promises: integers above 0, each above the one before', async () => {
    assertIncreasing([4, 7, 1_000_000], 'positions');
    for (const positions of [[2, 2], [3, 1], [0, 1], [1.5], [Number.NaN]]) await failureOf(() => assertIncreasing(positions, 'positions'));
  });

  it('show long lists and deep values cut short', () => {
    expect(display(Array.from({ length: 25 }, (_, i) => i))).toBe(`[${Array.from({ length: 20 }, (_, i) => i).join(', ')}, … 5 more]`);
    expect(display({ a: { b: { c: { d: { e: { f: { g: 1 } } } } } } })).toBe('{a: {b: {c: {d: {e: {f: …}}}}}}');
    expect(display({ 'not an identifier': new Uint8Array([1, 2]), big: 10n, f: function named() {} })).toBe(
      '{"not an identifier": Uint8Array <1, 2>, big: 10n, f: [function named]}',
    );
  });
});
