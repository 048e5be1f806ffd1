// Model-based tests: random command streams (valid and not), restarts, snapshot policies and time-travel seeks
// against a real IndexedDB journal; after every step the runtime must agree with a pure fold of the accepted
// commands. A failure prints fast-check's seed and path; replay it with VITE_FC_SEED and VITE_FC_PATH set.
import { type AnyDefinedProjection, createRuntime, type EntityRuntime, isRejection, snapshotEvery } from 'eventfold';
import type { IndexedDbJournal } from 'eventfold/idb';
import { openIndexedDbJournal } from 'eventfold/idb';
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import { type AccountCommand, type AccountEvent, type AccountState, account } from '../../demo-app/bank/account.ts';
import { type AccountSummary, accountSummaries } from '../../demo-app/bank/account-summaries.ts';
import { deleteTestDatabases, uniqueDatabaseName } from '../test-support/databases.ts';

const ids = ['a', 'b', 'c'] as const;
type Id = (typeof ids)[number];

const amount = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 1_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER) },
);
const command: fc.Arbitrary<{ id: Id; command: AccountCommand }> = fc.record({
  id: fc.constantFrom(...ids),
  command: fc.oneof(
    { weight: 1, arbitrary: fc.record({ type: fc.constant('open' as const), owner: fc.oneof(fc.string({ maxLength: 12 }), fc.constant(' ')) }) },
    { weight: 5, arbitrary: fc.record({ type: fc.constant('deposit' as const), amount }) },
    { weight: 4, arbitrary: fc.record({ type: fc.constant('withdraw' as const), amount }) },
  ),
});
type Step =
  | { kind: 'send'; id: Id; command: AccountCommand }
  | { kind: 'burst'; commands: { id: Id; command: AccountCommand }[] }
  | { kind: 'restart' }
  | { kind: 'seek'; id: Id; at: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 12, arbitrary: command.map((c) => ({ kind: 'send' as const, ...c })) },
  { weight: 2, arbitrary: fc.array(command, { minLength: 2, maxLength: 8 }).map((commands) => ({ kind: 'burst' as const, commands })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('seek' as const), id: fc.constantFrom(...ids), at: fc.nat({ max: 400 }) }) },
);
const scenario = fc.record({
  snapshotEvery: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
  steps: fc.array(step, { minLength: 150, maxLength: 250 }),
});

/** The reference: per account, the events of the accepted commands, and their pure fold. */
class Model {
  readonly events = new Map<Id, AccountEvent[]>(ids.map((id) => [id, []]));

  state(id: Id, upTo = Number.POSITIVE_INFINITY): AccountState {
    return this.events.get(id)!.slice(0, upTo).reduce(account.evolve, account.initialState());
  }

  /** Applies a command as the decider would: the events it records, or the rejection's reason. */
  apply(id: Id, command: AccountCommand): { events: AccountEvent[] } | { rejected: string } {
    const decision = account.decide(command, this.state(id));
    if (isRejection(decision)) return { rejected: decision.rejected };
    this.events.get(id)!.push(...decision);
    return { events: [...decision] };
  }
}

let stepsRun = 0;
afterEach(deleteTestDatabases);

it('agrees with a pure fold of the accepted commands after every step, restart and seek', async () => {
  const seed = Number(import.meta.env.VITE_FC_SEED) || undefined;
  const path = import.meta.env.VITE_FC_PATH || undefined;
  await fc.assert(
    fc.asyncProperty(scenario, async ({ snapshotEvery: every, steps }) => {
      const name = uniqueDatabaseName('model');
      const definition = { ...account, snapshotPolicy: every === undefined ? undefined : snapshotEvery(every) };
      const projections: AnyDefinedProjection[] = [accountSummaries];
      const start = async () => {
        const journal = await openIndexedDbJournal(name, { snapshotsKept: 1_000 });
        return { journal, runtime: createRuntime({ journal, entities: { account: definition }, projections }) };
      };
      let live: { journal: IndexedDbJournal; runtime: EntityRuntime<{ account: typeof definition }> } = await start();
      const model = new Model();
      const send = async (id: Id, command: AccountCommand) => {
        const expected = model.apply(id, command);
        // Taken now: later commands of a burst change the model before this one is answered.
        const after = { state: model.state(id), sequenceNr: model.events.get(id)!.length };
        const outcome = await live.runtime.send('account', id, command).then(
          (result) => ({ result }),
          (error: unknown) => ({ error }),
        );
        if ('rejected' in expected) {
          expect(outcome).toMatchObject({ error: { code: 'rejected', reason: expected.rejected } });
        } else {
          expect(outcome).toMatchObject({ result: after });
        }
      };
      try {
        for (const s of steps) {
          stepsRun++;
          switch (s.kind) {
            case 'send':
              await send(s.id, s.command);
              break;
            case 'burst':
              // Commands to one entity are decided in the order they were sent; across entities, in any order.
              await Promise.all(s.commands.map(({ id, command: c }) => send(id, c)));
              break;
            case 'restart':
              await live.runtime.close();
              await live.journal.close();
              live = await start();
              for (const id of ids) {
                expect(await live.runtime.state('account', id)).toEqual({
                  state: model.state(id),
                  sequenceNr: model.events.get(id)!.length,
                });
              }
              break;
            case 'seek': {
              const at = Math.min(s.at, model.events.get(s.id)!.length);
              expect(await live.runtime.stateAt('account', s.id, at)).toEqual({ state: model.state(s.id, at), sequenceNr: at });
              break;
            }
          }
        }
        // The journal: contiguous streams holding exactly the accepted events; the read model: their fold.
        const summaries = await live.runtime.readModel<AccountSummary>(accountSummaries.name);
        for (const id of ids) {
          const stored = await live.journal.load(`account:${id}`);
          expect(stored.map((e) => e.sequenceNr)).toEqual(stored.map((_, i) => i + 1));
          expect(stored.map((e) => e.event)).toEqual(model.events.get(id));
          const summary = summaries.documents.find((d) => d.id === id)?.doc;
          const state = model.state(id);
          if (state.owner === null) expect(summary).toBeUndefined();
          else expect(summary).toMatchObject({ owner: state.owner, balance: state.balance, txCount: state.txCount });
        }
        const positions = (await live.journal.loadAfter(0, 100_000)).map((e) => e.position);
        expect(positions).toEqual([...positions].sort((x, y) => x - y));
        expect(new Set(positions).size).toBe(positions.length);
      } finally {
        await live.runtime.close();
        await live.journal.close();
      }
    }),
    { numRuns: 60, seed, path },
  );
  // The promise of the suite, unless a failure is being replayed: at least 10,000 generated steps per run.
  if (path === undefined) expect(stepsRun).toBeGreaterThanOrEqual(10_000);
  console.info(`model-based test: ${stepsRun} steps`);
}, 600_000);
