// Type tests: checked by `tsc` (npm run typecheck), never run. Each `@ts-expect-error` must meet an error.
import { defineProjection, type ProjectionEvent, type ReadModelsOf } from 'eventfold';
import { expectTypeOf } from 'vitest';
import { account, clock, type Event, type Summary, summaries, type Tick, projections } from './fixtures.ts';

// A projection over entities reads their event union, and keeps its name as a literal type.
expectTypeOf(summaries.name).toEqualTypeOf<'summaries'>();
expectTypeOf(summaries.entityTypes).toEqualTypeOf<readonly string[] | undefined>();
expectTypeOf<Parameters<typeof summaries.evolve>[1]>().toEqualTypeOf<ProjectionEvent<Event>>();

// Over two entity types, both unions.
defineProjection.for({ account, clock })({
  name: 'both',
  documentId: (event) => event.entityId,
  evolve: (doc: number | undefined, { event }) => {
    expectTypeOf(event).toEqualTypeOf<Event | Tick>();
    return (doc ?? 0) + 1;
  },
});

// An event field that does not exist is a compile error.
defineProjection.for({ account })({
  name: 'misread',
  documentId: (event) => event.entityId,
  // @ts-expect-error `amount` is not a field of every account event, and `balance` of none
  evolve: (doc: number | undefined, { event }) => (doc ?? 0) + event.amount + event.balance,
});

// Without type arguments, events are `unknown`, not `any`.
defineProjection({
  name: 'untyped',
  documentId: () => 'x',
  // @ts-expect-error `event` is unknown until narrowed
  evolve: (doc: number | undefined, { event }) => (doc ?? 0) + event.amount,
});

// A doc of the wrong type is a compile error.
defineProjection.for({ account })({
  name: 'wrong-doc',
  documentId: (event) => event.entityId,
  // @ts-expect-error the doc is a Summary, and evolve returns a string
  evolve: (doc: Summary | undefined) => 'not a summary',
});

// The page's view of the worker's projections: doc types by name.
expectTypeOf<ReadModelsOf<typeof projections>>().toEqualTypeOf<{ readonly summaries: Summary; readonly ticks: number }>();

// A projection whose name is typed `string` cannot be looked up by any name.
const loose = defineProjection<number, Event>({ name: 'loose', documentId: () => 'x', evolve: (doc) => doc });
expectTypeOf<keyof ReadModelsOf<[typeof loose]>>().toEqualTypeOf<never>();
