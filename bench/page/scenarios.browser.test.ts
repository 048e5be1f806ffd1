// A small run of every benchmark workload, so that the harness cannot rot between benchmark runs.
import { describe, expect, it } from 'vitest';
import { activations, appendAnatomy, deposits, dropDatabase, replays, seedAccount, seekAnatomy, seeks, sequentialDeposits, startup, transfer } from './scenarios.ts';

describe('benchmark harness (smoke run)', () => {
  it.each(['eventfold', 'raw', 'dexie'] as const)('measures %s deposits in flight', async (store) => {
    expect(await deposits(store, 60, 60, 3)).toBeGreaterThan(0);
  });

  it('takes single appends apart inside the worker', async () => {
    const rates = await appendAnatomy(12);
    expect(Object.keys(rates).sort()).toEqual(['bare', 'envelope', 'journal', 'keyThenEnvelope']);
  });

  it('measures deposits one at a time, interleaving the stores', async () => {
    const rates = await sequentialDeposits(30, 10);
    expect(Object.keys(rates).sort()).toEqual(['dexie', 'eventfold', 'raw']);
    for (const rate of Object.values(rates)) expect(rate).toBeGreaterThan(0);
  });

  it('seeds a long account and measures activation, replay, seeks and start-up on it', async () => {
    const withSnapshots = await seedAccount(1_050, 100);
    const cold = await activations(withSnapshots, true, 2);
    expect(cold.eventfold).toHaveLength(2);
    expect(cold.raw).toHaveLength(2);
    const timings = await seeks(withSnapshots, 1_050, 5);
    expect(timings.times).toHaveLength(5);
    expect(timings.snapshots).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000]);
    expect(await startup(withSnapshots)).toBeGreaterThan(0);
    const anatomy = await seekAnatomy(withSnapshots, 5);
    expect(anatomy.events).toBeLessThan(100);
    const parts = ['events', 'fold', 'load', 'rawGetAll', 'recover', 'snapshot'];
    expect(Object.keys(anatomy).sort()).toEqual(parts.flatMap((part) => [part, `${part}P95`]));
    for (const part of parts) expect(anatomy[`${part}P95`]).toBeGreaterThanOrEqual(anatomy[part]!);
    const moved = await transfer(withSnapshots);
    expect(moved).toMatchObject({ events: 1_050, importedEvents: 1_050, snapshots: 10, equal: true });
    await dropDatabase(withSnapshots);

    const plain = await seedAccount(1_050);
    const replayed = await replays(plain, 2);
    expect(replayed.eventfold.every((ms) => ms > 0)).toBe(true);
    await dropDatabase(plain);
  });
});
