// Entities and projections the type tests are written against.
import { defineEntity, defineProjection, reject } from 'eventfold';

export type Event = { readonly type: 'opened'; readonly owner: string } | { readonly type: 'deposited'; readonly amount: number };
export type Command = { readonly type: 'open'; readonly owner: string } | { readonly type: 'deposit'; readonly amount: number };
export interface State {
  readonly owner: string | null;
  readonly balance: number;
}

export const account = defineEntity<State, Command, Event>({
  initialState: () => ({ owner: null, balance: 0 }),
  decide: (command, state) =>
    command.type === 'open' ? [{ type: 'opened', owner: command.owner }] : state.owner === null ? reject('not open') : [{ type: 'deposited', amount: command.amount }],
  evolve: (state, event) => (event.type === 'opened' ? { ...state, owner: event.owner } : { ...state, balance: state.balance + event.amount }),
});

export type Tick = { readonly type: 'ticked'; readonly at: number };
export const clock = defineEntity<{ readonly ticks: number }, { readonly type: 'tick' }, Tick>({
  initialState: () => ({ ticks: 0 }),
  decide: () => [{ type: 'ticked', at: 1 }],
  evolve: (state) => ({ ticks: state.ticks + 1 }),
});

export const entities = { account, clock };

export interface Summary {
  readonly owner: string;
  readonly balance: number;
}

export const summaries = defineProjection.for({ account })({
  name: 'summaries',
  documentId: (event) => event.entityId,
  evolve: (doc: Summary | undefined, { event }) =>
    event.type === 'opened' ? { owner: event.owner, balance: 0 } : doc && { ...doc, balance: doc.balance + event.amount },
});

export const ticks = defineProjection.for({ clock })({
  name: 'ticks',
  documentId: () => 'all',
  evolve: (doc: number | undefined) => (doc ?? 0) + 1,
});

export const projections = [summaries, ticks];
