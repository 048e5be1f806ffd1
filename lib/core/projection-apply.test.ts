import { describe, expect, it } from 'vitest';
import { defineProjection } from './projection.ts';
import { project } from './projection-apply.ts';
import { projectionEventOf } from './projection-event.ts';

const event = projectionEventOf('account:a', {
  sequenceNr: 1,
  event: { amount: 1 },
  timestamp: 1,
  eventId: 'e1',
  type: 'deposited',
  schemaVersion: 1,
  metadata: {},
  position: 1,
});

describe('project', () => {
  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['an id with U+0000', 'a\u0000b'],
    ['an id with a lone surrogate', 'a\ud800'],
    ['an id of 513 characters', 'x'.repeat(513)],
  ])('refuses a document id that is %s, which no store could keep, with a HandlerError', (_, id) => {
    const projection = defineProjection<number, unknown, 'p'>({
      name: 'p',
      documentId: () => id as string,
      evolve: (doc = 0) => doc + 1,
    });
    expect(() => project(projection, [event], () => undefined)).toThrow(
      expect.objectContaining({ code: 'handler-failed', cause: expect.any(TypeError) }),
    );
  });

  it('accepts ids of any well-formed characters, U+FFFF and astral ones included', () => {
    const projection = defineProjection<number, unknown, 'p'>({ name: 'p', documentId: () => 'é😀\uffff', evolve: (doc = 0) => doc + 1 });
    expect([...project(projection, [event], () => undefined)]).toEqual([['é😀\uffff', 1]]);
  });
});
