import { createRuntime, persist, type ProjectionStatus, streamIdOf } from 'eventfold';
import { type ReadModelSnapshot, readModelStore } from 'eventfold/client';
import { afterEach, describe, expect, it } from 'vitest';
import { account } from '../../demo-app/bank/account.ts';
import { type AccountSummary, accountSummaries } from '../../demo-app/bank/account-summaries.ts';
import { deleteTestDatabases, openTestJournal } from '../test-support/databases.ts';
import { FaultyJournal } from '../test-support/faulty-journal.ts';
import { gate } from '../test-support/gate.ts';
import { testClients } from '../test-support/test-clients.ts';

describe('read models and idempotent commands through the client', () => {
  const clients = testClients();
  const { open } = clients;
  afterEach(clients.cleanup);

  it('keeps a read model live on the page, with writes from another tab', async () => {
    const { client: reader, database } = open();
    const { client: writer } = open(database);
    const store = reader.readModelStore('account-summaries');
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
    // Before its first read the reader's worker may find the projection still being set up by the writer's worker
    // (two tabs opening one new database): that shows as `rebuilding`, never as an error; once ready it stays ready.
    const firstReady = seen.findIndex((snapshot) => snapshot.status === 'ready');
    expect(seen.slice(0, firstReady).map((snapshot) => snapshot.status)).toEqual(seen.slice(0, firstReady).map(() => 'rebuilding'));
    expect(seen.slice(firstReady).every((snapshot) => snapshot.status === 'ready')).toBe(true);
    stop();

    const read = await writer.readModel('account-summaries', { ids: ['a', 'b'] });
    expect(read).toMatchObject({ documents: [{ id: 'a' }], position: 2, status: { state: 'live' } });
  });

  it('shows a rebuild in progress on the page, with the documents throughout, then the same read model again', async () => {
    const { client } = open();
    for (let i = 0; i < 5; i++) await client.send('account', `a${i}`, { type: 'open', owner: `Owner ${i}` });
    const before = await client.readModel('account-summaries');
    const store = client.readModelStore('account-summaries');
    const seen: ReadModelSnapshot<AccountSummary>[] = [];
    const stop = store.subscribe(() => seen.push(store.getSnapshot()));
    await expect.poll(() => store.getSnapshot().status).toBe('ready');
    const statuses: ProjectionStatus[] = [];
    client.subscribeProjection('account-summaries', (status) => statuses.push(status));
    expect(await client.rebuildProjection('account-summaries')).toMatchObject({ state: 'live', position: 5 });
    expect(statuses).toContainEqual(expect.objectContaining({ state: 'rebuilding', position: 5, processed: 0, total: 5 }));
    expect((await client.readModel('account-summaries')).documents).toEqual(before.documents);
    await expect.poll(() => store.getSnapshot()).toMatchObject({ status: 'ready', projection: { state: 'live' } });
    stop();
    expect(seen.length).toBeGreaterThan(0);
    for (const snapshot of seen) expect(snapshot).toMatchObject({ status: 'ready', documents: before.documents });
  });

  it('shows the error of a catch-up projection that failed, with its class and code, while commands go on', async () => {
    const { client } = open();
    await client.send('counter', 'c', { type: 'add', amount: 1 });
    await client.send('counter', 'c', { type: 'add', amount: 13 });
    await expect.poll(async () => (await client.projectionStatus('counter-audit')).state).toBe('failed');
    const status = await client.projectionStatus('counter-audit');
    expect(status).toMatchObject({
      position: 1,
      failedAt: 2,
      error: { code: 'handler-failed', handler: 'project', projection: 'counter-audit', entityType: 'counter', entityId: 'c' },
    });
    expect(String(status.error)).toMatch(/^HandlerError: projection "counter-audit" on an event of counter "c" threw: .*the audit refuses 13/);
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

describe('a read model on the page while its journal holds a rebuild back', () => {
  afterEach(deleteTestDatabases);

  /** A runtime with the account list over an IndexedDB journal whose catch-up can be held back, and a page store. */
  const bankOver = async (history = 0) => {
    const inner = await openTestJournal();
    for (let i = 0; i < history; i++) {
      await persist(inner, streamIdOf('account', `h${i}`), [
        { sequenceNr: 1, event: { type: 'opened', owner: `Old ${i}` }, timestamp: 1, eventId: `h${i}`, type: 'opened', schemaVersion: 1, metadata: {} },
      ]);
    }
    const journal = new FaultyJournal(inner);
    const held = gate();
    journal.projectGate = held.promise;
    const runtime = createRuntime({ journal, entities: { account }, projections: [accountSummaries], pageSize: 2 });
    const name = accountSummaries.name;
    const store = readModelStore<AccountSummary>({
      subscribe: (listener) => runtime.subscribeProjection(name, listener),
      read: () => runtime.readModel<AccountSummary>(name),
    });
    const seen: ReadModelSnapshot<AccountSummary>[] = [];
    const stop = store.subscribe(() => seen.push(store.getSnapshot()));
    const close = async () => {
      stop();
      await runtime.close();
      await inner.close();
    };
    return { runtime, journal, held, store, seen, close };
  };

  it('keeps the documents, with the progress and the commands sent meanwhile, until the rebuilt ones replace them', async () => {
    const { runtime, journal, held, store, seen, close } = await bankOver();
    for (let i = 0; i < 4; i++) await runtime.send('account', `a${i}`, { type: 'open', owner: `Owner ${i}` });
    await expect.poll(() => store.getSnapshot()).toMatchObject({ status: 'ready', position: 4 });
    const before = (await runtime.readModel('account-summaries')).documents;

    const from = seen.length;
    const rebuilt = runtime.rebuildProjection('account-summaries');
    await expect.poll(() => store.getSnapshot()).toMatchObject({ status: 'ready', rebuilding: { processed: 0, total: 4 } });
    // The rebuild is held back: a deposit still shows on the page at once, next to the progress.
    await runtime.send('account', 'a1', { type: 'deposit', amount: 70 });
    await expect
      .poll(() => store.getSnapshot())
      .toMatchObject({ status: 'ready', position: 5, rebuilding: { total: 4 }, documents: expect.arrayContaining([expect.objectContaining({ id: 'a1', doc: expect.objectContaining({ balance: 70 }) })]) });
    held.open();
    journal.projectGate = undefined;
    expect(await rebuilt).toMatchObject({ state: 'live', position: 5 });
    await expect.poll(() => store.getSnapshot()).toMatchObject({ status: 'ready', projection: { state: 'live' } });
    const after = store.getSnapshot() as Extract<ReadModelSnapshot<AccountSummary>, { status: 'ready' }>;
    expect(after.rebuilding).toBeUndefined();
    expect(after.documents.map(({ id }) => id)).toEqual(before.map(({ id }) => id));
    // Never an empty list, nor a status without documents, from the click to the end.
    const shown = seen.slice(from);
    expect(shown.some((snapshot) => snapshot.status === 'ready' && snapshot.rebuilding !== undefined)).toBe(true);
    for (const snapshot of shown) expect(snapshot).toMatchObject({ status: 'ready', documents: before.map(({ id }) => expect.objectContaining({ id })) });
    await close();
  });

  it('says rebuilding, never ready with a part, while a projection new to a journal with history is built', async () => {
    const { runtime, journal, held, store, seen, close } = await bankOver(5);
    await expect.poll(() => store.getSnapshot()).toMatchObject({ status: 'rebuilding', total: 5 });
    held.open();
    journal.projectGate = undefined;
    await expect.poll(() => runtime.projectionStatus('account-summaries').state).toBe('live');
    await expect.poll(() => store.getSnapshot()).toMatchObject({ status: 'ready', position: 5 });
    const ready = seen.filter((snapshot) => snapshot.status === 'ready');
    for (const snapshot of ready) expect((snapshot as { documents: readonly unknown[] }).documents).toHaveLength(5);
    await close();
  });
});
