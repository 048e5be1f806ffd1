// Type tests: checked by `tsc` (npm run typecheck), never run. Each `@ts-expect-error` must meet an error.
import { createRuntime, defineProjection, type EventJournal, type Projection, type ProjectionEvent, type ReadModelsOf } from 'eventfold';
import { type Equal, expectType } from './expect.ts';
import { account, clock, type Event, type Summary, summaries, type Tick, projections } from './fixtures.ts';

// @ts-expect-error the helper tells apart types that are merely assignable
expectType<Equal<"a", string>>();

// A projection over entities reads their event union, and keeps its name as a literal type.
expectType<Equal<typeof summaries.name, 'summaries'>>();
expectType<Equal<typeof summaries.entityTypes, readonly string[] | undefined>>();
expectType<Equal<Parameters<typeof summaries.evolve>[1], ProjectionEvent<Event>>>();

// Over two entity types, both unions.
defineProjection.for({ account, clock })({
  name: 'both',
  documentId: (event) => event.entityId,
  evolve: (doc: number | undefined, { event }) => {
    expectType<Equal<typeof event, Event | Tick>>();
    return (doc ?? 0) + 1;
  },
});

// An event field that does not exist is a compile error.
defineProjection.for({ account })({
  name: 'misread',
  documentId: (event) => event.entityId,
  // @ts-expect-error `amount` is not a field of every account event
  evolve: (doc: number | undefined, { event }) => (doc ?? 0) + event.amount,
});

defineProjection.for({ account })({
  name: 'misread-too',
  documentId: (event) => event.entityId,
  evolve: (doc: number | undefined, { event }) =>
    // @ts-expect-error `balance` is a field of no account event, even once narrowed
    event.type === 'deposited' ? (doc ?? 0) + event.balance : doc,
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
expectType<Equal<ReadModelsOf<typeof projections>, { readonly summaries: Summary; readonly ticks: number }>>();

// A projection whose name is typed `string` cannot be looked up by any name.
const loose = defineProjection<number, Event>({ name: 'loose', documentId: () => 'x', evolve: (doc) => doc });
expectType<Equal<keyof ReadModelsOf<[typeof loose]>, never>>();

// Runtimes take only projections made by defineProjection: a plain object does not compile.
declare const journal: EventJournal;
const plain: Projection<number, Event, 'plain'> = { name: 'plain', documentId: () => 'x', evolve: (doc) => doc };
// @ts-expect-error a projection not made by defineProjection (the runtime would refuse it)
createRuntime({ journal, entities: { account }, projections: [plain] });
createRuntime({ journal, entities: { account }, projections: [summaries, loose] });
