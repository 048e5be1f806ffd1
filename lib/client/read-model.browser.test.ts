import type { ProjectionStatus } from 'eventfold';
import type { ReadModelSnapshot } from 'eventfold/client';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountSummary } from '../../demo-app/bank/account-summaries.ts';
import { testClients } from '../test-support/test-clients.ts';

describe('read models and idempotent commands through the client', () => {
  const clients = testClients();
  const { open } = clients;
  afterEach(clients.cleanup);

  it('keeps a read model live on the page, with writes from another tab', async () => {
    const { client: reader, database } = open();
    const { client: writer } = open(database);
    const store = reader.readModelStore<AccountSummary>('account-summaries');
    const seen: ReadModelSnapshot<AccountSummary>[] = [];
    let stop = () => {};
    // Waits on the store itself, however long the first read takes on a busy machine.
    await new Promise<void>((ready) => {
      stop = store.subscribe(() => {
        seen.push(store.getSnapshot());
        if (store.getSnapshot().status === 'ready') ready();
      });
    });

    await writer.send('account', 'a', { type: 'open', owner: 'Ada' });
    const { events } = await writer.send('account', 'a', { type: 'deposit', amount: 70 });
    await expect
      .poll(() => {
        const snapshot = store.getSnapshot();
        return snapshot.status === 'ready' ? snapshot.documents : [];
      })
      .toEqual([{ id: 'a', doc: { owner: 'Ada', balance: 70, txCount: 1, lastActivity: events[0]!.timestamp } }]);
    expect(seen.every((snapshot) => snapshot.status === 'ready')).toBe(true);
    stop();

    const read = await writer.readModel<AccountSummary>('account-summaries', { ids: ['a', 'b'] });
    expect(read).toMatchObject({ documents: [{ id: 'a' }], position: 2, status: { state: 'live' } });
  });

  it('shows a rebuild in progress on the page, then the same read model again', async () => {
    const { client } = open();
    for (let i = 0; i < 5; i++) await client.send('account', `a${i}`, { type: 'open', owner: `Owner ${i}` });
    const before = await client.readModel('account-summaries');
    const statuses: ProjectionStatus[] = [];
    client.subscribeProjection('account-summaries', (status) => statuses.push(status));
    expect(await client.rebuildProjection('account-summaries')).toMatchObject({ state: 'live', position: 5 });
    expect(statuses).toContainEqual(expect.objectContaining({ state: 'rebuilding', processed: 0, total: 5 }));
    expect((await client.readModel('account-summaries')).documents).toEqual(before.documents);
  });

  it('shows the error of a catch-up projection that failed, with its class and code, while commands go on', async () => {
    const { client } = open();
    await client.send('counter', 'c', { type: 'add', amount: 1 });
    await client.send('counter', 'c', { type: 'add', amount: 13 });
    await expect.poll(async () => (await client.projectionStatus('counter-audit')).state).toBe('failed');
    const status = await client.projectionStatus('counter-audit');
    expect(status).toMatchObject({ position: 1, failedAt: 2, error: { code: 'handler-failed', handler: 'project' } });
    expect((status.error as Error).message).toContain('the audit refuses 13');
    expect(await client.send('counter', 'c', { type: 'add', amount: 2 })).toMatchObject({ sequenceNr: 3 });
    expect((await client.readModel('counter-audit')).documents).toEqual([{ id: 'c', doc: { given: 1 } }]);
  });

  it('lets a command be retried with its idempotency key after the worker was lost, taking effect once', async () => {
    const { client, workers } = open();
    await client.send('account', 'a', { type: 'open', owner: 'Ada' });
    const deposit = { type: 'deposit', amount: 25 } as const;
    const original = await client.send('account', 'a', deposit, { idempotencyKey: 'deposit-1' });
    workers[0]!.terminate();
    await expect.poll(() => client.status).toBe('lost');
    client.reconnect();
    expect(await client.send('account', 'a', deposit, { idempotencyKey: 'deposit-1' })).toEqual(original);
    await expect(client.send('account', 'a', { type: 'deposit', amount: 26 }, { idempotencyKey: 'deposit-1' })).rejects.toMatchObject({
      code: 'idempotency-key-reused',
    });
    expect((await client.state('account', 'a')).state.balance).toBe(25);
    await expect(client.send('account', 'a', deposit, { metadata: { at: () => 1 } as never })).rejects.toMatchObject({
      code: 'not-cloneable',
      path: 'options.metadata.at',
    });
  });
});
