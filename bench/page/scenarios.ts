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
const deposit = (sequenceNr: number) => ({ sequenceNr, event: { type: 'deposited', amount: 1 }, timestamp: Date.now() });

/** Runs `send` for commands 1…n, `inFlight` at a time (1: each awaited before the next); returns commands/s. */
async function rate(n: number, inFlight: number, send: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i += inFlight) {
    const wave = [];
    for (let j = i; j < Math.min(n, i + inFlight); j++) wave.push(send(j));
    await Promise.all(wave);
  }
  return (n / (performance.now() - start)) * 1_000;
}

/**
 * Deposit commands sent from the page and awaited until durable: `inFlight` at once, spread over `accounts`
 * accounts. Returns commands per second.
 */
export async function deposits(store: Store, n: number, inFlight: number, accounts = 1): Promise<number> {
  const name = uniqueName(store);
  try {
    if (store === 'eventfold') {
      const client = connect<typeof entities>(eventfoldWorker(name));
      const ids = Array.from({ length: accounts }, (_, i) => `acc-${i}`);
      await Promise.all(ids.map((id) => client.send('account', id, { type: 'open', owner: 'Bench' })));
      const result = await rate(n, inFlight, (i) => client.send('account', ids[i % accounts]!, { type: 'deposit', amount: 1 }));
      await client.close();
      return result;
    }
    // Sequence numbers per account, as the event store must assign them: the opening event is number 1.
    const next = Array.from({ length: accounts }, () => 2);
    if (store === 'raw') {
      const raw = rawWorker(name);
      await raw.open(name, 'strict');
      const put = inFlight === 1 ? raw.putOne : raw.putGrouped;
      const result = await rate(n, inFlight, (i) => put(`account:acc-${i % accounts}`, deposit(next[i % accounts]!++)));
      await raw.close();
      return result;
    }
    const dexie = dexieWorker(name);
    await dexie.open(name, 'strict');
    const add = inFlight === 1 ? dexie.addOne : dexie.addGrouped;
    const result = await rate(n, inFlight, (i) => add({ streamId: `account:acc-${i % accounts}`, ...deposit(next[i % accounts]!++) }));
    await dexie.close();
    return result;
  } finally {
    terminateWorkers();
    await deleteIndexedDbJournal(name);
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

/** Time-travel seeks from the page to random sequence numbers of the seeded account, in milliseconds each. */
export async function seeks(name: string, head: number, count: number): Promise<number[]> {
  const client = connect<typeof entities>(eventfoldWorker(name));
  await client.state('account', 'long');
  const result: number[] = [];
  for (let i = 0; i < count; i++) {
    const target = Math.floor(Math.random() * (head + 1));
    const start = performance.now();
    const past = await client.stateAt('account', 'long', target);
    result.push(performance.now() - start);
    if (past.sequenceNr !== target) throw new Error(`seek to ${target} landed on ${past.sequenceNr}`);
  }
  await client.close();
  terminateWorkers();
  return result;
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

/** Deletes a seeded database once its scenarios are done. */
export async function dropDatabase(name: string): Promise<void> {
  await labWorker().close();
  await deleteIndexedDbJournal(name);
}

/** Terminates the workers of the last scenario; the lab worker lives on. */
function terminateWorkers(): void {
  for (const created of workers.splice(0)) created.terminate();
}
