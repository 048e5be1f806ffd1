import { type EventJournal, isEventfoldError } from 'eventfold';
import { openIndexedDbJournal } from 'eventfold/idb';
import { afterEach, describe, expect, it } from 'vitest';
import { testClients } from '../test-support/test-clients.ts';

/** Every event and snapshot of a database, read straight from IndexedDB. */
async function contents(database: string) {
  const journal: EventJournal = await openIndexedDbJournal(database);
  try {
    const events = await journal.loadAfter(0, 1_000_000);
    const snapshots: unknown[] = [];
    for (const streamId of await journal.streamIds()) {
      for (const sequenceNr of await journal.listSnapshots(streamId)) snapshots.push({ streamId, ...(await journal.loadSnapshot(streamId, sequenceNr)) });
    }
    return { events, snapshots };
  } finally {
    await journal.close();
  }
}

describe('a journal exported from one worker and imported by another', () => {
  const clients = testClients();
  afterEach(clients.cleanup);

  it('arrives event for event, with its snapshots, and the new worker serves it', async () => {
    const { client: source, database: from } = clients.open();
    await source.send('account', 'a', { type: 'open', owner: 'Ada' });
    await source.send('account', 'b', { type: 'open', owner: 'Bob' });
    // Interleaved streams, and enough events for snapshots (the counter snapshots every 100).
    await Promise.all(Array.from({ length: 250 }, (_, i) => source.send('account', i % 2 ? 'a' : 'b', { type: 'deposit', amount: i + 1 })));
    for (let i = 0; i < 3; i++) await source.send('counter', 'c', { type: 'add', amount: 1_000 });
    await Promise.all(Array.from({ length: 230 }, () => source.send('counter', 'c', { type: 'add', amount: 1 })));
    expect((await source.snapshots('counter', 'c')).length).toBeGreaterThan(0);

    const exportProgress: number[] = [];
    const file = await new Response(await source.exportJournal({ onProgress: ({ events }) => exportProgress.push(events) })).blob();
    expect(exportProgress.at(-1)).toBe(2 + 250 + 233);
    await source.close();

    const { client: target, database: to } = clients.open();
    // A subscriber from before the import hears the imported history.
    const heard: number[] = [];
    const stop = target.subscribe('account', 'a', ({ sequenceNr }) => heard.push(sequenceNr));
    await expect.poll(() => heard).toEqual([0]);
    const importProgress: number[] = [];
    const summary = await target.importJournal(file, { onProgress: ({ events }) => importProgress.push(events) });
    expect(summary).toEqual({ streams: 3, events: 485, snapshots: (await contents(from)).snapshots.length });
    expect(importProgress.at(-1)).toBe(485);
    await expect.poll(() => heard.at(-1)).toBe(126);
    stop();
    expect(await target.state('account', 'a')).toEqual(await (async () => {
      const { client: again } = clients.open(from);
      return again.state('account', 'a');
    })());
    // Read models catch up with the imported events.
    await expect.poll(async () => (await target.readModel('account-summaries')).documents.map((d) => d.id)).toEqual(['a', 'b']);
    await target.close();

    expect(await contents(to)).toEqual(await contents(from));
  });

  it('refuses a damaged file and a journal that is not empty, naming the cause, and stores nothing', async () => {
    const { client: source } = clients.open();
    await source.send('account', 'a', { type: 'open', owner: 'Ada' });
    await source.send('account', 'a', { type: 'deposit', amount: 5 });
    const text = await new Response(await source.exportJournal()).text();

    const { client: target, database } = clients.open();
    const lines = text.split('\n');
    const cut = new Blob([lines.slice(0, 2).join('\n')]);
    const error = await target.importJournal(cut).catch((caught: unknown) => caught);
    expect(isEventfoldError(error, 'invalid-import')).toBe(true);
    expect(error).toMatchObject({ name: 'InvalidImportError', line: 2, reason: expect.stringMatching(/cut short/) });
    expect(await target.entityIds('account')).toEqual([]);
    await expect(target.importJournal(new Blob([new Uint8Array([0xff, 0xfe, 0x00])]))).rejects.toMatchObject({
      code: 'invalid-import',
      line: 1,
      reason: expect.stringMatching(/cannot be read/),
    });

    await target.send('account', 'z', { type: 'open', owner: 'Zoe' });
    await expect(target.importJournal(new Blob([text]))).rejects.toMatchObject({ code: 'invalid-import', line: 0 });
    await target.close();
    expect((await contents(database)).events.map((e) => e.streamId)).toEqual(['account:z']);
  });
});
