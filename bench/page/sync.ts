// The sync rows' workloads (S1–S4), run in the page against the bench's sync server: devices as an app has them
// (an IndexedDB confirmed copy, the outbox, the synced runtime and its loop), on the page's thread.
import { createRuntime } from 'eventfold';
import { deleteIndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { Outbox, SyncEngine, SyncHttp, SyncedRuntime, type SyncStatus } from 'eventfold/sync';
import { account } from '../../demo-app/bank/account.ts';

const entities = { account };

/** A device on databases named `name`; syncing with `journalId` once `online` is called. */
async function openDevice(name: string) {
  const journal = await openIndexedDbJournal(name);
  const outbox = await Outbox.open(name);
  const runtime = createRuntime({ journal, entities });
  const synced = new SyncedRuntime({ runtime, journal, outbox, entities });
  let engine: SyncEngine | undefined;
  let waiting: { resolve: () => void } | undefined;
  const settled = (status: SyncStatus) => status.state === 'synced' && status.pending === 0;
  return {
    synced,
    /** Starts the loop; resolves once it has nothing left to push or pull. */
    online(url: string, journalId: string, token: string): Promise<void> {
      const done = new Promise<void>((resolve) => (waiting = { resolve }));
      engine = new SyncEngine({
        http: new SyncHttp({ url, journalId, token: () => token }),
        outbox,
        runtime: synced,
        onStatus: (status) => {
          if (settled(status)) waiting?.resolve();
        },
      });
      void engine.start();
      return done;
    },
    async close() {
      await engine?.stop();
      await runtime.close();
      await journal.close();
      outbox.close();
    },
  };
}

/** Deletes a device's databases. */
export async function syncDrop(name: string): Promise<void> {
  await deleteIndexedDbJournal(name);
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(`${name}:sync`);
    request.onsuccess = resolve;
    request.onerror = () => reject(request.error);
  });
}

/** Makes `count` commands offline on one account (an open, then deposits, all in flight): ms to have them stored. */
export async function syncMake(name: string, count: number): Promise<number> {
  const device = await openDevice(name);
  const started = performance.now();
  const sends = [device.synced.send('account', 'acc', { type: 'open', owner: 'Bench' })];
  for (let i = 1; i < count; i++) sends.push(device.synced.send('account', 'acc', { type: 'deposit', amount: 1 }));
  await Promise.all(sends);
  const ms = performance.now() - started;
  await device.close();
  return ms;
}

/** S2: a device with commands pending starts: ms from opening its databases to the account's first state. */
export async function syncStart(name: string): Promise<{ ms: number; balance: number }> {
  const started = performance.now();
  const device = await openDevice(name);
  const { state } = await device.synced.state('account', 'acc');
  const ms = performance.now() - started;
  await device.close();
  return { ms, balance: (state as { balance: number }).balance };
}

/** S1, S4: a device goes online: ms until everything is pushed, confirmed, pulled and rebased. */
export async function syncOnline(name: string, url: string, journalId: string, token: string): Promise<{ ms: number; balance: number; events: number }> {
  const device = await openDevice(name);
  const started = performance.now();
  await device.online(url, journalId, token);
  const ms = performance.now() - started;
  const { state, sequenceNr } = await device.synced.state('account', 'acc');
  await device.close();
  return { ms, balance: (state as { balance: number }).balance, events: sequenceNr };
}

/** S3: ms from a deposit sent on device A to its confirmed balance on device B, `count` times, one after another. */
export async function syncLatency(url: string, journalId: string, token: string, count: number): Promise<number[]> {
  const [nameA, nameB] = [`bench-s3a-${crypto.randomUUID()}`, `bench-s3b-${crypto.randomUUID()}`];
  const a = await openDevice(nameA);
  const b = await openDevice(nameB);
  await a.synced.send('account', 'acc', { type: 'open', owner: 'Latency' });
  await a.online(url, journalId, token);
  await b.online(url, journalId, token);
  let balance = (await b.synced.state('account', 'acc')).state as { balance: number };
  let seen: (() => void) | undefined;
  let expected = balance.balance;
  b.synced.subscribe('account', 'acc', (change) => {
    balance = change.state as { balance: number };
    if (balance.balance >= expected) seen?.();
  });
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    expected += 1;
    const arrived = new Promise<void>((resolve) => (seen = resolve));
    const started = performance.now();
    await a.synced.send('account', 'acc', { type: 'deposit', amount: 1 });
    await arrived;
    latencies.push(performance.now() - started);
  }
  await a.close();
  await b.close();
  await syncDrop(nameA);
  await syncDrop(nameB);
  return latencies;
}
