// The benchmark's workloads, run in the page. Each eventfold figure is measured next to its baseline, in the same
// page and browser, so that the driver can report ratios rather than absolute times.
import { type Remote, wrap } from 'comlink';
import { connect } from 'eventfold/client';
import { deleteIndexedDbJournal } from 'eventfold/idb';
import type { dexie as DexieStore } from './dexie.worker.ts';
import type { entities } from './eventfold.worker.ts';
import type { lab as Lab } from './lab.worker.ts';
import type { raw as RawStore } from './raw.worker.ts';

/** Which store a write workload runs on. */
export type Store = 'eventfold' | 'raw' | 'dexie';

const workers: Worker[] = [];
function track(created: Worker): Worker {
  workers.push(created);
  return created;
}
// Each `new Worker(new URL(…))` is written out whole: that is the shape the bundler recognises as a worker entry.
const eventfoldWorker = (name: string) =>
  track(new Worker(new URL('./eventfold.worker.ts', import.meta.url), { type: 'module', name }));
const rawWorker = (name: string) =>
  wrap<typeof RawStore>(track(new Worker(new URL('./raw.worker.ts', import.meta.url), { type: 'module', name })));
const dexieWorker = (name: string) =>
  wrap<typeof DexieStore>(track(new Worker(new URL('./dexie.worker.ts', import.meta.url), { type: 'module', name })));

/** The lab worker, kept across calls: the long accounts it seeds are read by later scenarios. */
let lab: Remote<typeof Lab> | undefined;
export function labWorker(): Remote<typeof Lab> {
  lab ??= wrap<typeof Lab>(new Worker(new URL('./lab.worker.ts', import.meta.url), { type: 'module', name: 'lab' }));
  return lab;
}

const uniqueName = (prefix: string) => `bench-${prefix}-${crypto.randomUUID()}`;
const deposited = { type: 'deposited', amount: 1 };

/** A store opened for a write workload: `send(i)` writes the i-th deposit and resolves once it is durable. */
interface Session {
  send(i: number): Promise<unknown>;
  close(): Promise<void>;
}

/** Opens `store` on a fresh database with `accounts` accounts, ready for deposits. */
async function openSession(store: Store, accounts: number, grouped: boolean): Promise<Session> {
  const name = uniqueName(store);
  const drop = () => deleteIndexedDbJournal(name);
  if (store === 'eventfold') {
    const client = connect<typeof entities>(eventfoldWorker(name));
    const ids = Array.from({ length: accounts }, (_, i) => `acc-${i}`);
    await Promise.all(ids.map((id) => client.send('account', id, { type: 'open', owner: 'Bench' })));
    return {
      send: (i) => client.send('account', ids[i % accounts]!, { type: 'deposit', amount: 1 }),
      close: async () => {
        await client.close();
        await drop();
      },
    };
  }
  // Sequence numbers per account, as an event store must assign them: the opening event is number 1.
  const next = Array.from({ length: accounts }, () => 2);
  if (store === 'raw') {
    const raw = rawWorker(name);
    await raw.open(name, 'strict');
    const put = grouped ? raw.putGrouped : raw.putOne;
    return {
      send: (i) => put(`account:acc-${i % accounts}`, next[i % accounts]!++, deposited),
      close: async () => {
        await raw.close();
        await drop();
      },
    };
  }
  const dexie = dexieWorker(name);
  await dexie.open(name, 'strict');
  const add = grouped ? dexie.addGrouped : dexie.addOne;
  return {
    send: (i) => add(`account:acc-${i % accounts}`, next[i % accounts]!++, deposited),
    close: async () => {
      await dexie.close();
      await drop();
    },
  };
}

/** Sends deposits `from`…`to`-1, `inFlight` at a time (1: each awaited before the next); returns milliseconds. */
async function timed(session: Session, from: number, to: number, inFlight: number): Promise<number> {
  const start = performance.now();
  for (let i = from; i < to; i += inFlight) {
    const wave = [];
    for (let j = i; j < Math.min(to, i + inFlight); j++) wave.push(session.send(j));
    await Promise.all(wave);
  }
  return performance.now() - start;
}

/**
 * `n` deposit commands sent from the page and awaited until durable, `inFlight` at once, spread over `accounts`
 * accounts. Returns commands per second.
 */
export async function deposits(store: Store, n: number, inFlight: number, accounts = 1): Promise<number> {
  const session = await openSession(store, accounts, inFlight > 1);
  try {
    return (n / (await timed(session, 0, n, inFlight))) * 1_000;
  } finally {
    await session.close();
    terminateWorkers();
  }
}

/**
 * `n` deposits each awaited before the next, on every store at once, in alternating slices of `slice`: disk
 * flushes vary a lot over time, and interleaving spreads that drift evenly over the stores. Commands/s per store.
 */
export async function sequentialDeposits(n: number, slice = 100): Promise<Record<Store, number>> {
  const stores: Store[] = ['eventfold', 'raw', 'dexie'];
  const sessions = await Promise.all(stores.map((store) => openSession(store, 1, false)));
  const elapsed = stores.map(() => 0);
  try {
    for (let from = 0; from < n; from += slice) {
      for (let k = 0; k < stores.length; k++) {
        // Rotate which store goes first in each round.
        const s = (k + from / slice) % stores.length;
        elapsed[s]! += await timed(sessions[s]!, from, Math.min(n, from + slice), 1);
      }
    }
    return Object.fromEntries(stores.map((store, s) => [store, (n / elapsed[s]!) * 1_000])) as Record<Store, number>;
  } finally {
    await Promise.all(sessions.map((session) => session.close()));
    terminateWorkers();
  }
}

/** Seeds a database with one account of `count` events (and a snapshot every `snapshotEvery`); returns its name. */
export async function seedAccount(count: number, snapshotEvery?: number): Promise<string> {
  const name = uniqueName(`long-${count}`);
  await labWorker().seed(name, 'long', count, snapshotEvery);
  return name;
}

/** Cold activations of the seeded account, and the raw reads they need, in milliseconds. */
export async function activations(name: string, withSnapshot: boolean, repeats: number) {
  const eventfold = await labWorker().activate(name, 'long', repeats);
  const raw = await labWorker().rawActivate(name, 'long', withSnapshot, repeats);
  return { eventfold, raw };
}

/** Full replays of the seeded account, and raw getAll reads of it, in milliseconds. */
export async function replays(name: string, repeats: number) {
  const eventfold = await labWorker().replay(name, 'long', repeats);
  const raw = await labWorker().rawReplay(name, 'long', repeats);
  return { eventfold, raw };
}

/**
 * Time-travel seeks from the page to random sequence numbers of the seeded account: milliseconds each, and the
 * snapshots the journal kept for them to start from.
 */
export async function seeks(name: string, head: number, count: number): Promise<{ times: number[]; snapshots: number[] }> {
  const client = connect<typeof entities>(eventfoldWorker(name));
  await client.state('account', 'long');
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const target = Math.floor(Math.random() * (head + 1));
    const start = performance.now();
    const past = await client.stateAt('account', 'long', target);
    times.push(performance.now() - start);
    if (past.sequenceNr !== target) throw new Error(`seek to ${target} landed on ${past.sequenceNr}`);
  }
  const snapshots = await client.snapshots('account', 'long');
  await client.close();
  terminateWorkers();
  return { times, snapshots };
}

/** Where a seek's time goes inside the worker (see the lab's `seekAnatomy`). */
export function seekAnatomy(name: string, count: number): Promise<Record<string, number>> {
  return labWorker().seekAnatomy(name, 'long', count);
}

/** B10: the seeded account's journal exported and imported into a fresh database, each next to its raw baseline. */
export async function transfer(name: string): Promise<Record<string, number | boolean>> {
  const into = uniqueName('imported');
  const rawInto = uniqueName('raw-imported');
  try {
    return await labWorker().transfer(name, into, rawInto);
  } finally {
    await labWorker().close();
    await Promise.all([deleteIndexedDbJournal(into), deleteIndexedDbJournal(rawInto)]);
  }
}

/** From creating the worker to the first state of an existing account on the page, in milliseconds. */
export async function startup(name: string): Promise<number> {
  const start = performance.now();
  const client = connect<typeof entities>(eventfoldWorker(name));
  await client.state('account', 'long');
  const elapsed = performance.now() - start;
  await client.close();
  terminateWorkers();
  return elapsed;
}

/** Where a single append's time goes, inside a worker: the journal, a raw put, a raw journal-shaped transaction. */
export async function appendAnatomy(n: number): Promise<Record<string, number>> {
  const name = uniqueName('anatomy');
  const result = await labWorker().appendAnatomy(name, n);
  await Promise.all([deleteIndexedDbJournal(`${name}-journal`), deleteIndexedDbJournal(`${name}-raw`)]);
  return result;
}

/** Deletes a seeded database once its scenarios are done. */
export async function dropDatabase(name: string): Promise<void> {
  await labWorker().close();
  await deleteIndexedDbJournal(name);
}

/** Terminates the workers of the last scenario; the lab worker lives on. */
function terminateWorkers(): void {
  for (const created of workers.splice(0)) created.terminate();
}
