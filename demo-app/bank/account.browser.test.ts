import { createRuntime, streamIdOf } from 'eventfold';
import { type IndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteTestDatabases, openTestJournal } from '../../lib/test-support/databases.ts';
import { account } from './account.ts';

describe('the bank over IndexedDB', () => {
  const journals: IndexedDbJournal[] = [];
  afterEach(async () => {
    await Promise.all(journals.splice(0).map((journal) => journal.close()));
    await deleteTestDatabases();
  });

  it('deposits 1000 and 500, then recovers 1500 and 2 transactions in a new runtime', async () => {
    const journal = await openTestJournal();
    journals.push(journal);
    const bank = createRuntime({ journal, entities: { account } });
    await bank.send('account', 'acc-001', { type: 'open', owner: 'Ada' });
    await bank.send('account', 'acc-001', { type: 'deposit', amount: 1000 });
    const { state } = await bank.send('account', 'acc-001', { type: 'deposit', amount: 500 });
    expect(state).toEqual({ owner: 'Ada', balance: 1500, txCount: 2 });
    await bank.close();
    await journal.close();

    const reopened = await openIndexedDbJournal(journal.name);
    journals.push(reopened);
    const recovered = createRuntime({ journal: reopened, entities: { account } });
    expect(await recovered.state('account', 'acc-001')).toEqual({
      state: { owner: 'Ada', balance: 1500, txCount: 2 },
      sequenceNr: 3,
    });
  });

  it('rejects an overdraft and invalid amounts, persisting nothing', async () => {
    const journal = await openTestJournal();
    journals.push(journal);
    const bank = createRuntime({ journal, entities: { account } });
    await bank.send('account', 'acc-001', { type: 'open', owner: 'Ada' });
    await bank.send('account', 'acc-001', { type: 'deposit', amount: 100 });
    await expect(bank.send('account', 'acc-001', { type: 'withdraw', amount: 500 })).rejects.toMatchObject({
      code: 'rejected',
      reason: 'insufficient funds (balance 100)',
    });
    for (const amount of [Number.NaN, -1, 0.5, 2 ** 60]) {
      await expect(bank.send('account', 'acc-001', { type: 'deposit', amount })).rejects.toMatchObject({ code: 'rejected' });
    }
    expect(await journal.highestSequenceNr(streamIdOf('account', 'acc-001'))).toBe(2);
    expect((await bank.state('account', 'acc-001')).state.balance).toBe(100);
  });

  it('snapshots every 100 events and recovers from the snapshot', async () => {
    const journal = await openTestJournal();
    journals.push(journal);
    const bank = createRuntime({ journal, entities: { account } });
    await bank.send('account', 'acc-001', { type: 'open', owner: 'Ada' });
    for (let i = 0; i < 250; i++) await bank.send('account', 'acc-001', { type: 'deposit', amount: 2 });
    const snapshot = await journal.loadSnapshot(streamIdOf('account', 'acc-001'));
    expect(snapshot).toMatchObject({ sequenceNr: 200, state: { balance: 398, txCount: 199 } });
    const recovered = createRuntime({ journal, entities: { account } });
    expect(await recovered.state('account', 'acc-001')).toMatchObject({ state: { balance: 500, txCount: 250 }, sequenceNr: 251 });
  });
});
