// Type tests of event registries, upcasters and migrations: checked by `tsc`, never run.
import { defineEntity, type EntityDefinition } from 'eventfold';
import type { Command, Event, State } from './fixtures.ts';

type Definition = Pick<EntityDefinition<State, Command, Event>, 'events'>;

// Every event type is registered, by its `type`.
export const complete: Definition = { events: { opened: {}, deposited: { aliases: ['credited'] } } };

// @ts-expect-error a misspelled event type
export const misspelled: Definition = { events: { opened: {}, deposited: {}, depositted: {} } };

// @ts-expect-error an event type left out of the registry (the runtime would refuse it on write)
export const missing: Definition = { events: { opened: {} } };

// The last upcaster returns the event as this build knows it; the steps before it, older payloads.
export const upcast: Definition = {
  events: {
    opened: {},
    deposited: {
      version: 3,
      upcast: {
        1: (old: { cents: number }) => ({ amountInCents: old.cents }),
        2: (old: { amountInCents: number }) => ({ type: 'deposited', amount: old.amountInCents / 100 }),
      },
    },
  },
};

export const wrongUpcast: Definition = {
  events: {
    opened: {},
    // @ts-expect-error v2 payloads are `{ type: 'deposited', amount }`, and this returns a string amount
    deposited: { version: 2, upcast: { 1: (old: { cents: number }) => ({ type: 'deposited', amount: String(old.cents) }) } },
  },
};

export const missingStep: Definition = {
  events: {
    opened: {},
    // @ts-expect-error v3 needs an upcaster from v1 and one from v2
    deposited: { version: 3, upcast: { 2: (old: { amount: number }) => ({ type: 'deposited', amount: old.amount }) } },
  },
};

// Registries are checked inside defineEntity too, without changing what it infers.
defineEntity<State, Command, Event>({
  initialState: () => ({ owner: null, balance: 0 }),
  decide: () => [],
  evolve: (state) => state,
  // @ts-expect-error a misspelled event type
  events: { opened: {}, deposited: {}, withdrawn: {} },
});
