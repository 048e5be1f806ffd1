// In-worker measurements that need no page round trip: seeding long streams, cold activation, full replays, and
// the raw IndexedDB reads they are compared with.
import '../../lib/test-support/worker-guard.ts'; // Tells the browser tests of this worker's unhandled errors.
import { expose } from 'comlink';
import { createRuntime, exportJournal, importJournal, type NewEvent, persist, recover, type StreamWrite, streamIdOf } from 'eventfold';
import { deepEqual } from 'eventfold/testing';
import { type IndexedDbJournal, openIndexedDbJournal } from 'eventfold/idb';
import { type IDBPDatabase, openDB, unwrap } from 'idb';
import { type AccountEvent, type AccountState, account } from '../../demo-app/bank/account.ts';

const journals = new Map<string, Promise<IndexedDbJournal>>();
const journalFor = (name: string) => {
  let journal = journals.get(name);
  if (!journal) {
    journal = openIndexedDbJournal(name, { durability: 'relaxed' });
    journals.set(name, journal);
  }
  return journal;
};

const eventAt = (sequenceNr: number): AccountEvent =>
  sequenceNr === 1 ? { type: 'opened', owner: 'Bench' } : { type: 'deposited', amount: 1 + (sequenceNr % 100) };

/** The event at `sequenceNr` in the envelope the runtime gives it. */
const envelopeAt = (sequenceNr: number, timestamp = 1_700_000_000_000 + sequenceNr): NewEvent<AccountEvent> => {
  const event = eventAt(sequenceNr);
  const commandId = crypto.randomUUID();
  const metadata = { correlationId: commandId, causationId: commandId };
  return { sequenceNr, event, timestamp, eventId: crypto.randomUUID(), type: event.type, schemaVersion: 1, metadata };
};

let raw: IDBPDatabase | undefined;
async function rawDatabase(name: string): Promise<IDBPDatabase> {
  if (raw?.name !== name) {
    raw?.close();
    raw = await openDB(name);
  }
  return raw;
}
const range = (streamId: string, from = 0, to = Infinity) => IDBKeyRange.bound([streamId, from], [streamId, to]);

/** Times `run` `repeats` times, in milliseconds. */
async function times(repeats: number, run: () => Promise<unknown>): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await run();
    result.push(performance.now() - start);
  }
  return result;
}

export const lab = {
  /**
   * Writes an account of `count` events straight to the journal, 10,000 per transaction, with a snapshot of the
   * folded state every `snapshotEvery` events when given.
   */
  async seed(name: string, id: string, count: number, snapshotEvery?: number): Promise<void> {
    const journal = await journalFor(name);
    const streamId = streamIdOf('account', id);
    let state: AccountState = account.initialState();
    for (let from = 1; from <= count; ) {
      const writes: StreamWrite[] = [];
      for (let written = 0; written < 10_000 && from <= count; ) {
        const size = Math.min(snapshotEvery ?? 10_000, count - from + 1, 10_000 - written);
        const events: NewEvent<AccountEvent>[] = [];
        for (let sequenceNr = from; sequenceNr < from + size; sequenceNr++) {
          const persisted = envelopeAt(sequenceNr);
          state = account.evolve(state, persisted.event);
          events.push(persisted);
        }
        const last = from + size - 1;
        const snapshot = snapshotEvery && last % snapshotEvery === 0 ? { sequenceNr: last, state, timestamp: 1 } : undefined;
        writes.push({ streamId, events, ...(snapshot && { snapshot }) });
        from += size;
        written += size;
      }
      await journal.append(writes);
    }
  },

  /** Cold activations: a new runtime recovers the account (newest snapshot, then the events after it). */
  async activate(name: string, id: string, repeats: number): Promise<number[]> {
    const journal = await journalFor(name);
    return times(repeats, () => createRuntime({ journal, entities: { account } }).state('account', id));
  },

  /** The raw reads an activation needs: the newest snapshot and the events after it, or every event. */
  async rawActivate(name: string, id: string, withSnapshot: boolean, repeats: number): Promise<number[]> {
    const database = await rawDatabase(name);
    const streamId = streamIdOf('account', id);
    return times(repeats, async () => {
      let from = 0;
      if (withSnapshot) {
        const cursor = await database.transaction('snapshots').store.openCursor(range(streamId), 'prev');
        from = (cursor?.key as [string, number] | undefined)?.[1] ?? 0;
      }
      await database.getAll('events', range(streamId, from + 1));
    });
  },

  /** Full replays of the account (no snapshot used): milliseconds each. */
  async replay(name: string, id: string, repeats: number, pageSize?: number): Promise<number[]> {
    const journal = await journalFor(name);
    const streamId = streamIdOf('account', id);
    return times(repeats, () => recover(journal, streamId, account, { ...(pageSize && { pageSize }) }));
  },

  /** Raw getAll of the whole stream: milliseconds each. */
  async rawReplay(name: string, id: string, repeats: number): Promise<number[]> {
    const database = await rawDatabase(name);
    return times(repeats, () => database.getAll('events', range(streamIdOf('account', id))));
  },

  /** One full replay, keeping only its result, for a heap reading afterwards. */
  async replayOnce(name: string, id: string): Promise<number> {
    const journal = await journalFor(name);
    const { sequenceNr } = await recover(journal, streamIdOf('account', id), account);
    return sequenceNr;
  },

  /**
   * Single-event appends, each awaited, interleaved in slices between the journal and raw transactions: a put of a
   * bare record (the cheapest append there is), an add of the journal's record (the envelope, into a store with a
   * unique position index: the journal's usual transaction once it knows the stream's head and the position), and
   * the same with a lookup of the previous key (its shape for a stream it has not seen yet). Appends/s each:
   * diagnoses where an append's time goes.
   */
  async appendAnatomy(name: string, n: number, slice = Math.min(50, n)): Promise<Record<string, number>> {
    const journal = await openIndexedDbJournal(`${name}-journal`, { durability: 'strict' });
    const database = await openDB(`${name}-raw`, 1, {
      upgrade: (db) => {
        db.createObjectStore('bare');
        db.createObjectStore('events').createIndex('position', 'position', { unique: true });
      },
    });
    let position = 0;
    const record = (i: number) => ({ ...envelopeAt(i, 1), position: ++position });
    const elapsed = { journal: 0, bare: 0, envelope: 0, keyThenEnvelope: 0 };
    const runs = {
      journal: (i: number) => persist(journal, 'account:a', [envelopeAt(i, 1)]),
      bare: async (i: number) => {
        const tx = database.transaction('bare', 'readwrite', { durability: 'strict' });
        tx.store.put({ sequenceNr: i, event: eventAt(i), timestamp: 1 }, ['account:a', i]);
        await tx.done;
      },
      envelope: async (i: number) => {
        const tx = database.transaction('events', 'readwrite', { durability: 'strict' });
        tx.store.add(record(i), ['account:c', i]);
        await tx.done;
      },
      keyThenEnvelope: async (i: number) => {
        const tx = database.transaction('events', 'readwrite', { durability: 'strict' });
        const previous = i > 1 ? tx.store.getKey(['account:d', i - 1]) : undefined;
        tx.store.add(record(i), ['account:d', i]);
        await previous;
        await tx.done;
      },
    };
    const keys = Object.keys(runs) as (keyof typeof runs)[];
    for (let from = 1; from <= n; from += slice) {
      // Rotate the order in every round, so that no variant always follows the same one.
      const round = (from - 1) / slice;
      for (const key of keys.map((_, i) => keys[(i + round) % keys.length]!)) {
        const start = performance.now();
        for (let i = from; i < from + slice; i++) await runs[key](i);
        elapsed[key] += performance.now() - start;
      }
    }
    await journal.close();
    database.close();
    return Object.fromEntries(Object.entries(elapsed).map(([key, ms]) => [key, (n / ms) * 1_000]));
  },

  /**
   * Where a seek's time goes, inside the worker: `count` seeks to random positions of the account, each timed as a
   * whole (`recover` up to the position) and in its parts, done again one by one: the newest snapshot at or below
   * the position, the events after it (the journal's read), the same range as a raw getAll, and the fold of them.
   * Medians in milliseconds, and the median number of events folded; each with its 95th percentile (`…P95`).
   */
  async seekAnatomy(name: string, id: string, count: number): Promise<Record<string, number>> {
    const journal = await journalFor(name);
    const database = await rawDatabase(name);
    const streamId = streamIdOf('account', id);
    const head = await journal.highestSequenceNr(streamId);
    const parts: Record<string, number[]> = { recover: [], snapshot: [], load: [], rawGetAll: [], fold: [], events: [] };
    const timed = async <T>(part: string, run: () => Promise<T> | T): Promise<T> => {
      const start = performance.now();
      const result = await run();
      parts[part]!.push(performance.now() - start);
      return result;
    };
    for (let i = 0; i < count; i++) {
      const target = 1 + Math.floor(Math.random() * head);
      await timed('recover', () => recover(journal, streamId, account, { upTo: target }));
      const snapshot = await timed('snapshot', () => journal.loadSnapshot(streamId, target));
      const from = (snapshot?.sequenceNr ?? 0) + 1;
      const events = await timed('load', () => journal.load(streamId, from, target));
      // A target on a snapshot has nothing to read, and no key range for it.
      await timed('rawGetAll', () => (from > target ? [] : database.getAll('events', range(streamId, from, target))));
      await timed('fold', () => events.reduce((state, { event }) => account.evolve(state, event as AccountEvent), (snapshot?.state ?? account.initialState()) as AccountState));
      parts.events!.push(events.length);
    }
    const at = (values: number[], share: number) => [...values].sort((a, b) => a - b)[Math.floor(values.length * share)] ?? Number.NaN;
    return Object.fromEntries(Object.entries(parts).flatMap(([part, values]) => [[part, at(values, 0.5)], [`${part}P95`, at(values, 0.95)]]));
  },

  /**
   * B10: the database's journal exported whole (into a Blob, as a download gets it), and imported into the fresh
   * database `into`, each next to its raw baseline on the same records: getAll pages by position for the export,
   * batched puts (10,000 per transaction, the import's batch) into a store with the same key and unique position
   * index for the import. Then the copy is compared with the original, event for event and snapshot for snapshot.
   * Milliseconds each, and the counts.
   */
  async transfer(name: string, into: string, rawInto: string): Promise<Record<string, number | boolean>> {
    const journal = await journalFor(name);
    const database = await rawDatabase(name);
    const page = 5_000;
    let start = performance.now();
    const parts: Blob[] = [];
    for await (const chunk of exportJournal(journal, { pageSize: page })) parts.push(new Blob([chunk]));
    const file = new Blob(parts);
    const exported = performance.now() - start;

    start = performance.now();
    const records: unknown[][] = [];
    let events = 0;
    for (let after = 0; ; ) {
      const index = database.transaction('events').store.index('position');
      const [values, keys] = await Promise.all([index.getAll(IDBKeyRange.lowerBound(after, true), page), index.getAllKeys(IDBKeyRange.lowerBound(after, true), page)]);
      if (values.length === 0) break;
      events += values.length;
      after = (values.at(-1) as { position: number }).position;
      // Kept for the raw import below, a page at a time (as the import holds a batch).
      if (records.length < 2) records.push(values.map((value, i) => [keys[i], value]));
    }
    const rawExported = performance.now() - start;

    const target = await journalFor(into);
    start = performance.now();
    const summary = await importJournal(target, () => textOf(file));
    const imported = performance.now() - start;

    // The raw baseline puts the same number of records, 10,000 to a transaction, the first pages again and again.
    const raw = await openDB(rawInto, 1, { upgrade: (db) => void db.createObjectStore('events').createIndex('position', 'position', { unique: true }) });
    const sample = records.flat() as [[string, number], { position: number }][];
    start = performance.now();
    for (let written = 0; written < events; ) {
      const tx = raw.transaction('events', 'readwrite', { durability: 'relaxed' });
      const store = unwrap(tx.store);
      for (let i = 0; i < 10_000 && written < events; i++, written++) {
        const [key, value] = sample[written % sample.length]!;
        store.put({ ...value, position: written + 1 }, [key[0], written + 1]);
      }
      await tx.done;
    }
    const rawImported = performance.now() - start;
    raw.close();

    // Equal, event for event (positions included) and snapshot for snapshot.
    let equal = true;
    for (let after = 0; equal; ) {
      const [mine, theirs] = await Promise.all([journal.loadAfter(after, page), target.loadAfter(after, page)]);
      equal = deepEqual(mine, theirs);
      if (mine.length === 0) break;
      after = mine.at(-1)!.position;
    }
    for (const streamId of await journal.streamIds()) {
      equal &&= deepEqual(await journal.listSnapshots(streamId), await target.listSnapshots(streamId));
      const kept = await journal.listSnapshots(streamId);
      for (const sequenceNr of kept.filter((_, i) => i % 97 === 0)) {
        equal &&= deepEqual(await journal.loadSnapshot(streamId, sequenceNr), await target.loadSnapshot(streamId, sequenceNr));
      }
    }
    return { exported, rawExported, imported, rawImported, events, bytes: file.size, snapshots: summary.snapshots, importedEvents: summary.events, equal };
  },

  async close(): Promise<void> {
    raw?.close();
    raw = undefined;
    for (const journal of journals.values()) await (await journal).close();
    journals.clear();
  },
};

expose(lab);

/** A file's text, decoded as it is read. */
async function* textOf(file: Blob): AsyncGenerator<string> {
  const reader = file.stream().pipeThrough(new TextDecoderStream()).getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) yield next.value;
}
