import { type DBSchema, type IDBPDatabase, openDB } from 'idb';
import type { CommandOptions } from '../core/command.ts';
import { randomId } from '../core/identity.ts';
import type { PersistedEvent } from '../core/journal.ts';
import type { WireRejection } from '../worker/worker-sync.ts';
import type { ConfirmedOutcome, Outcome } from './protocol.ts';

/** A command the device accepted, waiting in the outbox until the server decided it and its events are here. */
export interface OutboxEntry {
  /** The device's gapless sequence number of the command. */
  readonly seq: number;
  /** The command's immutable id, the `causationId` of its events. */
  readonly commandId: string;
  /** The entity type the command is for. */
  readonly type: string;
  /** The entity id. */
  readonly id: string;
  /** The entity's stream (`streamIdOf(type, id)`). */
  readonly streamId: string;
  /** The command, as sent: it is encoded only when pushed. */
  readonly command: unknown;
  /** The options that travel with the command to the server. */
  readonly options: Pick<CommandOptions, 'correlationId' | 'metadata'>;
  /** When the device accepted it. */
  readonly at: number;
  /** The device's prediction: the events the command records on the confirmed state plus the commands before it. */
  readonly events: readonly PersistedEvent[];
  /** Set when the prediction is that the server will refuse it (another command took the funds meanwhile). */
  readonly predictedRejection?: string;
  /**
   * The server's confirmation, once known (kept in memory, never stored: the server gives it again): a confirmed
   * command stays until its events are in the confirmed copy.
   */
  readonly outcome?: ConfirmedOutcome;
}

/** A command the server refused, kept until the user dismisses it. */
export type ServerRejection = WireRejection;

/** Where the device stands with the server. */
export interface DeviceState {
  /** The device's id, drawn once with the outbox: the server keeps its sequence numbers and outcomes under it. */
  readonly deviceId: string;
  /** The sequence number the next command gets. */
  readonly nextSeq: number;
  /** The position of the last confirmed event the device holds. */
  readonly cursor: number;
  /** The last sequence number whose outcome the device holds. */
  readonly outcomesAfter: number;
  /** The server's epoch the confirmed copy belongs to; absent before the first pull. */
  readonly epoch?: string;
  /** The last sequence number ever pushed: commands up to it may be decided, and their events here. */
  readonly pushedThrough?: number;
  /** The id of the event at the cursor, to tell the journal followed from one restored from a backup. */
  readonly cursorEventId?: string;
}

interface OutboxSchema extends DBSchema {
  meta: { key: 'device'; value: DeviceState };
  outbox: { key: number; value: OutboxEntry; indexes: { streamId: string; commandId: string } };
  rejections: { key: string; value: ServerRejection };
}

/** What a change of the outbox settled. */
export interface Settled {
  /** The streams whose entries changed. */
  readonly touched: Set<string>;
  /** The ids of the commands that left the outbox. */
  readonly gone: string[];
  /** The same, by stream, in the device's order. */
  readonly removed: Map<string, string[]>;
}

/** A new entry, before the outbox numbers it. */
export type NewEntry = Omit<OutboxEntry, 'seq'>;

/**
 * A device's outbox in IndexedDB, shared by the browser profile's tabs: the commands accepted and not yet settled,
 * each with its prediction, numbered gaplessly in the transaction that stores it; the device's cursor; the
 * server's rejections. Every change is one transaction, flushed to disk before it resolves.
 */
export class Outbox {
  readonly #db: IDBPDatabase<OutboxSchema>;
  /** Entries waiting for the transaction in flight to end, stored together in the next one. */
  #queued: { entry: NewEntry; resolve: (seq: number) => void; reject: (error: unknown) => void }[] = [];
  #flushing = false;
  /**
   * The server's confirmations of commands whose events have not come yet, by sequence number. Not stored: a device
   * that starts (or a tab that takes sync over) asks the server for them again (`forgetOutcomes`).
   */
  readonly #confirmed = new Map<number, ConfirmedOutcome>();

  private constructor(db: IDBPDatabase<OutboxSchema>) {
    this.#db = db;
  }

  /** Opens (or creates) the outbox of database `name`. */
  static async open(name: string): Promise<Outbox> {
    const db = await openDB<OutboxSchema>(`${name}:sync`, 1, {
      upgrade(database) {
        database.createObjectStore('meta');
        const outbox = database.createObjectStore('outbox', { keyPath: 'seq' });
        outbox.createIndex('streamId', 'streamId');
        outbox.createIndex('commandId', 'commandId', { unique: true });
        database.createObjectStore('rejections', { keyPath: 'commandId' });
      },
    });
    const outbox = new Outbox(db);
    await outbox.device();
    return outbox;
  }

  /** The device's state, created with a new device id the first time. */
  async device(): Promise<DeviceState> {
    // Read without a write transaction (each is a flush to disk): only the first open writes.
    const known = await this.#db.get('meta', 'device');
    if (known) return known;
    const tx = this.#db.transaction('meta', 'readwrite', { durability: 'strict' });
    let state = await tx.store.get('device');
    if (!state) {
      state = { deviceId: randomId().replace(/[^A-Za-z0-9_-]/g, ''), nextSeq: 1, cursor: 0, outcomesAfter: 0 };
      await tx.store.put(state, 'device');
    }
    await tx.done;
    return state;
  }

  /**
   * Stores a command and its prediction, numbered after the last: resolves with its sequence number once durable.
   * Entries added while a transaction is in flight go together in the next one.
   */
  add(entry: NewEntry): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ entry, resolve, reject });
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queued.length > 0) {
        const batch = this.#queued;
        this.#queued = [];
        try {
          const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'strict' });
          const meta = tx.objectStore('meta');
          const outbox = tx.objectStore('outbox');
          // A command sent again with the id of one still here (a send retried after its worker died) is that one.
          const [device, ...present] = await Promise.all([meta.get('device'), ...batch.map(({ entry }) => outbox.index('commandId').getKey(entry.commandId))]);
          const seqs: number[] = [];
          let next = device!.nextSeq;
          const placed = new Map<string, number>();
          batch.forEach(({ entry }, i) => {
            const known = present[i] ?? placed.get(entry.commandId);
            if (known !== undefined) return void seqs.push(known);
            placed.set(entry.commandId, next);
            seqs.push(next);
            void outbox.put({ ...entry, seq: next++ });
          });
          void meta.put({ ...device!, nextSeq: next }, 'device');
          await tx.done;
          batch.forEach(({ resolve }, i) => resolve(seqs[i]!));
        } catch (error) {
          // What was queued behind may have been decided on top of these: it fails with them.
          for (const { reject } of [...batch, ...this.#queued.splice(0)]) reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Every entry, ascending. */
  entries(): Promise<OutboxEntry[]> {
    return this.#db.getAll('outbox');
  }

  /** The entries of one stream, ascending. */
  async entriesOf(streamId: string): Promise<OutboxEntry[]> {
    return (await this.#db.getAllFromIndex('outbox', 'streamId', streamId)).sort((a, b) => a.seq - b.seq);
  }

  /** Up to `limit` entries the server has not decided yet, ascending. */
  async undecided(limit: number): Promise<OutboxEntry[]> {
    // Outcomes come in the device's order: the commands after the last one known are exactly the undecided ones.
    const tx = this.#db.transaction(['meta', 'outbox']);
    const device = (await tx.objectStore('meta').get('device'))!;
    return tx.objectStore('outbox').getAll(IDBKeyRange.lowerBound(device.outcomesAfter, true), limit);
  }

  /** The server's confirmation of command `seq`, when this outbox has heard it and the command is still here. */
  outcomeOf(seq: number): ConfirmedOutcome | undefined {
    return this.#confirmed.get(seq);
  }

  /**
   * Moves the last outcome known back before the first command still here whose confirmation this outbox has not
   * heard (confirmations live in memory): the next pull brings them again. Called by the tab that starts syncing.
   */
  async forgetOutcomes(): Promise<void> {
    const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'relaxed' });
    const meta = tx.objectStore('meta');
    const device = (await meta.get('device'))!;
    let cursor = await tx.objectStore('outbox').openCursor(IDBKeyRange.upperBound(device.outcomesAfter));
    while (cursor && this.#confirmed.has(cursor.value.seq)) cursor = await cursor.continue();
    if (cursor) await meta.put({ ...device, outcomesAfter: cursor.value.seq - 1 }, 'device');
    await tx.done;
  }

  /** Notes that the commands up to `seq` were pushed (relaxed: a push lost in a crash is made again). */
  async notePushed(seq: number): Promise<void> {
    const tx = this.#db.transaction('meta', 'readwrite', { durability: 'relaxed' });
    const device = (await tx.store.get('device'))!;
    if ((device.pushedThrough ?? 0) < seq) await tx.store.put({ ...device, pushedThrough: seq }, 'device');
    await tx.done;
  }

  /** Up to `limit` entries after sequence number `seq`, ascending. */
  entriesAfter(seq: number, limit: number): Promise<OutboxEntry[]> {
    return this.#db.getAll('outbox', IDBKeyRange.lowerBound(seq, true), limit);
  }

  /** Whether command `commandId` is still in the outbox. */
  async holds(commandId: string): Promise<boolean> {
    return (await this.#db.countFromIndex('outbox', 'commandId', commandId)) > 0;
  }

  /** How many entries wait (undecided, or confirmed and waiting for their events). */
  count(): Promise<number> {
    return this.#db.count('outbox');
  }

  /**
   * Records the server's outcomes, in one transaction: a refused command leaves the outbox for the rejections, a
   * confirmed one without events leaves it, a confirmed one with events stays until they are here (`advance`).
   * Outcomes already recorded are skipped (a pull brings again those a push's answer brought). Resolves with the
   * streams whose entries changed, and the commands that left.
   */
  async settle(outcomes: readonly Outcome[]): Promise<Settled> {
    const touched = new Set<string>();
    const gone: string[] = [];
    const removed = new Map<string, string[]>();
    const known = (await this.device()).outcomesAfter;
    const fresh = outcomes.filter((outcome) => outcome.seq > known);
    if (fresh.length === 0) return { touched, gone, removed };
    // Relaxed: what this records, the server keeps too; lost in a crash, it is asked for again.
    const tx = this.#db.transaction(['meta', 'outbox', 'rejections'], 'readwrite', { durability: 'relaxed' });
    const outbox = tx.objectStore('outbox');
    const meta = tx.objectStore('meta');
    // One read of the range, then the writes without waiting for each: a request's round trip, not its work, is the cost.
    const seqs = fresh.map((outcome) => outcome.seq);
    const [device, entries] = await Promise.all([meta.get('device'), outbox.getAll(IDBKeyRange.bound(Math.min(...seqs), Math.max(...seqs)))]);
    const bySeq = new Map(entries.map((entry) => [entry.seq, entry]));
    const writes: Promise<unknown>[] = [];
    for (const outcome of fresh) {
      const entry = bySeq.get(outcome.seq);
      if (!entry || entry.commandId !== outcome.commandId || this.#confirmed.has(entry.seq)) continue;
      touched.add(entry.streamId);
      if (outcome.status === 'confirmed' && outcome.events > 0) {
        this.#confirmed.set(entry.seq, outcome);
        continue;
      }
      writes.push(outbox.delete(entry.seq));
      gone.push(entry.commandId);
      removedFrom(removed, entry.streamId).push(entry.commandId);
      if (outcome.status !== 'confirmed') {
        const { commandId, seq, type, id, command, at } = entry;
        writes.push(tx.objectStore('rejections').put({ commandId, seq, type, id, command, at, status: outcome.status, reason: outcome.reason }));
      }
    }
    writes.push(meta.put({ ...device!, outcomesAfter: Math.max(device!.outcomesAfter, ...seqs) }, 'device'));
    await Promise.all([...writes, tx.done]);
    return { touched, gone, removed };
  }

  /**
   * Moves the cursor to `cursor` (of `epoch`) and lets go of the confirmed entries whose events the confirmed copy
   * now holds: `heads` gives each stream's confirmed head, and how many of its first entries may have left (at most
   * one per event just stored, or outcome just recorded). Resolves with the streams whose entries left, and their ids.
   */
  async advance(cursor: number, epoch: string, heads: ReadonlyMap<string, { head: number; most: number }>, cursorEventId?: string): Promise<Settled> {
    const touched = new Set<string>();
    const gone: string[] = [];
    const removed = new Map<string, string[]>();
    const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'relaxed' });
    const outbox = tx.objectStore('outbox');
    const meta = tx.objectStore('meta');
    const streams = [...heads].filter(([, { most }]) => most > 0);
    const [device, ...firsts] = await Promise.all([meta.get('device'), ...streams.map(([streamId, { most }]) => outbox.index('streamId').getAll(streamId, most))]);
    const leaving: number[] = [];
    streams.forEach(([streamId, { head }], i) => {
      // A stream's entries come in the device's order, and are confirmed in it: stop at the first still waiting.
      for (const entry of firsts[i]!.sort((a, b) => a.seq - b.seq)) {
        const outcome = this.#confirmed.get(entry.seq);
        if (!(outcome && outcome.sequenceNr <= head)) break;
        leaving.push(entry.seq);
        touched.add(streamId);
        gone.push(entry.commandId);
        removedFrom(removed, streamId).push(entry.commandId);
      }
    });
    // Deleted by runs of consecutive sequence numbers: one request for the commands of one entity, usually.
    const writes: Promise<unknown>[] = rangesOf(leaving).map(([from, to]) => outbox.delete(IDBKeyRange.bound(from, to)));
    const moved = Math.max(cursor, device!.epoch === epoch ? device!.cursor : 0);
    if (moved !== device!.cursor || epoch !== device!.epoch) {
      writes.push(meta.put({ ...device!, cursor: moved, epoch, ...(moved === cursor && cursorEventId !== undefined && { cursorEventId }) }, 'device'));
    }
    await Promise.all([...writes, tx.done]);
    for (const seq of leaving) this.#confirmed.delete(seq);
    return { touched, gone, removed };
  }

  /** Stores new predictions of entries still there (a rebase), in one transaction. */
  async predict(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.#db.transaction('outbox', 'readwrite', { durability: 'strict' });
    const seqs = entries.map((entry) => entry.seq);
    const stored = new Map((await tx.store.getAll(IDBKeyRange.bound(Math.min(...seqs), Math.max(...seqs)))).map((entry) => [entry.seq, entry]));
    const writes: Promise<unknown>[] = [];
    for (const { outcome: _known, ...entry } of entries) {
      const found = stored.get(entry.seq);
      if (found && found.commandId === entry.commandId) writes.push(tx.store.put(entry));
    }
    await Promise.all([...writes, tx.done]);
  }

  /**
   * A new epoch of the server (the journal was reset or restored): the confirmed copy is dropped by the caller;
   * here every entry not settled is numbered again after `lastSeq`, the server's last for this device, to be pushed
   * again, and the cursor goes back to 0.
   */
  async restart(epoch: string, lastSeq: number): Promise<void> {
    const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'strict' });
    const outbox = tx.objectStore('outbox');
    const entries = await outbox.getAll();
    // Those the server decided in the life it has now keep their numbers (their outcomes come with the next pull);
    // the others follow its last, gapless.
    const kept = entries.filter((entry) => entry.seq <= lastSeq);
    const moved = entries.filter((entry) => entry.seq > lastSeq);
    await outbox.delete(IDBKeyRange.lowerBound(lastSeq, true));
    moved.forEach((entry, i) => void outbox.put({ ...entry, seq: lastSeq + 1 + i }));
    this.#confirmed.clear();
    const meta = tx.objectStore('meta');
    const device = (await meta.get('device'))!;
    const outcomesAfter = kept.length > 0 ? kept[0]!.seq - 1 : lastSeq;
    const { cursorEventId: _followed, ...rest } = device;
    await meta.put({ ...rest, epoch, cursor: 0, outcomesAfter, nextSeq: lastSeq + 1 + moved.length, pushedThrough: lastSeq }, 'device');
    await tx.done;
  }

  /**
   * The server and the device disagree on the device's sequence numbers (one of them was restored from a backup):
   * every command the device has no outcome for is numbered again after the server's `lastSeq`, gapless.
   */
  async renumber(lastSeq: number): Promise<void> {
    const tx = this.#db.transaction(['meta', 'outbox'], 'readwrite', { durability: 'strict' });
    const outbox = tx.objectStore('outbox');
    const meta = tx.objectStore('meta');
    const device = (await meta.get('device'))!;
    const undecided = await outbox.getAll(IDBKeyRange.lowerBound(device.outcomesAfter, true));
    await outbox.delete(IDBKeyRange.lowerBound(device.outcomesAfter, true));
    undecided.forEach((entry, i) => void outbox.put({ ...entry, seq: lastSeq + 1 + i }));
    await meta.put({ ...device, outcomesAfter: lastSeq, nextSeq: lastSeq + 1 + undecided.length, pushedThrough: lastSeq }, 'device');
    await tx.done;
  }

  /** The server's rejections, oldest first. */
  async rejections(): Promise<ServerRejection[]> {
    return (await this.#db.getAll('rejections')).sort((a, b) => a.seq - b.seq);
  }

  /** Forgets a rejection the user has seen. */
  dismiss(commandId: string): Promise<void> {
    return this.#db.delete('rejections', commandId);
  }

  /** Closes the database: the outbox cannot be used after. */
  close(): void {
    this.#db.close();
  }
}

/** The list of a stream's removed commands, made on first use. */
function removedFrom(removed: Map<string, string[]>, streamId: string): string[] {
  let list = removed.get(streamId);
  if (!list) removed.set(streamId, (list = []));
  return list;
}

/** Ascending numbers as runs of consecutive ones, `[first, last]` each. */
function rangesOf(sorted: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const n of [...sorted].sort((a, b) => a - b)) {
    const last = ranges.at(-1);
    if (last && n === last[1] + 1) last[1] = n;
    else ranges.push([n, n]);
  }
  return ranges;
}
