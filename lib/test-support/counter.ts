import { defineEntity, reject, type SnapshotPolicy } from 'eventfold';

export interface CounterState {
  readonly value: number;
  /** Amounts in the order they were added: shows the order commands were applied in. */
  readonly added: readonly number[];
}

export type CounterCommand =
  | { type: 'add'; amount: number }
  | { type: 'take'; amount: number }
  | { type: 'noop' }
  | { type: 'emit'; payload: unknown }
  /** Records an event holding a function: a decider bug that only the event check can catch. */
  | { type: 'emit-unstorable' }
  | { type: 'throw-in-decide' }
  | { type: 'poison' };

export type CounterEvent =
  | { type: 'added'; amount: number; total: number }
  | { type: 'emitted'; payload: unknown }
  | { type: 'poison' };

/**
 * A counter for runtime tests. Its events carry the running total that `decide` computed, so a decision taken on
 * a stale state shows up as a wrong total in the journal.
 */
export function counter(snapshotPolicy?: SnapshotPolicy) {
  return defineEntity<CounterState, CounterCommand, CounterEvent>({
    initialState: () => ({ value: 0, added: [] }),
    decide(command, state) {
      switch (command.type) {
        case 'add':
          if (command.amount < 0) return reject('cannot add a negative amount');
          return [{ type: 'added', amount: command.amount, total: state.value + command.amount }];
        case 'take':
          if (command.amount > state.value) return reject(`cannot take ${command.amount} from ${state.value}`);
          return [{ type: 'added', amount: -command.amount, total: state.value - command.amount }];
        case 'noop':
          return [];
        case 'emit':
          return [{ type: 'emitted', payload: command.payload }];
        case 'emit-unstorable':
          return [{ type: 'emitted', payload: { onClick: () => {} } }];
        case 'throw-in-decide':
          throw new Error('decide exploded');
        case 'poison':
          return [{ type: 'poison' }];
      }
    },
    evolve(state, event) {
      switch (event.type) {
        case 'added':
          return { value: state.value + event.amount, added: [...state.added, event.amount] };
        case 'emitted':
          return state;
        case 'poison':
          throw new Error('evolve exploded');
        default:
          throw new Error(`unknown event ${JSON.stringify(event)}`);
      }
    },
    ...(snapshotPolicy && { snapshotPolicy }),
  });
}
