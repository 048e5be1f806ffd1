// Stored data edited behind eventfold's back (devtools, an extension, a newer or broken version of the app): each
// kind of damage gives a typed error or a documented recovery, never a wrong state shown as right, and never the
// loss of the good events.
import { createRuntime, defineEntity, fingerprintOf, type RuntimeErrorContext, snapshotEvery } from 'eventfold';
import { openIndexedDbJournal } from 'eventfold/idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { account } from '../../demo-app/bank/account.ts';
import { deleteTestDatabases, uniqueDatabaseName } from '../test-support/databases.ts';

const definition = defineEntity({ ...account, snapshotPolicy: snapshotEvery(3) });
const stream = 'account:a';
/** Opened, then nine deposits of 1…9: balance 45, snapshots at 3, 6 and 9. */
const expected = { owner: 'Ada', balance: 45, txCount: 9 };
const prefix = (n: number) => {
  const deposits = Array.from({ length: n - 1 }, (_, i) => i + 1);
  return { owner: 'Ada', balance: deposits.reduce((a, b) => a + b, 0), txCount: deposits.length };
};

/** Edits the database with plain IndexedDB, as devtools or another program would. */
async function edit(name: string, change: (events: IDBObjectStore, snapshots: IDBObjectStore) => void): Promise<void> {
  const database = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = database.transaction(['events', 'snapshots'], 'readwrite');
  change(tx.objectStore('events'), tx.objectStore('snapshots'));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  database.close();
}

function read<T>(store: IDBObjectStore, key: IDBValidKey): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = store.get(key);
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = () => reject(request.error);
  });
}

describe('corrupted and foreign data', () => {
  let name: string;

  beforeEach(async () => {
    name = uniqueDatabaseName('corrupted');
    const journal = await openIndexedDbJournal(name);
    const runtime = createRuntime({ journal, entities: { account: definition } });
    await runtime.send('account', 'a', { type: 'open', owner: 'Ada' });
    for (let amount = 1; amount <= 9; amount++) await runtime.send('account', 'a', { type: 'deposit', amount });
    await runtime.send('account', 'b', { type: 'open', owner: 'Bob' });
    await runtime.close();
    await journal.close();
    expect(await journalOf(name).then((j) => j.listSnapshots(stream))).toEqual([3, 6, 9]);
  });
  afterEach(deleteTestDatabases);

  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((journal) => journal.close()));
  });
  async function journalOf(database: string) {
    const journal = await openIndexedDbJournal(database);
    opened.push(journal);
    return journal;
  }
  /** A fresh runtime over the edited database, as after a reload, with the errors it reports. */
  async function reload() {
    const journal = await journalOf(name);
    const reported: [unknown, RuntimeErrorContext][] = [];
    const runtime = createRuntime({ journal, entities: { account: definition }, onError: (e, c) => reported.push([e, c]) });
    return { journal, runtime, reported };
  }
  /** The good events are all still there, as written. */
  async function expectEventsKept(journal: Awaited<ReturnType<typeof journalOf>>, except: number[] = []) {
    const kept = (await journal.load(stream)).map((e) => e.sequenceNr);
    expect(kept).toEqual(Array.from({ length: 10 }, (_, i) => i + 1).filter((n) => !except.includes(n)));
  }

  it('ignores a snapshot whose state is garbage, rebuilds from the events, and says why', async () => {
    await edit(name, (_, snapshots) =>
      void read<object>(snapshots, [stream, 9]).then((s) => snapshots.put({ ...s, state: { owner: 'Mallory', balance: 1e9, txCount: 0 } }, [stream, 9])),
    );
    const { runtime, reported, journal } = await reload();
    expect(await runtime.state('account', 'a')).toEqual({ state: expected, sequenceNr: 10 });
    expect(reported).toEqual([
      [expect.objectContaining({ code: 'corrupted-data', sequenceNr: 9, message: expect.stringContaining('checksum') }), expect.objectContaining({ during: 'snapshot-ignored' })],
    ]);
    expect((await runtime.stateAt('account', 'a', 9)).state).toEqual(prefix(9));
    await expectEventsKept(journal);
  });

  it('ignores a snapshot that lies beyond the stream, even with a valid checksum', async () => {
    const state = { owner: 'Ada', balance: 1_000, txCount: 99 };
    await edit(name, (_, snapshots) =>
      void snapshots.put({ sequenceNr: 50, state, timestamp: 1, schemaVersion: 1, checksum: fingerprintOf(state) }, [stream, 50]),
    );
    const { runtime, reported } = await reload();
    expect(await runtime.state('account', 'a')).toEqual({ state: expected, sequenceNr: 10 });
    expect(reported[0]?.[0]).toMatchObject({ code: 'corrupted-data', message: expect.stringContaining('beyond the stream') });
    expect(await runtime.send('account', 'a', { type: 'deposit', amount: 5 })).toMatchObject({ state: { balance: 50 }, sequenceNr: 11 });
  });

  it('ignores a snapshot record without its fields', async () => {
    await edit(name, (_, snapshots) => void snapshots.put({ state: 'x' }, [stream, 9]));
    const { runtime, reported } = await reload();
    expect(await runtime.state('account', 'a')).toEqual({ state: expected, sequenceNr: 10 });
    expect(reported[0]?.[0]).toMatchObject({ code: 'corrupted-data' });
  });

  it('refuses to fold across an event missing from the stream, keeping every other event and entity', async () => {
    await edit(name, (events) => void events.delete([stream, 8]));
    const { runtime, journal } = await reload();
    // The newest snapshot was taken when event 8 existed: the state from it is right. Every fold across the hole fails.
    expect(await runtime.state('account', 'a')).toEqual({ state: expected, sequenceNr: 10 });
    const hole = { code: 'corrupted-data', entityType: 'account', entityId: 'a', streamId: stream, sequenceNr: 8, message: expect.stringContaining('event 8 is missing') };
    await expect(runtime.stateAt('account', 'a', 8)).rejects.toMatchObject(hole);
    // A seek past the hole from the snapshot above it, whose window of events reaches back across it.
    await expect(runtime.historyAt('account', 'a', 10, 5)).rejects.toMatchObject(hole);
    await expect(runtime.events('account', 'a')).rejects.toMatchObject(hole);
    expect((await runtime.stateAt('account', 'a', 7)).state).toEqual(prefix(7));
    await expectEventsKept(journal, [8]);

    // Without the snapshots, the entity itself refuses to activate, and the others go on.
    await edit(name, (_, snapshots) => void snapshots.clear());
    const again = await reload();
    await expect(again.runtime.state('account', 'a')).rejects.toMatchObject(hole);
    await expect(again.runtime.send('account', 'a', { type: 'deposit', amount: 1 })).rejects.toMatchObject(hole);
    expect((await again.runtime.state('account', 'b')).state).toMatchObject({ owner: 'Bob' });
    await expectEventsKept(again.journal, [8]);
  });

  it('refuses an event record that lost its envelope', async () => {
    await edit(name, (events) =>
      void read<{ event: unknown; sequenceNr: number }>(events, [stream, 10]).then(({ event, sequenceNr }) =>
        events.put({ event, sequenceNr, position: 1e9 }, [stream, 10]),
      ),
    );
    const { runtime, journal } = await reload();
    await expect(runtime.state('account', 'a')).rejects.toMatchObject({ code: 'corrupted-data', sequenceNr: 10 });
    expect((await runtime.stateAt('account', 'a', 9)).state).toEqual(prefix(9));
    await expectEventsKept(journal);
  });

  it('refuses an event of a type this build does not know, and one of a newer schema version', async () => {
    const replace = (change: object) =>
      edit(name, (events) => void read<object>(events, [stream, 10]).then((stored) => events.put({ ...stored, ...change }, [stream, 10])));
    await replace({ type: 'refunded', event: { type: 'refunded', amount: 5 } });
    let { runtime } = await reload();
    await expect(runtime.state('account', 'a')).rejects.toMatchObject({ code: 'unknown-event-type', type: 'refunded', sequenceNr: 10 });

    await replace({ type: 'deposited', schemaVersion: 2, event: { type: 'deposited', amount: 9 } });
    ({ runtime } = await reload());
    await expect(runtime.state('account', 'a')).rejects.toMatchObject({ code: 'unknown-event-type', schemaVersion: 2 });
    expect((await runtime.stateAt('account', 'a', 9)).state).toEqual(prefix(9));
  });

  it('refuses to open a database written by a newer revision of eventfold, changing nothing', async () => {
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 9_000_001);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    newer.close();
    await expect(openIndexedDbJournal(name)).rejects.toMatchObject({ code: 'storage-failed', cause: { name: 'VersionError' } });
  });
});
