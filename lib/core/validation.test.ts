import { describe, expect, it } from 'vitest';
import { assertCloneable, assertName } from './validation.ts';

describe('assertCloneable inside Maps and Sets', () => {
  const refused = (value: unknown) => {
    try {
      assertCloneable(value, 'command');
    } catch (error) {
      return error;
    }
    throw new Error('accepted');
  };

  it('names the entry of a Map whose key, or whose value, cannot be stored', () => {
    expect(refused({ m: new Map<unknown, unknown>([['a', 1], [() => {}, 2]]) })).toMatchObject({
      code: 'not-cloneable',
      path: 'command.m<entry 1>',
      found: 'function',
    });
    expect(refused(new Map<string, unknown>([['a', 1], ['b', Symbol('s')]]))).toMatchObject({ path: 'command<entry 1>', found: 'symbol' });
  });

  it('names the element of a Set that cannot be stored, inside it', () => {
    expect(refused(new Set([1, { deep: [() => {}] }]))).toMatchObject({ path: 'command<entry 1>.deep[0]', found: 'function' });
  });

  it('accepts Maps and Sets of plain data, and counts their weight', () => {
    expect(assertCloneable(new Map([['ab', new Set(['cd'])]]), 'command')).toBe(8);
  });
});

describe('assertName', () => {
  it.each([
    ['U+0000', 'a\u0000b'],
    ['a lone high surrogate', 'a\ud83d'],
    ['a lone low surrogate', '\ude00a'],
    ['a low surrogate before a high one', '\ude00\ud83d'],
  ])('refuses a name with %s', (_, name) => {
    expect(() => assertName(name, 'key')).toThrow(expect.objectContaining({ code: 'invalid-argument', argument: 'key' }));
  });

  it.each(['a', 'é😀', '\uffff', '__proto__', 'a'.repeat(512)])('accepts %j', (name) => {
    expect(() => assertName(name, 'key')).not.toThrow();
  });
});

describe('assertCloneable on arrays', () => {
  it('walks only the values a sparse array holds', () => {
    const sparse: unknown[] = [];
    sparse[1e9] = 1;
    expect(assertCloneable(sparse, 'state')).toBe(8);
  });

  it('names a named property of an array that cannot be stored', () => {
    const array = Object.assign([1, 2], { onClick: () => {} });
    expect(() => assertCloneable(array, 'command')).toThrow(expect.objectContaining({ path: 'command.onClick', found: 'function' }));
  });

  it('refuses an array with symbol keys', () => {
    const array = Object.assign([1], { [Symbol('s')]: 1 });
    expect(() => assertCloneable(array, 'command')).toThrow(expect.objectContaining({ code: 'not-cloneable' }));
  });
});
