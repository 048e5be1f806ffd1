// Devices that sync, in Chromium on real IndexedDB, with the test sync server (PGlite): commands accepted offline
// go to the outbox with their predictions, are decided again by the server, and devices converge; a command the
// server refuses leaves the outbox for the rejections, and the device's view is rebased on the confirmed events.
import { SignJWT } from 'jose';
import { createRuntime, RejectedError } from 'eventfold';
import { deleteIndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { Outbox, SyncedRuntime, SyncEngine, SyncHttp, type SyncStatus } from 'eventfold/sync';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { deleteTestDatabases, uniqueDatabaseName } from '../test-support/databases.ts';
import { syncTestEntities as entities } from '../test-support/sync-entities.ts';

const key = new TextEncoder().encode(inject('syncSecret'));
const tokenFor = (journalId: string) => new SignJWT({ journal: journalId }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key);

const opened: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0)) await close();
  await deleteTestDatabases();
});

/** One device: its confirmed copy, outbox, runtimes and sync loop, on databases named after it. */
async function openDevice(name: string, journalId: string) {
  const journal = await openIndexedDbJournal(name);
  const outbox = await Outbox.open(name);
  const runtime = createRuntime({ journal, entities });
  const synced = new SyncedRuntime({ runtime, journal, outbox, entities });
  const statuses: SyncStatus[] = [];
  let engine: SyncEngine | undefined;
  const device = {
    name,
    synced,
    outbox,
    statuses,
    /** Starts syncing (the device comes online), through `fetcher` when given. */
    online(fetcher?: typeof fetch, onNewEpoch?: (epoch: string, lastSeq: number) => Promise<void>) {
      const token = tokenFor(journalId);
      const http = new SyncHttp({ url: inject('syncUrl'), journalId, token: () => token }, fetcher);
      engine = new SyncEngine({ http, outbox, runtime: synced, onStatus: (status) => statuses.push(status), ...(onNewEpoch && { onNewEpoch }) });
      void engine.start();
    },
    /** Closes the confirmed copy (for a new epoch). */
    async closeConfirmed() {
      await runtime.close();
      await journal.close();
    },
    status: () => engine?.status,
    /** Stops syncing (the device goes offline). */
    async offline() {
      await engine?.stop();
      engine = undefined;
    },
    wake: () => engine?.wake(),
    /** Resolves once sync has nothing left to do. */
    async synced_() {
      await expect.poll(() => outbox.count()).toBe(0);
      await expect.poll(() => engine?.status).toMatchObject({ state: 'synced', pending: 0 });
    },
    async close() {
      await device.offline();
      await runtime.close();
      await journal.close();
      outbox.close();
    },
  };
  opened.push(() => device.close());
  return device;
}

/** Two devices of a new journal, both synced with its account `acc`, funded with 100 by A. */
async function twoDevicesOfAFundedAccount() {
  const journalId = uniqueDatabaseName('journal');
  const a = await openDevice(uniqueDatabaseName('a'), journalId);
  const b = await openDevice(uniqueDatabaseName('b'), journalId);
  await a.synced.send('account', 'acc', { type: 'deposit', amount: 100 });
  a.online();
  await a.synced_();
  b.online();
  await b.synced_();
  return { journalId, a, b };
}

describe('sync between devices', () => {
  it('keeps a command accepted offline in the outbox, pushes it when online, and confirms it', async () => {
    const journalId = uniqueDatabaseName('journal');
    const a = await openDevice(uniqueDatabaseName('a'), journalId);
    const sent = await a.synced.send('account', 'acc', { type: 'deposit', amount: 100 });
    expect(sent.state).toEqual({ balance: 100 });
    expect(sent.seq).toBe(1);
    expect(await a.synced.pendingCount()).toBe(1);
    expect((await a.synced.pending('account', 'acc')).commands).toMatchObject([{ seq: 1, from: 1, to: 1, decided: false }]);
    // A seek into the pending part: the predicted state, with the predicted events leading to it.
    const predicted = await a.synced.historyAt('account', 'acc', 1, 10);
    expect(predicted).toMatchObject({ state: { balance: 100 }, sequenceNr: 1, events: [{ sequenceNr: 1, event: { type: 'deposited', amount: 100 } }] });
    expect(predicted.events).toEqual(await a.synced.events('account', 'acc'));
    await expect(a.synced.historyAt('account', 'acc', 1, -1)).rejects.toMatchObject({ code: 'invalid-argument' });
    const confirmation = a.synced.confirmation(sent.commandId);
    a.online();
    expect(await confirmation).toEqual({ status: 'confirmed', commandId: sent.commandId });
    await a.synced_();
    expect(await a.synced.pending('account', 'acc')).toEqual({ confirmedSequenceNr: 1, commands: [] });
    // The confirmed event is the server's, with the command as its cause.
    const [event] = await a.synced.events('account', 'acc');
    expect(event).toMatchObject({ sequenceNr: 1, event: { type: 'deposited', amount: 100 }, metadata: { causationId: sent.commandId } });
    expect(event!.position).toBeGreaterThan(0);
    expect(await a.synced.historyAt('account', 'acc', 1, 10)).toEqual({ state: { balance: 100 }, sequenceNr: 1, events: [event] });

    const b = await openDevice(uniqueDatabaseName('b'), journalId);
    b.online();
    await b.synced_();
    expect((await b.synced.state('account', 'acc')).state).toEqual({ balance: 100 });
    expect(await b.synced.events('account', 'acc')).toEqual([event]);
  });

  it('rejects exactly one of two offline withdrawals that together overdraw, and both devices converge', async () => {
    const { a, b } = await twoDevicesOfAFundedAccount();
    await a.offline();
    await b.offline();

    const fromA = await a.synced.send('account', 'acc', { type: 'withdraw', amount: 70 });
    const fromB = await b.synced.send('account', 'acc', { type: 'withdraw', amount: 60 });
    // Offline, each device believes its own withdrawal.
    expect(fromA.state).toEqual({ balance: 30 });
    expect(fromB.state).toEqual({ balance: 40 });
    const confirmedA = a.synced.confirmation(fromA.commandId);
    const confirmedB = b.synced.confirmation(fromB.commandId);
    a.online();
    expect(await confirmedA).toMatchObject({ status: 'confirmed' });
    b.online();
    expect(await confirmedB).toEqual({ status: 'rejected', commandId: fromB.commandId, reason: 'insufficient funds: 30 available, 60 asked' });
    await b.synced_();
    a.wake();
    await a.synced_();

    for (const device of [a, b]) {
      expect((await device.synced.state('account', 'acc')).state).toEqual({ balance: 30 });
      expect(await device.synced.pendingCount()).toBe(0);
    }
    expect(await b.synced.events('account', 'acc')).toEqual(await a.synced.events('account', 'acc'));
    expect(await b.synced.rejections()).toMatchObject([{ commandId: fromB.commandId, status: 'rejected', reason: expect.stringContaining('insufficient funds') }]);
    expect(await a.synced.rejections()).toEqual([]);
    // A rejection stays until dismissed.
    await b.synced.dismissRejection(fromB.commandId);
    expect(await b.synced.rejections()).toEqual([]);
  });

  it('rebases pending commands on confirmed events, and predicts the refusal of one that no longer fits', async () => {
    const { journalId, a, b } = await twoDevicesOfAFundedAccount();
    await b.offline();
    // B, offline, withdraws 60 then deposits 5; meanwhile A withdraws 50, confirmed.
    await b.synced.send('account', 'acc', { type: 'withdraw', amount: 60 });
    await b.synced.send('account', 'acc', { type: 'deposit', amount: 5 });
    await a.synced.send('account', 'acc', { type: 'withdraw', amount: 50 });
    await a.synced_();
    const changes: unknown[] = [];
    b.synced.subscribe('account', 'acc', (change) => changes.push(change));
    // B pulls A's withdrawal before its own push is decided: its pending commands are decided again on it.
    await b.synced.applyPull(await new SyncHttp({ url: inject('syncUrl'), journalId, token: () => tokenFor(journalId) }).pull({ device: (await b.outbox.device()).deviceId, after: (await b.outbox.device()).cursor, outcomesAfter: 0, limit: 100 }));
    const view = await b.synced.pending('account', 'acc');
    expect(view.confirmedSequenceNr).toBe(2);
    expect(view.commands).toMatchObject([
      { seq: 1, from: 3, to: 2, predictedRejection: 'insufficient funds: 50 available, 60 asked' },
      { seq: 2, from: 3, to: 3 },
    ]);
    expect((await b.synced.state('account', 'acc')).state).toEqual({ balance: 55 });
    expect(changes.at(-1)).toMatchObject({ rebased: true, state: { balance: 55 }, sequenceNr: 3 });
    b.online();
    await b.synced_();
    expect((await b.synced.state('account', 'acc')).state).toEqual({ balance: 55 });
    expect((await b.synced.rejections()).map((rejection) => rejection.reason)).toEqual(['insufficient funds: 50 available, 60 asked']);
  });

  it('keeps pending commands across a restart of the device, and pushes them once online', async () => {
    const journalId = uniqueDatabaseName('journal');
    const name = uniqueDatabaseName('a');
    const first = await openDevice(name, journalId);
    await first.synced.send('account', 'acc', { type: 'deposit', amount: 10 });
    await first.synced.send('account', 'acc', { type: 'deposit', amount: 20 });
    await expect(first.synced.send('account', 'acc', { type: 'withdraw', amount: 50 })).rejects.toBeInstanceOf(RejectedError);
    await first.close();

    const again = await openDevice(name, journalId);
    expect((await again.synced.state('account', 'acc')).state).toEqual({ balance: 30 });
    expect(await again.synced.pendingCount()).toBe(2);
    again.online();
    await again.synced_();
    expect((await again.synced.events('account', 'acc')).map((event) => event.position > 0)).toEqual([true, true]);
    expect(again.statuses.at(-1)).toEqual({ state: 'synced', pending: 0 });
  });

  it('loses nothing and doubles nothing when the device stops between a push and the pull of its events', async () => {
    const journalId = uniqueDatabaseName('journal');
    const name = uniqueDatabaseName('a');
    const first = await openDevice(name, journalId);
    for (const amount of [10, 20, 30]) await first.synced.send('account', 'acc', { type: 'deposit', amount });
    // The server decides the push; every pull after it is cut, as by a lost network or a closed tab.
    let pushed = false;
    first.online(async (input, init) => {
      const url = String(input);
      if (url.includes('/pull') && pushed) throw new TypeError('the network went away');
      const response = await fetch(input, init);
      if (url.includes('/push')) pushed = true;
      return response;
    });
    await expect.poll(() => first.status()?.error?.reason).toBe('offline');
    expect(pushed).toBe(true);
    expect(await first.synced.pendingCount()).toBe(3);
    await first.close();

    // The next start asks the server again for what it decided, and the commands leave once their events are here.
    const again = await openDevice(name, journalId);
    again.online();
    await again.synced_();
    const events = await again.synced.events('account', 'acc');
    expect(events.map((event) => [event.sequenceNr, (event.event as { amount: number }).amount, event.position > 0])).toEqual([
      [1, 10, true],
      [2, 20, true],
      [3, 30, true],
    ]);
    expect((await again.synced.state('account', 'acc')).state).toEqual({ balance: 60 });
  });

  it("starts over from the server's events in a new epoch, keeping and pushing the commands not yet pushed", async () => {
    const journalId = uniqueDatabaseName('journal');
    const name = uniqueDatabaseName('a');
    const first = await openDevice(name, journalId);
    await first.synced.send('account', 'acc', { type: 'deposit', amount: 100 });
    first.online();
    await first.synced_();
    await first.offline();
    await first.synced.send('account', 'acc', { type: 'deposit', amount: 5 });

    // From now on the server answers with another epoch, as a journal created again does.
    const pulls: string[] = [];
    let original: string | undefined;
    const newEpoch: typeof fetch = async (input, init) => {
      // What the device says of the epoch goes back to the server's own name for it.
      const body = typeof init?.body === 'string' && original ? init.body.replaceAll('"epoch":"epoch-2"', `"epoch":"${original}"`) : init?.body;
      const response = await fetch(input, { ...init, ...(body !== undefined && { body }) });
      if (String(input).includes('/pull')) pulls.push(new URL(String(input)).searchParams.get('after')!);
      const text = await response.text();
      original ??= /"epoch":"([^"]+)"/.exec(text)?.[1];
      return new Response(original ? text.replaceAll(`"epoch":"${original}"`, '"epoch":"epoch-2"') : text, { status: response.status, headers: response.headers });
    };
    let dropped = false;
    first.online(newEpoch, async (epoch, lastSeq) => {
      await first.closeConfirmed();
      await deleteIndexedDbJournal(name);
      await first.outbox.restart(epoch, lastSeq);
      dropped = true;
      throw new Error('reconnect');
    });
    await expect.poll(() => dropped).toBe(true);
    await first.offline();
    first.outbox.close();
    const reopened = await Outbox.open(name);
    expect(await reopened.device()).toMatchObject({ epoch: 'epoch-2', cursor: 0 });
    reopened.close();

    const again = await openDevice(name, journalId);
    expect(await again.synced.pendingCount()).toBe(1);
    pulls.length = 0;
    again.online(newEpoch);
    await again.synced_();
    expect(pulls[0]).toBe('0');
    expect((await again.synced.events('account', 'acc')).map((event) => [(event.event as { amount: number }).amount, event.position > 0])).toEqual([
      [100, true],
      [5, true],
    ]);
    expect((await again.synced.state('account', 'acc')).state).toEqual({ balance: 105 });
  });

  it('starts over when the journal at its cursor holds another event: a journal restored from a backup', async () => {
    const journalId = uniqueDatabaseName('journal');
    const device = await openDevice(uniqueDatabaseName('a'), journalId);
    await device.synced.send('account', 'acc', { type: 'deposit', amount: 1 });
    device.online();
    await device.synced_();
    await device.offline();
    // The server now has another event at the device's cursor, as a journal restored from an older backup, which
    // others wrote to since, would.
    const restored: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const text = (await response.text()).replace(/"cursorEventId":"[^"]+"/, '"cursorEventId":"another-event"');
      return new Response(text, { status: response.status, headers: response.headers });
    };
    const startedOver = new Promise<number>((resolve) => {
      device.online(restored, async (_epoch, lastSeq) => {
        resolve(lastSeq);
        throw new Error('reconnect');
      });
    });
    expect(await startedOver).toBe(1);
  });
});
