import {
  ConflictError,
  type EntityChange,
  isEventfoldError,
  NotCloneableError,
  RejectedError,
  StorageError,
  WorkerLostError,
} from 'eventfold';
import { proxy, wrap } from 'comlink';
import { openIndexedDbJournal } from 'eventfold/idb';
import { afterEach, describe, expect, it } from 'vitest';
import { account } from '../../demo-app/bank/account.ts';
import { expectWorkerError } from '../test-support/worker-guard-protocol.ts';
import type { Neighbour } from '../test-support/plain-comlink.worker.ts';
import { type TestClient, testClients } from '../test-support/test-clients.ts';

describe('the client and the worker runtime', () => {
  const clients = testClients();
  const { open } = clients;
  afterEach(clients.cleanup);

  it('deposits 1000 and 500 into 1500 over 2 transactions, and a new worker recovers them', async () => {
    const { client, database } = open();
    await client.send('account', 'acc-001', { type: 'open', owner: 'Ada' });
    await client.send('account', 'acc-001', { type: 'deposit', amount: 1000 });
    const result = await client.send('account', 'acc-001', { type: 'deposit', amount: 500 });
    expect(result.state).toEqual({ owner: 'Ada', balance: 1500, txCount: 2 });
    expect(result.events.map((e) => e.event)).toEqual([{ type: 'deposited', amount: 500 }]);
    await client.close();

    const { client: recovered } = open(database);
    expect(await recovered.state('account', 'acc-001')).toEqual({
      state: { owner: 'Ada', balance: 1500, txCount: 2 },
      sequenceNr: 3,
    });
    expect(await recovered.entityIds('account')).toEqual(['acc-001']);
  });

  it('sends a burst of commands in one call, each settled in order with its own outcome', async () => {
    const { client } = open();
    await client.send('account', 'a', { type: 'open', owner: 'Ada' });
    const commands = [
      ...Array.from({ length: 1_000 }, (_, i) => ({ type: 'deposit', amount: i + 1 }) as const),
      { type: 'withdraw', amount: 10 ** 9 } as const,
      { type: 'withdraw', amount: 5 } as const,
    ];
    const settled = await client.sendAll('account', 'a', commands);
    expect(settled).toHaveLength(1_002);
    expect(settled.slice(0, 1_000).every((result) => result.status === 'fulfilled')).toBe(true);
    const sequenceNrs = settled.slice(0, 1_000).map((result) => (result.status === 'fulfilled' ? result.value.sequenceNr : 0));
    expect(sequenceNrs).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 2));
    const refused = settled[1_000]!;
    expect(refused.status === 'rejected' && refused.reason).toBeInstanceOf(RejectedError);
    expect(refused.status === 'rejected' && refused.reason).toMatchObject({ code: 'rejected', reason: expect.stringMatching(/insufficient funds/) });
    expect(settled[1_001]).toMatchObject({ status: 'fulfilled', value: { sequenceNr: 1_002 } });
    expect((await client.state('account', 'a')).state.balance).toBe(500_500 - 5);

    // What cannot cross, or too many, fails the call before anything is sent.
    await expect(client.sendAll('account', 'a', [{ type: 'deposit', amount: 1 }, { type: 'deposit', amount: (() => 1) as never }])).rejects.toBeInstanceOf(NotCloneableError);
    await expect(client.sendAll('account', 'a', Array.from({ length: 10_001 }, () => ({ type: 'deposit', amount: 1 }) as const))).rejects.toMatchObject({ code: 'invalid-argument' });
    expect((await client.state('account', 'a')).sequenceNr).toBe(1_002);
  });

  describe('errors cross the boundary with their class, code and fields', () => {
    it('rejects an overdraft with its reason', async () => {
      const { client } = open();
      await client.send('account', 'a', { type: 'open', owner: 'Ada' });
      const error = await client.send('account', 'a', { type: 'withdraw', amount: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RejectedError);
      expect(isEventfoldError(error, 'rejected') && error.reason).toBe('insufficient funds (balance 0)');
      expect(error).toMatchObject({ code: 'rejected', entityType: 'account', entityId: 'a', streamId: 'account:a', name: 'RejectedError' });
      expect(String(error)).toBe('RejectedError: Command rejected by account "a": insufficient funds (balance 0)');
      expect((error as Error).stack).toContain('RejectedError');
    });

    it('tells a conflict from a rejection', async () => {
      const { client } = open();
      await client.send('counter', 'c', { type: 'add', amount: 1 });
      const error = await client
        .send('counter', 'c', { type: 'add', amount: 1 }, { expectedVersion: 0 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ code: 'conflict', expected: 0, actual: 1 });
    });

    it('reports a storage failure with the DOMException behind it', async () => {
      const { client } = open();
      await client.send('counter', 'c', { type: 'add', amount: 1 });
      const error = await client.send('fault', 'f', 'store-unstorable').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageError);
      expect((error as Error).cause).toBeInstanceOf(DOMException);
      expect((error as Error).cause).toMatchObject({ name: 'DataCloneError' });
      expect(await client.send('counter', 'c', { type: 'add', amount: 1 })).toMatchObject({ state: { value: 2 }, sequenceNr: 2 });
    });

    it('leaves the errors of a neighbouring plain Comlink endpoint alone, both ways', async () => {
      const { client } = open();
      const worker = new Worker(new URL('../test-support/plain-comlink.worker.ts', import.meta.url), { type: 'module' });
      try {
        const neighbour = wrap<Neighbour>(worker);
        const refused = await neighbour.fail().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(Error);
        expect(refused).toMatchObject({ name: 'TypeError', message: 'the neighbour refuses' });
        const heard = await neighbour.callBack(
          proxy(() => {
            throw new RangeError('the page refuses');
          }),
        );
        expect(heard).toEqual({ name: 'RangeError', message: 'the page refuses' });
        const error = await client.send('counter', 'c', { type: 'add', amount: 1 }, { expectedVersion: 3 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect(error).toMatchObject({ code: 'conflict', expected: 3, actual: 0 });
      } finally {
        worker.terminate();
      }
    });

    it('refuses a command that cannot be sent, naming the value, before it leaves the page', async () => {
      const { client } = open();
      const command = { type: 'emit', payload: { onClick: () => {} } } as const;
      const error = await client.send('counter', 'c', command).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotCloneableError);
      expect(error).toMatchObject({ path: 'command.payload.onClick', found: 'function' });
    });

    it('keeps serving after unknown entity types, malformed ids and malformed commands', async () => {
      const { client } = open();
      await expect(client.send('ledger' as 'counter', 'c', { type: 'noop' })).rejects.toMatchObject({
        code: 'invalid-argument',
        argument: 'type',
      });
      await expect(client.send('counter', '', { type: 'noop' })).rejects.toMatchObject({ code: 'invalid-argument' });
      await expect(client.send('counter', 42 as unknown as string, { type: 'noop' })).rejects.toMatchObject({
        code: 'invalid-argument',
      });
      await expect(client.send('account', 'a', null as never)).rejects.toMatchObject({ code: 'rejected' });
      await expect(client.send('account', 'a', { type: 'launch' } as never)).rejects.toMatchObject({
        code: 'rejected',
        reason: 'unknown command "launch"',
      });
      expect(await client.send('counter', 'c', { type: 'add', amount: 2 })).toMatchObject({ sequenceNr: 1 });
    });
  });

  it('tells subscribers the state, then every change, until they unsubscribe', async () => {
    const { client } = open();
    await client.send('counter', 'c', { type: 'add', amount: 1 });
    const changes: EntityChange<{ value: number }, unknown>[] = [];
    const unsubscribe = client.subscribe('counter', 'c', (change) => changes.push(change));
    await expect.poll(() => changes.length).toBe(1);
    expect(changes[0]).toMatchObject({ state: { value: 1 }, sequenceNr: 1, events: [] });
    await Promise.all([2, 3].map((amount) => client.send('counter', 'c', { type: 'add', amount })));
    await expect.poll(() => changes.at(-1)?.sequenceNr).toBe(3);
    expect(changes.flatMap((c) => c.events.map((e) => e.sequenceNr))).toEqual([2, 3]);
    unsubscribe();
    await client.send('counter', 'c', { type: 'add', amount: 4 });
    await client.state('counter', 'c');
    expect(changes.at(-1)?.sequenceNr).toBe(3);
  });

  it('keeps telling every other subscriber and timeline each change while one listener throws, and reports the throw', async () => {
    const reported: unknown[] = [];
    const { client } = open(undefined, { onError: (error) => reported.push(error) });
    await client.send('counter', 'c', { type: 'add', amount: 1 });
    const throwing = (where: string) => () => {
      throw new Error(`${where} listener fails`);
    };
    const heard: number[] = [];
    client.subscribe('counter', 'c', throwing('subscriber'));
    client.subscribe('counter', 'c', ({ sequenceNr }) => heard.push(sequenceNr));
    const store = client.entity('counter', 'c');
    store.subscribe(throwing('store'));
    const stored: number[] = [];
    store.subscribe(() => {
      const snapshot = store.getSnapshot();
      if (snapshot.status === 'ready') stored.push(snapshot.sequenceNr);
    });
    const timeline = client.timeline('counter', 'c');
    timeline.subscribe(throwing('timeline'));
    const heads: number[] = [];
    timeline.subscribe(() => heads.push(timeline.getSnapshot().head));
    await expect.poll(() => heard).toEqual([1]);
    for (const amount of [2, 3]) await client.send('counter', 'c', { type: 'add', amount });
    await expect.poll(() => heard).toEqual([1, 2, 3]);
    await expect.poll(() => stored.at(-1)).toBe(3);
    await expect.poll(() => heads.at(-1)).toBe(3);
    expect(stored).toEqual([1, 2, 3]);
    const messages = new Set(reported.map((error) => (error as Error).message));
    expect(messages).toEqual(new Set(['subscriber listener fails', 'store listener fails', 'timeline listener fails']));
  });

  it('computes the state at every sequence number of a 1,000-event account, equal to a full replay', async () => {
    const { client } = open();
    await client.send('account', 'a', { type: 'open', owner: 'Ada' });
    const amounts = Array.from({ length: 999 }, (_, i) => ((i * 7919) % 500) + 1);
    await Promise.all(amounts.map((amount) => client.send('account', 'a', { type: 'deposit', amount })));
    const events = await client.events('account', 'a');
    expect(events).toHaveLength(1_000);

    let replayed = account.initialState();
    for (let sequenceNr = 0; sequenceNr <= 1_000; sequenceNr++) {
      if (sequenceNr > 0) replayed = account.evolve(replayed, events[sequenceNr - 1]!.event);
      const past = await client.stateAt('account', 'a', sequenceNr);
      if (past.sequenceNr !== sequenceNr || past.state.balance !== replayed.balance || past.state.txCount !== replayed.txCount) {
        expect({ sequenceNr, past }).toEqual({ sequenceNr, past: { state: replayed, sequenceNr } });
      }
      if (sequenceNr % 37 === 0) {
        expect(await client.historyAt('account', 'a', sequenceNr, 50)).toEqual({ ...past, events: events.slice(Math.max(0, sequenceNr - 50), sequenceNr) });
      }
    }
  });

  it('acknowledges 1,000 concurrent commands, leaving a contiguous journal', async () => {
    const { client } = open();
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => client.send('counter', `c${i % 10}`, { type: 'add', amount: 1 })),
    );
    expect(results).toHaveLength(1_000);
    for (let i = 0; i < 10; i++) {
      const events = await client.events('counter', `c${i}`);
      expect(events.map((e) => e.sequenceNr)).toEqual(Array.from({ length: 100 }, (_, n) => n + 1));
    }
    const sums = await Promise.all(Array.from({ length: 10 }, (_, i) => client.state('counter', `c${i}`)));
    expect(sums.map((s) => s.state.value)).toEqual(Array(10).fill(100));
  });

  it('fails every in-flight command when the worker is terminated mid-burst, loses nothing acknowledged, and reconnects', async () => {
    const { client, workers, database } = open();
    const acknowledged = await Promise.all(
      Array.from({ length: 100 }, () => client.send('counter', 'c', { type: 'add', amount: 1 }).then((r) => r.sequenceNr)),
    );
    // The journal is held shut by the page, so that the next 5,000 are all under way when the worker dies.
    const release = await holdDatabase(database);
    const burst = Array.from({ length: 5_000 }, () => client.send('counter', 'c', { type: 'add', amount: 1 }));
    workers[0]!.terminate();
    const outcomes = await Promise.allSettled(burst);
    release();
    for (const outcome of outcomes) {
      expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(WorkerLostError);
    }
    expect(client.status).toBe('lost');
    await expect(client.state('counter', 'c')).rejects.toMatchObject({ code: 'worker-lost' });

    client.reconnect();
    const events = await client.events('counter', 'c');
    expect(events.map((e) => e.sequenceNr)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(acknowledged.sort((a, b) => a - b)).toEqual(events.map((e) => e.sequenceNr));
    expect(await client.send('counter', 'c', { type: 'add', amount: 1 })).toMatchObject({ sequenceNr: 101 });
    expect(client.status).toBe('ready');
  });

  it('fails the calls under way on the worker a reconnect replaces, rather than leaving them hanging', async () => {
    const { client, database } = open();
    await client.send('counter', 'c', { type: 'add', amount: 1 });
    const release = await holdDatabase(database);
    const under = Array.from({ length: 50 }, () => client.send('counter', 'c', { type: 'add', amount: 1 }));
    client.reconnect();
    const outcomes = await Promise.allSettled(under);
    release();
    for (const outcome of outcomes) expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(WorkerLostError);
    expect(outcomes[0]).toMatchObject({ reason: { message: expect.stringContaining('reconnect') } });
    // The new worker serves the journal, which holds the first command only.
    expect((await client.state('counter', 'c')).state).toMatchObject({ value: 1 });
    expect(client.status).toBe('ready');
  });

  it('fails the calls of a worker that throws an uncaught error instead of leaving them hanging', async () => {
    expectWorkerError(/the worker crashed/);
    const { client } = open();
    await client.send('fault', 'f', 'crash-later');
    const during = Array.from({ length: 20 }, () => client.state('counter', 'c').catch((e: unknown) => e));
    await expect.poll(() => client.status).toBe('lost');
    for (const outcome of await Promise.all(during)) {
      expect(isEventfoldError(outcome, 'worker-lost') || (outcome as { sequenceNr?: number }).sequenceNr === 0).toBe(true);
    }
    await expect(client.send('counter', 'c', { type: 'add', amount: 1 })).rejects.toMatchObject({
      code: 'worker-lost',
      message: expect.stringContaining('the worker crashed'),
    });
  });

  it('fails clearly after close', async () => {
    const { client } = open();
    const underWay = client.send('counter', 'c', { type: 'add', amount: 1 });
    await client.close();
    expect(await underWay).toMatchObject({ sequenceNr: 1 });
    await expect(client.send('counter', 'c', { type: 'add', amount: 1 })).rejects.toMatchObject({ code: 'closed' });
    expect(client.status).toBe('closed');
  });

  it('settles all 30 commands in flight over 5 entities when closed, and the journal holds exactly the acknowledged ones', async () => {
    const { client, database } = open();
    const commands = Array.from({ length: 30 }, (_, i) => client.send('counter', `c${i % 5}`, { type: 'add', amount: 1 }));
    await client.close();
    const outcomes = await Promise.allSettled(commands);
    const stored = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'closed' });
    }
    const { client: reopened } = open(database);
    const heads = await Promise.all(Array.from({ length: 5 }, (_, i) => reopened.state('counter', `c${i}`)));
    expect(heads.reduce((sum, { sequenceNr }) => sum + sequenceNr, 0)).toBe(stored);
  });

  it('shows each tab the events another tab writes', async () => {
    const { client: first, database } = open();
    const { client: second } = open(database);
    await first.send('counter', 'c', { type: 'add', amount: 1 });
    const seen: number[] = [];
    second.subscribe('counter', 'c', ({ sequenceNr }) => seen.push(sequenceNr));
    await expect.poll(() => seen).toEqual([1]);
    await first.send('counter', 'c', { type: 'add', amount: 1 });
    // How fast is the benchmark's business; here it must simply arrive, pushed, without a read of the second tab.
    await expect.poll(() => seen).toEqual([1, 2]);
  });

  it('keeps the list of entity ids up to date across tabs, and lists snapshots', async () => {
    const { client: first, database } = open();
    const { client: second } = open(database);
    await first.send('account', 'b', { type: 'open', owner: 'Bo' });
    const lists: (readonly string[])[] = [];
    second.subscribeEntityIds('account', (ids) => lists.push(ids));
    await expect.poll(() => lists.at(-1)).toEqual(['b']);
    await first.send('account', 'a', { type: 'open', owner: 'Ada' });
    await expect.poll(() => lists.at(-1)).toEqual(['a', 'b']);
    await second.send('account', 'c', { type: 'open', owner: 'Cy' });
    await expect.poll(() => lists.at(-1)).toEqual(['a', 'b', 'c']);

    for (let i = 0; i < 250; i++) await first.send('counter', 'n', { type: 'add', amount: 1 });
    expect(await first.snapshots('counter', 'n')).toEqual([100, 200]);
  });

  it('says so when a newer version of the app takes the database', async () => {
    const { client, database } = open();
    await client.send('counter', 'c', { type: 'add', amount: 1 });
    const newer = await openIndexedDbJournal(database, { version: 2 });
    await expect.poll(() => client.status).toBe('version-change');
    await expect(client.send('counter', 'c', { type: 'add', amount: 1 })).rejects.toMatchObject({
      code: 'closed',
      reason: 'version-change',
    });
    await newer.close();
  });

  it('says the worker is lost when the database is deleted under it, and starts afresh on reconnect', async () => {
    const { client, database } = open();
    await client.send('counter', 'c', { type: 'add', amount: 5 });
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(database);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    await expect.poll(() => client.status).toBe('lost');
    await expect(client.send('counter', 'c', { type: 'add', amount: 1 })).rejects.toMatchObject({
      code: 'worker-lost',
      message: expect.stringContaining('its database was deleted'),
    });
    client.reconnect();
    expect(client.storageLost).toBe(false);
    expect(await client.send('counter', 'c', { type: 'add', amount: 1 })).toMatchObject({ state: { value: 1 }, sequenceNr: 1 });
    // The new worker found the database gone though it existed, and says so.
    await expect.poll(() => client.storageLost).toBe(true);
  });

  it('follows the new worker after a reconnect to a fresh database: subscribers and the timeline show sequence 1', async () => {
    const { client, database } = open();
    for (let i = 0; i < 5; i++) await client.send('counter', 'c', { type: 'add', amount: 1 });
    const heard: EntityChange<{ value: number }, unknown>[] = [];
    client.subscribe('counter', 'c', (change) => heard.push(change));
    const timeline = client.timeline('counter', 'c');
    timeline.subscribe(() => {});
    await expect.poll(() => timeline.getSnapshot().head).toBe(5);
    expect(heard.at(-1)).toMatchObject({ sequenceNr: 5, state: { value: 5 } });

    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(database);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    await expect.poll(() => client.status).toBe('lost');
    client.reconnect();
    await client.send('counter', 'c', { type: 'add', amount: 7 });

    await expect.poll(() => heard.at(-1)).toMatchObject({ sequenceNr: 1, state: { value: 7 } });
    await expect.poll(() => timeline.getSnapshot()).toMatchObject({ head: 1, position: 1, state: { value: 7 }, stateSequenceNr: 1 });
    expect(timeline.getSnapshot().events.map((e) => e.sequenceNr)).toEqual([1]);
  });

  it('releases the stores of 1,000 entities viewed one after another, and a store subscribed again still works', async () => {
    const { client } = open();
    const view = async (store: ReturnType<TestClient['entity']>) => {
      let stop = () => {};
      await new Promise<void>((ready) => {
        stop = store.subscribe(() => store.getSnapshot().status === 'ready' && ready());
      });
      stop();
    };
    for (let i = 0; i < 1_000; i++) await view(client.entity('counter', `e${i}`));
    for (let i = 0; i < 100; i++) {
      const store = client.readModelStore('counter-audit', { ids: [`e${i}`] });
      let stop = () => {};
      await new Promise<void>((ready) => {
        stop = store.subscribe(() => store.getSnapshot().status === 'ready' && ready());
      });
      stop();
    }
    expect(client.retained).toBe(0);

    await client.send('counter', 'again', { type: 'add', amount: 2 });
    const store = client.entity('counter', 'again');
    await view(store);
    const values: number[] = [];
    const stop = store.subscribe(() => {
      const snapshot = store.getSnapshot();
      if (snapshot.status === 'ready') values.push(snapshot.state.value);
    });
    expect(client.entity('counter', 'again')).toBe(store);
    await client.send('counter', 'again', { type: 'add', amount: 3 });
    await expect.poll(() => values.at(-1)).toBe(5);
    stop();
    expect(client.retained).toBe(0);
  });

  it('replays two tabs racing on one account into one contiguous journal', async () => {
    const { client: first, database } = open();
    const { client: second } = open(database);
    await first.send('account', 'a', { type: 'open', owner: 'Ada' });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? first : second).send('account', 'a', { type: 'deposit', amount: i + 1 })),
    );
    const events = await first.events('account', 'a');
    expect(events.map((e) => e.sequenceNr)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    const folded = events.reduce((state, e) => account.evolve(state, e.event), account.initialState());
    expect(folded.balance).toBe((40 * 41) / 2);
    await expect.poll(async () => (await second.state('account', 'a')).state).toEqual(folded);
  });
});

/**
 * Holds a read-write transaction over every store of `database`, kept alive by one request after another, so that no
 * other connection can read or write it; resolves once it holds, with the function that lets go.
 */
async function holdDatabase(database: string): Promise<() => void> {
  const connection = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(database);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = connection.transaction([...connection.objectStoreNames], 'readwrite');
  const store = tx.objectStore(connection.objectStoreNames[0]!);
  let held = true;
  const keepAlive = () => {
    if (held) store.count().onsuccess = keepAlive;
  };
  await new Promise<void>((resolve) => {
    store.count().onsuccess = () => {
      keepAlive();
      resolve();
    };
  });
  return () => {
    held = false;
    tx.oncomplete = () => connection.close();
  };
}
