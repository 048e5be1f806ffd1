import { fingerprintOf, persist, projectionEventOf } from 'eventfold';
import { totals } from '../test-support/totals.ts';
import { deleteIndexedDbJournal, type IndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteTestDatabases, openTestJournal, uniqueDatabaseName } from '../test-support/databases.ts';
import { envelope, numbered, unpositioned } from '../test-support/events.ts';
import { describeJournalContract } from '../test-support/journal-contract.ts';
import { detachedBuffer } from '../test-support/detached.ts';

describeJournalContract('IndexedDbJournal', {
  open: (options) => openTestJournal(options),
  reopen: async (journal) => {
    const { name } = journal as IndexedDbJournal;
    await journal.close();
    return openIndexedDbJournal(name);
  },
  // Another tab's journal on the same database.
  openSecond: (journal) => openIndexedDbJournal((journal as IndexedDbJournal).name),
  cleanup: deleteTestDatabases,
});

describe('IndexedDbJournal', () => {
  const journals: IndexedDbJournal[] = [];
  const track = (journal: IndexedDbJournal) => (journals.push(journal), journal);

  afterEach(async () => {
    await Promise.all(journals.splice(0).map((journal) => journal.close()));
    await deleteTestDatabases();
  });

  it('refuses a DOM node in an event, naming it', async () => {
    const journal = track(await openTestJournal());
    const batch = [envelope(1, { target: document.createElement('div') })];
    await expect(persist(journal, 'e1', batch)).rejects.toMatchObject({
      code: 'not-cloneable',
      path: 'events[0].event.target',
      found: 'HTMLDivElement',
    });
  });

  it('never duplicates a sequence number across two connections racing on one entity', async () => {
    const name = uniqueDatabaseName();
    const first = track(await openIndexedDbJournal(name));
    const second = track(await openIndexedDbJournal(name));
    const writers = [first, second];
    // Each writer appends 50 times, reading the head each time and retrying when the other got there first.
    await Promise.all(
      writers.map(async (journal, writer) => {
        for (let written = 0; written < 50; ) {
          const next = (await journal.highestSequenceNr('e1')) + 1;
          try {
            await persist(journal, 'e1', [envelope(next, { writer })]);
            written++;
          } catch (error) {
            expect(error).toMatchObject({ code: 'conflict' });
          }
        }
      }),
    );
    const events = await first.load('e1');
    expect(events.map((e) => e.sequenceNr)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(events.filter((e) => (e.event as { writer: number }).writer === 0)).toHaveLength(50);
  });

  it('keeps global positions unique and increasing across two connections writing in turn', async () => {
    const name = uniqueDatabaseName();
    const writers = [track(await openIndexedDbJournal(name)), track(await openIndexedDbJournal(name))];
    // Each connection's idea of the highest position goes stale whenever the other one writes.
    const positions: number[] = [];
    for (let i = 0; i < 20; i++) positions.push(...(await persist(writers[i % 2]!, `e${i}`, numbered(1, 2))));
    expect(positions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const all = await writers[0]!.loadAfter(0, 100);
    expect(all.map((e) => e.position)).toEqual(positions);
  });

  it('writes with the durability it was given', async () => {
    for (const durability of ['strict', 'relaxed', 'default'] as const) {
      const journal = track(await openTestJournal({ durability }));
      await persist(journal, 'e1', numbered(1, 2));
      expect(await journal.highestSequenceNr('e1')).toBe(2);
    }
  });

  it('closes when a newer version of the app opens the database, and says so', async () => {
    const name = uniqueDatabaseName();
    const told: string[] = [];
    const journal = track(await openIndexedDbJournal(name, { onClosed: (reason) => told.push(reason) }));
    const stored = numbered(1, 1);
    await persist(journal, 'e1', stored);

    const newer = track(await openIndexedDbJournal(name, { version: 2 }));
    expect(told).toEqual(['version-change']);
    await expect(persist(journal, 'e1', numbered(2, 1))).rejects.toMatchObject({
      code: 'closed',
      reason: 'version-change',
    });
    expect(unpositioned(await newer.load('e1'))).toEqual(stored);
  });

  it('closes, and says so, when another tab deletes the database, without blocking the deletion', async () => {
    const name = uniqueDatabaseName();
    const told: string[] = [];
    const journal = track(await openIndexedDbJournal(name, { onClosed: (reason) => told.push(reason) }));
    const stored = numbered(1, 1);
    await persist(journal, 'e1', stored);
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('the deletion was blocked'));
    });
    expect(told).toEqual(['deleted']);
    await expect(journal.load('e1')).rejects.toMatchObject({ code: 'closed', reason: 'deleted' });
    // A new journal starts afresh.
    const fresh = track(await openIndexedDbJournal(name));
    expect(await fresh.highestSequenceNr('e1')).toBe(0);
  });

  it('says when it finds its database gone though it existed, as after the browser deleted it', async () => {
    const name = uniqueDatabaseName();
    const lost: string[] = [];
    const open = () => openIndexedDbJournal(name, { onLost: () => lost.push(name) });
    await persist(track(await open()), 'e1', numbered(1, 1));
    track(await open());
    expect(lost).toEqual([]);
    // What Chromium does to an IndexedDB it finds corrupt after a crash: it deletes it.
    await new Promise((resolve) => (indexedDB.deleteDatabase(name).onsuccess = resolve));
    const reopened = track(await open());
    expect(lost).toEqual([name]);
    expect(await reopened.highestSequenceNr('e1')).toBe(0);
    track(await open());
    expect(lost).toHaveLength(1);
    // Deleting a journal on purpose is not a loss.
    await Promise.all(journals.splice(0).map((journal) => journal.close()));
    await deleteIndexedDbJournal(name);
    track(await open());
    expect(lost).toHaveLength(1);
  });

  it('fails to open with a typed error while an old connection blocks the upgrade, then opens', async () => {
    const name = uniqueDatabaseName();
    const old = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    // This connection ignores `versionchange`, like a tab running code that predates the upgrade.
    await expect(openIndexedDbJournal(name, { version: 2 })).rejects.toMatchObject({
      code: 'database-blocked',
      databaseName: name,
      currentVersion: 1,
      requestedVersion: 2,
    });
    old.close();
    const journal = track(await openIndexedDbJournal(name, { version: 3 }));
    await persist(journal, 'e1', numbered(1, 1));
    expect(await journal.highestSequenceNr('e1')).toBe(1);
  });

  it('reports an older app version than the database with a storage error', async () => {
    const name = uniqueDatabaseName();
    track(await openIndexedDbJournal(name, { version: 2 })).close();
    await expect(openIndexedDbJournal(name, { version: 1 })).rejects.toMatchObject({ code: 'storage-failed' });
  });

  it('runs the application upgrade in the same database', async () => {
    const name = uniqueDatabaseName();
    const journal = track(
      await openIndexedDbJournal(name, {
        version: 2,
        upgrade: (database, oldVersion) => {
          if (oldVersion < 2) database.createObjectStore('summaries');
        },
      }),
    );
    await persist(journal, 'e1', numbered(1, 1));
    await journal.close();
    const raw = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
    });
    expect([...raw.objectStoreNames].sort()).toEqual(['checkpoints', 'documents', 'events', 'idempotency', 'snapshots', 'summaries']);
    raw.close();
  });

  it('keeps the read models of a database from before rebuilds into shadows, and rebuilds one caught mid-rebuild', async () => {
    const name = uniqueDatabaseName();
    // Revision 2: IndexedDB version 2,000,001, documents keyed [projection, id], a rebuild in the served copy.
    const old = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 2_000_001);
      request.onupgradeneeded = () => {
        const database = request.result;
        database.createObjectStore('events').createIndex('position', 'position', { unique: true });
        for (const store of ['snapshots', 'idempotency', 'documents', 'checkpoints']) database.createObjectStore(store);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = old.transaction(['events', 'documents', 'checkpoints'], 'readwrite');
    numbered(1, 2).forEach((event, i) => tx.objectStore('events').add({ ...event, position: i + 1 }, ['a', event.sequenceNr]));
    tx.objectStore('documents').put({ count: 2, sum: 3 }, ['totals', 'a']);
    tx.objectStore('documents').put({ count: 9, sum: 9 }, ['totals', '\uffff']);
    tx.objectStore('checkpoints').put({ position: 2 }, 'totals');
    tx.objectStore('documents').put({ count: 1, sum: 1 }, ['half', 'a']);
    tx.objectStore('checkpoints').put({ position: 1, rebuilding: { total: 2 } }, 'half');
    await new Promise((resolve) => (tx.oncomplete = resolve));
    old.close();

    const journal = track(await openIndexedDbJournal(name));
    expect(await journal.readModel('totals')).toEqual({
      checkpoint: { position: 2 },
      documents: [
        { id: 'a', doc: { count: 2, sum: 3 } },
        { id: '\uffff', doc: { count: 9, sum: 9 } },
      ],
    });
    expect(await journal.readModel('half')).toEqual({ checkpoint: { position: 0, rebuilding: { position: 0, total: 2 } }, documents: [] });
    const events = (await journal.loadAfter(0, 10)).map((event) => projectionEventOf(event.streamId, event));
    expect(await journal.projectEvents({ ...totals, name: 'half' }, events, 0)).toBe(true);
    expect(await journal.readModel('half')).toEqual({ checkpoint: { position: 2 }, documents: [{ id: 'a', doc: { count: 2, sum: 3 } }] });
    await journal.append([{ streamId: 'a', events: numbered(3, 1) }], { projections: [totals] });
    expect((await journal.readModel('totals', { ids: ['a'] })).documents).toEqual([{ id: 'a', doc: { count: 3, sum: 6 } }]);
  });

  it('gives the events of a database from before envelopes their envelopes and positions, keeping everything', async () => {
    const name = uniqueDatabaseName();
    // The first layout: IndexedDB version = the app's version, events `{ sequenceNr, event, timestamp }`.
    const legacy = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        request.result.createObjectStore('events');
        request.result.createObjectStore('snapshots');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = legacy.transaction(['events', 'snapshots'], 'readwrite');
    tx.objectStore('events').add({ sequenceNr: 1, event: { type: 'opened', owner: 'Ada' }, timestamp: 10 }, ['account:a', 1]);
    tx.objectStore('events').add({ sequenceNr: 2, event: { type: 'deposited', amount: 5 }, timestamp: 11 }, ['account:a', 2]);
    tx.objectStore('events').add({ sequenceNr: 1, event: 42, timestamp: 12 }, ['other:b', 1]);
    tx.objectStore('snapshots').put({ sequenceNr: 1, state: { owner: 'Ada' }, timestamp: 10 }, ['account:a', 1]);
    await new Promise((resolve) => (tx.oncomplete = resolve));
    legacy.close();

    let upgradedFrom = -1;
    const journal = track(await openIndexedDbJournal(name, { upgrade: (_, oldVersion) => (upgradedFrom = oldVersion) }));
    expect(upgradedFrom).toBe(1);
    const events = await journal.load('account:a');
    expect(events).toEqual([
      expect.objectContaining({ sequenceNr: 1, event: { type: 'opened', owner: 'Ada' }, type: 'opened', position: 1 }),
      expect.objectContaining({ sequenceNr: 2, timestamp: 11, type: 'deposited', schemaVersion: 1, metadata: {}, position: 2 }),
    ]);
    expect(events[0]!.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await journal.loadAfter(0, 10)).toEqual([
      expect.objectContaining({ streamId: 'account:a', position: 1 }),
      expect.objectContaining({ streamId: 'account:a', position: 2 }),
      expect.objectContaining({ streamId: 'other:b', event: 42, type: 'event', position: 3 }),
    ]);
    // Snapshots get the checksum of their state, without which they would not be used.
    expect(await journal.loadSnapshot('account:a')).toEqual({
      sequenceNr: 1,
      state: { owner: 'Ada' },
      timestamp: 10,
      checksum: fingerprintOf({ owner: 'Ada' }),
    });
    expect(await persist(journal, 'account:a', numbered(3, 1))).toEqual([4]);
  });
});

describe('IndexedDbJournal when IndexedDB fails', () => {
  afterEach(deleteTestDatabases);

  it('stores nothing of a batch whose transaction fails, and reports a storage error', async () => {
    const journal = await openTestJournal();
    try {
      const first = numbered(1, 1);
      await persist(journal, 'e1', first);
      const batch = [...numbered(2, 2), envelope(4, { bytes: detachedBuffer() })];
      const error = await persist(journal, 'e1', batch).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'storage-failed', cause: { name: 'DataCloneError' } });
      expect((error as Error).cause).toBeInstanceOf(DOMException);
      expect(await journal.highestSequenceNr('e1')).toBe(1);
      expect(await journal.load('e1', 2)).toEqual([]);
      const retried = numbered(2, 3);
      await persist(journal, 'e1', retried);
      expect(unpositioned(await journal.load('e1'))).toEqual([...first, ...retried]);
    } finally {
      await journal.close();
    }
  });

  it('reports a write that loses to a record written behind its back as a conflict, storing none of its batch', async () => {
    const journal = await openTestJournal();
    try {
      await persist(journal, 'e1', numbered(1, 1));
      const database = await new Promise<IDBDatabase>((resolve) => {
        const request = indexedDB.open(journal.name);
        request.onsuccess = () => resolve(request.result);
      });
      await new Promise((resolve) => {
        const tx = database.transaction('events', 'readwrite');
        tx.objectStore('events').put({ sequenceNr: 2, event: 'other', timestamp: 1 }, ['e1', 2]);
        tx.oncomplete = resolve;
      });
      database.close();
      await expect(persist(journal, 'e1', numbered(2, 3))).rejects.toMatchObject({ code: 'conflict', expected: 1, actual: 2 });
      expect(await journal.highestSequenceNr('e1')).toBe(2);
      expect(await journal.load('e1', 3)).toEqual([]);
    } finally {
      await journal.close();
    }
  });
});
